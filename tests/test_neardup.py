"""Tests of transforms.dedup.neardup: exact keys, shingles, signatures, verification, clustering; and of the
signature-only index of the evaluation (evaluation/signature_index.py)."""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from evaluation.signature_index import SignatureIndex
from transforms.dedup import neardup as nd

CFG = nd.DedupConfig()
SHARED = Path(os.environ.get("WIREBEAM_SHARED", Path(__file__).resolve().parents[1].parent / "shared"))
ARTICLES = SHARED / "corpora" / "article-html" / "trafilatura-eval"

# A made-up wire story (five paragraphs) and an unrelated one, long enough for containment to apply.
STORY = [
    "LISBON (Wire) — Portugal's parliament on Thursday approved a budget that raises spending on rail lines, "
    "hospitals and public housing, after weeks of talks between the minority government and two smaller parties.",
    "The plan passed with 116 votes in favour and 98 against, the speaker said, ending a standoff that had "
    "threatened to force an early election for the second time in three years.",
    "Finance minister Ana Ribeiro told lawmakers the budget would keep the deficit below one percent of gross "
    "domestic product while lifting pensions by an average of three percent from January.",
    "Opposition leaders said the spending rise relied on optimistic growth forecasts and warned that a slowdown "
    "in tourism, the country's largest export, could open a hole in public finances next year.",
    "The budget now goes to the president, who has twenty days to sign it or send it back to parliament, "
    "although aides said he was expected to approve it before the end of the month.",
]
OTHER = [
    "NAIROBI (Wire) — Heavy rain swept across western Kenya overnight, flooding farms near Lake Victoria and "
    "cutting the main road between Kisumu and the Ugandan border for several hours on Friday.",
    "Local officials said no deaths had been reported but that hundreds of families had moved to schools and "
    "churches on higher ground while engineers checked two damaged bridges.",
    "The meteorological department forecast more storms through the weekend and urged residents of low-lying "
    "villages to stay away from rivers that had burst their banks.",
]
BOILERPLATE = (
    "Sign up for our morning newsletter and get the day's most important stories delivered to your inbox "
    "before breakfast. Follow us on social media, download our app, and support independent journalism by "
    "becoming a subscriber today. Copyright 2026 The Daily Example. All rights reserved. Read our privacy "
    "policy and terms of use before commenting on any article on this website. More from The Daily Example: "
    "the best restaurants in town this winter, ten questions with the mayor, our guide to the city's parks, "
    "weekend events for families, and the crossword. Advertise with us, contact the newsroom, send us a tip."
)


def sketch(doc_id: str, text: str, cfg: nd.DedupConfig = CFG, **kw: Any) -> nd.DocSketch:
    return nd.make_sketch(doc_id, "", text, cfg, **kw)


# ----------------------------------------------------------------------------------------------------
# Exact keys
# ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "HTTPS://WWW.Example.COM:443/news/story-1/?utm_source=rss&id=5&a=1#top",
            "https://example.com/news/story-1?a=1&id=5",
        ),
        ("http://example.com/news/story-1?fbclid=abc&gclid=def", "https://example.com/news/story-1"),
        ("https://example.com/news/story-1/amp/", "https://example.com/news/story-1"),
        ("https://amp.example.com/amp/news/story-1", "https://example.com/news/story-1"),
        ("http://m.example.com/news/story-1.amp.html?mc_cid=1", "https://example.com/news/story-1.html"),
        (
            "https://www-example-com.cdn.ampproject.org/c/s/www.example.com/news/story-1",
            "https://example.com/news/story-1",
        ),
        ("https://example.com:8080/a//b/", "https://example.com:8080/a/b"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com/article?id=7&page=2", "https://example.com/article?id=7&page=2"),
        ("mailto:desk@example.com", "mailto:desk@example.com"),
        ("  not a url  ", "not a url"),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert nd.canonical_url(url) == expected


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("The quick brown fox.", "the  QUICK\nbrown fox", True),
        ("“Quoted” — text, here", '"quoted" - text here', True),
        ("The quick brown fox.", "The quick brown dog.", False),
        ("", "   ", True),
    ],
)
def test_content_hash_normalizes(a: str, b: str, same: bool) -> None:
    assert (nd.content_hash(a) == nd.content_hash(b)) is same


