"""Frozen records that pickle quickly.

The build memo (:mod:`generator.memo`) pickles parsed records by the thousand.
A ``slots=True`` dataclass pickles through a Python ``__getstate__`` and
``__setstate__`` per object, which made saving and loading the memo of a
1,000-article briefing take longer than parsing it again. Pickled as (class,
field values) the same records take a third of the time.
"""

from __future__ import annotations

import dataclasses
import operator
from typing import Any, TypeVar

T = TypeVar("T")


def pickled_by_fields(cls: type[T]) -> type[T]:
    """Class decorator for a frozen dataclass whose fields are all ``__init__``
    arguments, in order: pickle it as a call with its field values."""
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    values = operator.attrgetter(*names)
    if len(names) == 1:
        def reduce_one(self: Any) -> tuple[type[T], tuple[Any, ...]]:
            return cls, (values(self),)
        cls.__reduce__ = reduce_one  # type: ignore[method-assign]
    else:
        def reduce_many(self: Any) -> tuple[type[T], tuple[Any, ...]]:
            return cls, values(self)
        cls.__reduce__ = reduce_many  # type: ignore[method-assign]
    return cls
