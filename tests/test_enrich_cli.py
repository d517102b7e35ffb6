"""`wirebeam enrich` through the CLI on the user's own data: ids kept, whole pages as pages with their metadata,
a bad line (not UTF-8, a BOM, CRLF) not failing the job."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from tests.conftest import CORPORA, needs_corpora
from tests.test_enrich_input import PAGE
from tests.test_pipeline import only_run, read_run

pytestmark = pytest.mark.e2e


def test_the_users_ids_are_kept_and_stable_and_bad_bytes_are_dead_letters(tmp_path: Path, run_cli) -> None:
    source = tmp_path / "in.jsonl"
    good = {"id": "my-1", "title": "Talks", "text": "GENEVA (AP) — Negotiators met in Geneva on Friday."}
    dated_badly = {"id": "my-2", "text": "x", "published_at": "last Tuesday"}
    latin1 = '{"id": "my-3", "text": "Le café de la gare a fermé à Genève."}'.encode("latin-1")
    source.write_bytes(
        b"\xef\xbb\xbf"  # a byte-order mark, CRLF line ends, a Latin-1 line in the middle
        + json.dumps(good).encode()
        + b"\r\n"
        + latin1
        + b"\r\n"
        + json.dumps(dated_badly).encode()
        + b"\r\n"
        + json.dumps({"id": 4, "text": "BERLIN, March 12 (Reuters) - Angela Merkel spoke in Berlin."}).encode()
        + b"\r\n"
        + json.dumps({"id": "my-1", "title": "Same id again", "text": "Another story under the same id."}).encode()
    )
    ids, kept = [], []
    for run_id in ("first", "second"):
        code, printed = run_cli("enrich", "--input", str(source), "--output", str(tmp_path / "out"), "--run-id", run_id)
        assert code == 0, printed
        manifest, stories, _, dead = read_run(tmp_path / "out" / run_id)
        assert manifest.reconciled and manifest.totals.entries_read == 5
        ids.append(sorted(s.id for s in stories))
        kept.append({s.title for s in stories})
        assert {(d.stage, d.error_type, d.entry_id) for d in dead} == {
            ("input", "not_utf8", "my-3"),
            ("input", "bad_input", "my-2"),
            ("input", "duplicate_id", "my-1"),  # an id names one story: the second line with it is refused
        }
    assert ids[0] == ids[1] == ["4", "my-1"]
    assert kept[0] == kept[1]  # the same line of the two is kept in every run
    not_utf8 = next(d for d in dead if d.error_type == "not_utf8")
    assert "not UTF-8" in not_utf8.message and "0xe9" in not_utf8.message
    my1 = next(s for s in stories if s.id == "my-1")
    assert my1.guid == "my-1" and my1.cluster.id == "my-1"


def test_whole_pages_take_the_article_path_with_their_metadata(tmp_path: Path, run_cli) -> None:
    source = tmp_path / "pages.jsonl"
    undated = PAGE.replace('<meta property="article:published_time" content="2026-03-13T09:30:00-05:00">', "")
    rows = [
        {"id": "page-1", "html": PAGE, "url": "https://harbor.example/seawall"},
        {"id": "page-2", "html": undated, "published_at": "2026-02-02T08:00:00Z"},
        {"id": "fragment", "html": PAGE, "page": False},
    ]
    source.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    code, printed = run_cli("enrich", "--input", str(source), "--output", str(tmp_path / "out"))
    assert code == 0, printed
    manifest, stories, _, dead = read_run(only_run(tmp_path / "out"))
    assert manifest.reconciled and not dead
    by_id = {s.id: s for s in stories}
    page = by_id["page-1"]
    assert (page.title, page.authors) == ("Council backs seawall", ["Jane Doe"])
    assert page.body.startswith("Paragraph 0:") and "Home" not in page.body and "©" not in page.body
    assert page.published_at == dt.datetime(2026, 3, 13, 14, 30, tzinfo=dt.UTC)
    assert page.published_source == "page_meta"
    # "on Monday" resolves against the page's own date, not today
    monday = next(d for d in page.dates if d.text == "Monday")
    assert (monday.anchor, monday.anchor_source) == (dt.date(2026, 3, 13), "published")
    assert monday.value in {"2026-03-09", "2026-03-16"}
    assert by_id["page-2"].published_source == "input"
    # `"page": false` keeps the feed-HTML cleaner: the page's byline and date are not read
    fragment = by_id["fragment"]
    assert (fragment.authors, fragment.published_at, fragment.published_source) == ([], None, None)


@needs_corpora
def test_a_real_page_without_title_or_date(tmp_path: Path, run_cli) -> None:
    page = CORPORA / "article-html" / "trafilatura-eval" / "tests" / "cache" / "theguardian.com.academics.html"
    source = tmp_path / "pages.jsonl"
    source.write_text(json.dumps({"id": "g1", "html": page.read_text(encoding="utf-8")}) + "\n", encoding="utf-8")
    code, printed = run_cli("enrich", "--input", str(source), "--output", str(tmp_path / "out"))
    assert code == 0, printed
    _, (story,), _, dead = read_run(only_run(tmp_path / "out"))
    assert not dead and story.id == "g1"
    assert story.title == "Thousands of UK academics 'treated as second-class citizens'"
    assert story.authors == ["Richard Adams"]
    assert story.published_at is not None and story.published_at.date() == dt.date(2020, 1, 20)
    assert story.published_source is not None and story.published_source.startswith("page_")
    assert "Sign up" not in story.body and len(story.body.split()) > 300
