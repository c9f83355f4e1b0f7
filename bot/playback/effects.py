"""Audio effects, SponsorBlock and lyrics for the playback service.

Effects are part of the guild's session (`GuildSession.effects`, saved with
the queue) and are sent as the player's `filters`. SponsorBlock categories are
a guild setting (`sponsorblock_categories`): chosen once, they outlive leaving
voice and restarts. Lavalink forgets both whenever a player is created anew
(a join, a voice reconnect, a rebuild on another node or session), so
`on_new_player` sends them again, and before the track starts: the
SponsorBlock plugin reads its categories when a track starts.

Refusals name what the node lacks: a filter turned off in its config, or the
SponsorBlock / LavaLyrics plugin not installed (read from `/v4/info`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import aiohttp
import mafic
from loguru import logger

from bot import audio_commands as ac
from bot.bus import Channel
from bot.errors import NothingPlaying, ServiceUnavailable, UserError
from bot.events import SegmentSkipped, SegmentsLoaded
from bot.i18n import Text, t
from bot.music.filters import Effect, EffectChain
from bot.music.sources import NODE_SOURCES, NodeCapabilities
from bot.nodes import pool_nodes
from bot.playback.plugins import (
    LYRICS_PLUGIN,
    SEGMENT_NAMES,
    SPONSORBLOCK_CATEGORIES,
    SPONSORBLOCK_PLUGIN,
    clear_sponsorblock,
    fetch_lyrics,
    put_sponsorblock,
)
from bot.playback.session import GuildSession

if TYPE_CHECKING:
    from bot.playback.service import PlaybackService

__all__ = ["EFFECTS_LABEL", "Effects"]

EFFECTS_LABEL = "effects"
"""The label of the bot's one filter in mafic's per-player filter list."""

NO_SPONSORBLOCK = "sponsorblock.no_plugin"
NO_LYRICS = "lyrics.no_plugin"
NO_LYRICS_WITH_LAVASRC = "lyrics.no_plugin_with_lavasrc"
# What a node that went away mid-request raises, besides mafic's own errors.
_NODE_ERRORS = (mafic.MaficException, aiohttp.ClientError, TimeoutError, UserError)

CapabilitiesOf = Callable[[mafic.Node[Any]], Awaitable[NodeCapabilities]]


class Effects:
    """Filters, SponsorBlock categories and lyrics, for `PlaybackService`."""

    def __init__(
        self, service: PlaybackService, *, capabilities: CapabilitiesOf | None = None
    ) -> None:
        self.service = service
        self.capabilities = capabilities or NODE_SOURCES.capabilities

    # -- filters --------------------------------------------------------------

    async def set_filter(self, command: ac.SetFilter) -> ac.Done:
        """Add an effect to the guild's chain and send the chain to Lavalink."""
        session, player = self._player(command)
        effect = Effect(command.effect, command.value)
        chain = session.effects.with_effect(effect)
        await self._send(player, chain)
        session.effects = chain
        await self.service.changed(session, "effects")
        if not chain:
            return ac.Done(t("effects.off"))
        if effect not in chain.effects:
            return ac.Done(
                t("effects.back_to_normal", effect=effect.name.capitalize(), active=_active(chain))
            )
        return ac.Done(t("effects.on", effect=effect.label, active=_active(chain)))

    async def reset_filters(self, command: ac.ResetFilters) -> ac.Done:
        """Turn every effect off."""
        session, player = self._player(command)
        if not session.effects:
            return ac.Done(t("effects.none"))
        await self._send(player, EffectChain())
        session.effects = EffectChain()
        await self.service.changed(session, "effects")
        return ac.Done(t("effects.off"))

    def _player(self, command: ac.VoiceCommand) -> tuple[GuildSession, mafic.Player[Any]]:
        session = self.service.require_same_channel(command)
        player = self.service.voice.player(command.guild_id)
        if player is None:
            raise NothingPlaying()
        return session, player

    async def _send(self, player: mafic.Player[Any], chain: EffectChain) -> None:
        capabilities = await self.capabilities(player.node)
        off = chain.filter_names() - capabilities.filters if capabilities.filters else set()
        if off:
            raise UserError("effects.filter_disabled", filters=", ".join(sorted(off)))
        try:
            if chain:
                await player.add_filter(chain.to_filter(), label=EFFECTS_LABEL)
            else:
                await player.clear_filters()
        except mafic.PlayerNotConnected:
            raise NothingPlaying() from None
        except mafic.HTTPBadRequest as exc:
            logger.warning("Lavalink refused filters {}: {}", chain.payload(), exc)
            raise UserError("effects.refused") from None

    # -- a new player ---------------------------------------------------------

    async def on_new_player(self, session: GuildSession, player: mafic.Player[Any]) -> None:
        """Give a new player the session's effects and the guild's SponsorBlock categories.

        Never raises: playback goes on without them, and the reason is logged.
        """
        if session.effects:
            try:
                await self._send(player, session.effects)
            except _NODE_ERRORS as exc:
                logger.warning("could not restore effects in guild {}: {}", session.guild_id, exc)
        try:
            categories = await self._categories(session.guild_id)
        except Exception as exc:  # the settings are unreadable (database down, nothing cached)
            logger.warning("no SponsorBlock for guild {}'s new player: {!r}", session.guild_id, exc)
            return
        if categories:
            try:
                await self._apply_categories(player, categories)
            except _NODE_ERRORS as exc:
                logger.warning(
                    "could not restore SponsorBlock in guild {}: {}", session.guild_id, exc
                )

    # -- SponsorBlock ---------------------------------------------------------

    async def set_sponsorblock(self, command: ac.SetSponsorBlock) -> ac.Done:
        """Store the guild's categories and send them to its player, if it has one."""
        categories = frozenset(command.categories)
        unknown = categories - SPONSORBLOCK_CATEGORIES.keys()
        if unknown:
            raise UserError("sponsorblock.unknown_category", category=min(unknown)[:40])
        player = self.service.voice.player(command.guild_id)
        node = player.node if player is not None else _least_loaded_node()
        if node is None:
            raise ServiceUnavailable("service.no_node")
        if (await self.capabilities(node)).has_plugin(SPONSORBLOCK_PLUGIN) is False:
            raise UserError(NO_SPONSORBLOCK)
        if player is not None:
            await self._apply_categories(player, categories)
        await self.service.update_settings(
            command.guild_id, sponsorblock_categories=sorted(categories)
        )
        if not categories:
            return ac.Done(t("sponsorblock.off"))
        return ac.Done(t("sponsorblock.will_skip", categories=_category_list(categories)))

    async def show_sponsorblock(self, command: ac.ShowSponsorBlock) -> ac.SponsorBlockStatus:
        """The guild's categories, and why they can't apply if the node lacks the plugin."""
        categories = tuple(sorted(await self._categories(command.guild_id)))
        player = self.service.voice.player(command.guild_id)
        node = player.node if player is not None else _least_loaded_node()
        problem: Text | None = None
        if (
            node is not None
            and (await self.capabilities(node)).has_plugin(SPONSORBLOCK_PLUGIN) is False
        ):
            problem = t(NO_SPONSORBLOCK)
        return ac.SponsorBlockStatus(categories, problem)

    async def _categories(self, guild_id: int) -> frozenset[str]:
        return frozenset((await self.service.policy(guild_id)).sponsorblock_categories)

    async def _apply_categories(
        self, player: mafic.Player[Any], categories: frozenset[str]
    ) -> None:
        capabilities = await self.capabilities(player.node)
        if capabilities.has_plugin(SPONSORBLOCK_PLUGIN) is False:
            raise UserError(NO_SPONSORBLOCK)
        try:
            if categories:
                await put_sponsorblock(player, categories)
            else:
                await clear_sponsorblock(player)
        except mafic.HTTPNotFound:
            # The node did not say which plugins it has, and the route is not there.
            raise UserError(NO_SPONSORBLOCK) from None

    async def on_plugin_event(self, guild_id: int, data: dict[str, Any]) -> None:
        """SponsorBlock's `SegmentsLoaded` and `SegmentSkipped`: tell the channel, briefly."""
        session = self.service.sessions.get(guild_id)
        if session is None:
            return
        kind = data.get("type")
        if kind == "SegmentsLoaded":
            segments = [s for s in data.get("segments") or () if isinstance(s, dict)]
            if not segments:
                return
            categories = tuple(dict.fromkeys(str(s.get("category", "")) for s in segments))
            event: Any = SegmentsLoaded(
                guild_id=guild_id,
                text_channel_id=session.text_channel_id,
                categories=categories,
                count=len(segments),
            )
        elif kind == "SegmentSkipped":
            raw = data.get("segment")
            segment: dict[str, Any] = raw if isinstance(raw, dict) else {}
            end = _ms(segment.get("end"))
            async with session.lock:  # the plugin seeked past the segment
                if session.queue.current is not None:
                    session.set_position(end, self.service.clock())
                    await self.service.changed(session, "segment_skipped")
            event = SegmentSkipped(
                guild_id=guild_id,
                text_channel_id=session.text_channel_id,
                category=str(segment.get("category", "")),
                start_ms=_ms(segment.get("start")),
                end_ms=end,
            )
        else:
            logger.debug("ignoring plugin event {} in guild {}", kind, guild_id)
            return
        await self.service.bus.publish(Channel.TO_DISCORD, event)

    # -- lyrics ---------------------------------------------------------------

    async def show_lyrics(self, command: ac.ShowLyrics) -> ac.LyricsResult:
        """The current track's lyrics from the node's lyrics plugin."""
        session = self.service.sessions.get(command.guild_id)
        track = session.queue.current if session is not None else None
        player = self.service.voice.player(command.guild_id)
        if track is None or player is None:
            raise NothingPlaying()
        capabilities = await self.capabilities(player.node)
        if capabilities.has_plugin(LYRICS_PLUGIN) is False:
            raise UserError(
                NO_LYRICS_WITH_LAVASRC if capabilities.has_plugin("lavasrc") else NO_LYRICS
            )
        try:
            lyrics = await fetch_lyrics(player)
        except mafic.HTTPNotFound:
            if capabilities.known:
                raise NothingPlaying() from None  # the node's player has no track
            raise UserError(NO_LYRICS) from None
        if lyrics is None or not lyrics.lines:
            raise UserError("lyrics.not_found", title=track.title[:100])
        return ac.LyricsResult(track.title, lyrics.source, lyrics.provider, lyrics.lines)


def _least_loaded_node() -> mafic.Node[Any] | None:
    """The node a new player would most likely get."""
    nodes = [n for n in pool_nodes() if n.available]
    return min(nodes, key=lambda n: n.weight) if nodes else None


def _active(chain: EffectChain) -> Text:
    return t("effects.active", effects=" + ".join(chain.labels)) if chain else t("effects.none")


def _category_list(categories: frozenset[str]) -> tuple[Text, ...]:
    return tuple(t(SEGMENT_NAMES[c]) for c in sorted(categories))


def _ms(value: Any) -> int:
    """A segment time in ms (the plugin's older versions sent them as strings)."""
    try:
        return max(0, int(float(value)))
    except (TypeError, ValueError):
        return 0
