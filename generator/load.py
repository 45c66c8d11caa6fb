"""The read and model stages: a briefing folder -> :class:`Content`.

Reads every file once, safely (size limits, UTF-8 with a located error, no
binary files, no symlinks out of the folder), parses the YAML into located
nodes, checks it against the schema and reads each article into blocks. Every
problem goes into ``Diagnostics``; nothing here raises for bad input.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

from generator import fields, reader, schema
from generator.errors import Diagnostic, Diagnostics, Location, did_you_mean
from generator.memo import Memo, digest
from generator.model import Block, Content, Source
from generator.yamlload import Node, load_yaml

T = TypeVar("T")

# No hand-written summary comes near these; they bound time and memory on
# hostile input (and catch a mis-saved binary or a runaway export).
MAX_YAML_BYTES = 512 * 1024
MAX_ARTICLE_BYTES = 4 * 1024 * 1024

CONTENT_DIRS = ("sources", "actors", "topics")
# Editors and operating systems leave these next to the files being edited.
_IGNORED_SUFFIXES = ("~", ".swp", ".swx", ".swo", ".tmp", ".bak", ".orig")


@dataclass(frozen=True, slots=True)
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


def load(paths: BriefingPaths, diagnostics: Diagnostics, memo: Memo | None = None,
         hashes: Mapping[str, str] | None = None) -> Content | None:
    """Read a whole briefing folder. Returns None when ``briefing.yaml`` cannot be
    used at all; otherwise every readable record, drafts included.

    With a ``memo``, a file whose path and bytes are those of an earlier build is
    not parsed again: its record (and the problems found in it) are remembered.
    ``hashes`` (path -> SHA-256 of the file, as the fingerprint found it) spare
    reading such files at all."""
    memo = memo if memo is not None else Memo()
    reading = _Reading(paths, memo, hashes or {})
    briefing_file = paths.content / "briefing.yaml"
    if not briefing_file.is_file():
        where = Location(paths.rel(briefing_file))
        if not paths.content.is_dir():
            diagnostics.error(where, f"{paths.root} is not a briefing folder: it has no content/"
                                     " folder (start one with 'briefing new DIR', or pass --root)")
        else:
            diagnostics.error(where, "content/briefing.yaml is missing; create it with at least"
                                     " 'title' and 'as_of'")
        return None
    readable, node = _read_yaml(paths, briefing_file, diagnostics)
    briefing = (schema.read_briefing(node, Location(paths.rel(briefing_file)), diagnostics)
                if readable else None)
    sources = _read_kind(reading, "sources", schema.read_source, diagnostics)
    actors = _read_kind(reading, "actors", schema.read_actor, diagnostics)
    topics = _read_kind(reading, "topics", schema.read_topic, diagnostics)
    drop = reader.compile_drop(briefing.drop if briefing else ())
    sources = _read_articles(reading, sources, drop, diagnostics)
    if briefing is None:
        return None
    return Content(briefing=briefing, sources=sources, actors=actors, topics=topics)


@dataclass(frozen=True, slots=True)
class _Reading:
    """Reading files through the memo: a file's result is keyed by its path and
    the SHA-256 of its bytes. When the fingerprint already hashed the file, a
    remembered result is found without reading it; otherwise the file is read
    and hashed here (never trusting the fingerprint's hash for what is read, as
    the file may have been saved since)."""

    paths: BriefingPaths
    memo: Memo
    hashes: Mapping[str, str]

    def result(self, kind: str, path: Path, limit: int, diagnostics: Diagnostics,
               compute: Callable[[bytes], tuple[T, list[Diagnostic]]]) -> tuple[T, list[Diagnostic]] | None:
        """``compute(bytes)`` for the file, remembered; None if it cannot be read."""
        rel = self.paths.rel(path)
        known = self.hashes.get(str(path))
        if known is not None and self.memo.peek(kind, key := digest(rel, known)) is not None:
            found: tuple[T, list[Diagnostic]] = self.memo.get(kind, key, lambda: compute(b""))
            return found
        data = read_bytes(self.paths, path, limit, diagnostics)
        if data is None:
            return None
        return self.memo.get(kind, digest(rel, hashlib.sha256(data).hexdigest()), lambda: compute(data))


def _read_kind(
    reading: _Reading,
    kind: str,
    read: Callable[[Node | None, str, Location, Diagnostics], T | None],
    diagnostics: Diagnostics,
) -> dict[str, T]:
    paths = reading.paths
    records: dict[str, T] = {}
    for path in _files(paths, paths.content / kind, diagnostics):
        record = _read_record(reading, kind, read, path, diagnostics)
        if record is not None:
            records[path.stem] = record
    return dict(sorted(records.items()))


def _read_record(
    reading: _Reading,
    kind: str,
    read: Callable[[Node | None, str, Location, Diagnostics], T | None],
    path: Path,
    diagnostics: Diagnostics,
) -> T | None:
    """One content file as a record, or None (with its problems reported)."""
    paths = reading.paths
    where = Location(paths.rel(path))
    if path.suffix == ".yml":
        diagnostics.error(where, f"rename to '{path.stem}.yaml': content files end in .yaml")
        return None
    if path.suffix != ".yaml":
        diagnostics.warning(where, f"ignored: content/{kind}/ holds only .yaml files")
        return None
    problem = fields.id_problem(path.stem)
    if problem:
        diagnostics.error(where, f"bad file name: {problem}")
        return None
    def parse(data: bytes) -> tuple[T | None, list[Diagnostic]]:
        found = Diagnostics()
        readable, node = _parse_yaml(paths, path, data, found)
        return (read(node, path.stem, where, found) if readable else None), found.items

    result = reading.result("record", path, MAX_YAML_BYTES, diagnostics, parse)
    if result is None:
        return None
    diagnostics.extend(result[1])
    return result[0]


def _files(paths: BriefingPaths, folder: Path, diagnostics: Diagnostics) -> list[Path]:
    """The regular files directly in ``folder``, sorted, skipping editor litter."""
    if not folder.is_dir():
        return []
    # Only a link can lead out of a folder that is itself inside the briefing:
    # resolving every path would cost more than reading a large briefing's YAML.
    folder_inside = folder.resolve().is_relative_to(paths.root.resolve())
    out = []
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        path = Path(entry.path)
        if entry.name.startswith(".") or entry.name.endswith(_IGNORED_SUFFIXES):
            continue
        if (entry.is_symlink() or not folder_inside) and not _inside(paths, path, diagnostics):
            continue
        if entry.is_dir():
            diagnostics.warning(Location(paths.rel(path)), "ignored: sub-folders are not read here")
            continue
        out.append(path)
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


def read_text(paths: BriefingPaths, path: Path, limit: int, diagnostics: Diagnostics) -> str | None:
    """A file's text, decoded as UTF-8. Too large, binary or undecodable files are
    errors that say where the first bad byte is."""
    data = read_bytes(paths, path, limit, diagnostics)
    return None if data is None else decode(paths, path, data, diagnostics)


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


def _read_yaml(
    paths: BriefingPaths, path: Path, diagnostics: Diagnostics
) -> tuple[bool, Node | None]:
    """(readable, root node). A file that could not be read or parsed is not
    readable (its error is reported); an empty one is readable, with no node,
    so that the schema can say what it needs."""
    data = read_bytes(paths, path, MAX_YAML_BYTES, diagnostics)
    return (False, None) if data is None else _parse_yaml(paths, path, data, diagnostics)


def _parse_yaml(
    paths: BriefingPaths, path: Path, data: bytes, diagnostics: Diagnostics
) -> tuple[bool, Node | None]:
    errors = len(diagnostics.errors)
    text = decode(paths, path, data, diagnostics)
    if text is None:
        return False, None
    node = load_yaml(text.removeprefix("\ufeff"), paths.rel(path), diagnostics)
    return node is not None or len(diagnostics.errors) == errors, node


def _read_articles(
    reading: _Reading,
    sources: dict[str, Source],
    drop: Sequence[re.Pattern[str]],
    diagnostics: Diagnostics,
) -> dict[str, Source]:
    """Each source with its article's blocks; warns about seeds no source names."""
    paths = reading.paths
    seeds = {p.name: p for p in _files(paths, paths.seeds, diagnostics)}
    named: dict[str, str] = {}
    todo: list[tuple[Source, Path]] = []
    for sid, source in sources.items():
        if source.file in named:
            diagnostics.error(source.at, f"file '{source.file}' is already the article of source"
                                         f" '{named[source.file]}'; each article has one summary")
            continue
        named[source.file] = sid
        path = seeds.get(source.file)
        if path is None:
            diagnostics.error(source.at, f"article 'seeds/{source.file}' not found"
                                         f"{did_you_mean(source.file, seeds)}")
            continue
        todo.append((source, path))

    out: dict[str, Source] = {}
    for source, path in todo:
        read = _with_article(reading, source, path, drop, diagnostics)
        if read is not None:
            out[read.id] = read
    for name, path in seeds.items():
        if name not in named and path.suffix in (".txt", ".md"):
            diagnostics.warning(Location(paths.rel(path)), "no source names this article, so it is"
                                                           " not published; add content/sources/"
                                                           f"<id>.yaml with 'file: {name}'")
    return out


def _with_article(reading: _Reading, source: Source, path: Path, drop: Sequence[re.Pattern[str]],
                  diagnostics: Diagnostics) -> Source | None:
    """The source with its article read into blocks, or None if it cannot be read."""
    paths = reading.paths

    def blocks_of(data: bytes) -> tuple[tuple[Block, ...] | None, list[Diagnostic]]:
        found = Diagnostics()
        text = decode(paths, path, data, found)
        if text is None:
            return None, found.items
        blocks = reader.read_markdown(text) if path.suffix == ".md" else reader.read_txt(text, drop)
        if not any(b.n is not None for b in blocks):
            found.warning(Location(paths.rel(path)), "the article has no paragraphs")
        return tuple(blocks), found.items

    # The drop patterns shape the blocks, so they are part of what is remembered.
    kind = "article:" + digest([p.pattern for p in drop]).hex()
    result = reading.result(kind, path, MAX_ARTICLE_BYTES, diagnostics, blocks_of)
    if result is None:
        return None
    blocks, found = result
    diagnostics.extend(found)
    return None if blocks is None else replace(source, blocks=blocks)
