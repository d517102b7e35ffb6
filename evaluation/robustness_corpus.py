"""Robustness of fetch + parse on feedparser's own 2,106-file test corpus, served over local HTTP.

Every XML case in ../shared/corpora/feeds-robustness/tests is served by the scripted test server on 127.0.0.1
(with the `Header:` lines the case asks for; HTTP cases default to `Content-type: text/xml` as feedparser's
harness does, the others get no Content-Type so the bytes decide, as for a local file), fetched with
`transforms.fetch.http.Fetcher`, and parsed with `feedparser.parse(io.BytesIO(body), response_headers=...)`.
It counts crashes and hangs (both must be 0), fetch errors, entries, files with no entry, the slowest file and
peak memory, and how often each case's `Expect:` expression holds, against plain `feedparser.parse(path)`.

    .venv/bin/python -m evaluation.robustness_corpus [--json PATH] [--limit N] [--timeout S]
"""

from __future__ import annotations

import argparse
import collections
import datetime
import json
import logging
import os
import resource
import signal
import socket
import sys
import time
import types
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import feedparser
import psutil

from schemas.story import FeedSource, RawEntry
from tests.httpserver import Reply, ScriptedServer
from transforms.common import utcnow
from transforms.fetch.http import Fetcher, FetchSettings
from transforms.fetch.stage import FetchedFeed
from transforms.parse.stage import ParseFeedFn, parse_feed_bytes

LOGGER = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("WIREBEAM_SHARED", ROOT.parent / "shared"))
CORPUS = SHARED / "corpora" / "feeds-robustness"
# feedparser's harness serves its HTTP cases from this address; several expectations spell it out.
HARNESS_PORT = 8097
DEFAULT_TIMEOUT = 10.0


class Hang(BaseException):
    """Raised by the per-file alarm; a BaseException so no `except Exception` on the way can swallow it."""


@dataclass
class CaseOutcome:
    path: str
    http: bool
    seconds: float = 0.0
    fetch_error: str | None = None
    crash: str | None = None
    hang: bool = False
    entries: int = 0
    entries_plain: int = 0
    bozo: bool = False
    skipped: bool = False
    holds: bool | None = None
    holds_plain: bool | None = None
    # wirebeam's own parse stage (ParseFeedFn) on the same bytes: RawEntry records and dead-letter classes.
    stage_entries: int = 0
    stage_dead_letters: list[str] = field(default_factory=list)


@dataclass
class Summary:
    files: int = 0
    http_cases: int = 0
    crashes: int = 0
    hangs: int = 0
    fetch_errors: dict[str, int] = field(default_factory=dict)
    entries: int = 0
    entries_plain: int = 0
    zero_entry_files: int = 0
    bozo_files: int = 0
    slowest_file: str = ""
    slowest_seconds: float = 0.0
    total_seconds: float = 0.0
    peak_rss_mb: float = 0.0
    skipped: int = 0
    evaluated: int = 0
    expect_holds: int = 0
    expect_holds_plain: int = 0
    evaluated_http: int = 0
    expect_holds_http: int = 0
    expect_holds_plain_http: int = 0
    port: int = 0
    only_fetched_holds: list[str] = field(default_factory=list)
    only_plain_holds: list[str] = field(default_factory=list)
    crash_list: list[str] = field(default_factory=list)
    hang_list: list[str] = field(default_factory=list)
    stage_entries: int = 0
    stage_dead_letters: dict[str, int] = field(default_factory=dict)
    stage_valid_empty_feeds: int = 0


def _alarm(_signum: int, _frame: types.FrameType | None) -> None:
    raise Hang()


def _env_globals() -> dict[str, Any]:
    # feedparser's harness evaluates with its test module's globals: datetime, time, feedparser are used.
    return {"datetime": datetime, "time": time, "feedparser": feedparser, "__builtins__": __builtins__}


def evaluate(expression: str | None, result: Any) -> bool:
    """Whether an `Expect:`/`SkipUnless:` expression holds over a parse result (its keys are the locals)."""
    if not expression:
        return True
    try:
        return bool(eval(expression, _env_globals(), dict(result)))
    except Exception:  # an expectation that errors simply does not hold (e.g. a missing key)
        return False


