"""Fixtures shared by the test suite."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import write_briefing


@pytest.fixture
def briefing(tmp_path: Path) -> Path:
    """A minimal valid briefing folder."""
    return write_briefing(tmp_path / "b")
