"""A non-editable install carries the built-in templates and builds anywhere."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

BRIEFING = {
    "content/briefing.yaml": "title: Packaged\nas_of: 2025-01-02\nsummary: Works from a wheel.\n",
    "content/sources/one.yaml": "file: one.txt\ntitle: One\n",
    "seeds/one.txt": "Alice met Bob.\n",
}


def test_non_editable_install_builds_a_briefing_elsewhere(tmp_path: Path) -> None:
    target = tmp_path / "installed"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--target", str(target), str(REPO)],
        check=True, capture_output=True, text=True,
    )
    assert (target / "generator" / "templates" / "base.html").is_file()
    assert (target / "generator" / "templates" / "assets" / "style.css").is_file()

    root = tmp_path / "brief"
    for rel, text in BRIEFING.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(target)}
    probe = subprocess.run([sys.executable, "-c", "import generator; print(generator.__file__)"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, check=True)
    assert probe.stdout.strip().startswith(str(target)), "the installed copy must be the one imported"
    result = subprocess.run([sys.executable, "-m", "generator", "build", "--root", str(root)],
                            cwd=tmp_path, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    page = (root / "site" / "index.html").read_text(encoding="utf-8")
    assert "Works from a wheel." in page
    assert (root / "site" / "assets" / "style.css").is_file()
