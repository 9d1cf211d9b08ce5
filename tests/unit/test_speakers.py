"""Speakers as entities: role/name split, type, and merging one article's mentions (claims from any extractor)."""

from __future__ import annotations

import pytest

from whosaid.extraction.speakers import classify, parse_mention, split_role_name, unify_speakers
from whosaid.models import Claim, Speaker


@pytest.mark.parametrize(
    ("mention", "role", "name"),
    [
        ("Hamas spokesman Hazem Qassem", "Hamas spokesman", "Hazem Qassem"),
        ("Ismail Haniyeh, head of the bureau", "head of the bureau", "Ismail Haniyeh"),
        ("Mrs. Clinton", None, "Clinton"),
        ("CWA President Chris Shelton", "CWA President", "Chris Shelton"),
        ("Qassem", None, "Qassem"),
        ("the sources", None, "the sources"),
        # The word after "of" completes the role; a title stays in it.
        ("Secretary of State John Kerry", "Secretary of State", "John Kerry"),
        ("former Gov. Jim Walsh", "former Gov.", "Jim Walsh"),
    ],
)
def test_split_role_name(mention: str, role: str | None, name: str) -> None:
    assert split_role_name(mention) == (role, name)


@pytest.mark.parametrize(
    ("mention", "name", "type_"),
    [
        (
            "Palestinian sources familiar with the discussions that took place in Cairo",
            "Palestinian sources",
            "anonymous",
        ),
        ("a senior administration official", "a senior administration official", "anonymous"),
        ("a Hamas statement", "Hamas", "organization"),
        ("the State Department", "State Department", "organization"),
        ("Hazem Qassem", "Hazem Qassem", "person"),
        ("he", "he", "person"),
        ("NATO", "NATO", "organization"),
        # A name built on a proper name drops its article (one entity, one name wherever the mention stands).
        ("The Hamas leadership delegation", "Hamas leadership delegation", "organization"),
        ("The New York Times", "New York Times", "organization"),
        ("the New York Times", "New York Times", "organization"),
        # A possessive or a contraction names the same speaker; an outlet's possessive is the person's role.
        ("Hillary Clinton’s", "Hillary Clinton", "person"),
        ("He’s", "He", "person"),
        ("Fox News’ Jane Roe", "Jane Roe", "person"),
        ("Texas", "Texas", "organization"),
        ("Several senators", "Several senators", "anonymous"),
        # Where a person is from is not their name.
        ("former Gov. Jim Walsh of Ohio", "Jim Walsh", "person"),
        ("Jane Roe of the Brookings Institution", "Jane Roe", "person"),
    ],
)
def test_parse_mention(mention: str, name: str, type_: str) -> None:
    parsed = parse_mention(mention)
    assert (parsed.name, parsed.type) == (name, type_)


def test_single_name_used_as_an_organisation_in_the_article() -> None:
    context = "Hamas spokesman Hazem Qassem said … Hamas said that the talks went well."
    assert classify("Hamas", None, context) == "organization"
    assert classify("Qassem", None, context) == "person"


def claim(name: str, start: int, type_: str = "person", role: str | None = None) -> Claim:
    return Claim(
        speaker=Speaker(name=name, type=type_, role=role),  # type: ignore[arg-type]
        cue="said",
        content="x" * 5,
        quote_type="indirect",
        stance="asserts",
        content_span=(start, start + 5),
        extractor="llm",
    )


def test_surname_joins_the_full_name_and_keeps_the_role() -> None:
    claims = [
        claim("Qassem", 50),
        claim("Hazem Qassem", 10, role="Hamas spokesman"),
        claim("Hamas", 90, "organization"),
    ]
    merged = unify_speakers(claims)
    assert [c.speaker.name for c in merged] == ["Hazem Qassem", "Hazem Qassem", "Hamas"]
    assert merged[0].speaker.role == "Hamas spokesman"  # the order of the input list is kept
    assert merged[2].speaker.type == "organization"


def test_definite_descriptions_join_the_speaker_named_before() -> None:
    claims = [
        claim("Palestinian sources", 0, "anonymous"),
        claim("the sources", 20, "anonymous"),
        claim("Hazem Qassem", 40, role="Hamas spokesman"),
        claim("the spokesman", 60, "anonymous"),
    ]
    merged = unify_speakers(claims)
    assert [c.speaker.name for c in merged] == ["Palestinian sources"] * 2 + ["Hazem Qassem"] * 2
    assert merged[3].speaker.type == "person" and merged[3].speaker.role == "Hamas spokesman"


def test_distinct_people_sharing_no_name_stay_apart() -> None:
    claims = [claim("John Smith", 0), claim("Jane Doe", 10), claim("Smith", 20), claim("he", 30)]
    merged = unify_speakers(claims)
    assert [c.speaker.name for c in merged] == ["John Smith", "Jane Doe", "John Smith", "he"]


def test_unify_keeps_claims_and_handles_empty() -> None:
    assert unify_speakers([]) == []
    claims = [claim("A Person", 0)]
    merged = unify_speakers(claims)
    assert merged[0].content_span == claims[0].content_span and merged[0].extractor == "llm"
