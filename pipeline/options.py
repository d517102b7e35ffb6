"""Command-line options of wirebeam, validated when they are parsed so mistakes surface before a job runs.

wirebeam's own flags are parsed here with `parse_known_args`; everything else (`--runner`, `--project`,
`--direct_num_workers`, …) passes through untouched to Beam's `PipelineOptions`.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import re
import sys
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pipeline.report import add_arguments as report_arguments
from pipeline.validate import add_arguments as validate_arguments
from schemas.story import FeedSource
from transforms.dedup.neardup import DedupConfig
from transforms.entities.fastops import gemm_policy, malloc_policy
from transforms.entities.languages import DEFAULT_MODELS, format_model_spec, parse_model_spec
from transforms.entities.ner import DEFAULT_MODEL
from transforms.faults import parse_failpoints
from transforms.fetch.http import FetchSettings

DEFAULT_OUTPUT = "out"
# The FnApiRunner is what the DirectRunner falls back to after trying to download a Prism binary; naming it
# directly skips a download attempt that fails offline (and costs seconds when it does not).
DEFAULT_RUNNER = "FnApiRunner"
# Entries per chunk of a large batch input on a local runner (pipeline/chunks.py): the FnApiRunner holds a job's
# data in memory across its stages, so a 5,000-entry chunk of article-length stories holds about half a GB above
# the process's base (README "Large inputs"), while the per-job start (about a second) stays small next to a
# chunk's minutes of entity tagging.
DEFAULT_CHUNK_SIZE = 5000
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# The environment variables wirebeam reads, here and nowhere else; the stages get their values as arguments.
FAILPOINTS_ENV = "WIREBEAM_FAILPOINTS"  # fault injection for the tests: `stage=marker,crash=<step>`
GEMM_ENV = "WIREBEAM_GEMM"  # the entity model's matrix products: auto|blis|numpy
MALLOC_ENV = "WIREBEAM_MALLOC"  # whether an entity worker keeps freed memory: retain|default
# Settings from the environment, kept out of the manifest's options (which record the flags).
_ENVIRONMENT_FIELDS = ("failpoints", "gemm", "malloc")


class ConfigError(ValueError):
    """A bad option: the message names the flag and the value."""


@dataclasses.dataclass(frozen=True)
class RunConfig:
    """wirebeam's own settings for one `run` or `enrich` (Beam's options travel separately)."""

    command: str
    output: str
    feeds: tuple[FeedSource, ...] = ()
    input: str | None = None
    state: str | None = None
    reset_state: bool = False
    dedup: bool = True
    dedup_retention_days: float = 7.0
    dedup_threshold: float = DedupConfig.threshold
    dedup_shingle_size: int = DedupConfig.shingle_size
    # Story versions (README): a changed story is emitted again; False keeps one record per story ever.
    versions: bool = True
    fetch_articles: bool = False
    fetch: FetchSettings = dataclasses.field(default_factory=FetchSettings)
    # The --ner-model value, normalized to "en=…,fr=…" (transforms/entities/languages.py parses it again on workers).
    ner_model: str = DEFAULT_MODEL
    ner_batch_size: int = 32
    element_timeout: float = 60.0
    chunk_size: int = DEFAULT_CHUNK_SIZE
    run_id: str | None = None
    quiet: bool = False
    log_level: str = "WARNING"
    # `stream` only: seconds between polls, length of an output window, how long to run (None: unbounded).
    interval: float = 300.0
    window: float = 300.0
    duration: float | None = None
    # From the environment (FAILPOINTS_ENV, GEMM_ENV, MALLOC_ENV), not from flags.
    failpoints: dict[str, str] = dataclasses.field(default_factory=dict)
    gemm: str = gemm_policy()
    malloc: str = malloc_policy()

    @property
    def dedup_config(self) -> DedupConfig:
        return DedupConfig(threshold=self.dedup_threshold, shingle_size=self.dedup_shingle_size)

    @property
    def retention(self) -> dt.timedelta:
        return dt.timedelta(days=self.dedup_retention_days)

    def describe(self) -> dict[str, Any]:
        """The options as recorded in the manifest."""
        data = dataclasses.asdict(self)
        data["feeds"] = [f.url for f in self.feeds]
        for name in _ENVIRONMENT_FIELDS:
            del data[name]
        return data


def sample_feeds() -> tuple[FeedSource, ...]:
    """The feeds bundled with wirebeam (pipeline/samples), used when no feeds are given."""
    folder = resources.files("pipeline") / "samples"
    catalog = json.loads((folder / "feeds.json").read_text(encoding="utf-8"))
    return tuple(FeedSource(**{**item, "url": str(Path(str(folder / item["url"])))}) for item in catalog["feeds"])


def _check_location(flag: str, value: str) -> str:
    scheme = urlsplit(value).scheme
    if scheme in ("http", "https") or scheme == "" or len(scheme) == 1:
        return value
    raise ConfigError(f"{flag} must be an http(s) URL or a local path, got {value!r}")


def feeds_from_file(path: str) -> tuple[FeedSource, ...]:
    """A feeds file: JSON {"feeds": [FeedSource…]} or a text file with one URL/path per line (# comments).

    Relative local paths are relative to the feeds file.
    """
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"--feeds-file {path!r} cannot be read: {exc}") from exc
    from pipeline.textfiles import refusal

    refused = refusal("--feeds-file", path, data)
    if refused is not None:
        raise ConfigError(refused)
    if b"\x00" in data:
        raise ConfigError(f"--feeds-file {path!r} is a binary file, not a list of feeds")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"--feeds-file {path!r} is not UTF-8 text (byte {exc.start}: {exc.reason})") from exc
    if text.lstrip("\ufeff \t\r\n").startswith("<"):
        raise ConfigError(f"--feeds-file {path!r} is a feed (XML), not a list of feeds: pass it with --feeds")
    base = Path(path).resolve().parent

    def located(url: str) -> str:
        url = _check_location("--feeds-file entry", url)
        if urlsplit(url).scheme in ("http", "https") or os.path.isabs(url):
            return url
        return str(base / url)

    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ConfigError(f'--feeds-file {path!r} is not {{"feeds": [{{"url": …}}, …]}}: {exc}') from exc
        if isinstance(data, dict) and "items" in data and "feeds" not in data:
            raise ConfigError(f"--feeds-file {path!r} is a feed (JSON Feed), not a list of feeds: pass it with --feeds")
        try:
            items = data["feeds"]
            return tuple(FeedSource(**{**item, "url": located(item["url"])}) for item in items)
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f'--feeds-file {path!r} is not {{"feeds": [{{"url": …}}, …]}}: {exc}') from exc
    sources = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            url, _, name = line.partition(" ")
            sources.append(FeedSource(url=located(url), name=name.strip() or None))
    return tuple(sources)


def is_feeds_list(location: str) -> bool:
    """Whether a local --feeds file is a feeds file (one URL a line, or {"feeds": …}) given as a feed."""
    if urlsplit(location).scheme in ("http", "https") or not Path(location).is_file():
        return False
    with open(location, "rb") as handle:
        text = handle.read(1 << 16).decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    if text.startswith("{"):
        return bool(re.match(r'\{\s*"feeds"\s*:', text))
    lines = [raw.split("#", 1)[0].strip() for raw in text.splitlines()]
    return bool(text) and all(re.match(r"https?://\S+(\s|$)", line) for line in lines if line)


def _spacy_pipeline_exists(name: str) -> bool:
    """An installed pipeline package or a folder, checked without loading spaCy (workers load it in setup)."""
    from importlib.util import find_spec

    return Path(name).is_dir() or (name.isidentifier() and find_spec(name) is not None)


def _ner_models(spec: str) -> str:
    """The --ner-model value checked (syntax, every pipeline installed) and normalized to "en=…,fr=…"."""
    try:
        models = parse_model_spec(spec)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    for lang, model in models.items():
        if not _spacy_pipeline_exists(model):
            named = model if "=" not in spec else f"{lang}={model}"
            raise ConfigError(f"--ner-model {named!r} is not an installed spaCy pipeline package or a path")
    return format_model_spec(models)


def _positive(flag: str, value: float) -> None:
    if value <= 0:
        raise ConfigError(f"{flag} must be positive, got {value}")


def environment_settings(environ: Mapping[str, str]) -> dict[str, Any]:
    """The RunConfig fields read from the environment, validated: a bad policy stops the command before any worker
    starts (ConfigError names the variable)."""
    try:
        return {
            "failpoints": parse_failpoints(environ.get(FAILPOINTS_ENV, "")),
            "gemm": gemm_policy(environ.get(GEMM_ENV), name=GEMM_ENV),
            "malloc": malloc_policy(environ.get(MALLOC_ENV), name=MALLOC_ENV),
        }
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wirebeam",
        description="News-wire ingestion on Apache Beam: feeds → dedup → clean → entities → dates → JSONL.",
        epilog="Any other option goes to Apache Beam (e.g. --runner, --direct_num_workers, --project).",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--output", default=DEFAULT_OUTPUT, help="output folder (local or gs://); default ./out")
        p.add_argument("--state", help="state folder kept between runs (feed validators, dedup index)")
        p.add_argument("--reset-state", action="store_true", help="set aside the state folder's files and start empty")
        p.add_argument(
            "--dedup-retention-days",
            type=float,
            default=7.0,
            help="how long the dedup index remembers an emitted story (default 7)",
        )
        p.add_argument(
            "--dedup-threshold",
            type=float,
            default=DedupConfig.threshold,
            help=f"word-shingle Jaccard at which two bodies are copies of one story (default {DedupConfig.threshold})",
        )
        p.add_argument(
            "--dedup-shingle-size",
            type=int,
            default=DedupConfig.shingle_size,
            help=f"words per shingle for near-duplicate detection (default {DedupConfig.shingle_size})",
        )
        p.add_argument(
            "--one-record-per-story",
            dest="versions",
            action="store_false",
            help="emit a story once ever: its updates and corrections become duplicates (default: every new "
            "version is emitted, with version and supersedes)",
        )
        p.add_argument(
            "--ner-model",
            default=DEFAULT_MODEL,
            help="installed spaCy pipeline (name or path) per language, LANG=PIPELINE,… (LANG=none: no entities "
            "for LANG); a bare name is the English one (default "
            f"{format_model_spec(DEFAULT_MODELS)})",
        )
        p.add_argument("--ner-batch-size", type=int, default=32, help="stories per nlp.pipe batch (default 32)")
        p.add_argument(
            "--element-timeout",
            type=float,
            default=60.0,
            help="seconds one story may spend in entity or date tagging before it is dead-lettered (default 60)",
        )
        p.add_argument("--run-id", help="name of the run folder (default: UTC time + random suffix)")
        p.add_argument("--quiet", action="store_true", help="print nothing but errors")
        p.add_argument("--log-level", default="WARNING", type=str.upper, choices=LOG_LEVELS)

    run = sub.add_parser("run", help="fetch feeds and write enriched stories (default: bundled sample feeds)")
    run.add_argument(
        "--feeds",
        action="append",
        default=[],
        metavar="PATH_OR_URL",
        help="a feed URL or local file; repeat for more",
    )
    run.add_argument("--feeds-file", help='file listing feeds: one URL/path per line, or JSON {"feeds": [...]}')
    run.add_argument(
        "--fetch-articles",
        action="store_true",
        help="fetch each entry's link and extract the full article text",
    )
    run.add_argument("--no-dedup", dest="dedup", action="store_false", help="emit every copy")
    fetch = run.add_argument_group("fetching")
    defaults = FetchSettings()
    fetch.add_argument(
        "--allow-private-hosts",
        action="store_true",
        help="allow loopback/private/link-local addresses (off: SSRF guard)",
    )
    fetch.add_argument("--connect-timeout", type=float, default=defaults.connect_timeout)
    fetch.add_argument("--timeout", type=float, default=defaults.total_timeout, help="total deadline per fetch, s")
    fetch.add_argument("--max-bytes", type=int, default=defaults.max_bytes, help="cap on a decoded body")
    fetch.add_argument("--retries", type=int, default=defaults.retries)
    common(run)
    # `stream` takes every `run` option plus its schedule; "resolve" lets it inherit run's -h, no clash.
    stream = sub.add_parser(
        "stream",
        parents=[run],
        conflict_handler="resolve",
        help="poll feeds every --interval and write windowed output (local: --duration; Dataflow: unbounded)",
    )
    stream.add_argument("--interval", type=float, default=300.0, help="seconds between polls (default 300)")
    stream.add_argument("--window", type=float, default=300.0, help="seconds per output window (default 300)")
    stream.add_argument(
        "--duration", type=float, help="stop after this many seconds (required with a local runner)"
    )

    enrich = sub.add_parser("enrich", help="clean, tag entities and dates on stories you already have (JSONL)")
    # Required, checked in config_from_args: a mistyped flag ("--inptu") is named before a missing --input.
    enrich.add_argument("--input", help="(required) JSONL: id, text or html, optional title, url, published_at")
    enrich.add_argument("--dedup", action="store_true", help="also deduplicate the input stories")
    common(enrich)
    # Batch only, added after `stream` copied run's options: a stream is not cut into chunks.
    for batch in (run, enrich):
        batch.add_argument(
            "--chunk-size",
            type=int,
            default=DEFAULT_CHUNK_SIZE,
            help=f"entries per chunk on a local runner, which holds a job's data in memory: a larger input runs "
            f"as one job per chunk on one run's state and dedup index (default {DEFAULT_CHUNK_SIZE}; Dataflow "
            "runs one job)",
        )

    # Tools over a finished run's files (no Beam job): pipeline/report.py and pipeline/validate.py.
    report = sub.add_parser("report", help="write a self-contained HTML page for a finished run")
    report_arguments(report)
    validate = sub.add_parser("validate", help="check JSONL output files against the schema")
    validate_arguments(validate)
    return parser


def stream_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The `stream` options, validated."""
    _positive("--interval", args.interval)
    _positive("--window", args.window)
    if args.duration is not None:
        _positive("--duration", args.duration)
    if args.reset_state and args.state is None:
        raise ConfigError("--reset-state needs --state")
    return {"interval": args.interval, "window": args.window, "duration": args.duration}


def config_from_args(args: argparse.Namespace) -> RunConfig:
    """Validated RunConfig; ConfigError names the flag."""
    _positive("--dedup-retention-days", args.dedup_retention_days)
    _positive("--element-timeout", args.element_timeout)
    if not 0 < args.dedup_threshold <= 1:
        raise ConfigError(f"--dedup-threshold must be in (0, 1], got {args.dedup_threshold}")
    if not 1 <= args.dedup_shingle_size <= 20:
        raise ConfigError(f"--dedup-shingle-size must be in 1..20, got {args.dedup_shingle_size}")
    ner_model = _ner_models(args.ner_model)
    if args.ner_batch_size < 1:
        raise ConfigError(f"--ner-batch-size must be >= 1, got {args.ner_batch_size}")
    chunk_size = getattr(args, "chunk_size", DEFAULT_CHUNK_SIZE)  # `stream` has none
    if chunk_size < 1:
        raise ConfigError(f"--chunk-size must be >= 1, got {chunk_size}")
    common: dict[str, Any] = {
        **environment_settings(os.environ),
        "command": args.command,
        "output": args.output,
        "state": args.state,
        "reset_state": args.reset_state,
        "dedup_retention_days": args.dedup_retention_days,
        "dedup_threshold": args.dedup_threshold,
        "dedup_shingle_size": args.dedup_shingle_size,
        "versions": args.versions,
        "ner_model": ner_model,
        "ner_batch_size": args.ner_batch_size,
        "element_timeout": args.element_timeout,
        "chunk_size": chunk_size,
        "run_id": args.run_id,
        "quiet": args.quiet,
        "log_level": args.log_level,
    }
    if args.run_id is not None and (not args.run_id or "/" in args.run_id or args.run_id.startswith(".")):
        raise ConfigError(f"--run-id must be a plain folder name, got {args.run_id!r}")
    if args.command == "enrich":
        if args.input is None:
            raise ConfigError("--input is required: the JSONL file of stories to enrich")
        if not Path(args.input).is_file() and not args.input.startswith("gs://"):
            raise ConfigError(f"--input {args.input!r} is not a file")
        if not args.input.startswith("gs://"):
            from pipeline.textfiles import check_input

            refused = check_input("--input", args.input)
            if refused is not None:
                raise ConfigError(refused)
        return RunConfig(input=args.input, dedup=args.dedup, **common)
    for flag, value in (
        ("--connect-timeout", args.connect_timeout),
        ("--timeout", args.timeout),
        ("--max-bytes", args.max_bytes),
    ):
        _positive(flag, value)
    if args.retries < 0:
        raise ConfigError(f"--retries must be >= 0, got {args.retries}")
    feeds = [FeedSource(url=_check_location("--feeds", u)) for u in args.feeds]
    for feed in feeds:
        if is_feeds_list(feed.url):
            raise ConfigError(f"--feeds {feed.url!r} is a list of feeds, not a feed: pass it with --feeds-file")
    if args.feeds_file:
        feeds.extend(feeds_from_file(args.feeds_file))
    for feed in feeds:
        if urlsplit(feed.url).scheme not in ("http", "https") and not Path(feed.url).is_file():
            if Path(feed.url).is_dir():
                raise ConfigError(f"--feeds {feed.url!r} is a folder, not a feed file: pass its feed files one by "
                                  "one (--feeds DIR/a.xml --feeds DIR/b.xml) or list them in a --feeds-file")
            raise ConfigError(f"--feeds {feed.url!r}: no such file")
    if args.command == "stream":
        common.update(stream_settings(args))
    settings = dataclasses.replace(
        FetchSettings(),
        connect_timeout=args.connect_timeout,
        total_timeout=args.timeout,
        max_bytes=args.max_bytes,
        retries=args.retries,
        allow_private_hosts=args.allow_private_hosts,
    )
    return RunConfig(
        feeds=tuple(feeds) or sample_feeds(),
        dedup=args.dedup,
        fetch_articles=args.fetch_articles,
        fetch=settings,
        **common,
    )


def parse_args(argv: list[str] | None) -> tuple[RunConfig, list[str]]:
    """argv → (wirebeam's RunConfig, the arguments left for Beam)."""
    parser = build_parser()
    args, beam_args = parser.parse_known_args(argv)
    if not any(a == "--runner" or a.startswith("--runner=") for a in beam_args):
        beam_args = [f"--runner={DEFAULT_RUNNER}", *beam_args]
    # First: a mistyped flag explains what else looks wrong.
    check_for_beam(parser, args.command, beam_args, sys.argv[1:] if argv is None else argv)
    try:
        config = config_from_args(args)
    except ConfigError as exc:
        parser.error(str(exc))
    return config, beam_args


def check_for_beam(parser: argparse.ArgumentParser, command: str, beam_args: list[str],
                   argv: list[str] | None = None) -> None:
    """What wirebeam left for Beam must be Beam's flags, with a runner Beam has (argparse's exit 2 otherwise)."""
    from pipeline.beam_flags import BeamFlagError, check_beam_args, option_names

    (commands,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    try:
        check_beam_args(beam_args, option_names(commands.choices[command]), argv)
    except BeamFlagError as exc:
        parser.error(str(exc))
