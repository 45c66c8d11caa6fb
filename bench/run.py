#!/usr/bin/env python3
"""Benchmark `briefing build` on synthetic briefings, optionally beside Hugo and Pelican.

    python bench/run.py --articles 1000 10000 [--runs 3] [--edits 5] [--peers] [--work /tmp/briefing-bench]

For each size it generates a corpus with ../shared/bench/make_corpus.py (the same
articles as a briefing, a Hugo site and a Pelican site), then times `briefing build`:

  cold       fresh output directory, no build state
  no-change  the same build again over that output
  one-edit   after appending a paragraph to one article (the first edit after the
             cold build)
  next-edit  the same again, --edits times after each one-edit: an editor's edit
             loop (the median of runs x edits builds: an edit takes under a
             second, and three of them do not settle its figure on a shared machine)
  serve-edit the live preview's build after an edit, timed around the builder of a
             real `briefing serve` server (its file watcher, its build state in
             memory): the median of runs x edits edits in one process

Each case runs --runs times. The table shows the median wall time and the peak RSS of
the build process. With --peers it runs ../shared/bench/peers.sh on the same corpus in
the same run and prints the ratios (Hugo's server figure, a rebuild in a running
`hugo server`, is compared with both edit cases). It is not part of the test suite.

The timed `briefing` is installed the way users install it (`pip install .` into a
venv of its own, with its bytecode compiled), not the checkout's editable install.
The machine's speed is probed (a fixed Python loop) before each size, because
these machines are shared and their speed varies through the day.

Nothing is deleted while builds are timed: the trees of earlier runs (and an
earlier bench's peers folders, which peers.sh would delete just before Hugo's
cold build) are moved into WORK/trash and deleted at the end. On ext4 without a
journal, as these machines have, a new file's inode is chosen past every inode
freed in the last minute (6 minutes while its inode table block is not yet
written back), each looked up in turn (the kernel's recently_deleted: 8% of a
cold build's samples in perf, none with nothing deleted before it): a cold build
of 10,000 articles right after deleting the last run's tree took 11.8 to 12.9 s,
with 4.6 to 6.1 s in the kernel, against 11.4 to 11.9 s and 3.7 to 4.0 s after
moving it aside (3 builds each).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED_BENCH = REPO.parent / "shared" / "bench"
EDIT = "\nOne more paragraph, added to time an incremental rebuild.\n"

PREVIEW = """
import io, statistics, sys, time
from pathlib import Path
from generator.build import BuildOptions, preview_builder
from generator.serve import DevServer
root, runs = Path(sys.argv[1]), int(sys.argv[3])
real = preview_builder(BuildOptions(root=root, search=False), own_out=True)  # as `briefing serve` makes it
times = []
def timed(out, changed):
    start = time.perf_counter()
    try:
        return real(out, changed)
    finally:
        times.append(time.perf_counter() - start)
server = DevServer(timed, [root / "seeds", root / "content", root / "templates"], port=0, base=root,
                   log=io.StringIO())
server.start()  # binds, builds once, starts the real file watcher
try:
    for _ in range(runs):
        seen = server.snapshot.generation
        time.sleep(0.5)
        with open(root / "seeds" / "art-00001.txt", "a", encoding="utf-8") as f:
            f.write(sys.argv[4])
        deadline = time.monotonic() + 300
        while server.snapshot.generation == seen and time.monotonic() < deadline:
            time.sleep(0.01)
        assert server.snapshot.generation > seen and not server.snapshot.errors, "the edit was not built"
finally:
    server.stop()
print(statistics.median(times[1:]))
"""


def measure(cmd: list[str], log: Path) -> tuple[float, float]:
    """Wall time and peak RSS of ``cmd`` measured in a separate process tree."""
    probe = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "rc = subprocess.run(sys.argv[2:], stdout=open(sys.argv[1], 'w'), stderr=subprocess.STDOUT).returncode\n"
        "w = time.perf_counter() - t\n"
        "print(rc, w, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe, str(log), *cmd], capture_output=True, text=True, check=True)
    rc, wall, rss = out.stdout.split()
    if rc != "0":
        sys.exit(f"failed ({rc}): {' '.join(cmd)}; see {log}")
    return float(wall), float(rss)


def edit(article: Path) -> None:
    with article.open("a", encoding="utf-8") as f:
        f.write(EDIT)


def speed_probe(python: Path) -> float:
    """Seconds a fixed pure-Python loop takes: the machine's speed right now."""
    code = ("import time\nt = time.perf_counter()\nx = 0\nfor i in range(3_000_000): x += i\n"
            "print(time.perf_counter() - t)")
    return min(float(subprocess.run([str(python), "-c", code], capture_output=True, text=True,
                                    check=True).stdout) for _ in range(3))


def install(work: Path) -> Path:
    """A venv of its own with this checkout installed (not editable); its python."""
    venv = work / "venv"
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--force-reinstall", "--no-deps", str(REPO)],
                   check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", str(REPO)], check=True)  # its dependencies
    subprocess.run([str(python), "-m", "compileall", "-q", str(venv / "lib")], check=False)
    return python


