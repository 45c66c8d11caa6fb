"""``briefing new``: a new briefing folder, or one new actor, topic or source file.

Every file written here passes ``briefing check`` with no error and no warning,
and the example briefing has nothing in its health report either. Nothing is
ever overwritten: a file that exists is an error (:class:`UsageError`) and the
command writes nothing at all.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path

import yaml

from generator.errors import UsageError

KINDS = ("actor", "topic", "source")

_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")

_EXAMPLE: Mapping[str, str] = {
    "content/briefing.yaml": """\
# The briefing: the bottom line first. Docs: docs/content.md in the briefing repository.
title: Harbour dispute
subtitle: Talks between the port authority and the dockworkers' union
as_of: 2025-01-15
summary: |
  The port authority and the dockworkers' union are talking again after a
  week-long strike. Pay is the open question.
key_points:
  - text: The strike ended after a week.
    cite:
      - "harbour-report: ended their week-long strike"
    actors: [dockworkers-union]
    topics: [pay]
watch:
  - Whether the union accepts the new pay offer.
events:
  - date: 2025-01-14
    text: The dockworkers return to work.
    cite:
      - "harbour-report: returned to work on Tuesday"
    actors: [dockworkers-union]
# base_url: https://example.org/briefing/   # where the site will be published
""",
    "content/sources/harbour-report.yaml": """\
file: harbour-report.txt
title: Dockworkers end strike as pay talks resume
outlet: Example Gazette
published: 2025-01-14
summary: |
  The union returned to work on Tuesday; pay talks with the port authority resume.
key_points:
  - text: The port authority offered a pay rise of four percent.
    cite:
      - {source: harbour-report, quote: "offered a pay rise of four percent"}
    actors: [port-authority]
    topics: [pay]
""",
    "content/actors/dockworkers-union.yaml": """\
name: Dockworkers' Union
kind: organisation
aliases: [the union]
role: Represents the harbour's dockworkers
summary: |
  The union that called the strike.
positions:
  - topic: pay
    stance: Wants more than the four percent offered.
    cite:
      - "harbour-report: the union says four percent is not enough"
""",
    "content/actors/port-authority.yaml": """\
name: Port Authority
kind: organisation
role: Runs the harbour
summary: |
  The employer in the dispute.
""",
    "content/topics/pay.yaml": """\
title: Pay
status: open
summary: |
  How much the dockworkers' pay rises this year.
keywords: [pay, four percent]
key_points:
  - text: The offer on the table is four percent.
    cite:
      - {source: harbour-report, quote: "offered a pay rise of four percent"}
open_questions:
  - Will the union accept the offer?
""",
    "seeds/harbour-report.txt": """\
