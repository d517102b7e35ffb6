"""Flex Template entry point: template parameters (`--name=value`) → a `wirebeam stream|run` command line.

This file parses arguments only; the graph is built by pipeline/. Dataflow's launcher passes every template
parameter as `--name=value` (names from metadata.json) together with Beam's own options (`--project`,
`--region`, `--temp_location`, `--sdk_container_image`, …), which go to Beam untouched.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
from collections.abc import Sequence

LOGGER = logging.getLogger(__name__)

# Template parameter → wirebeam flag. Values pass through; "true"/"false" parameters become bare switches.
VALUE_PARAMS = {
    "output": "--output",
    "state": "--state",
    "connect_timeout": "--connect-timeout",
    "timeout": "--timeout",
    "max_bytes": "--max-bytes",
    "retries": "--retries",
    "dedup_retention_days": "--dedup-retention-days",
    "dedup_threshold": "--dedup-threshold",
    "dedup_shingle_size": "--dedup-shingle-size",
    "ner_model": "--ner-model",
    "ner_batch_size": "--ner-batch-size",
    "element_timeout": "--element-timeout",
    "run_id": "--run-id",
    "log_level": "--log-level",
    "interval": "--interval",
    "window": "--window",
    "duration": "--duration",
}
SWITCH_PARAMS = {
    "fetch_articles": "--fetch-articles",
    "no_dedup": "--no-dedup",
    "one_record_per_story": "--one-record-per-story",
}
# Not template parameters, on purpose: --allow-private-hosts (the SSRF guard stays on in the cloud) and
# --reset-state. `state` is for mode=stream only: a stream records its windows from the job itself, but a stateful
# batch run commits its state after the job ends, so its driver must outlive the job: run it as a Cloud Run job,
# see docs/deploy.md.
MODES = ("stream", "run")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--mode", choices=MODES, default="stream")
    p.add_argument("--feeds", default="", help="comma-separated feed URLs")
    p.add_argument("--feeds_file", help="feeds file: a path in the image or gs://…")
    for name in (*VALUE_PARAMS, *SWITCH_PARAMS):
        p.add_argument(f"--{name}")
    return p


def is_true(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def local_feeds_file(location: str) -> str:
    """A gs:// feeds file copied to a local temporary file (wirebeam reads feeds files from disk)."""
    if not location.startswith("gs://"):
        return location
    from apache_beam.io.filesystems import FileSystems

    with FileSystems.open(location) as handle:
        data = handle.read()
    fd, path = tempfile.mkstemp(suffix=os.path.splitext(location)[1] or ".txt")
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    return path


def template_argv(argv: Sequence[str]) -> list[str]:
    """Template arguments → the `wirebeam` argv (wirebeam's flags first, Beam's options after)."""
    args, beam_args = parser().parse_known_args(list(argv))
    if args.state and args.mode != "stream":
        raise SystemExit("the `state` parameter is for mode=stream; a stateful batch run needs a Cloud Run job")
    out = [args.mode]
    for url in (u.strip() for u in args.feeds.split(",")):
        if url:
            out += ["--feeds", url]
    if args.feeds_file:
        out += ["--feeds-file", local_feeds_file(args.feeds_file)]
    for name, flag in VALUE_PARAMS.items():
        value = getattr(args, name)
        if value not in (None, ""):
            out += [flag, value]
    out += [flag for name, flag in SWITCH_PARAMS.items() if is_true(getattr(args, name))]
    if not any(a == "--runner" or a.startswith("--runner=") for a in beam_args):
        # wirebeam's own default is the local FnApiRunner; a template always runs on Dataflow.
        beam_args = ["--runner=DataflowRunner", *beam_args]
    return [*out, *beam_args]


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO)
    command = template_argv(sys.argv[1:] if argv is None else argv)
    LOGGER.info("wirebeam %s", " ".join(command))
    from pipeline.cli import main as wirebeam

    return wirebeam(command)


if __name__ == "__main__":
    sys.exit(main())
