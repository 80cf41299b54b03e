"""How ``featureops serve`` runs uvicorn: its options, and an HTTP protocol with a
header-read timeout.

uvicorn closes a connection left idle *after* a response (``timeout_keep_alive``), but
not one that never completes a request: a client could open connections and send nothing,
or send its headers a byte at a time, and hold them for as long as it liked (1,000 idle
connections were held for 40 s). ``HeaderTimeoutProtocol`` closes a connection whose
request headers are not complete ``header_timeout_seconds`` after it opened, or after the
first byte of its next request; a keep-alive connection idle between requests is left to
``keep_alive_seconds``.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from featureops.serving.settings import ServingSettings

#: Set by ``featureops serve`` from ``serving.header_timeout_seconds``: uvicorn builds the
#: protocol itself, in every worker process, from nothing but its import path.
HEADER_TIMEOUT_ENV = "FEATUREOPS_SERVE_HEADER_TIMEOUT"


def header_timeout() -> float:
    configured = os.environ.get(HEADER_TIMEOUT_ENV)
    if configured:
        return float(configured)
    return ServingSettings.model_fields["header_timeout_seconds"].default


class HeaderTimeoutProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, closing connections whose headers do not arrive."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_deadline: asyncio.TimerHandle | None = None
        self._header_seconds = header_timeout()

    def _arm(self) -> None:
        if self._header_deadline is None:
            self._header_deadline = self.loop.call_later(self._header_seconds,
                                                         self._headers_too_late)

    def _disarm(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _headers_too_late(self) -> None:
        self._header_deadline = None
        if not self.transport.is_closing():
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)


def uvicorn_options(settings: ServingSettings) -> dict[str, Any]:
    """Options of ``uvicorn.run``/``uvicorn.Config`` for the feature server (besides the
    app, host, port and workers)."""
    return {"loop": "uvloop", "http": HeaderTimeoutProtocol,
            "timeout_keep_alive": settings.keep_alive_seconds, "log_level": "warning",
            "access_log": False}
