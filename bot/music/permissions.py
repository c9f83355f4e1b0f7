"""Who may skip, stop, clear, change the volume or the filters: one pure decision.

The gateway knows the member (roles, Manage Server) and sends it as
`MemberRights` with every voice command; the audio side knows the current
track's requester and the guild's DJ role, and decides with `standing`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from bot.i18n import Text, t

__all__ = ["API_CONTROL_RIGHTS", "Action", "MemberRights", "Standing", "refusal", "standing"]


@dataclass(frozen=True, slots=True)
class MemberRights:
    """What the gateway knows of the member behind a command.

    `is_admin`: Administrator or Manage Server. `acts_as_dj`: the front end
    itself vouches for DJ rights (a REST API key with control scope).
    The default is a member with no roles and no rights, never "allow".
    """

    is_admin: bool = False
    role_ids: tuple[int, ...] = ()
    acts_as_dj: bool = False


API_CONTROL_RIGHTS = MemberRights(acts_as_dj=True)
"""The rights of a REST API key with control scope: those of a DJ."""


class Standing(Enum):
    """Why a member may control playback (the strongest reason that applies)."""

    ADMIN = "admin"
    DJ = "dj"
    REQUESTER = "requester"
    ALONE = "alone"


class Action(Enum):
    """A protected control; its value is the catalog key of its refusal."""

    SKIP = "rights.skip"
    PREVIOUS = "rights.previous"
    STOP = "rights.stop"
    LEAVE = "rights.leave"
    CLEAR = "rights.clear"
    VOLUME = "rights.volume"
    FILTER = "rights.filter"


def standing(
    rights: MemberRights,
    *,
    user_id: int,
    requester_id: int | None,
    dj_role_id: int | None,
    alone: bool,
) -> Standing | None:
    """Why `user_id` may control playback now, or None when they may not.

    Admins always may; so may DJs (the guild's DJ role, or a front end acting as
    DJ), the requester of the current track, and a member alone with the bot,
    as there is nobody whose music they could interrupt.
    """
    if rights.is_admin:
        return Standing.ADMIN
    if rights.acts_as_dj or (dj_role_id is not None and dj_role_id in rights.role_ids):
        return Standing.DJ
    if requester_id is not None and requester_id == user_id:
        return Standing.REQUESTER
    if alone:
        return Standing.ALONE
    return None


def refusal(action: Action) -> Text:
    """The reply to a member who may not do `action`."""
    return t(action.value)
