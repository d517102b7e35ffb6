"""A plain install, as a new user makes it: `python -m venv` with the pip it brings (not upgraded), then
`pip install .` (not editable). Every module must import and `wirebeam run --fetch-articles` must work against a
local server. Slow (pip resolves and installs every dependency, from its cache or the registry): `-m slow`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.httpserver import Reply, ScriptedServer

PROJECT_FILES = ("pyproject.toml", "README.md", "LICENSE", "pipeline", "transforms", "schemas")
PACKAGES = ("pipeline", "transforms", "schemas")

# Run inside the new venv, from a folder without the checkout: imports what pip installed.
IMPORT_ALL = """
import importlib, json, pkgutil, sys
names = []
for package in sys.argv[1:]:
    root = importlib.import_module(package)
    names.append(package)
    for info in pkgutil.walk_packages(root.__path__, package + "."):
        if info.name.endswith("__main__"):
            continue  # running it is the CLI itself, tested below
        importlib.import_module(info.name)
        names.append(info.name)
print(json.dumps({"modules": names, "files": [m.__file__ for m in map(sys.modules.get, names)]}))
"""

PARAGRAPHS = [
    "Dock workers in Rotterdam extended their strike into a third day on Tuesday, halting container traffic at "
    "Europe's largest port as talks with terminal operators stalled over pay and automation.",
    "Union leaders said the walkout would continue until the operators put a written offer on the table, and "
    "warned that crews at Antwerp could join in solidarity before the end of the week.",
    "Shipping lines have begun diverting vessels to Hamburg and Bremerhaven, where port authorities reported "
    "queues of more than a dozen ships waiting for a berth on Tuesday morning.",
]


def article_page(title: str) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return (
        f"<html><head><title>{title} | Harbor Wire</title></head><body><nav>Home · World · Business</nav>"
        f"<article><h1>{title}</h1>{body}</article><footer>© Harbor Wire</footer></body></html>"
    ).encode()


def feed(base: str) -> bytes:
    items = "".join(
        f"<item><title>Story {n}</title><link>{base}/article/{n}</link><guid>story-{n}</guid>"
        f"<description>Short teaser {n}.</description><pubDate>Tue, 24 Nov 2026 09:0{n}:00 GMT</pubDate></item>"
        for n in (1, 2)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Harbor Wire</title><link>{base}</link>'
        f"<description>d</description>{items}</channel></rss>"
    ).encode()


def copy_project(target: Path) -> Path:
    """The files pip builds from (pip builds in the source folder: a copy keeps build/ out of the checkout)."""
    target.mkdir()
    for name in PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(source, target / name)
    return target


@pytest.mark.slow
@pytest.mark.e2e
@pytest.mark.timeout(1800)
def test_a_fresh_venv_with_its_own_pip_installs_imports_and_runs(tmp_path: Path) -> None:
    venv, work = tmp_path / "venv", tmp_path / "work"
    work.mkdir()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python, wirebeam = venv / "bin" / "python", venv / "bin" / "wirebeam"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    pip = subprocess.run([python, "-m", "pip", "--version"], capture_output=True, text=True, env=env, check=True)
    print(pip.stdout.strip())  # the pip `python -m venv` brings: 23.2 with Python 3.11, the one this guards

    source = copy_project(tmp_path / "src")
    installed = subprocess.run(
        [python, "-m", "pip", "install", str(source)], capture_output=True, text=True, env=env, timeout=1500
    )
    assert installed.returncode == 0, installed.stdout[-3000:] + installed.stderr[-3000:]

    imported = subprocess.run(
        [python, "-c", IMPORT_ALL, *PACKAGES], cwd=work, capture_output=True, text=True, env=env, timeout=600
    )
    assert imported.returncode == 0, imported.stderr[-3000:]
    listing = json.loads(imported.stdout)
    expected = {
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for package in PACKAGES
        for p in (ROOT / package).rglob("*.py")
        if p.name != "__main__.py"
    }
    assert set(listing["modules"]) == expected
    assert all(str(venv) in f for f in listing["files"])  # the installed copy, not the checkout

    with ScriptedServer() as server:
        base = server.url("").rstrip("/")
        server.route("/feed.xml", Reply(body=feed(base), headers=(("Content-Type", "application/rss+xml"),)))
        for n in (1, 2):
            page = Reply(body=article_page(f"Story {n}"), headers=(("Content-Type", "text/html"),))
            server.route(f"/article/{n}", page)
        done = subprocess.run(
            [wirebeam, "run", "--feeds", server.url("/feed.xml"), "--fetch-articles", "--allow-private-hosts",
             "--no-dedup", "--output", str(work / "out"), "--run-id", "r1"],
            cwd=work, capture_output=True, text=True, env=env, timeout=900,
        )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "apitools" not in done.stderr and "Traceback" not in done.stderr, done.stderr[-3000:]
    run = work / "out" / "r1"
    stories = [json.loads(line) for f in sorted(run.glob("stories-*.jsonl")) for line in f.open()]
    assert sorted(s["url"] for s in stories) == [f"{base}/article/{n}" for n in (1, 2)]
    for story in stories:  # the body is the article page's text, not the feed's teaser
        assert PARAGRAPHS[1][:60] in story["body"] and "Short teaser" not in story["body"]
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["reconciled"] and manifest["totals"]["stories"] == 2
