"""The /playlist commands on the audio side: users' saved playlists.

`save` takes the guild's queue (what plays now, then what is up next); `load`
queues a playlist through `PlaybackService.enqueue`, the same path and limits
as /play; `add` takes what a query loads (through the `TrackLoader`) or the
current track. A user's changes are applied one at a time, so two quick
`add`s never lose a track.
"""

from __future__ import annotations

import asyncio
import random
import weakref
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from bot import audio_commands as ac
from bot.db.playlists import PlaylistStore, PlaylistSummary, SavedPlaylistValue
from bot.db.queue_store import StoredTrack
from bot.db.storable import storable
from bot.errors import ServiceUnavailable, UserError
from bot.i18n import Text, plural, sentences, t
from bot.music.playlist_limits import (
    PlaylistExists,
    PlaylistFull,
    PlaylistLimits,
    PlaylistNotFound,
    TooManyPlaylists,
    check_name,
    find_name,
)
from bot.music.track import QueuedTrack
from bot.settings import LimitsSettings

if TYPE_CHECKING:
    from bot.playback.service import PlaybackService

PAGE_SIZE = 10


def stored_track(track: QueuedTrack) -> StoredTrack:
    """A queued track as a saved playlist keeps it."""
    return StoredTrack(
        encoded=track.encoded,
        title=storable(track.title),
        author=storable(track.author),
        length_ms=track.length_ms,
        requester_id=track.requester_id,
        uri=storable(track.uri),
        source=storable(track.source) or None,
    )


def playlist_limits(limits: LimitsSettings) -> PlaylistLimits:
    """The playlist limits of the `[limits]` config section."""
    return PlaylistLimits(
        playlists_per_user=limits.playlists_per_user,
        tracks_per_playlist=limits.playlist_max_tracks,
        name_length=limits.playlist_name_length,
    )


def queued_track(track: StoredTrack, requester_id: int) -> QueuedTrack:
    """A saved track ready to queue for `requester_id`."""
    return QueuedTrack(
        encoded=track.encoded,
        title=track.title,
        author=track.author,
        length_ms=track.length_ms,
        uri=track.uri,
        requester_id=requester_id,
        source=track.source or "",
    )


