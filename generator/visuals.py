"""Geometry for the overview visuals, computed at build time.

Pure functions from plain data (ids, labels, counts, dates) to plain data that a
template draws as inline SVG: coordinates, radii, label anchors, tick labels.
Nothing here knows about HTML, URLs or the model, and nothing is random: the
graph layout starts from a fixed circle in input order and runs a fixed number
of force iterations, so the same briefing always draws the same picture.

Every number is rounded to one decimal so the SVG stays small and stable.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from generator.frozen import record

Visual = dict[str, Any]


@record
class Node:
    """A vertex of the relationship graph: ``weight`` sizes its dot."""

    id: str
    label: str
    kind: str
    weight: int


@record
class Edge:
    """An undirected link; ``kind`` is ``affiliation`` or ``co-mention``."""

    a: str
    b: str
    kind: str
    weight: int


def strongest_edges(pairs: Mapping[str, Sequence[tuple[str, int]]], per_node: int = 3,
                    minimum: int = 1) -> list[tuple[str, str, int]]:
    """The co-mention pairs worth drawing: for each node its ``per_node`` strongest
    partners with at least ``minimum`` shared blocks, each pair once, as
    ``(a, b, count)`` with ``a < b``, sorted by count (descending) then ids."""
    kept: dict[tuple[str, str], int] = {}
    for node in sorted(pairs):
        ranked = sorted(pairs[node], key=lambda p: (-p[1], p[0]))
        for other, count in [p for p in ranked if p[1] >= minimum][:per_node]:
            key = (node, other) if node < other else (other, node)
            kept[key] = max(kept.get(key, 0), count)
    return sorted(((a, b, n) for (a, b), n in kept.items()), key=lambda e: (-e[2], e[0], e[1]))


def force_layout(ids: Sequence[str], links: Sequence[tuple[str, str, float]], *,
                 iterations: int = 150) -> dict[str, tuple[float, float]]:
    """Positions in the unit square for ``ids``, by Fruchterman-Reingold with a
    weak pull to the centre (so unlinked nodes do not drift to the corners).

    Deterministic: nodes start evenly on a circle in the given order, and the
    iteration count and cooling schedule are fixed.
    """
    n = len(ids)
    if n == 0:
        return {}
    if n == 1:
        return {ids[0]: (0.5, 0.5)}
    index = {node: i for i, node in enumerate(ids)}
    xs = [0.5 + 0.4 * math.cos(2 * math.pi * i / n) for i in range(n)]
    ys = [0.5 + 0.4 * math.sin(2 * math.pi * i / n) for i in range(n)]
    k = 1.5 * math.sqrt(1.0 / n)
    pairs = [(index[a], index[b], w) for a, b, w in links if a in index and b in index and a != b]
    temperature = 0.1
    for step in range(iterations):
        dx = [0.0] * n
        dy = [0.0] * n
        for i in range(n):
            for j in range(i + 1, n):
                ddx, ddy = xs[i] - xs[j], ys[i] - ys[j]
                dist = max(math.hypot(ddx, ddy), 1e-4)
                force = k * k / dist
                dx[i] += ddx / dist * force
                dy[i] += ddy / dist * force
                dx[j] -= ddx / dist * force
                dy[j] -= ddy / dist * force
        for i, j, w in pairs:
            ddx, ddy = xs[i] - xs[j], ys[i] - ys[j]
            dist = max(math.hypot(ddx, ddy), 1e-4)
            force = dist * dist / k * (0.25 + 0.25 * min(w, 4.0))
            dx[i] -= ddx / dist * force
            dy[i] -= ddy / dist * force
            dx[j] += ddx / dist * force
            dy[j] += ddy / dist * force
        for i in range(n):
            dx[i] += (0.5 - xs[i]) * 0.6
            dy[i] += (0.5 - ys[i]) * 0.6
            length = max(math.hypot(dx[i], dy[i]), 1e-9)
            move = min(length, temperature)
            xs[i] += dx[i] / length * move
            ys[i] += dy[i] / length * move
        temperature = 0.1 * (1 - (step + 1) / iterations) + 0.002
    return _normalise(ids, xs, ys)


def _normalise(ids: Sequence[str], xs: list[float],
               ys: list[float]) -> dict[str, tuple[float, float]]:
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    sx = (x1 - x0) or 1.0
    sy = (y1 - y0) or 1.0
    return {node: ((xs[i] - x0) / sx, (ys[i] - y0) / sy) for i, node in enumerate(ids)}


Layout = Callable[[Sequence[str], Sequence[tuple[str, str, float]]], dict[str, tuple[float, float]]]


def relationship_graph(nodes: Sequence[Node], edges: Sequence[Edge], *,
                       width: int = 720, height: int = 460, layout: Layout | None = None) -> Visual:
    """The actor graph, ready to draw: ``nodes`` with ``x``, ``y``, ``r`` and a label
    placed beside the dot (``lx``, ``ly``, ``anchor``), and ``edges`` as segments
    with a stroke width. Affiliation edges are drawn solid, co-mentions dashed by
    the template. ``layout`` replaces :func:`force_layout` (with a remembered one,
    say: it is the costliest step of a small briefing's build)."""
    ids = [n.id for n in nodes]
    links = [(e.a, e.b, 3.0 if e.kind == "affiliation" else 1.0 + math.log1p(e.weight) / 2)
             for e in edges]
    unit = (layout or force_layout)(ids, links)
    margin_x, margin_y = 110.0, 28.0
    top = max((n.weight for n in nodes), default=1) or 1
    placed: dict[str, Visual] = {}
    for node in nodes:
        ux, uy = unit[node.id]
        x = margin_x + ux * (width - 2 * margin_x)
        y = margin_y + uy * (height - 2 * margin_y)
        r = 5.0 + 9.0 * math.sqrt(node.weight / top)
        right = ux <= 0.5
        placed[node.id] = {
            "id": node.id, "label": node.label, "kind": node.kind, "weight": node.weight,
            "x": _r(x), "y": _r(y), "r": _r(r),
            "lx": _r(x + (r + 4) if right else x - (r + 4)), "ly": _r(y + 4),
            "anchor": "start" if right else "end",
        }
    drawn = []
    for e in edges:
        if e.a not in placed or e.b not in placed:
            continue
        a, b = placed[e.a], placed[e.b]
        drawn.append({"a": e.a, "b": e.b, "kind": e.kind, "weight": e.weight,
                      "x1": a["x"], "y1": a["y"], "x2": b["x"], "y2": b["y"],
                      "stroke": _r(1.5 if e.kind == "affiliation"
                                   else 0.75 + math.log1p(e.weight) * 0.6)})
    return {"width": width, "height": height, "nodes": [placed[i] for i in ids], "edges": drawn}


# Beyond these, one mark per article is unreadable (and, at 10,000 articles, most
# of the front page's size and rendering time): the articles become a histogram.
MAX_STACK = 6
"""Most marks drawn on one day, per lane."""
MAX_SOURCE_MARKS = 100
"""Most articles drawn one by one."""
_BAR_PITCH = 10.0
"""Least distance between two bars (the template draws them 8 wide)."""
_BAR_MAX_HEIGHT = 60.0


def timeline(items: Sequence[tuple[str, dt.date, str]], *, width: int = 720) -> Visual:
    """A horizontal time axis for dated items ``(key, date, lane)``: each item gets an
    ``x`` by date and a ``y`` stacked within its lane (``event`` above the axis,
    anything else, e.g. ``source``, below), plus day/week/month ``ticks``.

    When the items below the axis are too many to draw one by one (more than
    :data:`MAX_SOURCE_MARKS`, or more than :data:`MAX_STACK` on a day), they are
    drawn as bars instead, one per stretch of days that keeps bars apart: marks with
    lane ``"bar"``, their ``count``, ``first`` and ``last`` dates and ``height``."""
    if not items:
        return {"width": width, "height": 0, "ticks": [], "marks": [], "axis_y": 0}
    start = min(d for _, d, _ in items)
    end = max(d for _, d, _ in items)
    span = max((end - start).days, 1)
    left, right = 40.0, 40.0

    def x_of(day: dt.date) -> float:
        return left + (day - start).days / span * (width - left - right)
    above: dict[dt.date, int] = {}
    below: dict[dt.date, int] = {}
    for _, day, lane in items:
        stack = above if lane == "event" else below
        stack[day] = stack.get(day, 0) + 1
    as_bars = sum(below.values()) > MAX_SOURCE_MARKS or max(below.values(), default=0) > MAX_STACK
    rows_above = max(above.values(), default=0)
    rows_below = 0 if as_bars else max(below.values(), default=0)
    gap = 16.0
    axis_y = 14.0 + rows_above * gap + 8
    height = axis_y + 34 + (_BAR_MAX_HEIGHT - 12 if as_bars else rows_below * gap)
    seen_above: dict[dt.date, int] = {}
    seen_below: dict[dt.date, int] = {}
    marks = []
    for number, (key, day, lane) in enumerate(items, start=1):
        if lane == "event":
            i = seen_above.get(day, 0)
            seen_above[day] = i + 1
            y = axis_y - 14 - i * gap
        elif as_bars:
            continue
        else:
            i = seen_below.get(day, 0)
            seen_below[day] = i + 1
            y = axis_y + 30 + i * gap
        marks.append({"key": key, "n": number, "lane": lane, "x": _r(x_of(day)), "y": _r(y),
                      "date": day.isoformat()})
    if as_bars:
        marks.extend(_bars(below, start, span, width - left - right, left, axis_y + 12))
    ticks = [{"x": _r(x_of(day)), "label": f"{day.day} {day:%b}", "date": day.isoformat()}
             for day in _tick_days(start, end)]
    return {"width": width, "height": _r(height), "axis_y": _r(axis_y), "x0": left,
            "x1": _r(width - right), "ticks": ticks, "marks": marks}


def _bars(counts: Mapping[dt.date, int], start: dt.date, span: int, plot: float, left: float,
          top: float) -> list[dict[str, Any]]:
    """``counts`` by day as bars at least ``_BAR_PITCH`` apart, each summing a
    stretch of days, from ``top`` down, the tallest ``_BAR_MAX_HEIGHT``."""
    days_per_bar = max(1, math.ceil(_BAR_PITCH / plot * span))
    bins: dict[int, list[dt.date]] = {}
    for day in sorted(counts):
        bins.setdefault((day - start).days // days_per_bar, []).append(day)
    totals = {b: sum(counts[d] for d in days) for b, days in bins.items()}
    tallest = max(totals.values())
    bars = []
    for b, days in bins.items():
        first = start + dt.timedelta(days=b * days_per_bar)
        last = min(first + dt.timedelta(days=days_per_bar - 1), start + dt.timedelta(days=span))
        middle = (b * days_per_bar + (days_per_bar - 1) / 2) / span * plot + left
        bars.append({"key": f"bar-{b}", "lane": "bar", "x": _r(min(middle, left + plot)), "y": _r(top),
                     "height": _r(max(2.0, totals[b] / tallest * _BAR_MAX_HEIGHT)), "count": totals[b],
                     "first": first.isoformat(), "last": last.isoformat(), "date": days[0].isoformat()})
    return bars


def _tick_days(start: dt.date, end: dt.date) -> list[dt.date]:
    span = (end - start).days
    if span <= 14:
        step = 1
    elif span <= 120:
        step = 7
    else:
        days = []
        day = start.replace(day=1)
        while day <= end:
            if day >= start:
                days.append(day)
            day = (day + dt.timedelta(days=32)).replace(day=1)
        return days or [start]
    return [start + dt.timedelta(days=i) for i in range(0, span + 1, step)]


def matrix(rows: Sequence[tuple[str, str]], cols: Sequence[tuple[str, str]],
           cells: Mapping[tuple[str, str], tuple[int, int]], *, cell: int = 34,
           label_width: int = 170, header: int = 150, max_label: int = 26) -> Visual:
    """An actor x topic grid. ``rows`` and ``cols`` are ``(id, label)``; ``cells`` maps
    ``(row id, col id)`` to ``(positions, shared passages)``. Each cell gets a shade
    ``level`` 0-4 from the shared passages (relative to the busiest cell) and
    ``position`` when the actor has a stated position on the topic."""
    busiest = max((shared for _, shared in cells.values()), default=0) or 1
    width = label_width + cell * len(cols) + int(max_label * 5.2)
    height = header + cell * len(rows) + 6
    out_rows = [{"id": rid, "label": label, "y": _r(header + i * cell + cell / 2 + 4)}
                for i, (rid, label) in enumerate(rows)]
    out_cols = [{"id": cid, "label": _clip(label, max_label), "full": label,
                 "x": _r(label_width + i * cell + cell / 2), "y": header - 8}
                for i, (cid, label) in enumerate(cols)]
    out_cells = []
    for i, (rid, _) in enumerate(rows):
        for j, (cid, _) in enumerate(cols):
            positions, shared = cells.get((rid, cid), (0, 0))
            level = 0 if shared == 0 else 1 + min(3, int(3 * shared / busiest))
            out_cells.append({"row": rid, "col": cid, "x": label_width + j * cell + 1,
                              "y": header + i * cell + 1, "size": cell - 2,
                              "cx": _r(label_width + j * cell + cell / 2),
                              "cy": _r(header + i * cell + cell / 2),
                              "level": level, "shared": shared, "positions": positions})
    return {"width": width, "height": height, "label_x": label_width - 8, "cell": cell,
            "rows": out_rows, "cols": out_cols, "cells": out_cells}


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _r(value: float) -> float:
    return round(value, 1)
