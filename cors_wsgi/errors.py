"""The one exception a bad configuration raises."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["CORSConfigError"]


class CORSConfigError(ValueError):
    """A CORS configuration has one or more problems.

    Raised when a :class:`~cors_wsgi.CORSPolicy` (or a middleware) is built, never
    later at request time.  Every problem found is listed, one per line, each naming
    the offending value and, where one is known, a hint on how to fix it.  The
    individual messages are kept in :attr:`problems`.
    """

    #: The individual problem messages, in the order found.
    problems: tuple[str, ...]

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        heading = "1 problem" if count == 1 else f"{count} problems"
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(f"invalid CORS configuration ({heading}):\n{lines}")
