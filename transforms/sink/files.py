"""Whole-or-absent files on a local path or gs:// (through Beam's FileSystems): the run folders and the state
folder are written only through these, so a crash leaves the old file or the new one, never half of one."""

from __future__ import annotations

import os
from collections.abc import Iterable

from apache_beam.io.filesystems import FileSystems


def join(base: str, *parts: str) -> str:
    return FileSystems.join(base, *parts) if base.startswith("gs://") else os.path.join(base, *parts)


def read_text(path: str) -> str | None:
    """A file's text, or None when it does not exist."""
    if not FileSystems.exists(path):
        return None
    with FileSystems.open(path) as handle:
        return handle.read().decode("utf-8")


def write_atomic(path: str, data: str | Iterable[str]) -> None:
    """Write to `path.tmp`, then rename over `path` (os.replace locally: atomic on POSIX)."""
    tmp = path + ".tmp"
    chunks = [data] if isinstance(data, str) else data
    if path.startswith("gs://"):
        with FileSystems.create(tmp) as handle:
            for chunk in chunks:
                handle.write(chunk.encode("utf-8"))
        if FileSystems.exists(path):
            FileSystems.delete([path])
        FileSystems.rename([tmp], [path])
        return
    with open(tmp, "w", encoding="utf-8") as handle:
        for chunk in chunks:
            handle.write(chunk)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
