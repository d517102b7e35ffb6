"""`wirebeam report`: what the page counts, how it bins time, that it is self-contained, and that a real browser
renders its sections."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from pipeline.cli import main as cli_main
from pipeline.report import bar_chart, collect, date_month, month_bins, render, table, time_bins, write_report
from schemas.story import (
    Cluster,
    ClusterCopy,
    DateMention,
    DeadLetter,
    Duplicate,
    EnrichedStory,
    Entity,
    FeedCounts,
    FeedSource,
    Manifest,
    Mention,
)

AT = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)
FEED_A, FEED_B = "https://a.example/feed.xml", "https://b.example/rss"
BODY = "Anneke Roels met Pieter de Graaf in Rotterdam on Tuesday. Roels said Rotterdam would recover."


def _story(n: int, size: int, title: str, hours: int) -> EnrichedStory:
    sid = f"s{n}"
    copies = [ClusterCopy(id=f"{sid}-{i}", source=FEED_B if i else FEED_A, title=title) for i in range(size)]
    rotterdam = [Mention(start=m.start(), end=m.end(), text="Rotterdam") for m in re.finditer("Rotterdam", BODY)]
    return EnrichedStory(
        id=sid,
        title=title,
        body=BODY,
        source=FeedSource(url=FEED_A),
        content_hash=sid,
        fetched_at=AT,
        published_at=AT + dt.timedelta(hours=hours),
        entities=[
            Entity(text="Rotterdam", label="GPE", start=36, end=45, canonical="Rotterdam", mentions=rotterdam, count=2),
            Entity(
                text="Anneke Roels",
                label="PERSON",
                start=0,
                end=12,
                canonical="Anneke Roels",
                mentions=[Mention(start=0, end=12, text="Anneke Roels")],
                count=1,
            ),
        ],
        dates=[
            DateMention(text="Tuesday", start=49, end=56, value="2026-11-24", type="DATE", anchor=AT.date()),
        ],
        cluster=Cluster(id=sid, size=size, copies=copies),
        processed_at=AT,
    )


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("out") / "20261124T090000Z-abc123"
    folder.mkdir()
    stories = [
        _story(1, 3, "Port strike <script>alert(1)</script>", 0),
        _story(2, 1, "Rail deal", 5),
        _story(3, 2, "Tea exports", 30),
    ]
    (folder / "stories-00000-of-00001.jsonl").write_text("".join(s.model_dump_json() + "\n" for s in stories))
    dups = [
        Duplicate(id=f"d{i}", duplicate_of="s1", reason="url" if i < 2 else "near", source=FEED_B) for i in range(3)
    ]
    (folder / "duplicates-00000-of-00001.jsonl").write_text("".join(d.model_dump_json() + "\n" for d in dups))
    dead = [
        DeadLetter(
            stage="fetch", error_type="http_error", message="HTTP 404 <Not Found>", source=FEED_B, http_status=404,
            at=AT,
        ),
        DeadLetter(stage="clean", error_type="empty_body", message="no text", source=FEED_A, entry_id="e9", at=AT),
        DeadLetter(stage="clean", error_type="empty_body", message="no text", source=FEED_A, entry_id="e8", at=AT),
    ]
    (folder / "dead_letter-00000-of-00001.jsonl").write_text("".join(d.model_dump_json() + "\n" for d in dead))
    feeds = {
        FEED_A: FeedCounts(entries_read=8, stories=3, duplicates=3, dead_letters=2),
        FEED_B: FeedCounts(feed_errors=1, http_status=404, feed_error="http_error"),
    }
    manifest = Manifest(
        run_id=folder.name,
        command="run",
        started_at=AT,
        finished_at=AT + dt.timedelta(seconds=2),
        wirebeam_version="0+test",
        options={},
        feeds=feeds,
        totals=FeedCounts(entries_read=8, stories=3, duplicates=3, dead_letters=2, feed_errors=1),
        reconciled=True,
        files={},
    )
    (folder / "manifest.json").write_text(manifest.model_dump_json(indent=2))
    return folder


def test_collect_counts_what_the_page_shows(run_dir: Path) -> None:
    s = collect(str(run_dir))
    assert s.stories == 3
    assert [(c.size, c.story_id) for c in s.clusters] == [(3, "s1"), (2, "s3")]
    assert s.duplicate_reasons == Counter({"url": 2, "near": 1})
    assert s.dead_classes == Counter({("clean", "empty_body"): 2, ("fetch", "http_error"): 1})
    assert s.entity_mentions[("Rotterdam", "GPE")] == 6
    assert s.entity_stories[("Rotterdam", "GPE")] == 3
    assert s.date_months == Counter({"2026-11": 3})
    assert s.words == 3 * len(BODY.split())


def test_page_escapes_text_and_has_no_external_resource(run_dir: Path) -> None:
    page = render(collect(str(run_dir)))
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert not re.search(r"""(src|href)\s*=|@import|url\(""", page)
    for section in ("feeds", "dead-letters", "duplicates", "entities", "timeline", "dates"):
        assert f'<section id="{section}">' in page


def test_the_feeds_table_shows_why_a_feed_failed(run_dir: Path) -> None:
    summary = collect(str(run_dir))
    assert summary.feed_messages == {(FEED_B, "http_error"): "HTTP 404 <Not Found>"}  # not the entries' letters
    feeds = render(summary).split('<section id="feeds">', 1)[1].split("</section>", 1)[0]
    assert "<th>feed error</th>" in feeds
    rows = {row.split("</td>", 1)[0].removeprefix("<td>"): row for row in feeds.split("<tr>")[2:]}
    assert rows[FEED_B].endswith("<td>http_error: HTTP 404 &lt;Not Found&gt;</td></tr>")  # the error text, escaped
    assert rows[FEED_A].endswith("<td></td></tr>")


def test_a_feed_error_without_its_dead_letter_shows_its_class(run_dir: Path, tmp_path: Path) -> None:
    """A run folder whose dead-letter files are gone (or a feed whose letter was cut) still names the class."""
    copy = tmp_path / run_dir.name
    shutil.copytree(run_dir, copy)
    (copy / "dead_letter-00000-of-00001.jsonl").unlink()
    page = render(collect(str(copy)))
    assert "<td>http_error</td></tr>" in page


@pytest.mark.parametrize(
    ("hours", "unit", "first", "count"),
    [
        ([0, 5, 30], "hour", ("11-24 09:00", 1), 31),
        ([0, 24 * 20], "day", ("2026-11-24", 1), 21),
        ([0, 24 * 200], "month", ("2026-11", 1), 8),
        ([0, 24 * 365 * 20], "year", ("2026", 1), 21),
        ([], "day", None, 0),
    ],
)
def test_time_bins(hours: list[int], unit: str, first: tuple[str, int] | None, count: int) -> None:
    got_unit, bins = time_bins([AT + dt.timedelta(hours=h) for h in hours])
    assert got_unit == unit
    assert len(bins) == count
    assert (bins[0] if bins else None) == first
    assert sum(n for _, n in bins) == len(hours)


@pytest.mark.parametrize(
    ("value", "month"),
    [("2014-03-16", "2014-03"), ("2014-03", "2014-03"), ("2014", None), ("2014-W10", None), ("P1M", None)],
)
def test_date_month(value: str, month: str | None) -> None:
    assert date_month(value) == month


def test_month_bins_leave_out_outliers() -> None:
    months = Counter({"1066-10": 1, "2026-01": 40, "2026-03": 59})
    bins, left_out = month_bins(months)
    assert bins == [("2026-01", 40), ("2026-02", 0), ("2026-03", 59)]
    assert left_out == 1


def test_bar_chart_draws_one_bar_per_bin() -> None:
    svg = bar_chart([("a", 1), ("b", 0), ("c<", 4)], "Stories per day")
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert svg.count('<rect class="bar"') == 3
    assert "c&lt;: 4" in svg
    assert bar_chart([], "Nothing") == '<p class="empty">No data for “Nothing”.</p>'


def test_table_escapes_cells() -> None:
    assert table(("a", "n"), [("<b>", 1)]) == (
        '<table><thead><tr><th>a</th><th>n</th></tr></thead><tbody><tr><td>&lt;b&gt;</td><td class="num">1</td>'
        "</tr></tbody></table>"
    )


def test_cli_writes_the_page(run_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "r.html"
    out = io.StringIO()
    assert cli_main(["report", str(run_dir), "--out", str(target)], out=out) == 0
    assert out.getvalue() == f"{target}\n"
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_cli_refuses_a_folder_without_manifest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["report", str(tmp_path)], out=io.StringIO()) == 3
    assert capsys.readouterr().err == (
        f"wirebeam report: {tmp_path} is not a finished run (No such file or directory: {tmp_path}/manifest.json)\n"
    )


def test_cli_given_the_output_folder_names_its_latest_run(
    run_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    older, latest = out / "20261123T090000Z-aaaaaa", out / "20261124T090000Z-bbbbbb"
    for n, folder in enumerate((older, latest)):
        shutil.copytree(run_dir, folder)
        os.utime(folder / "manifest.json", (1_800_000_000 + n, 1_800_000_000 + n))
    (out / "20261125T090000Z-cccccc").mkdir()  # an incomplete run: no manifest
    assert cli_main(["report", str(out)], out=io.StringIO()) == 3
    assert capsys.readouterr().err.endswith(f"; it holds 2 finished runs, the latest {latest}\n")


CHROMIUM = shutil.which("chromium")


@pytest.mark.skipif(CHROMIUM is None, reason="chromium absent: apt-get install -y chromium")
def test_page_renders_in_a_headless_browser(run_dir: Path, tmp_path: Path) -> None:
    page = write_report(str(run_dir), str(tmp_path / "report.html"))
    assert CHROMIUM is not None
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--dump-dom",
        Path(page).as_uri(),
    ]
    dom = subprocess.run(command, capture_output=True, text=True, timeout=90, check=True).stdout
    # The DOM as the browser built it: every section with its heading, the tables' rows, the charts' bars.
    for section, heading in (
        ("feeds", "Counts per feed"),
        ("dead-letters", "Dead letters by class"),
        ("duplicates", "Largest duplicate clusters"),
        ("entities", "Top entities"),
        ("timeline", "Stories over time"),
        ("dates", "Dated mentions"),
    ):
        assert re.search(rf'<section id="{section}"><h2>{heading}</h2>', dom), section
    timeline = dom.split('<section id="timeline">', 1)[1].split("</section>", 1)[0]
    assert timeline.count('<rect class="bar"') == 31
    assert '<td>clean</td><td>empty_body</td><td class="num">2</td>' in dom
    assert "&lt;script&gt;" in dom and "<script>" not in dom
