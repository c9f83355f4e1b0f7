"""Application commands in the fake Discord: validation as Discord does it (names,
descriptions, options, choices; 400 code 50035) and the global/guild command routes."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from .discord_rest import ApiError, RecordedRequest, unknown
from .discord_validate import (
    NAME_RE,
    FormErrors,
    _check_choice_value,
    _is_int,
    _is_number,
    _max_len,
)

if TYPE_CHECKING:
    from .discord import FakeDiscord


OPTION_TYPES = range(1, 12)
# Discord's locales (Reference > Locales); localization dictionaries take no other keys.
LOCALES = frozenset({
    "id", "da", "de", "en-GB", "en-US", "es-ES", "es-419", "fr", "hr", "it", "lt", "hu", "nl",
    "no", "pl", "pt-BR", "ro", "fi", "sv-SE", "vi", "tr", "cs", "el", "bg", "ru", "uk", "hi",
    "th", "zh-CN", "ja", "zh-TW", "ko",
})
LOCALIZATION_KEYS = ("name_localizations", "description_localizations")


def _check_name(errs: FormErrors, path: tuple[Any, ...], name: Any, *, lowercase: bool) -> None:
    if not isinstance(name, str) or not NAME_RE.match(name) or (lowercase and name != name.lower()):
        errs.add(path, "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")


def _check_description(errs: FormErrors, path: tuple[Any, ...], desc: Any) -> None:
    if not isinstance(desc, str):
        errs.add(path, "BASE_TYPE_REQUIRED", "This field is required")
    elif not 1 <= len(desc) <= 100:
        errs.add(path, "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")


def _check_localizations(errs: FormErrors, path: tuple[Any, ...], obj: dict[str, Any], *,
                         name_rule: Any, describe: bool) -> None:
    """`name_localizations` (and `description_localizations`): null, or a dict from Discord
    locales to values that follow the rules of the field they localize."""
    for key in LOCALIZATION_KEYS if describe else LOCALIZATION_KEYS[:1]:
        table = obj.get(key)
        if table is None:
            continue
        if not isinstance(table, dict):
            errs.add((*path, key), "DICT_TYPE_CONVERT",
                     "Only dictionaries may be used in a DictType")
            continue
        for locale, value in table.items():
            where = (*path, key, locale)
            if locale not in LOCALES:
                errs.add(where, "BASE_TYPE_CHOICES", f"Value must be one of {sorted(LOCALES)}.")
            elif key == "name_localizations":
                name_rule(errs, where, value)
            else:
                _check_description(errs, where, value)


def _longest(obj: dict[str, Any], field: str) -> int:
    """A field's size as Discord counts it: the longest of the default and its localizations."""
    sizes = [len(str(obj.get(field) or ""))]
    table = obj.get(f"{field}_localizations")
    if isinstance(table, dict):
        sizes += [len(str(v)) for v in table.values() if isinstance(v, str)]
    return max(sizes)


def _count_chars(cmd: dict[str, Any]) -> int:
    total = _longest(cmd, "name") + _longest(cmd, "description")
    for opt in cmd.get("options") or []:
        if isinstance(opt, dict):
            total += _count_chars(opt)
            for ch in opt.get("choices") or []:
                if isinstance(ch, dict):
                    total += _longest(ch, "name") + len(str(ch.get("value", "")))
    return total


def _chat_input_name(errs: FormErrors, path: tuple[Any, ...], name: Any) -> None:
    _check_name(errs, path, name, lowercase=True)


def _choice_name(errs: FormErrors, path: tuple[Any, ...], name: Any) -> None:
    _max_len(errs, path, name, 100, 1)


