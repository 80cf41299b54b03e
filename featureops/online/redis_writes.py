"""The bulk writes of one Redis version build, on a connection of their own.

Each batch's pre-framed ``MSET`` commands are sent before the replies of the batch before
it are read, so Redis always has the next commands queued: sending a batch and then
waiting for all its replies left Redis idle between batches (about a fifth of a
1M-entity run). Replies are five bytes each, so the few owed never fill a socket buffer.
Every reply is read before the build is published or dropped (``finish``).
"""

from __future__ import annotations

from typing import Any

from featureops._optional import require
from featureops.online.base import OnlineStoreError

redis = require("redis", extra="redis")


class BulkWriter:
    """Sends batches of commands on one pooled connection, reading replies a batch late."""

    def __init__(self, pool: Any, where: str) -> None:
        self._pool = pool
        self._where = where
        self._connection: Any = pool.get_connection()
        self._owed = 0  # replies of the last batch sent, read after the next is sent

    def send(self, buffers: list[bytes | memoryview], replies: int) -> None:
        """Send one batch (``replies`` commands), then read the previous batch's replies."""
        connection = self._open()
        try:
            connection.send_packed_command(buffers, check_health=False)
            self._read(connection, self._owed)
            self._owed = replies
        except BaseException:
            self.close()
            raise

    def finish(self) -> None:
        """Read every reply still owed (a refused write raises) and release the connection."""
        if self._connection is None:
            return
        try:
            self._read(self._connection, self._owed)
            self._owed = 0
        except BaseException:
            self.close()
            raise
        self._pool.release(self._connection)
        self._connection = None

    def close(self) -> None:
        """Drop the connection unread: replies left on it would poison its next user."""
        if self._connection is not None:
            self._connection.disconnect()
            self._pool.release(self._connection)
            self._connection = None

    def _open(self) -> Any:
        if self._connection is None:
            raise OnlineStoreError(f"{self._where}: the build's write connection was closed "
                                   "after an error; run materialize again")
        return self._connection

    def _read(self, connection: Any, count: int) -> None:
        errors = []
        for _ in range(count):
            try:
                connection.read_response()
            except redis.exceptions.ResponseError as error:
                errors.append(error)
        if errors:
            raise OnlineStoreError(f"{self._where} refused a write: {errors[0]}")
