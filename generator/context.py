"""The one place that prepares what each page's template receives.

``pages(site)`` returns every page of the site as a :class:`Page`: where it is
written, which template renders it, and a context of plain data (str, int,
bool, None, lists and dicts). Links are already relative to the page, Markdown
is already HTML, counts are already counted: templates only lay things out.
Because contexts are plain data, a page's output is a pure function of
(template, context), which is what makes rendering parallel and cacheable.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from generator import __version__, urls, visuals
from generator.changes import Changes
from generator.folding import clip
from generator.frozen import record
from generator.indexes import UNDATED
from generator.markdown import Markdown
from generator.memo import Journal, Memo, digest
from generator.model import Actor, Citation, Claim, Site, Source, Span, Topic
from generator.reads import WHOLE, Entry, Views
from generator.views import Head, SiteViews

if TYPE_CHECKING:
    from generator.health import Finding

Context = dict[str, Any]

KIND_LABELS = {"person": "Person", "organisation": "Organisation", "country": "Country", "group": "Group"}
# A popular actor can be mentioned in thousands of passages; a page shows those
# of the newest articles and says how many there are, so it stays readable: 50
# whole paragraphs are some ten screens. (200 made pages of 300 KB, and their
# passages were 43% of all the blocks a 10,000-article build rendered.)
MAX_PASSAGES_PER_PAGE = 50
MAX_CLAIMS_PER_PAGE = 100
MAX_GRAPH_ACTORS = 40
# The front page is read first and whole: it lists the newest articles (all of
# them are on the sources page), and its "who stands where" matrix shows the
# most-mentioned actors with a position against the most-debated topics (every
# position is on its actor's page). At 10,000 articles and 350 actors with
# positions, drawing everything made an 11 MB front page.
MAX_HOME_SOURCES = 30
MAX_MATRIX_ACTORS = 25
MAX_MATRIX_TOPICS = 12
# Up to this many sources, the sources page lists them all; beyond, it lists
# the months (each on a page of its own, ``archive/<yyyy-mm>/``) and the newest
# ones: a list of 10,000 articles is 2 MB that nobody reads whole, and it was
# made again on every edit that changed one article's row.
MAX_INDEX_SOURCES = 500
NEWEST_SOURCES = 30
# A feed reader keeps what it has seen: the feed carries the newest articles,
# not every one (4 MB, rewritten on every edit, at 10,000 articles).
MAX_FEED_ENTRIES = 50


@record
class Page:
    """One file of the site: its path, its template and the template's context."""

    path: str
    template: str
    context: Context


PageKey = tuple[str, str]
"""Which page: (kind, item id), e.g. ("home", "") or ("actor", "hamas")."""


class SitePages:
    """The pages of one site: a stable list of page keys, and each page's context
    built on demand, so pages can be built (and rendered) in any order, in any
    process, with the same result."""

    def __init__(self, site: Site, *, base_url: str = "", noindex: bool = False, changes: Changes | None = None,
                 report: tuple[Sequence[Finding], Mapping[str, str]] | None = None,
                 memo: Memo | None = None) -> None:
        """``changes`` (what changed since the previous edition) adds the "What's new"
        page and the front page's notice; ``report`` (health findings and the checks'
        descriptions) adds the editors' report page. A ``memo`` remembers the actor
        graph's layout and Markdown conversions between builds."""
        self.site = site
        self.changes = changes
        self.report = report
        self._builder = _Builder(site, base_url, noindex, changes, memo)
        self._plan: list[PageKey] | None = None

    def plan(self) -> list[PageKey]:
        """Every page of the site, in a stable order."""
        if self._plan is None:
            self._plan = self._make_plan()
        return self._plan

    def _make_plan(self) -> list[PageKey]:
        site = self.site
        keys: list[PageKey] = [("home", ""), ("actor_index", ""), ("topic_index", ""), ("source_index", ""),
                               ("not_found", "")]
        if self.changes is not None:
            keys.append(("whatsnew", ""))
        if site.briefing.events:
            keys.append(("timeline", ""))
        keys.append(("search", ""))
        keys.extend(("actor", aid) for aid in site.actors)
        keys.extend(("topic", tid) for tid in site.topics)
        keys.extend(("source", sid) for sid in site.sources)
        if len(site.heads) > MAX_INDEX_SOURCES:
            keys.extend(("archive", month) for month in newest_first(site.months))
        if self.report is not None:
            keys.append(("report", ""))
        keys.extend([("sitemap", ""), ("feed", "")])
        return keys

    def page(self, key: PageKey) -> Page:
        """The page for ``key``: its path, template and context."""
        kind, item = key
        b = self._builder
        if kind == "actor":
            return b.actor(b.site.actors[item])
        if kind == "topic":
            return b.topic(b.site.topics[item])
        if kind == "source":
            return b.source(b.site.sources[item])
        if kind == "archive":
            return b.archive(item)
        if kind == "whatsnew" and self.changes is not None:
            return b.whatsnew(self.changes)
        if kind == "report" and self.report is not None:
            b.views.log.always = True  # made from the health findings, not from views
            return b.report(*self.report)
        if kind == "sitemap":
            # The list of pages is a view of its own: the sitemap changes when
            # pages come or go (see ``pages.plan_entries``).
            b.views.log.entries[(WHOLE, "plan")] = None
            return b.sitemap([path_of(k) for k in self.plan() if path_of(k).endswith(".html")])
        page: Page = getattr(b, kind)()
        return page

    def recorded(self, key: PageKey) -> tuple[Page, tuple[Entry, ...] | None]:
        """The page for ``key`` and what it read of the site (see :mod:`generator.reads`);
        None for a page that must always be built (it is made from more than the site)."""
        log = self._builder.views.log
        log.start()
        page = self.page(key)
        return page, log.read_set()

    @property
    def settings(self) -> tuple[str, bool]:
        """What every page depends on besides what it reads of the site."""
        return self._builder.settings

    def learned(self) -> Journal:
        """What building pages computed and found in the memo since the last call
        (see :meth:`Memo.take_journal`): Markdown conversions, the graph's layout."""
        return self._builder.memo.take_journal()


