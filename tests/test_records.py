"""Records (``generator.frozen.record``): the build's typed data, pickled by the
thousand into the build state."""

from __future__ import annotations

import pickle
from dataclasses import field

import pytest

from generator.frozen import record


@record
class _None:
    pass


@record
class _One:
    value: int


@record(order=True)
class _Many:
    name: str
    count: int = 0
    tags: tuple[str, ...] = ()


@pytest.mark.parametrize("made", [_None(), _One(3), _Many("a", 2, ("x",))])
def test_a_record_pickles_back_equal_as_a_call_with_its_field_values(made: object) -> None:
    again = pickle.loads(pickle.dumps(made, protocol=pickle.HIGHEST_PROTOCOL))
    assert again == made and hash(again) == hash(made) and type(again) is type(made)
    assert made.__reduce__() == (type(made), tuple(vars_of(made)))


def vars_of(made: object) -> list[object]:
    return [getattr(made, name) for name in made.__dataclass_fields__]  # type: ignore[attr-defined]


def test_records_compare_by_their_fields_and_in_order_when_asked() -> None:
    assert _Many("a", 1) == _Many("a", 1) != _Many("a", 2)
    assert sorted([_Many("b"), _Many("a", 2), _Many("a", 1)]) == [_Many("a", 1), _Many("a", 2), _Many("b")]
    assert len({_One(1), _One(1), _One(2)}) == 2


@record
class _OtherOne:
    value: int


def test_records_of_two_classes_are_never_equal_even_with_equal_fields() -> None:
    assert _One(1) != _OtherOne(1) and (_One(1) == _OtherOne(1)) is False
    assert _One(1) != (1,) and _One(1) != 1
    keyed = {_One(1): "a", _OtherOne(1): "b"}  # two keys, each found again by an equal record
    assert len(keyed) == 2 and keyed[_One(1)] == "a" and keyed[_OtherOne(1)] == "b"


def test_a_record_shows_its_class_and_fields() -> None:
    assert repr(_Many("a", 2, ("x",))) == "_Many(name='a', count=2, tags=('x',))"
    assert repr(_None()) == "_None()" and repr(_One(3)) == "_One(value=3)"
    looped = _One([])  # type: ignore[arg-type]
    looped.value.append(looped)  # a record inside itself is shown, not recursed into forever
    assert repr(looped) == "_One(value=[...])"


def test_a_record_with_a_field_outside_its_init_is_refused() -> None:
    with pytest.raises(TypeError, match="__init__ argument"):
        @record
        class _Bad:
            made: list[int] = field(default_factory=list, init=False)
