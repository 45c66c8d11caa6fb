"""Issue 6: a build killed at any moment leaves the old site or the new one, never a mix."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.helpers import REPO, limit_memory, run_cli, tree_hash

N_SOURCES = 80
KILLS = 10


def write_large_briefing(root: Path, title: str, sources: int = N_SOURCES) -> None:
    """A generated briefing with ``sources`` articles of 20 paragraphs each (80: about a second to build)."""
    rng = random.Random(7)
    (root / "seeds").mkdir(parents=True, exist_ok=True)
    for kind in ("sources", "actors", "topics"):
        (root / "content" / kind).mkdir(parents=True, exist_ok=True)
    names = [f"Person{chr(65 + i % 26)}{i} Surname{i}" for i in range(40)]
    for i, name in enumerate(names):
        (root / f"content/actors/actor-{i}.yaml").write_text(
            f"name: {name}\naliases: [Surname{i}]\n", encoding="utf-8")
    for t in range(10):
        (root / f"content/topics/topic-{t}.yaml").write_text(
            f"title: Topic {t}\nkeywords: [keyword{t}]\n", encoding="utf-8")
    for s in range(sources):
        paras = []
        for p in range(20):
            who = rng.sample(names, 2)
            paras.append(f"In paragraph {p} {who[0]} met Surname{rng.randrange(40)} about keyword{p % 10},"
                         f" and {who[1]} disagreed at length about the details of the plan.")
        (root / f"seeds/s{s}.txt").write_text("\n".join(paras) + "\n", encoding="utf-8")
        (root / f"content/sources/s{s}.yaml").write_text(
            f"file: s{s}.txt\ntitle: Source {s}\nkey_points:\n  - text: Point {s}\n"
            f"    cite: ['s{s}: In paragraph 3']\n", encoding="utf-8")
    (root / "content/briefing.yaml").write_text(f"title: {title}\nas_of: 2025-10-08\n", encoding="utf-8")


def set_title(root: Path, title: str) -> None:
    (root / "content/briefing.yaml").write_text(f"title: {title}\nas_of: 2025-10-08\n", encoding="utf-8")


def strays(site: Path) -> list[str]:
    """What failed or killed builds left beside ``site``; the spare site (the one
    the last swap replaced, kept for the next build to reuse) is not one."""
    return sorted(p.name for p in site.parent.iterdir()
                  if p.name.startswith(f".{site.name}.") and p.name != f".{site.name}.spare")


def test_killed_builds_leave_the_old_or_the_new_site_never_a_mix(tmp_path: Path) -> None:
    root = tmp_path / "b"
    write_large_briefing(root, "Old")
    site = root / "site"
    states = {}
    for title in ("New", "Old"):  # the reference trees, built elsewhere
        set_title(root, title)
        out = tmp_path / f"ref-{title}"
        started = time.monotonic()
        assert run_cli("build", "--root", root, "--out", out, timeout=120).returncode == 0
        duration = time.monotonic() - started
        states[title] = tree_hash(out)
    assert states["Old"] != states["New"]
    assert run_cli("build", "--root", root, timeout=120).returncode == 0
    current = "Old"
    assert tree_hash(site) == states[current]

    rng = random.Random(20251008)
    outcomes = []
    for _ in range(KILLS):
        target = "New" if current == "Old" else "Old"
        set_title(root, target)
        proc = subprocess.Popen(
            [sys.executable, "-m", "generator", "build", "--root", str(root), "-q"],
            cwd=REPO, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=limit_memory,
        )
        time.sleep(rng.uniform(0.05, duration * 1.1))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        got = tree_hash(site)
        assert got in (states["Old"], states["New"]), "the site is a mix of two builds"
        current = "Old" if got == states["Old"] else "New"
        outcomes.append(current == target)

    set_title(root, "New")
    result = run_cli("build", "--root", root, timeout=120)
    assert result.returncode == 0, result.stderr
    assert tree_hash(site) == states["New"]
    assert strays(site) == []
    # the delays were spread over the build: some kills came before the swap
    assert not all(outcomes), outcomes


def test_a_build_with_nothing_to_do_still_removes_what_a_killed_build_left(tmp_path: Path) -> None:
    # A build killed after its swap, while deleting the previous site: the new
    # site is complete and remembered, so the next build has nothing to build.
    root = tmp_path / "b"
    write_large_briefing(root, "Old", sources=3)
    site = root / "site"
    assert run_cli("build", "--root", root).returncode == 0
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    left = site.parent / f".site.tmp-{dead.stdout.strip()}-0badcafe"
    (left / "sources").mkdir(parents=True)
    (left / "sources/index.html").write_text("the previous site, half deleted", encoding="utf-8")
    result = run_cli("build", "--root", root)
    assert result.returncode == 0 and "0 written" in result.stdout, result.stdout
    assert strays(site) == []
