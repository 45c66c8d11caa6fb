"""Shared helpers: writing briefing folders, running the real CLI, reading built sites."""

from __future__ import annotations

import hashlib
import os
import resource
import subprocess
import sys
import textwrap
from collections.abc import Mapping
from html.parser import HTMLParser
from pathlib import Path

from generator.build import BuildOptions, build, check
from generator.errors import ContentError, Diagnostic

REPO = Path(__file__).resolve().parent.parent

# A minimal valid briefing: one source with three numbered blocks, two actors, one topic.
ARTICLE = """\
Talks in Cairo
Negotiators met in Cairo on Monday to discuss the ceasefire.
Alice Smith said the “first phase” is close — very close.
- Bob Jones rejected the draft on Tuesday.
"""

HEAD_YAML = "title: Test briefing\nas_of: 2025-10-08\n"
"""The two required keys of briefing.yaml: a briefing with no claims."""

MINIMAL: dict[str, str] = {
    "seeds/cairo.txt": ARTICLE,
    "content/briefing.yaml": """\
title: Test briefing
as_of: 2025-10-08
summary: The bottom line.
key_points:
  - text: Talks resumed.
    cite: ["cairo: met in Cairo on Monday"]
    actors: [alice]
    topics: [ceasefire]
""",
    "content/sources/cairo.yaml": """\
file: cairo.txt
title: Talks in Cairo
outlet: Example News
published: 2025-10-07
url: https://example.com/cairo
""",
    "content/actors/alice.yaml": """\
name: Alice Smith
kind: person
aliases: [Alice]
""",
    "content/actors/bob.yaml": """\
name: Bob Jones
""",
    "content/topics/ceasefire.yaml": """\
title: Ceasefire
keywords: [ceasefire]
""",
}


