"""The health report: what an editor should fix, as plain data.

``findings(site)`` returns :class:`Finding` values. None of them is an error or
a warning: the briefing builds and is correct; these are gaps in its
coverage. ``briefing check`` prints them after the errors and warnings, and
``briefing build --report`` writes them as a page for editors.

The checks, in the order they are reported:

``uncited-source``       a source that no claim (key point, event, position) cites
``unmentioned-actor``    an actor whose name and aliases occur in no article
``actor-without-summary`` an actor with no ``summary``
``topic-without-key-points`` a topic with no ``key_points``
``claim-without-quote``  a claim none of whose citations is a quote
``alias-never-matches``  an alias that is never a mention (it may still occur
                         inside a longer phrase that wins, such as ``Trump`` in
                         ``Donald Trump``)
``candidate-actor``      a name in the articles that belongs to no actor

**Candidate actors** are found by a deliberately simple, deterministic rule over
the numbered blocks: a *name* is a run of capitalised words (``Khalil al-Hayya``
counts, as do the linking words ``of``, ``de``, ``bin``, ``al``, ``el``, ``van``,
``von``, ``der``, ``da``, ``du`` and ``la`` between two capitalised words). A
single word counts only when it is not the first word of a sentence; a common
sentence opener (``The``, ``In``, ``According``, ...) that starts a run at a
sentence start is dropped. Weekday and month names, words of one letter and
runs that overlap a mention of an actor are not names. A name found in at least
two blocks is a candidate.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from generator import urls
from generator.errors import Location
from generator.frozen import record
from generator.mentions import phrase_key
from generator.model import Site, Span

CHECKS: dict[str, str] = {
    "uncited-source": "Sources no claim cites",
    "unmentioned-actor": "Actors the articles never mention",
    "actor-without-summary": "Actors without a profile summary",
    "topic-without-key-points": "Topics without key points",
    "claim-without-quote": "Claims without a quoted citation",
    "alias-never-matches": "Aliases that never match",
    "candidate-actor": "Names in the articles that belong to no actor",
}
"""Every check, in report order, with its heading."""

MIN_BLOCKS = 2
"""A name must occur in this many numbered blocks to be a candidate actor."""
MAX_CANDIDATES = 30


@record
class Finding:
    """One thing to fix: which check found it, where to fix it, what it is, and the
    page of the site it concerns (a site path, maybe with a ``#fragment``)."""

    check: str
    location: Location
    message: str
    page: str = ""


def findings(site: Site) -> list[Finding]:
    """Every finding, grouped by check in :data:`CHECKS` order, then in file order."""
    out: list[Finding] = []
    out += _uncited_sources(site)
    out += _actors(site)
    out += _topics(site)
    out += _claims(site)
    out += _aliases(site)
    out += _candidates(site)
    order = list(CHECKS)
    return sorted(out, key=lambda f: order.index(f.check))


def _uncited_sources(site: Site) -> Iterator[Finding]:
    cited = {c.source for claim in site.claims for c in claim.cite}
    for source in site.sources.values():
        if source.id not in cited:
            yield Finding("uncited-source", source.at, f"no claim cites source '{source.id}' ({source.title})",
                          urls.item_page("sources", source.id))


def _actors(site: Site) -> Iterator[Finding]:
    for actor in site.actors.values():
        page = urls.item_page("actors", actor.id)
        if not site.actor_mentions.get(actor.id):
            names = ", ".join(f"'{p}'" for p in actor.phrases)
            yield Finding("unmentioned-actor", actor.at, f"actor '{actor.id}' is never mentioned:"
                          f" no article contains {names}; add an alias the articles use", page)
        if not actor.summary.strip():
            yield Finding("actor-without-summary", actor.at, f"actor '{actor.id}' has no summary", page)


def _topics(site: Site) -> Iterator[Finding]:
    for topic in site.topics.values():
        if not topic.key_points:
            yield Finding("topic-without-key-points", topic.at, f"topic '{topic.id}' has no key points",
                          urls.item_page("topics", topic.id))


def _claims(site: Site) -> Iterator[Finding]:
    for claim in site.claims:
        if not any(c.quote is not None for c in claim.cite):
            what = "no citation" if not claim.cite else "no quote among its citations"
            yield Finding("claim-without-quote", claim.at, f"claim '{claim.key}' has {what};"
                          " cite the words that support it", f"{claim.home}#{claim.anchor}")


def _aliases(site: Site) -> Iterator[Finding]:
    matched: set[tuple[str, str]] = set()
    for sid, per_block in site.mentions.items():
        texts = {b.n: b.text for b in site.sources[sid].blocks if b.n is not None}
        for n, spans in per_block.items():
            for span in spans:
                matched.add((span.owners[0], phrase_key(texts[n][span.start:span.end], False)))
    for actor in site.actors.values():
        places = actor.phrase_at or (actor.at,) * len(actor.phrases)
        for alias, at in zip(actor.aliases, places[1:], strict=False):
            if (actor.id, phrase_key(alias, False)) not in matched:
                yield Finding("alias-never-matches", at, f"alias '{alias}' of actor '{actor.id}' never"
                              " matches a mention in the articles", urls.item_page("actors", actor.id))


# ---------------------------------------------------------------- candidate actors

_WORD = re.compile(r"[^\W\d_](?:[\w\u2019'-]*\w)?")
_PARTICLE_NAME = re.compile(r"[a-z]{1,3}-[^\W\d_]")  # al-Hayya, el-Sheikh


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


_LINKS = _wordset("of de bin al el van von der da du la")
_OPENERS = _wordset("""
a an the this that these those there here it its he she they we i you his her their our my your
in on at by for from with without within into after before since during under over about against
but and or so yet if when while as because although though once until unless whether
according meanwhile however also still now then today yesterday tomorrow earlier later
what which who whom whose where why how some many most several all both each every no not
one two three four five six seven eight nine ten first second third last next another other
such only even just more less further despite among between through
""")
_CALENDAR = _wordset("""
monday tuesday wednesday thursday friday saturday sunday january february march april may june
july august september october november december
""")
_SENTENCE_ENDS = ".!?:;\u201c\u201d\"(["


def _capitalised(word: str) -> bool:
    return word[0].isupper() or bool(_PARTICLE_NAME.match(word))


def names_in(text: str, spans: Sequence[Span] = ()) -> list[str]:
    """The names in one block's ``text`` by the rule of the module docstring,
    leaving out those overlapping ``spans`` (the block's actor mentions)."""
    words = [(m.start(), m.end(), _strip_possessive(m.group())) for m in _WORD.finditer(text)]
    names: list[str] = []
    i = 0
    while i < len(words):
        if not _capitalised(words[i][2]):
            i += 1
            continue
        run = [words[i]]
        j = i + 1
        while j < len(words) and text[run[-1][1]:words[j][0]] == " ":
            word = words[j][2]
            if _capitalised(word):
                run.append(words[j])
            elif (word in _LINKS and j + 1 < len(words) and text[words[j][1]:words[j + 1][0]] == " "
                  and _capitalised(words[j + 1][2])):
                run += [words[j], words[j + 1]]
                j += 1
            else:
                break
            j += 1
        i = j
        at_start = _sentence_start(text, run[0][0])
        if at_start and run[0][2].casefold() in _OPENERS:
            run, at_start = run[1:], False
        while run and run[-1][2] in _LINKS:
            run = run[:-1]
        if not run or (len(run) == 1 and (at_start or len(run[0][2]) < 2)):
            continue
        if len(run) == 1 and run[0][2].casefold() in _CALENDAR | _OPENERS:
            continue
        start, end = run[0][0], run[-1][1]
        if any(s.start < end and start < s.end for s in spans):
            continue
        names.append(" ".join(w for _, _, w in run))
    return names


def _sentence_start(text: str, start: int) -> bool:
    """Whether the word at ``start`` begins the block or follows the end of a
    sentence, a colon or an opening quote or bracket."""
    before = text[max(0, start - 40):start].rstrip()
    return (not before and start <= 40) or (bool(before) and before[-1] in _SENTENCE_ENDS)


def _strip_possessive(word: str) -> str:
    for suffix in ("\u2019s", "'s", "\u2019", "'"):
        if word.endswith(suffix) and len(word) > len(suffix):
            return word[: -len(suffix)]
    return word


def _candidates(site: Site) -> Iterator[Finding]:
    phrases = {phrase_key(p, False) for a in site.actors.values() for p in a.phrases}
    seen: dict[str, list[tuple[str, int]]] = {}
    for sid, source in site.sources.items():
        mentions = site.mentions.get(sid, {})
        for block in source.blocks:
            if block.n is None:
                continue
            for name in dict.fromkeys(names_in(block.text, mentions.get(block.n, ()))):
                if phrase_key(name, False) not in phrases:
                    seen.setdefault(name, []).append((sid, block.n))
    ranked = sorted(((name, refs) for name, refs in seen.items() if len(refs) >= MIN_BLOCKS),
                    key=lambda kv: (-len(kv[1]), kv[0]))
    for name, refs in ranked[:MAX_CANDIDATES]:
        sid, n = refs[0]
        where = ", ".join(f"{s} ¶{k}" for s, k in refs[:6]) + (", ..." if len(refs) > 6 else "")
        yield Finding("candidate-actor", Location(f"seeds/{site.sources[sid].file}"),
                      f"'{name}' occurs in {len(refs)} passages ({where}) but belongs to no actor;"
                      " add it as an actor or as an alias", urls.block_link(sid, n))
