"""Path patterns for per-path policies, and the "most specific wins" table.

Grammar of a pattern (a key of the ``resources`` option):

``"/api/items"``
    A plain path: exactly that path, nothing else.
``"/api/*"``
    A subtree: ``/api/`` and every path below it (``/api/x``, ``/api/x/y``), never
    ``/api`` itself and never ``/apiary``.  ``"/*"`` covers every path.
``re.compile(r"/v[0-9]+/.*")``
    A compiled regular expression, which must match the *whole* path.

Paths are compared case-sensitively against ``PATH_INFO`` exactly as the server
passes it: no second percent-decoding, no ``+``-to-space, no case folding.

Priority, when several patterns cover a path, from most to least specific:

1. the plain path equal to it;
2. regular expressions, in the order they were given;
3. subtrees, deepest first (``/api/v1/*`` before ``/api/*``);
4. ``/*``.

Only subtrees that both contain the path are compared by depth, so the order never
depends on the length of unrelated patterns.  A lookup costs one dictionary look-up
per ``/`` in the path plus one match per regular expression.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Generic, NamedTuple, TypeVar

__all__ = ["PathPattern", "PathPatternError", "ResourceTable", "parse_path_pattern"]

T = TypeVar("T")

_REGEX_SIGNS = re.compile(r"[\\^$()\[\]{}|?]|\.\*|\.\+")


class PathPatternError(ValueError):
    """A ``resources`` key cannot be understood; the message carries a hint."""


class PathPattern(NamedTuple):
    """A parsed ``resources`` key: ``kind`` is ``"exact"``, ``"subtree"`` or ``"regex"``."""

    kind: str
    text: str
    regex: re.Pattern[str] | None = None


def parse_path_pattern(pattern: object) -> PathPattern:
    """Parse one ``resources`` key, raising :class:`PathPatternError` with a hint."""
    if isinstance(pattern, re.Pattern):
        if not isinstance(pattern.pattern, str):
            raise PathPatternError("a regular expression for paths must be compiled from a str, not bytes")
        return PathPattern("regex", pattern.pattern, pattern)
    if not isinstance(pattern, str):
        raise PathPatternError(
            f"a path pattern is a str or a compiled regular expression, not {type(pattern).__name__}"
        )
    if pattern in ("*", "/*"):
        return PathPattern("subtree", "/")
    if not pattern.startswith("/"):
        raise PathPatternError(f"a path pattern starts with '/' — did you mean {'/' + pattern!r}?")
    if _REGEX_SIGNS.search(pattern):
        raise PathPatternError(
            "plain path patterns are not regular expressions; "
            f"for a regular expression pass re.compile({pattern!r}) (it must match the whole path)"
        )
    if pattern.endswith("/*"):
        prefix = pattern[:-1]
        if "*" in prefix:
            raise PathPatternError("'*' is only meaningful as the last segment ('/api/*')")
        return PathPattern("subtree", prefix)
    if "*" in pattern:
        suggestion = pattern[: pattern.index("*")].rstrip("/") + "/*"
        raise PathPatternError(f"'*' is only meaningful as the last segment — did you mean {suggestion!r}?")
    return PathPattern("exact", pattern)


class ResourceTable(Generic[T]):
    """Maps a path to the value of the most specific pattern covering it (see module doc)."""

    __slots__ = ("_exact", "_regexes", "_subtrees", "_everything")

    def __init__(self, entries: Iterable[tuple[PathPattern, T]]) -> None:
        self._exact: dict[str, T] = {}
        self._regexes: list[tuple[re.Pattern[str], T]] = []
        self._subtrees: dict[str, T] = {}
        self._everything: T | None = None
        for pattern, value in entries:
            if pattern.kind == "exact":
                self._exact[pattern.text] = value
            elif pattern.kind == "regex":
                assert pattern.regex is not None
                self._regexes.append((pattern.regex, value))
            elif pattern.text == "/":
                self._everything = value
            else:
                self._subtrees[pattern.text] = value

    def lookup(self, path: str) -> T | None:
        """The value of the most specific pattern covering ``path``, or ``None``."""
        value = self._exact.get(path)
        if value is not None:
            return value
        for regex, value in self._regexes:
            if regex.fullmatch(path):
                return value
        subtrees = self._subtrees
        if subtrees:
            end = path.rfind("/")
            while end > 0:
                value = subtrees.get(path[: end + 1])
                if value is not None:
                    return value
                end = path.rfind("/", 0, end)
        return self._everything
