"""Writing files whole or not at all, with the permissions any other program gives them.

Every file featureops writes (reports, registry JSON, YAML edits, Parquet) goes through a
partial file next to the target, renamed over it once complete, so a reader or a crash
never sees half a file. The partial file is opened like any new file, so its mode follows
the umask (0644 under umask 022), unlike ``tempfile.mkstemp``'s 0600; rewriting an
existing file keeps that file's mode.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["replacing", "write_bytes_atomic", "write_text_atomic"]


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A fresh path beside ``path`` for the caller (or a library: Parquet, DuckDB) to create;
    renamed over ``path`` when the block ends normally, deleted when it raises."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.partial")
    try:
        yield partial
        if path.exists():
            os.chmod(partial, path.stat().st_mode & 0o7777)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def write_bytes_atomic(path: Path, data: bytes) -> None:
    with replacing(path) as partial, open(partial, "xb") as stream:
        stream.write(data)


def write_text_atomic(path: Path, text: str) -> None:
    """``text`` as UTF-8, line endings as given."""
    write_bytes_atomic(path, text.encode("utf-8"))