def test_content_hash_is_stable_across_runs() -> None:
    # A literal: changing the normalization changes every stored hash, so it must be deliberate.
    assert nd.content_hash("The quick brown fox jumps over the lazy dog.") == "5bfb7372bdb2f169ed8c800e5ee441e8"


# ----------------------------------------------------------------------------------------------------
# Tokens, shingles, signatures
# ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Hello, World! hello world",
        "Brücke BRÜCKE brücke Bruecke",
        "Über die Brücke — 2026 fuhren 3,5 Mio. Autos",
        "日本語 テキスト and emoji 🙂 mixed",
        "snake_case under_scores",
        "",
    ],
)
def test_token_hashes_match_word_tokens(text: str) -> None:
    words = nd.normalized_words(text)
    hashes = nd.token_hashes(text)
    assert hashes.dtype == np.uint64
    assert len(hashes) == len(words)
    # Equal words hash equal, different words differ.
    for i in range(len(words)):
        for j in range(len(words)):
            assert (hashes[i] == hashes[j]) == (words[i] == words[j])


@pytest.mark.parametrize(
    ("text", "k", "expected"),
    [
        ("a b c d e", 4, 2),
        ("a b c a b c a b c", 3, 3),  # abc, bca, cab
        ("one two", 4, 1),  # shorter than k: the whole text is one shingle
        ("", 4, 0),
        ("... --- !!!", 4, 0),
    ],
)
def test_shingle_hashes_count(text: str, k: int, expected: int) -> None:
    hashes = nd.shingle_hashes(text, k)
    assert hashes.dtype == np.uint64
    assert hashes.size == expected
    assert np.all(hashes[1:] > hashes[:-1])  # sorted and unique


def test_signature_and_band_keys_are_pinned() -> None:
    # Literal values: the cross-run index compares signatures from different runs and machines.
    sig = nd.signature(nd.shingle_hashes("The quick brown fox jumps over the lazy dog.", 4), CFG)
    assert sig.dtype == np.uint32 and sig.shape == (128,)
    assert sig[:4].tolist() == [695054424, 3836517497, 695054424, 1136356501]
    assert nd.band_keys(sig, CFG)[:2] == ["00:58b06d29799cace4", "01:58b06d29956cbb43"]
    assert len(nd.band_keys(sig, CFG)) == CFG.bands


def test_empty_document_has_no_band_keys() -> None:
    sig = nd.signature(nd.shingle_hashes("", 4), CFG)
    assert not sig.any()
    assert nd.band_keys(sig, CFG) == []


@pytest.mark.parametrize(("size", "jaccard"), [(1000, 0.2), (1000, 0.5), (1000, 0.8), (40, 0.5), (5, 0.6)])
def test_estimated_jaccard_is_unbiased(size: int, jaccard: float) -> None:
    rng = np.random.default_rng(size)
    errors = []
    for _ in range(60):
        common = round(2 * size * jaccard / (1 + jaccard))
        shared = rng.integers(0, 2**63, size=common, dtype=np.uint64)
        a = np.unique(np.concatenate([shared, rng.integers(0, 2**63, size=size - common, dtype=np.uint64)]))
        b = np.unique(np.concatenate([shared, rng.integers(0, 2**63, size=size - common, dtype=np.uint64)]))
        true = common / (2 * size - common)
        errors.append(nd.estimated_jaccard(nd.signature(a, CFG), nd.signature(b, CFG)) - true)
    assert abs(float(np.mean(errors))) < 0.02
    assert float(np.std(errors)) < 0.08


def test_signature_sorts_unsorted_input() -> None:
    hashes = nd.shingle_hashes(" ".join(STORY), 4)
    shuffled = np.random.default_rng(0).permutation(hashes)
    assert np.array_equal(nd.signature(shuffled, CFG), nd.signature(hashes, CFG))


