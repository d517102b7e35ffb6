"""Exact and near-duplicate detection of syndicated wire copy: pure functions.

The Beam composite in ``transforms/dedup/stage.py`` wires these together:

1. exact keys: :func:`canonical_url`, GUID, :func:`content_hash`;
2. :func:`shingle_hashes` per body, :func:`frequent_shingles` per source (boilerplate an outlet repeats in many
   unrelated stories), :func:`make_sketch` → :class:`DocSketch` (signature + exact shingle set);
3. :func:`band_keys` → GroupByKey → :func:`candidate_pairs` → :func:`is_near_duplicate` (exact Jaccard, or
   containment for a trimmed/extended copy) → :func:`connected_components` → :func:`choose_representative`.

Against an earlier run only signatures and set sizes are kept (the cross-run index, in ``stage.py``), so those
pairs are verified by :func:`estimated_near_duplicate`.

:func:`cluster_sketches` is the in-memory reference of step 3, used by the evaluation and by tests of the Beam
version.

Signatures are one-permutation MinHash (Li, Owen & Zhang 2012) with optimal densification (Shrivastava 2017):
shingle hashes are sorted once, bin ``i`` of the signature is the smallest hash whose top bits fall in bin ``i``,
so a signature costs one ``searchsorted`` instead of ``num_perm`` passes over the shingles. Two signatures agree
in a bin with probability equal to the Jaccard similarity, like classic MinHash, so LSH banding works unchanged.
Everything is deterministic across processes, machines and runs: no Python ``hash()``, seeds expanded with a
fixed splitmix64 sequence.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import numpy as np

LOGGER = logging.getLogger(__name__)

_U64 = np.uint64
_MASK64 = (1 << 64) - 1
# Odd 64-bit multipliers: golden ratio and the splitmix64 / murmur3 finalizer constants.
_GOLDEN = 0x9E3779B97F4A7C15
_MIX1 = 0xBF58476D1CE4E5B9
_MIX2 = 0x94D049BB133111EB
# Polynomial base for per-token rolling hashes; odd so it has an inverse modulo 2**64.
_TOKEN_BASE = 0x100000001B3
_TOKEN_BASE_INV = pow(_TOKEN_BASE, -1, 1 << 64)
# Only the Basic Multilingual Plane gets a case-folding table (256 KiB); astral code points (emoji, rare CJK)
# act as separators, which costs nothing on news text.
_BMP = 0x10000
# Densification probes per empty bin before falling back to the next non-empty bin.
_PROBES = 48


# ----------------------------------------------------------------------------------------------------
# Exact duplicates: canonical URL and body hash
# ----------------------------------------------------------------------------------------------------

# Query parameters that only track the click (campaign, referrer, session), never select the content.
_TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "gclsrc", "dclid", "msclkid", "yclid", "mc_cid", "mc_eid", "igshid", "_ga", "_gl",
        "ocid", "cmpid", "cmp", "icid", "ncid", "ns_source", "ns_mchannel", "ns_campaign", "ns_linkname",
        "ns_fee", "ref", "ref_src", "referrer", "src", "source", "smid", "sr_share", "share", "ito", "itm_source",
        "itm_medium", "itm_campaign", "rss", "feed", "feedtype", "partner", "cid", "mbid", "taid", "s_cid",
        "spm", "amp", "outputtype", "output", "at_medium", "at_campaign", "at_custom1", "at_custom2",
        "at_custom3", "at_custom4", "wt.mc_id", "wt_mc_id", "__twitter_impression", "guccounter",
    }
)
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_", "oly_", "vero_", "at_", "ga_")
_DEFAULT_PORTS = {"http": 80, "https": 443}
# AMP variants: /amp, /amp/, /amp.html, .amp, .amp.html at the end of the path; /amp/ as the first segment.
_AMP_SUFFIX_RE = re.compile(r"/amp(?:\.html?)?/?$", re.IGNORECASE)
_AMP_EXT_RE = re.compile(r"\.amp(?=(?:\.html?)?$)", re.IGNORECASE)
_AMP_PREFIX_RE = re.compile(r"^/amp(?=/)", re.IGNORECASE)
# Google's AMP cache: https://www-example-com.cdn.ampproject.org/c/s/www.example.com/path
_AMP_CACHE_RE = re.compile(r"^/[cv]/(?:s/)?(?P<rest>.+)$")
_MULTI_SLASH_RE = re.compile(r"/{2,}")


def _is_tracking_param(name: str) -> bool:
    low = name.lower()
    return low in _TRACKING_PARAMS or low.startswith(_TRACKING_PREFIXES)


def canonical_url(url: str) -> str:
    """Fold the URL variants of one article: scheme/host case, www/amp hosts, default port, tracking params,
    fragment, AMP paths and the AMP cache, trailing slash, query order. Non-HTTP input is returned stripped."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # e.g. an invalid port or IPv6 literal: still a usable key as written
        return url
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        return url
    host = (parts.hostname or "").rstrip(".")
    path = parts.path
    if host.endswith(".cdn.ampproject.org"):
        match = _AMP_CACHE_RE.match(path)
        if match:
            return canonical_url(f"https://{match['rest']}")
    for prefix in ("www.", "amp.", "m."):
        if host.startswith(prefix) and host.count(".") >= 2:
            host = host[len(prefix):]
            break
    # Both schemes reach the same article; https is what a reader gets today.
    scheme = "https"
    if port is not None and port not in _DEFAULT_PORTS.values():
        host = f"{host}:{port}"
    path = _MULTI_SLASH_RE.sub("/", path) or "/"
    path = _AMP_PREFIX_RE.sub("", _AMP_EXT_RE.sub("", _AMP_SUFFIX_RE.sub("", path))) or "/"
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    query = sorted(
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking_param(k)
    )
    return urlunsplit((scheme, host, path, urlencode(query), ""))


