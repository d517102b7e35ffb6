"""`wirebeam report OUTPUT/<run-id>`: one self-contained HTML page describing a finished run.

The page has counts per feed (from `manifest.json`), dead letters by stage and error class, the largest duplicate
clusters with their sources, the top entities, and two bar charts drawn here as inline SVG: stories over time
(by publish time) and dated mentions (by the month they refer to). Inline CSS, no script, no external resource:
the file can be mailed, archived or opened offline. Stories are streamed line by line, so memory grows with the
number of distinct entities and clusters kept, not with the size of the run.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import glob
import heapq
import html
import logging
import os
import re
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any, TextIO

import orjson

from schemas.story import Manifest

LOGGER = logging.getLogger(__name__)

REPORT_NAME = "report.html"
TOP_CLUSTERS = 10
TOP_VERSIONS = 20
TOP_ENTITIES = 30
TOP_DEAD_EXAMPLES = 1
# A feed's error text (the message of its feed-level dead letter) is cut to this many characters in the table.
FEED_MESSAGE_CHARS = 300
# Beyond this many bars a chart is unreadable: bins are widened (hour → day → month → year) until it fits.
MAX_BARS = 90
EXIT_OK, EXIT_NOT_A_RUN = 0, 3

_DATE_VALUE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")


@dataclasses.dataclass
class ClusterView:
    size: int
    title: str
    story_id: str
    copies: list[dict[str, Any]]


@dataclasses.dataclass
class RunSummary:
    """Everything the page shows, gathered in one pass over the run's files."""

    run_dir: str
    manifest: Manifest
    stories: int = 0
    words: int = 0
    published: list[dt.datetime] = dataclasses.field(default_factory=list)
    undated_stories: int = 0
    clusters: list[ClusterView] = dataclasses.field(default_factory=list)
    duplicate_reasons: Counter[str] = dataclasses.field(default_factory=Counter)
    dead_classes: Counter[tuple[str, str]] = dataclasses.field(default_factory=Counter)
    dead_examples: dict[tuple[str, str], dict[str, Any]] = dataclasses.field(default_factory=dict)
    entity_mentions: Counter[tuple[str, str]] = dataclasses.field(default_factory=Counter)
    entity_stories: Counter[tuple[str, str]] = dataclasses.field(default_factory=Counter)
    date_types: Counter[str] = dataclasses.field(default_factory=Counter)
    date_months: Counter[str] = dataclasses.field(default_factory=Counter)
    # Stories that are a new version of an earlier record, or list earlier versions seen in this run; at most
    # the first TOP_VERSIONS read are shown (README, Story versions).
    versions: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    version_stories: int = 0
    # Per (feed, error class), the message of its first dead letter for the feed as a whole (a failed fetch or
    # parse): the manifest names the class of a feed's failure (FeedCounts.feed_error), this is its text.
    feed_messages: dict[tuple[str, str], str] = dataclasses.field(default_factory=dict)


def run_files(run_dir: str, prefix: str) -> list[str]:
    return sorted(glob.glob(os.path.join(glob.escape(run_dir), f"{prefix}-*.jsonl")))


def records(paths: Sequence[str]) -> Iterator[dict[str, Any]]:
    """JSON objects from JSONL files; a bad line is logged and skipped (`wirebeam validate` names it)."""
    for path in paths:
        with open(path, "rb") as handle:
            for line_no, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    value = orjson.loads(line)
                except orjson.JSONDecodeError:
                    LOGGER.warning("%s:%d is not JSON; skipped (run `wirebeam validate`)", path, line_no)
                    continue
                if isinstance(value, dict):
                    yield value


def parse_time(value: object) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def date_month(value: str) -> str | None:
    """`2014-03-16` / `2014-03` → `2014-03`; a year alone, a week or a duration has no month."""
    match = _DATE_VALUE.match(value)
    if match is None or match.group(2) is None:
        return None
    return f"{match.group(1)}-{match.group(2)}"