Dockworkers end strike as pay talks resume
The Dockworkers' Union returned to work on Tuesday and ended their week-long strike.
The Port Authority offered a pay rise of four percent, and talks resume next week.
A spokesperson said the union says four percent is not enough.
""",
    ".gitignore": "/site/\n/.site.spare/\n/.briefing-cache/\n",
}

_ACTOR = """\
name: {name}
kind: person          # person, organisation, country or group
# aliases: []         # other names the articles use for this actor (case counts)
# role: ""
# affiliation: some-actor-id
# summary: |
#   Who this is, in two or three sentences.
# positions:
#   - topic: some-topic-id
#     stance: What this actor wants.
#     cite:
#       - "some-source-id: the words that show it"
"""

_TOPIC = """\
title: {name}
status: open          # open, agreed, disputed, stalled or resolved
# summary: |
#   Where things stand, in two or three sentences.
# keywords: []        # words that mark a passage as about this topic (any case)
# key_points:
#   - text: A statement.
#     cite:
#       - "some-source-id: the words that support it"
# open_questions: []
# related: []
"""

_SOURCE = """\
file: {file}
title: {title}
# outlet: ""
# published: 2025-01-31
# url: https://...
# summary: |
#   What the article says, in two or three sentences.
# key_points:
#   - text: A statement.
#     cite:
#       - "{id}: the words that support it"
"""


def new_briefing(root: Path) -> list[Path]:
    """Write the example briefing into ``root`` (created if needed); returns the
    files written. Raises :class:`UsageError` if any of them exists."""
    targets = {root / rel: text for rel, text in _EXAMPLE.items()}
    if (root / "content" / "briefing.yaml").exists():
        raise UsageError(f"refusing to overwrite: {root} already holds a briefing (content/briefing.yaml)")
    _refuse_existing(list(targets))
    for path, text in targets.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return list(targets)


def new_item(root: Path, kind: str, name: str, file: str | None = None) -> Path:
    """Write ``content/<kind>s/<id>.yaml`` for ``name``; returns its path.

    The id is ``name`` made into an id (``Khalil al-Hayya`` -> ``khalil-al-hayya``).
    A source needs its article: ``file`` (a file in ``seeds/``), or ``name`` may
    itself be that file, and the id is then made from the file's stem. Raises
    :class:`UsageError` when the kind is unknown, no id can be made, the article
    is missing, or the file exists.
    """
    if kind not in KINDS:
        raise UsageError(f"unknown kind '{kind}': choose actor, topic or source")
    if not (root / "content").is_dir():
        raise UsageError(f"{root} holds no content/ folder; create a briefing first with: briefing new {root}")
    name = name.strip()
    seed: Path | None = None
    if kind == "source":
        seed = _seed_for(root, name, file)
        item_id = make_id(Path(name).stem if file is None else name)
    else:
        item_id = make_id(name)
    if not item_id:
        raise UsageError(f"cannot make an id from '{name}'; use letters or digits")
    target = root / "content" / f"{kind}s" / f"{item_id}.yaml"
    _refuse_existing([target])
    if kind == "actor":
        text = _ACTOR.format(name=_yaml_str(name))
    elif kind == "topic":
        text = _TOPIC.format(name=_yaml_str(name))
    else:
        assert seed is not None
        text = _SOURCE.format(file=_yaml_str(seed.name), title=_yaml_str(_first_line(seed) or name),
                              id=item_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return target


# Latin letters that are not a base letter plus accents, so NFKD leaves them whole
# and the ASCII step would drop them ("Ørsted" -> "rsted").
_LATIN = str.maketrans({"ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ß": "ss",
                        "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "ł": "l", "Ł": "L", "þ": "th",
                        "Þ": "TH", "\u0131": "i", "ħ": "h", "Ħ": "H"})  # U+0131: dotless i


def make_id(name: str) -> str:
    """``name`` as an id: ASCII letters (accents dropped, ``ø``, ``ß`` and the like
    spelt out) and digits, lower case, words joined by single hyphens; "" when
    nothing is left."""
    ascii_text = unicodedata.normalize("NFKD", name.translate(_LATIN)).encode("ascii", "ignore").decode("ascii")
    words = re.findall(r"[a-z0-9]+", ascii_text.replace("'", "").lower())
    return "-".join(words)[:80].strip("-")


def _seed_for(root: Path, name: str, file: str | None) -> Path:
    wanted = Path(file if file is not None else name)
    seeds = root / "seeds"
    candidates = [seeds / wanted.name] if wanted.parent in (Path("."), Path("seeds")) else []
    for path in candidates:
        if path.is_file() and path.suffix in (".txt", ".md"):
            owner = _source_of(root, path.name)
            if owner is not None:
                raise UsageError(f"{path.name} is already the article of source '{owner}'"
                                 f" (content/sources/{owner}.yaml)")
            return path
    hint = "" if file is not None else f" (or: briefing new source {name} --file ARTICLE)"
    raise UsageError(f"no article {wanted.name} in {seeds}: put the article (.txt or .md) in seeds/ first{hint}")


def _source_of(root: Path, article: str) -> str | None:
    """The id of the source whose ``file`` is ``article``, if one exists."""
    for path in sorted((root / "content" / "sources").glob("*.yaml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue  # ``briefing check`` reports a broken file; here it names no article
        if isinstance(data, dict) and data.get("file") == article:
            return path.stem
    return None


def _first_line(path: Path) -> str:
    try:
        for line in path.read_text(encoding="utf-8-sig").splitlines():
            line = line.strip().lstrip("#").strip()
            if line:
                return line[:120]
    except (OSError, UnicodeDecodeError):
        pass
    return ""


def _yaml_str(text: str) -> str:
    """``text`` as a double-quoted YAML scalar (always safe, whatever it holds)."""
    escaped = " ".join(text.split()).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _refuse_existing(paths: list[Path]) -> None:
    existing = [p for p in paths if p.exists() or p.is_symlink()]
    if existing:
        raise UsageError("refusing to overwrite " + ", ".join(str(p) for p in existing))
