"""The generic package names: a same-named module installed elsewhere is reported, not used."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def _python(code: str, cwd: Path, pythonpath: Path | None = None) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter from ``cwd``, with only ``pythonpath`` added."""
    env = {"PATH": "/usr/bin:/bin", **({"PYTHONPATH": str(pythonpath)} if pythonpath else {})}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("name", ["schema", "spiders"])
def test_a_shadowing_module_is_named_in_a_clear_error(tmp_path: Path, name: str) -> None:
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / f"{name}.py").write_text("IMPOSTOR = True\n", encoding="utf-8")
    # Run from an unrelated directory, as the `dadkhah` console script does, with the
    # shadowing module ahead of the project on the path (as site-packages would be).
    result = _python("import pipeline.cli", tmp_path, shadow)
    assert result.returncode != 0
    assert f"dadkhah's package '{name}'" in result.stderr
    assert str(shadow / f"{name}.py") in result.stderr


def test_the_project_packages_import_from_anywhere(tmp_path: Path) -> None:
    result = _python("import pipeline, schema.models, spiders.settings; print(schema.__file__)", tmp_path)
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()).resolve().parent.parent == Path(__file__).resolve().parent.parent


def test_a_tree_of_symlinked_files_is_not_mistaken_for_a_shadow(tmp_path: Path) -> None:
    """Strict editable installs link each file from a tree of real folders."""
    project = Path(__file__).resolve().parent.parent
    tree = tmp_path / "links"
    for package in ("pipeline", "schema", "spiders"):
        for source in (project / package).rglob("*.py"):
            target = tree / source.relative_to(project)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(source)
    result = _python("import pipeline, schema; print(pipeline.__file__)", tmp_path, tree)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(tree / "pipeline" / "__init__.py")


def test_a_folder_of_that_name_in_the_working_directory_is_reported(tmp_path: Path) -> None:
    (tmp_path / "spiders").mkdir()  # a namespace package: no __init__.py
    result = _python("import pipeline", tmp_path)
    assert result.returncode != 0
    assert "dadkhah's package 'spiders'" in result.stderr and str(tmp_path / "spiders") in result.stderr
