"""Run folders and single output files: never lose or clobber anyone's files.

A **run folder** (:class:`RunFolder`) is where a command writes everything it makes.  The run is
written into a temporary folder beside the target and only moved into place when it finished,
with ``manifest.json`` (``"status": "complete"``, every file made, its size and SHA-256) written
last: a folder with that manifest is a finished run, anything else is not.  An interrupted or
failed run removes its temporary folder and leaves the target as it was.

Rules for the target folder:

- missing or empty: the finished run is renamed into place;
- made by Clearwater (it holds a complete manifest): the files the old manifest lists, and that
  are still as Clearwater wrote them, are replaced, so no stale file of an older run survives;
  anything else in the folder (a file someone added or changed) is kept and never deleted; a
  changed file the new run would overwrite is refused unless ``force``;
- not empty and not made by Clearwater: refused unless ``force``; with ``force`` the run's files
  are added to it (same names replaced) and nothing else is touched.

A **single output file** (:class:`OutputFile`, e.g. ``pathways --out FILE``) is written through a
temporary file renamed into place; it never replaces one of the command's input files, and
never replaces an existing file unless ``force``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from clearwater.errors import ClearwaterError

MANIFEST = "manifest.json"
COMPLETE = "complete"
_TMP = ".clearwater-tmp-"
_OLD = ".clearwater-old-"


def _explain(exc: OSError) -> str:
    return exc.strerror or exc.__class__.__name__


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file beside it, renamed into place."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:40]}{_TMP}")
    except OSError as exc:
        raise ClearwaterError(f"cannot write in {path.parent}: {_explain(exc)}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically (see :func:`atomic_write_bytes`)."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_manifest(folder: str | Path, name: str = MANIFEST) -> dict[str, Any] | None:
    """The complete Clearwater manifest of ``folder``, or None if it has none (or not complete)."""
    path = Path(folder) / name
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("status") != COMPLETE:
        return None
    if not isinstance(doc.get("files"), list):
        return None
    return doc


def _listed(folder: Path, manifest: Mapping[str, Any]) -> dict[str, str]:
    """Relative path -> sha256 of the files a manifest lists (only safe relative paths)."""
    out: dict[str, str] = {}
    for item in manifest.get("files", []):
        if not isinstance(item, dict):
            continue
        rel, digest = item.get("path"), item.get("sha256")
        if not isinstance(rel, str) or not isinstance(digest, str):
            continue
        p = Path(rel)
        if p.is_absolute() or ".." in p.parts or not rel:
            continue
        out[p.as_posix()] = digest
    return out


def _files_under(folder: Path) -> list[str]:
    return sorted(
        p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() or p.is_symlink()
    )


def _prune_empty_dirs(folder: Path) -> None:
    for d in sorted((p for p in folder.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
        with contextlib.suppress(OSError):
            d.rmdir()


class RunFolder:
    """Write a run into a temporary folder and move it into ``target`` when it is complete.

    Use as a context manager; write under :attr:`path`; call :meth:`commit` with the manifest's
    own fields at the end.  Leaving the block by an exception (including Ctrl-C) removes the
    temporary folder and leaves ``target`` untouched.
    """

    def __init__(
        self,
        target: str | Path,
        *,
        force: bool = False,
        inputs: Iterable[str | Path] = (),
        manifest: str = MANIFEST,
    ) -> None:
        """``manifest``: the manifest's file name (a data folder uses a hidden one, so that
        readers of the folder see only its tables)."""
        self.target = Path(target)
        self.manifest = manifest
        self.force = force
        refuse_overlap(self.target, inputs, what="--out folder")
        self._check_target()  # refuse early, before any long computation
        self.path: Path = self.target  # the temporary folder, once entered
        self.committed = False
        self._old: dict[str, str] = {}  # files of the previous Clearwater run: path -> sha256

    # ------------------------------------------------------------------ checks
    def _check_target(self) -> None:
        t = self.target
        if t.exists() and not t.is_dir():
            raise ClearwaterError(f"output folder {t} is a file, not a folder")
        if not t.exists():
            return
        try:
            entries = list(t.iterdir())
        except OSError as exc:
            raise ClearwaterError(f"cannot read output folder {t}: {_explain(exc)}") from None
        if not entries:
            return
        manifest = read_manifest(t, self.manifest)
        if manifest is None:
            if not self.force:
                raise ClearwaterError(
                    f"output folder {t} is not empty and was not made by Clearwater (it has no "
                    f"complete {self.manifest}); choose a new or empty folder, or pass --force to add "
                    "this run's files to it (nothing else in it is touched)"
                )
            return
        self._old = _listed(t, manifest)

    def __enter__(self) -> RunFolder:
        self._check_target()
        parent = self.target.parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
            tmp = tempfile.mkdtemp(dir=parent, prefix=f".{self.target.name[:60]}{_TMP}")
        except OSError as exc:
            raise ClearwaterError(
                f"cannot write the output folder {self.target}: {_explain(exc)}"
            ) from None
        self.path = Path(tmp)
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if self.path != self.target and self.path.exists():
            shutil.rmtree(self.path, ignore_errors=True)
        if exc_type is None and not self.committed:
            raise RuntimeError("RunFolder left without commit()")  # a bug in the caller

    # ------------------------------------------------------------------ commit
    def files(self) -> list[str]:
        """Relative paths of every file written so far (sorted)."""
        return [f for f in _files_under(self.path) if f != self.manifest]

    def commit(self, info: Mapping[str, Any] | None = None) -> Path:
        """Write the manifest and move the finished run into place; returns the target."""
        from clearwater import __version__

        files = self.files()
        doc = {
            "made_by": "clearwater",
            "clearwater": __version__,
            "status": COMPLETE,
            **(info or {}),
            "files": [
                {
                    "path": f,
                    "bytes": (self.path / f).stat().st_size,
                    "sha256": _sha256(self.path / f),
                }
                for f in files
            ],
        }
        manifest_text = json.dumps(doc, indent=2, default=str) + "\n"
        try:
            self._move_into_place(files, manifest_text)
        except OSError as exc:
            raise ClearwaterError(
                f"cannot move the finished run into {self.target}: {_explain(exc)}"
            ) from None
        self.committed = True
        return self.target

    def _move_into_place(self, files: list[str], manifest_text: str) -> None:
        t = self.target
        if not t.exists() or not any(t.iterdir()):
            if t.exists():
                t.rmdir()
            (self.path / self.manifest).write_text(manifest_text, encoding="utf-8")
            os.rename(self.path, t)
            return
        present = set(_files_under(t)) - {self.manifest}
        ours = {f for f in present if f in self._old and _sha256(t / f) == self._old[f]}
        clash = sorted(f for f in files if f in present and f not in ours)
        if clash and not self.force:
            raise ClearwaterError(
                f"output folder {t} holds {len(clash)} file(s) this run would replace that "
                f"Clearwater did not write or that were changed since (e.g. {clash[0]}); move "
                "them or pass --force"
            )
        if present == ours:
            # Only an older run's own files: swap whole folders, then drop the old run.
            old = Path(tempfile.mkdtemp(dir=t.parent, prefix=f".{t.name[:60]}{_OLD}"))
            os.rename(t, old / "run")
            (self.path / self.manifest).write_text(manifest_text, encoding="utf-8")
            os.rename(self.path, t)
            shutil.rmtree(old, ignore_errors=True)
            return
        # Someone else's files live here too: replace file by file, manifest last.
        with contextlib.suppress(FileNotFoundError):
            (t / self.manifest).unlink()
        for f in sorted(ours - set(files)):
            (t / f).unlink()
        for f in files:
            dest = t / f
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.path / f, dest)
        _prune_empty_dirs(t)
        atomic_write_text(t / self.manifest, manifest_text)


def refuse_overlap(out: Path, inputs: Iterable[str | Path], *, what: str = "--out") -> None:
    """Refuse an output that is, holds or sits inside one of the command's inputs."""
    target = Path(out).resolve()
    for item in inputs:
        src = Path(item).resolve()
        if target == src or src in target.parents or target in src.parents:
            raise ClearwaterError(
                f"refusing to write {what} {out}: it overlaps the input {item}; "
                "write outputs outside the input data"
            )


class OutputFile:
    """One output file named by the user (``--out FILE``), guarded and written atomically."""

    def __init__(
        self, path: str | Path, *, inputs: Iterable[str | Path] = (), force: bool = False
    ) -> None:
        self.path = Path(path)
        resolved = self.path.resolve()
        for item in inputs:
            src = Path(item).resolve()
            if resolved == src or (src.is_dir() and src in resolved.parents):
                raise ClearwaterError(
                    f"refusing to write {self.path}: it is "
                    + ("an input file" if resolved == src else f"inside the data folder {item}")
                    + " of this command; choose a path outside the input data"
                )
        if self.path.is_dir():
            raise ClearwaterError(f"--out {self.path} is a folder; give a file name")
        if self.path.exists() and not force:
            raise ClearwaterError(
                f"{self.path} already exists; choose a new file name or pass --force to replace it"
            )

    def write_text(self, text: str) -> Path:
        return atomic_write_text(self.path, text)

    def write_bytes(self, data: bytes) -> Path:
        return atomic_write_bytes(self.path, data)