def _served_reply(body: bytes, row: dict[str, Any]) -> Reply:
    headers = dict(row.get("http_headers") or {})
    if row["http"] and not any(name.lower() == "content-type" for name in headers):
        headers["Content-type"] = "text/xml"
    return Reply(body=body, headers=headers, content_type=None if row["http"] else "application/xml")


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def load_cases(corpus: Path, limit: int | None) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in (corpus / "expectations.jsonl").read_text().splitlines() if line]
    return rows[:limit] if limit else rows


def run_case(row: dict[str, Any], corpus: Path, server: ScriptedServer, fetcher: Fetcher, limit: float) -> CaseOutcome:
    """Fetch, parse and check one case; the alarm bounds the whole case, parse included."""
    outcome = CaseOutcome(path=row["path"], http=row["http"])
    url = f"http://127.0.0.1:{server.port}/{row['path']}"
    started = time.perf_counter()
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        result = fetcher.fetch(url)
        if result.error_type is not None or result.body is None:
            outcome.fetch_error = result.error_type or "no_body"
        else:
            fetched = FetchedFeed(source=FeedSource(url=url), body=result.body, headers=result.headers,
                                  status=result.status, final_url=result.final_url, fetched_at=utcnow())
            parsed = parse_feed_bytes(fetched)  # the very call the pipeline's parse stage makes
            for out in ParseFeedFn(timeout=None).process(fetched):
                if isinstance(out, RawEntry):
                    outcome.stage_entries += 1
                elif out.tag == "dead_letter":
                    outcome.stage_dead_letters.append(out.value.error_type)
            outcome.entries = len(parsed.get("entries", []))
            outcome.bozo = bool(parsed.get("bozo"))
            if not evaluate(row.get("skip_unless"), parsed):
                outcome.skipped = True
            else:
                outcome.holds = evaluate(row.get("expect"), parsed)
    except Hang:
        outcome.hang = True
    except Exception as exc:
        outcome.crash = f"{type(exc).__name__}: {exc}"[:300]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    outcome.seconds = time.perf_counter() - started
    if not outcome.skipped and not outcome.hang and outcome.crash is None:
        signal.setitimer(signal.ITIMER_REAL, limit)
        try:
            plain = feedparser.parse(str(corpus / row["path"]))
            outcome.entries_plain = len(plain.get("entries", []))
            outcome.holds_plain = evaluate(row.get("expect"), plain)
        except (Hang, Exception):
            outcome.holds_plain = False
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    return outcome


def summarize(outcomes: list[CaseOutcome], port: int, seconds: float) -> Summary:
    summary = Summary(files=len(outcomes), port=port, total_seconds=round(seconds, 2))
    errors: collections.Counter[str] = collections.Counter()
    for o in outcomes:
        summary.http_cases += o.http
        if o.crash:
            summary.crashes += 1
            summary.crash_list.append(f"{o.path}: {o.crash}")
        if o.hang:
            summary.hangs += 1
            summary.hang_list.append(o.path)
        if o.fetch_error:
            errors[o.fetch_error] += 1
        summary.entries += o.entries
        summary.entries_plain += o.entries_plain
        if not (o.crash or o.hang or o.fetch_error) and o.entries == 0:
            summary.zero_entry_files += 1
        summary.bozo_files += o.bozo
        summary.skipped += o.skipped
        if o.seconds > summary.slowest_seconds:
            summary.slowest_seconds, summary.slowest_file = round(o.seconds, 4), o.path
        if o.holds is None and not (o.crash or o.hang or o.fetch_error):
            continue
        if o.skipped:
            continue
        holds, plain = bool(o.holds), bool(o.holds_plain)
        summary.evaluated += 1
        summary.expect_holds += holds
        summary.expect_holds_plain += plain
        if o.http:
            summary.evaluated_http += 1
            summary.expect_holds_http += holds
            summary.expect_holds_plain_http += plain
        if holds and not plain:
            summary.only_fetched_holds.append(o.path)
        if plain and not holds:
            summary.only_plain_holds.append(o.path)
    summary.fetch_errors = dict(errors)
    dead: collections.Counter[str] = collections.Counter()
    for o in outcomes:
        summary.stage_entries += o.stage_entries
        dead.update(o.stage_dead_letters)
        if not (o.crash or o.hang or o.fetch_error) and o.stage_entries == 0 and not o.stage_dead_letters:
            summary.stage_valid_empty_feeds += 1
    summary.stage_dead_letters = dict(dead)
    # ru_maxrss is in KiB on Linux; psutil gives the current figure as a cross-check.
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    summary.peak_rss_mb = round(max(peak_kib / 1024, psutil.Process().memory_info().rss / 2**20), 1)
    return summary


