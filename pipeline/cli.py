"""The `wirebeam` command: parse arguments, run the job, print a per-feed summary."""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, TextIO

from pipeline import startup_gc
from pipeline.beam_flags import steps_run_here
from transforms.language import preload_identifier

if TYPE_CHECKING:
    from schemas.story import Manifest

LOGGER = logging.getLogger(__name__)

# Exit codes: 0 done, 1 the job failed, 2 bad arguments (argparse's own), 3 state or output unusable,
# 75 (EX_TEMPFAIL) another run holds the state folder — a scheduler may simply try again later.
EXIT_FAILED, EXIT_STATE, EXIT_LOCKED = 1, 3, 75
# Subcommands that read a finished run's files instead of running a job.
TOOLS = ("report", "validate")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Logged on the root logger when Beam's BigQuery client module is imported without the optional `apitools`
# package: wirebeam never uses BigQuery, so nothing a user could act on.
IMPORT_NOISE = ("apitools not found",)


def drop_import_noise(record: logging.LogRecord) -> bool:
    """Root-logger filter: False for the known warnings Beam logs while it is imported, True for the rest."""
    return not (record.name == "root" and str(record.msg).startswith(IMPORT_NOISE))


def prepare_logging() -> None:
    """Before Beam is imported: our format on the root logger, and the import noise filtered out (Beam's
    `logging.warning` would otherwise install its own `WARNING:root:` handler first)."""
    logging.getLogger().addFilter(drop_import_noise)
    logging.basicConfig(format=LOG_FORMAT)


def configure_logging(level: str, quiet: bool) -> None:
    prepare_logging()
    logging.getLogger().setLevel(logging.ERROR if quiet else getattr(logging, level))
    # Beam logs chatty INFO lines from its runners; keep them below ours.
    logging.getLogger("apache_beam").setLevel(max(logging.WARNING, logging.getLogger().level))


def summary_table(manifest: Manifest) -> str:
    """A short per-feed table for the end of a run: `new` stories and new `versions` of stories emitted before
    (README, Story versions) are apart; read = new + versions + dups + dead."""
    header = ("feed", "read", "new", "versions", "dups", "dead", "errors", "304", "status", "feed error")
    rows = []
    for feed, c in sorted(manifest.feeds.items()):
        name = feed if len(feed) <= 60 else "…" + feed[-59:]
        rows.append(
            (
                name,
                c.entries_read,
                c.stories - c.versions,
                c.versions,
                c.duplicates,
                c.dead_letters,
                c.feed_errors,
                c.not_modified,
                c.http_status if c.http_status is not None else "-",
                c.feed_error or "",
            )
        )
    t = manifest.totals
    rows.append(
        (
            "TOTAL",
            t.entries_read,
            t.stories - t.versions,
            t.versions,
            t.duplicates,
            t.dead_letters,
            t.feed_errors,
            t.not_modified,
            "",
            "",
        )
    )
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(
            str(v).ljust(w) if i in (0, len(row) - 1) else str(v).rjust(w)
            for i, (v, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in [header, *rows]
    ]
    lines.insert(1, "-" * len(lines[0]))
    lines.insert(len(lines) - 1, "-" * len(lines[0]))
    return "\n".join(lines)


def failures_line(manifest: Manifest, run_dir: str) -> str:
    """Where to read why entries or feeds failed; "" when none did."""
    t = manifest.totals
    counts = ((t.dead_letters, "entry", "entries"), (t.feed_errors, "feed", "feeds"))
    failed = " and ".join(f"{n} {one if n == 1 else many}" for n, one, many in counts if n)
    if not failed:
        return ""
    return f"{failed} failed: why is in {run_dir}/dead_letter-*.jsonl (`wirebeam report {run_dir}` groups them)"


def run_tool(argv: list[str], out: TextIO) -> int:
    """`wirebeam report` / `wirebeam validate`: read a finished run's files, no Beam job, no Beam options."""
    from pipeline.options import build_parser

    args = build_parser().parse_args(argv)
    configure_logging(args.log_level, quiet=False)
    if args.command == "report":
        from pipeline.report import main_from_args
    else:
        from pipeline.validate import main_from_args
    return main_from_args(args, out)


def main(argv: list[str] | None = None, out: TextIO | None = None) -> int:
    startup_gc.pause()  # until the first job starts (pipeline/startup_gc.py)
    try:
        return _main(argv, out)
    finally:
        startup_gc.resume()


def _main(argv: list[str] | None, out: TextIO | None) -> int:
    out = out or sys.stdout
    argv = sys.argv[1:] if argv is None else argv
    prepare_logging()  # wirebeam's modules import Beam: filter its import-time noise first
    from pipeline.options import ConfigError, parse_args

    if argv and argv[0] in TOOLS:
        startup_gc.resume()  # no job: a report or a check of a large file runs with collection on
        return run_tool(argv, out)
    config, beam_args = parse_args(argv)
    if steps_run_here(beam_args):
        preload_identifier()  # the language model decompresses on another core while Beam is imported
    from pipeline.state import StateError, StateLocked

    configure_logging(config.log_level, config.quiet)
    if config.command == "stream":
        from pipeline.streaming import main_stream  # Beam's runners are imported only when a job runs

        startup_gc.resume()  # a stream runs for hours: its graphs are not start-up
        return main_stream(config, beam_args, out)
    from pipeline.driver import DryRun, RunFailed, execute  # Beam's runners are imported only when a job runs

    try:
        manifest, run_dir = execute(config, beam_args)
    except StateLocked as exc:
        print(f"wirebeam: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    except (StateError, ConfigError) as exc:
        print(f"wirebeam: {exc}", file=sys.stderr)
        return EXIT_STATE
    except RunFailed as exc:
        print(f"wirebeam: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except DryRun as exc:
        print(f"wirebeam: {exc}", file=out)
        return 0
    if not config.quiet:
        print(summary_table(manifest), file=out)
        verdict = "counts reconcile" if manifest.reconciled else "COUNTS DO NOT RECONCILE"
        print(f"\n{manifest.totals.stories} stories written to {run_dir} ({verdict})", file=out)
        failed = failures_line(manifest, run_dir)
        if failed:
            print(failed, file=out)
    return 0 if manifest.reconciled else EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