def write_briefing(root: Path, files: Mapping[str, str | bytes | None] | None = None,
                   *, base: Mapping[str, str] | None = None) -> Path:
    """Write a minimal valid briefing into ``root`` and overlay ``files`` (a value
    of None deletes that file). Text is dedented. Returns ``root``."""
    merged: dict[str, str | bytes | None] = dict(MINIMAL if base is None else base)
    merged.update(files or {})
    for rel, data in merged.items():
        path = root / rel
        if data is None:
            path.unlink(missing_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(textwrap.dedent(data), encoding="utf-8")
    return root


def build_site(root: Path, out: Path | None = None, drafts: bool = False) -> Path:
    """Build in-process; returns the output directory."""
    result = build(BuildOptions(root=root, out=out, drafts=drafts))
    return result.out


def diagnostics_of(root: Path, drafts: bool = False) -> list[Diagnostic]:
    """Every diagnostic ``check`` reports for the briefing at ``root``."""
    return check(BuildOptions(root=root, drafts=drafts))


def errors_of(root: Path) -> list[str]:
    """The errors of the briefing at ``root``, as printed (``path:line:col: error: msg``)."""
    return [str(d) for d in diagnostics_of(root) if d.severity == "error"]


def warnings_of(root: Path, drafts: bool = False) -> list[str]:
    return [str(d) for d in diagnostics_of(root, drafts) if d.severity == "warning"]


def build_errors(root: Path) -> list[str]:
    """Build and expect failure; returns the errors as printed."""
    try:
        build(BuildOptions(root=root, out=root / "site"))
    except ContentError as exc:
        return [str(d) for d in exc.diagnostics if d.severity == "error"]
    raise AssertionError("the build succeeded but errors were expected")


def has(lines: list[str], where: str, fragment: str) -> bool:
    """Whether one diagnostic line starts with ``where`` and contains ``fragment``."""
    return any(line.startswith(where + ":") and fragment in line for line in lines)


def assert_diag(lines: list[str], where: str, fragment: str) -> None:
    assert has(lines, where, fragment), f"no '{where}: ... {fragment}' in:\n" + "\n".join(lines)


def limit_memory() -> None:  # pragma: no cover - runs in the child
    """preexec_fn: cap the child's address space at 1 GiB."""
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


def run_cli(*args: str | os.PathLike[str], timeout: float = 30,
            env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m generator ARGS`` for real, memory-capped and time-bounded."""
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = str(REPO)
    full_env.pop("NO_COLOR", None)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "generator", *map(str, args)],
        capture_output=True, text=True, timeout=timeout, env=full_env, cwd=REPO,
        preexec_fn=limit_memory, check=False,
    )


def tree_hash(root: Path) -> dict[str, str]:
    """Every file and folder under ``root`` (relative path -> content hash, or 'dir')."""
    out: dict[str, str] = {}
    if not root.exists():
        return out
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            out[rel] = "link:" + os.readlink(path)
        elif path.is_dir():
            out[rel] = "dir"
        else:
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def site_files(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*") if p.is_file())


class Page(HTMLParser):
    """Every element of an HTML page: (tag, attrs) in document order, plus ids."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.ids: set[str] = set()
        self.text_parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        d = {k: (v or "") for k, v in attrs}
        self.elements.append((tag, d))
        if "id" in d:
            self.ids.add(d["id"])

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        self.text_parts.append(data)

    def find(self, tag: str | None = None, **attr: str) -> list[dict[str, str]]:
        return [a for t, a in self.elements
                if (tag is None or t == tag) and all(a.get(k) == v for k, v in attr.items())]


def parse_page(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page


class _Anchors(HTMLParser):
    """Link elements with their text: (attrs, text) for every <a>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[dict[str, str], str]] = []
        self._open: list[tuple[dict[str, str], list[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._open.append(({k: (v or "") for k, v in attrs}, []))

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._open:
            attrs, parts = self._open.pop()
            self.links.append((attrs, "".join(parts)))
            if self._open:
                self._open[-1][1].extend(parts)

    def handle_data(self, data: str) -> None:
        if self._open:
            self._open[-1][1].append(data)


def anchors(path: Path) -> list[tuple[dict[str, str], str]]:
    """Every <a> of an HTML page with its attributes and its text."""
    p = _Anchors()
    p.feed(path.read_text(encoding="utf-8"))
    p.close()
    return p.links


FIXTURES = Path(__file__).resolve().parent / "fixtures"


def copy_fixture(name: str, dest: Path) -> Path:
    """A fresh copy of ``tests/fixtures/<name>`` at ``dest``."""
    import shutil

    shutil.copytree(FIXTURES / name, dest)
    return dest


_EXTERNAL = ("http://", "https://", "mailto:")


def link_problems(site: Path) -> list[str]:
    """Every internal href/src of every HTML file that does not resolve to a file
    (and its #fragment to an id); absolute internal links are problems too."""
    import posixpath
    from urllib.parse import unquote, urlsplit

    ids: dict[str, set[str]] = {}
    pages = {p.relative_to(site).as_posix(): parse_page(p) for p in site.rglob("*.html")}
    for rel, page in pages.items():
        ids[rel] = page.ids
    problems = []
    for rel, page in sorted(pages.items()):
        for tag, attrs in page.elements:
            for name in ("href", "src"):
                link = attrs.get(name)
                if link is None or link.startswith(_EXTERNAL):
                    continue
                if tag == "meta":
                    continue
                parts = urlsplit(link)
                if parts.scheme or parts.netloc or link.startswith("/"):
                    problems.append(f"{rel}: absolute or foreign link {link!r}")
                    continue
                target = rel if not parts.path else posixpath.normpath(
                    posixpath.join(posixpath.dirname(rel), unquote(parts.path)))
                if target.startswith("../") or not (site / target).is_file():
                    problems.append(f"{rel}: <{tag} {name}={link!r}> -> missing {target}")
                    continue
                if parts.fragment:
                    if target not in ids:
                        problems.append(f"{rel}: fragment on non-HTML target {link!r}")
                    elif unquote(parts.fragment) not in ids[target]:
                        problems.append(f"{rel}: {link!r} -> no id {parts.fragment!r} in {target}")
    return problems
