"""Every page of the built briefing is valid HTML by the Nu HTML Checker
(``vnu-jar`` from npm, run with the machine's Java)."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.site_support import VNU, BuiltSite, built_site

_missing = None if VNU.exists() and shutil.which("java") else (
    f"HTML VALIDATION SKIPPED: needs {VNU} (run `npm ci`) and java on PATH")
pytestmark = pytest.mark.skipif(_missing is not None, reason=_missing or "")


@pytest.fixture(scope="module")
def site() -> BuiltSite:
    try:
        return built_site()
    except LookupError as exc:
        pytest.skip(f"HTML VALIDATION SKIPPED: {exc}")


def test_nu_validator_reports_no_errors_on_any_page(site: BuiltSite) -> None:
    run = subprocess.run(
        ["java", "-jar", str(VNU), "--errors-only", "--format", "json", "--skip-non-html", str(site.folder)],
        capture_output=True, text=True, timeout=300, check=False)
    messages = json.loads(run.stderr or run.stdout or '{"messages": []}')["messages"]
    errors = [f"{m.get('url', '').rsplit('/brief/', 1)[-1]}:{m.get('lastLine')}: {m['message']}"
              for m in messages if m.get("type") == "error"]
    checked = sum(1 for _ in site.folder.rglob("*.html"))
    assert checked > 0
    assert errors == [], "\n".join(errors)
