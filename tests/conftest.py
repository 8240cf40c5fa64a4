"""Shared fixtures of the whole test suite.

Being here, at the top of ``tests/``, this file also puts ``tests/`` on ``sys.path`` (pytest's
default ``prepend`` import mode), for every test below it, ``tests/fuzz`` and
``tests/browser`` included: ``import support`` and ``import oracle`` work everywhere.
"""
