"""Streaming features (issue #14): windowed_aggregate views kept fresh from a stream
source's events (the speed layer), merged with the batch layer when served, and rebuilt
from the retained log by replay. See docs/streaming.md."""