# ----------------------------------------------------------------------------------------------------
# Verification and boilerplate
# ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("copy", "expected"),
    [
        ("\n".join(STORY), True),  # identical
        ("\n".join(STORY[:2]), True),  # tail trimmed to the lead: containment 1.0
        ("\n".join(STORY[1:]), True),  # lead trimmed
        ("\n".join([*STORY[:3], OTHER[0], *STORY[3:]]), True),  # a local paragraph inserted
        ("\n".join(STORY).replace("Thursday", "Friday").replace("116", "117"), True),  # words edited
        ("\n".join(OTHER), False),  # unrelated
        ("\n".join([*OTHER, STORY[2]]), False),  # another story quoting one paragraph
        ("Finance minister Ana Ribeiro told lawmakers", False),  # too short for containment
    ],
)
def test_is_near_duplicate(copy: str, expected: bool) -> None:
    original = sketch("a", "\n".join(STORY))
    assert nd.is_near_duplicate(original, sketch("b", copy), CFG) is expected
    assert nd.is_near_duplicate(sketch("b", copy), original, CFG) is expected


@pytest.mark.parametrize(
    ("title_margin", "title_b", "expected"),
    [
        (0.0, "Portugal parliament approves budget after weeks of talks", False),  # default: titles unused
        (0.2, "Portugal parliament approves budget after weeks of talks", True),
        (0.2, "Lisbon lawmakers back spending plan after talks", False),  # title Jaccard 0.15 < 0.6
        (0.2, "Floods cut road in western Kenya", False),
        (0.1, "Portugal parliament approves budget after weeks of talks", False),  # body J 0.33 < 0.5 - 0.1
    ],
)
def test_title_rescues_only_close_pairs(title_margin: float, title_b: str, expected: bool) -> None:
    cfg = nd.DedupConfig(title_margin=title_margin)
    title_a = "Portugal parliament approves budget after weeks of talks"
    a = nd.make_sketch("a", title_a, "\n".join([*STORY[:3], OTHER[1]]), cfg)
    b = nd.make_sketch("b", title_b, "\n".join([*STORY[1:4], OTHER[0]]), cfg)
    assert nd.is_near_duplicate(a, b, cfg) is expected


def test_boilerplate_removal_separates_stories_sharing_an_outlet_footer() -> None:
    texts = [f"{OTHER[0]}\n{BOILERPLATE}", f"{STORY[0]}\n{BOILERPLATE}", f"{STORY[3]}\n{BOILERPLATE}",
             f"{OTHER[2]}\n{BOILERPLATE}"]
    hashes = [nd.shingle_hashes(t, CFG.shingle_size) for t in texts]
    plain = [sketch(str(i), t) for i, t in enumerate(texts)]
    assert nd.is_near_duplicate(plain[0], plain[1], CFG)  # the footer dominates both
    drop = nd.frequent_shingles(hashes, CFG.boilerplate_min_docs)
    assert drop.size > 40
    cleaned = [
        sketch(str(i), t, boilerplate=drop, hashes=h) for i, (t, h) in enumerate(zip(texts, hashes, strict=True))
    ]
    assert not nd.is_near_duplicate(cleaned[0], cleaned[1], CFG)
    assert cleaned[0].n_shingles < plain[0].n_shingles


@pytest.mark.parametrize(("min_docs", "expected"), [(2, [2, 3]), (3, [3]), (4, [])])
def test_frequent_shingles(min_docs: int, expected: list[int]) -> None:
    sets = [np.array([1, 2, 3], dtype=np.uint64), np.array([2, 3], dtype=np.uint64),
            np.array([3, 9], dtype=np.uint64)]
    assert nd.frequent_shingles(sets, min_docs).tolist() == expected


def test_drop_shingles() -> None:
    hashes = np.array([1, 4, 7, 9], dtype=np.uint64)
    assert nd.drop_shingles(hashes, np.array([4, 9, 12], dtype=np.uint64)).tolist() == [1, 7]
    assert nd.drop_shingles(hashes, None).tolist() == [1, 4, 7, 9]


def test_estimated_verification_matches_exact_on_clear_cases() -> None:
    a = sketch("a", "\n".join(STORY))
    trimmed = sketch("b", "\n".join(STORY[:3]))
    other = sketch("c", "\n".join(OTHER))
    assert nd.estimated_near_duplicate(a.sig_array(), a.n_shingles, trimmed.sig_array(), trimmed.n_shingles, CFG)
    assert not nd.estimated_near_duplicate(a.sig_array(), a.n_shingles, other.sig_array(), other.n_shingles, CFG)


