"""Media types as HTTP defines them: ``Content-Type`` parsing and ``Accept`` negotiation.

SageMaker forwards the caller's ``Content-Type`` and ``Accept`` verbatim (up to 1,024 ASCII
characters). ``Accept`` may list several ranges with q-values and wildcards (RFC 9110 12.5.1);
the most specific matching range decides a type's quality, q=0 excludes it, and among equally
acceptable types the server's own order (the spec's response content types, default first)
decides.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from serve.errors import BadRequest, NotAcceptable


@dataclass(frozen=True)
class MediaType:
    """``type/subtype`` (lower case) and its parameters (names lower case, values as sent)."""

    type: str
    subtype: str
    parameters: dict[str, str] = field(default_factory=dict)

    @property
    def essence(self) -> str:
        return f"{self.type}/{self.subtype}"

    @property
    def quality(self) -> float:
        return _quality(self.parameters.get("q", "1"))

    def matches(self, essence: str) -> bool:
        kind, _, sub = essence.partition("/")
        if self.type == "*":
            return True
        return self.type == kind and self.subtype in ("*", sub)

    @property
    def specificity(self) -> int:
        if self.type == "*":
            return 0
        return 1 if self.subtype == "*" else 2 + bool(set(self.parameters) - {"q"})


def parse_media_type(text: str) -> MediaType:
    """One media type, e.g. ``text/csv; charset=utf-8``; BadRequest when it is not one."""
    head, *parameters = _split_outside_quotes(text, ";")
    kind, slash, sub = head.strip().lower().partition("/")
    if not slash or not kind or not sub or " " in kind or " " in sub:
        raise BadRequest(f"malformed media type {text.strip()!r}: expected type/subtype")
    return MediaType(kind, sub, dict(_parameter(p) for p in parameters if p.strip()))


def parse_accept(text: str) -> list[MediaType]:
    """The media ranges of an ``Accept`` header, in the order sent."""
    return [parse_media_type(part) for part in _split_outside_quotes(text, ",") if part.strip()]


def negotiate(accept: str, offered: Sequence[str], default: str) -> MediaType:
    """The offered type the client prefers, with the parameters of the range that chose it.

    Highest q-value first; among equals, a type named outright beats a wildcard match, then the
    client's order decides, then the server's (``default`` first). An absent ``Accept`` means
    ``default``. NotAcceptable (406) lists what is offered when nothing matches.
    """
    ranges = parse_accept(accept) if accept.strip() else []
    if not ranges:
        return parse_media_type(default)
    order = [default, *(o for o in offered if o != default)]
    best: tuple[tuple[float, int, int, int], MediaType] | None = None
    for position, essence in enumerate(order):
        chosen = _best_range(ranges, essence)
        if chosen is None or chosen.quality <= 0:
            continue
        key = (chosen.quality, min(chosen.specificity, 2), -ranges.index(chosen), -position)
        if best is None or key > best[0]:
            best = (key, _offered_with(essence, chosen))
    if best is None:
        raise NotAcceptable(
            f"cannot answer with any type in Accept {accept.strip()!r}; "
            f"this model answers with {', '.join(offered)}"
        )
    return best[1]


def _best_range(ranges: list[MediaType], essence: str) -> MediaType | None:
    matching = [r for r in ranges if r.matches(essence)]
    return max(matching, key=lambda r: r.specificity) if matching else None


def _offered_with(essence: str, chosen: MediaType) -> MediaType:
    kind, _, sub = essence.partition("/")
    parameters = {k: v for k, v in chosen.parameters.items() if k != "q"}
    return MediaType(kind, sub, parameters if chosen.essence == essence else {})


def _parameter(text: str) -> tuple[str, str]:
    name, equals, value = text.strip().partition("=")
    if not equals or not name.strip():
        raise BadRequest(f"malformed media-type parameter {text.strip()!r}: expected name=value")
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    return name.strip().lower(), value


def _quality(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise BadRequest(f"malformed q-value {text!r}: expected a number from 0 to 1") from None
    if not 0.0 <= value <= 1.0:
        raise BadRequest(f"q-value {text!r} is outside 0..1")
    return value


def _split_outside_quotes(text: str, separator: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == separator and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts
