"""The site's indexes as sums of each unit's contribution (generator/indexes.py).

Whatever order units are added, replaced and dropped in, the indexes must be
what adding the units' current contributions to empty indexes gives: the
first contribution of a unit (every unit of a cold build) takes a path of its
own, and an edit's replacement the general one, so both are checked here
against the sums worked out directly."""

from __future__ import annotations

from collections import Counter
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from generator.indexes import Contribution, Indexes, contribution
from generator.model import Span

ACTORS = ("a", "b", "c", "d")
UNITS = ("source:s1", "source:s2", "source:s3")


def _mentions(blocks: dict[int, list[str]]) -> dict[int, tuple[Span, ...]]:
    return {n: tuple(Span(i, i + 1, (owner,)) for i, owner in enumerate(owners)) for n, owners in blocks.items()}


def _empty() -> Indexes:
    return Indexes(**{name: {} for name in Indexes.NAMES})


def _expected(current: dict[str, Contribution]) -> dict[str, dict[str, Any]]:
    """Each index worked out from the current contributions, as sums."""
    pairs: dict[str, Counter[str]] = {}
    for c in current.values():
        for (a, b), n in c.pairs.items():
            pairs.setdefault(a, Counter())[b] += n
    mentions: dict[str, dict[str, Any]] = {}
    for unit, c in current.items():
        for actor, blocks in c.mentions.items():
            mentions.setdefault(actor, {})[unit.partition(":")[2]] = blocks
    return {"pairs": {a: dict(counts) for a, counts in pairs.items()}, "mentions": mentions}


blocks = st.dictionaries(st.integers(1, 4), st.lists(st.sampled_from(ACTORS), min_size=1, max_size=3), max_size=3)
steps = st.lists(st.tuples(st.sampled_from(UNITS), st.none() | blocks), min_size=1, max_size=12)


@settings(max_examples=200, deadline=None)
@given(steps)
def test_indexes_equal_the_sums_of_the_current_contributions(ops: list[tuple[str, Any]]) -> None:
    indexes = _empty()
    current: dict[str, Contribution] = {}
    for unit, found in ops:
        new = None if found is None else contribution((), mentions=_mentions(found))
        indexes.replace(unit, current.get(unit), new)
        if new is None:
            current.pop(unit, None)
        else:
            current[unit] = new
        expected = _expected(current)
        assert dict(indexes.pairs) == expected["pairs"]
        assert dict(indexes.mentions) == expected["mentions"]


def test_a_first_contribution_touches_the_keys_it_adds() -> None:
    indexes = _empty()
    new = contribution((), mentions=_mentions({1: ["a", "b"], 2: ["c"]}))
    touched = indexes.replace("source:s1", None, new)
    assert touched.keys["pairs"] == {"a", "b"}
    assert touched.keys["mentions"] == {"a", "b", "c"}
    assert indexes.pairs == {"a": {"b": 1}, "b": {"a": 1}}
    # Dropped again, nothing is left: no empty entries.
    indexes.replace("source:s1", new, None)
    assert indexes.pairs == {} and indexes.mentions == {}
