"""A cold build's state written ahead, by forked children, table by table.

Each table is pickled and written once: a later call that adds tables to the
file the first child wrote leaves out the tables already in it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.helpers import REPO


class Noted:
    """A value that notes in a file each time it is pickled: in a forked child too."""

    def __init__(self, log: str, name: str) -> None:
        self.log, self.name = log, name

    def __reduce__(self) -> tuple[Any, ...]:
        with open(self.log, "a", encoding="utf-8") as f:
            f.write(self.name + "\n")
        return (Noted, (self.log, self.name))


# Run in a process of its own: the state is written ahead only where no other
# thread runs, and earlier tests may leave some behind in this one.
_SCENARIO = """
import sys, threading
from generator.store import Store
from tests.test_store_ahead import Noted
log, state = sys.argv[1], sys.argv[2]
assert threading.active_count() == 1
store = Store.on_disk(__import__("pathlib").Path(state), "salt")
store.start_fresh()
store.table("read")["a"] = Noted(log, "read")
store.write_ahead(["read"])
store.table("facts")["b"] = Noted(log, "facts")
store.write_ahead(["read", "facts"])  # as the build does: what it read, then all it updated
store.table("meta")["c"] = Noted(log, "meta")
store.commit()
"""


def test_each_table_is_written_once_when_tables_are_added(tmp_path: Path) -> None:
    log, state = tmp_path / "pickled", tmp_path / "state.sqlite"
    done = subprocess.run([sys.executable, "-c", _SCENARIO, str(log), str(state)], cwd=REPO,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert sorted(log.read_text(encoding="utf-8").split()) == ["facts", "meta", "read"]
    from generator.store import Store

    again = Store.on_disk(state, "salt")
    assert [again.table(ns)[key].name for ns, key in (("read", "a"), ("facts", "b"), ("meta", "c"))] == \
        ["read", "facts", "meta"]