def _add_story(summary: RunSummary, story: dict[str, Any], largest: list[tuple[int, str, ClusterView]]) -> None:
    summary.stories += 1
    summary.words += len(str(story.get("body") or "").split())
    published = parse_time(story.get("published_at"))
    if published is None:
        summary.undated_stories += 1
    else:
        summary.published.append(published)
    cluster = story.get("cluster") or {}
    if int(story.get("version") or 1) > 1 or cluster.get("versions"):
        summary.version_stories += 1
        if len(summary.versions) < TOP_VERSIONS:
            summary.versions.append(
                {k: story.get(k) for k in ("id", "title", "version", "supersedes", "changes", "correction", "revision")}
                | {"earlier": cluster.get("versions") or []}
            )
    size = int(cluster.get("size") or 1)
    if size > 1:
        view = ClusterView(size, str(story.get("title") or ""), str(story.get("id")), list(cluster.get("copies") or []))
        item = (size, view.story_id, view)
        # A min-heap of the largest clusters; ties broken by id so the page is the same on every run.
        if len(largest) < TOP_CLUSTERS:
            heapq.heappush(largest, item)
        elif item[:2] > largest[0][:2]:
            heapq.heapreplace(largest, item)
    seen: set[tuple[str, str]] = set()
    for entity in story.get("entities") or []:
        key = (str(entity.get("canonical") or entity.get("text")), str(entity.get("label")))
        summary.entity_mentions[key] += int(entity.get("count") or len(entity.get("mentions") or []) or 1)
        seen.add(key)
    summary.entity_stories.update(seen)
    for mention in story.get("dates") or []:
        kind = str(mention.get("type"))
        summary.date_types[kind] += 1
        month = date_month(str(mention.get("value") or "")) if kind == "DATE" else None
        if month is not None:
            summary.date_months[month] += 1


def collect(run_dir: str) -> RunSummary:
    """Read a finished run folder; raises FileNotFoundError when it has no manifest (an incomplete run)."""
    manifest_path = os.path.join(run_dir, "manifest.json")
    with open(manifest_path, "rb") as handle:
        manifest = Manifest.model_validate_json(handle.read())
    summary = RunSummary(run_dir=run_dir, manifest=manifest)
    largest: list[tuple[int, str, ClusterView]] = []
    for story in records(run_files(run_dir, "stories")):
        _add_story(summary, story, largest)
    summary.clusters = [view for _, _, view in sorted(largest, key=lambda t: (-t[0], t[1]))]
    for dup in records(run_files(run_dir, "duplicates")):
        summary.duplicate_reasons[str(dup.get("reason"))] += 1
    for letter in records(run_files(run_dir, "dead_letter")):
        key = (str(letter.get("stage")), str(letter.get("error_type")))
        summary.dead_classes[key] += 1
        summary.dead_examples.setdefault(key, letter)
        if letter.get("entry_id") is None and letter.get("message"):
            summary.feed_messages.setdefault((str(letter.get("source")), key[1]), str(letter["message"]))
    return summary


# --- binning --------------------------------------------------------------------------------------------------

_STEPS: tuple[tuple[str, str], ...] = (("hour", "%m-%d %H:00"), ("day", "%Y-%m-%d"), ("month", "%Y-%m"))


def _floor(moment: dt.datetime, unit: str) -> dt.datetime:
    if unit == "hour":
        return moment.replace(minute=0, second=0, microsecond=0)
    if unit == "day":
        return moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "month":
        return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return moment.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)


