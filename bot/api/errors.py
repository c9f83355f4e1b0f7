"""API errors: one exception type carrying status, code and message, and the one mapping
from the bot's own errors to it. Responses are `{"error": {"code", "message"}}`."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.bus import BusError, BusTimeout
from bot.errors import NothingPlaying, NotInVoice, RateLimited, ServiceUnavailable, UserError
from bot.music.queue import BadPosition, QueueFull
from bot.music.timefmt import BadTime
from bot.playback.loader import LoadFailed, NothingFound


class ApiError(Exception):
    """An error answer: HTTP status, a stable machine code and a message for people."""

    def __init__(
        self, status: int, code: str, message: str, *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def response(self) -> web.Response:
        """The JSON response for this error."""
        return error_response(self.status, self.code, self.message, headers=self.headers)


def error_response(
    status: int, code: str, message: str, *, headers: dict[str, str] | None = None
) -> web.Response:
    """`{"error": {"code", "message"}}` with `status`."""
    body: dict[str, Any] = {"error": {"code": code, "message": message}}
    return web.json_response(body, status=status, headers=headers)


def bad_request(message: str) -> ApiError:
    """400: the request cannot be read (bad JSON, bad path parameter)."""
    return ApiError(400, "bad_request", message)


def invalid(message: str) -> ApiError:
    """422: the request is readable but a field is wrong."""
    return ApiError(422, "invalid_argument", message)


# Most specific first: the first matching type decides.
_USER_ERRORS: tuple[tuple[type[UserError], int, str], ...] = (
    (ServiceUnavailable, 503, "unavailable"),
    (BadTime, 422, "invalid_argument"),
    (BadPosition, 422, "invalid_argument"),
    (NothingFound, 422, "nothing_found"),
    (LoadFailed, 422, "load_failed"),
    (QueueFull, 409, "queue_full"),
    (NotInVoice, 409, "not_in_voice"),
    (NothingPlaying, 409, "nothing_playing"),
)


def from_exception(exc: BaseException) -> ApiError | None:
    """The API error for one of the bot's own errors; None for anything unexpected."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, RateLimited):
        retry = f"{max(exc.retry_after, 1):.0f}"
        return ApiError(429, "rate_limited", exc.message, headers={"Retry-After": retry})
    if isinstance(exc, UserError):
        for kind, status, code in _USER_ERRORS:
            if isinstance(exc, kind):
                return ApiError(status, code, exc.message)
        # The rest are refusals because of the guild's state (wrong channel, nothing to shuffle).
        return ApiError(409, "conflict", exc.message)
    if isinstance(exc, BusTimeout):
        return ApiError(504, "timeout", "The music service is taking too long. Try again.")
    if isinstance(exc, BusError):
        return ApiError(503, "unavailable", "The music service is not available right now.")
    return None
