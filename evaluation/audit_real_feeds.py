"""Audit wirebeam's output on the real feed snapshots: mechanical checks of what a reader would see wrong.

Runs every capture round of ../shared/corpora/real-feeds (gesab001-headlines: 15 outlets, 10 rounds;
evilgodfahim-wl: AP and Reuters wire snapshots) through the pipeline's own stage code — the parse DoFn
(`ParseFeedFn.process` on the file's bytes), `clean_entry`, the dedup stage's exact keys and the date tagger with
the stage's anchor — and counts, per check, the stories that break it. Entity tagging is not run (nothing here
checks it, and it is most of the CLI's time); `--via cli` instead runs `python -m pipeline run --no-dedup` once
per round and audits its JSONL output (slow: NER on every story).

Each check compares the output with what the feed item itself says, read independently from the XML with lxml
(description, media:description, dc:creator, media:credit, pubDate with its UTC offset, the channel's dates).

Run: .venv/bin/python -m evaluation.audit_real_feeds [--via stages|cli] [--only ROUND] [--json PATH] [--examples N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import email.utils
import json
import logging
import os
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lxml.etree

LOGGER = logging.getLogger(__name__)

SHARED = Path(os.environ.get("WIREBEAM_SHARED", Path(__file__).resolve().parents[1].parent / "shared"))
REAL_FEEDS = SHARED / "corpora" / "real-feeds"
CORPORA = ("gesab001-headlines", "evilgodfahim-wl")
FETCHED_AT = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)  # after every snapshot: no item date is "in the future"

_MEDIA_NS = "http://search.yahoo.com/mrss/"
_DC_NS = "http://purl.org/dc/elements/1.1/"
_WS_RE = re.compile(r"\s+")

# ---- the checks: patterns of what must not be in a body --------------------------------------------------------
# Promo lines of the wire services and outlets (column and podcast promos, follow-us lines).
PROMO_RE = re.compile(
    r"Enjoying this column\?|Check out Reuters Open Interest|Follow ROI on|Morning Bid daily podcast"
    r"|podcast on (?:Apple|Spotify)|listen to the [\w ]{1,40} podcast|Sign up (?:here|for) [\w ]{0,40}newsletter"
    r"|Click here to sign up",
    re.IGNORECASE,
)
# "Filed Nov. 18, 2024, 5:06 p.m. GMT" and "Photography and reporting by …" lines.
FILED_RE = re.compile(r"(?m)^(?:Filed [A-Z][a-z]{2,8}\.? \d{1,2}|Photography and reporting by\b)")
# A byline paragraph left in the body: "By Jane Roe", "By Jane Roe, Chief Correspondent".
BYLINE_RE = re.compile(r"(?m)^By (?:[A-Z][\w.'’-]+ ){1,3}[A-Z][\w.'’-]+ ?(?:,[^.\n]{0,80})?$")
# A body opening with an ALL-CAPS place and " - " (a dateline not lifted): "SINGAPORE - The …".
CAPS_DATELINE_RE = re.compile(r"^[A-Z][A-Z.'’]+(?: [A-Z][A-Z.'’]+){0,3}(?:, [A-Z][A-Za-z. ]{1,30})? [-–—] ")
# A column byline opening the body: "JANE ROE: …".
COLUMN_BYLINE_RE = re.compile(r"^[A-Z][A-Z'’-]+(?: [A-Z][A-Z'’-]+){1,3}: ")
# The scraper's space before a comma or full stop: "Shell (SHEL.L) , Europe's", "said ."
STRAY_SPACE_RE = re.compile(r"[\w)”\"’] [,.](?=\s|$)")
# A Sunday paper's name: "the Herald on Sunday", "The Mail on Sunday" (a date mention ending the name is wrong).
NEWSPAPER_DAY_RE = re.compile(
    r"\b(?:Herald|Mail|Independent) on Sunday"
    r"(?:\W|$)(?!\s?(?:morning|afternoon|evening|night))"
)
# A body that is only a link to another story: one bullet line.
LINK_ONLY_RE = re.compile(r"[•·▪●]\s*[^\n]{3,200}")

CHECKS: dict[str, str] = {
    "caption_as_body": "body is the media:description caption although the item has a description",
    "promo_line": "known promo line in the body (column/podcast/follow/sign-up promos)",
    "kicker_above_byline": "the body opens with a kicker line that stood above a byline",
    "filed_line": '"Filed <date>" or "Photography and reporting by" line in the body',
    "byline_in_body": 'a "By Name[, Title]" paragraph left in the body',
    "creator_lost": "item has dc:creator/author but story authors is empty",
    "media_credit_lost": "item has media:credit but story credits do not hold it",
    "language_lost": "item or channel names a language but story language is empty",
    "caps_dateline_left": 'body opens with an ALL-CAPS place and " - " (dateline not lifted)',
    "column_byline_left": 'body opens with a "NAME NAME:" column byline',
    "link_only_body": "body is only a bulleted link to another story",
    "stray_space_punct": 'body holds " ," or " ." after a word',
    "anchor_not_local_day": "date anchor differs from the story's local publication day (pubDate's own offset)",
    "channel_date_ignored": "item without pubDate anchored on fetch time although the channel gives a date",
    "hash_cluster_titles_differ": "content-hash cluster (one round) whose members' titles differ",
    "template_near_merge": "two items with one short template body and numbered titles verified as near duplicates",
    "this_week_future_sunday": '"will … this week" written on a Sunday resolved to the week that Sunday ends',
    "newspaper_as_date": '"<Name> on Sunday" newspaper tagged as a date',
    "past_decade_as_decade": '"the past decade", "over the last decade" normalized to a calendar decade ("201")',
}


@dataclass
class ItemFacts:
    """What the feed item itself says, read with lxml (not through wirebeam)."""

    description: str = ""
    media_description: str = ""
    creators: list[str] = field(default_factory=list)
    media_credits: list[str] = field(default_factory=list)
    pub_date: str = ""
    language: str = ""
    channel_date: str = ""


@dataclass
class Audit:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CHECKS, 0))
    examples: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    stories: int = 0
    rounds: int = 0
    max_examples: int = 3

    def flag(self, check: str, where: str, detail: str) -> None:
        self.counts[check] += 1
        if len(self.examples[check]) < self.max_examples:
            self.examples[check].append(f"{where}: {detail[:160]}")


def _text(el: lxml.etree._Element | None) -> str:
    return _WS_RE.sub(" ", "".join(el.itertext())).strip() if el is not None else ""


def item_facts(body: bytes) -> dict[str, ItemFacts]:
    """Per item link (and guid): its description, caption, creators, credits, pubDate, language, channel date."""
    parser = lxml.etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=True)
    try:
        root = lxml.etree.fromstring(body, parser)
    except lxml.etree.XMLSyntaxError:
        return {}
    if root is None:
        return {}
    channel = root.find("channel")
    channel_lang = _text(channel.find("language")) if channel is not None else ""
    channel_date = ""
    if channel is not None:
        channel_date = _text(channel.find("pubDate")) or _text(channel.find("lastBuildDate"))
    facts: dict[str, ItemFacts] = {}
    for item in root.iter("item"):
        f = ItemFacts(
            description=_text(item.find("description")),
            media_description=_text(item.find(f"{{{_MEDIA_NS}}}description")),
            creators=[_text(c) for c in item.findall(f"{{{_DC_NS}}}creator") if _text(c)]
            + [_text(c) for c in item.findall("author") if _text(c)],
            media_credits=[_text(c) for c in item.iter(f"{{{_MEDIA_NS}}}credit") if _text(c)],
            pub_date=_text(item.find("pubDate")),
            language=_text(item.find(f"{{{_DC_NS}}}language")) or channel_lang,
            channel_date=channel_date,
        )
        guid, link = _text(item.find("guid")), _text(item.find("link"))
        if guid:
            facts[guid] = f  # unique per item; a link may recur in one file (the same story re-dated)
        if link:
            facts.setdefault(link, f)
    return facts


def rounds() -> Iterator[tuple[str, list[Path]]]:
    """(round name, feed files) for every capture round of the real-feed corpora."""
    for corpus in CORPORA:
        for snap in sorted((REAL_FEEDS / corpus / "snapshots").iterdir()):
            files = sorted(p for p in snap.rglob("*.xml"))
            if files:
                yield f"{corpus}/{snap.name}", files


def local_day(pub_date: str) -> dt.date | None:
    """The calendar day of an RFC 822 date in its own offset ("Mon, 21 Sep 2020 07:30 +1000" → Sep 21)."""
    try:
        parsed = email.utils.parsedate_to_datetime(pub_date)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed.date() if parsed is not None else None


def _norm_title(title: str) -> str:
    return " ".join(re.findall(r"\w+", title.casefold()))


# ---- running the pipeline ----------------------------------------------------------------------------------------


def stories_via_stages(files: Iterable[Path]) -> Iterator[dict[str, Any]]:
    """Parse (the DoFn), clean, dates with the stage's anchor: one dict per story, shaped as the CLI writes it."""
    from schemas.story import FeedSource, RawEntry
    from transforms.clean.stage import clean_entry
    from transforms.dates.stage import anchor_of, date_mentions
    from transforms.fetch.stage import FetchedFeed
    from transforms.parse.stage import ParseFeedFn

    fn = ParseFeedFn(timeout=None)
    for path in files:
        source = FeedSource(url=str(path), name=path.stem)
        fetched = FetchedFeed(
            source=source, body=path.read_bytes(), headers={}, status=200, final_url=str(path), fetched_at=FETCHED_AT
        )
        for out in fn.process(fetched):
            if not isinstance(out, RawEntry):
                continue
            try:
                story = clean_entry(out)
            except ValueError:
                continue
            row = story.model_dump(mode="json")
            anchor, anchor_source = anchor_of(story)
            row["_anchor"] = anchor.isoformat() if anchor else None
            row["_anchor_source"] = anchor_source
            row["dates"] = [m.model_dump(mode="json") for m in date_mentions(story)]
            yield row