def validate_option(errs: FormErrors, path: tuple[Any, ...], opt: Any, depth: int) -> None:
    if not isinstance(opt, dict):
        errs.add(path, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
        return
    otype = opt.get("type")
    if not _is_int(otype) or otype not in OPTION_TYPES:
        errs.add((*path, "type"), "BASE_TYPE_CHOICES",
                 f"Value must be one of {list(OPTION_TYPES)}.")
        return
    _check_name(errs, (*path, "name"), opt.get("name"), lowercase=True)
    _check_description(errs, (*path, "description"), opt.get("description"))
    _check_localizations(errs, path, opt, name_rule=_chat_input_name, describe=True)
    if otype in (1, 2):
        if opt.get("required"):
            errs.add((*path, "required"), "APPLICATION_COMMAND_OPTION_REQUIRED_INVALID",
                     "Sub-command and sub-command group option types are mutually exclusive "
                     "to all other types")
        if depth >= 2 or (otype == 2 and depth >= 1):
            errs.add((*path, "type"), "APPLICATION_COMMAND_OPTION_TYPE_INVALID",
                     "Sub-command groups cannot be nested")
        sub = opt.get("options") or []
        if otype == 2:
            for i, child in enumerate(sub):
                if isinstance(child, dict) and child.get("type") != 1:
                    errs.add((*path, "options", i, "type"),
                             "APPLICATION_COMMAND_OPTION_TYPE_INVALID",
                             "Sub-command groups may only contain sub-commands")
        validate_options(errs, (*path, "options"), sub, depth + 1)
        return
    if opt.get("options"):
        errs.add((*path, "options"), "APPLICATION_COMMAND_OPTIONS_INVALID",
                 "Only sub-commands and groups can have options")
    choices = opt.get("choices")
    if choices:
        if otype not in (3, 4, 10):
            errs.add((*path, "choices"), "APPLICATION_COMMAND_OPTION_CHOICES_INVALID",
                     "Choices are only allowed for string, integer and number options")
        if opt.get("autocomplete"):
            errs.add((*path, "autocomplete"), "APPLICATION_COMMAND_AUTOCOMPLETE_INVALID",
                     "Autocomplete cannot be set with choices")
        if not isinstance(choices, list) or len(choices) > 25:
            errs.add((*path, "choices"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
        else:
            for i, ch in enumerate(choices):
                cpath = (*path, "choices", i)
                if not isinstance(ch, dict):
                    errs.add(cpath, "DICT_TYPE_CONVERT", "Only dictionaries may be used")
                    continue
                _max_len(errs, (*cpath, "name"), ch.get("name"), 100, 1)
                if ch.get("name") is None:
                    errs.add((*cpath, "name"), "BASE_TYPE_REQUIRED", "This field is required")
                _check_localizations(errs, cpath, ch, name_rule=_choice_name, describe=False)
                _check_choice_value(errs, (*cpath, "value"), otype, ch.get("value"))
    if otype in (4, 10):
        for key in ("min_value", "max_value"):
            if key in opt and opt[key] is not None and not _is_number(opt[key]):
                errs.add((*path, key), "NUMBER_TYPE_COERCE", "Value is not a number.")
    if otype == 3:
        for key, lo in (("min_length", 0), ("max_length", 1)):
            v = opt.get(key)
            if v is not None and (not _is_int(v) or not lo <= v <= 6000):
                errs.add((*path, key), "NUMBER_TYPE_MAX",
                         f"int value should be between {lo} and 6000.")


def validate_options(errs: FormErrors, path: tuple[Any, ...], options: Any, depth: int) -> None:
    if options is None:
        return
    if not isinstance(options, list):
        errs.add(path, "BASE_TYPE_ARRAY", "Must be an array.")
        return
    if len(options) > 25:
        errs.add(path, "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    seen_optional = False
    names: set[str] = set()
    kinds = set()
    for i, opt in enumerate(options):
        validate_option(errs, (*path, i), opt, depth)
        if not isinstance(opt, dict):
            continue
        kinds.add("sub" if opt.get("type") in (1, 2) else "value")
        if opt.get("name") in names:
            errs.add((*path, i, "name"), "APPLICATION_COMMAND_OPTION_NAME_ALREADY_EXISTS",
                     "Option name already exists")
        names.add(opt.get("name"))
        if opt.get("type") in (1, 2):
            continue
        if opt.get("required"):
            if seen_optional:
                errs.add((*path, i, "required"),
                         "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                         "Required options must be placed before non-required options")
        else:
            seen_optional = True
    if len(kinds) > 1:
        errs.add(path, "APPLICATION_COMMAND_OPTION_TYPE_INVALID",
                 "Sub-command and sub-command group option types are mutually exclusive to "
                 "all other types")


def validate_command(errs: FormErrors, path: tuple[Any, ...], cmd: Any) -> None:
    if not isinstance(cmd, dict):
        errs.add(path, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
        return
    ctype = cmd.get("type", 1)
    if ctype not in (1, 2, 3, 4):
        errs.add((*path, "type"), "BASE_TYPE_CHOICES", "Value must be one of (1, 2, 3, 4).")
        return
    if ctype == 1:
        _check_name(errs, (*path, "name"), cmd.get("name"), lowercase=True)
        _check_description(errs, (*path, "description"), cmd.get("description"))
        _check_localizations(errs, path, cmd, name_rule=_chat_input_name, describe=True)
        validate_options(errs, (*path, "options"), cmd.get("options"), 0)
        if _count_chars(cmd) > 4000:
            errs.add(path, "APPLICATION_COMMAND_TOO_LARGE", "Command exceeds maximum size (4000)")
    else:
        name = cmd.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 32:
            errs.add((*path, "name"), "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
        if cmd.get("description"):
            errs.add((*path, "description"), "APPLICATION_COMMAND_INVALID_DESCRIPTION",
                     "Context menu commands cannot have description")
        if cmd.get("options"):
            errs.add((*path, "options"), "APPLICATION_COMMAND_OPTIONS_INVALID",
                     "Context menu commands cannot have options")
    dmp = cmd.get("default_member_permissions")
    if dmp is not None and not (isinstance(dmp, str) and dmp.isdigit()):
        errs.add((*path, "default_member_permissions"), "BASE_TYPE_STRING",
                 "Must be a string of digits.")


def validate_command_list(payload: Any) -> FormErrors:
    errs = FormErrors()
    if not isinstance(payload, list):
        errs.add((), "BASE_TYPE_ARRAY", "Must be an array.")
        return errs
    per_type: dict[int, int] = {}
    seen: set[tuple[int, str]] = set()
    for i, cmd in enumerate(payload):
        validate_command(errs, (i,), cmd)
        if isinstance(cmd, dict):
            key = (cmd.get("type", 1), cmd.get("name"))
            if key in seen:
                errs.add((i, "name"), "APPLICATION_COMMANDS_DUPLICATE_NAME",
                         f"Application command names must be unique ({key[1]})")
            seen.add(key)
            per_type[key[0]] = per_type.get(key[0], 0) + 1
    if per_type.get(1, 0) > 100 or per_type.get(2, 0) > 15 or per_type.get(3, 0) > 15:
        errs.add((), "BASE_TYPE_MAX_LENGTH", "Too many application commands.")
    return errs


def _without_localizations(obj: Any) -> Any:
    if isinstance(obj, list):
        return [_without_localizations(item) for item in obj]
    if not isinstance(obj, dict):
        return obj
    return {k: _without_localizations(v) for k, v in obj.items() if k not in LOCALIZATION_KEYS}


def _strip_ids(cmd: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in cmd.items() if k not in ("id", "version")}



class CommandsMixin:
    """Mixed into FakeDiscord."""

    def _check_app(self: FakeDiscord, app: str) -> None:
        if int(app) != self.application_id:
            raise ApiError(403, 50001, "Missing Access")

    def _command_scope(self: FakeDiscord, gid: str | None) -> int | None:
        if gid is None:
            return None
        if int(gid) not in self.guilds:
            raise ApiError(403, 50001, "Missing Access")
        return int(gid)

    def _store_command(self: FakeDiscord, scope: int | None, cmd: dict[str, Any],
                       old: dict[str, Any] | None) -> dict[str, Any]:
        ctype = cmd.get("type", 1)
        out = copy.deepcopy(cmd)
        out.setdefault("type", ctype)
        out.setdefault("options", []) if ctype == 1 else None
        out.setdefault("description", "")
        out.setdefault("default_member_permissions", None)
        out.setdefault("nsfw", False)
        out.setdefault("dm_permission", True)
        out.setdefault("contexts", None)
        out.setdefault("integration_types", [0])
        out["application_id"] = str(self.application_id)
        if scope is not None:
            out["guild_id"] = str(scope)
        if old is not None:
            out["id"] = old["id"]
            same = _strip_ids(old) == _strip_ids(out)
            out["version"] = old["version"] if same else str(self.snowflakes.next())
        else:
            out["id"] = str(self.snowflakes.next())
            out["version"] = str(self.snowflakes.next())
        return out

    async def _r_get_commands(self: FakeDiscord, rec: RecordedRequest, app: str,
                              gid: str | None = None) -> tuple[int, Any]:
        self._check_app(app)
        scope = self._command_scope(gid)
        commands = list(self.synced_commands.get(scope, {}).values())
        if rec.query.get("with_localizations") in ("true", "1", "True"):
            return 200, commands
        # Without the query argument Discord leaves the localization dictionaries out.
        return 200, [_without_localizations(cmd) for cmd in commands]

    async def _r_put_commands(self: FakeDiscord, rec: RecordedRequest, app: str,
                              gid: str | None = None) -> tuple[int, Any]:
        self._check_app(app)
        scope = self._command_scope(gid)
        errs = validate_command_list(rec.json)
        if errs:
            raise ApiError.form(errs)
        old = self.synced_commands.get(scope, {})
        new: dict[tuple[int, str], dict[str, Any]] = {}
        for cmd in rec.json:
            key = (cmd.get("type", 1), cmd["name"])
            new[key] = self._store_command(scope, cmd, old.get(key))
        self.synced_commands[scope] = new
        self.command_syncs.append((scope, rec.json))
        return 200, list(new.values())

    async def _r_post_command(self: FakeDiscord, rec: RecordedRequest, app: str,
                              gid: str | None = None) -> tuple[int, Any]:
        self._check_app(app)
        scope = self._command_scope(gid)
        errs = validate_command_list([rec.json])
        if errs:
            raise ApiError.form(errs)
        table = self.synced_commands.setdefault(scope, {})
        key = (rec.json.get("type", 1), rec.json["name"])
        existed = key in table
        table[key] = self._store_command(scope, rec.json, table.get(key))
        return (200 if existed else 201), table[key]

    async def _r_delete_command(self: FakeDiscord, rec: RecordedRequest, app: str, cid: str,
                                gid: str | None = None) -> tuple[int, Any]:
        self._check_app(app)
        table = self.synced_commands.get(self._command_scope(gid), {})
        for key, cmd in list(table.items()):
            if cmd["id"] == cid:
                del table[key]
                return 204, None
        raise unknown("application command", 10063)
