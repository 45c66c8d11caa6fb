"""A public build never takes a drafts build as its "What's new" baseline."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import run_cli, write_briefing

MARKER = "DRAFTBASELINEMARKER"


def test_drafts_build_is_not_the_baseline_of_a_public_build(tmp_path: Path) -> None:
    root = write_briefing(tmp_path / "b", {
        "content/actors/secret.yaml": f"name: {MARKER} Person\ndraft: true\nsummary: {MARKER}\n",
    })
    assert run_cli("build", "--root", str(root), "--drafts").returncode == 0
    public = run_cli("build", "--root", str(root))
    assert public.returncode == 0, public.stderr
    assert "included drafts" in public.stderr
    for path in (root / "site").rglob("*"):
        if path.is_file():
            assert MARKER.encode() not in path.read_bytes(), f"draft leaked into {path}"