def path_of(key: PageKey) -> str:
    """Where the page of ``key`` is written, without building it."""
    kind, item = key
    if kind == "archive":
        return urls.archive_page(item)
    if item:
        return urls.item_page(f"{kind}s", item)
    return {"home": urls.HOME, "actor_index": urls.index_page("actors"), "topic_index": urls.index_page("topics"),
            "source_index": urls.index_page("sources"), "not_found": urls.NOT_FOUND, "timeline": urls.TIMELINE,
            "search": urls.SEARCH, "sitemap": "sitemap.xml", "feed": "feed.xml",
            "whatsnew": urls.WHATSNEW, "report": urls.REPORT}[kind]


def pages(site: Site, *, base_url: str = "", noindex: bool = False, changes: Changes | None = None) -> list[Page]:
    """Every page of the site, built in order (small sites, tests, exports)."""
    site_pages = SitePages(site, base_url=base_url, noindex=noindex, changes=changes)
    return [site_pages.page(k) for k in site_pages.plan()]


def report_page(site: Site, findings: Sequence[Finding], checks: Mapping[str, str], *,
                base_url: str = "") -> Page:
    """The editors' health report page (``_report/index.html``), marked noindex."""
    return _Builder(site, base_url, False).report(findings, checks)


def long_date(day: dt.date | None) -> str:
    """``8 October 2025``: unambiguous in every locale."""
    return f"{day.day} {_MONTHS[day.month]} {day.year}" if day else ""


# English month names whatever the locale (``%B`` is the C locale's; a table is
# also five times faster, and a large archive page shows hundreds of dates).
_MONTHS = ("", "January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")


