"""Exceptions whose message is meant for the user who ran the command."""

from __future__ import annotations

from typing import Any

from bot.i18n.text import Text, t


class UserError(Exception):
    """Something the user can fix or should know, as a catalog key and its parameters.

    `text` is what the gateway renders in the reader's language; `message` is
    the English rendering, for logs and the REST API.
    """

    def __init__(self, key: str | Text, /, **params: Any) -> None:
        self.text = key if isinstance(key, Text) else t(key, **params)
        self.message = self.text.english
        super().__init__(self.message)


class NotInVoice(UserError):
    """The user must be in a voice channel for this command."""

    def __init__(self) -> None:
        super().__init__("errors.not_in_voice")


class NothingPlaying(UserError):
    """The command needs a playing track."""

    def __init__(self) -> None:
        super().__init__("errors.nothing_playing")


class ServiceUnavailable(UserError):
    """A backend (Lavalink, the audio side) is not ready."""


class RateLimited(UserError):
    """The user sends commands too fast."""

    def __init__(self, retry_after: float, key: str = "errors.slow_down") -> None:
        super().__init__(key, seconds=round(max(retry_after, 1)))
        self.retry_after = retry_after