def normalized_words(text: str) -> list[str]:
    """NFKC-folded, case-folded word tokens: the text that two copies of a story share."""
    return _WORD_RE.findall(unicodedata.normalize("NFKC", text).casefold())


_WORD_RE = re.compile(r"[^\W_]+")


def content_hash(text: str) -> str:
    """Hex digest of the body's words only, so whitespace, punctuation, quote style and case do not matter."""
    joined = " ".join(normalized_words(text)).encode("utf-8")
    return hashlib.blake2b(joined, digest_size=16).hexdigest()


# ----------------------------------------------------------------------------------------------------
# Configuration
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DedupConfig:
    """Near-duplicate parameters; the defaults were chosen on ``evaluation/eval_dedup.py``.

    - ``num_perm``: signature bins; ``bands * rows`` of them feed LSH.
    - ``bands``/``rows``: 32 × 2 makes a pair a candidate with probability 0.73 at Jaccard 0.2 and 0.985 at
      0.35, so a copy trimmed to a third of the original is still found (verification rejects the rest).
    - ``shingle_size``: words per shingle (4 beat 3, 5 and 7 on recall at equal precision: an edited word
      breaks fewer shingles, and 4 words are still rare enough across unrelated stories).
    - ``threshold``: exact Jaccard of the shingle sets for a near duplicate.
    - ``containment_threshold``: share of the smaller copy's shingles found in the larger one (trimmed lead or
      tail, added paragraphs), applied only when the smaller copy has ``min_containment_shingles`` shingles.
    - ``boilerplate_min_docs``: a shingle found in this many stories of one source is that source's boilerplate.
    - ``title_margin``/``title_threshold``: a pair whose body Jaccard is within ``title_margin`` below
      ``threshold`` is still a duplicate if the titles' word Jaccard reaches ``title_threshold``
      (0 disables it, the default: it gained nothing on the evaluation).
    - ``seed``: fixes the densification probes; indexes built with different seeds are not comparable.
    """

    num_perm: int = 128
    bands: int = 32
    rows: int = 2
    shingle_size: int = 4
    threshold: float = 0.5
    containment_threshold: float = 0.7
    min_containment_shingles: int = 20
    boilerplate_min_docs: int = 4
    title_margin: float = 0.0
    title_threshold: float = 0.6
    seed: int = 1

    def __post_init__(self) -> None:
        if self.num_perm < 8 or self.num_perm > 4096:
            raise ValueError(f"num_perm must be in 8..4096, got {self.num_perm}")
        if self.bands < 1 or self.rows < 1 or self.bands * self.rows > self.num_perm:
            raise ValueError(
                f"bands * rows must be in 1..num_perm ({self.num_perm}), got {self.bands} * {self.rows}"
            )
        if self.shingle_size < 1:
            raise ValueError(f"shingle_size must be >= 1, got {self.shingle_size}")
        if not 0.0 <= self.title_margin < self.threshold:
            raise ValueError(f"title_margin must be in [0, threshold), got {self.title_margin}")
        for name in ("threshold", "containment_threshold", "title_threshold"):
            value = getattr(self, name)
            if not 0.0 < value <= 1.0:
                raise ValueError(f"{name} must be in (0, 1], got {value}")
        if self.min_containment_shingles < 1:
            raise ValueError(f"min_containment_shingles must be >= 1, got {self.min_containment_shingles}")
        if self.boilerplate_min_docs < 2:
            raise ValueError(f"boilerplate_min_docs must be >= 2, got {self.boilerplate_min_docs}")
        if not 0 <= self.seed < 2**63:
            raise ValueError(f"seed must be in 0..2**63-1, got {self.seed}")