def test_sketch_is_compact_and_picklable() -> None:
    s = nd.make_sketch("id-1", "Budget passes", "\n".join(STORY), CFG, source="wire", published=1.5e9)
    restored = pickle.loads(pickle.dumps(s))
    assert restored == s
    assert len(s.signature) == CFG.num_perm * 4
    assert len(s.shingles) == s.n_shingles * 4
    assert len(pickle.dumps(s)) < 2 * len("\n".join(STORY))


def test_title_fallback_for_items_without_body() -> None:
    a = nd.make_sketch("a", "Portugal parliament approves budget raising rail spending", "", CFG)
    b = nd.make_sketch("b", "Portugal parliament approves budget raising rail spending", " ", CFG)
    assert a.n_shingles > 0 and a.signature == b.signature


# ----------------------------------------------------------------------------------------------------
# Clustering
# ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ([], {}),
        ([("b", "a")], {"a": "a", "b": "a"}),
        ([("c", "d"), ("b", "c"), ("x", "y")], {"b": "b", "c": "b", "d": "b", "x": "x", "y": "x"}),
        ([("z", "y"), ("y", "x"), ("x", "w")], {"w": "w", "x": "w", "y": "w", "z": "w"}),
    ],
)
def test_connected_components(pairs: list[tuple[str, str]], expected: dict[str, str]) -> None:
    assert nd.connected_components(pairs) == expected


def _member(doc_id: str, published: float | None, body_len: int) -> nd.DocSketch:
    return nd.DocSketch(doc_id, "s", published, body_len, 0, b"", b"")


@pytest.mark.parametrize(
    ("members", "expected"),
    [
        ([_member("a", 20.0, 100), _member("b", 10.0, 50)], "b"),  # earliest published
        ([_member("a", 10.0, 100), _member("b", 10.0, 500)], "b"),  # tie → longest body
        ([_member("b", 10.0, 100), _member("a", 10.0, 100)], "a"),  # full tie → smallest id
        ([_member("a", None, 900), _member("b", 30.0, 10)], "b"),  # undated copies lose
        ([_member("a", None, 10), _member("b", None, 90)], "b"),
    ],
)
def test_choose_representative(members: list[nd.DocSketch], expected: str) -> None:
    assert nd.choose_representative(members).id == expected


def test_choose_representative_rejects_empty() -> None:
    with pytest.raises(ValueError, match="at least one"):
        nd.choose_representative([])


def test_cluster_sketches_and_candidate_pairs() -> None:
    docs = {
        "s1": "\n".join(STORY),
        "s2": "\n".join(STORY[:2]),
        "s3": "\n".join(STORY[1:]).replace("Thursday", "Friday"),
        "o1": "\n".join(OTHER),
        "o2": "\n".join(OTHER[:2]),
        "e1": "",
    }
    sketches = [sketch(k, v) for k, v in docs.items()]
    assert nd.cluster_sketches(sketches, CFG) == {
        "s1": "s1", "s2": "s1", "s3": "s1", "o1": "o1", "o2": "o1", "e1": "e1"
    }
    pairs = [(a.id, b.id) for a, b in nd.candidate_pairs(sketches[:3])]
    assert pairs == [("s1", "s2"), ("s1", "s3"), ("s2", "s3")]


