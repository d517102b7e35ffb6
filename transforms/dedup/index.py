"""The cross-run dedup index: JSONL in the state dir, a header line then one line per emitted cluster.

The header records the parameters signatures depend on (num_perm, seed, shingle size), so a run refuses an index
it cannot compare against instead of silently starting empty (which would emit a week of stories again). Each
cluster line holds the kept id, the exact keys of every copy, the first-seen time and the kept copy's MinHash
signature and shingle count; band keys are derived from the signature when the index is read.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Sequence
from typing import Any

import orjson

from transforms.dedup.keys import is_band
from transforms.dedup.neardup import DedupConfig

INDEX_FORMAT = "wirebeam-dedup-index"
INDEX_VERSION = 1


class IndexFormatError(ValueError):
    """The dedup index in the state dir cannot be used (not JSON, no wirebeam header, newer, other parameters)."""


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
    story_id: str, keys: Sequence[str], first_seen: dt.datetime, signature: bytes = b"", n_shingles: int = 0
) -> str:
    """One emitted cluster: its kept id, exact keys, the kept copy's MinHash signature (band keys are derived
    from the signature when the index is read)."""
    record: dict[str, Any] = {
        "id": story_id,
        "keys": [k for k in keys if not is_band(k)],
        "first_seen": first_seen.isoformat(),
    }
    if signature:
        record["sig"] = base64.b64encode(signature).decode()
        record["n"] = n_shingles
    return orjson.dumps(record).decode()


def check_index_header(line: str, cfg: DedupConfig | None = None) -> None:
    """Refuse an index this version cannot read, with a message that says what to do."""
    try:
        header = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise IndexFormatError(f"dedup index header is not JSON ({exc}); fix it or rerun with --reset-state") from exc
    if not isinstance(header, dict) or header.get("format") != INDEX_FORMAT:
        raise IndexFormatError("dedup index has no wirebeam header; fix it or rerun with --reset-state")
    version = header.get("version")
    if not isinstance(version, int) or version > INDEX_VERSION:
        raise IndexFormatError(
            f"dedup index version {version!r} is newer than this wirebeam reads ({INDEX_VERSION}); "
            "upgrade wirebeam or rerun with --reset-state"
        )
    cfg = cfg or DedupConfig()
    for name in ("num_perm", "seed", "shingle_size"):
        if name in header and header[name] != getattr(cfg, name):
            raise IndexFormatError(
                f"dedup index was built with {name}={header[name]}, this run uses {getattr(cfg, name)}: their "
                "signatures cannot be compared; use the same --dedup-shingle-size or rerun with --reset-state"
            )


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