# ----------------------------------------------------------------------------------------------------
# Shingles and signatures
# ----------------------------------------------------------------------------------------------------


def _splitmix64(state: int) -> tuple[int, int]:
    """One step of splitmix64: (new state, output). Pure Python so the seed expansion never changes."""
    state = (state + _GOLDEN) & _MASK64
    z = state
    z = ((z ^ (z >> 30)) * _MIX1) & _MASK64
    z = ((z ^ (z >> 27)) * _MIX2) & _MASK64
    return state, z ^ (z >> 31)


def _mix_array(x: np.ndarray) -> np.ndarray:
    """splitmix64 finalizer over a uint64 array, in place."""
    x ^= x >> _U64(30)
    x *= _U64(_MIX1)
    x ^= x >> _U64(27)
    x *= _U64(_MIX2)
    x ^= x >> _U64(31)
    return x


@lru_cache(maxsize=1)
def _fold_table() -> np.ndarray:
    """Code point → case-folded NFKC code point for word characters, 0 for separators (BMP only)."""
    table = np.zeros(_BMP, dtype=np.uint32)
    for cp in range(_BMP):
        ch = chr(cp)
        if not ch.isalnum():
            continue
        folded = unicodedata.normalize("NFKC", ch).casefold()
        # Ligatures and the like fold to several characters; their first one keeps the word together.
        table[cp] = ord(folded[0]) if folded and folded[0].isalnum() else cp
    table.flags.writeable = False
    return table


@lru_cache(maxsize=8)
def _powers(length: int) -> tuple[np.ndarray, np.ndarray]:
    """base**i and base**-i modulo 2**64 for i < length (read-only, shared)."""
    pw = np.cumprod(np.full(length, _TOKEN_BASE, dtype=np.uint64))
    inv = np.cumprod(np.full(length, _TOKEN_BASE_INV, dtype=np.uint64))
    pw = np.concatenate([np.ones(1, dtype=np.uint64), pw[:-1]])
    inv = np.concatenate([np.ones(1, dtype=np.uint64), inv[:-1]])
    pw.flags.writeable = False
    inv.flags.writeable = False
    return pw, inv


def _power_length(n: int) -> int:
    # Round up so a handful of cached power tables serve every document length.
    return max(1024, 1 << (n - 1).bit_length())


def token_hashes(text: str) -> np.ndarray:
    """64-bit hash of every word of ``text`` (NFKC + casefold per character, so the words of
    :func:`normalized_words` except that a character folding to several, like ß → ss, keeps its first), in order.

    Vectorized: the text becomes a code point array, words are runs of word characters, and each word's hash is
    a slice of one prefix-summed polynomial hash, instead of a regex plus a hash call per word (README,
    Deduplication).
    """
    if not text:
        return np.empty(0, dtype=np.uint64)
    cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    cps = np.where(cps < _BMP, cps, 0)
    folded = _fold_table()[cps].astype(np.uint64)
    word = folded != 0
    edges = np.diff(word.astype(np.int8), prepend=np.int8(0), append=np.int8(0))
    starts = np.flatnonzero(edges == 1)
    if starts.size == 0:
        return np.empty(0, dtype=np.uint64)
    ends = np.flatnonzero(edges == -1)
    pw, inv = _powers(_power_length(cps.size + 1))
    prefix = np.empty(cps.size + 1, dtype=np.uint64)
    prefix[0] = 0
    np.cumsum(folded * pw[: cps.size], out=prefix[1:])
    hashes = (prefix[ends] - prefix[starts]) * inv[starts]
    # Fold the length in so no two words of different length share a polynomial; then avalanche.
    hashes += (ends - starts).astype(np.uint64) * _U64(_GOLDEN)
    return _mix_array(hashes)


