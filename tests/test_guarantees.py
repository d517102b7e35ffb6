"""Nothing lost, nothing twice: retries, poison records, failing disks, corrupt state, kill -9 at random points."""

from __future__ import annotations

import io
import json
import os
import random
import resource
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions

from pipeline.options import FAILPOINTS_ENV
from schemas.story import DeadLetter, Manifest
from tests.conftest import CORPORA, ROOT, SAMPLES
from tests.httpserver import Reply, ScriptedServer
from transforms.faults import ElementTimeout, time_limit
from transforms.sink.stage import WriteRunFiles

pytestmark = pytest.mark.e2e


# --- a transient fault: the runner retries the bundle, the sink writes the element once ---------------------


class FlakyFn(beam.DoFn):
    """Raises on the first attempt for element "b" (attempts are recorded on disk, which survives retries)."""

    def __init__(self, marker_dir: str) -> None:
        self._dir = marker_dir

    def process(self, element: str):
        marker = Path(self._dir) / f"attempt-{element}"
        if element == "b" and not marker.exists():
            marker.write_text("1")
            raise ConnectionError("simulated transient fault")
        yield {"id": element}


def test_transient_fault_is_retried_and_written_once(tmp_path: Path) -> None:
    options = PipelineOptions(["--runner=BundleBasedDirectRunner"])
    with beam.Pipeline(options=options) as p:
        records = p | beam.Create(["a", "b", "c"]) | beam.ParDo(FlakyFn(str(tmp_path)))
        _ = {"stories": records} | WriteRunFiles(str(tmp_path / "out"))
    rows = [
        json.loads(line) for f in (tmp_path / "out").glob("stories-*.jsonl") for line in f.read_text().splitlines()
    ]
    assert Counter(row["id"] for row in rows) == {"a": 1, "b": 1, "c": 1}
    assert (tmp_path / "attempt-b").exists()  # the fault really happened
    # The failed attempt's temporary file was never renamed into the folder, and the temporary folder is gone.
    assert sorted(f.name for f in (tmp_path / "out").iterdir()) == [
        "_counts-00000-of-00001.jsonl",
        "stories-00000-of-00001.jsonl",
    ]


# --- the per-element time limit ---------------------------------------------------------------------------


