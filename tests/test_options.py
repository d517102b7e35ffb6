"""Options: validated when parsed, errors name the flag, Beam's options pass through."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.options import (
    DEFAULT_RUNNER,
    FAILPOINTS_ENV,
    GEMM_ENV,
    MALLOC_ENV,
    RunConfig,
    feeds_from_file,
    parse_args,
    sample_feeds,
)


def test_defaults_run_the_bundled_samples_on_the_fnapi_runner() -> None:
    config, beam_args = parse_args(["run"])
    assert [Path(f.url).name for f in config.feeds] == ["harbor-wire.xml", "coastal-times.atom", "metro-daily.json"]
    assert config.feeds == sample_feeds() and all(Path(f.url).is_file() for f in config.feeds)
    assert beam_args == [f"--runner={DEFAULT_RUNNER}"]
    assert config.output == "out" and config.dedup and not config.fetch.allow_private_hosts


def test_beam_options_pass_through_untouched() -> None:
    _, beam_args = parse_args(["run", "--runner", "DirectRunner", "--direct_num_workers=2", "--dedup-threshold", "0.6"])
    assert beam_args == ["--runner", "DirectRunner", "--direct_num_workers=2"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "--feeds", "ftp://example.org/rss"], "--feeds must be an http(s) URL or a local path"),
        (["run", "--feeds", "/no/such/feed.xml"], "--feeds '/no/such/feed.xml': no such file"),
        (["run", "--feeds", str(Path(__file__).parent)], "is a folder, not a feed file: pass its feed files"),
        (["run", "--timeout", "0"], "--timeout must be positive"),
        (["run", "--retries", "-1"], "--retries must be >= 0"),
        (["run", "--dedup-threshold", "1.5"], "--dedup-threshold must be in (0, 1]"),
        (["run", "--dedup-shingle-size", "0"], "--dedup-shingle-size must be in 1..20"),
        (["run", "--element-timeout", "-3"], "--element-timeout must be positive"),
        (["run", "--dedup-retention-days", "0"], "--dedup-retention-days must be positive, got 0.0"),
        (["run", "--ner-batch-size", "0"], "--ner-batch-size must be >= 1, got 0"),
        (["enrich", "--input", __file__, "--ner-batch-size", "-2"], "--ner-batch-size must be >= 1, got -2"),
        (["stream", "--window", "0", "--duration", "5"], "--window must be positive, got 0.0"),
        (["stream", "--interval", "-1", "--duration", "5"], "--interval must be positive, got -1.0"),
        (["stream", "--duration", "0"], "--duration must be positive, got 0.0"),
        (["run", "--run-id", "../escape"], "--run-id must be a plain folder name"),
        (["run", "--feeds-file", "/no/such/list.txt"], "--feeds-file '/no/such/list.txt' cannot be read"),
        (["enrich", "--input", "/no/such.jsonl"], "--input '/no/such.jsonl' is not a file"),
        (
            ["run", "--ner-model", "en_core_web_nonexistent"],
            "--ner-model 'en_core_web_nonexistent' is not an installed",
        ),
    ],
)
def test_bad_options_name_the_flag(argv: list[str], message: str, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        parse_args(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("variable", "bad", "good", "message"),
    [
        ("WIREBEAM_GEMM", "mkl", "blis", "WIREBEAM_GEMM must be one of auto, blis, numpy, got 'mkl'"),
        ("WIREBEAM_MALLOC", "sometimes", "default", "WIREBEAM_MALLOC must be one of retain, default, got 'sometimes'"),
    ],
)
def test_bad_worker_environment_is_refused_before_the_run(
    variable: str, bad: str, good: str, message: str, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(variable, bad)
    with pytest.raises(SystemExit) as exit_info:
        parse_args(["run"])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
    monkeypatch.setenv(variable, good)
    parse_args(["run"])  # a valid value passes


def test_environment_is_read_once_into_the_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(FAILPOINTS_ENV, "entities=POISON, dates=SLOW-X,crash=before_state,junk,=empty")
    monkeypatch.setenv(GEMM_ENV, " NumPy ")
    monkeypatch.setenv(MALLOC_ENV, "default")
    config, _ = parse_args(["run"])
    assert config.failpoints == {"entities": "POISON", "dates": "SLOW-X", "crash": "before_state"}
    assert (config.gemm, config.malloc) == ("numpy", "default")
    # The stages get these from the config, not from their own environment, and the manifest records flags only.
    assert not {"failpoints", "gemm", "malloc"} & set(config.describe())
    for name in (FAILPOINTS_ENV, GEMM_ENV, MALLOC_ENV):
        monkeypatch.delenv(name)
    config, _ = parse_args(["run"])
    assert (config.failpoints, config.gemm, config.malloc) == ({}, "auto", "retain")
    default = RunConfig(command="run", output="o")
    assert (default.failpoints, default.gemm, default.malloc) == ({}, "auto", "retain")


def test_feeds_file_text_and_json(tmp_path: Path) -> None:
    (tmp_path / "local.xml").write_text("<rss/>")
    listing = tmp_path / "feeds.txt"
    listing.write_text("# wires\nhttps://example.org/rss  Example Wire\nlocal.xml\n\n")
    feeds = feeds_from_file(str(listing))
    assert [(f.url, f.name) for f in feeds] == [
        ("https://example.org/rss", "Example Wire"),
        (str(tmp_path / "local.xml"), None),
    ]
    as_json = tmp_path / "feeds.json"
    as_json.write_text('{"feeds": [{"url": "local.xml", "name": "L", "agency": "AP", "tags": ["wire"]}]}')
    (feed,) = feeds_from_file(str(as_json))
    assert (feed.url, feed.agency, feed.tags) == (str(tmp_path / "local.xml"), "AP", ["wire"])


def test_log_level_is_case_insensitive_and_checked(capsys) -> None:
    config, _ = parse_args(["run", "--log-level", "debug", "--quiet"])
    assert (config.log_level, config.quiet) == ("DEBUG", True)
    with pytest.raises(SystemExit):
        parse_args(["run", "--log-level", "chatty"])
    assert "--log-level" in capsys.readouterr().err


def test_every_tuning_flag_reaches_the_settings_the_stages_use() -> None:
    config, _ = parse_args(
        [
            "run",
            "--connect-timeout",
            "2.5",
            "--timeout",
            "12",
            "--max-bytes",
            "1000",
            "--retries",
            "0",
            "--allow-private-hosts",
            "--dedup-threshold",
            "0.6",
            "--dedup-shingle-size",
            "5",
            "--dedup-retention-days",
            "2",
            "--ner-batch-size",
            "8",
            "--element-timeout",
            "9",
            "--fetch-articles",
            "--no-dedup",
            "--output",
            "elsewhere",
            "--run-id",
            "r7",
        ]
    )
    fetch = config.fetch
    assert (fetch.connect_timeout, fetch.total_timeout, fetch.max_bytes, fetch.retries) == (2.5, 12, 1000, 0)
    assert fetch.allow_private_hosts
    assert (config.dedup_config.threshold, config.dedup_config.shingle_size) == (0.6, 5)
    assert config.retention.days == 2 and config.ner_batch_size == 8 and config.element_timeout == 9
    assert config.fetch_articles and not config.dedup and (config.output, config.run_id) == ("elsewhere", "r7")
    recorded = config.describe()["feeds"]
    assert [Path(url).name for url in recorded] == ["harbor-wire.xml", "coastal-times.atom", "metro-daily.json"]
    assert all(Path(url).is_absolute() and Path(url).exists() for url in recorded)
