"""Progress of a long build, for the ``briefing`` command.

The build reports ``(stage, done, total)`` as it goes (see ``update.Progress``);
this module shows it. On a terminal it draws one self-erasing status line on
stderr, but only once the build has run for half a second, so small builds print
nothing extra. Elsewhere (CI logs, pipes) it prints one plain line per stage of
a large build. ``--quiet`` shows nothing.
"""

from __future__ import annotations

import time
from types import TracebackType
from typing import TextIO

#: Below this many items a stage is too short for a plain line to help.
LINE_MIN_ITEMS = 500
#: A terminal line appears only after the build has run this long...
SHOW_AFTER_S = 0.5
#: ...and is redrawn at most this often.
REDRAW_S = 0.1
_BAR = 24


class ProgressDisplay:
    """A ``update.Progress`` callback that shows progress on ``stream``."""

    def __init__(self, stream: TextIO, *, terminal: bool | None = None, show_after: float = SHOW_AFTER_S,
                 redraw: float = REDRAW_S) -> None:
        self.stream = stream
        self.terminal = stream.isatty() if terminal is None else terminal
        self.show_after = show_after
        self.redraw = redraw
        self._started = time.monotonic()
        self._drawn = 0.0
        self._shown = False
        self._stages: set[str] = set()

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self.terminal:
            self._draw(stage, done, total)
        elif stage not in self._stages and total >= LINE_MIN_ITEMS:
            print(f"briefing: {stage} ({total:,}) …", file=self.stream, flush=True)
        self._stages.add(stage)

    def __enter__(self) -> ProgressDisplay:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Erase the terminal line, if one was drawn."""
        if self._shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self._shown = False

    def _draw(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self._started < self.show_after or (now - self._drawn < self.redraw and done < total):
            return
        self._drawn = now
        if done > 0 and total > 0:
            filled = _BAR * done // total
            line = f"{stage:<16} [{'#' * filled}{'.' * (_BAR - filled)}] {done:,}/{total:,}"
        else:
            line = f"{stage} ({total:,}) …" if total else f"{stage} …"
        self.stream.write(f"\r\033[K{line}")
        self.stream.flush()
        self._shown = True
