"""Request validation as Discord does it for messages (content, embeds, components, flags),
modals and autocomplete choices. Errors are collected as (path, code, message) and turned
into Discord's 400 "Invalid Form Body" (code 50035) shape. Commands: discord_commands.py."""

from __future__ import annotations

import re
from typing import Any

NAME_RE = re.compile(r"^[-_\w]{1,32}$", re.UNICODE)

EPHEMERAL = 1 << 6
LOADING = 1 << 7
IS_COMPONENTS_V2 = 1 << 15


class FormErrors:
    def __init__(self) -> None:
        self.items: list[tuple[tuple[Any, ...], str, str]] = []

    def add(self, path: tuple[Any, ...], code: str, message: str) -> None:
        self.items.append((path, code, message))

    def __bool__(self) -> bool:
        return bool(self.items)

    def nested(self) -> dict[str, Any]:
        root: dict[str, Any] = {}
        for path, code, message in self.items:
            node = root
            for part in path:
                node = node.setdefault(str(part), {})
            node.setdefault("_errors", []).append({"code": code, "message": message})
        return root

    def body(self) -> dict[str, Any]:
        return {"code": 50035, "errors": self.nested(), "message": "Invalid Form Body"}

    def summary(self) -> str:
        return "; ".join(f"{'.'.join(map(str, p)) or '<root>'}: {m}" for p, _, m in self.items)


def _max_len(errs: FormErrors, path: tuple[Any, ...], value: Any, limit: int,
             minimum: int = 0) -> None:
    if value is None:
        return
    if not isinstance(value, str):
        errs.add(path, "BASE_TYPE_STRING", "Must be a string.")
        return
    if len(value) > limit:
        errs.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")
    elif len(value) < minimum:
        errs.add(path, "BASE_TYPE_BAD_LENGTH",
                 f"Must be between {minimum} and {limit} in length.")


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)




def _check_choice_value(errs: FormErrors, path: tuple[Any, ...], otype: int, value: Any) -> None:
    if otype == 3:
        if not isinstance(value, str):
            errs.add(path, "BASE_TYPE_STRING", "Must be a string.")
        else:
            _max_len(errs, path, value, 100, 1)
    elif otype == 4:
        if not _is_int(value):
            errs.add(path, "NUMBER_TYPE_COERCE", "Value is not int.")
    elif otype == 10 and not _is_number(value):
        errs.add(path, "NUMBER_TYPE_COERCE", "Value is not a number.")



# ---------------------------------------------------------------------------------------------
# messages
# ---------------------------------------------------------------------------------------------
EMBED_LIMITS = {"title": 256, "description": 4096}


