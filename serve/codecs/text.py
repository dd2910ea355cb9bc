"""A text body decoded by its ``charset``: any of Python's character encodings but the few that
are not charsets (they transform text, or decode in more than linear time)."""

from __future__ import annotations

import codecs

from serve.errors import BadRequest, UnsupportedMediaType

NOT_CHARSETS = frozenset({"idna", "punycode", "unicode-escape", "raw-unicode-escape", "undefined"})
"""Python codecs refused as a ``charset`` (415): ``punycode`` and ``idna`` decode in quadratic
time, the escape codecs rewrite text, ``undefined`` fails on every body."""


def body_text(body: bytes, charset: str, where: str) -> str:
    """The body as text, a leading byte order mark dropped; 415 for a charset that is not one,
    400 naming the first byte that is not valid in it."""
    try:
        name = codecs.lookup(charset).name
    except (LookupError, ValueError):  # ValueError: a NUL or a lone surrogate in the name
        raise UnsupportedMediaType(f"unknown charset {charset!r} in Content-Type") from None
    if name in NOT_CHARSETS:
        raise UnsupportedMediaType(f"charset {charset!r} is not a character encoding for text")
    try:
        text = body.decode(charset)
    except LookupError:  # a codec that is not a text encoding (base64, zlib, rot13)
        raise UnsupportedMediaType(f"unknown charset {charset!r} in Content-Type") from None
    except UnicodeDecodeError as error:
        raise BadRequest(f"{where} is not valid {charset}: byte {error.start}") from None
    except UnicodeError as error:
        raise BadRequest(f"{where} is not valid {charset} ({error})") from None
    return text[1:] if text.startswith("\ufeff") else text
