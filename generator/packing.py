"""Large tables packed for the build state as a few long strings.

Every build loads and saves a few tables with an entry per file or page of the
site (the pages' digests, where each part of ``briefing.json`` is, and in
``fingerprint.Known`` the input hashes). Pickled as dicts of tuples, each took 10 to 25 ms to
load at 10,000 articles; a handful of long strings, split again on load, take
a millisecond or two. Keys are paths, ids and page keys, and values digests and
numbers: none holds a NUL, which separates them.
"""

from __future__ import annotations

import marshal
from array import array
from collections.abc import Mapping, Sequence

_SEP = "\0"


def strings(table: Mapping[str, str]) -> bytes:
    """A table of strings, packed (see :func:`unstrings`)."""
    return marshal.dumps((_SEP.join(table), _SEP.join(table.values())))


def unstrings(data: bytes | None) -> dict[str, str]:
    """The table :func:`strings` packed; empty for None."""
    if not data:
        return {}
    keys, values = marshal.loads(data)
    if not keys:
        return {}
    return dict(zip(keys.split(_SEP), values.split(_SEP), strict=True))


def columns(keys: Sequence[str], texts: Sequence[Sequence[str]], numbers: Sequence[Sequence[int]],
            blobs: Sequence[bytes]) -> bytes:
    """Rows packed by column: the keys, columns of texts, of integers, and one
    bytes value per row of equal length in each blob column (see :func:`uncolumns`)."""
    return marshal.dumps((_SEP.join(keys), [_SEP.join(c) for c in texts],
                          [array("q", c).tobytes() for c in numbers], list(blobs)))


def uncolumns(data: bytes) -> tuple[list[str], list[list[str]], list[array[int]], list[bytes]]:
    """What :func:`columns` packed: keys, text columns, integer columns, blob columns."""
    keys, texts, numbers, blobs = marshal.loads(data)
    rows = keys.split(_SEP) if keys else []
    cols = [c.split(_SEP) if rows else [] for c in texts]
    ints = []
    for packed in numbers:
        found = array("q")
        found.frombytes(packed)
        ints.append(found)
    return rows, cols, ints, blobs