def validate_embeds(errs: FormErrors, path: tuple[Any, ...], embeds: Any) -> None:
    if embeds is None:
        return
    if not isinstance(embeds, list):
        errs.add(path, "BASE_TYPE_ARRAY", "Must be an array.")
        return
    if len(embeds) > 10:
        errs.add(path, "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
    total = 0
    for i, emb in enumerate(embeds):
        epath = (*path, i)
        if not isinstance(emb, dict):
            errs.add(epath, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
            continue
        for key, limit in EMBED_LIMITS.items():
            _max_len(errs, (*epath, key), emb.get(key), limit)
            total += len(emb.get(key) or "")
        fields = emb.get("fields") or []
        if len(fields) > 25:
            errs.add((*epath, "fields"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
        for j, f in enumerate(fields):
            fpath = (*epath, "fields", j)
            if not isinstance(f, dict):
                errs.add(fpath, "DICT_TYPE_CONVERT", "Only dictionaries may be used")
                continue
            for key, limit in (("name", 256), ("value", 1024)):
                v = f.get(key)
                if v is None or v == "":
                    errs.add((*fpath, key), "BASE_TYPE_REQUIRED", "This field is required")
                else:
                    _max_len(errs, (*fpath, key), v, limit)
                    total += len(v) if isinstance(v, str) else 0
        footer = emb.get("footer")
        if isinstance(footer, dict):
            _max_len(errs, (*epath, "footer", "text"), footer.get("text"), 2048)
            total += len(footer.get("text") or "")
        author = emb.get("author")
        if isinstance(author, dict):
            _max_len(errs, (*epath, "author", "name"), author.get("name"), 256)
            total += len(author.get("name") or "")
        color = emb.get("color")
        if color is not None and (not _is_int(color) or not 0 <= color <= 0xFFFFFF):
            errs.add((*epath, "color"), "NUMBER_TYPE_MAX", "int value should be <= 16777215.")
        url = emb.get("url")
        if url is not None and not (isinstance(url, str) and re.match(r"^https?://", url)):
            errs.add((*epath, "url"), "URL_TYPE_INVALID_URL", "Not a well formed URL.")
    if total > 6000:
        errs.add(path, "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")


def _validate_button(errs: FormErrors, path: tuple[Any, ...], c: dict[str, Any],
                     custom_ids: set[str]) -> None:
    style = c.get("style")
    if style not in (1, 2, 3, 4, 5, 6):
        errs.add((*path, "style"), "BASE_TYPE_CHOICES", "Value must be one of (1, 2, 3, 4, 5, 6).")
        return
    _max_len(errs, (*path, "label"), c.get("label"), 80)
    if style == 5:
        if not c.get("url"):
            errs.add((*path, "url"), "BASE_TYPE_REQUIRED", "This field is required")
        if c.get("custom_id"):
            errs.add((*path, "custom_id"), "COMPONENT_LINK_BUTTON_CUSTOM_ID",
                     "A custom id cannot be set on a link button")
        return
    if style == 6:
        if not c.get("sku_id"):
            errs.add((*path, "sku_id"), "BASE_TYPE_REQUIRED", "This field is required")
        return
    if c.get("url"):
        errs.add((*path, "url"), "COMPONENT_BUTTON_URL", "Only link buttons can have a url")
    if not c.get("label") and not c.get("emoji"):
        errs.add((*path,), "COMPONENT_BUTTON_LABEL_OR_EMOJI", "A label or emoji is required")
    _check_custom_id(errs, path, c.get("custom_id"), custom_ids)


def _check_custom_id(errs: FormErrors, path: tuple[Any, ...], custom_id: Any,
                     custom_ids: set[str]) -> None:
    if not custom_id:
        errs.add((*path, "custom_id"), "BASE_TYPE_REQUIRED", "This field is required")
        return
    _max_len(errs, (*path, "custom_id"), custom_id, 100)
    if custom_id in custom_ids:
        errs.add((*path, "custom_id"), "COMPONENT_CUSTOM_ID_DUPLICATED",
                 "Component custom id cannot be duplicated")
    custom_ids.add(custom_id)


def _validate_select(errs: FormErrors, path: tuple[Any, ...], c: dict[str, Any],
                     custom_ids: set[str]) -> None:
    _check_custom_id(errs, path, c.get("custom_id"), custom_ids)
    _max_len(errs, (*path, "placeholder"), c.get("placeholder"), 150)
    lo, hi = c.get("min_values", 1), c.get("max_values", 1)
    if not _is_int(lo) or not 0 <= lo <= 25:
        errs.add((*path, "min_values"), "NUMBER_TYPE_MAX", "int value should be <= 25.")
    if not _is_int(hi) or not 1 <= hi <= 25:
        errs.add((*path, "max_values"), "NUMBER_TYPE_MAX", "int value should be <= 25.")
    if c.get("type") == 3:
        options = c.get("options")
        if not isinstance(options, list) or not options:
            errs.add((*path, "options"), "BASE_TYPE_REQUIRED", "This field is required")
            return
        if len(options) > 25:
            errs.add((*path, "options"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
        values = set()
        for i, o in enumerate(options):
            opath = (*path, "options", i)
            if not isinstance(o, dict):
                errs.add(opath, "DICT_TYPE_CONVERT", "Only dictionaries may be used")
                continue
            _max_len(errs, (*opath, "label"), o.get("label"), 100, 1)
            _max_len(errs, (*opath, "value"), o.get("value"), 100, 1)
            _max_len(errs, (*opath, "description"), o.get("description"), 100)
            if o.get("label") is None:
                errs.add((*opath, "label"), "BASE_TYPE_REQUIRED", "This field is required")
            if o.get("value") in values:
                errs.add((*opath, "value"), "SELECT_COMPONENT_OPTION_VALUE_DUPLICATED",
                         "Select options must have unique values")
            values.add(o.get("value"))
        if _is_int(hi) and hi > len(options):
            errs.add((*path, "max_values"), "NUMBER_TYPE_MAX",
                     f"int value should be less than or equal to {len(options)}.")
    if _is_int(lo) and _is_int(hi) and lo > hi:
        errs.add((*path, "min_values"), "SELECT_COMPONENT_MIN_MAX",
                 "min_values must be less than or equal to max_values")


V2_TOP_LEVEL = {1, 9, 10, 12, 13, 14, 17}


def _count_components(components: list[Any]) -> int:
    n = 0
    for c in components:
        if isinstance(c, dict):
            n += 1
            n += _count_components(c.get("components") or [])
            if isinstance(c.get("accessory"), dict):
                n += 1
    return n


def _validate_row(errs: FormErrors, path: tuple[Any, ...], row: dict[str, Any],
                  custom_ids: set[str]) -> None:
    children = row.get("components")
    if not isinstance(children, list) or not children:
        errs.add((*path, "components"), "BASE_TYPE_BAD_LENGTH",
                 "Must be between 1 and 5 in length.")
        return
    if len(children) > 5:
        errs.add((*path, "components"), "BASE_TYPE_BAD_LENGTH",
                 "Must be between 1 and 5 in length.")
    kinds = [c.get("type") if isinstance(c, dict) else None for c in children]
    if any(k in (3, 5, 6, 7, 8) for k in kinds) and len(children) > 1:
        errs.add((*path, "components"), "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                 "The specified component exceeds the maximum width")
    for i, c in enumerate(children):
        cpath = (*path, "components", i)
        if not isinstance(c, dict):
            errs.add(cpath, "DICT_TYPE_CONVERT", "Only dictionaries may be used")
        elif c.get("type") == 2:
            _validate_button(errs, cpath, c, custom_ids)
        elif c.get("type") in (3, 5, 6, 7, 8):
            _validate_select(errs, cpath, c, custom_ids)
        else:
            errs.add((*cpath, "type"), "UNION_TYPE_CHOICES",
                     "Value of field \"type\" must be one of (2, 3, 5, 6, 7, 8).")


def validate_components(errs: FormErrors, path: tuple[Any, ...], components: Any,
                        flags: int) -> None:
    if components is None:
        return
    if not isinstance(components, list):
        errs.add(path, "BASE_TYPE_ARRAY", "Must be an array.")
        return
    custom_ids: set[str] = set()
    if flags & IS_COMPONENTS_V2:
        if _count_components(components) > 40:
            errs.add(path, "BASE_TYPE_MAX_LENGTH", "Must be 40 or fewer in length.")
        for i, c in enumerate(components):
            if not isinstance(c, dict) or c.get("type") not in V2_TOP_LEVEL:
                errs.add((*path, i, "type"), "UNION_TYPE_CHOICES",
                         f"Value must be one of {sorted(V2_TOP_LEVEL)}.")
            elif c.get("type") == 1:
                _validate_row(errs, (*path, i), c, custom_ids)
        return
    if len(components) > 5:
        errs.add(path, "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
    for i, row in enumerate(components):
        if not isinstance(row, dict) or row.get("type") != 1:
            errs.add((*path, i, "type"), "UNION_TYPE_CHOICES",
                     "Value of field \"type\" must be one of (1,).")
            continue
        _validate_row(errs, (*path, i), row, custom_ids)


def is_empty_message(payload: dict[str, Any], files: int = 0) -> bool:
    return not (payload.get("content") or payload.get("embeds") or payload.get("components")
                or payload.get("sticker_ids") or payload.get("poll") or files
                or payload.get("attachments"))


def validate_message(errs: FormErrors, path: tuple[Any, ...], payload: Any) -> None:
    """Validate a message create/edit body (content, embeds, components, flags)."""
    if not isinstance(payload, dict):
        errs.add(path, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
        return
    flags = payload.get("flags") or 0
    if not _is_int(flags):
        errs.add((*path, "flags"), "NUMBER_TYPE_COERCE", "Value is not int.")
        flags = 0
    _max_len(errs, (*path, "content"), payload.get("content"), 2000)
    validate_embeds(errs, (*path, "embeds"), payload.get("embeds"))
    validate_components(errs, (*path, "components"), payload.get("components"), flags)
    if flags & IS_COMPONENTS_V2 and (payload.get("content") or payload.get("embeds")):
        errs.add((*path, "content"), "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
                 "The 'content' and 'embeds' fields cannot be used when using the "
                 "IS_COMPONENTS_V2 flag")
    am = payload.get("allowed_mentions")
    if am is not None:
        if not isinstance(am, dict):
            errs.add((*path, "allowed_mentions"), "DICT_TYPE_CONVERT", "Must be an object.")
        else:
            parse = am.get("parse") or []
            for key in ("users", "roles"):
                if key in parse and am.get(key):
                    errs.add((*path, "allowed_mentions"),
                             "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                             f"parse:[\"{key}\"] and {key}: [ids...] are mutually exclusive.")


def validate_modal(errs: FormErrors, path: tuple[Any, ...], data: Any) -> None:
    if not isinstance(data, dict):
        errs.add(path, "BASE_TYPE_REQUIRED", "This field is required")
        return
    _max_len(errs, (*path, "title"), data.get("title"), 45, 1)
    if not data.get("custom_id"):
        errs.add((*path, "custom_id"), "BASE_TYPE_REQUIRED", "This field is required")
    _max_len(errs, (*path, "custom_id"), data.get("custom_id"), 100)
    comps = data.get("components")
    if not isinstance(comps, list) or not 1 <= len(comps) <= 5:
        errs.add((*path, "components"), "BASE_TYPE_BAD_LENGTH",
                 "Must be between 1 and 5 in length.")


def validate_choices(errs: FormErrors, path: tuple[Any, ...], data: Any,
                     option_type: int | None) -> None:
    if not isinstance(data, dict) or not isinstance(data.get("choices"), list):
        errs.add((*path, "choices"), "BASE_TYPE_REQUIRED", "This field is required")
        return
    choices = data["choices"]
    if len(choices) > 25:
        errs.add((*path, "choices"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    for i, ch in enumerate(choices):
        cpath = (*path, "choices", i)
        if not isinstance(ch, dict):
            errs.add(cpath, "DICT_TYPE_CONVERT", "Only dictionaries may be used")
            continue
        if ch.get("name") is None:
            errs.add((*cpath, "name"), "BASE_TYPE_REQUIRED", "This field is required")
        _max_len(errs, (*cpath, "name"), ch.get("name"), 100, 1)
        if option_type in (3, 4, 10):
            _check_choice_value(errs, (*cpath, "value"), option_type, ch.get("value"))


CALLBACK_TYPES_FOR = {
    2: {4, 5, 9},  # application command
    3: {4, 5, 6, 7, 9},  # message component
    4: {8},  # autocomplete
    5: {4, 5, 6, 7},  # modal submit
}
