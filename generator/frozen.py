"""Records: the immutable typed data the build passes along (``@record``).

A record is a dataclass with slots, equality, a hash of its fields and a
``repr``, whose fields are never assigned once it is made. That last part is
checked by the type checker, not at run time: ``record`` is declared a
``dataclass_transform`` with ``frozen_default=True``, so ``mypy --strict``
(run by ``tests/test_quality.py``) reports any assignment to a field as an
error, while the class itself is an ordinary (not frozen) dataclass.

Why not ``@dataclass(frozen=True)``: a frozen dataclass guards every field
with a Python ``__setattr__`` and its ``__init__`` sets each field through
``object.__setattr__``. Making one took 2.1 µs against 0.5 µs (six fields),
and a large build makes millions; and making the generator's classes took
70 ms of every build's imports.

Only ``__init__`` is compiled for each class. Equality, the hash and the
``repr`` are functions shared by all records, over a C getter of the field
values: compiling those three for each class made the 44 records that every
build imports (of 49) take 36 to 40 ms to make, against 13 to 19 ms now.
They are slower per call (an equality 0.68 µs against 0.36, a hash 0.59
against 0.40), which does not show: a cold build of 1,000 articles compares
records about 1,000 times and hashes none.

Records pickle as (class, field values): the state (:mod:`generator.store`)
and the build memo (:mod:`generator.memo`) pickle them by the thousand, and a
slotted dataclass otherwise pickles through a ``__getstate__`` and
``__setstate__`` (or a dict of its slots) per object, which made saving and
loading the memo of a 1,000-article briefing take longer than parsing it
again. Pickled as a call with the field values, they take a third of the time.
"""

from __future__ import annotations

import dataclasses
import operator
import reprlib
from collections.abc import Callable
from typing import Any, TypeVar, dataclass_transform, overload

T = TypeVar("T")


@overload
def record(cls: type[T], /) -> type[T]: ...


@overload
def record(*, order: bool = False) -> Callable[[type[T]], type[T]]: ...


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field,))
def record(cls: type[T] | None = None, /, *, order: bool = False) -> Any:
    """Class decorator: ``cls`` as a record (see the module doc). ``order``: as
    ``dataclass``'s, comparisons by the fields in order. Every field must be an
    ``__init__`` argument."""
    def make(c: type[T]) -> type[T]:
        # Only ``__init__`` is generated (compiled) per class, but for the one
        # ordered record; equality, the hash and the repr are shared functions
        # over the field values. Every build imports the records, and compiling
        # the four methods of each took most of the 40 ms that making them cost.
        made = dataclasses.dataclass(slots=True, unsafe_hash=True, order=True)(c) if order else \
            dataclasses.dataclass(slots=True, eq=False, repr=False)(c)
        fields = dataclasses.fields(made)  # type: ignore[arg-type]
        if not all(f.init for f in fields):
            raise TypeError(f"{made.__name__}: every field of a record is an __init__ argument")
        names = [f.name for f in fields]
        values = _field_values(names)
        _pickled_by_fields(made, values)
        if not order:
            _compared_by_fields(made, names, values)
        return made
    return make if cls is None else make(cls)


Values = Callable[[Any], tuple[Any, ...]]
"""A function giving the tuple of an instance's field values, in order."""


def _field_values(names: list[str]) -> Values:
    """The :data:`Values` of the fields ``names``."""
    # attrgetter of one name gives the value itself; of none, an error.
    return (operator.attrgetter(*names) if len(names) > 1 else
            (lambda obj: (getattr(obj, names[0]),)) if names else (lambda obj: ()))


def _pickled_by_fields(cls: type[T], values: Values) -> None:
    """Pickle instances of the dataclass ``cls`` as a call with their field values."""
    def reduce(self: Any) -> tuple[type[T], tuple[Any, ...]]:
        return cls, values(self)

    cls.__reduce__ = reduce  # type: ignore[method-assign]


def _compared_by_fields(cls: type[Any], names: list[str], values: Values) -> None:
    """Give the dataclass ``cls`` what ``dataclass(eq=True, unsafe_hash=True,
    repr=True)`` would: equal to an instance of the same class with equal
    fields, hashed by its fields, shown as ``Name(field=value, ...)``."""
    def __eq__(self: Any, other: object) -> bool:
        if other.__class__ is self.__class__:
            return values(self) == values(other)
        return NotImplemented

    def __hash__(self: Any) -> int:
        return hash(values(self))

    @reprlib.recursive_repr()
    def __repr__(self: Any) -> str:
        shown = ", ".join(f"{name}={value!r}" for name, value in zip(names, values(self), strict=True))
        return f"{self.__class__.__qualname__}({shown})"

    for method in (__eq__, __hash__, __repr__):
        method.__qualname__ = f"{cls.__qualname__}.{method.__name__}"
        setattr(cls, method.__name__, method)
