"""End to end: `wirebeam run` / `wirebeam enrich` through the CLI on real Beam runners, checked on the files."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.state import LOCK_FILE
from schemas.story import DeadLetter, Duplicate, EnrichedStory, Manifest
from tests.conftest import REFERENCE_STORY, ROOT, SAMPLES, needs_reference_story

pytestmark = pytest.mark.e2e


def only_run(output: Path) -> Path:
    (run,) = [p for p in output.iterdir() if p.is_dir()]
    return run


def read_run(run: Path) -> tuple[Manifest, list[EnrichedStory], list[Duplicate], list[DeadLetter]]:
    manifest = Manifest.model_validate_json((run / "manifest.json").read_text())

    def lines(prefix: str) -> list[str]:
        return [line for f in sorted(run.glob(f"{prefix}-*.jsonl")) for line in f.read_text().splitlines()]

    stories = [EnrichedStory.model_validate_json(line) for line in lines("stories")]
    duplicates = [Duplicate.model_validate_json(line) for line in lines("duplicates")]
    dead = [DeadLetter.model_validate_json(line) for line in lines("dead_letter")]
    return manifest, stories, duplicates, dead


def test_run_on_bundled_samples(tmp_path: Path, run_cli) -> None:
    code, printed = run_cli("run", "--output", str(tmp_path))
    assert code == 0, printed
    run = only_run(tmp_path)
    manifest, stories, duplicates, dead = read_run(run)
    assert manifest.reconciled
    assert manifest.totals.entries_read == 14
    assert manifest.totals.entries_read == len(stories) + len(duplicates) + len(dead)
    assert len({s.id for s in stories}) == len(stories)
    # Every story is enriched, and every offset indexes the body (the schema checks it on load, too).
    for story in stories:
        assert story.body and story.title
        assert story.entities, story.title
        for d in story.dates:
            assert (story.title if d.field == "title" else story.body)[d.start : d.end] == d.text
    # The same wire story carried by two outlets is one story whose cluster names both copies: an identical
    # copy (Kenya), and copies with a new headline, a trimmed tail, outlet boilerplate, an added paragraph.
    assert len(stories) == 11 and len(duplicates) == 3
    clusters = {s.title: {c.source.rsplit("/", 1)[-1] for c in s.cluster.copies} for s in stories}
    assert clusters["Kenya's tea exports rebound after drought"] == {"harbor-wire.xml", "metro-daily.json"}
    assert clusters["Rotterdam port strike enters third day as talks stall"] == {
        "harbor-wire.xml",
        "coastal-times.atom",
    }
    assert clusters["Norway holds rates but hints at January cut"] == {"harbor-wire.xml", "metro-daily.json"}
    assert sorted(d.reason for d in duplicates) == ["content_hash", "near", "near"]
    # The summary table names every feed and the run folder; internal files are gone.
    for name in ("harbor-wire.xml", "coastal-times.atom", "metro-daily.json", "TOTAL", str(run)):
        assert name in printed
    assert sorted(p.name.split("-")[0] for p in run.iterdir()) == [
        "dead_letter",
        "duplicates",
        "manifest.json",
        "stories",
    ]


def test_bad_input_becomes_dead_letters_and_counts_reconcile(tmp_path: Path, run_cli) -> None:
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    (feeds / "login.html").write_text("<html><body><form>Please log in</form></body></html>")
    (feeds / "empty.xml").write_bytes(b"")
    (feeds / "broken.xml").write_text(
        """<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
        <item><title>Fine story</title><link>https://example.org/a</link>
          <description>PARIS (AFP) - A fine story with enough words to be a story of its own, told here.
          </description></item>
        <item><link>https://example.org/empty</link></item>
        <item><title>Title with a\u2028line separator</title><guid>g-3</guid>
          <description>Body &amp; more text here.</description></item>
        <item><title>Unclosed <b>markup & stray ampersand</title><guid>g-4</guid>
        </channel></rss>""",
        encoding="utf-8",
    )
    args = ["run", "--output", str(tmp_path / "out")]
    for name in ("login.html", "empty.xml", "broken.xml"):
        args += ["--feeds", str(feeds / name)]
    code, printed = run_cli(*args)
    assert code == 0, printed
    manifest, stories, _, dead = read_run(only_run(tmp_path / "out"))
    assert manifest.reconciled
    counts = {Path(k).name: v for k, v in manifest.feeds.items()}
    assert counts["login.html"].feed_errors == 1 and counts["login.html"].entries_read == 0
    assert counts["empty.xml"].feed_errors == 1
    broken = counts["broken.xml"]
    assert broken.entries_read == broken.stories + broken.duplicates + broken.dead_letters
    assert broken.dead_letters == 1  # the item with neither title nor text
    kinds = sorted((d.stage, d.error_type) for d in dead)
    assert kinds == [("clean", "empty_story"), ("parse", "not_a_feed"), ("parse", "not_a_feed")]
    assert all(d.message for d in dead)
    # U+2028 never splits a record: cleaning folds it into a space, the sink escapes any that is left.
    text = next(only_run(tmp_path / "out").glob("stories-*.jsonl")).read_text(encoding="utf-8")
    assert len(text.splitlines()) == len(stories) == broken.stories
    assert "Title with a line separator" in {s.title for s in stories}


def test_enrich_jsonl(tmp_path: Path, run_cli) -> None:
    source = tmp_path / "in.jsonl"
    rows = [
        {
            "id": "a1",
            "title": "Talks on Monday",
            "published_at": "2026-03-13T10:00:00Z",
            "text": "GENEVA (AP) — Negotiators from Iran and the European Union will meet on Monday in Geneva, "
            "officials said on Friday.",
        },
        {
            "id": "a2",
            "html": "<p>BERLIN, March 12 (Reuters) - Angela Merkel spoke in Berlin on Thursday.</p>",
            "url": "https://example.org/merkel?utm_source=x",
        },
        {"title": "no id here", "text": "..."},
    ]
    source.write_text("\n".join(json.dumps(r) for r in rows) + "\nnot json at all\n")
    code, printed = run_cli("enrich", "--input", str(source), "--output", str(tmp_path / "out"))
    assert code == 0, printed
    manifest, stories, _, dead = read_run(only_run(tmp_path / "out"))
    assert manifest.command == "enrich" and manifest.reconciled
    assert manifest.totals.entries_read == 4 and len(stories) == 2 and len(dead) == 2
    assert {d.error_type for d in dead} == {"bad_input"}
    a1 = next(s for s in stories if s.id == "a1")
    assert a1.published_source == "input" and a1.guid == "a1"
    monday = next(d for d in a1.dates if d.text == "Monday" and d.field == "body")
    assert (monday.value, monday.anchor_source) == ("2026-03-16", "dateline") or monday.value == "2026-03-16"
    assert {e.canonical for e in a1.entities} >= {"Iran", "Geneva"}
    a2 = next(s for s in stories if s.guid == "a2")
    assert a2.dateline is not None and a2.dateline.location == "BERLIN"
    assert a2.canonical_url == "https://example.org/merkel"


@needs_reference_story
def test_reference_story_as_feed_entry(tmp_path: Path, run_cli) -> None:
    text = REFERENCE_STORY.read_text(encoding="utf-8")
    paragraphs = "".join(f"<p>{p}</p>" for p in text.split("\n\n"))
    feed = tmp_path / "reuters.xml"
    feed.write_text(
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Reuters</title><item>'
        "<title>Kerry to seek assurances on Crimea in last-ditch talks with Lavrov</title>"
        "<link>https://www.reuters.com/article/us-ukraine-crisis-kerry</link>"
        f"<content:encoded><![CDATA[{paragraphs}]]></content:encoded></item></channel></rss>",
        encoding="utf-8",
    )
    code, printed = run_cli("run", "--feeds", str(feed), "--output", str(tmp_path / "out"))
    assert code == 0, printed
    _, (story,), _, _ = read_run(only_run(tmp_path / "out"))
    assert story.title == "Kerry to seek assurances on Crimea in last-ditch talks with Lavrov"
    assert story.body.startswith("U.S. Secretary of State John Kerry will seek assurances")
    assert story.body.endswith("favour rule from Moscow.")
    assert "narrow-browser" not in story.body and "0 : 0" not in story.body
    assert story.dateline is not None
    assert (story.dateline.location, str(story.dateline.date), story.dateline.agency) == (
        "LONDON",
        "2014-03-14",
        "Reuters",
    )
    assert story.published_at is not None and story.published_at.isoformat().startswith("2014-03-14T08:16")
    assert story.published_source == "page_timestamp"
    # Dates, resolved against the dateline (Friday 2014-03-14) by the tense of their clause.
    dates = {(d.text, d.value, d.type) for d in story.dates}
    assert {
        ("Friday", "2014-03-14", "DATE"),
        ("Sunday", "2014-03-16", "DATE"),
        ("Monday", "2014-03-17", "DATE"),
        ("inside of a month", "P1M", "DURATION"),
    } <= dates
    assert all(d.anchor == dt.date(2014, 3, 14) and d.anchor_source == "dateline" for d in story.dates)
    assert not any("Cold War" in d.text for d in story.dates)
    # Entities with canonical names.
    by_label: dict[str, set[str]] = {}
    for e in story.entities:
        by_label.setdefault(e.label, set()).add(e.canonical)
    assert {"John Kerry", "Sergei Lavrov", "Viktor Yanukovich", "David Cameron", "Barack Obama", "Putin"} <= by_label[
        "PERSON"
    ]
    assert {"Crimea", "Russia", "Ukraine", "London", "Moscow", "Washington"} <= by_label["GPE"]
    found = set().union(*by_label.values())
    assert {"State Department", "European Union", "Kremlin"} <= found
    kerry = next(e for e in story.entities if e.canonical == "John Kerry")
    assert kerry.count == len(kerry.mentions) >= 4
    assert {m.text for m in kerry.mentions} >= {"John Kerry", "Kerry"}


def test_state_dir_second_run_emits_nothing_new(tmp_path: Path, run_cli) -> None:
    feeds = tmp_path / "feeds"
    shutil.copytree(SAMPLES, feeds)
    state, out = tmp_path / "state", tmp_path / "out"
    code, _ = run_cli(
        "run",
        "--feeds-file",
        str(feeds / "feeds.json"),
        "--state",
        str(state),
        "--output",
        str(out),
        "--run-id",
        "first",
    )
    assert code == 0
    first = read_run(out / "first")
    # Unchanged files: every feed counts as not modified, nothing is read again.
    code, _ = run_cli(
        "run",
        "--feeds-file",
        str(feeds / "feeds.json"),
        "--state",
        str(state),
        "--output",
        str(out),
        "--run-id",
        "second",
    )
    assert code == 0
    manifest, stories, _, _ = read_run(out / "second")
    assert manifest.totals.not_modified == 3 and manifest.totals.entries_read == 0 and stories == []
    # A feed that changed: its old items are cross-run duplicates, only the new one is emitted.
    wire = feeds / "harbor-wire.xml"
    new_item = (
        "<item><title>Iceland volcano erupts near Grindavik</title>"
        "<link>https://wire.example.org/world/2026/11/27/iceland</link><guid>hw-new-1</guid>"
        "<pubDate>Fri, 27 Nov 2026 05:00:00 GMT</pubDate><description>REYKJAVIK, Nov 27 (Harbor Wire) - "
        "A volcano erupted near the town of Grindavik early on Friday, the Icelandic Met Office said.</description>"
        "</item></channel>"
    )
    wire.write_text(wire.read_text().replace("</channel>", new_item))
    code, _ = run_cli(
        "run",
        "--feeds-file",
        str(feeds / "feeds.json"),
        "--state",
        str(state),
        "--output",
        str(out),
        "--run-id",
        "third",
    )
    assert code == 0
    manifest, stories, duplicates, _ = read_run(out / "third")
    assert [s.title for s in stories] == ["Iceland volcano erupts near Grindavik"]
    assert manifest.reconciled and manifest.totals.entries_read == 6
    assert len(duplicates) == 5 and all(d.cross_run for d in duplicates)
    first_ids = {s.id for s in first[1]} | {d.duplicate_of for d in first[2]}
    assert {d.duplicate_of for d in duplicates} <= first_ids
    # The state folder holds validators and the index, and no lock or pending mark is left behind.
    assert sorted(p.name for p in state.iterdir()) == ["dedup_index.jsonl", "feeds.json"]


def test_run_folder_is_never_reused_and_locked_state_is_refused(tmp_path: Path, run_cli, capsys) -> None:
    out, state = tmp_path / "out", tmp_path / "state"
    feed = str(SAMPLES / "coastal-times.atom")
    assert run_cli("run", "--feeds", feed, "--output", str(out), "--run-id", "r1")[0] == 0
    before = (out / "r1" / "manifest.json").read_text()
    assert run_cli("run", "--feeds", feed, "--output", str(out), "--run-id", "r1")[0] == 3
    assert "already exists" in capsys.readouterr().err
    assert (out / "r1" / "manifest.json").read_text() == before
    state.mkdir()
    # A live process (this one) on this host holds the lock: the run waits for nobody and says why.
    (state / LOCK_FILE).write_text(
        json.dumps({"pid": os.getpid(), "host": os.uname().nodename, "started_at": "2999-01-01T00:00:00+00:00"})
    )
    code, _ = run_cli("run", "--feeds", feed, "--output", str(out), "--state", str(state))
    assert code == 75
    assert "in use by another wirebeam run" in capsys.readouterr().err
    # A lock left by a dead process is broken.
    (state / LOCK_FILE).write_text(
        json.dumps({"pid": 2**22 + 17, "host": os.uname().nodename, "started_at": "2999-01-01T00:00:00+00:00"})
    )
    assert run_cli("run", "--feeds", feed, "--output", str(out), "--state", str(state))[0] == 0


def test_corrupt_state_is_refused_until_reset(tmp_path: Path, run_cli, capsys) -> None:
    out, state = tmp_path / "out", tmp_path / "state"
    state.mkdir()
    (state / "feeds.json").write_text("{not json")
    feed = str(SAMPLES / "coastal-times.atom")
    assert run_cli("run", "--feeds", feed, "--output", str(out), "--state", str(state))[0] == 3
    assert "--reset-state" in capsys.readouterr().err
    assert not out.exists() or not any(out.iterdir())
    assert run_cli("run", "--feeds", feed, "--output", str(out), "--state", str(state), "--reset-state")[0] == 0
    assert any(p.name.startswith("feeds.json.reset-") for p in state.iterdir())


def test_console_script_and_module_entry_point(tmp_path: Path) -> None:
    """`python -m pipeline` is the same command; --help lists the subcommands without running a job."""
    done = subprocess.run(
        [sys.executable, "-m", "pipeline", "--help"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert "run" in done.stdout and "enrich" in done.stdout
    done = subprocess.run(
        [sys.executable, "-m", "pipeline", "run", "--feeds", "ftp://example.org/x"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and "--feeds must be an http(s) URL or a local path" in done.stderr


def test_fetch_articles_replaces_feed_text_with_the_page(tmp_path: Path, run_cli) -> None:
    """--fetch-articles: each entry's link goes through the guarded fetcher; trafilatura's main text wins."""
    from tests.httpserver import Reply, ScriptedServer

    paragraphs = [
        "GENEVA, Nov 26 (Harbor Wire) - Negotiators from forty countries agreed on Thursday to extend the grain "
        "corridor for another year, officials said after talks that ran late into the night.",
        "The agreement keeps shipping lanes open through the winter and sets up a joint inspection centre in "
        "Istanbul, where teams will check every vessel before it sails.",
        "Delegates said the next round of talks would take place in March and would cover insurance costs for "
        "ships, which have risen sharply since the spring.",
    ]
    page = (
        "<html><head><title>Grain corridor extended</title></head><body><nav>Home | World | Business</nav>"
        "<article><h1>Grain corridor extended for a year</h1>"
        + "".join(f"<p>{p}</p>" for p in paragraphs)
        + "</article><footer>Subscribe to our newsletter. Cookie settings.</footer></body></html>"
    ).encode()
    with ScriptedServer() as server:
        server.route("/article", Reply(body=page, content_type="text/html; charset=utf-8"))
        feed = tmp_path / "feed.xml"
        feed.write_text(
            '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><guid>g1</guid>'
            f"<title>Grain corridor extended for a year</title><link>{server.url('/article')}</link>"
            "<description>Negotiators agreed to extend the grain corridor.</description></item></channel></rss>"
        )
        code, printed = run_cli(
            "run", "--feeds", str(feed), "--fetch-articles", "--allow-private-hosts", "--output", str(tmp_path / "out")
        )
        assert server.hits("/article") == 1
    assert code == 0, printed
    _, (story,), _, _ = read_run(only_run(tmp_path / "out"))
    assert story.body.startswith("Negotiators from forty countries agreed on Thursday")
    assert story.body.endswith("risen sharply since the spring.")
    assert "newsletter" not in story.body and story.dateline is not None and story.dateline.location == "GENEVA"


def test_no_dedup_emits_every_copy(tmp_path: Path, run_cli) -> None:
    code, _ = run_cli("run", "--no-dedup", "--output", str(tmp_path), "--run-id", "all")
    assert code == 0
    manifest, stories, duplicates, _ = read_run(tmp_path / "all")
    assert len(stories) == 14 and duplicates == [] and manifest.reconciled
    assert all(s.cluster.size == 1 for s in stories)
