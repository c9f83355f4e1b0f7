"""The commands the audio side serves on `discord-bot:commands`, and what it answers.

Every front end (slash command, button, REST, webhook) builds one of these;
the audio side is the only place that acts on them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.i18n.text import Text
from bot.messages import Command
from bot.music.permissions import MemberRights
from bot.music.queue import LoopMode
from bot.music.state import NowPlayingState
from bot.music.timefmt import SeekTarget
from bot.music.track import QueuedTrack

# -- commands -------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Ping(Command):
    """Ask the audio side how its Lavalink nodes are doing."""


@dataclass(frozen=True, kw_only=True)
class VoiceCommand(Command):
    """A command from a member; `voice_channel_id` is where that member is (None: nowhere).

    `rights` is what the front end knows of the member (roles, admin); the
    default is a member without any, so a front end that forgets it grants nothing.
    """

    voice_channel_id: int | None
    rights: MemberRights = field(default_factory=MemberRights)


@dataclass(frozen=True, kw_only=True)
class Play(VoiceCommand):
    """Load `query` (URL or search) and queue it; join the member's channel if needed.

    `source` is the search source the user chose (None: the guild's default).
    """

    query: str
    next_up: bool = False
    source: str | None = None


@dataclass(frozen=True, kw_only=True)
class Search(Command):
    """Search without queueing (for /search and autocomplete).

    `cached_only` answers from the search cache or with nothing, never asking
    Lavalink (autocomplete keystrokes that were debounced or over budget).
    """

    query: str
    limit: int = 10
    source: str | None = None
    cached_only: bool = False


@dataclass(frozen=True, kw_only=True)
class Pause(VoiceCommand):
    """Pause playback."""


@dataclass(frozen=True, kw_only=True)
class Resume(VoiceCommand):
    """Resume playback."""


@dataclass(frozen=True, kw_only=True)
class TogglePause(VoiceCommand):
    """Pause if playing, resume if paused (the now-playing button)."""


@dataclass(frozen=True, kw_only=True)
class Skip(VoiceCommand):
    """Skip the current track, or jump to upcoming position `to`."""

    to: int | None = None


@dataclass(frozen=True, kw_only=True)
class Previous(VoiceCommand):
    """Play the previous track again."""


@dataclass(frozen=True, kw_only=True)
class Stop(VoiceCommand):
    """Stop and clear the queue; stay in the channel."""


@dataclass(frozen=True, kw_only=True)
class Leave(VoiceCommand):
    """Stop, clear and leave the voice channel."""


@dataclass(frozen=True, kw_only=True)
class Seek(VoiceCommand):
    """Move within the current track."""

    target: SeekTarget


@dataclass(frozen=True, kw_only=True)
class SetVolume(VoiceCommand):
    """Set the volume, 0–200 %."""

    level: int


@dataclass(frozen=True, kw_only=True)
class SetLoop(VoiceCommand):
    """Set the loop mode; `None` cycles off → track → queue (the button)."""

    mode: LoopMode | None


@dataclass(frozen=True, kw_only=True)
class Shuffle(VoiceCommand):
    """Shuffle the upcoming tracks."""


@dataclass(frozen=True, kw_only=True)
class Remove(VoiceCommand):
    """Remove the upcoming track at a 1-based position."""

    position: int


@dataclass(frozen=True, kw_only=True)
class Move(VoiceCommand):
    """Move an upcoming track."""

    source: int
    target: int


@dataclass(frozen=True, kw_only=True)
class Clear(VoiceCommand):
    """Remove every upcoming track."""


@dataclass(frozen=True, kw_only=True)
class ShowQueue(Command):
    """A page of the queue."""

    page: int = 1


@dataclass(frozen=True, kw_only=True)
class ShowNowPlaying(Command):
    """What is playing now."""


@dataclass(frozen=True, kw_only=True)
class AttachNowPlaying(Command):
    """The gateway's now-playing message for the guild is this one."""

    message_id: int


@dataclass(frozen=True, kw_only=True)
class ShowHistory(Command):
    """The tracks played recently in the guild."""

    limit: int = 10


# -- answers --------------------------------------------------------------------


@dataclass(frozen=True)
class NodeStatus:
    """One Lavalink node as the audio side sees it."""

    label: str
    available: bool
    players: int


@dataclass(frozen=True)
class PingResult:
    """The audio side's answer to `Ping`."""

    nodes: tuple[NodeStatus, ...]


@dataclass(frozen=True)
class Done:
    """A command that changed something; `text` says what, for the user, in any language."""

    text: Text

    @property
    def message(self) -> str:
        """What changed, in English (logs, the REST API)."""
        return self.text.english


@dataclass(frozen=True)
class PlayResult:
    """What `/play` queued."""

    tracks: tuple[QueuedTrack, ...]
    playlist: str | None
    started: bool
    position: int
    dropped: int
    skipped: int = 0
    """Tracks left out because the guild doesn't allow their source."""


@dataclass(frozen=True)
class SearchResult:
    """Candidates for a query, best first."""

    tracks: tuple[QueuedTrack, ...]


@dataclass(frozen=True)
class QueuePage:
    """One page of the queue."""

    now: NowPlayingState
    items: tuple[tuple[int, QueuedTrack], ...]
    page: int
    pages: int
    total_ms: int = 0


@dataclass(frozen=True)
class HistoryPage:
    """Recently played tracks, newest first."""

    tracks: tuple[QueuedTrack, ...] = field(default_factory=tuple)


# -- permissions, vote-skip and 24/7 ----------------------------------------------


@dataclass(frozen=True, kw_only=True)
class VoteSkip(VoiceCommand):
    """Vote to skip the current track; the requester, DJs and admins skip at once."""


@dataclass(frozen=True, kw_only=True)
class StayConnectedChanged(Command):
    """The guild's 24/7 setting is now `enabled`: keep or restart the idle timer accordingly."""

    enabled: bool


# -- effects, SponsorBlock and lyrics ---------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SetFilter(VoiceCommand):
    """Turn on an audio effect: a preset (`nightcore`, …) or `speed`/`pitch` with `value`."""

    effect: str
    value: float | None = None


@dataclass(frozen=True, kw_only=True)
class ResetFilters(VoiceCommand):
    """Turn every audio effect off."""


@dataclass(frozen=True, kw_only=True)
class SetSponsorBlock(Command):
    """Skip these SponsorBlock categories in the guild (empty: skip nothing).

    A tuple, not a set: commands are audited as JSON.
    """

    categories: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class ShowSponsorBlock(Command):
    """Which SponsorBlock categories the guild skips, and whether the node can."""


@dataclass(frozen=True, kw_only=True)
class ShowLyrics(Command):
    """The lyrics of the current track."""


@dataclass(frozen=True)
class SponsorBlockStatus:
    """The guild's SponsorBlock categories; `problem` says why they can't apply (None: fine)."""

    categories: tuple[str, ...]
    problem: Text | None = None


@dataclass(frozen=True)
class LyricsResult:
    """The lyrics of the current track and where they came from."""

    title: str
    source: str
    provider: str
    lines: tuple[str, ...]


# -- autoplay, saved playlists and stats ------------------------------------------


@dataclass(frozen=True, kw_only=True)
class AutoplayChanged(Command):
    """The guild's autoplay mode was changed: if it sits idle in voice, autoplay starts now."""

    mode: str


@dataclass(frozen=True, kw_only=True)
class SavePlaylist(Command):
    """Save the guild's queue (the current track first) as the user's `playlist`."""

    playlist: str
    overwrite: bool = False


@dataclass(frozen=True, kw_only=True)
class LoadPlaylist(VoiceCommand):
    """Queue the user's `playlist` the way /play queues a playlist."""

    playlist: str
    shuffle: bool = False


@dataclass(frozen=True, kw_only=True)
class ListPlaylists(Command):
    """The user's playlists."""


@dataclass(frozen=True, kw_only=True)
class ShowPlaylist(Command):
    """A page of the tracks of the user's `playlist`."""

    playlist: str
    page: int = 1


@dataclass(frozen=True, kw_only=True)
class DeletePlaylist(Command):
    """Delete the user's `playlist`."""

    playlist: str


@dataclass(frozen=True, kw_only=True)
class AddToPlaylist(Command):
    """Add to the user's `playlist` (created if new) what `query` loads, else the current
    track."""

    playlist: str
    query: str | None = None


@dataclass(frozen=True, kw_only=True)
class RemoveFromPlaylist(Command):
    """Remove the track at 1-based `position` from the user's `playlist`."""

    playlist: str
    position: int


@dataclass(frozen=True, kw_only=True)
class ShowStats(Command):
    """The guild's listening stats over the last `days` (None: all the history kept)."""

    days: int | None = None


@dataclass(frozen=True, kw_only=True)
class SetStatsOptOut(Command):
    """Leave the user's plays out of /stats everywhere (or count them again)."""

    opted_out: bool


@dataclass(frozen=True)
class PlaylistInfo:
    """One of the user's playlists."""

    name: str
    track_count: int


@dataclass(frozen=True)
class PlaylistList:
    """The user's playlists by name, and how many they may keep."""

    playlists: tuple[PlaylistInfo, ...]
    limit: int


@dataclass(frozen=True)
class PlaylistPage:
    """One page of a saved playlist."""

    name: str
    items: tuple[tuple[int, QueuedTrack], ...]
    page: int
    pages: int
    track_count: int
    total_ms: int


@dataclass(frozen=True)
class PlayCount:
    """A track and how often it was played."""

    title: str
    author: str
    uri: str | None
    plays: int


@dataclass(frozen=True)
class StatsReport:
    """A guild's listening stats; opted-out members' plays are not in them."""

    plays: int
    listened_ms: int
    top_tracks: tuple[PlayCount, ...]
    top_requesters: tuple[tuple[int, int], ...]
    days: int | None
