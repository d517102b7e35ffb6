"""An in-memory MinHash-LSH index over signatures only, for the evaluation and the LSH benchmark.

It decides as the pipeline does against an earlier run, where only a story's signature and shingle count are
kept: candidates from the LSH bands, verified on the estimated overlap (`neardup.overlap_verdict`). The
pipeline itself finds candidates by shuffling band keys (transforms/dedup/stage.py); this is the
single-process version, measured against datasketch's MinHashLSH in benchmarks/bench_dedup.py.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence

import numpy as np

from transforms.dedup.neardup import DedupConfig, DocSketch, band_slices, overlap_verdict


def _band_ints_or_slices(raw: bytes, cfg: DedupConfig) -> Sequence[int | bytes]:
    """Bucket keys: a band of one or two rows is one machine word, read in a single C call."""
    if cfg.rows == 2:
        return np.frombuffer(raw, dtype="<u8", count=cfg.bands).tolist()
    if cfg.rows == 1:
        return np.frombuffer(raw, dtype="<u4", count=cfg.bands).tolist()
    return band_slices(raw, cfg)


class SignatureIndex:
    """Signatures of the stories seen so far, one bucket table per LSH band."""

    def __init__(self, cfg: DedupConfig) -> None:
        self.cfg = cfg
        self._ids: list[str] = []
        self._sigs: list[bytes] = []
        self._sizes: list[int] = []
        self._pos: dict[str, int] = {}
        # One table per band, keyed by the band's bytes. A bucket is a bare int until it has a second member,
        # then an array: neither is tracked by the cyclic GC, which otherwise dominates at 32 lists per story.
        self._tables: list[dict[int | bytes, int | array[int]]] = [{} for _ in range(cfg.bands)]

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, story_id: str, sig: np.ndarray | bytes, n_shingles: int) -> None:
        """Remember a story (signature as uint32 array or its little-endian bytes); an id already seen is kept."""
        raw = self._checked(sig)
        if story_id in self._pos:
            return
        pos = self._append(story_id, raw, n_shingles)
        if n_shingles > 0:
            for table, key in zip(self._tables, _band_ints_or_slices(raw, self.cfg), strict=True):
                bucket = table.get(key)
                if bucket is None:
                    table[key] = pos
                elif isinstance(bucket, int):
                    table[key] = array("q", (bucket, pos))
                else:
                    bucket.append(pos)

    def add_sketch(self, sketch: DocSketch) -> None:
        self.add(sketch.id, sketch.signature, sketch.n_shingles)

    def query(self, sig: np.ndarray | bytes, n_shingles: int) -> list[str]:
        """Ids of remembered stories this signature near-duplicates (estimated), best match first."""
        if n_shingles == 0:
            return []
        raw = self._checked(sig)
        cands: set[int] = set()
        for table, key in zip(self._tables, _band_ints_or_slices(raw, self.cfg), strict=True):
            hit = table.get(key)
            if hit is None:
                continue
            if isinstance(hit, int):
                cands.add(hit)
            else:
                cands.update(hit)
        return self._verify(raw, cands, n_shingles)

    def query_sketch(self, sketch: DocSketch) -> list[str]:
        return self.query(sketch.signature, sketch.n_shingles)

    def query_and_add(self, story_id: str, sig: np.ndarray | bytes, n_shingles: int) -> list[str]:
        """:meth:`query` then :meth:`add`, in one pass over the band tables (a new id with shingles)."""
        if story_id in self._pos or n_shingles == 0:
            hits = self.query(sig, n_shingles)
            self.add(story_id, sig, n_shingles)
            return [h for h in hits if h != story_id]
        raw = self._checked(sig)
        pos = self._append(story_id, raw, n_shingles)
        cands: set[int] = set()
        for table, key in zip(self._tables, _band_ints_or_slices(raw, self.cfg), strict=True):
            bucket = table.get(key)
            if bucket is None:
                table[key] = pos
            elif isinstance(bucket, int):
                cands.add(bucket)
                table[key] = array("q", (bucket, pos))
            else:
                cands.update(bucket)
                bucket.append(pos)
        return self._verify(raw, cands, n_shingles)

    def _checked(self, sig: np.ndarray | bytes) -> bytes:
        raw = sig if isinstance(sig, bytes) else np.ascontiguousarray(sig, dtype="<u4").tobytes()
        if len(raw) != 4 * self.cfg.num_perm:
            raise ValueError(f"signature must hold {self.cfg.num_perm} uint32 values, got {len(raw)} bytes")
        return raw

    def _append(self, story_id: str, raw: bytes, n_shingles: int) -> int:
        pos = len(self._ids)
        self._ids.append(story_id)
        self._sigs.append(raw)
        self._sizes.append(int(n_shingles))
        self._pos[story_id] = pos
        return pos

    def _verify(self, raw: bytes, cands: set[int], n_shingles: int) -> list[str]:
        if not cands:
            return []
        order = sorted(cands)
        mine = np.frombuffer(raw, dtype="<u4")
        # All candidates in one comparison: rows of their signatures against this one.
        others = np.frombuffer(b"".join([self._sigs[pos] for pos in order]), dtype="<u4").reshape(len(order), -1)
        jaccards = np.count_nonzero(others == mine, axis=1) / mine.size
        scored = []
        for pos, jac in zip(order, jaccards.tolist(), strict=True):
            inter = jac / (1.0 + jac) * (n_shingles + self._sizes[pos])
            if overlap_verdict(inter, n_shingles, self._sizes[pos], self.cfg):
                scored.append((-jac, self._ids[pos]))
        return [story_id for _, story_id in sorted(scored)]