class PlaylistCommands:
    """Serves the playlist bus commands with a `PlaylistStore`."""

    def __init__(
        self,
        service: PlaybackService,
        store: PlaylistStore | None,
        limits: Callable[[], PlaylistLimits],
    ) -> None:
        self.service = service
        self._store = store
        self._limits = limits
        self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()

    @property
    def limits(self) -> PlaylistLimits:
        """The limits in force now (`[limits]` in the config, read live)."""
        return self._limits()

    # -- commands -------------------------------------------------------------

    async def save(self, command: ac.SavePlaylist) -> ac.Done:
        """Save the guild's queue as a playlist (replacing one only when asked to)."""
        name = check_name(command.playlist, self.limits)
        queue = self.service.session(command.guild_id).queue
        tracks = ([queue.current] if queue.current is not None else []) + list(queue.upcoming)
        if not tracks:
            raise UserError("playlist.nothing_to_save")
        kept = tracks[: self.limits.tracks_per_playlist]
        async with self._changing(command.user_id) as store:
            summaries = await store.summaries(command.user_id)
            existing = find_name(name, (s.name for s in summaries))
            if existing is not None and not command.overwrite:
                raise PlaylistExists(existing)
            self._check_room(summaries, existing)
            await store.save(command.user_id, existing or name, [stored_track(t) for t in kept])
        message = t("playlist.saved", tracks=_tracks(len(kept)), name=existing or name)
        if len(kept) < len(tracks):
            message = sentences(
                message, t("playlist.saved_partly", kept=len(kept), total=len(tracks))
            )
        return ac.Done(message)

    async def load(self, command: ac.LoadPlaylist) -> ac.PlayResult:
        """Queue the playlist like /play queues one: same checks, limits and answer."""
        self.service.require_joinable(command)
        playlist = await self._playlist(command.user_id, command.playlist)
        if not playlist.tracks:
            raise UserError("playlist.empty_load", name=playlist.name)
        tracks = [queued_track(t, command.user_id) for t in playlist.tracks]
        if command.shuffle:
            random.shuffle(tracks)
        policy = await self.service.policy(command.guild_id)
        return await self.service.enqueue(command, tracks, policy, playlist=playlist.name)

    async def list_playlists(self, command: ac.ListPlaylists) -> ac.PlaylistList:
        """The user's playlists."""
        summaries = await self._store_or_refuse().summaries(command.user_id)
        return ac.PlaylistList(
            tuple(ac.PlaylistInfo(s.name, s.track_count) for s in summaries),
            self.limits.playlists_per_user,
        )

    async def show(self, command: ac.ShowPlaylist) -> ac.PlaylistPage:
        """A page of a playlist's tracks."""
        playlist = await self._playlist(command.user_id, command.playlist)
        count = len(playlist.tracks)
        pages = max(1, -(-count // PAGE_SIZE))
        page = min(max(command.page, 1), pages)
        start = (page - 1) * PAGE_SIZE
        items = tuple(
            (start + i + 1, queued_track(t, command.user_id))
            for i, t in enumerate(playlist.tracks[start : start + PAGE_SIZE])
        )
        total = sum(t.length_ms for t in playlist.tracks)
        return ac.PlaylistPage(playlist.name, items, page, pages, count, total)

    async def delete(self, command: ac.DeletePlaylist) -> ac.Done:
        """Delete a playlist."""
        async with self._changing(command.user_id) as store:
            name = await self._existing_name(store, command.user_id, command.playlist)
            await store.delete(command.user_id, name)
        return ac.Done(t("playlist.deleted", name=name))

    async def add(self, command: ac.AddToPlaylist) -> ac.Done:
        """Add what the query loads (a search: its best result), else the current track;
        a new name makes a new playlist."""
        name = check_name(command.playlist, self.limits)
        new = await self._tracks_to_add(command)
        async with self._changing(command.user_id) as store:
            summaries = await store.summaries(command.user_id)
            existing = find_name(name, (s.name for s in summaries))
            self._check_room(summaries, existing)
            tracks = (await self._load(store, command.user_id, existing)).tracks if existing else []
            room = self.limits.tracks_per_playlist - len(tracks)
            if room <= 0:
                raise PlaylistFull(existing or name, self.limits.tracks_per_playlist)
            added = new[:room]
            tracks += [stored_track(t) for t in added]
            await store.save(command.user_id, existing or name, tracks)
        name = existing or name
        message = (
            t("playlist.added_one", title=added[0].title, name=name)
            if len(added) == 1
            else t("playlist.added_many", tracks=_tracks(len(added)), name=name)
        )
        size = _tracks(len(tracks)) if existing else t("playlist.new_playlist")
        message = t("playlist.added", added=message, size=size)
        if len(added) < len(new):
            message = sentences(
                message,
                t(
                    "playlist.added_partly",
                    left_out=len(new) - len(added),
                    limit=self.limits.tracks_per_playlist,
                ),
            )
        return ac.Done(message)

    async def remove(self, command: ac.RemoveFromPlaylist) -> ac.Done:
        """Remove one track by its position in /playlist show."""
        async with self._changing(command.user_id) as store:
            name = await self._existing_name(store, command.user_id, command.playlist)
            tracks = (await self._load(store, command.user_id, name)).tracks
            if not 1 <= command.position <= len(tracks):
                if not tracks:
                    raise UserError("playlist.empty", name=name)
                raise UserError(
                    "playlist.bad_position", position=command.position, name=name, size=len(tracks)
                )
            removed = tracks.pop(command.position - 1)
            await store.save(command.user_id, name, tracks)
        return ac.Done(t("playlist.removed", title=removed.title, name=name))

    # -- helpers --------------------------------------------------------------

    def _store_or_refuse(self) -> PlaylistStore:
        if self._store is None:
            raise ServiceUnavailable("playlist.no_database")
        return self._store

    @asynccontextmanager
    async def _changing(self, user_id: int) -> AsyncIterator[PlaylistStore]:
        """The store, while no other change of this user's playlists runs."""
        store = self._store_or_refuse()
        lock = self._locks.get(user_id)
        if lock is None:
            lock = self._locks[user_id] = asyncio.Lock()
        async with lock:
            yield store

    def _check_room(self, summaries: Sequence[PlaylistSummary], existing: str | None) -> None:
        if existing is None and len(summaries) >= self.limits.playlists_per_user:
            raise TooManyPlaylists(self.limits.playlists_per_user)

    async def _existing_name(self, store: PlaylistStore, user_id: int, name: str) -> str:
        summaries = await store.summaries(user_id)
        existing = find_name(name, (s.name for s in summaries))
        if existing is None:
            raise PlaylistNotFound(" ".join(name.split())[: self.limits.name_length])
        return existing

    async def _playlist(self, user_id: int, name: str) -> SavedPlaylistValue:
        store = self._store_or_refuse()
        return await self._load(store, user_id, await self._existing_name(store, user_id, name))

    @staticmethod
    async def _load(store: PlaylistStore, user_id: int, name: str) -> SavedPlaylistValue:
        playlist = await store.load(user_id, name)
        if playlist is None:  # deleted since it was listed
            raise PlaylistNotFound(name)
        return playlist

    async def _tracks_to_add(self, command: ac.AddToPlaylist) -> list[QueuedTrack]:
        if not command.query:
            current = self.service.session(command.guild_id).queue.current
            if current is None:
                raise UserError("playlist.nothing_to_add")
            return [current]
        policy = await self.service.policy(command.guild_id)
        loaded = await self.service.loader.load(
            command.query, requester_id=command.user_id, default_source=policy.default_source
        )
        return loaded.tracks[:1] if loaded.is_search else loaded.tracks


def _tracks(count: int) -> Text:
    return plural(count, "common.track", "common.tracks")