def print_table(s: Summary, out: Any = sys.stdout) -> None:
    def pct(part: int, whole: int) -> str:
        return f"{part}/{whole} ({100 * part / whole:.1f}%)" if whole else "0/0"

    rows = [
        ("files served and fetched", f"{s.files} ({s.http_cases} with HTTP headers), port {s.port}"),
        ("crashes", str(s.crashes)),
        ("hangs", str(s.hangs)),
        ("fetch errors", json.dumps(s.fetch_errors) if s.fetch_errors else "0"),
        ("entries parsed (parse(path) gives)", f"{s.entries} ({s.entries_plain})"),
        ("files with zero entries", str(s.zero_entry_files)),
        ("wirebeam parse stage: entries", str(s.stage_entries)),
        ("  dead letters by class", json.dumps(s.stage_dead_letters) if s.stage_dead_letters else "0"),
        ("  valid feeds with no items", str(s.stage_valid_empty_feeds)),
        ("bozo files", str(s.bozo_files)),
        ("slowest file", f"{s.slowest_file} ({s.slowest_seconds * 1000:.1f} ms)"),
        ("wall time", f"{s.total_seconds:.1f} s"),
        ("peak RSS", f"{s.peak_rss_mb:.0f} MB"),
        ("skipped (SkipUnless false)", str(s.skipped)),
        ("Expect holds: fetch+parse(bytes)", pct(s.expect_holds, s.evaluated)),
        ("Expect holds: feedparser.parse(path)", pct(s.expect_holds_plain, s.evaluated)),
        ("  HTTP cases: fetch+parse(bytes)", pct(s.expect_holds_http, s.evaluated_http)),
        ("  HTTP cases: feedparser.parse(path)", pct(s.expect_holds_plain_http, s.evaluated_http)),
        ("holds only via fetch / only plain", f"{len(s.only_fetched_holds)} / {len(s.only_plain_holds)}"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}", file=out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--json", type=Path, help="write the figures (and the differing files) as JSON here")
    parser.add_argument("--limit", type=int, help="only the first N cases (quick check)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="per-file limit, seconds")
    parser.add_argument("--verbose", action="store_true", help="list the files whose outcome differs")
    args = parser.parse_args(argv)
    if args.timeout <= 0:
        parser.error(f"--timeout must be > 0, got {args.timeout}")
    if not (CORPUS / "expectations.jsonl").exists():
        print(f"corpus absent: {CORPUS} (set WIREBEAM_SHARED or put shared/ beside the checkout)", file=sys.stderr)
        return 2
    cases = load_cases(CORPUS, args.limit)
    port = HARNESS_PORT if _port_free(HARNESS_PORT) else 0
    if port == 0:
        print(f"port {HARNESS_PORT} busy: '*_docuri' expectations that name it will not hold", file=sys.stderr)
    settings = FetchSettings(allow_private_hosts=True, retries=0, total_timeout=args.timeout, connect_timeout=2.0)
    # Borrow SIGALRM for the per-file limit, then give an outer alarm (pytest-timeout's) back what is left.
    outer_alarm = signal.getitimer(signal.ITIMER_REAL)[0]
    previous_handler = signal.signal(signal.SIGALRM, _alarm)
    started = time.perf_counter()
    try:
        with ScriptedServer(port=port) as server, Fetcher(settings) as fetcher:
            for row in cases:
                server.route("/" + row["path"], _served_reply((CORPUS / row["path"]).read_bytes(), row))
            outcomes = [run_case(row, CORPUS, server, fetcher, args.timeout) for row in cases]
            served_port = server.port
    finally:
        signal.signal(signal.SIGALRM, previous_handler)
        if outer_alarm > 0:
            signal.setitimer(signal.ITIMER_REAL, max(0.001, outer_alarm - (time.perf_counter() - started)))
    summary = summarize(outcomes, served_port, time.perf_counter() - started)
    print_table(summary)
    if args.verbose:
        for title, items in (
            ("holds only via fetch", summary.only_fetched_holds),
            ("holds only with parse(path)", summary.only_plain_holds),
            ("crashes", summary.crash_list),
            ("hangs", summary.hang_list),
        ):
            if items:
                print(f"\n{title}:")
                for item in items:
                    print(f"  {item}")
    if args.json:
        args.json.write_text(json.dumps(asdict(summary), indent=2) + "\n")
    return 1 if summary.crashes or summary.hangs else 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    sys.exit(main())
