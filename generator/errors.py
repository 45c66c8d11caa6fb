"""Problems found in a briefing, as values with a place.

Every stage reports what is wrong with the briefing as :class:`Diagnostic` values
collected in a :class:`Diagnostics` list, so that one run shows every problem. A
stage never raises for bad input; the build raises once, at the end of a stage,
when errors were collected.

Exception hierarchy (all of the project's own exceptions)::

    BriefingError                 base class; carries no traceback worth showing
    ├── ContentError              the briefing has errors; .diagnostics lists them
    ├── OutputError               the output directory cannot be used or written
    └── UsageError                the command line asks for something impossible
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal

from generator.frozen import record

Severity = Literal["error", "warning"]


@record(order=True)
class Location:
    """A place in a briefing file: ``path`` relative to the briefing root (POSIX
    separators), 1-based ``line`` and ``column``; 0 means "the whole file"."""

    path: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return self.path
        return f"{self.path}:{self.line}:{self.column}"


@record
class Diagnostic:
    """One problem: where it is, how bad it is, and what would fix it."""

    location: Location
    severity: Severity
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.severity}: {self.message}"


@dataclass(slots=True)
class Diagnostics:
    """An ordered collection of diagnostics, filled by one stage at a time.

    It is the only mutable thing a stage receives, and it only ever grows.
    """

    items: list[Diagnostic] = field(default_factory=list)

    def error(self, location: Location, message: str) -> None:
        self.items.append(Diagnostic(location, "error", message))

    def warning(self, location: Location, message: str) -> None:
        self.items.append(Diagnostic(location, "warning", message))

    def extend(self, other: Iterable[Diagnostic]) -> None:
        self.items.extend(other)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "warning"]

    def has_errors(self) -> bool:
        return any(d.severity == "error" for d in self.items)

    def sorted(self) -> list[Diagnostic]:
        """All diagnostics in file order, each reported once."""
        unique = dict.fromkeys(self.items)
        return sorted(unique, key=lambda d: (d.location, d.severity, d.message))

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


class BriefingError(Exception):
    """Base class of every error this project raises on purpose."""


class ContentError(BriefingError):
    """The briefing has errors; ``diagnostics`` holds all of them (and the warnings)."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        count = sum(1 for d in diagnostics if d.severity == "error")
        super().__init__(f"{count} error{'s' if count != 1 else ''} in the briefing")


class OutputError(BriefingError):
    """The output directory cannot be used (not ours, not writable, ...)."""


class UsageError(BriefingError):
    """The command line asks for something that cannot be done."""


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return `` (did you mean 'x'?)`` for the closest of ``choices``, or ``""``."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