class _Builder:
    """Builds contexts for one site; holds the views it reads the site through,
    and the memo, which only ever learns results keyed by their inputs.

    The builder reads the site only through :class:`views.SiteViews`, so that
    what each page reads is known (``views.log``). Its own settings
    (``base_url``, ``noindex``) are part of every page's record."""

    def __init__(self, site: Site, base_url: str, noindex: bool, changes: Changes | None = None,
                 memo: Memo | None = None) -> None:
        self.views = Views()
        self.site = SiteViews(site, self.views)
        self.memo = memo if memo is not None else Memo()
        self._changes = changes
        self.md = Markdown(self.memo)
        self.base_url = base_url.rstrip("/") + "/" if base_url else ""
        self.noindex = noindex
        self.claims = self.site.claims
        self.members = self.site.members
        self.positions_by_actor = self.site.positions_by_actor
        self.positions_by_topic = self.site.positions_by_topic
        self.texts = self.site.texts
        self.cited_by = self.site.cited_by
        self.cited_blocks = self.site.cited_blocks

    @property
    def changes(self) -> Changes | None:
        """What changed since the previous edition, read as a whole (the build
        compares it with the last build's: see ``pages.plan``)."""
        self.views.log.entries[(WHOLE, "changes")] = None
        return self._changes

    @property
    def settings(self) -> tuple[str, bool]:
        """What every page depends on besides what it reads from the site."""
        return self.base_url, self.noindex

    # ---------------------------------------------------------------- shared parts

    def _page(self, path: str, template: str, title: str, description: str,
              crumbs: Sequence[tuple[str, str]], **values: Any) -> Page:
        meta = self.site.meta
        context: Context = {
            "site": {
                "title": meta["title"],
                "subtitle": meta["subtitle"],
                "as_of": meta["as_of"].isoformat(),
                "as_of_long": long_date(meta["as_of"]),
                "language": meta["language"],
                "direction": meta["direction"],
                "generator": f"briefing {__version__}",
                "has_timeline": meta["has_timeline"],
                "noindex": self.noindex,
            },
            "page": {
                "path": path,
                "root": urls.root_prefix(path),
                "title": title,
                "description": clip(description, 200),
                "canonical": self._absolute(path),
                "crumbs": [{"label": label, "url": urls.relative(path, to)} for label, to in crumbs],
                "nav": self._nav(path),
                "searchable": path not in (urls.NOT_FOUND, urls.SEARCH),
            },
        }
        context.update(values)
        return Page(path, template, context)

    def _nav(self, path: str) -> list[dict[str, Any]]:
        entries = [("Briefing", urls.HOME), ("Actors", urls.index_page("actors")),
                   ("Topics", urls.index_page("topics")), ("Sources", urls.index_page("sources"))]
        if self.site.meta["has_timeline"]:
            entries.append(("Timeline", urls.TIMELINE))
        entries.append(("Search", urls.SEARCH))
        section = path.split("/", 1)[0] if "/" in path else path
        section = "sources" if section == urls.ARCHIVE else section
        return [{"label": label, "url": urls.relative(path, to),
                 "current": to.split("/", 1)[0] == section if "/" in to else to == path}
                for label, to in entries]

    def _absolute(self, path: str) -> str:
        """The public URL of a page when a base URL is known (folder form), else ""."""
        if not self.base_url:
            return ""
        return self.base_url + path.removesuffix("index.html")

    def _actor_link(self, here: str, aid: str) -> dict[str, Any]:
        return {"id": aid, "name": self.site.actor_names[aid],
                "url": urls.relative(here, urls.item_page("actors", aid))}

    def _topic_link(self, here: str, tid: str) -> dict[str, Any]:
        title, status = self.site.topic_heads[tid]
        return {"id": tid, "title": title, "status": status,
                "url": urls.relative(here, urls.item_page("topics", tid))}

    def _cite(self, here: str, cite: Citation) -> dict[str, Any]:
        source = self.site.heads[cite.source]
        quote = cite.quote
        if quote is None and cite.n is not None:
            quote = self.texts[(source.id, cite.n)]
        return {
            "source": source.id,
            "n": cite.n,
            "data": f"{source.id}#p{cite.n}" if cite.n is not None else source.id,
            "url": urls.relative(here, urls.block_link(source.id, cite.n)),
            "label": f"¶{cite.n}" if cite.n is not None else "article",
            "source_title": source.title,
            "source_short": _short_source(source),
            "published_long": long_date(source.published),
            "quote": clip(quote, 280) if quote else "",
            "source_long": clip(source.title, 60),
        }

    def _claim(self, here: str, claim: Claim) -> dict[str, Any]:
        return {
            "key": claim.key,
            "anchor": claim.anchor,
            "html": self.md.inline(claim.text),
            "date": claim.date.isoformat() if claim.date else "",
            "date_long": long_date(claim.date),
            "cites": [self._cite(here, c) for c in claim.cite],
            "actors": [self._actor_link(here, r.id) for r in claim.actors],
            "topics": [self._topic_link(here, r.id) for r in claim.topics],
            "url": urls.relative(here, f"{claim.home}#{claim.anchor}"),
            "where": self._claim_home_label(claim),
        }

    def _claim_home_label(self, claim: Claim) -> str:
        kind, _, rest = claim.key.partition("/")
        if kind == "briefing":
            return "Key point"
        if claim.kind == "event":
            return "Timeline"
        item_id = rest.split("/", 1)[0]
        if kind == "source":
            return f"Source: {self.site.heads[item_id].title}"
        if kind == "topic":
            return f"Topic: {self.site.topics[item_id].title}"
        return f"Position of {self.site.actors[item_id].name}"

    def _runs(self, here: str, spans: Sequence[Span], text: str, link_kind: str,
              highlight: str | None = None) -> list[dict[str, Any]]:
        """A block's text cut into runs: plain text, or a found phrase with its owner
        (linked for mentions; marked when it is the ``highlight`` owner)."""
        runs: list[dict[str, Any]] = []
        pos = 0
        for span in spans:
            if span.start > pos:
                runs.append(_plain_run(text[pos:span.start]))
            owner = span.owners[0]
            runs.append({
                "text": text[span.start:span.end], "owner": owner,
                "mark": highlight in span.owners if highlight else False,
                "url": urls.relative(here, urls.item_page("actors", owner)) if link_kind == "actors" else None,
            })
            pos = span.end
        if pos < len(text):
            runs.append(_plain_run(text[pos:]))
        return runs

    def _passages(self, here: str, refs: Sequence[tuple[str, int]], found: Mapping[tuple[str, int], tuple[Span, ...]],
                  owner: str, link_kind: str) -> list[dict[str, Any]]:
        """The passages shown (see :meth:`_newest_passages`) grouped by source, each
        block with the owner's phrases marked."""
        groups: list[dict[str, Any]] = []
        for sid, n in self._newest_passages(refs):
            if not groups or groups[-1]["source"] != sid:
                source = self.site.heads[sid]
                groups.append({"source": sid, "title": source.title,
                               "published": source.published.isoformat() if source.published else "",
                               "published_long": long_date(source.published),
                               "url": urls.relative(here, urls.item_page("sources", sid)),
                               "passages": []})
            text = self.texts[(sid, n)]
            groups[-1]["passages"].append({
                "n": n,
                "url": urls.relative(here, urls.block_link(sid, n)),
                "data": f"{sid}#p{n}",
                "runs": self._runs(here, found[(sid, n)], text, link_kind, highlight=owner),
            })
        return groups

    def _newest_passages(self, refs: Sequence[tuple[str, int]]) -> list[tuple[str, int]]:
        """At most MAX_PASSAGES_PER_PAGE of ``refs`` (sorted by source id, then
        block): the newest sources' first, undated ones last, ties by id; a
        source's blocks in their order. A briefing follows a story, so what was
        said last matters most."""
        published = self.site.published
        # Python's sort is stable: sources of the same day stay in id order.
        newest = sorted(dict.fromkeys(sid for sid, _ in refs), key=lambda sid: _age(published[sid]))
        shown: list[tuple[str, int]] = []
        for sid in newest:
            at = bisect.bisect_left(refs, (sid,))  # (sid,) sorts just before (sid, n)
            while at < len(refs) and refs[at][0] == sid and len(shown) < MAX_PASSAGES_PER_PAGE:
                shown.append(refs[at])
                at += 1
            if len(shown) == MAX_PASSAGES_PER_PAGE:
                break
        return shown

    def _newest_claims(self, keys: Sequence[str]) -> list[str]:
        """At most MAX_CLAIMS_PER_PAGE of ``keys`` (in the site's order of claims):
        the briefing's own first, then the articles' key points, newest article
        first (ties by id), then the topics' and the positions; each unit's in
        its order."""
        published = self.site.published

        def rank(key: str) -> tuple[int, int]:
            kind, _, rest = key.partition("/")
            if kind == "source":
                return 1, _age(published[rest.partition("/")[0]])
            return (0, 0) if kind == "briefing" or key.startswith("event-") else (2, 0)

        return sorted(keys, key=rank)[:MAX_CLAIMS_PER_PAGE]  # stable: same-day articles stay in id order

    # ---------------------------------------------------------------- pages

    def home(self) -> Page:
        site, here = self.site, urls.HOME
        b = site.briefing
        return self._page(
            here, "index.html", b.title, self.md.plain(b.summary) or b.subtitle, [],
            summary_html=self.md.block(b.summary),
            key_points=[self._claim(here, c) for c in b.key_points],
            watch=[self.md.inline(w) for w in b.watch],
            actors=[self._actor_row(here, a) for a in site.actors.values()],
            topics=[self._topic_row(here, t) for t in site.topics.values()],
            sources=[self._source_row(here, s.id) for s in _by_date(site.heads.values())[:MAX_HOME_SOURCES]],
            source_count=len(site.heads),
            sources_url=urls.relative(here, urls.index_page("sources")),
            events=[self._claim(here, c) for c in b.events[-5:]],
            timeline_url=urls.relative(here, urls.TIMELINE),
            timeline_visual=self._timeline_visual(here),
            matrix=self._matrix(here),
            changes_notice=self._changes_notice(here),
        )

    def _actor_row(self, here: str, actor: Actor) -> dict[str, Any]:
        refs = self.site.actor_mentions.get(actor.id, ())
        return {**self._actor_link(here, actor.id), "kind": actor.kind, "kind_label": KIND_LABELS[actor.kind],
                "role": actor.role, "mentions": len(refs), "sources": len({s for s, _ in refs}),
                "claims": len(self.site.claims_by_actor.get(actor.id, ()))}

    def _topic_row(self, here: str, topic: Topic) -> dict[str, Any]:
        refs = self.site.topic_passages.get(topic.id, ())
        return {**self._topic_link(here, topic.id), "passages": len(refs),
                "sources": len({s for s, _ in refs}),
                "claims": len(self.site.claims_by_topic.get(topic.id, ()))}

    def _source_row(self, here: str, sid: str) -> dict[str, Any]:
        source = self.site.heads[sid]
        return {"id": source.id, "title": source.title, "outlet": source.outlet,
                "published": source.published.isoformat() if source.published else "",
                "published_long": long_date(source.published),
                "url": urls.relative(here, urls.item_page("sources", source.id)),
                "paragraphs": self.site.numbered[sid],
                "cited": self.cited_blocks[source.id]}

    def actor_index(self) -> Page:
        here = urls.index_page("actors")
        rows = [self._actor_row(here, a) for a in self.site.actors.values()]
        groups = [{"kind": k, "label": label + "s" if label != "Country" else "Countries",
                   "actors": [r for r in rows if r["kind"] == k]} for k, label in KIND_LABELS.items()]
        return self._page(here, "actors.html", "Actors", f"The {len(rows)} actors of {self.site.meta['title']}.",
                          [("Briefing", urls.HOME)], groups=[g for g in groups if g["actors"]], count=len(rows),
                          graph=self._graph(here))

    def topic_index(self) -> Page:
        here = urls.index_page("topics")
        rows = [{**self._topic_row(here, t), "summary_html": self.md.block(t.summary)}
                for t in self.site.topics.values()]
        return self._page(here, "topics.html", "Topics", f"The {len(rows)} topics of {self.site.meta['title']}.",
                          [("Briefing", urls.HOME)], topics=rows)

    def source_index(self) -> Page:
        here = urls.index_page("sources")
        heads = _by_date(self.site.heads.values())
        count = len(heads)
        if count <= MAX_INDEX_SOURCES:
            rows = [self._source_row(here, s.id) for s in heads]
            return self._page(here, "sources.html", "Sources", f"The {count} articles this briefing cites.",
                              [("Briefing", urls.HOME)], sources=rows, count=count, months=None)
        by_month = self.site.months
        listed = [{"label": month_label(m), "url": urls.relative(here, urls.archive_page(m)),
                   "count": len(by_month[m])} for m in newest_first(by_month)]
        rows = [self._source_row(here, s.id) for s in heads[:NEWEST_SOURCES]]
        return self._page(here, "sources.html", "Sources", f"The {count} articles this briefing cites.",
                          [("Briefing", urls.HOME)], sources=rows, count=count, months=listed)

    def archive(self, month: str) -> Page:
        """The sources of one month (large briefings: see :data:`MAX_INDEX_SOURCES`)."""
        here = urls.archive_page(month)
        label = month_label(month)
        rows = [self._source_row(here, sid) for sid in self.site.months[month]]
        return self._page(here, "archive.html", f"Sources: {label}", f"The {len(rows)} articles of {label}.",
                          [("Briefing", urls.HOME), ("Sources", urls.index_page("sources"))],
                          month={"label": label, "key": month}, sources=rows,
                          index_url=urls.relative(here, urls.index_page("sources")))

    def timeline(self) -> Page:
        here = urls.TIMELINE
        events = [self._claim(here, c) for c in self.site.briefing.events]
        return self._page(here, "timeline.html", "Timeline", f"{len(events)} dated events, in order.",
                          [("Briefing", urls.HOME)], events=events,
                          timeline_visual=self._timeline_visual(here))

    def search(self) -> Page:
        here = urls.SEARCH
        what = f"Search the actors, topics, claims and articles of {self.site.meta['title']}."
        return self._page(here, "search.html", "Search", what,
                          [("Briefing", urls.HOME)],
                          script_url=urls.relative(here, f"{urls.ASSETS}/search.js"),
                          index_url=urls.relative(here, f"{urls.SEARCH_INDEX}/pagefind.js"),
                          root_url=urls.root_prefix(here) or "./")

    # ---------------------------------------------------------------- visuals

    def _timeline_visual(self, here: str) -> dict[str, Any] | None:
        """The events (above the axis) and the articles' publication days (below)."""
        site = self.site
        events = site.briefing.events
        sources = [s for s in _by_date(site.heads.values()) if s.published][::-1]
        items = ([(c.key, c.date, "event") for c in events if c.date]
                 + [(s.id, s.published, "source") for s in sources if s.published])
        if not events:
            return None
        shape = visuals.timeline(items)
        numbers = {c.key: number for number, c in enumerate(events, start=1)}
        by_id = {s.id: s for s in sources}
        for mark in shape["marks"]:
            if mark["lane"] == "event":
                c = self.claims[mark["key"]]
                mark["label"] = str(numbers[c.key])
                mark["url"] = urls.relative(here, f"{c.home}#{c.anchor}")
                mark["title"] = f"{numbers[c.key]}. {long_date(c.date)}: {clip(self.md.plain(c.text), 140)}"
            elif mark["lane"] == "bar":
                first, last = dt.date.fromisoformat(mark["first"]), dt.date.fromisoformat(mark["last"])
                when = long_date(first) if first == last else f"{long_date(first)} to {long_date(last)}"
                mark["url"] = urls.relative(here, urls.index_page("sources"))
                mark["title"] = f"{_count(mark['count'], 'article')} published {when}"
            else:
                s = by_id[mark["key"]]
                mark["url"] = urls.relative(here, urls.item_page("sources", s.id))
                mark["title"] = f"Article, {long_date(s.published)}: {s.title}"
        return shape | {"sources": len(sources), "events": len(events)}

    def _graph(self, here: str) -> dict[str, Any] | None:
        """Who belongs to whom (solid lines) and who is mentioned together (dashed),
        with the same facts as rows for the text alternative."""
        site = self.site
        if not site.actors:
            return None
        # A drawing stays readable (and its layout cheap) only up to a few dozen
        # actors: the most-mentioned ones are drawn, every actor is in the table.
        drawn = sorted(site.actors.values(), key=lambda a: (-len(site.actor_mentions.get(a.id, ())), a.id))
        drawn_ids = {a.id for a in drawn[:MAX_GRAPH_ACTORS]}
        nodes = [visuals.Node(a.id, a.name, a.kind, len(site.actor_mentions.get(a.id, ())))
                 for a in site.actors.values() if a.id in drawn_ids]
        affiliated = {(a.id, a.affiliation.id) for a in site.actors.values()
                      if a.affiliation and a.id in drawn_ids and a.affiliation.id in drawn_ids}
        edges = [visuals.Edge(a, b, "affiliation", 1) for a, b in sorted(affiliated)]
        linked = {frozenset(p) for p in affiliated}
        co_mentions = {a: [(b, n) for b, n in pairs if b in drawn_ids]
                       for a, pairs in site.co_mentions.items() if a in drawn_ids}
        edges += [visuals.Edge(a, b, "co-mention", n)
                  for a, b, n in visuals.strongest_edges(co_mentions)
                  if frozenset((a, b)) not in linked]
        memo = self.memo

        def layout(ids: Sequence[str], links: Sequence[tuple[str, str, float]]) -> dict[str, tuple[float, float]]:
            return memo.get("layout", digest(ids, links), lambda: visuals.force_layout(ids, links))

        shape = visuals.relationship_graph(nodes, edges, layout=layout)
        for node in shape["nodes"]:
            node["url"] = urls.relative(here, urls.item_page("actors", node["id"]))
            node["title"] = f"{node['label']}: {_count(node['weight'], 'mention')}"
        rows = []
        for actor in site.actors.values():
            rows.append({
                **self._actor_link(here, actor.id), "kind_label": KIND_LABELS[actor.kind],
                "affiliation": (self._actor_link(here, actor.affiliation.id)
                                if actor.affiliation else None),
                "with": [self._actor_link(here, other) | {"count": count}
                         for other, count in site.co_mentions.get(actor.id, ())[:3]],
            })
        return shape | {"rows": rows, "drawn": len(nodes), "total": len(site.actors),
                        "co_mentions": sum(1 for e in edges if e.kind == "co-mention")}

    def _matrix(self, here: str) -> dict[str, Any] | None:
        """Actors with a stated position x topics: where each actor stands, and how
        many article passages mention the actor on the topic."""
        site = self.site
        with_positions = [aid for aid, claims in self.positions_by_actor.items() if claims]
        if not with_positions or not site.topics:
            return None
        actor_ids = sorted(with_positions, key=lambda a: (-len(site.actor_mentions.get(a, ())),
                                                          site.actors[a].name))[:MAX_MATRIX_ACTORS]
        topic_ids = sorted(site.topics, key=lambda t: (-len(self.positions_by_topic[t]),
                                                       site.topics[t].title))[:MAX_MATRIX_TOPICS]
        blocks = {a: set(site.actor_mentions.get(a, ())) for a in actor_ids}
        passages = {t: set(site.topic_passages.get(t, ())) for t in topic_ids}
        stances: dict[tuple[str, str], list[Claim]] = {}
        for aid in actor_ids:
            for claim in self.positions_by_actor[aid]:
                stances.setdefault((aid, claim.topics[0].id), []).append(claim)
        counts = {(a, t): (len(stances.get((a, t), ())), len(blocks[a] & passages[t]))
                  for a in actor_ids for t in topic_ids}
        shape = visuals.matrix([(a, site.actors[a].name) for a in actor_ids],
                               [(t, site.topics[t].title) for t in topic_ids], counts)
        for cell in shape["cells"]:
            claims = stances.get((cell["row"], cell["col"]), [])
            actor, topic = site.actors[cell["row"]].name, site.topics[cell["col"]].title
            if claims:
                cell["url"] = urls.relative(here, f"{claims[0].home}#{claims[0].anchor}")
                cell["title"] = f"{actor} on {topic}: {clip(self.md.plain(claims[0].text), 160)}"
            else:
                cell["url"] = ""
                cell["title"] = f"{actor} and {topic}: {_count(cell['shared'], 'shared passage')}"
        for row in shape["rows"]:
            row["url"] = urls.relative(here, urls.item_page("actors", row["id"]))
        for col in shape["cols"]:
            col["url"] = urls.relative(here, urls.item_page("topics", col["id"]))
        table = [{"actor": self._actor_link(here, a),
                  "cells": [{"stances": [{"html": self.md.inline(c.text),
                                          "url": urls.relative(here, f"{c.home}#{c.anchor}")}
                                         for c in stances.get((a, t), [])],
                             "shared": counts[(a, t)][1]} for t in topic_ids]}
                 for a in actor_ids]
        return shape | {"topics": [self._topic_link(here, t) for t in topic_ids], "table": table,
                        "actor_count": len(with_positions), "topic_count": len(site.topics)}

    def not_found(self) -> Page:
        return self._page(urls.NOT_FOUND, "404.html", "Page not found", "This page does not exist.", [])

    def actor(self, actor: Actor) -> Page:
        site = self.site
        here = urls.item_page("actors", actor.id)
        refs = site.actor_mentions.get(actor.id, ())
        about = site.claims_by_actor.get(actor.id, ())
        positions = [self._claim(here, c) | {"topic": self._topic_link(here, c.topics[0].id)}
                     for c in self.positions_by_actor[actor.id]]
        affiliation = self._actor_link(here, actor.affiliation.id) if actor.affiliation else None
        return self._page(
            here, "actor.html", actor.name, self.md.plain(actor.summary) or actor.role or actor.name,
            [("Briefing", urls.HOME), ("Actors", urls.index_page("actors"))],
            actor={"id": actor.id, "name": actor.name, "kind": actor.kind, "kind_label": KIND_LABELS[actor.kind],
                   "role": actor.role, "aliases": list(actor.aliases), "summary_html": self.md.block(actor.summary)},
            affiliation=affiliation,
            members=[self._actor_link(here, m) for m in self.members[actor.id]],
            positions=positions,
            claims=[self._claim(here, self.claims[k]) for k in self._newest_claims(about)],
            claim_count=len(about),
            passages=self._passages(here, refs, site.block_mentions, actor.id, "actors"),
            mention_count=len(refs),
            source_count=len({s for s, _ in refs}),
            passages_shown=min(len(refs), MAX_PASSAGES_PER_PAGE),
            related=[self._actor_link(here, other) | {"count": count}
                     for other, count in site.co_mentions.get(actor.id, ())[:12]],
        )

    def topic(self, topic: Topic) -> Page:
        site = self.site
        here = urls.item_page("topics", topic.id)
        refs = site.topic_passages.get(topic.id, ())
        positions = [self._claim(here, c) | {"actor": self._actor_link(here, c.actors[0].id)}
                     for c in self.positions_by_topic[topic.id]]
        own = f"topic/{topic.id}/"
        others = [k for k in site.claims_by_topic.get(topic.id, ()) if not k.startswith(own)]
        return self._page(
            here, "topic.html", topic.title, self.md.plain(topic.summary) or topic.title,
            [("Briefing", urls.HOME), ("Topics", urls.index_page("topics"))],
            topic={"id": topic.id, "title": topic.title, "status": topic.status,
                   "summary_html": self.md.block(topic.summary), "keywords": list(topic.keywords)},
            key_points=[self._claim(here, c) for c in topic.key_points],
            claims=[self._claim(here, self.claims[k]) for k in self._newest_claims(others)],
            claim_count=len(topic.key_points) + len(others),
            positions=positions,
            open_questions=[self.md.inline(q) for q in topic.open_questions],
            related=[self._topic_link(here, r.id) for r in topic.related],
            passages=self._passages(here, refs, site.block_passages, topic.id, "topics"),
            passage_count=len(refs),
            source_count=len({s for s, _ in refs}),
            passages_shown=min(len(refs), MAX_PASSAGES_PER_PAGE),
        )

    def source(self, source: Source) -> Page:
        site = self.site
        here = urls.item_page("sources", source.id)
        mentions = site.mentions.get(source.id, {})
        mentioned = sorted({o for spans in mentions.values() for s in spans for o in s.owners},
                           key=lambda a: site.actor_names[a])
        return self._page(
            here, "source.html", source.title, self.md.plain(source.summary) or source.title,
            [("Briefing", urls.HOME), ("Sources", urls.index_page("sources"))],
            source=self._source_row(here, source.id) | {
                "summary_html": self.md.block(source.summary), "link": source.url, "file": source.file},
            key_points=[self._claim(here, c) for c in source.key_points],
            whole_cited_by=self._cited_by(here, source.id, None),
            body=list(self._body(here, source, mentions)),
            actors=[self._actor_link(here, a) for a in mentioned],
        )

    def _cited_by(self, here: str, sid: str, n: int | None) -> list[dict[str, Any]]:
        out = []
        for key in self.cited_by.get(sid, {}).get(n, ()):
            claim = self.claims[key]
            out.append({"url": urls.relative(here, f"{claim.home}#{claim.anchor}"),
                        "label": self._claim_home_label(claim),
                        "text": clip(self.md.plain(claim.text), 160)})
        return out

    def _body(self, here: str, source: Source, mentions: Mapping[int, tuple[Span, ...]]) -> Iterator[dict[str, Any]]:
        """The article as display groups: headings, paragraphs, and runs of list items
        gathered into one list."""
        items: list[dict[str, Any]] = []
        for block in source.blocks:
            if block.kind != "item" and items:
                yield {"kind": "list", "entries": items}
                items = []
            if block.n is None:
                yield {"kind": "heading", "text": block.text}
                continue
            shown = {"kind": block.kind, "n": block.n, "id": f"p{block.n}",
                     "runs": self._runs(here, mentions.get(block.n, ()), block.text, "actors"),
                     "cited_by": self._cited_by(here, source.id, block.n)}
            if block.kind == "item":
                items.append(shown)
            else:
                yield shown
        if items:
            yield {"kind": "list", "entries": items}

    def sitemap(self, paths: Sequence[str]) -> Page:
        entries = [] if self.noindex else [
            {"loc": self._absolute(p) or p.removesuffix("index.html") or "./"} for p in paths
            if p not in (urls.NOT_FOUND, urls.SEARCH, urls.REPORT)]
        return self._page("sitemap.xml", "sitemap.xml", "Sitemap", "", [], entries=entries,
                          lastmod=self.site.meta["as_of"].isoformat())

    def feed(self) -> Page:
        here = "feed.xml"
        b = _Meta(**self.site.meta)
        feed_id = self._absolute(urls.HOME) or f"urn:briefing:{_slug(b.title)}"
        entries = []
        for source in _by_date(self.site.heads.values())[:MAX_FEED_ENTRIES]:
            path = urls.item_page("sources", source.id)
            updated = source.published or b.as_of
            entries.append({
                "title": source.title,
                "id": self._absolute(path) or f"{feed_id}:sources:{source.id}",
                "link": self._absolute(path) or urls.relative(here, path),
                "updated": f"{updated.isoformat()}T00:00:00Z",
                "summary": self.md.plain(self.site.summaries[source.id]),
            })
        return self._page(here, "feed.xml", b.title, "", [], feed_id=feed_id,
                          updated=f"{b.as_of.isoformat()}T00:00:00Z", entries=entries,
                          self_url=self._absolute("feed.xml"), home_url=self._absolute(urls.HOME) or "./")

    # ---------------------------------------------------------------- publishing (changes, report)

    def _changes_notice(self, here: str) -> dict[str, Any] | None:
        """The front page's "what's new" line, when there is a baseline and something changed."""
        changes = self.changes
        if changes is None or not changes.has_baseline or not changes.count:
            return None
        return {"since": long_date(dt.date.fromisoformat(changes.baseline_as_of))
                if _is_date(changes.baseline_as_of) else changes.baseline_as_of,
                "summary": ", ".join(changes.summary()), "url": urls.relative(here, urls.WHATSNEW)}

    def whatsnew(self, changes: Changes) -> Page:
        """What changed since the previous edition (see :mod:`generator.changes`)."""
        here = urls.WHATSNEW
        site = self.site

        def item(kind: str, iid: str, label: str, exists: bool) -> dict[str, Any]:
            url = urls.relative(here, urls.item_page(kind + "s", iid)) if exists else None
            return {"kind": kind, "id": iid, "label": label, "url": url}

        def claim(cid: str, old: str, new: str) -> dict[str, Any]:
            home = self.claims.get(cid)
            return {"id": cid, "old_html": self.md.inline(old) if old else "",
                    "new_html": self.md.inline(new) if new else "",
                    "url": urls.relative(here, f"{home.home}#{home.anchor}") if home and new else None,
                    "where": self._claim_home_label(home) if home and new else ""}

        exists: dict[str, Mapping[str, object]] = {"source": site.sources, "actor": site.actors,
                                                   "topic": site.topics}
        since = changes.baseline_as_of
        return self._page(
            here, "whatsnew.html", "What's new",
            f"What changed since {since}." if since else "What changed since the previous edition.",
            [("Briefing", urls.HOME)],
            changes={
                "has_baseline": changes.has_baseline,
                "since": since,
                "since_long": long_date(dt.date.fromisoformat(since)) if _is_date(since) else since,
                "count": changes.count,
                "summary": changes.summary(),
                "added": [item(i.kind, i.id, i.label, i.id in exists[i.kind]) for i in changes.added],
                "removed": [item(i.kind, i.id, i.label, False) for i in changes.removed],
                "status": [{"title": s.title, "old": s.old, "new": s.new,
                            "url": urls.relative(here, urls.item_page("topics", s.id))} for s in changes.status],
                "claims_added": [claim(c.id, c.old, c.new) for c in changes.claims_added],
                "claims_reworded": [claim(c.id, c.old, c.new) for c in changes.claims_reworded],
                "claims_removed": [claim(c.id, c.old, c.new) for c in changes.claims_removed],
            },
        )

    def report(self, findings: Sequence[Finding], checks: Mapping[str, str]) -> Page:
        """The editors' health report: ``findings`` grouped under ``checks`` (check -> heading). Never indexed."""
        here = urls.REPORT
        groups = [{"check": check, "title": title,
                   "findings": [{"location": str(f.location), "message": f.message,
                              "url": urls.relative(here, f.page) if f.page else None}
                             for f in findings if f.check == check]}
                  for check, title in checks.items()]
        page = self._page(here, "report.html", "Health report", "What an editor should fix.",
                          [("Briefing", urls.HOME)], groups=groups, count=len(findings))
        page.context["site"]["noindex"] = True
        return page



