"""The cross-run dedup index: JSONL in the state dir, a header line then one line per emitted cluster.

The header records the parameters signatures depend on (num_perm, seed, shingle size), so a run refuses an index
it cannot compare against instead of silently starting empty (which would emit a week of stories again). Each
cluster line holds the kept id, the exact keys of every copy, the first-seen time and the kept copy's MinHash
signature and shingle count; band keys are derived from the signature when the index is read.

Version 2 adds what tells a changed reappearance (a new version) from an unchanged one (a duplicate): the emitted
record's `v` (version), `o` (outlet), `th` (headline hash), `ph` (paragraph hashes) and `pt` (published time),
and `fp`, the fingerprints of every text the cluster has been seen with (transforms/dedup/versions.py). A
version-1 line has none of them: it reads as version 1 with unknown content (`VersionInfo.known` false), and only
a body hash missing from its keys proves a change (README, Story versions).
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

import orjson

from transforms.dedup.keys import is_band
from transforms.dedup.neardup import DedupConfig

INDEX_FORMAT = "wirebeam-dedup-index"
INDEX_VERSION = 2
# Fingerprints remembered per cluster: a live blog retitled every hour must not grow its line without bound; the
# oldest are dropped first (an old text reappearing after that many newer ones would be emitted again).
MAX_FINGERPRINTS = 64


@dataclasses.dataclass(frozen=True, slots=True)
class VersionInfo:
    """What an index line remembers of the emitted record's version (defaults: a version-1 line)."""

    version: int = 1
    outlet: str | None = None
    fingerprints: tuple[str, ...] = ()
    title_hash: str | None = None
    paragraphs: tuple[str, ...] | None = None
    published: float | None = None  # POSIX seconds of the emitted record's published_at

    @property
    def known(self) -> bool:
        """False for a version-1 line: its content was not recorded."""
        return self.paragraphs is not None


class IndexFormatError(ValueError):
    """The dedup index in the state dir cannot be used: the message states what is wrong with it. What to do
    about it is the caller's to say (the CLI names its flags: pipeline/state.py)."""


class IndexTooNew(IndexFormatError):
    """The index was written by a newer wirebeam, in a format version this one does not read."""


class IndexParameterMismatch(IndexFormatError):
    """The index's signatures were made with another MinHash parameter than this run's: they cannot be compared.
    `parameter` names it (a DedupConfig field), `indexed` and `current` are its two values."""

    def __init__(self, parameter: str, indexed: Any, current: Any) -> None:
        super().__init__(parameter, indexed, current)  # the args pickle: Beam may carry the error between processes
        self.parameter, self.indexed, self.current = parameter, indexed, current

    def __str__(self) -> str:
        return (
            f"dedup index was built with {self.parameter}={self.indexed}, this run uses {self.current}: "
            "their signatures cannot be compared"
        )


def index_header(cfg: DedupConfig | None = None) -> str:
    cfg = cfg or DedupConfig()
    return orjson.dumps(
        {
            "format": INDEX_FORMAT,
            "version": INDEX_VERSION,
            "num_perm": cfg.num_perm,
            "seed": cfg.seed,
            "shingle_size": cfg.shingle_size,
        }
    ).decode()


def index_line(
    story_id: str,
    keys: Sequence[str],
    first_seen: dt.datetime,
    signature: bytes = b"",
    n_shingles: int = 0,
    info: VersionInfo | None = None,
) -> str:
    """One emitted cluster: its kept id, exact keys, the kept copy's MinHash signature (band keys are derived
    from the signature when the index is read) and, with `info`, its version."""
    record: dict[str, Any] = {
        "id": story_id,
        "keys": [k for k in keys if not is_band(k)],
        "first_seen": first_seen.isoformat(),
    }
    if signature:
        record["sig"] = base64.b64encode(signature).decode()
        record["n"] = n_shingles
    if info is not None:
        record["v"] = info.version
        if info.outlet is not None:
            record["o"] = info.outlet
        if info.known:
            record["fp"] = list(info.fingerprints[-MAX_FINGERPRINTS:])
            record["th"] = info.title_hash
            record["ph"] = list(info.paragraphs or ())
        if info.published is not None:
            record["pt"] = info.published
    return orjson.dumps(record).decode()


def version_info(obj: dict[str, Any]) -> VersionInfo:
    """The version part of a parsed index line; a version-1 line gives version 1 with unknown content."""
    known = isinstance(obj.get("fp"), list) and isinstance(obj.get("ph"), list)
    return VersionInfo(
        version=int(obj.get("v") or 1),
        outlet=obj.get("o"),
        fingerprints=tuple(obj["fp"]) if known else (),
        title_hash=obj.get("th") if known else None,
        paragraphs=tuple(obj["ph"]) if known else None,
        published=obj.get("pt"),
    )


def check_index_header(line: str, cfg: DedupConfig | None = None) -> None:
    """Refuse an index this version cannot read: IndexTooNew, IndexParameterMismatch, else IndexFormatError."""
    try:
        header = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise IndexFormatError(f"dedup index header is not JSON ({exc})") from exc
    if not isinstance(header, dict) or header.get("format") != INDEX_FORMAT:
        raise IndexFormatError("dedup index has no wirebeam header")
    version = header.get("version")
    if not isinstance(version, int):
        raise IndexFormatError(f"dedup index header has no format version ({version!r})")
    if version > INDEX_VERSION:
        raise IndexTooNew(f"dedup index version {version!r} is newer than this wirebeam reads ({INDEX_VERSION})")
    cfg = cfg or DedupConfig()
    for name in ("num_perm", "seed", "shingle_size"):
        if name in header and header[name] != getattr(cfg, name):
            raise IndexParameterMismatch(name, header[name], getattr(cfg, name))


def parse_index_line(line: str) -> dict[str, Any] | None:
    """One index line → dict; None for the header. Raises IndexFormatError on a corrupt line."""
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise IndexFormatError(f"corrupt dedup index line ({exc}): {line[:120]!r}") from exc
    if "format" in obj:
        return None
    if not isinstance(obj.get("id"), str) or not isinstance(obj.get("keys"), list):
        raise IndexFormatError(f"corrupt dedup index line: {line[:120]!r}")
    return obj


def expired(obj: dict[str, Any], now: dt.datetime, retention: dt.timedelta) -> bool:
    """An index entry first seen before the retention window: forgotten."""
    return dt.datetime.fromisoformat(obj["first_seen"]) < now - retention
