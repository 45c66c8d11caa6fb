"""The write stage: the whole site into a fresh directory, then swapped in.

The new site is written beside the output directory and exchanged with it in
one atomic step (``renameat2(RENAME_EXCHANGE)`` on Linux; two renames
elsewhere), so a reader, a web server or a killed build only ever sees the old
site or the complete new one. A file whose bytes did not change is hard-linked
from the previous build instead of rewritten, so its mtime stays and rsync-style
deploys upload only what changed.

An output directory is only ever replaced when it is empty or holds our marker
file: we never delete a folder we did not make.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import json
import os
import posixpath
import shutil
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from generator.errors import OutputError

MARKER = ".briefing-site"
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


@dataclass(frozen=True, slots=True)
class Kept:
    """A file the build did not make again: the one at the same path in the
    current site, whose bytes have this SHA-256 (see ``render.Renderer``)."""

    digest: str


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What the write changed: files written anew and files kept from the last build."""

    written: int
    kept: int
    removed: int


def check_output(out: Path, root: Path) -> None:
    """Raise :class:`OutputError` unless ``out`` may be (re)placed by a build."""
    out_abs, root_abs = out.resolve(), root.resolve()
    if root_abs == out_abs or root_abs.is_relative_to(out_abs):
        raise OutputError(f"refusing to write the site to {out}: it contains the briefing itself")
    for part in ("content", "seeds", "templates"):
        if out_abs.is_relative_to(root_abs / part):
            raise OutputError(f"refusing to write the site inside {part}/ ({out}); the default is ROOT/site")
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise OutputError(f"refusing to replace {out}: it is not a directory")
    if out.is_dir() and not (out / MARKER).is_file() and any(out.iterdir()):
        raise OutputError(
            f"refusing to replace {out}: it is not empty and was not made by briefing"
            f" (no {MARKER} file in it). Choose another --out, or empty it first."
        )


def write_site(out: Path, files: Mapping[str, bytes | Kept],
               then: Callable[[], object] | None = None) -> WriteResult:
    """Write ``files`` (site path -> bytes, or :class:`Kept` for a file of the
    current site) as the new content of ``out``, atomically. ``then`` runs once
    the new site is in place, while the previous one is being deleted (on a
    large site that takes as long as the rest of an incremental build).

    Raises :class:`OutputError` when the directory cannot be written.
    """
    _clean_strays(out)
    previous = _manifest(out)
    staging = out.parent / f".{out.name}.tmp-{os.getpid()}-{os.urandom(4).hex()}"
    manifest: dict[str, str] = {}
    kept = written = 0
    try:
        staging.mkdir(parents=True)
        # Plain string paths: pathlib's per-call cost shows on a 10,000-page site.
        stage, current = os.fspath(staging), os.fspath(out)
        made_dirs = {""}
        for rel, data in sorted(files.items()):
            digest = data.digest if isinstance(data, Kept) else hashlib.sha256(data).hexdigest()
            manifest[rel] = digest
            folder = posixpath.dirname(rel)
            if folder not in made_dirs:
                os.makedirs(os.path.join(stage, folder), exist_ok=True)
                made_dirs.add(folder)
            target = os.path.join(stage, rel)
            if previous.get(rel) == digest and _link(os.path.join(current, rel), target):
                kept += 1
            elif isinstance(data, Kept):
                shutil.copy2(os.path.join(current, rel), target)  # no hard links on this file system
                kept += 1
            else:
                with open(target, "wb") as f:
                    f.write(data)
                written += 1
        (staging / MARKER).write_text(
            json.dumps({"generator": "briefing", "files": manifest}, indent=0, sort_keys=True) + "\n",
            encoding="utf-8",
        )
        _swap(staging, out)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise OutputError(f"cannot write the site to {out}: {exc.strerror or exc}") from None
    # ``staging`` now holds the previous site.
    remover = threading.Thread(target=shutil.rmtree, args=(staging,), kwargs={"ignore_errors": True},
                               name="briefing-remove-old-site")
    remover.start()
    try:
        if then is not None:
            then()
    finally:
        remover.join()
    removed = len(set(previous) - set(files))
    return WriteResult(written=written, kept=kept, removed=removed)


def contents(out: Path, files: Mapping[str, bytes | Kept]) -> dict[str, bytes]:
    """``files`` with every kept file's bytes read from the current site."""
    return {rel: (data if isinstance(data, bytes) else (out / rel).read_bytes()) for rel, data in files.items()}


def manifest(out: Path) -> dict[str, str]:
    """SHA-256 by site path of every file of the site now in ``out``, as its build wrote them."""
    return _manifest(out)


def _manifest(out: Path) -> dict[str, str]:
    """The previous build's file hashes, trusted only when the file still exists."""
    try:
        data = json.loads((out / MARKER).read_text(encoding="utf-8"))
        files = data.get("files", {})
        return {str(k): str(v) for k, v in files.items()} if isinstance(files, dict) else {}
    except (OSError, ValueError, AttributeError):
        return {}


def _link(old: str, new: str) -> bool:
    """Hard-link an unchanged file from the previous build; False if impossible."""
    try:
        os.link(old, new)
        return True
    except OSError:
        return False


def _swap(staging: Path, out: Path) -> None:
    if not out.exists():
        os.rename(staging, out)
        return
    if sys.platform.startswith("linux") and _exchange(staging, out):
        return
    # Fallback without an atomic exchange: two renames, with a short window in
    # which ``out`` is missing (never half-written).
    old = out.parent / f".{out.name}.old-{os.getpid()}-{os.urandom(4).hex()}"
    os.rename(out, old)
    os.rename(staging, out)
    os.rename(old, staging)


def _exchange(a: Path, b: Path) -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EXDEV, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err))


def _clean_strays(out: Path) -> None:
    """Remove what a killed build left beside ``out`` (its process is gone)."""
    if not out.parent.is_dir():
        return
    for entry in out.parent.glob(f".{out.name}.*-*-*"):
        kind, _, rest = entry.name.removeprefix(f".{out.name}.").partition("-")
        pid = rest.split("-", 1)[0]
        if kind in ("tmp", "old") and pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(entry, ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
