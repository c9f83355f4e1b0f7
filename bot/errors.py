"""Exceptions whose message is meant for the user who ran the command."""

from __future__ import annotations


class UserError(Exception):
    """Something the user can fix or should know; the message is shown to them as-is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotInVoice(UserError):
    """The user must be in a voice channel for this command."""

    def __init__(self) -> None:
        super().__init__("You need to be in a voice channel.")


class NothingPlaying(UserError):
    """The command needs a playing track."""

    def __init__(self) -> None:
        super().__init__("Nothing is playing.")


class ServiceUnavailable(UserError):
    """A backend (Lavalink, the audio side) is not ready."""


class RateLimited(UserError):
    """The user sends commands too fast."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"Slow down a little: try again in {max(retry_after, 1):.0f}s.")
        self.retry_after = retry_after