# ----------------------------------------------------------------------------------------------------
# Configuration
# ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"bands": 100, "rows": 2}, "bands \\* rows"),
        ({"num_perm": 4}, "num_perm"),
        ({"shingle_size": 0}, "shingle_size"),
        ({"threshold": 0.0}, "threshold"),
        ({"containment_threshold": 1.5}, "containment_threshold"),
        ({"boilerplate_min_docs": 1}, "boilerplate_min_docs"),
        ({"seed": -1}, "seed"),
        ({"title_margin": 0.6}, "title_margin"),
    ],
)
def test_config_validation(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        nd.DedupConfig(**kwargs)


# ----------------------------------------------------------------------------------------------------
# Signature-only verification (the evaluation's and the LSH benchmark's index)
# ----------------------------------------------------------------------------------------------------


def test_signature_index_finds_a_trimmed_copy_only() -> None:
    index = SignatureIndex(CFG)
    index.add_sketch(sketch("story-1", "\n".join(STORY)))
    index.add_sketch(sketch("story-2", "\n".join(OTHER)))
    assert index.query_sketch(sketch("copy", "\n".join(STORY[:3]))) == ["story-1"]
    assert index.query_sketch(sketch("o", OTHER[0] + OTHER[1])) == ["story-2"]
    assert index.query_sketch(sketch("empty", "")) == []


def test_signature_index_query_and_add() -> None:
    index = SignatureIndex(CFG)
    first = sketch("s1", "\n".join(STORY))
    assert index.query_and_add(first.id, first.signature, first.n_shingles) == []
    copy = sketch("s2", "\n".join(STORY[1:4]))
    assert index.query_and_add(copy.id, copy.sig_array(), copy.n_shingles) == ["s1"]
    other = sketch("o1", "\n".join(OTHER))
    assert index.query_and_add(other.id, other.signature, other.n_shingles) == []
    assert index.query_and_add(first.id, first.signature, first.n_shingles) == ["s2"]  # an id seen again
    assert len(index) == 3
    with pytest.raises(ValueError, match="128 uint32"):
        index.add("bad", b"short", 5)


@pytest.mark.parametrize(("bands", "rows"), [(64, 1), (32, 2), (32, 4), (42, 3)])
def test_signature_index_finds_trimmed_copy_for_any_banding(bands: int, rows: int) -> None:
    cfg = nd.DedupConfig(bands=bands, rows=rows)
    index = SignatureIndex(cfg)
    index.add_sketch(sketch("s1", "\n".join(STORY), cfg))
    index.add_sketch(sketch("o1", "\n".join(OTHER), cfg))
    assert index.query_sketch(sketch("c", "\n".join(STORY[:4]), cfg)) == ["s1"]


@pytest.mark.parametrize("seen", [["s1"], ["s1", "s2"]])
def test_signature_index_agrees_with_estimated_near_duplicate(seen: list[str]) -> None:
    """The index's vectorized verdict is `estimated_near_duplicate`'s, pair by pair."""
    docs = {"s1": "\n".join(STORY), "s2": "\n".join(STORY[2:]), "o1": "\n".join(OTHER)}
    index = SignatureIndex(CFG)
    for sid in seen:
        index.add_sketch(sketch(sid, docs[sid]))
    for qid, text in docs.items():
        q = sketch(f"q-{qid}", text)
        expected = {
            sid
            for sid in seen
            if nd.estimated_near_duplicate(
                sketch(sid, docs[sid]).sig_array(), sketch(sid, docs[sid]).n_shingles, q.sig_array(), q.n_shingles, CFG
            )
        }
        assert set(index.query_sketch(q)) == expected


# ----------------------------------------------------------------------------------------------------
# Real bodies
# ----------------------------------------------------------------------------------------------------


@pytest.mark.skipif(not ARTICLES.exists(), reason="../shared/corpora/article-html/trafilatura-eval absent")
def test_real_bodies_trimmed_copies_found_and_distinct_pages_apart() -> None:
    import trafilatura

    files = sorted((ARTICLES / "tests" / "eval").glob("*.html"))[:12]
    bodies = [trafilatura.extract(f.read_text(encoding="utf-8", errors="replace"), fast=True) or "" for f in files]
    bodies = [b for b in bodies if len(b.split()) > 150][:8]
    assert len(bodies) >= 5
    sketches = [sketch(f"p{i}", b) for i, b in enumerate(bodies)]
    copies = [sketch(f"p{i}-lead", b[: len(b) // 2]) for i, b in enumerate(bodies)]
    clusters = nd.cluster_sketches(sketches + copies, CFG)
    assert {k: v for k, v in clusters.items() if k.endswith("-lead")} == {
        f"p{i}-lead": f"p{i}" for i in range(len(bodies))
    }
    assert len({clusters[s.id] for s in sketches}) == len(bodies)
