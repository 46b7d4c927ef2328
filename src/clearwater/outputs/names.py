"""File names built from data.

A pathway id, a team name or a therapist id comes from an untrusted extract: it may be ``../x``,
an absolute path, hold ``/``, NUL or a Windows device name, or be thousands of characters long.
:func:`safe_name` turns any text into a short name made only of ``[A-Za-z0-9._-]``, starting
with a letter or digit, readable where the text was harmless, and always ending with a hash of
the exact text, so two different ids never share a file.  :class:`SafeNames` also checks for
collisions (different texts, same name) and :func:`within` refuses any path that would leave
its folder.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from clearwater.errors import ClearwaterError

_UNSAFE = re.compile(r"[^A-Za-z0-9]+")
SLUG_MAX = 40
HASH_LEN = 10


def _digest(text: str, length: int) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:length]


def safe_name(*parts: object, suffix: str = "", hash_len: int = HASH_LEN) -> str:
    """A file name for ``parts`` (e.g. a pathway id and a measure): slug + hash + suffix.

    ``safe_name("../etc/passwd", "phq9", suffix=".svg")`` -> ``'etc-passwd_phq9-<hash>.svg'``.
    The hash is of the exact parts, so it differs whenever any part differs.
    """
    if suffix and not re.fullmatch(r"(\.[A-Za-z0-9]+)+", suffix):
        raise ValueError(f"unsafe file suffix {suffix!r}")
    texts = [str(p) for p in parts]
    slug = "_".join(_UNSAFE.sub("-", t).strip("-") or "x" for t in texts)[:SLUG_MAX]
    slug = slug.strip("-_") or "x"
    key = "\x1f".join(texts)
    return f"{slug}-{_digest(key, hash_len)}{suffix}"


class SafeNames:
    """Safe names for one folder, with a collision check across every name handed out."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self._owner: dict[str, tuple[str, ...]] = {}

    def path(self, *parts: object, suffix: str = "") -> Path:
        """The path in this folder for ``parts``; the same parts always give the same path."""
        key = tuple(str(p) for p in parts)
        for hash_len in (HASH_LEN, 16, 64):
            name = safe_name(*parts, suffix=suffix, hash_len=hash_len)
            owner = self._owner.setdefault(name.lower(), key)
            if owner == key:
                return within(self.folder, name)
        raise ClearwaterError(f"cannot give {key!r} a file name of its own")  # pragma: no cover


def within(folder: str | Path, name: str | Path) -> Path:
    """``folder / name``, refusing any name that would resolve outside ``folder``."""
    base = Path(folder).resolve()
    path = (Path(folder) / name).resolve()
    if path == base or base not in path.parents:
        raise ClearwaterError(f"refusing to write {str(name)!r}: it is not inside {folder}")
    return Path(folder) / name
