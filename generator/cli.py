"""The ``briefing`` command line.

Exit status: 0 success, 1 the briefing has errors (or the output cannot be
written), 2 the command line itself is wrong.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, NoReturn, TextIO

from generator import __version__
from generator.progress import ProgressDisplay

if TYPE_CHECKING:
    import argparse

    from generator import health, prefetch
    from generator.errors import Diagnostic

EXIT_OK, EXIT_CONTENT, EXIT_USAGE = 0, 1, 2

_DESCRIPTION = """\
Turn a folder of articles (seeds/) and short YAML summaries (content/) into a
static briefing site: a front page with the bottom line, one page per actor,
topic and source, every claim linked to the paragraph that supports it.

A briefing folder looks like this:

  seeds/                 the articles: *.txt or *.md
  content/briefing.yaml  title, as_of, summary, key_points, watch, events
  content/sources/*.yaml one summary per article (file, title, key_points, ...)
  content/actors/*.yaml  people, organisations, countries, groups
  content/topics/*.yaml  the issues under negotiation
  content/static/        optional files copied as they are (CNAME, images)
  templates/             optional: your templates override the built-in ones
"""

_EPILOG = """\
examples:
  briefing build                     build ./ into ./site
  briefing build --root ~/gaza-talks --out /tmp/site
  briefing check                     report every problem, write nothing
  briefing build --single-file briefing.html   also write the whole briefing as one file
  briefing new my-briefing           start a new briefing (with a small example)
  briefing new actor "Jane Doe"      add content/actors/jane-doe.yaml
  briefing serve                     preview at http://127.0.0.1:8000/, reloads on save

Errors read like a compiler's: content/actors/bob.yaml:4:3: error: unknown key
'rol' (did you mean 'role'?). Every problem is reported in one run.
Documentation: docs/content.md (the format), docs/cli.md (the commands).
"""


def run() -> NoReturn:
    """The ``briefing`` command: :func:`main`, then the process ends.

    Without interpreter shutdown: a build leaves a large heap behind (its state,
    templates, modules), and freeing it object by object took 40 to 70 ms of a
    one-article edit's build at 10,000 articles. Everything the command does is
    done by then (files written and closed, workers and threads joined); only
    the output is flushed. What a build made is kept (``keep``) until then:
    freeing it object by object as the build returned took 0.19 s of a
    10,000-article cold build."""
    made: list[object] = []
    code = main(keep=made)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe (``briefing build | head``): nothing more to say
        code = code or EXIT_USAGE
    os._exit(code)


def main(argv: Sequence[str] | None = None, keep: list[object] | None = None) -> int:
    """Run the command line; returns the exit status. ``keep`` is given what a
    build made, for a caller that ends the process without freeing it (:func:`run`)."""
    words = list(sys.argv[1:] if argv is None else argv)
    # A plain ``briefing build``: its helper forked before argparse is even
    # imported (see _early_helper); a wrong guess is closed below.
    early = _early_helper(words)
    try:
        parser = _parser()
        args = parser.parse_args(words)
    except BaseException:  # --help, a usage error: the helper is of no use
        if early is not None:
            early.close()
        raise
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    if args.command in ("build", "check") and early is None:
        _keep_freed_memory()
    args.keep = keep
    with _uncollected():
        if args.command == "build":
            # First thing, before the rest of the generator is imported (see _helper).
            args.helper = _helper(args, early)
        from generator.errors import BriefingError, OutputError, UsageError

    try:
        result: int = args.run(args)
        return result
    except UsageError as exc:
        print(f"briefing: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OutputError as exc:
        print(f"briefing: error: {exc}", file=sys.stderr)
        return EXIT_CONTENT
    except BriefingError as exc:
        print(f"briefing: error: {exc}", file=sys.stderr)
        return EXIT_CONTENT
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    import argparse  # after the guess at a build's command line: see _early_helper

    parser = argparse.ArgumentParser(
        prog="briefing", description=_DESCRIPTION, epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"briefing {__version__}")
    parser.set_defaults(command=None)
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    p = sub.add_parser("build", help="build the site into ROOT/site (or --out)",
                       description="Build the briefing into a static site. The new site is written"
                       " aside and swapped in only when complete: a failed build leaves the previous"
                       " site exactly as it was.")
    _root_option(p)
    p.add_argument("--out", type=Path, metavar="DIR", help="where to write the site (default: ROOT/site)")
    p.add_argument("--drafts", action="store_true", help="include files marked 'draft: true'")
    p.add_argument("--base-url", metavar="URL",
                   help="public address of the site (https://...): makes canonical, sitemap, feed"
                   " and Open Graph URLs absolute; overrides base_url in briefing.yaml")
    p.add_argument("--noindex", action="store_true",
                   help="ask search engines not to index the site (not access control)")
    p.add_argument("--no-search", action="store_true",
                   help="skip the full-text search index (faster on very large briefings; the search"
                   " page then says search is unavailable)")
    p.add_argument("--single-file", type=Path, metavar="FILE",
                   help="also write the whole briefing as one self-contained HTML file (to mail, share"
                   " or read offline)")
    p.add_argument("--previous", type=Path, metavar="PATH",
                   help="the previous edition to list changes against: a copy of the published site, or its"
                   " data/briefing.json (default: the output folder)")
    p.add_argument("--report", action="store_true",
                   help="also write the editors' health report to _report/index.html (not for publishing)")
    p.add_argument("-q", "--quiet", action="store_true", help="print only errors and warnings")
    p.set_defaults(command="build", run=_run_build)

    p = sub.add_parser("check", help="validate everything, write nothing",
                       description="Read and validate the whole briefing (YAML, articles, citations,"
                       " mentions, templates) and print every error and warning. Writes nothing.")
    _root_option(p)
    p.add_argument("--drafts", action="store_true", help="check as if drafts were published")
    p.add_argument("--no-health", action="store_true", help="print only errors and warnings, no health report")
    p.set_defaults(command="check", run=_run_check)

    p = sub.add_parser("serve", help="preview at http://127.0.0.1:8000/, rebuilding on every save",
                       description="Build the briefing, serve it, and rebuild on every save under"
                       " seeds/, content/ and templates/; open tabs reload by themselves. A broken"
                       " edit keeps the last good site, with the errors shown over it."
                       " Ctrl-C stops.")
    _root_option(p)
    p.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default: 127.0.0.1, this machine only)")
    p.add_argument("--open", action="store_true", help="open the site in the web browser")
    p.add_argument("--drafts", action="store_true", help="include files marked 'draft: true'")
    p.set_defaults(command="serve", run=_run_serve)

    p = sub.add_parser("new", help="start a briefing, or add an actor, topic or source",
                       usage="briefing new [DIR]\n       briefing new {actor,topic,source} NAME [--root DIR]"
                       " [--file ARTICLE]",
                       description="'briefing new [DIR]' creates a briefing folder (default: the current"
                       " directory) holding a small example that builds. 'briefing new actor|topic|source"
                       " NAME' adds content/<kind>s/<id>.yaml from a template, the id made from NAME; for"
                       " a source, NAME is the article's file in seeds/ (or give --file). Never overwrites.")
    p.add_argument("what", nargs="?", default=None, metavar="DIR|KIND", help="a folder, or actor, topic, source")
    p.add_argument("name", nargs="?", default=None, metavar="NAME", help="the new item's name")
    p.add_argument("--root", type=Path, default=Path("."), metavar="DIR",
                   help="the briefing folder to add to (default: the current directory)")
    p.add_argument("--file", metavar="ARTICLE", help="for a source: its article in seeds/")
    p.set_defaults(command="new", run=_run_new)
    return parser


def _root_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--root", type=Path, default=Path("."), metavar="DIR",
                   help="the briefing folder (default: the current directory)")


def _helper(args: argparse.Namespace, early: prefetch.Helper | None = None) -> prefetch.Helper | None:
    """The helper that takes the looks at every file (see ``generator.prefetch``)
    while the rest of the generator is imported: forked before anything else is
    (the model's dataclasses alone take 20 ms), with the few small modules it
    needs. ``early``: the one forked on a guess at the command line (see
    :func:`_early_helper`), used if it was forked for this very build."""
    choices = _choices(args) if args.previous is None and args.single_file is None else None
    if early is not None and choices is not None and early.asked(args.root, _out(args), choices):
        return early
    if early is not None:
        early.close()
    if choices is None:
        return None
    from generator import prefetch

    return prefetch.start(args.root, _out(args), choices)


def _out(args: argparse.Namespace | SimpleNamespace) -> Path:
    """Where ``briefing build`` writes the site."""
    out: Path = args.out if args.out is not None else args.root / "site"
    return out


def _choices(args: argparse.Namespace | SimpleNamespace) -> dict[str, object]:
    """What of the parsed ``build`` command line its fingerprint covers: the
    keyword arguments of ``fingerprint.covered``."""
    return {"drafts": args.drafts, "base_url": args.base_url, "noindex": args.noindex,
            "search": not args.no_search, "report": args.report}


def _early_helper(words: Sequence[str]) -> prefetch.Helper | None:
    """The helper of a ``briefing build`` (see :func:`_helper`), forked before
    the command line is parsed, when :func:`_guess` can read it.

    What the command did before forking its helper delayed the helper's looks
    by as much: argparse and the making of its parser came before the fork. It
    now comes 46 to 63 ms after the command's script begins, against 50 to
    80 ms (the rest is what the helper needs too: pathlib, typing, the pipe's
    pickle). The guess is only a guess:
    :func:`_helper` keeps this helper only when it was forked for the build
    argparse then reads, and ``build`` uses its looks only when they are those
    of the build it runs. A wrong guess costs time, never a wrong site."""
    guessed = _guess(words)
    if guessed is None:
        return None
    _keep_freed_memory()  # before the fork: the helper's allocations are kept too
    from generator import prefetch

    return prefetch.start(guessed.root, _out(guessed), _choices(guessed))


def _guess(words: Sequence[str]) -> SimpleNamespace | None:
    """The options of ``briefing build`` with ``words`` that its helper needs,
    as argparse will read them, for the plain spellings only (each option in
    full, a value after a space or an ``=``); None for anything else (another
    command, ``--help``, an abbreviation, ``--single-file``...)."""
    if not words or words[0] != "build":
        return None
    given: dict[str, str | bool | None] = {"root": ".", "out": None, "base_url": None,
                                            **dict.fromkeys(_GUESSED_FLAGS.values(), False)}
    rest = iter(words[1:])
    for word in rest:
        name, eq, value = word.partition("=")
        if name in _GUESSED_VALUES:
            if not eq:
                value = next(rest, "-")
                if value.startswith("-"):
                    return None  # argparse takes it for an option, or it is missing: let it say so
            given[_GUESSED_VALUES[name]] = value
        elif word in _GUESSED_FLAGS:
            given[_GUESSED_FLAGS[word]] = True
        else:
            return None
    found = SimpleNamespace(**given)
    found.root = Path(str(found.root))
    found.out = None if found.out is None else Path(str(found.out))
    return found


_GUESSED_VALUES = {"--root": "root", "--out": "out", "--base-url": "base_url"}
_GUESSED_FLAGS = {"--drafts": "drafts", "--noindex": "noindex", "--no-search": "no_search",
                  "--report": "report", "--quiet": "quiet", "-q": "quiet"}
"""The options of ``build`` that :func:`_guess` reads, by the name argparse gives them."""


def _keep_freed_memory() -> None:
    """Have the C allocator keep the memory a build frees, for its next
    allocations, rather than hand it back to the system at once (glibc only;
    elsewhere, nothing).

    Each page a process touches for the first time costs a page fault: 4 to 6 µs
    on this kind of machine (a virtual machine whose host maps the memory in
    lazily), which is 1.2 ms a megabyte. By default glibc gives every block
    over 128 KB its own mapping and unmaps it when freed, and gives back the
    free top of its heap, so each large buffer a build makes and drops (a value
    of the state read and unpickled, a manifest parsed) is faulted in anew.
    Kept, a one-article edit at 10,000 articles took 23,900 faults instead of
    28,200, and 0.620 s instead of 0.638 s (medians of 20 side by side). For
    the commands that end when their build does (``build``, ``check``): the
    live preview runs for hours, and its memory is given back as usual."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return  # no C library to ask
    mallopt(_M_MMAP_THRESHOLD, 32 << 20)  # glibc's largest: blocks up to 32 MB from the heap
    mallopt(_M_TRIM_THRESHOLD, 1 << 30)  # and the heap's free top kept


_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


@contextlib.contextmanager
def _uncollected() -> Iterator[None]:
    """The cycle collector, paused while the generator's modules are imported;
    what they made is then frozen (``gc.freeze``). Modules, classes and their
    functions live as long as the process, yet the collector walked them again
    and again as they were made: 15 to 25 ms of a one-article edit's build at
    10,000 articles."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def _run_build(args: argparse.Namespace) -> int:
    with _uncollected():
        from generator.build import BuildOptions, build
        from generator.errors import ContentError
        from generator.update import Progress, no_progress

    helper: prefetch.Helper | None = getattr(args, "helper", None)

    options = BuildOptions(root=args.root, out=args.out, drafts=args.drafts, base_url=args.base_url,
                           noindex=args.noindex, search=not args.no_search, single_file=args.single_file,
                           report=args.report,
                           previous=args.previous)
    shown: contextlib.AbstractContextManager[Progress] = (
        contextlib.nullcontext(no_progress) if args.quiet else ProgressDisplay(sys.stderr))
    try:
        with shown as progress:
            result = build(options, progress=progress, helper=helper, keep=getattr(args, "keep", None))
    except ContentError as exc:
        _report(exc.diagnostics, sys.stderr)
        print("briefing: build failed; the previous site was left as it was", file=sys.stderr)
        return EXIT_CONTENT
    _report(list(result.warnings), sys.stderr)
    if not args.quiet:
        print(f"Built {result.pages} pages ({result.files} files) into {result.out} in"
              f" {result.seconds:.2f} s: {result.reused} pages reused unrendered; files:"
              f" {result.written} written, {result.kept} unchanged, {result.removed} removed.")
        if args.single_file is not None:
            print(f"Wrote the one-file briefing to {args.single_file}.")
        if args.report:
            print(f"Wrote the health report to {result.out / '_report' / 'index.html'} (do not publish it).")
    return EXIT_OK


def _run_serve(args: argparse.Namespace) -> int:
    import webbrowser

    from generator.build import BuildOptions, preview_builder
    from generator.errors import BriefingError
    from generator.places import builtin_templates
    from generator.serve import DevServer

    options = BuildOptions(root=args.root, drafts=args.drafts)
    # The preview folder is the server's own temporary folder: nothing else writes there.
    builder = preview_builder(options, own_out=True)

    paths = options.paths
    if not paths.content.is_dir():
        # As `briefing build` says it, with its exit status: the folder's fault, not the command line's.
        raise BriefingError(f"{args.root} is not a briefing folder: it has no content/ folder"
                            " (start one with 'briefing new DIR', or pass --root)")
    # All three, even if one does not exist yet: the watcher notices when it appears.
    watched = [paths.seeds, paths.content, paths.templates]
    builtin = builtin_templates()
    if not any(part in ("site-packages", "dist-packages") for part in builtin.parts):
        watched.append(builtin)  # running from a checkout: template work reloads too
    server = DevServer(builder, watched, host=args.host, port=args.port, base=args.root)
    server.start()
    print(f"Serving {args.root.resolve()} at {server.url} (Ctrl-C to stop)", flush=True)
    if args.open:
        webbrowser.open(server.url)
    try:
        server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    print("Stopped.", flush=True)
    return EXIT_OK


def _run_check(args: argparse.Namespace) -> int:
    from generator.build import BuildOptions, check_health

    diagnostics, findings = check_health(BuildOptions(root=args.root, drafts=args.drafts, search=False))
    _report(diagnostics, sys.stdout)
    if any(d.severity == "error" for d in diagnostics):
        return EXIT_CONTENT
    if not diagnostics:
        print("No problems found.")
    if not args.no_health:
        _health(findings, sys.stdout)
    return EXIT_OK


def _health(findings: Sequence[health.Finding], stream: TextIO) -> None:
    """The health section: advice, not problems; it never changes the exit status."""
    from generator import health

    if not findings:
        print("Health: nothing to fix.", file=stream)
        return
    print(f"\nHealth: {_plural(len(findings), 'thing')} an editor could fix (the site builds as it is):",
          file=stream)
    for check, title in health.CHECKS.items():
        group = [f for f in findings if f.check == check]
        if group:
            print(f"  {title} ({len(group)}):", file=stream)
            for f in group:
                print(f"    {f.location}: {f.message}", file=stream)


def _run_new(args: argparse.Namespace) -> int:
    from generator import scaffold  # the other commands do not need it: see _run_build
    from generator.errors import UsageError

    if args.what in scaffold.KINDS:
        if not args.name:
            raise UsageError(f"give the new {args.what}'s name: briefing new {args.what} NAME")
        path = scaffold.new_item(args.root, args.what, args.name, args.file)
        print(f"Created {path}")
        return EXIT_OK
    if args.name is not None or args.file is not None:
        raise UsageError("'briefing new DIR' takes only a folder; to add an item: briefing new actor|topic|source NAME")
    root = Path(args.what) if args.what is not None else args.root
    written = scaffold.new_briefing(root)
    print(f"Created a briefing in {root} ({len(written)} files). Next:")
    print(f"  briefing build --root {root}      then open {root / 'site' / 'index.html'}")
    print(f"  briefing check --root {root}      report problems and what to improve")
    return EXIT_OK


def _report(diagnostics: Sequence[Diagnostic], stream: TextIO) -> None:
    color = stream.isatty() and "NO_COLOR" not in os.environ
    for d in diagnostics:
        label: str = d.severity
        if color:
            label = f"\033[1;{31 if d.severity == 'error' else 33}m{label}\033[0m"
        print(f"{d.location}: {label}: {d.message}", file=stream)
    errors = sum(1 for d in diagnostics if d.severity == "error")
    warnings = len(diagnostics) - errors
    if diagnostics:
        print(f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')}", file=stream)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
