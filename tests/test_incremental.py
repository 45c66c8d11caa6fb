"""An edit built on the last build's state gives the site a cold build gives.

``generator.update`` does again only what an edit reaches, and ``generator.pages``
builds again only the pages that read what changed. Both are checked here the
hard way: a briefing goes through a long series of random edits of every kind
(article texts, summaries, dates, citations across sources, new and removed
sources, drafts, actors' names and aliases, topics' keywords, the briefing
itself), and after each one the site built on the previous state, by
``briefing build`` and by the live preview, must equal a cold build of the same
files, byte for byte.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from generator import context
from generator.build import BuildOptions, build, preview_builder
from generator.store import Store
from tests.helpers import tree_hash

WORDS = ("talks", "ceasefire", "border", "delegation", "proposal", "weekend", "officials", "statement",
         "agreement", "pressure", "mediators", "guarantees", "withdrawal", "timeline", "draft")
ACTORS = {"alice": ("Alice Smith", ["Smith"]), "bob": ("Bob Jones", ["Jones"]), "carol": ("Carol Diaz", []),
          "delta": ("Delta Group", ["the Group"]), "emir": ("Emir Kaya", ["Kaya"])}
TOPICS = {"ceasefire": ["ceasefire", "truce"], "border": ["border", "crossing"], "aid": ["aid convoys"]}


class Briefing:
    """A small briefing written to disk, and random edits of it."""

    def __init__(self, root: Path, rng: random.Random) -> None:
        self.root = root
        self.rng = rng
        self.written: list[str] = []
        self.sources: dict[str, list[str]] = {}  # id -> paragraphs
        self.meta: dict[str, dict[str, str]] = {}
        self.actors = dict(ACTORS)
        self.topics = dict(TOPICS)
        self.cross: dict[str, str] = {}  # source id -> the source one of its key points quotes
        for i in range(12):
            self.add_source(f"s{i:02}")
        self.write_briefing("Test briefing", "The bottom line.")
        for aid in self.actors:
            self.write_actor(aid)
        for tid in self.topics:
            self.write_topic(tid)

    # -------------------------------------------------------------- writing

    def write(self, rel: str, text: str | None) -> None:
        path = self.root / rel
        self.written.append(str(path))  # what a file watcher would report
        if text is None:
            path.unlink(missing_ok=True)
            return
        folder = path.parent
        while not folder.exists():
            self.written.append(str(folder))
            folder = folder.parent
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    def take_written(self) -> list[str]:
        """The paths written or removed since the last call."""
        found, self.written = self.written, []
        return found

    def sentence(self) -> str:
        words = [self.rng.choice(WORDS) for _ in range(self.rng.randint(5, 12))]
        if self.rng.random() < 0.6:
            name, aliases = self.actors[self.rng.choice(sorted(self.actors))]
            words.insert(self.rng.randrange(len(words)), self.rng.choice([name, *aliases]))
        if self.rng.random() < 0.4:
            words.insert(self.rng.randrange(len(words)), self.rng.choice(self.topics[self.rng.choice(sorted(self.topics))]))
        return " ".join(words).capitalize() + "."

    def add_source(self, sid: str) -> None:
        # Other sources quote the marker: it moves when paragraphs are added before it.
        self.sources[sid] = [f"Marker of {sid} here.", *(self.sentence() for _ in range(self.rng.randint(1, 4)))]
        month = self.rng.choice(["2025-08", "2025-09", "2025-10"])
        self.meta[sid] = {"title": f"Report {sid}", "published": f"{month}-{self.rng.randint(10, 28)}",
                          "draft": "false"}
        self.write_source(sid)

    def write_source(self, sid: str) -> None:
        paragraphs = self.sources[sid]
        self.write(f"seeds/{sid}.txt", f"Heading of {sid}\n" + "\n".join(paragraphs) + "\n")
        meta = self.meta[sid]
        cites = [f'"{sid}#p{self.rng.randint(1, len(paragraphs))}"']
        other = self.cross.get(sid)
        if other in self.sources:
            cites.append(f'"{other}: Marker of {other}"')
        actor = self.rng.choice(sorted(self.actors))
        self.write(f"content/sources/{sid}.yaml",
                   f"file: {sid}.txt\ntitle: {meta['title']}\npublished: {meta['published']}\n"
                   f"draft: {meta['draft']}\nsummary: About *{sid}*.\nkey_points:\n"
                   f"  - text: A point of {sid}.\n    cite: [{', '.join(cites)}]\n    actors: [{actor}]\n")

    def write_briefing(self, title: str, summary: str) -> None:
        published = [s for s in sorted(self.sources) if self.meta[s]["draft"] == "false"]
        cited = self.rng.choice(published)
        self.write("content/briefing.yaml",
                   f"title: {title}\nas_of: 2025-10-30\nsummary: {summary}\nkey_points:\n"
                   f"  - text: The main point.\n    cite: [\"{cited}#p1\"]\n    topics: [ceasefire]\n"
                   f"events:\n  - date: 2025-10-01\n    text: Talks began.\n    cite: [\"{cited}\"]\n")

    def write_actor(self, aid: str) -> None:
        name, aliases = self.actors[aid]
        self.write(f"content/actors/{aid}.yaml", f"name: {name}\naliases: [{', '.join(aliases)}]\n")

    def write_topic(self, tid: str) -> None:
        self.write(f"content/topics/{tid}.yaml", f"title: {tid.title()}\nkeywords: [{', '.join(self.topics[tid])}]\n")

    # -------------------------------------------------------------- edits

    def cited_elsewhere(self, sid: str) -> bool:
        briefing = (self.root / "content/briefing.yaml").read_text(encoding="utf-8")
        return sid in briefing or sid in self.cross.values()

    def edit(self) -> str:
        """Make one random edit; return what it was."""
        rng = self.rng
        sid = rng.choice(sorted(self.sources))
        kind = rng.choice(["reword", "append", "prepend", "drop paragraph", "retitle", "redate", "cite another",
                           "new source", "remove source", "draft", "alias", "new actor", "keywords",
                           "briefing"])
        paragraphs = self.sources[sid]
        others = [i for i, p in enumerate(paragraphs) if not p.startswith("Marker")]
        if kind == "reword" and others:
            paragraphs[rng.choice(others)] = self.sentence()
        elif kind == "append":
            paragraphs.append(self.sentence())
        elif kind == "prepend":
            paragraphs.insert(0, self.sentence())
        elif kind == "drop paragraph" and others:
            paragraphs.pop(rng.choice(others))
        elif kind == "retitle":
            self.meta[sid]["title"] = f"Report {sid}, {rng.choice(WORDS)}"
        elif kind == "redate":
            self.meta[sid]["published"] = f"2025-{rng.choice(['08', '09', '10'])}-{rng.randint(10, 28)}"
        elif kind == "cite another":
            others = [s for s in sorted(self.sources) if s != sid and self.meta[s]["draft"] == "false"]
            self.cross[sid] = rng.choice(others)
        elif kind == "new source":
            sid = f"s{len(self.sources) + 50:02}"
            self.add_source(sid)
            return f"{kind} {sid}"
        elif kind == "remove source" and not self.cited_elsewhere(sid) and len(self.sources) > 4:
            del self.sources[sid], self.meta[sid]
            self.cross.pop(sid, None)
            self.write(f"seeds/{sid}.txt", None)
            self.write(f"content/sources/{sid}.yaml", None)
            return f"{kind} {sid}"
        elif kind == "draft":  # a citation of a draft is left out, with a warning
            self.meta[sid]["draft"] = "true" if self.meta[sid]["draft"] == "false" else "false"
        elif kind == "alias":
            aid = rng.choice(sorted(self.actors))
            name, _ = self.actors[aid]
            self.actors[aid] = (name, [rng.choice(["Smith", "Jones", "Kaya", "the Group", "Diaz"])]
                                if aid != "alice" else ["Smith"])
            _dedupe_aliases(self.actors)
            for other in self.actors:
                self.write_actor(other)
            return f"{kind} {aid}"
        elif kind == "new actor" and "zed" not in self.actors:
            self.actors["zed"] = ("Zed Okafor", ["Okafor"])
            self.write_actor("zed")
            return kind
        elif kind == "keywords":
            tid = rng.choice(sorted(self.topics))
            self.topics[tid] = rng.sample(["ceasefire", "truce", "border", "crossing", "aid convoys", "talks"], 2)
            self.write_topic(tid)
            return f"{kind} {tid}"
        elif kind == "briefing":
            self.write_briefing(rng.choice(["Test briefing", "Another title"]), f"Line {rng.randint(1, 9)}.")
            return kind
        self.write_source(sid)
        return f"{kind} {sid}"


def _dedupe_aliases(actors: dict[str, tuple[str, list[str]]]) -> None:
    """A phrase may name one actor only: drop an alias another actor already has."""
    taken: set[str] = set()
    for aid in sorted(actors):
        name, aliases = actors[aid]
        kept = [a for a in aliases if a not in taken and a != name]
        taken.update([name, *kept])
        actors[aid] = (name, kept)


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("archived", [False, True], ids=["one sources page", "sources by month"])
def test_a_series_of_edits_built_on_the_state_equals_cold_builds(tmp_path: Path, seed: int, archived: bool,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    if archived:  # the large-briefing layout, with a handful of sources
        monkeypatch.setattr(context, "MAX_INDEX_SOURCES", 5)
        monkeypatch.setattr(context, "NEWEST_SOURCES", 3)
    root = tmp_path / "b"
    briefing = Briefing(root, random.Random(seed))
    options = BuildOptions(root=root, search=False, jobs=1)
    build(options)
    preview, told = preview_builder(options), preview_builder(options, own_out=True)
    preview(tmp_path / "preview")
    told(tmp_path / "told", briefing.take_written())  # a first build is told nothing useful
    for step in range(25):
        what = briefing.edit()
        build(options)
        preview(tmp_path / "preview")
        # The live preview as the server runs it: told the paths the watcher saw,
        # in a folder of its own.
        told(tmp_path / "told", briefing.take_written())
        cold = tmp_path / f"cold-{step}"
        build(BuildOptions(root=root, out=cold, search=False, jobs=1), Store.in_memory())
        expected = tree_hash(cold)
        assert tree_hash(root / "site") == expected, f"step {step}: {what}: briefing build"
        assert tree_hash(tmp_path / "preview") == expected, f"step {step}: {what}: the live preview"
        assert tree_hash(tmp_path / "told") == expected, f"step {step}: {what}: the preview told what changed"


@pytest.mark.parametrize("seed", range(20))
def test_the_kinds_after_an_edit_are_those_counted_afresh(seed: int) -> None:
    # update._kinds_since looks only at the heads an edit replaced, and makes
    # again only the kinds one of them enters or leaves: what it finds must be
    # what counting every head finds (update._kinds).
    from generator import update

    rng = random.Random(seed)
    heads = {f"{kind}:{kind[0]}{i}": update.Head(("x",), draft=rng.random() < 0.2)
             for kind in ("source", "actor", "topic") for i in range(30)}
    heads[update.BRIEFING] = update.Head(("b",))
    now = dict(heads)
    for unit in rng.sample(sorted(heads), 8):
        action = rng.choice(("reread", "draft", "gone"))
        if action == "gone" and unit != update.BRIEFING:
            del now[unit]
        else:  # another head object: read again, maybe with its draft flag flipped
            now[unit] = heads[unit]._replace(draft=heads[unit].draft != (action == "draft"))
    for i in range(rng.randrange(3)):
        now[f"actor:new{i}"] = update.Head(("y",), draft=rng.random() < 0.5)
    for drafts in (False, True):
        assert update._kinds_since(update._kinds(heads, drafts), heads, now, drafts) == \
            update._kinds(now, drafts), (seed, drafts)
