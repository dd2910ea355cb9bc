"""Media-type parsing and ``Accept`` negotiation (RFC 9110 rules, SageMaker's forwarded headers)."""

from __future__ import annotations

import pytest

from serve.errors import BadRequest, NotAcceptable
from serve.media import negotiate, parse_accept, parse_media_type

OFFERED = ("text/csv", "application/json", "application/jsonlines")


def test_parameters_are_parsed_and_names_lowered() -> None:
    media = parse_media_type('Text/CSV; Charset="utf-8"; label=yes')
    assert media.essence == "text/csv"
    assert media.parameters == {"charset": "utf-8", "label": "yes"}


def test_quoted_commas_do_not_split_an_accept_list() -> None:
    ranges = parse_accept('text/csv; note="a,b", application/json;q=0.5')
    assert [r.essence for r in ranges] == ["text/csv", "application/json"]
    assert ranges[0].parameters["note"] == "a,b"


@pytest.mark.parametrize("text", ["csv", "/json", "text/", "text/csv; charset", "a b/c"])
def test_malformed_media_types_are_bad_requests(text: str) -> None:
    with pytest.raises(BadRequest):
        parse_media_type(text)


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        ("", "text/csv"),
        ("*/*", "text/csv"),
        ("application/json", "application/json"),
        ("application/*", "application/json"),
        ("application/jsonlines, application/json", "application/jsonlines"),
        ("application/json;q=0.4, application/jsonlines;q=0.8", "application/jsonlines"),
        ("text/csv;q=0, */*", "application/json"),
        ("*/*;q=0.1, application/jsonlines", "application/jsonlines"),
        ("image/png, text/*;q=0.3", "text/csv"),
    ],
)
def test_negotiation(accept: str, chosen: str) -> None:
    assert negotiate(accept, OFFERED, "text/csv").essence == chosen


def test_the_default_wins_among_equals() -> None:
    assert negotiate("*/*", OFFERED, "application/json").essence == "application/json"


def test_parameters_of_the_matching_range_are_kept() -> None:
    media = negotiate("text/csv;verbose=true;q=0.9", OFFERED, "application/json")
    assert media.parameters == {"verbose": "true"}


def test_nothing_acceptable_lists_the_offer() -> None:
    with pytest.raises(NotAcceptable, match="text/csv, application/json"):
        negotiate("application/xml, text/csv;q=0", OFFERED, "text/csv")


def test_bad_q_values_are_bad_requests() -> None:
    with pytest.raises(BadRequest, match="q-value"):
        negotiate("text/csv;q=high", OFFERED, "text/csv")
    with pytest.raises(BadRequest, match="outside"):
        negotiate("text/csv;q=2", OFFERED, "text/csv")
