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
and a large build makes millions; and making the generator's 49 classes took
70 ms of every build's imports, 43 ms now.

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
        return _pickled_by_fields(dataclasses.dataclass(slots=True, unsafe_hash=True, order=order)(c))
    return make if cls is None else make(cls)


def _pickled_by_fields(cls: type[T]) -> type[T]:
    """Pickle instances of the dataclass ``cls`` as a call with their field values."""
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    if not all(f.init for f in fields):
        raise TypeError(f"{cls.__name__}: every field of a record is an __init__ argument")
    names = [f.name for f in fields]
    # A tuple of the values whatever their number (attrgetter of one name gives
    # the value itself; of none, an error).
    values: Callable[[Any], tuple[Any, ...]] = (
        operator.attrgetter(*names) if len(names) > 1 else
        (lambda obj: (getattr(obj, names[0]),)) if names else (lambda obj: ()))

    def reduce(self: Any) -> tuple[type[T], tuple[Any, ...]]:
        return cls, values(self)

    cls.__reduce__ = reduce  # type: ignore[method-assign]
    return cls
