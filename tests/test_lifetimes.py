"""What a build keeps alive, and for how long.

A one-shot command ends without freeing its heap (``cli.run``), so a build can
hand what it made to its caller instead of freeing it as it returns; and the
cycle collector, paused while the readers index is made, is as it was after.
"""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from generator import cli, pages
from generator.build import BuildOptions, build
from generator.store import Store
from generator.update import Update
from tests.helpers import write_briefing


def test_a_build_hands_what_it_made_to_keep(tmp_path: Path) -> None:
    root = write_briefing(tmp_path / "b")
    kept: list[object] = []
    result = build(BuildOptions(root=root, search=False), keep=kept)
    updates = [u for pair in kept if isinstance(pair, tuple) for u in pair if isinstance(u, Update)]
    stores = [s for pair in kept if isinstance(pair, tuple) for s in pair if isinstance(s, Store)]
    assert len(updates) == 1 and len(stores) == 1
    assert set(updates[0].site.sources) == {"cairo"}  # the site the pages were made from
    assert result.pages > 0


def test_the_command_keeps_a_builds_objects_for_its_caller(tmp_path: Path) -> None:
    root = write_briefing(tmp_path / "b")
    kept: list[object] = []
    assert cli.main(["build", "--quiet", "--no-search", "--root", str(root)], keep=kept) == 0
    assert any(isinstance(u, Update) for pair in kept if isinstance(pair, tuple) for u in pair)
    assert cli.main(["build", "--quiet", "--no-search", "--root", str(root)]) == 0  # nothing to keep: fine


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_paused_then_as_it_was(enabled: bool) -> None:
    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        with pages._collector_paused():
            assert not gc.isenabled()
        assert gc.isenabled() is enabled
        with pytest.raises(RuntimeError), pages._collector_paused():
            raise RuntimeError
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


def _collecting(_: int) -> bool:
    return gc.isenabled()


def test_workers_run_without_the_collector_and_the_parent_keeps_it() -> None:
    from generator.parallel import MIN_ITEMS, fork_map

    assert gc.isenabled()
    assert set(fork_map(_collecting, range(MIN_ITEMS), jobs=2)) == {False}
    assert gc.isenabled()


def _large(i: int) -> list[tuple[str, int]]:
    return [("x" * 50, i)] * 4000  # a result larger than a pipe holds


def test_the_pools_manager_thread_sleeps_while_results_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    # The standard pool's manager wakes whenever results wait unread, and
    # spins (hundreds of rounds here); ours only when a worker exits or the
    # work is done.
    import multiprocessing.pool

    from generator.parallel import fork_map

    rounds = 0
    maintain = multiprocessing.pool.Pool._maintain_pool

    def counted(*args: object) -> None:
        nonlocal rounds
        rounds += 1
        maintain(*args)

    monkeypatch.setattr(multiprocessing.pool.Pool, "_maintain_pool", staticmethod(counted))
    results = list(fork_map(_large, range(400), jobs=2, chunksize=4))
    assert [r[0][1] for r in results] == list(range(400))
    assert rounds < 20, rounds
