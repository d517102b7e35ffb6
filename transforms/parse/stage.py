"""Stage 2 — ParseEntries: feedparser over fetched bytes → one RawEntry per item.

feedparser is given bytes and the response headers, never a URL or a path (it would fetch or read on its own).
A bozo feed keeps its good entries; a body that is not a feed at all is a dead letter `not_a_feed`, not zero
entries. The `ParseStoryLines` composite does the same job for `wirebeam enrich` input (JSONL stories).
"""

from __future__ import annotations

import calendar
import datetime as dt
import email.utils
import io
import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Literal

import apache_beam as beam
import orjson

from schemas.story import FeedSource, RawEntry
from transforms.article.metadata import page_metadata
from transforms.article.stage import extract_article
from transforms.common import DEAD_LETTER, counter, dead_letter, stable_id, utcnow
from transforms.faults import ElementTimeout, time_limit
from transforms.fetch.http import feedparser_headers
from transforms.fetch.stage import FEED_REPORT, FetchedFeed, feed_report

LOGGER = logging.getLogger(__name__)

STAGE = "parse"
# Caps keep one hostile feed from dominating a worker; what is cut is counted.
MAX_ENTRIES_PER_FEED = 5000
MAX_FIELD_CHARS = 200_000
MAX_TITLE_CHARS = 1000
# One feed's parse may take this long (seconds); a slower one is a hostile or broken feed, not news.
PARSE_TIMEOUT = 60.0
# A date more than this far ahead of the fetch is a feed bug, not news from the future.
FUTURE_SLACK = dt.timedelta(days=1)

# C0/C1 controls (except tab/newline), lone surrogates and non-characters never reach the output.
_BAD_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def scrub(text: str | None, limit: int = MAX_FIELD_CHARS) -> str | None:
    """Remove characters that must not reach JSON output and cap the length; None stays None."""
    if text is None:
        return None
    if len(text) > limit:
        counter("parse.field_truncated").inc()
        text = text[:limit]
    return _BAD_CHARS.sub("", text)


def looks_like_json_feed(body: bytes) -> bool:
    head = body[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"{") and b"jsonfeed.org" in body[:4096]


def parse_json_feed(body: bytes) -> dict[str, Any]:
    """JSON Feed 1.0/1.1 → the shape feedparser returns for XML feeds.

    feedparser 6.0.14 (the current release) has no JSON Feed support, so this small adapter maps the spec's
    fields (https://www.jsonfeed.org/version/1.1/) onto feedparser's keys and reuses its date parser.
    """
    import feedparser  # imported where feeds are parsed: `enrich`'s story lines never need it

    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        return {"bozo": True, "bozo_exception": exc, "entries": [], "version": ""}
    if not isinstance(doc, dict) or not isinstance(doc.get("items"), list):
        return {
            "bozo": True,
            "bozo_exception": ValueError("JSON Feed without items"),
            "entries": [],
            "version": "",
        }
    entries = []
    for item in doc["items"]:
        if not isinstance(item, dict):
            continue
        content = []
        if isinstance(item.get("content_html"), str):
            content.append({"value": item["content_html"], "type": "text/html"})
        elif isinstance(item.get("content_text"), str):
            content.append({"value": item["content_text"], "type": "text/plain"})
        authors = item.get("authors") or ([item["author"]] if isinstance(item.get("author"), dict) else [])
        entry: dict[str, Any] = {
            "id": str(item["id"]) if item.get("id") is not None else None,
            "link": item.get("url") or item.get("external_url"),
            "title": item.get("title"),
            "summary": item.get("summary"),
            "summary_detail": {"type": "text/plain"},
            "content": content,
            "authors": [{"name": a.get("name")} for a in authors if isinstance(a, dict)],
            "tags": [{"term": t} for t in item.get("tags") or [] if isinstance(t, str)],
        }
        for ours, theirs in (("published", "date_published"), ("updated", "date_modified")):
            if isinstance(item.get(theirs), str):
                entry[ours] = item[theirs]
                entry[f"{ours}_parsed"] = feedparser.datetimes._parse_date(item[theirs])
        entries.append(entry)
    version = str(doc.get("version", ""))
    return {
        "bozo": False,
        "entries": entries,
        "version": "json11" if version.endswith("1.1") else "json1",
        "feed": {"title": doc.get("title"), "language": doc.get("language")},
    }


