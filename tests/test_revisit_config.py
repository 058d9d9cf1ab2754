"""Revisit settings in outlets.yaml: defaults, per-outlet schedule, off, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.config import ConfigError, load_outlets
from pipeline.revisit.run import select_outlets
from pipeline.settings import Settings

BASE = "  - name: {name}\n    home: https://{host}/\n    language: en\n    feeds: [https://{host}/feed]\n"


def _file(tmp_path: Path, *entries: str) -> Path:
    path = tmp_path / "outlets.yaml"
    path.write_text("outlets:\n" + "".join(entries), encoding="utf-8")
    return path


def test_defaults_per_outlet_schedule_and_off(tmp_path):
    path = _file(
        tmp_path,
        BASE.format(name="Default", host="a.example.org"),
        BASE.format(name="Weekly", host="b.example.org") + "    revisit: {after_days: [7, 14.5]}\n",
        BASE.format(name="Quiet", host="c.example.org") + "    revisit: false\n",
    )
    config = load_outlets(path)
    assert config.get("Default").revisit.after_days == [1, 7, 30, 180]
    assert config.get("Weekly").revisit.after_days == [7, 14.5]
    assert config.get("Quiet").revisit.enabled is False
    settings = Settings.from_env()
    assert [o.name for o in select_outlets(settings, None, path)] == ["Default", "Weekly"]
    with pytest.raises(ConfigError, match="revisits are off for 'Quiet'"):
        select_outlets(settings, ["Quiet"], path)


@pytest.mark.parametrize(
    ("revisit", "message"),
    [
        ("{after_days: [7, 1]}", "is not after the entry before it"),
        ("{after_days: []}", "after_days"),
        ("{after_days: [0]}", "is not a number of days"),
        ("{every: 3}", "revisit.every"),
        ("sometimes", "revisit"),
    ],
)
def test_config_check_names_the_bad_revisit_field(tmp_path, revisit, message):
    path = _file(tmp_path, BASE.format(name="Bad", host="a.example.org") + f"    revisit: {revisit}\n")
    result = CliRunner().invoke(app, ["config", "check", "--outlets", str(path)])
    assert result.exit_code == 2
    assert "'Bad'" in result.output and message in result.output, result.output


def test_revisit_command_refuses_an_outlet_with_revisits_off(tmp_path):
    path = _file(tmp_path, BASE.format(name="Quiet", host="c.example.org") + "    revisit: false\n")
    result = CliRunner().invoke(app, ["revisit", "--outlets", str(path), "--outlet", "Quiet"])
    assert result.exit_code == 2 and "revisits are off" in result.output


def test_revisit_with_the_database_unreachable_is_exit_3(tmp_path):
    from tests.loopback import closed_port

    path = _file(tmp_path, BASE.format(name="Default", host="a.example.org"))
    env = {
        "DADKHAH_DATABASE_URL": f"postgresql://postgres@127.0.0.1:{closed_port()}/nothing",
        "DADKHAH_ARCHIVE_DIR": str(tmp_path / "archive"),
        "DADKHAH_DATA_DIR": str(tmp_path / "data"),
        "DADKHAH_DB_CONNECT_TIMEOUT": "2",
    }
    result = CliRunner().invoke(app, ["revisit", "--outlets", str(path), "--due-only"], env=env)
    assert result.exit_code == 3, result.output
