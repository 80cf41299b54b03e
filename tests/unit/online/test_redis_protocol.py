"""The vectorised MSET framing is the RESP redis-py would send, byte for byte."""

from __future__ import annotations

import hiredis
import pyarrow as pa
import pytest

from featureops.online.redis_protocol import mset_commands


def parsed(buffers: list) -> list[list[bytes]]:
    reader = hiredis.Reader()
    reader.feed(b"".join(bytes(buffer) for buffer in buffers))
    commands = []
    while (command := reader.gets()) is not False:
        commands.append(command)
    return commands


@pytest.mark.parametrize("chunk", [1, 2, 3, 100])
def test_mset_commands_frame_every_pair_in_chunks(chunk: int) -> None:
    keys = pa.array(["1", "é|x", "", "42", "k\r\n"])
    values = pa.array([b"\x01\r\n\x00", b"", b"v" * 300, b"$5\r\n", b"\xff"], pa.binary())
    prefix = b"fo:view:7:"

    buffers, count = mset_commands(keys, values, prefix, chunk)

    pairs = [[prefix + k.encode(), v]
             for k, v in zip(keys.to_pylist(), values.to_pylist(), strict=True)]
    expected = [[b"MSET", *[item for pair in pairs[i:i + chunk] for item in pair]]
                for i in range(0, len(pairs), chunk)]
    assert parsed(buffers) == expected
    assert count == len(expected)


def test_mset_commands_honour_a_sliced_batch() -> None:
    keys = pa.array([str(i) for i in range(10)]).slice(4, 3)
    values = pa.array([bytes([i]) * i for i in range(10)], pa.binary()).slice(4, 3)

    buffers, count = mset_commands(keys, values, b"p:", 2)

    assert count == 2
    assert parsed(buffers) == [[b"MSET", b"p:4", b"\x04" * 4, b"p:5", b"\x05" * 5],
                               [b"MSET", b"p:6", b"\x06" * 6]]
