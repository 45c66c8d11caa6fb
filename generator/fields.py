"""Typed readers for located YAML values.

Each reader takes a node, reports what is wrong with it into ``Diagnostics``
(always with the node's line and column, and a hint at the fix), and returns the
typed value or ``None``. They never raise for bad input, so a file with many
problems reports all of them in one run.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Collection, Iterator
from typing import TypeVar
from urllib.parse import urlsplit

from generator.errors import Diagnostics, Location, did_you_mean
from generator.frozen import record
from generator.model import Ref
from generator.yamlload import Map, Node, Scalar, Seq, describe

T = TypeVar("T")

ID_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# Device names that cannot be files or folders on Windows: a site unzipped there
# would lose these pages.
RESERVED_IDS = frozenset(
    {"con", "prn", "aux", "nul"} | {f"com{i}" for i in range(10)} | {f"lpt{i}" for i in range(10)}
)
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_LANG_RE = re.compile(r"[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*")


def id_problem(text: str) -> str | None:
    """Why ``text`` is not a valid id, or None when it is one."""
    if not ID_RE.fullmatch(text):
        return (f"'{text}' is not a valid id: use lowercase ASCII letters, digits and single"
                f" hyphens, starting with a letter or digit (e.g. '{_suggest_id(text)}')")
    if text in RESERVED_IDS:
        return f"'{text}' is a reserved name on some systems; choose another id"
    return None


def _suggest_id(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "my-id"


@record
class Fields:
    """The entries of one mapping, checked against the keys its schema allows."""

    values: dict[str, Node]
    keys: dict[str, Location]
    at: Location

    def get(self, key: str) -> Node | None:
        return self.values.get(key)


def fields(
    node: Node | None,
    allowed: Collection[str],
    required: Collection[str],
    what: str,
    diagnostics: Diagnostics,
    at: Location,
) -> Fields | None:
    """Check that ``node`` is a mapping with only ``allowed`` keys and all ``required``
    ones. Unknown keys are reported with a did-you-mean; returns None when ``node``
    is not a mapping at all."""
    if node is None:
        diagnostics.error(at, f"{what} is empty; it needs at least {_keys(required)}")
        return None
    if not isinstance(node, Map):
        diagnostics.error(node.at, f"{what} must be a mapping of keys to values, found {describe(node)}")
        return None
    values: dict[str, Node] = {}
    keys: dict[str, Location] = {}
    for key, value in node.items:
        if key.text not in allowed:
            diagnostics.error(key.at, f"unknown key '{key.text}'{did_you_mean(key.text, allowed)};"
                                      f" {what} takes {_keys(sorted(allowed))}")
            continue
        values[key.text] = value
        keys[key.text] = key.at
    for name in required:
        if name not in values or _is_null(values[name]):
            diagnostics.error(keys.get(name, node.at), f"missing required key '{name}' in {what}")
    return Fields(values, keys, node.at)


def _keys(names: Collection[str]) -> str:
    return ", ".join(f"'{n}'" for n in names)


def _is_null(node: Node) -> bool:
    return isinstance(node, Scalar) and node.kind == "null"


def text(node: Node | None, diagnostics: Diagnostics, what: str = "this value") -> str | None:
    """Text as written. Plain numbers and booleans are read as their characters
    (``title: 1984`` is the title "1984"); lists, mappings and nothing are errors."""
    if node is None or _is_null(node):
        return None
    if not isinstance(node, Scalar):
        diagnostics.error(node.at, f"{what} must be text, found {describe(node)}")
        return None
    return node.text


def nonempty_text(node: Node | None, diagnostics: Diagnostics, what: str) -> str | None:
    """Like :func:`text`, but blank text is an error too."""
    value = text(node, diagnostics, what)
    if value is not None and not value.strip():
        assert node is not None
        diagnostics.error(node.at, f"{what} is blank")
        return None
    return value


def date(node: Node | None, diagnostics: Diagnostics, what: str = "a date") -> dt.date | None:
    """An ISO date ``YYYY-MM-DD``; a malformed or impossible date is an error."""
    if node is None or _is_null(node):
        return None
    if not isinstance(node, Scalar) or not _DATE_RE.fullmatch(node.text.strip()):
        found = describe(node) if not isinstance(node, Scalar) else f"'{node.text}'"
        diagnostics.error(node.at, f"{what} must be a date written YYYY-MM-DD, found {found}")
        return None
    try:
        return dt.date.fromisoformat(node.text.strip())
    except ValueError:
        diagnostics.error(node.at, f"'{node.text}' is not a real date (check the month and day)")
        return None


def boolean(node: Node | None, diagnostics: Diagnostics, what: str) -> bool:
    """``true`` or ``false``; anything else is an error (and counts as false)."""
    if node is None or _is_null(node):
        return False
    if isinstance(node, Scalar) and node.kind == "bool":
        return node.text.lower() in ("true", "yes", "on", "y")
    diagnostics.error(node.at, f"{what} must be true or false, found {describe(node)}")
    return False


def choice(node: Node | None, choices: Collection[str], diagnostics: Diagnostics, what: str) -> str | None:
    """One of ``choices``; anything else is an error with a did-you-mean."""
    value = text(node, diagnostics, what)
    if value is None:
        return None
    if value not in choices:
        assert node is not None
        diagnostics.error(node.at, f"{what} must be one of {_keys(choices)}, found '{value}'"
                                   f"{did_you_mean(value, choices)}")
        return None
    return value


def ident(node: Node | None, diagnostics: Diagnostics, what: str) -> str | None:
    """An id (a reference to another file's stem); only its form is checked here."""
    value = text(node, diagnostics, what)
    if value is None:
        return None
    problem = id_problem(value)
    if problem:
        assert node is not None
        diagnostics.error(node.at, f"{what}: {problem}")
        return None
    return value


def url(node: Node | None, diagnostics: Diagnostics, what: str = "url") -> str | None:
    """An absolute http(s) URL; other schemes (``javascript:``, ``data:``) are refused."""
    value = text(node, diagnostics, what)
    if value is None:
        return None
    assert node is not None
    problem = url_problem(value)
    if problem:
        diagnostics.error(node.at, f"{what}: {problem}")
        return None
    return value.strip()


def url_problem(value: str) -> str | None:
    """Why ``value`` is not an acceptable http(s) URL, or None."""
    stripped = value.strip()
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in stripped):
        return f"'{value}' contains spaces or control characters; encode them (%20)"
    try:
        parts = urlsplit(stripped)
    except ValueError:
        return f"'{value}' is not a valid URL"
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return f"'{value}' must be an absolute http:// or https:// URL"
    return None


