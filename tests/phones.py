"""Mobile numbers for tests: each call in a test process gets one no other call has had.

One counter, imported by tests/conftest.py's ``book`` and by tests/stats/world.py (a plain module:
a conftest is imported under its own name, and importing it again would start a second counter).
Its range, 150…, is one no test types by hand: a number written in a test never meets one of these.
"""
from __future__ import annotations

import itertools

_phones = itertools.count(15000000001)


def next_phone() -> str:
    return str(next(_phones))
