"""A cold build's state written ahead, by forked children, table by table.

Each table is pickled and written once: a later call that adds tables to the
file the first child wrote leaves out the tables already in it.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from generator.store import Store


class _Noted:
    """A value that notes in a file each time it is pickled: in a forked child too."""

    def __init__(self, log: str, name: str) -> None:
        self.log, self.name = log, name

    def __reduce__(self) -> tuple[Any, ...]:
        with open(self.log, "a", encoding="utf-8") as f:
            f.write(self.name + "\n")
        return (_Noted, (self.log, self.name))


def test_each_table_is_written_once_when_tables_are_added(tmp_path: Path) -> None:
    if threading.active_count() > 1:
        pytest.fail("another thread runs: the state would not be written ahead")
    log = str(tmp_path / "pickled")
    state = tmp_path / "state.sqlite"
    store = Store.on_disk(state, "salt")
    store.start_fresh()
    store.table("read")["a"] = _Noted(log, "read")
    store.write_ahead(["read"])
    store.table("facts")["b"] = _Noted(log, "facts")
    store.write_ahead(["read", "facts"])  # as the build does: what it read, then all it updated
    store.table("meta")["c"] = _Noted(log, "meta")
    store.commit()
    assert sorted(Path(log).read_text(encoding="utf-8").split()) == ["facts", "meta", "read"]
    again = Store.on_disk(state, "salt")
    assert [again.table(ns)[key].name for ns, key in (("read", "a"), ("facts", "b"), ("meta", "c"))] == \
        ["read", "facts", "meta"]
