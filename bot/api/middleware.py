"""Request middlewares, outermost first: correlation id and access log, JSON errors, deadline.

* `observe` binds a new correlation id for the request (so every line it causes,
  across the bus, carries it), returns it as `X-Correlation-ID`, counts the
  request and writes one access-log line through loguru. With tracing on, the
  request gets a span and the correlation id is its trace id.
* `json_errors` turns every failure into `{"error": {"code", "message"}}`: aiohttp's
  own HTTP errors keep their status, the bot's errors are mapped by
  `errors.from_exception`, anything else is logged and answered with a 500
  that quotes the correlation id, never a traceback.
* `deadline` gives each request `api.request_timeout` seconds (event streams excepted).
"""

from __future__ import annotations

import asyncio
import time

from aiohttp import web
from aiohttp.typedefs import Handler
from loguru import logger

from bot.api.errors import ApiError, error_response, from_exception
from bot.api.metrics import API_LATENCY, API_REQUESTS
from bot.api.port import BotPort
from bot.api.tracing import finish_span, request_span
from bot.correlation import correlation, current_correlation_id
from bot.tracing import trace_id

PORT: web.AppKey[BotPort] = web.AppKey("port", BotPort)
# Routes whose requests last as long as the client stays (no deadline, no latency metric).
STREAMING_ROUTES = frozenset({"events"})
# Scraped or probed every few seconds: logged at DEBUG so they do not drown the rest.
QUIET_ROUTES = frozenset({"/health", "/ready", "/metrics"})
CORRELATION_HEADER = "X-Correlation-ID"
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
CLIENT_CLOSED = 499  # the client hung up before the answer (nginx's convention)

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def route_label(request: web.Request) -> str:
    """The route template (`/api/v1/guilds/{guild_id}/player`), or `unmatched`: bounded."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


def _route_name(request: web.Request) -> str | None:
    return request.match_info.route.name


@web.middleware
async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Correlation id, metrics and the access log for one request."""
    route = route_label(request)
    method = request.method if request.method in KNOWN_METHODS else "other"
    tracer = request.app[PORT].tracer
    with (
        request_span(tracer, request.headers, method, route, request.path) as span,
        correlation(trace_id(span)) as cid,
    ):
        started = time.perf_counter()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            if not response.prepared:
                response.headers[CORRELATION_HEADER] = cid
            return response
        except web.HTTPException as exc:  # only redirects get past json_errors
            status = exc.status
            raise
        except asyncio.CancelledError:
            status = CLIENT_CLOSED
            raise
        finally:
            elapsed = time.perf_counter() - started
            finish_span(span, status)
            API_REQUESTS.labels(route, method, str(status)).inc()
            if _route_name(request) not in STREAMING_ROUTES:
                API_LATENCY.labels(route).observe(elapsed)
            logger.log(
                "DEBUG" if route in QUIET_ROUTES else "INFO",
                "{} {} {} {:.1f}ms from {}",
                request.method,
                request.path,
                status,
                elapsed * 1000,
                request.remote,
            )


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every error as JSON with the right status (see the module docstring)."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        headers = {k: v for k, v in exc.headers.items() if k.lower() in ("allow", "retry-after")}
        code = _HTTP_CODES.get(exc.status, "http_error")
        return error_response(exc.status, code, exc.reason, headers=headers)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        mapped = from_exception(exc)
        if mapped is not None:
            return mapped.response()
        logger.opt(exception=exc).error("{} {} failed", request.method, request.path)
        cid = current_correlation_id() or "-"
        return error_response(
            500, "internal", f"Something went wrong on our side (error id {cid})."
        )


@web.middleware
async def deadline(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer within `api.request_timeout` seconds or give a 504."""
    if _route_name(request) in STREAMING_ROUTES:
        return await handler(request)
    timeout = request.app[PORT].settings.request_timeout
    try:
        async with asyncio.timeout(timeout):
            return await handler(request)
    except TimeoutError:
        raise ApiError(504, "timeout", f"No answer within {timeout:g}s. Try again.") from None
