"""The read and model stages for one file: bytes -> a record, or an article's blocks.

Files are read safely (size limits, UTF-8 with a located error, no binary
files, no symlinks out of the folder); YAML is parsed into located nodes and
checked against the schema; articles are read into blocks. Every problem goes
into ``Diagnostics``; nothing here raises for bad input. Which files are read
in a build is :mod:`generator.update`'s business.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from generator import fields, reader
from generator.errors import Diagnostic, Diagnostics, Location
from generator.frozen import record
from generator.model import Block
from generator.yamlload import Node, load_yaml

T = TypeVar("T")

# No hand-written summary comes near these; they bound time and memory on
# hostile input (and catch a mis-saved binary or a runaway export).
MAX_YAML_BYTES = 512 * 1024
MAX_ARTICLE_BYTES = 4 * 1024 * 1024

CONTENT_DIRS = ("sources", "actors", "topics")
# Editors and operating systems leave these next to the files being edited.
_IGNORED_SUFFIXES = ("~", ".swp", ".swx", ".swo", ".tmp", ".bak", ".orig")


@record
class BriefingPaths:
    """Where a briefing's parts live, from its root folder."""

    root: Path

    @property
    def content(self) -> Path:
        return self.root / "content"

    @property
    def seeds(self) -> Path:
        return self.root / "seeds"

    @property
    def static(self) -> Path:
        return self.content / "static"

    @property
    def templates(self) -> Path:
        return self.root / "templates"

    def rel(self, path: Path) -> str:
        """``path`` relative to the root, with POSIX separators, for messages."""
        # By string first: this runs for every file, and pathlib's relative_to
        # cost 0.3 s on a 10,000-article briefing. Both are lexical.
        text, root = os.fspath(path), os.fspath(self.root)
        if text.startswith(root) and text[len(root):len(root) + 1] == os.sep and root not in ("", "."):
            return text[len(root) + 1:].replace(os.sep, "/")
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()


def check_name(paths: BriefingPaths, kind: str, name: str, diagnostics: Diagnostics) -> bool:
    """Whether the file ``name`` in ``content/<kind>/`` is named as a content file
    must be (``<id>.yaml``); a problem with its name is reported."""
    if name.endswith(".yaml") and fields.id_problem(name[:-5]) is None:
        return True  # the common case, without the cost of paths and a Location
    path = paths.content / kind / name
    where = Location(paths.rel(path))
    if path.suffix == ".yml":
        diagnostics.error(where, f"rename to '{path.stem}.yaml': content files end in .yaml")
        return False
    if path.suffix != ".yaml":
        diagnostics.warning(where, f"ignored: content/{kind}/ holds only .yaml files")
        return False
    problem = fields.id_problem(path.stem)
    if problem:
        diagnostics.error(where, f"bad file name: {problem}")
        return False
    return True


def parse_record(paths: BriefingPaths, path: Path, data: bytes,
                 read: Callable[[Node | None, str, Location, Diagnostics], T | None]
                 ) -> tuple[T | None, list[Diagnostic]]:
    """A content file's bytes as a record (``read`` is its kind's schema reader),
    and the problems found in it."""
    found = Diagnostics()
    readable, node = parse_yaml(paths, path, data, found)
    record = read(node, path.stem, Location(paths.rel(path)), found) if readable else None
    return record, found.items


def parse_article(paths: BriefingPaths, path: Path, data: bytes,
                  drop: Sequence[re.Pattern[str]]) -> tuple[tuple[Block, ...] | None, list[Diagnostic]]:
    """An article's bytes as blocks (None if it cannot be decoded), and the problems found in it."""
    found = Diagnostics()
    text = decode(paths, path, data, found)
    if text is None:
        return None, found.items
    blocks = reader.read_markdown(text) if path.suffix == ".md" else reader.read_txt(text, drop)
    if not any(b.n is not None for b in blocks):
        found.warning(Location(paths.rel(path)), "the article has no paragraphs")
    return tuple(blocks), found.items


def names(paths: BriefingPaths, folder: Path, diagnostics: Diagnostics) -> list[str]:
    """The names of the regular files directly in ``folder``, sorted, skipping
    editor litter (as plain strings: a large briefing has 20,000 of them)."""
    if not folder.is_dir():
        return []
    # Only a link can lead out of a folder that is itself inside the briefing:
    # resolving every path would cost more than reading a large briefing's YAML.
    folder_inside = folder.resolve().is_relative_to(paths.root.resolve())
    out = []
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        name = entry.name
        if name.startswith(".") or name.endswith(_IGNORED_SUFFIXES):
            continue
        if (entry.is_symlink() or not folder_inside) and not _inside(paths, Path(entry.path), diagnostics):
            continue
        if entry.is_dir():
            diagnostics.warning(Location(paths.rel(Path(entry.path))), "ignored: sub-folders are not read here")
            continue
        out.append(name)
    return out


def _inside(paths: BriefingPaths, path: Path, diagnostics: Diagnostics) -> bool:
    """Whether ``path`` really lives in the briefing folder; a link out is an error
    (it would publish a file the editor did not put in the briefing)."""
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):
        diagnostics.error(Location(paths.rel(path)), "broken link: the file it points to does not exist")
        return False
    if not real.is_relative_to(paths.root.resolve()):
        diagnostics.error(Location(paths.rel(path)), "links outside the briefing folder; copy the"
                                                     " file into the briefing instead")
        return False
    return True


def read_bytes(paths: BriefingPaths, path: Path, limit: int, diagnostics: Diagnostics) -> bytes | None:
    """A file's bytes; a file over ``limit`` or unreadable is an error."""
    where = Location(paths.rel(path))
    try:
        size = path.stat().st_size
        if size > limit:
            diagnostics.error(where, f"file is too large ({size:,} bytes; the limit is {limit:,});"
                                     " is it the right file?")
            return None
        return path.read_bytes()
    except OSError as exc:
        diagnostics.error(where, f"cannot read file: {exc.strerror or exc}")
        return None


def decode(paths: BriefingPaths, path: Path, data: bytes, diagnostics: Diagnostics) -> str | None:
    """Bytes as UTF-8 text; binary or undecodable bytes are a located error."""
    where = Location(paths.rel(path))
    if b"\0" in data:
        line, col = _position(data, data.index(b"\0"))
        diagnostics.error(Location(where.path, line, col), "binary file (it contains NUL bytes);"
                                                           " save it as UTF-8 text")
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _position(data, exc.start)
        diagnostics.error(Location(where.path, line, col),
                          f"not valid UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8")
        return None


def _position(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters) of a byte offset."""
    start = data.rfind(b"\n", 0, offset) + 1
    column = len(data[start:offset].decode("utf-8", errors="replace")) + 1
    return data.count(b"\n", 0, offset) + 1, column


def parse_yaml(
    paths: BriefingPaths, path: Path, data: bytes, diagnostics: Diagnostics
) -> tuple[bool, Node | None]:
    """(readable, root node). A file that could not be decoded or parsed is not
    readable (its error is reported); an empty one is readable, with no node,
    so that the schema can say what it needs."""
    errors = len(diagnostics.errors)
    text = decode(paths, path, data, diagnostics)
    if text is None:
        return False, None
    node = load_yaml(text.removeprefix("\ufeff"), paths.rel(path), diagnostics)
    return node is not None or len(diagnostics.errors) == errors, node
