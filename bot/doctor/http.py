"""GET helpers for the doctor that turn every way a request can fail into one `HttpProblem`."""

from __future__ import annotations

import enum
import json
import socket
from typing import Any

import aiohttp

__all__ = ["HttpProblem", "Reason", "get_json", "get_text"]


class Reason(enum.Enum):
    """Why a request did not get a usable answer."""

    REFUSED = "connection refused"
    DNS = "host name does not resolve"
    TIMEOUT = "no answer in time"
    TLS = "TLS handshake failed"
    NETWORK = "network error"
    STATUS = "error status"
    BAD_BODY = "unexpected body"


class HttpProblem(Exception):
    """A failed GET: the reason, the HTTP status when there was one, and a short summary."""

    def __init__(self, reason: Reason, summary: str, status: int | None = None) -> None:
        super().__init__(summary)
        self.reason = reason
        self.summary = summary
        self.status = status


async def get_text(
    session: aiohttp.ClientSession,
    url: str,
    headers: dict[str, str],
    params: dict[str, str] | None = None,
) -> str:
    """The body of a 2xx answer as text, or `HttpProblem`."""
    try:
        async with session.get(url, headers=headers, params=params) as response:
            body = await response.text()
            if response.status >= 300:
                raise HttpProblem(
                    Reason.STATUS, f"HTTP {response.status} {response.reason}", response.status
                )
            return body
    except aiohttp.ClientConnectorCertificateError as exc:
        raise HttpProblem(Reason.TLS, f"{Reason.TLS.value} (certificate)") from exc
    except (aiohttp.ClientConnectorSSLError, aiohttp.ClientSSLError) as exc:
        raise HttpProblem(Reason.TLS, Reason.TLS.value) from exc
    except aiohttp.ClientConnectorError as exc:
        if isinstance(exc.os_error, ConnectionRefusedError):
            raise HttpProblem(Reason.REFUSED, Reason.REFUSED.value) from exc
        if isinstance(exc.os_error, socket.gaierror):
            raise HttpProblem(Reason.DNS, Reason.DNS.value) from exc
        raise HttpProblem(Reason.NETWORK, f"{Reason.NETWORK.value}: {exc.os_error}") from exc
    except TimeoutError as exc:
        raise HttpProblem(Reason.TIMEOUT, Reason.TIMEOUT.value) from exc
    except aiohttp.ClientError as exc:
        raise HttpProblem(Reason.NETWORK, f"{Reason.NETWORK.value}: {type(exc).__name__}") from exc


async def get_json(
    session: aiohttp.ClientSession,
    url: str,
    headers: dict[str, str],
    params: dict[str, str] | None = None,
) -> Any:
    """The JSON body of a 2xx answer, or `HttpProblem`."""
    text = await get_text(session, url, headers, params)
    try:
        return json.loads(text)
    except ValueError as exc:
        raise HttpProblem(Reason.BAD_BODY, "the answer is not JSON") from exc