def _next(moment: dt.datetime, unit: str) -> dt.datetime:
    if unit == "hour":
        return moment + dt.timedelta(hours=1)
    if unit == "day":
        return moment + dt.timedelta(days=1)
    if unit == "month":
        return moment.replace(year=moment.year + moment.month // 12, month=moment.month % 12 + 1)
    return moment.replace(year=moment.year + 1)


def time_bins(moments: Sequence[dt.datetime]) -> tuple[str, list[tuple[str, int]]]:
    """(unit, [(label, count)]) with every bin between the first and last moment, at most MAX_BARS bins."""
    if not moments:
        return "day", []
    utc = [m.astimezone(dt.UTC) for m in moments]
    low, high = min(utc), max(utc)
    for unit, fmt in (*_STEPS, ("year", "%Y")):
        start, end = _floor(low, unit), _floor(high, unit)
        labels: list[str] = []
        cursor = start
        while cursor <= end and len(labels) <= MAX_BARS:
            labels.append(cursor.strftime(fmt))
            cursor = _next(cursor, unit)
        if len(labels) <= MAX_BARS or unit == "year":
            counts = Counter(_floor(m, unit).strftime(fmt) for m in utc)
            return unit, [(label, counts.get(label, 0)) for label in labels[:MAX_BARS]]
    raise AssertionError("unreachable: the year step always returns")


def month_bins(months: Counter[str], keep: float = 0.98) -> tuple[list[tuple[str, int]], int]:
    """Continuous monthly bins over the central `keep` share of mentions; returns (bins, mentions left out).

    A single mention of 1066 would otherwise stretch the axis over a millennium of empty months.
    """
    if not months:
        return [], 0
    ordered = sorted(months.items())
    total = sum(months.values())
    cut = total * (1 - keep) / 2
    lo, hi, running = 0, len(ordered) - 1, 0
    while lo < hi and running + ordered[lo][1] <= cut:
        running += ordered[lo][1]
        lo += 1
    running = 0
    while hi > lo and running + ordered[hi][1] <= cut:
        running += ordered[hi][1]
        hi -= 1
    first = dt.datetime.strptime(ordered[lo][0], "%Y-%m").replace(tzinfo=dt.UTC)
    last = dt.datetime.strptime(ordered[hi][0], "%Y-%m").replace(tzinfo=dt.UTC)
    labels, cursor = [], first
    while cursor <= last:
        labels.append(cursor.strftime("%Y-%m"))
        cursor = _next(cursor, "month")
    if len(labels) > MAX_BARS:  # many years: one bar per year instead
        years: Counter[str] = Counter()
        for label in labels:
            years[label[:4]] += months.get(label, 0)
        bins = sorted(years.items())
    else:
        bins = [(label, months.get(label, 0)) for label in labels]
    shown = sum(count for _, count in bins)
    return bins, total - shown


# --- drawing --------------------------------------------------------------------------------------------------


def bar_chart(bins: Sequence[tuple[str, int]], title: str, width: int = 760, height: int = 240) -> str:
    """An inline SVG bar chart with a y scale, sparse x labels and a tooltip (`<title>`) on every bar."""
    if not bins:
        return f'<p class="empty">No data for “{html.escape(title)}”.</p>'
    # Room on the left and below for the rotated x labels, which hang down-left of their bar.
    left, right, top, bottom = 72, 10, 10, 56
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max(count for _, count in bins) or 1
    step = plot_w / len(bins)
    every = max(1, round(len(bins) / 12))
    parts = [
        f'<svg class="chart" role="img" aria-label="{html.escape(title)}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{html.escape(title)}</title>",
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" class="axis"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" class="axis"/>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" class="tick">{peak}</text>',
        f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end" class="tick">0</text>',
    ]
    for i, (label, count) in enumerate(bins):
        bar_h = plot_h * count / peak
        x = left + i * step
        parts.append(
            f'<rect class="bar" x="{x + step * 0.1:.1f}" y="{top + plot_h - bar_h:.1f}" '
            f'width="{max(step * 0.8, 1):.1f}" height="{bar_h:.1f}"><title>{html.escape(label)}: {count}</title></rect>'
        )
        if i % every == 0:
            lx, ly = x + step / 2, top + plot_h + 12
            parts.append(
                f'<text x="{lx:.1f}" y="{ly}" class="tick" text-anchor="end" '
                f'transform="rotate(-35 {lx:.1f} {ly})">{html.escape(label)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def table(
    header: Sequence[str], rows: Sequence[Sequence[object]], numeric_from: int = 1, last_text: bool = False
) -> str:
    """An HTML table; columns from `numeric_from` on are right-aligned numbers (but the last with `last_text`).
    Cells are escaped."""
    if not rows:
        return '<p class="empty">None.</p>'
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = []
    for row in rows:
        text_to = len(row) - 1 if last_text else len(row)
        cells = "".join(
            f'<td class="num">{html.escape(str(v))}</td>'
            if numeric_from <= i < text_to
            else f"<td>{html.escape(str(v))}</td>"
            for i, v in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:1100px;
 padding:0 1rem;color:#1d2733}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.15rem;border-bottom:1px solid #d5dbe3;padding-bottom:.2rem;
 margin-top:2rem}
.meta{color:#5b6776}.cards{display:flex;flex-wrap:wrap;gap:.6rem;margin:1rem 0}
.card{border:1px solid #d5dbe3;border-radius:6px;padding:.5rem .8rem;min-width:7rem}
.card b{display:block;font-size:1.3rem}.bad{color:#b42318}.ok{color:#067647}
table{border-collapse:collapse;width:100%;margin:.4rem 0}th,td{border-bottom:1px solid #e6e9ee;padding:.25rem .5rem;
 text-align:left;vertical-align:top}th{background:#f4f6f8}td.num{text-align:right;font-variant-numeric:tabular-nums}
.chart .bar{fill:#3e7cb1}.chart .bar:hover{fill:#1d4f7a}.chart .axis{stroke:#5b6776}
.chart .tick{font-size:10px;fill:#5b6776}.empty{color:#5b6776;font-style:italic}
ul.copies{margin:.2rem 0 .2rem 1rem;padding:0;color:#3b4754}code{font-size:12px}
"""


def feed_error_text(s: RunSummary, feed: str, error_type: str | None) -> str:
    """"http_error: HTTP 404 Not Found": why a feed failed as a whole, its class and (cut) message; "" for a feed
    that did not fail."""
    if error_type is None:
        return ""
    message = s.feed_messages.get((feed, error_type))
    if message is None or message == error_type:
        return error_type
    if len(message) > FEED_MESSAGE_CHARS:
        message = message[: FEED_MESSAGE_CHARS - 1] + "…"
    return f"{error_type}: {message}"


def _feeds_section(s: RunSummary) -> str:
    m = s.manifest
    rows = [
        (
            feed,
            c.entries_read,
            c.stories,
            c.versions,
            c.duplicates,
            c.dead_letters,
            c.feed_errors,
            c.not_modified,
            c.bozo,
            c.http_status if c.http_status is not None else "-",
            "yes" if c.reconciled else "NO",
            feed_error_text(s, feed, c.feed_error),
        )
        for feed, c in sorted(m.feeds.items())
    ]
    t = m.totals
    rows.append(
        (
            "TOTAL",
            t.entries_read,
            t.stories,
            t.versions,
            t.duplicates,
            t.dead_letters,
            t.feed_errors,
            t.not_modified,
            t.bozo,
            "",
            "yes" if m.reconciled else "NO",
            "",
        )
    )
    header = (
        "feed", "read", "stories", "versions", "dups", "dead", "feed errors", "304", "bozo", "status", "reconciled",
        "feed error",
    )
    return table(header, rows, last_text=True)


def _dead_section(s: RunSummary) -> str:
    rows = []
    for (stage, kind), count in s.dead_classes.most_common():
        example = s.dead_examples[(stage, kind)]
        rows.append((stage, kind, count, str(example.get("source")), str(example.get("message"))[:200]))
    return (
        table(("stage", "error class", "count", "first source", "first message"), rows, numeric_from=2)
        if rows
        else ('<p class="empty">No dead letters.</p>')
    )


def _cluster_item(view: ClusterView) -> str:
    copies = "".join(
        f"<li>{html.escape(str(c.get('source')))} — {html.escape(str(c.get('title') or c.get('url') or c.get('id')))}"
        f"{' · ' + html.escape(str(c.get('published_at'))) if c.get('published_at') else ''}</li>"
        for c in view.copies
    )
    return (
        f'<tr><td class="num">{view.size}</td><td><b>{html.escape(view.title)}</b> <code>{html.escape(view.story_id)}'
        f'</code><ul class="copies">{copies}</ul></td></tr>'
    )


def _version_row(v: dict[str, Any]) -> tuple[Any, ...]:
    sup = v.get("supersedes") or {}
    ch = v.get("changes") or {}
    changed = (
        ", ".join(
            part
            for part in (
                "headline" if ch.get("headline_changed") else "",
                f"+{ch['paragraphs_added']}" if ch.get("paragraphs_added") else "",
                f"−{ch['paragraphs_removed']}" if ch.get("paragraphs_removed") else "",
                f"~{ch['paragraphs_edited']}" if ch.get("paragraphs_edited") else "",
            )
            if part
        )
        if ch
        else "-"
    )
    earlier = "; ".join(str(c.get("title") or c.get("id")) for c in v["earlier"]) or "-"
    supersedes = f"{sup.get('id')} v{sup.get('version')}" if sup else "-"
    return (
        f"{v.get('title')} [{v.get('revision')}]" if v.get("revision") else str(v.get("title")),
        supersedes,
        changed or "none",
        str(v.get("correction") or "-")[:300],
        earlier,
        v.get("version"),
    )


def _versions_section(s: RunSummary) -> str:
    m = s.manifest.totals
    intro = (
        f"<p>{m.versions} of {m.stories} stories are a new version of a story emitted before; "
        f"{s.version_stories} carry a version or list earlier versions seen in this run (paragraph changes: "
        "+added −removed ~edited).</p>"
    )
    if not s.versions:
        return intro + '<p class="empty">No story changed.</p>'
    header = ("story", "supersedes", "changed", "correction", "earlier versions this run", "version")
    return intro + table(header, [_version_row(v) for v in s.versions], numeric_from=5)


def _duplicates_section(s: RunSummary) -> str:
    reasons = ", ".join(f"{html.escape(r)} {n}" for r, n in s.duplicate_reasons.most_common()) or "none"
    if not s.clusters:
        body = '<p class="empty">No story was carried more than once.</p>'
    else:
        rows = "".join(_cluster_item(v) for v in s.clusters)
        body = (
            f"<table><thead><tr><th>copies</th><th>story and its sources</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    return f"<p>Copies not emitted, by reason: {reasons}.</p>{body}"


def _entities_section(s: RunSummary) -> str:
    rows = [
        (name, label, mentions, s.entity_stories[(name, label)])
        for (name, label), mentions in sorted(s.entity_mentions.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_ENTITIES]
    ]
    labels = Counter[str]()
    for (_, label), n in s.entity_mentions.items():
        labels[label] += n
    by_label = ", ".join(f"{html.escape(k)} {v}" for k, v in labels.most_common()) or "none"
    return f"<p>Mentions by label: {by_label}.</p>" + table(("entity", "label", "mentions", "stories"), rows, 2)


def _timeline_section(s: RunSummary) -> str:
    unit, bins = time_bins(s.published)
    note = f" {s.undated_stories} stories have no publish time." if s.undated_stories else ""
    return f"<p>Stories per {unit} of publication (UTC).{note}</p>" + bar_chart(bins, f"Stories per {unit}")


def _dates_section(s: RunSummary) -> str:
    bins, left_out = month_bins(s.date_months)
    types = ", ".join(f"{html.escape(k)} {v}" for k, v in s.date_types.most_common()) or "none"
    note = f" {left_out} mentions of outlying months are not drawn." if left_out else ""
    per = "year" if bins and len(bins[0][0]) == 4 else "month"
    return f"<p>Temporal expressions by type: {types}. DATE mentions per {per} they refer to.{note}</p>" + bar_chart(
        bins, f"Dated mentions per {per}"
    )


def render(s: RunSummary) -> str:
    """The whole page as one string."""
    m = s.manifest
    seconds = (m.finished_at - m.started_at).total_seconds()
    verdict = (
        '<span class="ok">counts reconcile</span>'
        if m.reconciled
        else '<span class="bad">COUNTS DO NOT RECONCILE</span>'
    )
    cards = [
        ("entries read", m.totals.entries_read),
        ("stories", m.totals.stories),
        ("new versions", m.totals.versions),
        ("duplicates", m.totals.duplicates),
        ("dead letters", m.totals.dead_letters),
        ("feed errors", m.totals.feed_errors),
        ("words", s.words),
        ("stories/s", f"{m.totals.stories / seconds:.1f}" if seconds > 0 else "-"),
    ]
    card_html = "".join(f'<div class="card"><b>{html.escape(str(v))}</b>{html.escape(k)}</div>' for k, v in cards)
    sections = [
        ("feeds", "Counts per feed", _feeds_section(s)),
        ("dead-letters", "Dead letters by class", _dead_section(s)),
        ("duplicates", "Largest duplicate clusters", _duplicates_section(s)),
        ("versions", "Story versions", _versions_section(s)),
        ("entities", "Top entities", _entities_section(s)),
        ("timeline", "Stories over time", _timeline_section(s)),
        ("dates", "Dated mentions", _dates_section(s)),
    ]
    body = "".join(
        f'<section id="{sid}"><h2>{html.escape(title)}</h2>{content}</section>' for sid, title, content in sections
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>wirebeam run {html.escape(m.run_id)}</title><style>{CSS}</style></head><body>"
        f"<header><h1>wirebeam run {html.escape(m.run_id)}</h1>"
        f'<p class="meta">{html.escape(m.command)} · started {m.started_at:%Y-%m-%d %H:%M:%S} UTC · '
        f"{seconds:.1f} s · wirebeam {html.escape(m.wirebeam_version)} · {verdict}</p>"
        f'<div class="cards">{card_html}</div></header><main>{body}</main>'
        f'<footer class="meta"><p>From {html.escape(s.run_dir)} · generated '
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M:%S} UTC</p></footer></body></html>\n"
    )


def write_report(run_dir: str, out_path: str | None = None) -> str:
    """Collect and render a run's report; returns the path written (default `<run_dir>/report.html`)."""
    target = out_path or os.path.join(run_dir, REPORT_NAME)
    page = render(collect(run_dir))
    tmp = f"{target}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(page)
    os.replace(tmp, target)
    return target


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", metavar="OUTPUT/RUN_ID", help="a finished run folder (it has manifest.json)")
    parser.add_argument("--out", help=f"where to write the page (default OUTPUT/RUN_ID/{REPORT_NAME})")
    parser.add_argument("--log-level", default="WARNING", type=str.upper, choices=("DEBUG", "INFO", "WARNING", "ERROR"))


def runs_hint(folder: str) -> str:
    """For an --output folder given instead of one of its runs: the runs it holds, the latest named."""
    runs = sorted(os.path.dirname(p) for p in glob.glob(os.path.join(glob.escape(folder), "*", "manifest.json")))
    if not runs:
        return ""
    latest = max(runs, key=lambda p: os.path.getmtime(os.path.join(p, "manifest.json")))
    return f"; it holds {len(runs)} finished run{'s' if len(runs) != 1 else ''}, the latest {latest}"


def main_from_args(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    try:
        path = write_report(args.run_dir.rstrip("/"), args.out)
    except FileNotFoundError as exc:
        print(
            f"wirebeam report: {args.run_dir} is not a finished run ({exc.strerror}: {exc.filename})"
            + runs_hint(args.run_dir),
            file=sys.stderr,
        )
        return EXIT_NOT_A_RUN
    print(path, file=out)
    return EXIT_OK
