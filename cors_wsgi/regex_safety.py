"""Checks on user-written regular expressions, run once when a policy is built.

Two questions are asked of an ``allow_origin_regex`` (and, for the second, of a
compiled ``resources`` key):

* :func:`lookalike_problem` — with credentials, does the regex accept a look-alike
  of an origin it was written for?  It builds sample origins the regex accepts
  (:func:`witnesses`), derives from each the origins an attacker could register or
  reach (a foreign suffix after the host, a foreign name glued to the registrable
  domain, another top-level domain, another scheme or port), and asks the regex.
* :func:`backtracking_problems` — can a match take super-linear time?  Python's
  :mod:`re` backtracks and cannot be interrupted, so a regex such as ``(a+)+`` lets
  one 30-character ``Origin`` header cost seconds.  The check reads the parsed
  regex: a repeated part that can match the same text in two ways (exponential),
  or three or more unbounded repeats in a row over shared characters (polynomial of
  degree three or more), is refused with the construct named and a rewrite hint.

Both work on the parse tree of :mod:`re` (``re._parser``, ``sre_parse`` before
Python 3.11), are bounded in time and depth, and never raise: a pattern too large
or too deeply nested to analyse is reported as such.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

from .origins import parse_request_origin, registrable_domain

try:  # Python 3.11+
    import re._constants as _sre_c  # type: ignore[import-not-found,unused-ignore]
    import re._parser as _sre_parse  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # Python 3.10
    import sre_constants as _sre_c  # type: ignore[no-redef,unused-ignore]
    import sre_parse as _sre_parse  # type: ignore[no-redef,unused-ignore]

__all__ = ["Lookalike", "backtracking_problems", "find_lookalike", "lookalike_problem", "lookalikes", "witnesses"]

_MAXREPEAT: int = _sre_c.MAXREPEAT
_LITERAL = _sre_c.LITERAL
_NOT_LITERAL = _sre_c.NOT_LITERAL
_ANY = _sre_c.ANY
_IN = _sre_c.IN
_BRANCH = _sre_c.BRANCH
_SUBPATTERN = _sre_c.SUBPATTERN
_MAX_REPEAT = _sre_c.MAX_REPEAT
_MIN_REPEAT = _sre_c.MIN_REPEAT
_POSSESSIVE_REPEAT = getattr(_sre_c, "POSSESSIVE_REPEAT", None)
_ATOMIC_GROUP = getattr(_sre_c, "ATOMIC_GROUP", None)
_AT = _sre_c.AT
_ASSERT = _sre_c.ASSERT
_ASSERT_NOT = _sre_c.ASSERT_NOT
_GROUPREF = _sre_c.GROUPREF
_GROUPREF_EXISTS = _sre_c.GROUPREF_EXISTS
_RANGE = _sre_c.RANGE
_NEGATE = _sre_c.NEGATE
_CATEGORY = _sre_c.CATEGORY
_REPEATS = tuple(op for op in (_MAX_REPEAT, _MIN_REPEAT, _POSSESSIVE_REPEAT) if op is not None)

#: Deeper nesting than this is not analysed (and refused by :func:`backtracking_problems`).
MAX_DEPTH = 100
#: Patterns longer than this are not analysed (and refused by :func:`backtracking_problems`).
MAX_PATTERN_LENGTH = 20_000
#: A repeat whose upper bound is at least this is "unbounded" for the backtracking rules.
_LOOP_MIN_MAX = 3
#: Sample strings longer than this are not built.
_MAX_WITNESS_LENGTH = 600

Items = Sequence[tuple[Any, Any]]


class _TooComplex(Exception):
    """Raised inside the analysis when a pattern exceeds the depth or size budget."""


def _parse(regex: re.Pattern[str]) -> tuple[Items, int]:
    """The parse tree of ``regex`` and its global flags; raises :class:`_TooComplex`."""
    if len(regex.pattern) > MAX_PATTERN_LENGTH:
        raise _TooComplex(f"longer than {MAX_PATTERN_LENGTH} characters")
    return _parse_text(regex.pattern, regex.flags)


@functools.lru_cache(maxsize=32)
def _parse_text(pattern: str, flags: int) -> tuple[Items, int]:
    # Cached: the look-alike and backtracking checks of one regex read the same tree (never modified).
    try:
        tree = _sre_parse.parse(pattern, flags)
    except RecursionError:
        raise _TooComplex("too deeply nested") from None
    except Exception as exc:  # re.error cannot happen for a compiled pattern; be safe anyway
        raise _TooComplex(type(exc).__name__) from None
    return tree.data, int(tree.state.flags)


# -- character sets as bit masks over a small universe -------------------------------------

_BASE_UNIVERSE = [*range(256), 0x17F, 0x391, 0x3B1, 0x400, 0x2028, 0x212A, 0x4E00, 0x1F600]
_CATEGORY_TESTS = {
    "CATEGORY_DIGIT": r"\d",
    "CATEGORY_NOT_DIGIT": r"\D",
    "CATEGORY_SPACE": r"\s",
    "CATEGORY_NOT_SPACE": r"\S",
    "CATEGORY_WORD": r"\w",
    "CATEGORY_NOT_WORD": r"\W",
}
#: Characters a sample origin is built from, most plausible first.
_PREFERRED = "abcdefghijklmnopqrstuvwxyz123456789-0_.:/[]"


class _Universe:
    """The characters that matter for one pattern: Latin-1, a few others, and every literal it names."""

    def __init__(self, items: Items) -> None:
        chars = set(_BASE_UNIVERSE)
        _collect_literals(items, chars, 0)
        self.chars = sorted(chars)[:4096]
        self.index = {c: i for i, c in enumerate(self.chars)}
        self.all = (1 << len(self.chars)) - 1
        self.cache: dict[Any, int] = {}
        self.order = [self.index[ord(c)] for c in _PREFERRED]

    def bit(self, code: int) -> int:
        i = self.index.get(code)
        return 0 if i is None else 1 << i

    def fold(self, mask: int) -> int:
        """``mask`` closed under case (IGNORECASE)."""
        key = ("fold", mask)
        if key not in self.cache:
            self.cache[key] = self._fold(mask)
        return self.cache[key]

    def _fold(self, mask: int) -> int:
        out = mask
        for i, code in enumerate(self.chars):
            if mask >> i & 1:
                ch = chr(code)
                for other in (ch.lower(), ch.upper(), ch.casefold()):
                    if len(other) == 1:
                        out |= self.bit(ord(other))
        return out

    def category(self, name: str, ascii_only: bool) -> int:
        key = (name, ascii_only)
        if key not in self.cache:
            test = re.compile(_CATEGORY_TESTS.get(name, r"[^\s\S]"), re.ASCII if ascii_only else 0)
            mask = 0
            for i, code in enumerate(self.chars):
                if test.match(chr(code)):
                    mask |= 1 << i
            self.cache[key] = mask
        return self.cache[key]

    def range(self, lo: int, hi: int) -> int:
        key = ("range", lo, hi)
        if key in self.cache:
            return self.cache[key]
        mask = 0
        for i, code in enumerate(self.chars):
            if lo <= code <= hi:
                mask |= 1 << i
        self.cache[key] = mask
        return mask

    def pick(self, mask: int) -> str | None:
        """The most plausible character of ``mask``."""
        for i in self.order:
            if mask >> i & 1:
                return chr(self.chars[i])
        if not mask:
            return None
        return chr(self.chars[(mask & -mask).bit_length() - 1])

    def accepts(self, mask: int, text: str) -> bool:
        return all(mask & self.bit(ord(ch)) for ch in text)


def _collect_literals(items: Items, into: set[int], depth: int) -> None:
    if depth > MAX_DEPTH or len(into) > 4096:
        return
    for op, av in items:
        if op is _LITERAL or op is _NOT_LITERAL:
            into.add(av)
        elif op is _IN:
            for kind, value in av:
                if kind is _LITERAL:
                    into.add(value)
                elif kind is _RANGE:
                    into.update(value)
        else:
            for sub in _children(op, av):
                _collect_literals(sub, into, depth + 1)


def _children(op: Any, av: Any) -> Iterator[Items]:
    """The sub-sequences of one node."""
    if op is _BRANCH:
        yield from av[1]
    elif op is _SUBPATTERN:
        yield av[-1]
    elif op in _REPEATS:
        yield av[2]
    elif op is _ATOMIC_GROUP:
        yield av
    elif op is _ASSERT or op is _ASSERT_NOT:
        yield av[1]
    elif op is _GROUPREF_EXISTS:
        yield av[1]
        if av[2] is not None:
            yield av[2]


_FLAG_I = re.IGNORECASE
_FLAG_S = re.DOTALL
_FLAG_A = re.ASCII


def _scoped(flags: int, av: Any) -> int:
    """Flags inside a SUBPATTERN node ``(group, add_flags, del_flags, p)``."""
    if len(av) == 4:
        return (flags | int(av[1])) & ~int(av[2])
    return flags


def _char_mask(u: _Universe, op: Any, av: Any, flags: int) -> int:
    """The characters one single-character node (literal, negated literal, ``.``, class) matches."""
    if op is _LITERAL:
        return u.fold(u.bit(av)) if flags & _FLAG_I else u.bit(av)
    if op is _NOT_LITERAL:
        return u.all & ~(u.fold(u.bit(av)) if flags & _FLAG_I else u.bit(av))
    if op is _ANY:
        return u.all if flags & _FLAG_S else u.all & ~u.bit(10)
    key = ("in", tuple(av), flags & (_FLAG_I | _FLAG_A))
    cached = u.cache.get(key)
    if cached is None:
        cached = u.cache[key] = _class_mask(u, av, flags)
    return cached


def _class_mask(u: _Universe, av: Any, flags: int) -> int:
    mask = 0
    negate = False
    for kind, value in av:
        if kind is _NEGATE:
            negate = True
        elif kind is _LITERAL:
            mask |= u.bit(value)
        elif kind is _RANGE:
            mask |= u.range(*value)
        elif kind is _CATEGORY:
            mask |= u.category(str(value), bool(flags & _FLAG_A))
    if flags & _FLAG_I:
        mask = u.fold(mask)
    return u.all & ~mask if negate else mask


_SINGLE = (_LITERAL, _NOT_LITERAL, _ANY, _IN)


# -- rendering a tree back to pattern text ---------------------------------------------------


class _Unrenderable(Exception):
    pass


_AT_TEXT = {
    "AT_BEGINNING": "^",
    "AT_BEGINNING_LINE": "^",
    "AT_BEGINNING_STRING": r"\A",
    "AT_END": "$",
    "AT_END_LINE": "$",
    "AT_END_STRING": r"\Z",
    "AT_BOUNDARY": r"\b",
    "AT_NON_BOUNDARY": r"\B",
}
_CATEGORY_TEXT = {
    "CATEGORY_DIGIT": r"\d",
    "CATEGORY_NOT_DIGIT": r"\D",
    "CATEGORY_SPACE": r"\s",
    "CATEGORY_NOT_SPACE": r"\S",
    "CATEGORY_WORD": r"\w",
    "CATEGORY_NOT_WORD": r"\W",
}
_FLAG_LETTERS = ((re.IGNORECASE, "i"), (re.MULTILINE, "m"), (re.DOTALL, "s"), (re.ASCII, "a"))


def _escape(code: int, in_class: bool = False) -> str:
    ch = chr(code)
    if ch.isascii() and (ch.isalnum() or ch == "_"):
        return ch
    if 0x20 < code < 0x7F:
        return "\\" + ch
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _render(items: Items, restrict: bool = False, depth: int = 0) -> str:
    """Pattern text equivalent to ``items``.

    With ``restrict``, every wildcard (``.``, a class, a negated literal) is limited to
    characters other than ``:`` and ``/``.  Raises :class:`_Unrenderable` for a node it
    does not know and :class:`_TooComplex` past :data:`MAX_DEPTH`.
    """
    if depth > MAX_DEPTH:
        raise _TooComplex("too deeply nested")
    # sre factors a common start out of alternatives ('a|ab' parses as 'a(?:|b)'): show it unfactored.
    if len(items) >= 2 and items[-1][0] is _BRANCH and all(op is _LITERAL for op, _ in items[:-1]):
        prefix = "".join(_escape(av) for _, av in items[:-1])
        return "|".join(prefix + _render(alt, restrict, depth + 1) for alt in items[-1][1][1])
    return "".join(_render_one(op, av, restrict, depth, len(items) == 1) for op, av in items)


def _render_one(op: Any, av: Any, restrict: bool, depth: int, alone: bool) -> str:
    if op is _LITERAL:
        return _escape(av)
    if op in (_NOT_LITERAL, _ANY, _IN):
        if op is _NOT_LITERAL:
            text = f"[^{_escape(av, True)}]"
        elif op is _ANY:
            text = "."
        else:
            text = _render_class(av)
        return f"(?:(?![:/]){text})" if restrict else text
    if op is _BRANCH:
        text = "|".join(_render(alt, restrict, depth + 1) for alt in av[1])
        return text if alone else f"(?:{text})"
    if op is _SUBPATTERN:
        group, body = av[0], av[-1]
        inner = _render(body, restrict, depth + 1)
        if group is not None:
            return f"({inner})"
        if len(av) == 4 and (av[1] or av[2]):
            on = "".join(letter for flag, letter in _FLAG_LETTERS if av[1] & flag)
            off = "".join(letter for flag, letter in _FLAG_LETTERS if av[2] & flag)
            return f"(?{on}{'-' + off if off else ''}:{inner})"
        return f"(?:{inner})"
    if op in _REPEATS:
        low, high, body = av
        inner = _render(body, restrict, depth + 1)
        if not (len(body) == 1 and body[0][0] in (_LITERAL, _NOT_LITERAL, _ANY, _IN, _SUBPATTERN, _ATOMIC_GROUP)):
            inner = f"(?:{inner})"
        return inner + _quantifier(op, low, high)
    if op is _AT:
        return _AT_TEXT.get(str(av), "")
    if op is _ASSERT or op is _ASSERT_NOT:
        direction, body = av
        kind = ("=" if op is _ASSERT else "!") if direction == 1 else ("<=" if op is _ASSERT else "<!")
        return f"(?{kind}{_render(body, restrict, depth + 1)})"
    if op is _GROUPREF:
        return f"(?:\\{av})"
    if op is _GROUPREF_EXISTS:
        group, yes, no = av
        text = f"(?({group}){_render(yes, restrict, depth + 1)}"
        return text + (f"|{_render(no, restrict, depth + 1)})" if no is not None else ")")
    if op is _ATOMIC_GROUP:
        return f"(?>{_render(av, restrict, depth + 1)})"
    raise _Unrenderable(str(op))


def _render_class(av: Any) -> str:
    if len(av) == 1 and av[0][0] is _CATEGORY:
        return _CATEGORY_TEXT.get(str(av[0][1]), "")
    parts = []
    for kind, value in av:
        if kind is _NEGATE:
            parts.append("^")
        elif kind is _LITERAL:
            parts.append(_escape(value, True))
        elif kind is _RANGE:
            parts.append(f"{_escape(value[0], True)}-{_escape(value[1], True)}")
        elif kind is _CATEGORY:
            parts.append(_CATEGORY_TEXT.get(str(value), ""))
        else:
            raise _Unrenderable(str(kind))
    return f"[{''.join(parts)}]"


def _quantifier(op: Any, low: int, high: int) -> str:
    if (low, high) == (0, _MAXREPEAT):
        text = "*"
    elif (low, high) == (1, _MAXREPEAT):
        text = "+"
    elif (low, high) == (0, 1):
        text = "?"
    elif low == high:
        text = f"{{{low}}}"
    elif high == _MAXREPEAT:
        text = f"{{{low},}}"
    else:
        text = f"{{{low},{high}}}"
    if op is _MIN_REPEAT:
        return text + "?"
    if op is _POSSESSIVE_REPEAT:
        return text + "+"
    return text


def _quote(text: str, limit: int = 60) -> str:
    """Rendered pattern text quoted for a message, cut when long (it is printable ASCII already)."""
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    if not all(" " <= ch <= "~" for ch in text):
        return ascii(text)
    return f"'{text}'"


# -- witnesses: sample strings a regex accepts -----------------------------------------------


class _Budget:
    def __init__(self, steps: int) -> None:
        self.steps = steps

    def spend(self, n: int = 1) -> None:
        self.steps -= n
        if self.steps < 0:
            raise _TooComplex("too large")


#: Also tried for a repeated wildcard at the start of the pattern ('.*\.example\.com'): a scheme, a host start.
_FILLS = ("https://", "https://a", "https://a.")


def _combine(left: list[str], right: list[str], limit: int) -> list[str]:
    """Concatenations of ``left`` and ``right``: all of them if few, else each part at least once."""
    if not left or not right:
        return []
    if len(left) * len(right) <= limit:
        out = [a + b for a in left for b in right]
    else:
        n = min(max(len(left), len(right)), limit)
        out = [left[j % len(left)] + right[j % len(right)] for j in range(n)]
    return [s for s in dict.fromkeys(out) if len(s) <= _MAX_WITNESS_LENGTH]


class _Generator:
    """Builds sample strings from a parse tree; see :func:`witnesses`."""

    def __init__(self, u: _Universe, limit: int) -> None:
        self.u = u
        self.limit = limit
        self.budget = _Budget(50_000)

    def seq(self, items: Items, flags: int, depth: int, start: bool) -> list[str]:
        """Samples of a sequence; ``start``: nothing can come before it in the whole string."""
        if depth > MAX_DEPTH:
            raise _TooComplex("too deeply nested")
        acc = [""]
        for op, av in items:
            self.budget.spend()
            acc = _combine(acc, self.node(op, av, flags, depth, start and acc == [""]), self.limit)
            if not acc:
                return []
        return acc

    def node(self, op: Any, av: Any, flags: int, depth: int, start: bool) -> list[str]:
        u, limit = self.u, self.limit
        if op is _LITERAL:
            ch = chr(av)
            return [ch.lower() if flags & _FLAG_I and len(ch.lower()) == 1 else ch]
        if op is _ANY:
            return [".", "a"]  # '.' first: an unescaped dot in 'app.example.com' then yields that host
        if op is _NOT_LITERAL or op is _IN:
            picked = u.pick(_char_mask(u, op, av, flags))
            return [] if picked is None else [picked]
        if op is _BRANCH:
            out: list[str] = []
            for alt in av[1]:
                out.extend(self.seq(alt, flags, depth + 1, start))
            return list(dict.fromkeys(out))[:limit]
        if op is _SUBPATTERN:
            return self.seq(av[-1], _scoped(flags, av), depth + 1, start)
        if op is _ATOMIC_GROUP:
            return self.seq(av, flags, depth + 1, start)
        if op in _REPEATS:
            low, high, body = av
            out = [""] if low == 0 else []
            count = max(low, 1)
            if count <= high:
                for one in self.seq(body, flags, depth + 1, start):
                    if len(one) * count <= _MAX_WITNESS_LENGTH:
                        out.append(one * count)
                if start and len(body) == 1 and body[0][0] in _SINGLE:  # a leading '.*' may stand for the scheme
                    mask = _char_mask(u, body[0][0], body[0][1], flags)
                    out.extend(f for f in _FILLS if low <= len(f) <= high and u.accepts(mask, f))
            return list(dict.fromkeys(out))[:limit]
        if op is _AT or op is _ASSERT or op is _ASSERT_NOT:
            return [""]  # zero-width: the sample is checked against the regex afterwards
        if op is _GROUPREF_EXISTS:
            out = self.seq(av[1], flags, depth + 1, start)
            if av[2] is not None:
                out += self.seq(av[2], flags, depth + 1, start)
            return out[:limit]
        return []  # a backreference, or a node this version does not know: no sample through it


def _candidates(regex: re.Pattern[str], limit: int = 32) -> list[str]:
    """Unverified samples built from the parse tree (exact for patterns without lookarounds,
    anchors or backreferences); ``[]`` for a pattern too complex to walk."""
    try:
        items, flags = _parse(regex)
        return _Generator(_Universe(items), limit).seq(items, flags, 0, True)
    except (_TooComplex, RecursionError):
        return []


def witnesses(regex: re.Pattern[str], limit: int = 32) -> list[str]:
    """Up to ``limit`` strings that ``regex`` fully matches, built from its parse tree.

    For each repeat one repetition (and none, when allowed) is taken, a plausible
    host character (``a``, then other letters, digits, ``-``...) stands for ``.`` and
    classes, alternatives are enumerated (each one at least once when their product
    exceeds ``limit``), and a repeated wildcard is also tried as ``https://``,
    ``https://a`` and ``https://a.`` so that ``.*\\.example\\.com`` yields an origin.
    Lookarounds and anchors are taken as empty and backreferences are not followed;
    every candidate is checked with ``regex.fullmatch``, so the result is always
    correct, possibly empty.  Bounded in time; never raises.  Call it only on a regex
    :func:`backtracking_problems` accepts: the check runs the regex.
    """
    try:
        return [w for w in _candidates(regex, limit) if regex.fullmatch(w)]
    except RecursionError:
        return []


# -- look-alike origins ------------------------------------------------------------------------


class Lookalike(NamedTuple):
    """An origin a regex accepts (``witness``) and a look-alike it also accepts."""

    witness: str
    lookalike: str
    kind: str  # "suffix", "glued", "tld", "dot", "scheme", "port"


_FOREIGN_SUFFIX = ".evil.test"
_FOREIGN_LABEL = "evil"
_IPV4 = re.compile(r"[0-9]+(?:\.[0-9]+){3}")


def _is_ip(host: str) -> bool:
    return host.startswith("[") or bool(_IPV4.fullmatch(host))


def _is_loopback(host: str) -> bool:
    return (
        host == "localhost"
        or host.endswith(".localhost")
        or host == "[::1]"
        or (bool(_IPV4.fullmatch(host)) and host.startswith("127."))
    )


def lookalikes(origin: str) -> list[tuple[str, str]]:
    """``(kind, origin)`` look-alikes of a serialized origin that belong to someone else.

    * ``suffix``: a foreign domain after the host (``https://a.example.com.evil.test``);
    * ``glued``: a foreign label glued to the registrable domain (``https://evilexample.com``);
    * ``tld``: the same name under another top-level domain (``https://a.example.zzz``);
    * ``dot``: a '.' of the registrable domain replaced by a letter (``https://axexample.com``);
    * ``scheme``: the other of http/https; ``port``: another port, and no port — these
      two only for hosts that are not loopback (``localhost``, ``*.localhost``,
      ``127.x.x.x``, ``[::1]``), where any port or scheme is still this machine.

    Ports are kept in the first three.  ``[]`` for a value that is not a serialized origin.
    """
    parsed = parse_request_origin(origin)
    if parsed is None:
        return []
    scheme, host, port = parsed
    port_part = f":{port}" if port else ""
    found = [("suffix", f"{scheme}://{host}{_FOREIGN_SUFFIX}{port_part}")]
    if not _is_ip(host):
        registrable = registrable_domain(host)
        base = registrable or host
        found.append(("glued", f"{scheme}://{_FOREIGN_LABEL}{base}{port_part}"))
        if registrable and "." in registrable:
            suffix = registrable.split(".", 1)[1]
            tld = "z" * len(suffix.rsplit(".", 1)[-1])
            if tld == suffix:
                tld = "y" * len(tld)
            found.append(("tld", f"{scheme}://{host[: -len(suffix)]}{tld}{port_part}"))
        dots = [i for i, ch in enumerate(host) if ch == "."][:4]
        for i in dots:
            other_host = f"{host[:i]}x{host[i + 1 :]}"
            if registrable_domain(other_host) != registrable:  # not merely another subdomain
                found.append(("dot", f"{scheme}://{other_host}{port_part}"))
    if not _is_loopback(host):
        other = {"https": "http", "http": "https", "wss": "ws", "ws": "wss"}.get(scheme)
        if other is not None:
            found.append(("scheme", f"{other}://{host}{port_part}"))
        if port:
            found.append(("port", f"{scheme}://{host}:{8444 if port == '8443' else 8443}"))
            found.append(("port", f"{scheme}://{host}"))
        else:
            found.append(("port", f"{scheme}://{host}:8443"))
    return found


def _spelled_out(regex: re.Pattern[str]) -> re.Pattern[str] | None:
    """``regex`` with every wildcard unable to match ``:`` or ``/``; ``None`` if it cannot be built."""
    try:
        items, flags = _parse(regex)
        text = _render(items, restrict=True)
        return re.compile(text, flags & (re.IGNORECASE | re.MULTILINE | re.DOTALL | re.ASCII))
    except (_TooComplex, _Unrenderable, RecursionError, re.error, OverflowError):
        return None


def find_lookalike(regex: re.Pattern[str], limit: int = 32) -> Lookalike | None:
    """The first look-alike origin ``regex`` accepts, with the sample it was derived from.

    A foreign suffix, glued label or top-level domain always counts.  Another scheme or
    port counts only when the regex reaches it through a wildcard that also matches
    ``:`` or ``/`` (such as ``.*``): ``https?://`` or ``(:8443)?`` or ``(:[0-9]+)?``
    name them on purpose.  ``None`` too when :func:`backtracking_problems` refuses the
    regex (running it on samples could take too long).
    """
    if backtracking_problems(regex):
        return None
    spelled: list[re.Pattern[str] | None] = []  # built on first need
    for witness in witnesses(regex, limit):
        if parse_request_origin(witness) is None:
            continue
        for kind, other in lookalikes(witness):
            if other == witness or not regex.fullmatch(other):
                continue
            if kind in ("scheme", "port"):
                if not spelled:
                    spelled.append(_spelled_out(regex))
                if spelled[0] is None or spelled[0].fullmatch(other):
                    continue  # named on purpose (or the pattern cannot be rewritten to tell)
            return Lookalike(witness, other, kind)
    return None


_ANCHOR_HINT = (
    r"anchor it: put '\.' before your domain, no trailing '.*', "
    r"e.g. r'https://([a-z0-9-]+\.)*example\.com'"
)
_LOOKALIKE_HINT = {
    "suffix": _ANCHOR_HINT,
    "glued": _ANCHOR_HINT,
    "dot": r"write '\.' for a literal dot ('.' matches any character), e.g. r'https://app\.example\.com'",
    "tld": r"spell the top-level domain out, e.g. r'https://([a-z0-9-]+\.)*example\.(com|org)'",
    "scheme": "spell the scheme out: 'https://' (or 'https?://' to allow both on purpose)",
    "port": "spell the port out: '(:8443)?', or '(:[0-9]+)?' for any port on purpose",
}


def lookalike_problem(regex: re.Pattern[str]) -> str | None:
    """The message for a credentialed ``allow_origin_regex`` that accepts a look-alike, or ``None``.

    Never raises: a failure inside the probe (none is known) counts as nothing found.
    """
    try:
        found = find_lookalike(regex)
    except Exception:  # pragma: no cover - a configuration check must not crash the configuration
        return None
    if found is None:
        return None
    return (
        f"with allow_credentials=True it accepts {found.witness!r} but also {found.lookalike!r}, "
        f"{_describe(found)}: that site could read responses with your users' cookies — "
        f"{_LOOKALIKE_HINT[found.kind]}"
    )


def _describe(found: Lookalike) -> str:
    parsed = parse_request_origin(found.lookalike)
    host = parsed.host if parsed is not None else ""
    registrable = registrable_domain(host) or host
    public = registrable.split(".", 1)[1] if "." in registrable else registrable
    if found.kind == "suffix":
        return f"a host of the domain {registrable!r}, someone else's"
    if found.kind in ("glued", "tld", "dot"):
        return f"another site: anyone can register {registrable!r} under the public suffix {public!r}"
    if found.kind == "scheme":
        if found.lookalike.startswith(("http:", "ws:")):
            return "the same host over plain http (an attacker on the network can inject a page there)"
        return "the same host under another scheme"
    return "the same host on another port (another service: another origin)"


# -- catastrophic backtracking -----------------------------------------------------------------


class _Props(NamedTuple):
    nullable: bool
    first: int  # characters a non-empty match can start with
    chars: int  # every character a match can contain
    fixed: bool  # every match has the same length


class _Analysis:
    def __init__(self, items: Items, flags: int) -> None:
        self.u = _Universe(items)
        self.flags = flags
        self.budget = _Budget(200_000)
        self._props: dict[int, _Props] = {}
        self._keep: list[Any] = []  # the ids above stay valid while this lives

    # properties of sequences and nodes

    def seq(self, items: Items, flags: int, depth: int) -> _Props:
        key = id(items)
        cached = self._props.get(key)
        if cached is not None:
            return cached
        if depth > MAX_DEPTH:
            raise _TooComplex("too deeply nested")
        nullable, first, chars, fixed = True, 0, 0, True
        for op, av in items:
            p = self.node(op, av, flags, depth)
            if nullable:
                first |= p.first
            nullable = nullable and p.nullable
            chars |= p.chars
            fixed = fixed and p.fixed
        result = _Props(nullable, first, chars, fixed)
        self._props[key] = result
        self._keep.append(items)
        return result

    def node(self, op: Any, av: Any, flags: int, depth: int) -> _Props:
        self.budget.spend()
        if op in _SINGLE:
            mask = _char_mask(self.u, op, av, flags)
            return _Props(False, mask, mask, True)
        if op is _SUBPATTERN:
            return self.seq(av[-1], _scoped(flags, av), depth + 1)
        if op is _ATOMIC_GROUP:
            return self.seq(av, flags, depth + 1)
        if op is _BRANCH:
            alts = [self.seq(alt, flags, depth + 1) for alt in av[1]]
            return _Props(
                any(p.nullable for p in alts),
                _or(p.first for p in alts),
                _or(p.chars for p in alts),
                False,
            )
        if op in _REPEATS:
            low, high, body = av
            p = self.seq(body, flags, depth + 1)
            return _Props(low == 0 or p.nullable, p.first, p.chars, p.fixed and low == high)
        if op is _GROUPREF_EXISTS:
            alts = [self.seq(av[1], flags, depth + 1)]
            alts.append(self.seq(av[2], flags, depth + 1) if av[2] is not None else _Props(True, 0, 0, False))
            return _Props(any(p.nullable for p in alts), _or(p.first for p in alts), _or(p.chars for p in alts), False)
        if op is _GROUPREF:
            return _Props(True, self.u.all, self.u.all, False)  # unknown text: assume anything
        return _Props(True, 0, 0, True)  # anchors and lookarounds are zero-width

    # exponential: a choice inside a loop whose options overlap

    def conflict(self, items: Items, follow: int, flags: int, depth: int) -> tuple[str, Any, Any] | None:
        """The first choice in ``items`` (followed by ``follow``) that two options can start alike."""
        if depth > MAX_DEPTH:
            raise _TooComplex("too deeply nested")
        after = [0] * (len(items) + 1)
        after[len(items)] = follow
        for i in range(len(items) - 1, -1, -1):
            p = self.node(items[i][0], items[i][1], flags, depth)
            after[i] = p.first | (after[i + 1] if p.nullable else 0)
        for i, (op, av) in enumerate(items):
            local = after[i + 1]
            if op is _SUBPATTERN:
                found = self.conflict(av[-1], local, _scoped(flags, av), depth + 1)
            elif op is _ATOMIC_GROUP:
                found = self.conflict(av, local, flags, depth + 1)
            elif op is _BRANCH:
                seen = 0
                found = None
                for alt in av[1]:
                    p = self.seq(alt, flags, depth + 1)
                    starts = p.first | (local if p.nullable else 0)
                    if starts & seen:
                        return ("branch", items, None)
                    seen |= starts
                for alt in av[1]:
                    found = self.conflict(alt, local, flags, depth + 1)
                    if found:
                        break
            elif op in _REPEATS:
                low, high, body = av
                p = self.seq(body, flags, depth + 1)
                if op is not _POSSESSIVE_REPEAT and low < high and p.first & local:
                    return ("repeat", op, av)
                found = self.conflict(body, p.first | local, flags, depth + 1)
            else:
                found = None
            if found:
                return found
        return None

    def loops(self, items: Items, flags: int, depth: int) -> Iterator[tuple[Any, Any, int]]:
        """Every repeat node with its flags, innermost first."""
        if depth > MAX_DEPTH:
            raise _TooComplex("too deeply nested")
        for op, av in items:
            self.budget.spend()
            inner = _scoped(flags, av) if op is _SUBPATTERN else flags
            for sub in _children(op, av):
                yield from self.loops(sub, inner, depth + 1)
            if op in _REPEATS:
                yield op, av, flags

    # polynomial: unbounded repeats in a row over shared characters

    def chains(self, items: Items, flags: int, depth: int) -> Iterator[list[tuple[Any, Any]]]:
        """Runs of unbounded, variable-width repeats that can hand characters to each other."""
        if depth > MAX_DEPTH:
            raise _TooComplex("too deeply nested")
        run: list[tuple[Any, Any]] = []
        shared = 0
        for op, av, node_flags in self._flat(items, flags, depth):
            self.budget.spend()
            p = self.node(op, av, node_flags, depth)
            if op in _REPEATS and op is not _POSSESSIVE_REPEAT and av[1] >= _LOOP_MIN_MAX and not p.fixed:
                if run and p.chars & shared:
                    run.append((op, av))
                    shared &= p.chars
                else:
                    if len(run) >= 2:
                        yield run
                    run, shared = [(op, av)], p.chars
            elif not p.nullable and not (p.chars & shared):
                if len(run) >= 2:
                    yield run
                run, shared = [], 0
        if len(run) >= 2:
            yield run
        for op, av in items:
            for sub in _children(op, av):
                yield from self.chains(sub, _scoped(flags, av) if op is _SUBPATTERN else flags, depth + 1)

    def _flat(self, items: Items, flags: int, depth: int) -> Iterator[tuple[Any, Any, int]]:
        """``items`` with plain groups opened, so '(.*)(.*)' reads as '.*.*'."""
        if depth > MAX_DEPTH:
            raise _TooComplex("too deeply nested")
        for op, av in items:
            if op is _SUBPATTERN:
                yield from self._flat(av[-1], _scoped(flags, av), depth + 1)
            else:
                yield op, av, flags


def _or(masks: Iterator[int]) -> int:
    out = 0
    for mask in masks:
        out |= mask
    return out


def _text(op: Any, av: Any) -> str:
    try:
        return _render_one(op, av, False, 0, True)
    except (_Unrenderable, _TooComplex, RecursionError):
        return "?"


def _strip_groups(items: Items) -> Items:
    while len(items) == 1 and items[0][0] is _SUBPATTERN:
        items = items[0][1][-1]
    return items


def _exponential_message(loop: tuple[Any, Any], found: tuple[str, Any, Any]) -> str:
    loop_text = _quote(_text(*loop))
    kind, op, av = found
    if kind == "branch":
        try:
            inner_text = _quote(_render(op))
        except (_Unrenderable, _TooComplex, RecursionError):
            inner_text = "?"
        return (
            f"alternatives {inner_text} inside the repeat {loop_text} can match the same text in more than one "
            "way, so a failing match backtracks exponentially (30 characters can take seconds) — "
            "rewrite them so that at most one alternative can match at each point, e.g. '(a|aa)+' as 'a+' "
            "and '(ab|a|b)+' as '[ab]+'"
        )
    inner_text = _quote(_text(op, av))
    body = _strip_groups(loop[1][2])
    if len(body) == 1 and body[0][0] in _REPEATS and body[0][1] is av and av[0] <= 1 and loop[1][0] <= 1:
        low = 0 if loop[1][0] == 0 or av[0] == 0 else 1
        simple = _quote(_text(av[2][0][0], av[2][0][1]) + ("*" if low == 0 else "+")) if len(av[2]) == 1 else None
        hint = (
            f"{loop_text} matches what {simple} matches; use that"
            if simple is not None
            else "one repeat is enough; remove the outer one"
        )
    else:
        hint = (
            f"make each repetition of {loop_text} end (or start) with a character {inner_text} cannot match, "
            r"e.g. '([a-z0-9-]+\.)*'"
        )
    what = "nested quantifier" if av[1] >= 2 else "optional part"
    return (
        f"{what} {inner_text} inside {loop_text}: a failing match backtracks exponentially "
        f"(30 characters can take seconds) — {hint}"
    )


def _polynomial_message(run: list[tuple[Any, Any]], u: _Universe, shared: int) -> str:
    parts = ", ".join(_quote(_text(op, av), 30) for op, av in run[:4]) + (", ..." if len(run) > 4 else "")
    ch = u.pick(shared)
    common = f" (all can match {ch!r})" if ch is not None else ""
    return (
        f"{len(run)} unbounded repeats in a row{common}: {parts} — a failing match tries every way to split "
        f"the text between them, O(n^{len(run)}) (three '.*' take about 60 ms on 512 characters) — "
        "separate them with a character only one of them can match, or merge them into one"
    )


@functools.lru_cache(maxsize=256)
def backtracking_problems(regex: re.Pattern[str]) -> tuple[str, ...]:
    """Messages for the constructs in ``regex`` that make a match take super-linear time.

    * a repeat (upper bound 3 or more) containing a choice whose options can start with
      the same character — an inner repeat that may go on or stop (``(a+)+``,
      ``([a-z]+\\.?)+``), or alternatives (``(a|a)+``, ``(a|aa)+``, ``(ab|a|b)+``) — is
      exponential;
    * three or more unbounded repeats in a row that can all match some character,
      with nothing between them that only one of them could not match (``.*.*.*x``),
      are polynomial of degree three or more.

    At most one message of each kind.  Possessive repeats are exempt from the first
    rule.  A pattern longer than :data:`MAX_PATTERN_LENGTH` or nested deeper than
    :data:`MAX_DEPTH` gets one message saying so.  Never raises; cached per pattern.
    """
    try:
        items, flags = _parse(regex)
        a = _Analysis(items, flags)
        problems: list[str] = []
        for op, av, loop_flags in a.loops(items, flags, 0):
            _, high, body = av
            if high < _LOOP_MIN_MAX:
                continue
            p = a.seq(body, loop_flags, 0)
            found = a.conflict(body, p.first, loop_flags, 0)
            if found is not None:
                problems.append(_exponential_message((op, av), found))
                break
        for run in a.chains(items, flags, 0):
            if len(run) >= 3:
                shared = a.u.all
                for _, av in run:
                    shared &= a.seq(av[2], flags, 0).chars
                problems.append(_polynomial_message(run, a.u, shared))
                break
        return tuple(problems)
    except (_TooComplex, RecursionError) as exc:
        reason = str(exc) if isinstance(exc, _TooComplex) else "too deeply nested"
        return (
            f"cannot be checked for catastrophic backtracking ({reason}; at most {MAX_PATTERN_LENGTH} characters "
            f"and {MAX_DEPTH} levels of nesting) — simplify it",
        )
