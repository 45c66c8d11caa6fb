"""The code stays `ruff` and `mypy --strict` clean: the suite fails otherwise."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _tool(name: str) -> str:
    path = shutil.which(name, path=str(Path(sys.executable).parent))
    if path is None:
        pytest.fail(f"{name} is not installed in this environment; run scripts/setup-tests.sh")
    return path


def test_ruff_reports_nothing() -> None:
    result = subprocess.run([_tool("ruff"), "check", "generator", "tests"], cwd=REPO,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_reports_nothing() -> None:
    result = subprocess.run([_tool("mypy"), "--strict", "generator"], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_keeps_records_from_being_assigned(tmp_path: Path) -> None:
    # Records (generator.frozen.record) are not frozen at run time: the type
    # checker is what keeps their fields from being assigned.
    probe = tmp_path / "probe.py"
    probe.write_text("from generator.model import Span\n\nspan = Span(0, 1, ('a',))\nspan.start = 3\n",
                     encoding="utf-8")
    result = subprocess.run([_tool("mypy"), "--strict", "--no-incremental", str(probe)], cwd=REPO,
                            capture_output=True, text=True, env={**os.environ, "MYPYPATH": str(REPO)})
    assert result.returncode == 1 and 'Property "start" defined in "Span" is read-only' in result.stdout, \
        result.stdout + result.stderr