def stories_via_cli(files: list[Path]) -> Iterator[dict[str, Any]]:
    """`python -m pipeline run --no-dedup` over the round's files; the stories it wrote."""
    with tempfile.TemporaryDirectory(prefix="audit-") as out:
        cmd = [sys.executable, "-m", "pipeline", "run", "--quiet", "--no-dedup", "--output", out, "--run-id", "r"]
        for path in files:
            cmd += ["--feeds", str(path)]
        subprocess.run(cmd, check=True)
        for shard in sorted(Path(out, "r").glob("stories-*.jsonl")):
            for line in shard.read_text(encoding="utf-8").splitlines():
                row = json.loads(line)
                anchors = {(d["anchor"], d["anchor_source"]) for d in row.get("dates") or []}
                row["_anchor"], row["_anchor_source"] = anchors.pop() if len(anchors) == 1 else (None, None)
                yield row


# ---- the audit -----------------------------------------------------------------------------------------------------


def _future_on_sunday(body: str, d: dict[str, Any]) -> bool:
    """A "this week" whose sentence says "will" before it, anchored on a Sunday, valued as that Sunday's week."""
    anchor = dt.date.fromisoformat(d["anchor"])
    if anchor.isoweekday() != 7:
        return False
    sentence = re.split(r"[.!?]\s", body[max(d["start"] - 200, 0) : d["start"]])[-1]
    year, week, _ = anchor.isocalendar()
    return re.search(r"\bwill\b", sentence) is not None and d["value"] == f"{year:04d}-W{week:02d}"


