"""Path patterns for per-path policies, and the "most specific wins" table.

Grammar of a pattern (a key of the ``resources`` option):

``"/api/items"``
    A plain path: exactly that path, nothing else.
``"/api/*"``
    A subtree: ``/api/`` and every path below it (``/api/x``, ``/api/x/y``), never
    ``/api`` itself and never ``/apiary``.  ``"/*"`` covers every path.
``re.compile(r"/v[0-9]+/.*")``
    A compiled regular expression, which must match the *whole* path.
``MatchFromStart(re.compile(r"/api/v[0-9]+"))``
    A compiled regular expression matched from the *start* of the path (``re.match``:
    any rest allowed) — what flask-cors's ``resources`` keys mean, used by
    :mod:`flask_cors_ext.compat`.  New code is clearer with the forms above.

Paths are compared case-sensitively, as text, on the canonical path
(:func:`canonical_path`): a run of slashes counts as one, then ``.`` and ``..``
segments are removed as RFC 3986 ``remove_dot_segments`` does (``..`` never climbs
above ``/``), so ``//admin/users``, ``/./admin/users`` and ``/x/../admin/users`` all get
the policy of ``/admin/users`` — the path Werkzeug serves ``//admin/users`` as, and
the one a server, proxy or file system that resolves dot segments serves: no spelling
gets a broader, or any other, policy than its canonical form.  A trailing slash is
kept (``/api/`` is not ``/api``).  Nothing else is normalized: no second percent-decoding (``%2F`` stays
``%2F``), no ``+``-to-space, no case folding, no Unicode normalization.  The
canonical path is used to choose the policy only; the application still sees the
path exactly as the server passed it.

The path is text as the user writes it and the browser shows it: ``"/café/*"``
covers a request for ``/caf%C3%A9/x``.  A WSGI server passes ``PATH_INFO`` as the
percent-decoded *bytes* read as latin-1 (PEP 3333: ``/cafÃ©/x``), so the WSGI
adapters decode it first with :func:`wsgi_path_to_text`, the way Werkzeug does
before routing; an ASGI ``scope["path"]`` is already text.  A plain pattern must
itself be canonical (``"/api//x"`` is refused with a hint); a regular expression is
matched against the canonical path.

Priority, when several patterns cover a path, from most to least specific:

1. the plain path equal to it;
2. regular expressions, in the order they were given;
3. subtrees, deepest first (``/api/v1/*`` before ``/api/*``);
4. ``/*``.

Only subtrees that both contain the path are compared by depth, so the order never
depends on the length of unrelated patterns.  A lookup costs one dictionary look-up
per ``/`` in the path plus one match per regular expression; canonicalizing an
already-canonical path costs three substring tests.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Generic, NamedTuple, TypeVar

from .regex_safety import backtracking_problems

__all__ = [
    "MatchFromStart",
    "PathPattern",
    "PathPatternError",
    "ResourceTable",
    "asgi_route_path",
    "canonical_path",
    "parse_path_pattern",
    "wsgi_path_to_text",
]

T = TypeVar("T")

_REGEX_SIGNS = re.compile(r"[\\^$()\[\]{}|?]|\.\*|\.\+")


def wsgi_path_to_text(path_info: str) -> str:
    """A WSGI ``PATH_INFO`` (PEP 3333: bytes read as latin-1) as the text it spells.

    Decodes the bytes as UTF-8, each invalid sequence becoming U+FFFD — as Werkzeug
    does before routing — so ``"/cafÃ©"`` becomes ``"/café"``.  An ASCII path is
    returned as it is; a string that cannot be latin-1 bytes (a server that already
    decoded it) too.  Never raises.  For choosing a policy only: never write the result
    back into the environ.
    """
    if path_info.isascii():
        return path_info
    try:
        return path_info.encode("latin-1").decode("utf-8", "replace")
    except UnicodeEncodeError:
        return path_info


def asgi_route_path(path: str, root_path: str) -> str:
    """The part of an ASGI ``scope["path"]`` the application routes: ``root_path`` removed.

    ASGI servers put the mount point (``uvicorn --root-path``, a Starlette ``Mount``)
    both in ``root_path`` and at the start of ``path``; what is left is what WSGI calls
    ``PATH_INFO`` and what Starlette's router matches, so a ``resources`` pattern means
    the same path under either adapter.  ``root_path`` is removed only at a ``/``
    boundary (``/api`` is not removed from ``/apiary``); a ``path`` that does not start
    with it (an older server that left it out) is returned as it is — the rules of
    Starlette's ``get_route_path``.  Already text: an ASGI server percent-decodes the
    path as UTF-8.
    """
    if not root_path or not path.startswith(root_path):
        return path
    rest = path[len(root_path) :]
    return rest if not rest or rest[0] == "/" else path


def canonical_path(path: str) -> str:
    """``path`` with runs of ``/`` collapsed, then ``.``/``..`` segments removed.

    ``..`` never climbs above ``/``; a trailing slash (or a last ``.``/``..`` segment)
    leaves a trailing slash, as RFC 3986 ``remove_dot_segments`` does; a path not
    starting with ``/`` (``""`` included) is read as if it did, as routers do.  Nothing
    is decoded or case-folded.  An already-canonical path is returned as it is, after
    three substring tests.
    """
    if path[:1] == "/" and "//" not in path and "/." not in path:
        return path
    segments = path.split("/")
    kept: list[str] = []
    for segment in segments:
        if segment == "..":
            if kept:
                kept.pop()
        elif segment and segment != ".":
            kept.append(segment)
    if not kept:
        return "/"
    if segments[-1] in ("", ".", ".."):
        kept.append("")
    return "/" + "/".join(kept)


class PathPatternError(ValueError):
    """A ``resources`` key cannot be understood; the message carries a hint."""


class MatchFromStart(NamedTuple):
    """A ``resources`` key: ``regex`` must match the start of the canonical path (``re.match``).

    ``MatchFromStart(re.compile(r"/api/v1"))`` covers ``/api/v1``, ``/api/v1/x`` and
    ``/api/v1x`` alike: this is flask-cors's meaning of a resources key, kept for
    :mod:`flask_cors_ext.compat`.  Its priority is that of regular expressions.
    """

    regex: re.Pattern[str]


class PathPattern(NamedTuple):
    """A parsed ``resources`` key: ``kind`` is ``"exact"``, ``"subtree"``, ``"regex"`` (whole path)
    or ``"regex-start"`` (from the start of the path, :class:`MatchFromStart`)."""

    kind: str
    text: str
    regex: re.Pattern[str] | None = None


def parse_path_pattern(pattern: object) -> PathPattern:
    """Parse one ``resources`` key, raising :class:`PathPatternError` with a hint."""
    kind = "regex"
    if isinstance(pattern, MatchFromStart):
        kind, pattern = "regex-start", pattern.regex
        if not isinstance(pattern, re.Pattern):
            raise PathPatternError(f"MatchFromStart takes a compiled regular expression, not {type(pattern).__name__}")
    if isinstance(pattern, re.Pattern):
        if not isinstance(pattern.pattern, str):
            raise PathPatternError("a regular expression for paths must be compiled from a str, not bytes")
        slow = backtracking_problems(pattern)  # a request path could make it backtrack for seconds
        if slow:
            raise PathPatternError("; ".join(slow))
        return PathPattern(kind, pattern.pattern, pattern)
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
        _refuse_non_canonical(prefix, "*")
        return PathPattern("subtree", prefix)
    if "*" in pattern:
        suggestion = pattern[: pattern.index("*")].rstrip("/") + "/*"
        raise PathPatternError(f"'*' is only meaningful as the last segment — did you mean {suggestion!r}?")
    _refuse_non_canonical(pattern, "")
    return PathPattern("exact", pattern)


def _refuse_non_canonical(path: str, star: str) -> None:
    canonical = canonical_path(path)
    if canonical != path:
        raise PathPatternError(
            "requests are matched on their canonical path (no '//', '.' or '..' segments), "
            f"so {path + star!r} would never match — did you mean {canonical + star!r}?"
        )


class ResourceTable(Generic[T]):
    """Maps a path to the value of the most specific pattern covering it (see module doc)."""

    __slots__ = ("_exact", "_regexes", "_subtrees", "_everything")

    def __init__(self, entries: Iterable[tuple[PathPattern, T]]) -> None:
        self._exact: dict[str, T] = {}
        self._regexes: list[tuple[Callable[[str], object], T]] = []  # (bound fullmatch or match, value)
        self._subtrees: dict[str, T] = {}
        self._everything: T | None = None
        for pattern, value in entries:
            if pattern.kind == "exact":
                self._exact[pattern.text] = value
            elif pattern.kind in ("regex", "regex-start"):
                assert pattern.regex is not None
                matcher = pattern.regex.fullmatch if pattern.kind == "regex" else pattern.regex.match
                self._regexes.append((matcher, value))
            elif pattern.text == "/":
                self._everything = value
            else:
                self._subtrees[pattern.text] = value

    def lookup(self, path: str) -> T | None:
        """The value of the most specific pattern covering ``path``, or ``None``.

        ``path`` is text (for WSGI, ``PATH_INFO`` through :func:`wsgi_path_to_text`);
        the patterns are compared with its :func:`canonical_path`.
        """
        if path[:1] != "/" or "//" in path or "/." in path:  # canonical_path's test, inlined: no call
            path = canonical_path(path)
        value = self._exact.get(path)
        if value is not None:
            return value
        for matches, value in self._regexes:
            if matches(path):
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