def shingles_from_tokens(tokens: np.ndarray, k: int) -> np.ndarray:
    """Sorted unique 64-bit hashes of the ``k``-word shingles; a text shorter than ``k`` words is one shingle."""
    n = tokens.size
    if n == 0:
        return np.empty(0, dtype=np.uint64)
    k = min(k, n)
    count = n - k + 1
    acc = tokens[:count].copy()
    for j in range(1, k):
        acc *= _U64(_TOKEN_BASE)
        acc += tokens[j : j + count]
    return _sorted_unique(_mix_array(acc))


def shingle_hashes(text: str, k: int) -> np.ndarray:
    """Sorted unique uint64 hashes of the word ``k``-shingles of ``text``."""
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    return shingles_from_tokens(token_hashes(text), k)


def frequent_shingles(hash_sets: Iterable[np.ndarray], min_docs: int) -> np.ndarray:
    """Sorted shingle hashes present in at least ``min_docs`` of the given per-document sets (each unique).

    Fed with one source's stories, this is the source's boilerplate (newsletter pitch, copyright, "read more"),
    which would otherwise make unrelated stories of that outlet look alike.
    """
    arrays = [h for h in hash_sets if h.size]
    if len(arrays) < min_docs:
        return np.empty(0, dtype=np.uint64)
    values, counts = np.unique(np.concatenate(arrays), return_counts=True)
    return values[counts >= min_docs]


def drop_shingles(hashes: np.ndarray, drop: np.ndarray | None) -> np.ndarray:
    """``hashes`` without the members of the sorted array ``drop``."""
    if drop is None or drop.size == 0 or hashes.size == 0:
        return hashes
    pos = np.searchsorted(drop, hashes)
    pos[pos == drop.size] = 0
    return hashes[drop[pos] != hashes]


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """Sorted unique values: sort + neighbour mask, cheaper than np.unique on a few thousand uint64."""
    if values.size < 2:
        return values.copy()
    ordered = np.sort(values)
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))]


@lru_cache(maxsize=16)
def _probe_table(num_perm: int, seed: int) -> np.ndarray:
    """Seed-derived densification probe sequence, int64[num_perm, _PROBES] of bin indices (read-only)."""
    state = seed & _MASK64
    probes = np.empty((num_perm, _PROBES), dtype=np.int64)
    for i in range(num_perm):
        for a in range(_PROBES):
            state, out = _splitmix64(state)
            probes[i, a] = ((out >> 32) * num_perm) >> 32
    probes.flags.writeable = False
    return probes


def signature(hashes: np.ndarray, cfg: DedupConfig) -> np.ndarray:
    """uint32[num_perm] one-permutation MinHash of a uint64 shingle set (all zeros if empty).

    ``hashes`` as :func:`shingle_hashes` returns them (sorted unique); anything else is sorted first."""
    p = cfg.num_perm
    if hashes.size == 0:
        return np.zeros(p, dtype=np.uint32)
    h = hashes if hashes.size < 2 or bool((hashes[1:] > hashes[:-1]).all()) else _sorted_unique(hashes)
    # Bins are ranges of the hash value, so in a sorted set each bin's minimum is its first element.
    bins = ((h >> _U64(32)) * _U64(p)) >> _U64(32)
    first = np.searchsorted(bins, np.arange(p, dtype=np.uint64))
    clipped = np.minimum(first, h.size - 1)
    filled = (first < h.size) & (bins[clipped] == np.arange(p, dtype=np.uint64))
    # Low half of the bin minimum; the bin itself is fixed by the high half, so nothing is lost.
    values = (h[clipped] & _U64(0xFFFFFFFF)).astype(np.uint32)
    if filled.all():
        return values
    # Optimal densification: an empty bin copies a non-empty bin chosen by a probe sequence that is the same for
    # every document, so two documents agree there exactly when they agree in the copied bin.
    probes = _probe_table(p, cfg.seed)
    empty = np.flatnonzero(~filled)
    hits = filled[probes[empty]]
    choice = probes[empty, np.argmax(hits, axis=1)]
    missing = ~hits.any(axis=1)
    if missing.any():  # a tiny set: next non-empty bin to the right, circularly
        nonempty = np.flatnonzero(filled)
        idx = np.searchsorted(nonempty, empty[missing]) % nonempty.size
        choice[missing] = nonempty[idx]
    values[empty] = values[choice] ^ np.uint32(0x5BD1E995)
    return values


