"""What changed since the previous edition: two ``data/briefing.json`` objects -> :class:`Changes`.

The build reads the previous site's data before it writes the new one
(:func:`read_baseline`, a pure read), and compares it with the new data
(:func:`compare`, a pure function of two plain dicts). Because only the JSON is
compared, fetching a published site back (``wget -r``, ``aws s3 sync``) onto
another machine is enough to get the same "What's new".

**Which build is the baseline.** Readers come back to an *edition* (its
``as_of``), not to each save of an editor's file. So:

* when the previous build speaks for a different ``as_of``, it is the baseline;
* when it speaks for the same ``as_of`` (a rebuild of the same edition), the
  baseline it used is kept: the build carries it in ``data/previous.json``;
* a previous build of the same edition without ``data/previous.json`` had no
  baseline (the first edition built here), and neither does this build.

Rebuilding without edits therefore never empties "What's new", and rewrites
nothing: a no-change rebuild is byte-identical to the build before it.

**How claims are matched.** Claim ids are positions (``briefing/kp-2``), so a
claim inserted at the top shifts every id after it. Claims are matched in two
passes: first by identical text (wherever it moved: unchanged), then by ``id``
among the rest (same id, different text: *reworded*). What is left is added or
removed. A previous JSON without claim ids (an older shape) is compared by text
only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import field
from pathlib import Path
from typing import Any

from generator.frozen import record

PREVIOUS = "data/previous.json"
"""Where a build keeps the baseline it compared against (site path)."""
CURRENT = "data/briefing.json"

_MAX_BYTES = 64 * 1024 * 1024


@record
class Item:
    """An actor, topic or source that appeared or disappeared."""

    kind: str  # "actor" | "topic" | "source"
    id: str
    label: str


@record
class ClaimChange:
    """A claim added (``old`` empty), removed (``new`` empty) or reworded (both set)."""

    id: str
    old: str = ""
    new: str = ""


@record
class StatusChange:
    """A topic whose status changed."""

    id: str
    title: str
    old: str
    new: str


@record
class Changes:
    """Everything that changed between the baseline and this build, in a stable order.

    ``baseline_as_of`` is the baseline's ``as_of`` (``""`` when there is none:
    the first build, or an unreadable previous build).
    """

    baseline_as_of: str = ""
    added: tuple[Item, ...] = ()
    removed: tuple[Item, ...] = ()
    status: tuple[StatusChange, ...] = ()
    claims_added: tuple[ClaimChange, ...] = ()
    claims_removed: tuple[ClaimChange, ...] = ()
    claims_reworded: tuple[ClaimChange, ...] = ()

    @property
    def has_baseline(self) -> bool:
        return bool(self.baseline_as_of)

    @property
    def count(self) -> int:
        """How many things changed in all."""
        return (len(self.added) + len(self.removed) + len(self.status) + len(self.claims_added)
                + len(self.claims_removed) + len(self.claims_reworded))

    def summary(self) -> list[str]:
        """Short phrases such as ``"1 new source"``, ``"3 claims added"``, most important first."""
        parts: list[str] = []
        for kind in ("source", "actor", "topic"):
            n = sum(1 for i in self.added if i.kind == kind)
            if n:
                parts.append(f"{n} new {_plural(n, kind)}")
        for label, items in (("added", self.claims_added), ("reworded", self.claims_reworded),
                             ("removed", self.claims_removed)):
            if items:
                parts.append(f"{len(items)} {_plural(len(items), 'claim')} {label}")
        if self.status:
            parts.append(f"{len(self.status)} topic status {_plural(len(self.status), 'change')}")
        if self.removed:
            parts.append(f"{len(self.removed)} {_plural(len(self.removed), 'item')} removed")
        return parts


@record
class Baseline:
    """The previous edition's data as read from the output folder, and what was
    wrong with what was found there (messages for warnings)."""

    data: Mapping[str, Any] | None = None
    problems: tuple[str, ...] = field(default=())


def previous_files(where: Path) -> tuple[Path, Path]:
    """The previous build's data and the baseline it carried: inside a site folder
    (``where/data/...``), or beside a ``briefing.json`` file given directly."""
    if where.is_dir():
        return where / CURRENT, where / PREVIOUS
    return where, where.parent / Path(PREVIOUS).name


def read_baseline(where: Path, as_of: str, *, drafts: bool = False) -> Baseline:
    """The baseline for a build of edition ``as_of``, given the previous site
    folder or its ``briefing.json`` (see the module docstring). Never raises: an
    unreadable file is a problem, not an error.

    A build without drafts never takes data that included drafts as its baseline:
    the "What's new" page and the carried ``data/previous.json`` would publish them.
    """
    current_file, carried_file = previous_files(where)
    problems: list[str] = []
    if not _same_edition(current_file, as_of, drafts):
        previous, problem = _read_json(current_file, drafts)
        problems = [problem] if problem else []
        if previous is None:
            return Baseline(None, tuple(problems))
        if previous.get("as_of") != as_of:
            return Baseline(previous, tuple(problems))
    # The same edition: keep the baseline it was compared with. An edition that
    # had none (its first build) keeps having none, so that rebuilding without
    # changes rewrites nothing.
    carried, problem = _read_json(carried_file, drafts)
    if problem:
        problems.append(problem)
    return Baseline(carried, tuple(problems))


_TEXT = rb'"(?:[^"\\]|\\.)*"'
_HEAD = re.compile(rb'\{"title":' + _TEXT + rb',"drafts":(true|false),"subtitle":' + _TEXT + rb',"as_of":"([^"\\]*)"')
"""The start of a ``briefing.json`` as builds write it (compact, keys in order)."""


def _same_edition(path: Path, as_of: str, drafts: bool) -> bool:
    """Whether ``path`` is a build's data for the edition ``as_of`` that this build
    may compare with, told from the start of the file. A rebuild of the same
    edition only needs that, and the whole file is 62 MB (about 300 MB parsed)
    at 10,000 articles. False when unsure: the file is then read in full."""
    try:
        with open(path, "rb") as f:
            head = f.read(64 * 1024)
    except OSError:
        return False
    found = _HEAD.match(head)
    return (found is not None and found.group(2).decode("utf-8", "replace") == as_of
            and (drafts or found.group(1) == b"false"))


def _read_json(path: Path, drafts: bool) -> tuple[dict[str, Any] | None, str]:
    try:
        if path.stat().st_size > _MAX_BYTES:
            return None, f"{path} is too large to compare with; \"What's new\" starts afresh"
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, ""
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return None, f"cannot read the previous build's data {path} ({exc}); \"What's new\" starts afresh"
    if not isinstance(data, dict) or not isinstance(data.get("as_of"), str):
        return None, f"the previous build's data {path} is not briefing data; \"What's new\" starts afresh"
    if data.get("drafts") is True and not drafts:
        return None, (f"the previous build ({path}) included drafts, so it is not compared with (that would"
                      " publish them); \"What's new\" starts afresh")
    return data, ""


def compare(previous: Mapping[str, Any] | None, current: Mapping[str, Any]) -> tuple[Changes, list[str]]:
    """What changed from ``previous`` to ``current`` (both ``data/briefing.json``
    objects), and problems met on the way (an old or odd shape: those parts are
    skipped, with a message). ``previous`` None means there is no baseline."""
    if previous is None:
        return Changes(), []
    problems: list[str] = []
    added: list[Item] = []
    removed: list[Item] = []
    olds: dict[str, dict[str, dict[str, Any]]] = {}
    for kind, label_key in (("source", "title"), ("actor", "name"), ("topic", "title")):
        old = _by_id(previous, kind + "s", problems)
        new = _by_id(current, kind + "s", [])
        olds[kind] = old
        added += [Item(kind, i, _text(new[i].get(label_key)) or i) for i in new if i not in old]
        removed += [Item(kind, i, _text(old[i].get(label_key)) or i) for i in old if i not in new]
    new_topics = _by_id(current, "topics", [])
    status = [StatusChange(tid, _text(t.get("title")), _text(olds["topic"][tid].get("status")),
                           _text(t.get("status")))
              for tid, t in new_topics.items()
              if tid in olds["topic"] and _text(olds["topic"][tid].get("status")) != _text(t.get("status"))]
    claims_added, claims_removed, reworded = _compare_claims(
        _claims(previous, problems), _claims(current, []), problems)
    changes = Changes(
        baseline_as_of=_text(previous.get("as_of")),
        added=tuple(sorted(added, key=_item_order)),
        removed=tuple(sorted(removed, key=_item_order)),
        status=tuple(status),
        claims_added=tuple(claims_added),
        claims_removed=tuple(claims_removed),
        claims_reworded=tuple(reworded),
    )
    return changes, problems


def _compare_claims(old: Sequence[tuple[str, str]], new: Sequence[tuple[str, str]], problems: list[str]
                    ) -> tuple[list[ClaimChange], list[ClaimChange], list[ClaimChange]]:
    """(added, removed, reworded) from two lists of (id, text); see the module docstring."""
    old_left = list(old)
    new_left: list[tuple[str, str]] = []
    texts: dict[str, int] = {}
    for _, text in old_left:
        texts[text] = texts.get(text, 0) + 1
    for cid, text in new:
        if texts.get(text, 0) > 0:
            texts[text] -= 1
        else:
            new_left.append((cid, text))
    unmatched_old: dict[str, int] = {}
    for _, text in new:
        unmatched_old[text] = unmatched_old.get(text, 0) + 1
    remaining_old = []
    for cid, text in old_left:
        if unmatched_old.get(text, 0) > 0:
            unmatched_old[text] -= 1
        else:
            remaining_old.append((cid, text))
    by_id = {cid: text for cid, text in remaining_old if cid}
    if any(not cid for cid, _ in old):
        problems.append("the previous build's claims have no ids (an older version made it);"
                        " claims are compared by their text only")
    reworded = [ClaimChange(cid, by_id[cid], text) for cid, text in new_left if cid and cid in by_id]
    matched = {c.id for c in reworded}
    added = [ClaimChange(cid, new=text) for cid, text in new_left if cid not in matched]
    removed = [ClaimChange(cid, old=text) for cid, text in remaining_old if not cid or cid not in matched]
    return added, removed, reworded


def _by_id(data: Mapping[str, Any], key: str, problems: list[str]) -> dict[str, dict[str, Any]]:
    items = data.get(key, [])
    if not isinstance(items, list):
        problems.append(f"the previous build's '{key}' is not a list; it is not compared")
        return {}
    out = {}
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            out[item["id"]] = item
    return out


def _claims(data: Mapping[str, Any], problems: list[str]) -> list[tuple[str, str]]:
    items = data.get("claims", [])
    if not isinstance(items, list):
        problems.append("the previous build's 'claims' is not a list; claims are not compared")
        return []
    return [(_text(c.get("id")), _text(c.get("text"))) for c in items
            if isinstance(c, dict) and isinstance(c.get("text"), str)]


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _item_order(item: Item) -> tuple[int, str]:
    return ({"source": 0, "actor": 1, "topic": 2}.get(item.kind, 3), item.id)


def _plural(n: int, word: str) -> str:
    return word if n == 1 else word + "s"