@record
class _Meta:
    """:func:`views.meta` as attributes."""

    title: str
    subtitle: str
    as_of: dt.date
    language: str
    direction: str
    has_timeline: bool


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _short_source(source: Head) -> str:
    """What a citation chip shows before the paragraph number: the outlet, else
    the day of publication, else the start of the title."""
    if source.outlet:
        return clip(source.outlet, 24)
    if source.published:
        return f"{source.published.day} {source.published:%b}"
    return clip(source.title, 18)


def _plain_run(text: str) -> dict[str, Any]:
    return {"text": text, "owner": None, "mark": False, "url": None}


def newest_first(months: Iterable[str]) -> list[str]:
    """Months (``2025-10``) newest first, then ``undated`` if it is one of them."""
    found = set(months)
    return sorted(found - {UNDATED}, reverse=True) + ([UNDATED] if UNDATED in found else [])


def month_label(month: str) -> str:
    """``October 2025`` for ``2025-10``."""
    if month == UNDATED:
        return "Undated"
    year, number = month.split("-")
    return f"{_MONTHS[int(number)]} {year}"


def _by_date(sources: Iterable[Head]) -> list[Head]:
    """Newest first; undated last; ties by id."""
    return sorted(sources, key=lambda s: (_age(s.published), s.id))


def _age(published: dt.date | None) -> int:
    """A sort key for sources, newest first, undated last."""
    return 1 if published is None else -published.toordinal()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "briefing"


def _is_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True
