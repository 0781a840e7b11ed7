"""The README cannot drift: its test command is .ci/run's, its Python example runs, every command is in it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hrhsearch.cli import main

from .conftest import REPO

README = (REPO / "README.md").read_text("utf-8")


def test_ci_runs_exactly_the_readme_test_command() -> None:
    command = "python -m pip install -e '.[test]' && python -m pytest -q"
    assert f"```\n{command}\n```" in README
    assert command in (REPO / ".ci" / "run").read_text().splitlines()


def test_readme_python_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    code = re.search(r"```python\n(.*?)```", README, re.S).group(1)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "corpus").symlink_to(REPO / "corpus")
    exec(compile(code, "README.md", "exec"), {})
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("1 Keeping Nurses in Rural Posts")
    assert "'en'" in out[-1] and "'fr'" in out[-1]


def test_every_command_is_in_the_readme() -> None:
    for name in main.commands:
        assert f"hrhsearch {name} " in README, name


def test_package_version_matches_setup_cfg() -> None:
    import configparser

    import hrhsearch

    config = configparser.ConfigParser()
    config.read(REPO / "setup.cfg")
    assert config["metadata"]["version"] == hrhsearch.__version__


def test_readme_metadata_tables_are_the_measured_ones() -> None:
    from .labelled import measure

    for group, heading in (("written", "**Written"), ("heldout", "**Held out")):
        labelled = measure.labels()[group]
        rows = measure.table(measure.measure(labelled), len(labelled)).splitlines()[2:]
        section = README[README.index(heading):]
        for row in rows:
            assert row in section, row