def language(node: Node | None, diagnostics: Diagnostics) -> str | None:
    """A BCP 47 language tag such as ``en`` or ``pt-BR``."""
    value = text(node, diagnostics, "language")
    if value is None:
        return None
    if not _LANG_RE.fullmatch(value):
        assert node is not None
        diagnostics.error(node.at, f"language must be a BCP 47 tag such as 'en' or 'pt-BR', found '{value}'")
        return None
    return value


def items(node: Node | None, diagnostics: Diagnostics, what: str) -> Iterator[Node]:
    """The entries of a list (nothing for a missing or null value); a non-list is an error."""
    if node is None or _is_null(node):
        return
    if not isinstance(node, Seq):
        example = f"['{node.text}']" if isinstance(node, Scalar) else "[...]"
        diagnostics.error(node.at, f"{what} must be a list, found {describe(node)}"
                                   f" (write it as a list: {example}, or one '- ' entry per line)")
        return
    yield from node.items


def text_list(node: Node | None, diagnostics: Diagnostics, what: str) -> tuple[str, ...]:
    """A list of non-blank text entries."""
    return tuple(value for value, _ in located_text_list(node, diagnostics, what))


def located_text_list(
    node: Node | None, diagnostics: Diagnostics, what: str
) -> tuple[tuple[str, Location], ...]:
    """A list of non-blank text entries, stripped, each with its place; repeats dropped."""
    out: dict[str, Location] = {}
    for item in items(node, diagnostics, what):
        value = nonempty_text(item, diagnostics, f"each entry of {what}")
        if value is not None:
            out.setdefault(value.strip(), item.at)
    return tuple(out.items())


def ref(node: Node | None, diagnostics: Diagnostics, what: str) -> Ref | None:
    """A reference by id, with its place (checked against the other files later)."""
    value = ident(node, diagnostics, what)
    return None if value is None or node is None else Ref(value, node.at)


def ref_list(node: Node | None, diagnostics: Diagnostics, what: str) -> tuple[Ref, ...]:
    """A list of references by id; the same id twice is kept once."""
    out: dict[str, Ref] = {}
    for item in items(node, diagnostics, what):
        found = ref(item, diagnostics, f"each entry of {what}")
        if found is not None:
            out.setdefault(found.id, found)
    return tuple(out.values())


def each(node: Node | None, read: Callable[[Node, int], T | None], diagnostics: Diagnostics,
         what: str) -> tuple[T, ...]:
    """Apply ``read(entry, index)`` to every entry of a list, keeping what it returns."""
    out = (read(item, i) for i, item in enumerate(items(node, diagnostics, what)))
    return tuple(v for v in out if v is not None)