def struct_to_datetime(value: Any) -> dt.datetime | None:
    """feedparser's UTC struct_time → aware datetime."""
    if value is None:
        return None
    try:
        return dt.datetime.fromtimestamp(calendar.timegm(value), dt.UTC)
    except (TypeError, ValueError, OverflowError):
        return None


DateFlag = Literal["unparseable", "future"]


def entry_date(
    entry: Mapping[str, Any], field: str, fetched_at: dt.datetime
) -> tuple[str | None, dt.datetime | None, DateFlag | None]:
    """(as given, parsed UTC, flag) for `published` or `updated`."""
    text = entry.get(field)
    parsed = struct_to_datetime(entry.get(f"{field}_parsed"))
    if text and parsed is None:
        return text, None, "unparseable"
    if parsed is not None and parsed > fetched_at + FUTURE_SLACK:
        return text, None, "future"
    return text, parsed, None


# Keys feedparser gives an entry that carries a photo or video (Media RSS); a plain-text `content` beside a
# description on such an entry is its media:description, i.e. a caption.
_MEDIA_KEYS = ("media_content", "media_thumbnail", "media_credit", "media_group")
# A media caption is a sentence or two; a longer text beside the description is the story itself.
_CAPTION_MAX_CHARS = 600
_TAG_RE = re.compile(r"<[^>]*>")
# UTC offsets beyond these are feed bugs, not places (the widest real offsets are -12:00 and +14:00).
_MAX_OFFSET_MINUTES = 14 * 60


def _plain(html: str) -> str:
    return " ".join(_TAG_RE.sub(" ", html).split())


def _is_caption(item: Mapping[str, Any], entry: Mapping[str, Any]) -> bool:
    """A `content` value that is a media:description (a photo caption) rather than the story.

    feedparser files a second description-like element of an item (`media:description` after `description`)
    under `content`, typed as HTML when it holds an entity, so its type does not tell it from content:encoded.
    What does: on an item with media attached, a caption is short and does not repeat the description, while
    the item's full text (content:encoded) opens with its description or runs far longer than a caption.
    """
    summary = entry.get("summary")
    if not summary or not any(entry.get(k) for k in _MEDIA_KEYS):
        return False
    value = _plain(item.get("value") or "")
    return len(value) <= _CAPTION_MAX_CHARS and _plain(summary)[:60] not in value


def _content(entry: Mapping[str, Any]) -> tuple[str | None, bool]:
    """The story text among an entry's content values and whether it is HTML: the richest content value that
    is not a media caption; None when only the summary (RSS description, Atom summary) holds the story."""
    best: Mapping[str, Any] | None = None
    for item in entry.get("content") or []:
        if _is_caption(item, entry):
            counter("parse.caption_skipped").inc()
            continue
        if best is None or len(item.get("value") or "") > len(best.get("value") or ""):
            best = item
    if best is None:
        return None, True
    return best.get("value"), "html" in (best.get("type") or "text/html")


def _language(entry: Mapping[str, Any], channel_language: str | None) -> str | None:
    """The item's own language (dc:language, xml:lang on its text), else the channel's."""
    own = entry.get("language")
    if not own:
        for key in ("content", "summary_detail", "title_detail"):
            value = entry.get(key)
            detail = value[0] if isinstance(value, list) and value else value
            if isinstance(detail, Mapping) and detail.get("language"):
                own = detail["language"]
                break
    return scrub(own or channel_language, 50) or None


def _media_credits(entry: Mapping[str, Any]) -> list[str]:
    """media:credit texts (photographers, agencies), in order, without repeats."""
    credits: list[str] = []
    for credit in entry.get("media_credit") or []:
        text = scrub((credit.get("content") or "").strip(), 300) if isinstance(credit, Mapping) else None
        if text and text not in credits:
            credits.append(text)
    return credits


def utc_offset_minutes(text: str | None) -> int | None:
    """The UTC offset a date was written in ("Mon, 21 Sep 2020 07:30:00 +1000" → 600), None if it names none.

    feedparser turns dates into UTC and drops the offset; the story's local day needs it. RFC 822 (with zone
    names such as EST) and ISO 8601 / W3C-DTF are read; "-0000" means "offset unknown" (RFC 5322) → None.
    """
    if not text:
        return None
    text = text.strip()
    parsed: dt.datetime | None
    try:
        parsed = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        try:
            parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            return None
    return offset_minutes(parsed)