def _kicker_left(body: str, description: str) -> bool:
    """The body's first paragraph is the short line the item's text put right above its "By …" line."""
    first = body.split("\n\n", 1)[0]
    return 0 < len(first) <= 120 and re.search(re.escape(first) + r"\s+By [A-Z]", description) is not None


def audit_story(row: dict[str, Any], facts: ItemFacts | None, where: str, audit: Audit) -> None:
    body = row.get("body") or ""
    if facts is not None:
        if facts.media_description and facts.description and body.startswith(facts.media_description[:60].strip()):
            audit.flag("caption_as_body", where, body)
        if facts.creators and not row.get("authors"):
            audit.flag("creator_lost", where, "; ".join(facts.creators))
        credits = " ".join(row.get("credits") or [])
        if any(c not in credits for c in facts.media_credits):
            audit.flag("media_credit_lost", where, "; ".join(facts.media_credits))
        if facts.language and not row.get("language"):
            audit.flag("language_lost", where, facts.language)
        day = local_day(facts.pub_date) if facts.pub_date else None
        anchor_source = row.get("_anchor_source")
        if day is not None and anchor_source == "published" and row.get("_anchor") != day.isoformat():
            audit.flag("anchor_not_local_day", where, f"{facts.pub_date} anchored {row.get('_anchor')}")
        if not facts.pub_date and facts.channel_date and anchor_source == "fetched":
            audit.flag("channel_date_ignored", where, f"channel {facts.channel_date}")
    if m := PROMO_RE.search(body):
        audit.flag("promo_line", where, body[max(m.start() - 40, 0) : m.end() + 80])
    if m := FILED_RE.search(body):
        audit.flag("filed_line", where, body[m.start() : m.start() + 120])
    if facts is not None and _kicker_left(body, facts.description):
        audit.flag("kicker_above_byline", where, body[:120])
    if m := BYLINE_RE.search(body):
        audit.flag("byline_in_body", where, m.group(0))
    if CAPS_DATELINE_RE.match(body):
        audit.flag("caps_dateline_left", where, body)
    if COLUMN_BYLINE_RE.match(body):
        audit.flag("column_byline_left", where, body)
    if LINK_ONLY_RE.fullmatch(body.strip()):
        audit.flag("link_only_body", where, body)
    if m := STRAY_SPACE_RE.search(body):
        audit.flag("stray_space_punct", where, body[max(m.start() - 50, 0) : m.end() + 30])
    for d in row.get("dates") or []:
        if d["text"].lower() == "this week" and d.get("anchor") and _future_on_sunday(body, d):
            audit.flag("this_week_future_sunday", where, body[max(d["start"] - 60, 0) : d["end"]])
        after = body[d["end"] : d["end"] + 1]
        before = body[max(d["start"] - 30, 0) : d["start"]]
        if d["text"].endswith("Sunday") and NEWSPAPER_DAY_RE.search(before + d["text"] + after):
            audit.flag("newspaper_as_date", where, before + d["text"])
        span = "past decade" in d["text"] or re.search(r"(?:over|during|throughout|across|within|for) $", before)
        if span and "decade" in d["text"] and re.fullmatch(r"\d{3}", d["value"]):
            audit.flag("past_decade_as_decade", where, f"{d['text']} -> {d['value']}")


