"""What the command's start-up leaves out or does on the side (README, Performance: start-up)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.beam_flags import steps_run_here
from transforms import language
from transforms.dates.tagger import RULE_TABLES, extract_dates, rules_for

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("beam_args", "here"),
    [
        ([], True),
        (["--runner=DirectRunner"], True),
        (["--runner", "FnApiRunner", "--direct_num_workers=2"], True),
        (["--runner=apache_beam.runners.direct.direct_runner.DirectRunner"], True),
        (["--direct_running_mode=multi_processing", "--direct_num_workers=2"], False),
        (["--direct_running_mode", "loopback"], False),
        (["--runner=DataflowRunner", "--project=p"], False),
    ],
)
def test_steps_run_here_only_on_an_in_memory_local_runner(beam_args: list[str], here: bool) -> None:
    assert steps_run_here(beam_args) is here


def test_the_enrich_modules_leave_feed_parsing_mojibake_repair_and_french_dates_out() -> None:
    probe = (
        "import sys; import pipeline.cli, pipeline.driver, pipeline.build, transforms.entities.stage; "
        "print(' '.join(m for m in ('feedparser', 'ftfy', 'transforms.dates.rules_fr') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""


def test_a_rule_table_is_built_on_first_use_and_kept() -> None:
    assert set(RULE_TABLES) == {"en", "fr"}
    assert rules_for("fr") is rules_for("fr") and len(rules_for("fr")) > 10
    (mention,) = extract_dates("La réunion aura lieu le 12 mars 2026.", None, "fr")
    assert mention.value == "2026-03-12"
    with pytest.raises(KeyError):
        rules_for("de")


def test_the_identifier_loaded_in_the_background_is_the_one_identify_uses() -> None:
    thread = language.preload_identifier()
    assert language.identify("The central bank kept its policy rate unchanged on Wednesday.")[0] == "en"
    thread.join(timeout=60)
    assert not thread.is_alive()
    loaded = language._identifier()
    language.preload_identifier().join(timeout=60)  # a second preload finds it loaded
    assert language._identifier() is loaded


def test_a_failed_background_load_is_left_to_the_step_that_needs_the_model(monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    from py3langid.langid import LanguageIdentifier

    def full_disk(*args: object, **kwargs: object) -> None:
        raise OSError(27, "File too large")

    seen: list[object] = []
    monkeypatch.setattr(threading, "excepthook", seen.append)
    monkeypatch.setattr(language, "_IDENTIFIER", None)
    monkeypatch.setenv("WIREBEAM_NO_CACHE", "1")  # the packaged model's own load fails, not the cache's
    monkeypatch.setattr(LanguageIdentifier, "from_model_file", full_disk)
    language.preload_identifier().join(timeout=60)
    assert seen == []  # no thread traceback on the console
    with pytest.raises(OSError, match="File too large"):
        language.load_identifier()  # the step's own load fails, where the run handles it


def test_collection_is_off_while_the_command_starts_and_on_from_the_first_job(monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    from pipeline import cli, driver, startup_gc

    seen: dict[str, bool] = {}

    class Job:
        def run(self) -> Job:
            seen["job"] = gc.isenabled()
            return self

        def wait_until_finish(self) -> None:
            pass

    def execute(config: object, beam_args: list[str]) -> None:
        seen["start-up"] = gc.isenabled()
        frozen = gc.get_freeze_count()
        driver.run_job(Job())  # type: ignore[arg-type]
        seen["frozen"] = gc.get_freeze_count() > frozen
        raise driver.DryRun("stop here")

    monkeypatch.setattr(driver, "execute", execute)
    try:
        assert cli.main(["enrich", "--input", __file__, "--output", "out", "--quiet"]) == 0
        assert seen == {"start-up": False, "job": True, "frozen": True}
        assert gc.isenabled()
        with pytest.raises(SystemExit):
            cli.main(["enrich", "--output", "out", "--chunk-size", "many"])  # refused while parsing
        assert gc.isenabled()
    finally:
        gc.enable()
    # `validate` and `report` run no job: collection is on while they read a run's files.
    from pipeline import validate

    def validating(args: object, out: object) -> int:
        seen["tool"] = gc.isenabled()
        return 0

    monkeypatch.setattr(validate, "main_from_args", validating)
    try:
        assert cli.main(["validate", __file__]) == 0
        assert seen["tool"] is True
    finally:
        gc.enable()
    gc.disable()  # a caller that turned collection off keeps it off
    try:
        startup_gc.pause()
        startup_gc.resume()
        assert not gc.isenabled()
    finally:
        gc.enable()
