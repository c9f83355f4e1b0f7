"""Who may control playback: admins, DJs, the requester, a lone listener; nobody else."""

from __future__ import annotations

from bot.music.permissions import (
    API_CONTROL_RIGHTS,
    Action,
    MemberRights,
    Standing,
    refusal,
    standing,
)

DJ_ROLE = 900
USER = 1
OTHER = 2


def decide(rights: MemberRights, *, requester: int | None = OTHER, alone: bool = False) -> object:
    return standing(rights, user_id=USER, requester_id=requester, dj_role_id=DJ_ROLE, alone=alone)


def test_member_without_rights_is_refused() -> None:
    """Someone else's track, no role, not alone: no."""
    assert decide(MemberRights(role_ids=(5, 6))) is None


def test_default_rights_grant_nothing() -> None:
    """A front end that forgets the rights gets a member without any."""
    assert decide(MemberRights()) is None


def test_admin_always_may() -> None:
    """Manage Server or Administrator wins over everything."""
    assert decide(MemberRights(is_admin=True)) is Standing.ADMIN


def test_dj_role_grants() -> None:
    """The guild's DJ role among the member's roles."""
    assert decide(MemberRights(role_ids=(5, DJ_ROLE))) is Standing.DJ


def test_no_dj_role_configured_means_no_djs() -> None:
    """Without a DJ role nobody is a DJ by role."""
    rights = MemberRights(role_ids=(DJ_ROLE,))
    assert standing(rights, user_id=USER, requester_id=OTHER, dj_role_id=None, alone=False) is None


def test_api_control_key_acts_as_dj() -> None:
    """The REST API's control keys have DJ rights."""
    assert decide(API_CONTROL_RIGHTS) is Standing.DJ


def test_requester_of_current_track_may() -> None:
    """Your own track is yours to skip."""
    assert decide(MemberRights(), requester=USER) is Standing.REQUESTER


def test_alone_with_the_bot_may() -> None:
    """Nobody else listens, so nobody is interrupted."""
    assert decide(MemberRights(), alone=True) is Standing.ALONE


def test_skip_refusal_points_to_voteskip() -> None:
    """The skip refusal says who may and what to do instead."""
    assert refusal(Action.SKIP).english == (
        "Only the requester of this track, DJs or admins can skip. Use /voteskip."
    )
    assert refusal(Action.VOLUME).english.endswith("can change the volume.")
