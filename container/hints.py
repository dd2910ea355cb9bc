"""Helpful hints for mistyped names."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(text: str, candidates: Iterable[str]) -> str:
    """`` (did you mean 'epochs'?)`` for the closest candidate, or an empty string."""
    matches = difflib.get_close_matches(text, list(candidates), n=1, cutoff=0.5)
    return f" (did you mean {matches[0]!r}?)" if matches else ""
