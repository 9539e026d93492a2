"""Search queries are normalised and bounded before they reach PostgreSQL (issue 26)."""

from __future__ import annotations

import pytest

from reelscan_shared.domain.search import MAX_PREFIXES, MAX_TERMS, MIN_PREFIX_CHARS, InvalidQuery, parse_text_query

ISSUE_QUERY = " ".join(["e*"] * 166)  # 166 prefixes: 44.5 s of PostgreSQL over 200k rows


def test_the_issue_query_is_refused_with_the_reason() -> None:
    with pytest.raises(InvalidQuery, match=f"at least {MIN_PREFIX_CHARS} letters"):
        parse_text_query(ISSUE_QUERY)


def test_repeated_prefixes_and_words_count_once() -> None:
    parsed = parse_text_query(" ".join(["budg*"] * 80) + " Quart* budg*")
    assert parsed.prefixes == ("budg", "quart")
    assert parse_text_query('  "next   year"  or  budget ').words == '"next year" or budget'


@pytest.mark.parametrize(("q", "reason"), [
    (" ".join(f"ab{c}*" for c in "cdefg"[:MAX_PREFIXES + 1]), "different prefixes"),
    (" ".join(f"word{i}" for i in range(MAX_TERMS + 1)), "words"),
    ("budget e*", "too short"),
])
def test_too_broad_queries_are_refused(q: str, reason: str) -> None:
    with pytest.raises(InvalidQuery, match=reason):
        parse_text_query(q)


def test_queries_within_the_bounds_pass() -> None:
    q = " ".join(f"word{i}" for i in range(MAX_TERMS - MAX_PREFIXES)) + " abc* abd* abe*"
    parsed = parse_text_query(q)
    assert len(parsed.prefixes) == MAX_PREFIXES
    assert parse_text_query("budget or quarterly -year").words == "budget or quarterly -year"