def _sig_bytes(sig: np.ndarray | bytes) -> bytes:
    return sig if isinstance(sig, bytes) else np.ascontiguousarray(sig, dtype="<u4").tobytes()


def band_slices(sig: np.ndarray | bytes, cfg: DedupConfig) -> list[bytes]:
    """The raw bytes of each LSH band (rows consecutive uint32 values). The bins already hold hash values, so
    the bytes themselves are the bucket key: no re-hashing, and a dict lookup per band is all an index needs."""
    raw = _sig_bytes(sig)
    width = 4 * cfg.rows
    return [raw[i * width : (i + 1) * width] for i in range(cfg.bands)]


def band_keys(sig: np.ndarray, cfg: DedupConfig) -> list[str]:
    """LSH bucket keys ``"<band>:<band bytes hex>"``, stable across processes and runs (empty for an empty
    document)."""
    if not sig.any():
        return []
    return [f"{i:02x}:{chunk.hex()}" for i, chunk in enumerate(band_slices(sig, cfg))]


# ----------------------------------------------------------------------------------------------------
# Document sketches and verification
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DocSketch:
    """What dedup needs of a story, compact for Beam shuffles (32-bit shingle hashes, a fixed-size signature).

    ``signature`` is uint32[num_perm], ``shingles`` the sorted top 32 bits of the (boilerplate-free) shingle
    hashes, ``title_words`` the sorted unique uint32 hashes of the title's words, all little-endian bytes.
    ``published`` is POSIX seconds (UTC) or None.
    """

    id: str
    source: str
    published: float | None
    body_len: int
    n_shingles: int
    signature: bytes
    shingles: bytes = field(repr=False)
    title_words: bytes = field(default=b"", repr=False)

    def sig_array(self) -> np.ndarray:
        return np.frombuffer(self.signature, dtype="<u4")

    def shingle_array(self) -> np.ndarray:
        return np.frombuffer(self.shingles, dtype="<u4")

    def title_array(self) -> np.ndarray:
        return np.frombuffer(self.title_words, dtype="<u4")


def _top32(hashes: np.ndarray) -> np.ndarray:
    top = (hashes >> _U64(32)).astype("<u4")
    if top.size > 1:  # sorted input stays sorted; only adjacent duplicates can appear
        top = top[np.concatenate(([True], top[1:] != top[:-1]))]
    return top


def make_sketch(
    doc_id: str,
    title: str,
    body: str,
    cfg: DedupConfig,
    *,
    source: str = "",
    published: float | None = None,
    boilerplate: np.ndarray | None = None,
    hashes: np.ndarray | None = None,
) -> DocSketch:
    """Sketch one story. ``boilerplate`` is its source's :func:`frequent_shingles`; pass ``hashes`` (the body's
    :func:`shingle_hashes`) when already computed for the boilerplate count. An empty body falls back to the
    title, so feed items with a headline only still dedup."""
    if hashes is None:
        text = body if body.strip() else title
        hashes = shingle_hashes(text, cfg.shingle_size)
    kept = drop_shingles(hashes, boilerplate)
    title_words = _sorted_unique((token_hashes(title) >> _U64(32)).astype("<u4"))
    return DocSketch(
        id=doc_id,
        source=source,
        published=published,
        body_len=len(body),
        n_shingles=int(kept.size),
        signature=signature(kept, cfg).astype("<u4").tobytes(),
        shingles=_top32(kept).tobytes(),
        title_words=title_words.tobytes(),
    )


def estimated_jaccard(sig_a: np.ndarray, sig_b: np.ndarray) -> float:
    """Share of agreeing signature bins, an unbiased estimate of the Jaccard similarity."""
    return float(np.count_nonzero(sig_a == sig_b)) / sig_a.size


def overlap_verdict(inter: float, size_a: int, size_b: int, cfg: DedupConfig) -> bool:
    """The near-duplicate verdict from the (exact or estimated) overlap of two shingle sets and their sizes."""
    if size_a == 0 or size_b == 0:
        return False
    union = size_a + size_b - inter
    if union > 0 and inter / union >= cfg.threshold:
        return True
    smaller = min(size_a, size_b)
    return smaller >= cfg.min_containment_shingles and inter / smaller >= cfg.containment_threshold


def similarity(a: DocSketch, b: DocSketch) -> tuple[float, float]:
    """(Jaccard, containment of the smaller in the larger) of the exact shingle sets."""
    sa, sb = a.shingle_array(), b.shingle_array()
    if sa.size == 0 or sb.size == 0:
        return 0.0, 0.0
    inter = np.intersect1d(sa, sb, assume_unique=True).size
    return inter / (sa.size + sb.size - inter), inter / min(sa.size, sb.size)


