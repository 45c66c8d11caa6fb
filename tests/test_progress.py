"""Progress output of long builds: a self-erasing line on a terminal, plain lines
in logs, nothing with --quiet, and nothing extra for a small build."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from generator.progress import LINE_MIN_ITEMS, ProgressDisplay
from tests.helpers import REPO, run_cli, write_briefing


def _large_briefing(root: Path, sources: int = LINE_MIN_ITEMS) -> Path:
    files: dict[str, str] = {}
    for i in range(sources):
        files[f"seeds/s{i:04}.txt"] = f"Report {i}\nAlice Smith spoke about the ceasefire on day {i}.\n"
        files[f"content/sources/s{i:04}.yaml"] = f"file: s{i:04}.txt\ntitle: Report {i}\n"
    return write_briefing(root, files)


def test_plain_lines_name_each_stage_of_a_large_build_once() -> None:
    out = io.StringIO()
    display = ProgressDisplay(out, terminal=False)
    for done in range(0, 1001, 50):
        display("rendering pages", done, 1000)
    display("writing files", 0, 1010)
    assert out.getvalue().splitlines() == ["briefing: rendering pages (1,000) …", "briefing: writing files (1,010) …"]


def test_small_stages_print_no_plain_lines() -> None:
    out = io.StringIO()
    display = ProgressDisplay(out, terminal=False)
    display("rendering pages", 40, LINE_MIN_ITEMS - 1)
    assert out.getvalue() == ""


def test_the_terminal_line_waits_then_redraws_and_erases_itself() -> None:
    out = io.StringIO()
    with ProgressDisplay(out, terminal=True, show_after=0.0, redraw=0.0) as display:
        display("rendering pages", 10, 40)
        display("rendering pages", 40, 40)
    text = out.getvalue()
    assert "\r\x1b[Krendering pages" in text and "40/40" in text
    assert text.endswith("\r\x1b[K"), "the status line must be erased when the build ends"


def test_a_quick_build_draws_nothing_on_a_terminal() -> None:
    out = io.StringIO()
    with ProgressDisplay(out, terminal=True) as display:  # the default waits half a second
        display("rendering pages", 40, 40)
    assert out.getvalue() == ""


def test_a_large_build_logs_its_stages_and_quiet_silences_them(tmp_path: Path) -> None:
    root = _large_briefing(tmp_path / "b")
    result = run_cli("build", "--root", root, "--no-search", timeout=300)
    assert result.returncode == 0, result.stderr
    stages = [line.split(" (")[0] for line in result.stderr.splitlines() if line.startswith("briefing: ")]
    assert stages == ["briefing: reading articles", "briefing: finding mentions", "briefing: resolving citations",
                      "briefing: rendering pages", "briefing: writing files"], result.stderr
    # An article added reads that article (every folder is listed again and
    # every summary looked at): no stage of it is long, whatever the briefing's size.
    write_briefing(root, {"seeds/added.txt": "Added\nAlice Smith spoke again.\n",
                          "content/sources/added.yaml": "file: added.txt\ntitle: Added\n"})
    edit = run_cli("build", "--root", root, "--no-search", timeout=300)
    assert edit.returncode == 0, edit.stderr
    stages_named = [s for s in ("reading", "finding", "resolving", "rendering", "writing") if s in edit.stderr]
    assert stages_named == [], edit.stderr
    quiet = run_cli("build", "--root", root, "--no-search", "--quiet", "--out", tmp_path / "other", timeout=300)
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stdout == "" and quiet.stderr == ""


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_on_a_terminal_the_cli_draws_a_bar(tmp_path: Path) -> None:
    root = _large_briefing(tmp_path / "b", 3000)  # long enough (seconds) for the bar to appear
    leader, follower = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "generator", "build", "--root", str(root), "--no-search"],
                            stdin=follower, stdout=follower, stderr=follower, env=env, cwd=REPO)
    os.close(follower)
    chunks: list[bytes] = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert proc.wait(timeout=300) == 0
    text = b"".join(chunks).decode("utf-8", "replace")
    assert "rendering pages" in text and "] " in text, text[-2000:]
    assert "\r\x1b[KBuilt " in text.replace("\r\n", "\n"), "the bar is erased before the summary line"