class Trash:
    """Folders the bench is done with: moved aside at once (a rename frees no
    inode), deleted by :meth:`empty` once nothing is timed any more."""

    def __init__(self, work: Path) -> None:
        self.folder = work / "trash"
        self.folder.mkdir(exist_ok=True)
        self._count = 0

    def discard(self, path: Path) -> None:
        if path.exists():
            self._count += 1
            path.rename(self.folder / f"{os.getpid()}-{self._count}-{path.name}")

    def empty(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def bench_size(n: int, work: Path, runs: int, edits: int, python: Path, extra: list[str], trash: Trash
               ) -> dict[str, tuple[float, float]]:
    corpus = work / f"corpus-{n}"
    if not (corpus / "briefing" / "content" / "briefing.yaml").is_file():
        print(f"# generating {n} articles into {corpus}", flush=True)
        subprocess.run([sys.executable, str(SHARED_BENCH / "make_corpus.py"), str(corpus), "--articles", str(n)],
                       check=True)
    src = work / f"briefing-{n}"
    briefing = [str(python.parent / "briefing")]
    results: dict[str, list[tuple[float, float]]] = {"cold": [], "no-change": [], "one-edit": [], "next-edit": []}
    cache = work / "cache"  # the build state lives in the user's cache folder: a fresh one per cold build
    for i in range(runs):
        trash.discard(src)
        trash.discard(cache)
        shutil.copytree(corpus / "briefing", src)
        out = src / "site"
        cmd = ["env", f"XDG_CACHE_HOME={cache}", *briefing, "build", "--quiet", *extra, "--root", str(src),
               "--out", str(out)]
        results["cold"].append(measure(cmd, work / f"cold-{n}-{i}.log"))
        results["no-change"].append(measure(cmd, work / f"nochange-{n}-{i}.log"))
        edit(src / "seeds" / "art-00001.txt")
        results["one-edit"].append(measure(cmd, work / f"edit-{n}-{i}.log"))
        for j in range(edits):
            edit(src / "seeds" / "art-00001.txt")
            results["next-edit"].append(measure(cmd, work / f"next-edit-{n}-{i}-{j}.log"))
    table = {case: (statistics.median(w for w, _ in xs), max(r for _, r in xs)) for case, xs in results.items()}
    preview = subprocess.run([str(python), "-c", PREVIEW, str(src), str(work / f"preview-{n}"), str(runs * edits),
                              EDIT],
                             capture_output=True, text=True, check=True,
                             env={**os.environ, "XDG_CACHE_HOME": str(cache)})
    table["serve-edit"] = (float(preview.stdout.split()[-1]), 0.0)
    return table


def peers(n: int, work: Path) -> dict[str, tuple[float, float]]:
    """Hugo's and Pelican's figures from peers.sh on the same corpus."""
    log = subprocess.run(["bash", str(SHARED_BENCH / "peers.sh"), str(work / f"corpus-{n}"), str(work / f"peers-{n}")],
                         capture_output=True, text=True)
    print(log.stdout, end="")
    if log.returncode != 0:
        print(log.stderr, file=sys.stderr)
    found: dict[str, tuple[float, float]] = {}
    for line in log.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 6 and parts[0] in ("hugo", "pelican") and re.fullmatch(r"[0-9.]+", parts[4]):
            rss = float(parts[5]) if re.fullmatch(r"[0-9.]+", parts[5]) else 0.0
            found[f"{parts[0]} {parts[1]}"] = (float(parts[4]), rss)
    return found


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--articles", type=int, nargs="+", default=[1000])
    ap.add_argument("--runs", type=int, default=3, help="cold builds per size (each followed by the other cases)")
    ap.add_argument("--edits", type=int, default=5, help="next edits after each cold build's first edit")
    ap.add_argument("--peers", action="store_true", help="also time Hugo and Pelican with peers.sh")
    ap.add_argument("--no-search", action="store_true", help="build without the search index, as Hugo does")
    ap.add_argument("--work", type=Path, default=Path("/tmp/briefing-bench"))
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    python = install(args.work)
    extra = ["--no-search"] if args.no_search else []
    version = subprocess.run([str(python.parent / "briefing"), "--version"], capture_output=True, text=True)
    print(f"# {version.stdout.strip()}; Python {sys.version.split()[0]}; {os.cpu_count()} cores;"
          f" median of {args.runs} runs ({args.runs * max(args.edits, 1)} next edits);"
          f" {time.strftime('%Y-%m-%d %H:%M')}")
    trash = Trash(args.work)
    for n in args.articles:  # what peers.sh would delete before its builds
        trash.discard(args.work / f"peers-{n}")
    rows = []
    try:
        for n in args.articles:
            probe = speed_probe(python)
            ours = bench_size(n, args.work, args.runs, max(args.edits, 1), python, extra, trash)
            theirs = peers(n, args.work) if args.peers else {}
            rows.append((n, ours, theirs, probe, speed_probe(python)))
    finally:
        trash.empty()
    print(f"\n{'articles':>8} {'case':<10} {'briefing s':>10} {'RSS MiB':>8} {'Hugo s':>7} {'ratio':>6}"
          f" {'Hugo MiB':>8} {'Pelican s':>9}")
    for n, ours, theirs, before, after in rows:
        hugo = {"cold": theirs.get("hugo cold"), "no-change": theirs.get("hugo rerun"),
                "one-edit": theirs.get("hugo server"), "next-edit": theirs.get("hugo server"),
                "serve-edit": theirs.get("hugo server")}
        for case, (wall, rss) in ours.items():
            peer = hugo.get(case)
            ratio = f"{wall / peer[0]:.2f}" if peer and peer[0] else "-"
            pel = theirs.get("pelican cold") if case == "cold" else None
            memory = f"{rss:>8.0f}" if rss else f"{'-':>8}"
            print(f"{n:>8} {case:<10} {wall:>10.2f} {memory} {peer[0] if peer else '-':>7} {ratio:>6}"
                  f" {peer[1] if peer and peer[1] else '-':>8} {pel[0] if pel else '-':>9}")
        print(f"{'':>8} speed probe (3M-step Python loop): {before:.3f} s before, {after:.3f} s after")


if __name__ == "__main__":
    main()