def audit_template_pairs(name: str, members: list[dict[str, Any]], audit: Audit) -> None:
    """Items sharing one short body whose titles carry different numbers (dated galleries, live-blog editions):
    the dedup stage's own verification (`near_duplicates` on `member_of` sketches) must keep them apart."""
    from schemas.story import Story
    from transforms.dedup.members import member_of, near_duplicates
    from transforms.dedup.neardup import DedupConfig

    numbered = {}
    for row in members:
        numbers = tuple(re.findall(r"\d+", row.get("title") or ""))
        numbered.setdefault(numbers, row)
    if len(numbered) < 2:
        return
    cfg = DedupConfig()
    sketches = [
        member_of(Story.model_validate({k: row[k] for k in Story.model_fields if k in row}), cfg)
        for row in numbered.values()
    ]
    for i, a in enumerate(sketches):
        for b in sketches[i + 1 :]:
            if near_duplicates(a, b, cfg):
                audit.flag("template_near_merge", name, f"{a.title} | {b.title}")


def audit_round(name: str, files: list[Path], via: str, audit: Audit) -> None:
    facts: dict[str, dict[str, ItemFacts]] = {str(p): item_facts(p.read_bytes()) for p in files}
    stories = stories_via_cli(files) if via == "cli" else stories_via_stages(files)
    clusters: dict[str, list[dict[str, Any]]] = defaultdict(list)
    same_body: dict[str, list[dict[str, Any]]] = defaultdict(list)
    from transforms.dedup.members import MIN_HASHED_BODY

    for row in stories:
        audit.stories += 1
        feed = row["source"]["url"]
        per_feed = facts.get(feed, {})
        item = per_feed.get(row.get("guid") or "") or per_feed.get(row.get("url") or "")
        where = f"{name}/{Path(feed).name} {row.get('title', '')[:50]!r}"
        audit_story(row, item, where, audit)
        if len(row.get("body") or "") >= MIN_HASHED_BODY:
            clusters[row["content_hash"]].append(row)
        if 0 < len((row.get("body") or "").split()) < 60:
            same_body[row["body"]].append(row)
    for members in clusters.values():
        titles = {_norm_title(m.get("title") or "") for m in members}
        if len(titles) > 1:
            audit.flag(
                "hash_cluster_titles_differ", name, " | ".join(sorted(m.get("title") or "" for m in members))[:300]
            )
    for members in same_body.values():
        audit_template_pairs(name, members, audit)
    audit.rounds += 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    ap.add_argument("--via", choices=("stages", "cli"), default="stages", help="stage functions (fast) or the CLI")
    ap.add_argument("--json", type=Path, help="write counts and examples here")
    ap.add_argument("--examples", type=int, default=3, help="examples kept per check")
    ap.add_argument("--only", default="", help="audit only the rounds whose name contains this (e.g. 20210919)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    audit = Audit(max_examples=args.examples)
    for name, files in rounds():
        if args.only in name:
            audit_round(name, files, args.via, audit)
    print(f"real-feed audit via {args.via}: {audit.rounds} rounds, {audit.stories} stories")
    width = max(map(len, CHECKS))
    for check, what in CHECKS.items():
        print(f"  {check:<{width}} {audit.counts[check]:>5}  {what}")
    print(f"  {'TOTAL':<{width}} {sum(audit.counts.values()):>5}")
    for check, examples in audit.examples.items():
        for example in examples:
            print(f"    [{check}] {example}")
    if args.json:
        args.json.write_text(json.dumps({"counts": audit.counts, "examples": audit.examples}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