def busy(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def test_time_limit_on_the_main_thread() -> None:
    started = time.monotonic()
    with pytest.raises(ElementTimeout), time_limit(0.2):
        busy(5)
    assert time.monotonic() - started < 2
    with time_limit(1.0):
        busy(0.01)


def test_time_limit_on_a_worker_thread() -> None:
    import threading

    outcome: list[str] = []

    def work() -> None:
        try:
            with time_limit(0.2):
                busy(5)
            outcome.append("finished")
        except ElementTimeout:
            outcome.append("timed out")

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(10)
    assert outcome == ["timed out"]


# --- every fault class in one real run: the counts still reconcile ----------------------------------------


def rss(*items: str) -> str:
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{"".join(items)}</channel></rss>'


def item(guid: str, title: str, body: str) -> str:
    return f"<item><guid>{guid}</guid><title>{title}</title><description>{body}</description></item>"


def read_lines(run: Path, prefix: str) -> list[str]:
    return [line for f in sorted(run.glob(f"{prefix}-*.jsonl")) for line in f.read_text().splitlines()]


def test_faults_of_every_class_reconcile(tmp_path: Path, run_cli, monkeypatch) -> None:
    monkeypatch.setenv(FAILPOINTS_ENV, "entities=POISON-NER,dates=SLOW-DATES")
    good = "GENEVA (AP) - Officials in Geneva said on Monday that the talks would continue next week as planned."
    feed = tmp_path / "mixed.xml"
    feed.write_text(
        rss(
            item("1", "Good story", good),
            item("2", "Poison for NER", "POISON-NER The mayor of Lyon opened a new bridge over the Rhone on Sunday."),
            item("3", "Hangs the date tagger", "SLOW-DATES Farmers in Kenya expect a record tea harvest this year."),
            item("4", "", ""),  # nothing left: clean dead letter
            item("5", "Copy of the good story", good),  # same body: duplicate
        )
    )
    not_a_feed = tmp_path / "page.html"
    not_a_feed.write_text("<html><body>Sign in</body></html>")
    with ScriptedServer() as server:
        server.route("/gone", Reply(status=410, body=b"gone"))
        server.route("/boom", Reply(status=500, body=b"boom"))
        code, printed = run_cli(
            "run",
            "--feeds",
            str(feed),
            "--feeds",
            str(not_a_feed),
            "--feeds",
            server.url("/gone"),
            "--feeds",
            server.url("/boom"),
            "--allow-private-hosts",
            "--retries",
            "1",
            "--element-timeout",
            "1",
            "--output",
            str(tmp_path / "out"),
            "--run-id",
            "r",
        )
    assert code == 0, printed
    run = tmp_path / "out" / "r"
    manifest = Manifest.model_validate_json((run / "manifest.json").read_text())
    assert manifest.reconciled
    dead = [DeadLetter.model_validate_json(line) for line in read_lines(run, "dead_letter")]
    kinds = Counter((d.stage, d.error_type) for d in dead)
    assert kinds == {
        ("entities", "InjectedFault"): 1,
        ("dates", "ElementTimeout"): 1,
        ("clean", "empty_story"): 1,
        ("parse", "not_a_feed"): 1,
        ("fetch", "http_410"): 1,
        ("fetch", "http_5xx"): 1,
    }, kinds
    mixed = manifest.feeds[str(feed)]
    assert (mixed.entries_read, mixed.stories, mixed.duplicates, mixed.dead_letters) == (5, 1, 1, 3)
    assert manifest.totals.feed_errors == 3
    assert {d.http_status for d in dead if d.stage == "fetch"} == {410, 500}


# --- failing disks and unusable paths fail loudly without advancing the state -----------------------------


def test_unwritable_output_fails_with_a_clear_message(tmp_path: Path, run_cli, capsys) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    code, _ = run_cli("run", "--feeds", str(SAMPLES / "coastal-times.atom"), "--output", str(blocker / "out"))
    assert code == 3
    assert "--output" in capsys.readouterr().err


def _limit_file_size() -> None:
    # A disk that fills up: any write past 64 KiB fails with EFBIG instead of killing the process.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))


def test_disk_full_fails_the_run_and_keeps_the_state(tmp_path: Path) -> None:
    state, out = tmp_path / "state", tmp_path / "out"
    big = tmp_path / "big.xml"
    filler = " ".join(["The strike went on for another day in Rotterdam, officials said."] * 40)
    big.write_text(rss(*(item(str(i), f"Story {i}", f"{filler} {i}") for i in range(60))))
    done = subprocess.run(
        [sys.executable, "-m", "pipeline", "run", "--feeds", str(big), "--state", str(state), "--output", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        preexec_fn=_limit_file_size,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},  # a .pyc cut at the limit would break later imports
        timeout=300,
    )
    assert done.returncode == 1, done.stderr[-2000:]
    assert "the state was not advanced" in done.stderr
    # wirebeam's message alone: Beam's per-element ERROR traceback stays out of the console (--log-level INFO)
    assert done.stderr.startswith("wirebeam: the pipeline failed: ") and "Traceback" not in done.stderr, done.stderr
    assert not list(out.glob("*/manifest.json"))
    assert not (state / "feeds.json").exists() and not (state / "dedup_index.jsonl").exists()


# --- kill -9 at random points, then a normal rerun: 0 duplicated ids, 0 missing stories ---------------------


def wirebeam(*args: str) -> list[str]:
    return [sys.executable, "-m", "pipeline", "run", "--quiet", *args]


def committed_story_ids(out: Path) -> list[str]:
    """Story ids of every committed run (a folder with a manifest); unfinished folders do not count."""
    ids = []
    for manifest in out.glob("*/manifest.json"):
        for line in read_lines(manifest.parent, "stories"):
            ids.append(json.loads(line)["id"])
    return ids


def rerun(*args: str) -> None:
    """The normal rerun after a kill, in this process: the same command as `python -m pipeline run`, without paying
    Beam's and spaCy's start-up again (the killed runs stay processes of their own)."""
    from pipeline.cli import main

    assert main(["run", "--quiet", *args], out=io.StringIO()) == 0


def baseline_run(feed_args: list[str], folder: Path) -> tuple[list[str], float]:
    """(sorted story ids, wall seconds) of one uninterrupted run as a process of its own: the ids every killed and
    rerun trial must end with, the duration the random kill times are drawn from."""
    started = time.monotonic()
    subprocess.run(
        wirebeam(*feed_args, "--state", str(folder / "state"), "--output", str(folder / "out")),
        cwd=ROOT,
        check=True,
        timeout=900,
    )
    duration = time.monotonic() - started
    expected = committed_story_ids(folder / "out")
    assert expected and len(set(expected)) == len(expected)
    return sorted(expected), duration


def kill_trials(
    tmp_path: Path, feed_args: list[str], trials: int, seed: int, baseline: tuple[list[str], float] | None = None
) -> dict[str, int]:
    expected, duration = baseline or baseline_run(feed_args, tmp_path / "baseline")
    rng = random.Random(seed)
    figures = {"trials": trials, "killed_before_commit": 0, "killed_after_commit": 0}
    for trial in range(trials):
        state, out = tmp_path / f"state-{trial}", tmp_path / f"out-{trial}"
        proc = subprocess.Popen(wirebeam(*feed_args, "--state", str(state), "--output", str(out)), cwd=ROOT)
        time.sleep(rng.uniform(0.5, duration * 1.05))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        committed = bool(list(out.glob("*/manifest.json")))
        figures["killed_after_commit" if committed else "killed_before_commit"] += 1
        rerun(*feed_args, "--state", str(state), "--output", str(out))
        got = committed_story_ids(out)
        duplicated = [i for i, n in Counter(got).items() if n > 1]
        assert duplicated == [], f"trial {trial}: ids emitted twice: {duplicated[:5]}"
        assert sorted(got) == expected, f"trial {trial}: missing {set(expected) - set(got)}"
    return figures


@pytest.fixture(scope="module")
def sample_baseline(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], float]:
    return baseline_run([], tmp_path_factory.mktemp("baseline"))


@pytest.mark.parametrize(
    "point", ["before_pending", "before_manifest", "before_state", "between_state_files", "before_cleanup"]
)
def test_kill_9_at_each_step_of_the_commit(
    tmp_path: Path, point: str, sample_baseline: tuple[list[str], float]
) -> None:
    """SIGKILL exactly between two steps of the commit sequence, then a normal rerun: every story once."""
    state, out = tmp_path / "state", tmp_path / "out"
    env = {**os.environ, FAILPOINTS_ENV: f"crash={point}"}
    killed = subprocess.run(wirebeam("--state", str(state), "--output", str(out)), cwd=ROOT, env=env, timeout=600)
    assert killed.returncode == -signal.SIGKILL
    committed = bool(list(out.glob("*/manifest.json")))
    assert committed == (point not in ("before_pending", "before_manifest"))
    rerun("--state", str(state), "--output", str(out))
    got = committed_story_ids(out)
    assert sorted(got) == sample_baseline[0], point
    assert not (state / "pending.json").exists()


def test_kill_9_then_rerun_on_samples(tmp_path: Path, sample_baseline: tuple[list[str], float]) -> None:
    figures = kill_trials(tmp_path, [], trials=2, seed=7, baseline=sample_baseline)
    assert figures["trials"] == 2


REAL_FEEDS = CORPORA / "real-feeds"


@pytest.mark.slow
@pytest.mark.timeout(3600)
@pytest.mark.skipif(not REAL_FEEDS.exists(), reason=f"{REAL_FEEDS} absent")
def test_kill_9_twenty_trials_on_real_feeds(tmp_path: Path) -> None:
    rounds = sorted((REAL_FEEDS / "gesab001-headlines" / "snapshots").iterdir())
    feed_files = sorted(rounds[0].glob("*.xml"))[:6] + sorted((REAL_FEEDS / "evilgodfahim-wl").rglob("*.xml"))[:2]
    feed_args = [arg for f in feed_files for arg in ("--feeds", str(f))]
    figures = kill_trials(tmp_path, feed_args, trials=20, seed=2026)
    print("kill trials:", json.dumps(figures))
    assert figures["trials"] == 20
    assert os.environ.get("CI") is None or figures["killed_before_commit"] > 0