def offset_minutes(moment: dt.datetime | None) -> int | None:
    """An aware datetime's UTC offset in minutes; None for a naive one or an offset no place has."""
    offset = moment.utcoffset() if moment is not None else None
    if offset is None:
        return None
    minutes = int(offset.total_seconds() // 60)
    return minutes if abs(minutes) <= _MAX_OFFSET_MINUTES else None


def channel_date(channel: Mapping[str, Any], fetched_at: dt.datetime) -> tuple[dt.datetime | None, int | None]:
    """The channel's own date (RSS channel pubDate, else lastBuildDate / Atom feed updated) and its UTC offset:
    the fallback day of items that carry no date of their own."""
    for field in ("published", "updated"):
        text, parsed, _flag = entry_date(channel, field, fetched_at)
        if parsed is not None:
            return parsed, utc_offset_minutes(text)
    return None, None


def entry_id(feed_url: str, guid: str | None, link: str | None, title: str | None, text: str | None) -> str:
    """Stable entry id: GUID, else link, else the content itself (feeds without either exist)."""
    if guid:
        return stable_id("guid", feed_url, guid)
    if link:
        return stable_id("link", feed_url, link)
    return stable_id("content", feed_url, title or "", text or "")


def to_raw_entry(
    entry: Mapping[str, Any],
    source: FeedSource,
    fetched_at: dt.datetime,
    bozo: bool,
    language: str | None,
    channel: Mapping[str, Any] | None = None,
) -> RawEntry:
    """One feedparser entry → RawEntry; `language` and `channel` (feedparser's `feed` dict) are the channel's."""
    guid = scrub(entry.get("id"), 2000)
    link = scrub(entry.get("link"), 2000)
    title = scrub(entry.get("title"), MAX_TITLE_CHARS)
    summary = scrub(entry.get("summary"))
    content, content_is_html = _content(entry)
    content = scrub(content)
    summary_detail = entry.get("summary_detail") or {}
    is_html = content_is_html if content else "html" in (summary_detail.get("type") or "text/html")
    published_text, published_at, pub_flag = entry_date(entry, "published", fetched_at)
    updated_text, updated_at, upd_flag = entry_date(entry, "updated", fetched_at)
    offset = utc_offset_minutes(published_text) if published_at is not None else None
    if published_at is None and pub_flag is None and updated_at is not None:
        published_at = updated_at  # RSS items often carry only <dc:date>/<updated>
        offset = utc_offset_minutes(updated_text)
    channel_at, channel_offset = channel_date(channel or {}, fetched_at)
    authors = [scrub(a.get("name"), 300) or "" for a in entry.get("authors") or [] if a.get("name")]
    categories = [scrub(t.get("term"), 300) or "" for t in entry.get("tags") or [] if t.get("term")]
    return RawEntry(
        id=entry_id(source.url, guid, link, title, content or summary),
        source=source,
        guid=guid,
        link=link,
        title=title,
        summary_html=summary,
        content_html=content,
        published_text=scrub(published_text, 200),
        published_at=published_at,
        published_offset_minutes=offset,
        updated_text=scrub(updated_text, 200),
        updated_at=updated_at,
        date_flag=pub_flag or (upd_flag if published_at is None else None),
        channel_published_at=channel_at,
        channel_offset_minutes=channel_offset,
        authors=authors,
        credits=_media_credits(entry),
        categories=categories,
        language=_language(entry, language) or source.language,
        feed_bozo=bozo,
        fetched_at=fetched_at,
        is_html=is_html,
    )


# A DOCTYPE in the prolog (after an XML declaration, comments, processing instructions) with an internal subset.
_PROLOG_DOCTYPE = re.compile(
    # Each prolog item excludes its own terminator, so the pattern cannot backtrack over many ways to split them.
    rb"\A(?:\xef\xbb\xbf)?\s*(?:(?:<\?(?:[^?]|\?(?!>))*\?>|<!--(?:[^-]|-(?!->))*-->)\s*)*"
    rb"<!DOCTYPE\s[^\[>]*\[(?P<subset>.*?)\]\s*>",
    re.DOTALL,
)


def declares_entities(body: bytes) -> bool:
    """True when the document declares its own entities in a DOCTYPE's internal subset, which is how billion
    laughs and quadratic blowup expand a few bytes into gigabytes (defusedxml refuses the same documents);
    news feeds never need them."""
    if body.startswith((b"\xff\xfe", b"\xfe\xff")):
        body = body.decode("utf-16", errors="replace").encode("utf-8")
    match = _PROLOG_DOCTYPE.match(body)
    return match is not None and b"<!ENTITY" in match["subset"]


def _feed_failure(url: str, error_type: str, error: BaseException | str, body: bytes) -> Iterator[Any]:
    """A feed that yields nothing: its report (one feed error) and its dead letter."""
    yield feed_report(url, feed_errors=1, error_type=error_type)
    yield dead_letter(STAGE, error, url, error_type=error_type, payload=body)


def parse_feed_bytes(fetched: FetchedFeed) -> dict[str, Any]:
    """feedparser (or the JSON Feed adapter) over the fetched bytes and headers; never a URL or a path."""
    if looks_like_json_feed(fetched.body):
        return parse_json_feed(fetched.body)
    import feedparser

    return feedparser.parse(
        io.BytesIO(fetched.body),
        # The body is already decoded: drop encoding headers; content-location gives relative links a base.
        response_headers=feedparser_headers(fetched.headers, fetched.final_url),
        sanitize_html=True,
        resolve_relative_uris=True,
    )


class ParseFeedFn(beam.DoFn):
    """FetchedFeed → RawEntry per item; a feed report with the entry count; dead letters for what fails."""

    def __init__(self, timeout: float | None = PARSE_TIMEOUT) -> None:
        self._timeout = timeout

    def process(self, fetched: FetchedFeed) -> Iterator[Any]:
        url = fetched.source.url
        if declares_entities(fetched.body):
            counter("parse.dtd_entities").inc()
            yield from _feed_failure(
                url, "dtd_entities", "the feed declares its own DTD entities (refused)", fetched.body
            )
            return
        try:
            with time_limit(self._timeout):
                parsed = parse_feed_bytes(fetched)
        except ElementTimeout as exc:  # quadratic entity expansion, a regex gone wild in a sanitizer …
            counter("parse.timeout").inc()
            yield from _feed_failure(url, "parse_timeout", exc, fetched.body)
            return
        except Exception as exc:  # feedparser raises on some character references; contain it per feed
            counter("parse.feed_crashed").inc()
            yield from _feed_failure(url, "parse_error", exc, fetched.body)
            return
        entries = parsed.get("entries") or []
        bozo = bool(parsed.get("bozo"))
        if not entries and not parsed.get("version"):
            reason = str(parsed.get("bozo_exception") or "no feed elements found")
            yield from _feed_failure(url, "not_a_feed", f"not a feed: {reason}", fetched.body)
            return
        if bozo:
            counter("parse.bozo_feeds").inc()
        if len(entries) > MAX_ENTRIES_PER_FEED:
            counter("parse.entries_capped").inc(len(entries) - MAX_ENTRIES_PER_FEED)
            LOGGER.warning("%s: %d entries, keeping the first %d", url, len(entries), MAX_ENTRIES_PER_FEED)
            entries = entries[:MAX_ENTRIES_PER_FEED]
        feed_meta = parsed.get("feed") or {}
        language = feed_meta.get("language")
        yield feed_report(url, entries_read=len(entries), bozo=int(bozo), version=parsed.get("version") or "")
        seen: dict[str, int] = {}
        for entry in entries:
            try:
                raw = to_raw_entry(entry, fetched.source, fetched.fetched_at, bozo, language, feed_meta)
                repeats = seen.get(raw.id, 0)
                seen[raw.id] = repeats + 1
                if repeats:
                    # A GUID used twice in one feed: both entries are read; the later one gets its own id.
                    counter("parse.duplicate_guid").inc()
                    raw = raw.model_copy(update={"id": stable_id(raw.id, str(repeats))})
                yield raw
                counter("parse.entries").inc()
            except (ValueError, TypeError, AttributeError, KeyError) as exc:
                yield dead_letter(
                    STAGE,
                    exc,
                    url,
                    entry_id=stable_id("bad-entry", url, repr(entry)[:500]),
                    payload=repr(entry),
                )


class ParseEntries(beam.PTransform):
    """PCollection[FetchedFeed] → {"entries": RawEntry, "feed_report": dict, "dead_letter": DeadLetter}."""

    def expand(self, feeds: beam.PCollection) -> beam.pvalue.DoOutputsTuple:
        return feeds | "Parse" >> beam.ParDo(ParseFeedFn()).with_outputs(
            FEED_REPORT, DEAD_LETTER, main="entries"
        )


# ---------------------------------------------------------------------------------------------------------
# `wirebeam enrich` input: one JSON object per line with id, text|html, and optional title, url, published_at,
# page. The user's id is the story's id. A whole HTML page takes the article path (main text and page metadata).

INPUT_STAGE = "input"
# A user's id longer than this is not an id but a mistake (a body in the wrong field).
MAX_ID_CHARS = 1000
# A whole document, not a fragment: a doctype, an <html> or a <body> element.
_WHOLE_PAGE_RE = re.compile(r"<!doctype\s+html|<html[\s>]|<body[\s>]", re.IGNORECASE)


def is_whole_page(html: str) -> bool:
    """Whether `html` is a whole document (doctype, <html> or <body>) rather than a feed-style fragment."""
    return _WHOLE_PAGE_RE.search(html) is not None


def _user_id(obj: dict[str, Any]) -> str:
    story_id = obj.get("id")
    if isinstance(story_id, bool) or not isinstance(story_id, str | int) or str(story_id).strip() == "":
        raise ValueError("missing 'id' (a non-empty string)")
    if len(str(story_id)) > MAX_ID_CHARS:
        raise ValueError(f"'id' is longer than {MAX_ID_CHARS} characters")
    return str(story_id)


def _published(obj: dict[str, Any]) -> dt.datetime | None:
    published_text = obj.get("published_at")
    if published_text is None:
        return None
    try:
        published_at = dt.datetime.fromisoformat(str(published_text))
    except ValueError as exc:
        raise ValueError(f"'published_at' is not ISO 8601: {published_text!r}") from exc
    if published_at.tzinfo is None:
        published_at = published_at.replace(tzinfo=dt.UTC)
    return published_at.astimezone(dt.UTC)


def _page_flag(obj: dict[str, Any], html: str | None) -> bool:
    flag = obj.get("page")
    if flag is not None and not isinstance(flag, bool):
        raise ValueError("'page' must be true or false")
    if html is None:
        if flag:
            raise ValueError("'page': true needs 'html'")
        return False
    return is_whole_page(html) if flag is None else flag


def parse_story_line(line: str, source: FeedSource, fetched_at: dt.datetime) -> RawEntry:
    """One input line → RawEntry with the user's id; ValueError with a reason a user can act on.

    A whole page (`page: true`, or an `html` that is a document) is read as an article page: its main text
    replaces the HTML, and its headline, byline and publish time fill `title`, `authors` and `published_at`
    where the line does not give them.
    """
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON: {exc}") from exc
    if not isinstance(obj, dict):
        raise ValueError("each line must be a JSON object")
    story_id = _user_id(obj)
    text, html = obj.get("text"), obj.get("html")
    if not isinstance(text, str) and not isinstance(html, str):
        raise ValueError("needs 'text' or 'html' (a string)")
    html = html if isinstance(html, str) else None
    published_at = _published(obj)
    url = obj.get("url") if isinstance(obj.get("url"), str) else None
    title = obj.get("title") if isinstance(obj.get("title"), str) else None
    published_text = obj.get("published_at")
    entry = RawEntry(
        id=story_id,
        source=source,
        guid=story_id,
        link=scrub(url, 2000),
        title=scrub(title, MAX_TITLE_CHARS),
        content_html=scrub(html if html is not None else text),
        published_text=None if published_text is None else str(published_text),
        published_at=published_at,
        published_source="input" if published_at is not None else None,
        published_offset_minutes=utc_offset_minutes(str(published_text)) if published_at is not None else None,
        fetched_at=fetched_at,
        is_html=html is not None,
    )
    if _page_flag(obj, html) and html is not None:
        entry = read_page(entry, html)
    return entry


def read_page(entry: RawEntry, html: str) -> RawEntry:
    """The entry of a whole page: its main text, and the page's headline, byline and date where the input has none.

    A page without an article (extraction finds no main text) keeps its HTML for the feed cleaner, so what text
    it has is not lost.
    """
    counter("enrich.pages").inc()
    try:
        meta = page_metadata(html, entry.link)
        text = extract_article(html, entry.link)
    except Exception:  # a hostile page must not fail the job: broad on purpose, logged, the page keeps its HTML
        LOGGER.exception("reading page %s failed; cleaning it as feed HTML", entry.id)
        counter("enrich.page_failed").inc()
        return entry
    update: dict[str, Any] = {}
    if text:
        update.update(content_html=scrub(text), is_html=False)
    else:
        counter("enrich.page_without_article").inc()
    if entry.title is None and meta.title:
        update["title"] = scrub(meta.title, MAX_TITLE_CHARS)
    if not entry.authors and meta.authors:
        update["authors"] = [scrub(a, 300) or "" for a in meta.authors]
    if entry.published_at is None and meta.published_at is not None:
        if meta.published_at <= entry.fetched_at + FUTURE_SLACK:
            # UTC plus the page's own offset, as for feed dates: the date anchor is the day the page shows
            update.update(
                published_at=meta.published_at.astimezone(dt.UTC),
                published_offset_minutes=offset_minutes(meta.published_at),
                published_text=scrub(meta.published_text, 200),
                published_source=meta.published_source,
            )
        else:
            update["date_flag"] = "future"
    return entry.model_copy(update=update)


def decode_line(line: bytes | str) -> str:
    """An input line as text: UTF-8 (a byte-order mark and a CR line end dropped); UnicodeDecodeError otherwise."""
    if isinstance(line, bytes):
        line = line.decode("utf-8")
    return line.removeprefix("\ufeff").removesuffix("\r")


def _line_entry_id(line: bytes | str) -> str:
    """The id a dead letter carries: the user's id when the line has one, else a hash of the line."""
    text = line.decode("utf-8", errors="replace") if isinstance(line, bytes) else line
    try:
        obj = orjson.loads(text.removeprefix("\ufeff"))
        return _user_id(obj)
    except (orjson.JSONDecodeError, ValueError, AttributeError, TypeError):
        return stable_id("bad-line", text[:2000])


class ParseStoryLineFn(beam.DoFn):
    """An input line (bytes, as read) → RawEntry; a dead letter of stage `input` for a line that is not one."""

    def __init__(self, source: FeedSource, timeout: float | None = PARSE_TIMEOUT) -> None:
        self._source = source
        self._timeout = timeout

    def process(self, line: bytes | str) -> Iterator[Any]:
        try:
            text = decode_line(line)
        except UnicodeDecodeError as exc:
            counter("enrich.lines").inc()
            message = f"line is not UTF-8 (byte 0x{exc.object[exc.start]:02x} at position {exc.start}: {exc.reason})"
            yield dead_letter(
                INPUT_STAGE,
                f"{message}; save the file as UTF-8",
                self._source.url,
                entry_id=_line_entry_id(line),
                payload=line,
                error_type="not_utf8",
            )
            return
        if not text.strip():
            return
        counter("enrich.lines").inc()
        failure: BaseException
        try:
            with time_limit(self._timeout):  # a whole page goes through main-text extraction
                entry = parse_story_line(text, self._source, utcnow())
        except ElementTimeout as exc:
            failure, error_type = exc, "parse_timeout"
        except ValueError as exc:
            failure, error_type = exc, "bad_input"
        else:
            yield entry
            return
        yield dead_letter(
            INPUT_STAGE,
            failure,
            self._source.url,
            entry_id=_line_entry_id(text),
            payload=text,
            error_type=error_type,
        )


def one_per_id(keyed: tuple[str, Iterable[RawEntry]], source: str) -> Iterator[Any]:
    """The entries of one user id: one is kept (the same one in every run), any other is a dead letter
    `duplicate_id`, so an id names one story of the output."""
    story_id, entries = keyed
    ordered = sorted(entries, key=lambda e: e.model_dump_json(exclude={"fetched_at"}))
    yield ordered[0]
    for extra in ordered[1:]:
        yield dead_letter(
            INPUT_STAGE,
            f"id {story_id!r} is on {len(ordered)} lines; one is kept, the others are dead letters",
            source,
            entry_id=story_id,
            payload=extra.content_html,
            error_type="duplicate_id",
        )


class ParseStoryLines(beam.PTransform):
    """PCollection[bytes | str] (lines of one input file) → {"entries": RawEntry, "dead_letter": DeadLetter}, one
    entry per user id."""

    def __init__(self, source: FeedSource, label: str | None = None) -> None:
        super().__init__(label)
        self._source = source

    def expand(self, lines: beam.PCollection) -> dict[str, beam.PCollection]:
        parsed = lines | "ParseLine" >> beam.ParDo(ParseStoryLineFn(self._source)).with_outputs(
            DEAD_LETTER, main="entries"
        )
        unique = (
            parsed.entries
            | "ById" >> beam.Map(lambda e: (e.id, e))
            | "GroupById" >> beam.GroupByKey()
            | "OnePerId" >> beam.FlatMap(one_per_id, self._source.url).with_outputs(DEAD_LETTER, main="entries")
        )
        dead = (parsed[DEAD_LETTER], unique[DEAD_LETTER]) | "DeadLetters" >> beam.Flatten()
        return {"entries": unique.entries, DEAD_LETTER: dead}
