"""Log servers a stream source is read from: NATS JetStream and Redis Streams."""

from __future__ import annotations

from dataclasses import replace

from featureops.streaming.sources import StreamSource
from featureops.streaming.transports.base import Delivery, Lag, Transport, TransportError
from featureops.streaming.transports.config import StreamingSettings

__all__ = ["Delivery", "Lag", "Transport", "TransportError", "open_transport"]


def open_transport(settings: StreamingSettings, source: StreamSource) -> Transport:
    """The configured transport for ``source`` (not connected yet), its subject under the
    settings' prefix."""
    if settings.subject_prefix:
        source = replace(source, subject=settings.subject_prefix + source.subject)
    if settings.transport == "redis":
        from featureops.streaming.transports.redis_streams import RedisStreamsTransport

        return RedisStreamsTransport(source, settings.group, settings.ack_wait_seconds,
                                     url_env=settings.redis_url_env)
    from featureops.streaming.transports.jetstream import JetStreamTransport

    return JetStreamTransport(source, settings.group, settings.ack_wait_seconds,
                              url_env=settings.nats_url_env)