def is_near_duplicate(a: DocSketch, b: DocSketch, cfg: DedupConfig) -> bool:
    """Verify an LSH candidate pair on the exact shingle sets (Jaccard or containment of a trimmed copy)."""
    sa, sb = a.shingle_array(), b.shingle_array()
    if sa.size == 0 or sb.size == 0:
        return False
    inter = np.intersect1d(sa, sb, assume_unique=True).size
    if overlap_verdict(inter, sa.size, sb.size, cfg):
        return True
    # The title is a weaker signal: it only rescues a pair whose bodies are already close to the threshold.
    if cfg.title_margin <= 0 or inter / (sa.size + sb.size - inter) < cfg.threshold - cfg.title_margin:
        return False
    return title_jaccard(a, b) >= cfg.title_threshold


def title_jaccard(a: DocSketch, b: DocSketch) -> float:
    """Jaccard similarity of the two titles' word sets (0 when either has fewer than 3 words)."""
    ta, tb = a.title_array(), b.title_array()
    if ta.size < 3 or tb.size < 3:
        return 0.0
    inter = np.intersect1d(ta, tb, assume_unique=True).size
    return inter / (ta.size + tb.size - inter)


def estimated_near_duplicate(
    sig_a: np.ndarray, n_a: int, sig_b: np.ndarray, n_b: int, cfg: DedupConfig
) -> bool:
    """:func:`is_near_duplicate` from signatures and set sizes only (what the cross-run index keeps).

    |A∩B| = J/(1+J)·(|A|+|B|) turns the estimated Jaccard into an estimated containment."""
    if n_a == 0 or n_b == 0:
        return False
    jac = estimated_jaccard(sig_a, sig_b)
    inter = jac / (1.0 + jac) * (n_a + n_b)
    return overlap_verdict(inter, n_a, n_b, cfg)


# ----------------------------------------------------------------------------------------------------
# Clustering
# ----------------------------------------------------------------------------------------------------


def candidate_pairs(bucket: Iterable[DocSketch]) -> Iterator[tuple[DocSketch, DocSketch]]:
    """Every pair of one LSH bucket once, the smaller id first (deterministic order)."""
    members = sorted(bucket, key=lambda s: s.id)
    for i, a in enumerate(members):
        for b in members[i + 1 :]:
            if a.id != b.id:
                yield a, b


def connected_components(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Node → smallest id of its component, for every node named in ``pairs``."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:  # path compression
            parent[x], x = root, parent[x]
        return root

    for a, b in pairs:
        parent.setdefault(a, a)
        parent.setdefault(b, b)
        ra, rb = find(a), find(b)
        if ra != rb:
            # The smaller id becomes the root, so the component id is its minimum whatever the pair order.
            if rb < ra:
                ra, rb = rb, ra
            parent[rb] = ra
    return {node: find(node) for node in parent}


def _representative_key(s: DocSketch) -> tuple[bool, float, int, str]:
    return (s.published is None, s.published if s.published is not None else 0.0, -s.body_len, s.id)


def choose_representative(members: Sequence[DocSketch]) -> DocSketch:
    """Earliest published; ties (or no dates) go to the longest body, then the smallest id."""
    if not members:
        raise ValueError("choose_representative needs at least one member")
    return min(members, key=_representative_key)


def cluster_sketches(sketches: Sequence[DocSketch], cfg: DedupConfig) -> dict[str, str]:
    """In-memory reference of the Beam dedup: id → cluster id (smallest member id), singletons included."""
    buckets: dict[tuple[int, bytes], list[int]] = {}
    for idx, s in enumerate(sketches):
        if s.n_shingles == 0:
            continue
        for band, chunk in enumerate(band_slices(s.signature, cfg)):
            buckets.setdefault((band, chunk), []).append(idx)
    seen: set[tuple[int, int]] = set()
    edges: list[tuple[str, str]] = []
    for members in buckets.values():
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                if (a, b) in seen:
                    continue
                seen.add((a, b))
                if is_near_duplicate(sketches[a], sketches[b], cfg):
                    edges.append((sketches[a].id, sketches[b].id))
    roots = connected_components(edges)
    return {s.id: roots.get(s.id, s.id) for s in sketches}
