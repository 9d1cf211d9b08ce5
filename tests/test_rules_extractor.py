"""The offline rules extractor: the seed article, then each pattern family on small made-up sentences."""

from __future__ import annotations

from pathlib import Path

import pytest

from whosaid.extraction.rules import RulesExtractor
from whosaid.models import Article, Claim, ExtractionResult

SEED = Path(__file__).resolve().parents[1] / "events" / "seed-article.txt"


def run(text: str, title: str | None = None) -> ExtractionResult:
    return RulesExtractor().extract(Article(text=text, title=title))


def assert_grounded(text: str, claims: list[Claim]) -> None:
    for claim in claims:
        assert text[claim.content_span[0] : claim.content_span[1]] == claim.content
        assert claim.cue_span is not None and text[claim.cue_span[0] : claim.cue_span[1]] == claim.cue
        assert claim.speaker_span is not None
        assert claim.grounding == "exact" and claim.extractor == "rules"


def by_cue(claims: list[Claim], cue: str) -> list[Claim]:
    return [c for c in claims if c.cue == cue]


def mention(text: str, claim: Claim) -> str:
    assert claim.speaker_span is not None
    return text[claim.speaker_span[0] : claim.speaker_span[1]]


# --- the seed article ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def seed() -> tuple[str, ExtractionResult]:
    text = SEED.read_text(encoding="utf-8")
    return text, run(text)


def test_seed_result_shape(seed: tuple[str, ExtractionResult]) -> None:
    text, result = seed
    assert result.usage.extractor == "rules" and result.usage.total_tokens == 0
    assert_grounded(text, result.claims)
    names = {s.name: s for s in result.speakers}
    assert {"Palestinian sources", "Hazem Qassem", "Hamas"} <= set(names)
    assert names["Palestinian sources"].type == "anonymous"
    assert names["Hazem Qassem"].type == "person" and names["Hazem Qassem"].role == "Hamas spokesman"
    assert names["Hamas"].type == "organization"


def test_seed_palestinian_sources(seed: tuple[str, ExtractionResult]) -> None:
    text, result = seed
    sources = [c for c in result.claims if c.speaker.name == "Palestinian sources"]
    # "… said that", "The sources added, “…”", "The sources confirmed, “…”", "According to the sources, …"
    assert [c.cue for c in sources] == ["said", "added", "confirmed", "According to"]
    said, added, confirmed, according = sources
    assert said.content.startswith("that no substantive breakthrough occurred") and said.quote_type == "indirect"
    assert mention(text, said).startswith("Palestinian sources familiar with the discussions")
    assert added.quote_type == "direct" and added.content.startswith("“There is no agreement on a prisoner")
    assert added.content.endswith("on some issues.”") and mention(text, added) == "The sources"
    assert confirmed.stance == "confirms" and confirmed.content.startswith("“The meetings were long")
    assert according.content.startswith("Egypt will transfer") and mention(text, according) == "the sources"
    assert all(c.speaker.type == "anonymous" for c in sources)


def test_seed_spokesman_denies(seed: tuple[str, ExtractionResult]) -> None:
    text, result = seed
    qassem = [c for c in result.claims if c.speaker.name == "Hazem Qassem"]
    assert len(qassem) == 2
    said, denying = qassem
    assert mention(text, said) == "Hamas spokesman Hazem Qassem"
    # The complementiser "that" is part of the content, as the development set annotates it.
    assert said.content == "that his movement did not reach a long-term truce agreement with Israel"
    assert denying.cue == "denying" and denying.stance == "denies"
    assert denying.content == "some press reports on the matter"
    assert all(c.speaker.role == "Hamas spokesman" for c in qassem)


def test_seed_hamas_statements(seed: tuple[str, ExtractionResult]) -> None:
    text, result = seed
    hamas = [c for c in result.claims if c.speaker.name == "Hamas"]
    assert [mention(text, c) for c in hamas] == ["it", "Hamas", "a Hamas statement"]
    statement, said, according = hamas
    # "Hamas issued a statement in which it said that …": "it" resolves to Hamas.
    assert statement.content.startswith("that its delegation met the Egyptian Minister of Intelligence")
    assert said.content.startswith("that during the meeting, the developments in the Palestinian cause")
    assert according.cue == "According to" and according.quote_type == "mixed"
    assert according.content.startswith("the two sides discussed “the developments of the hot files")


def test_seed_delegation(seed: tuple[str, ExtractionResult]) -> None:
    _, result = seed
    delegation = [c for c in result.claims if "delegation" in c.speaker.name.lower()]
    cues = [c.cue for c in delegation]
    assert "stressed" in cues and "affirmed" in cues and "expressed its appreciation for" in cues
    assert len({c.speaker.name for c in delegation}) == 1  # "the delegation" is the delegation named before
    stressed = by_cue(delegation, "stressed")[0]
    assert stressed.stance == "asserts" and by_cue(delegation, "affirmed")[0].stance == "confirms"
    assert stressed.content.startswith("that, in light of the experience over the past years")
    assert stressed.content.endswith("represents our people at home and abroad")


def test_seed_nothing_from_furniture(seed: tuple[str, ExtractionResult]) -> None:
    text, result = seed
    furniture_start = text.index("For Latest Updates")
    headline_end = text.index("Palestinian sources familiar")
    for claim in result.claims:
        for span in (claim.content_span, claim.speaker_span, claim.cue_span):
            assert span is not None
            assert headline_end <= span[0] and span[1] <= furniture_start, claim
    # The NEXT link holds a speech verb ("warns"): it is still not a claim.
    assert not any("Red Cross" in c.content or c.cue == "warns" for c in result.claims)


def test_seed_no_claims_from_narration(seed: tuple[str, ExtractionResult]) -> None:
    _, result = seed
    for narrated in ("Hastinger inspected", "arrived in Cairo on Sunday", "Egypt is working with the United Nations"):
        assert not any(narrated in c.content for c in result.claims)


# --- direct quotes ---------------------------------------------------------------------------------------------
def test_direct_quote_then_speech_clause() -> None:
    text = "“We will win this fight in the courts,” Mayor Ann Lee said on Tuesday."
    (claim,) = run(text).claims
    assert claim.content == "“We will win this fight in the courts,”"
    assert claim.quote_type == "direct" and claim.cue == "said" and claim.stance == "asserts"
    assert claim.speaker.name == "Ann Lee" and claim.speaker.role == "Mayor" and claim.speaker.type == "person"


def test_direct_quote_inverted_speech_clause_with_straight_quotes() -> None:
    text = '"The plan is dead and buried," said John Kirby, a State Department spokesman.'
    (claim,) = run(text).claims
    assert claim.content == '"The plan is dead and buried,"'
    assert claim.speaker.name == "John Kirby"
    assert mention(text, claim).startswith("John Kirby")


def test_speech_clause_before_quote() -> None:
    text = "The minister added: “Nothing has been decided yet.”"
    (claim,) = run(text).claims
    assert claim.content == "“Nothing has been decided yet.”" and claim.cue == "added"
    assert mention(text, claim) == "The minister"


def test_interrupted_quote_is_one_claim() -> None:
    text = "“We are ready,” she said, “and we will not wait any longer.”"
    (claim,) = run(text).claims
    assert claim.content == text  # annotated as one content running over the speech clause
    assert claim.quote_type == "direct"


def test_multi_sentence_quote_continues_after_speech_clause() -> None:
    text = '"They are worried," Carson said. "There is no question about it."'
    (claim,) = run(text).claims
    assert claim.content == text and claim.speaker.name == "Carson"


def test_multi_paragraph_quote() -> None:
    text = "“The first paragraph of the statement runs on without closing.\n\n“And it ends here,” the governor said."
    (claim,) = run(text).claims
    assert claim.content_span == (0, text.index(" the governor"))
    assert claim.content.endswith("“And it ends here,”")


def test_scare_quotes_are_not_claims() -> None:
    text = "The so-called “deal” collapsed after the vote in the “upper” chamber."
    assert run(text).claims == []


# --- reported speech ---------------------------------------------------------------------------------------------
def test_reported_speech_that_clause() -> None:
    text = "Smith said that the economy was improving."
    (claim,) = run(text).claims
    assert claim.content == "that the economy was improving" and claim.quote_type == "indirect"
    assert claim.cue == "said" and mention(text, claim) == "Smith"


def test_reported_speech_with_addressee_and_time() -> None:
    text = "The senator told reporters on Monday that the bill would pass."
    (claim,) = run(text).claims
    assert claim.content == "that the bill would pass" and claim.cue == "told"
    assert claim.speaker.name == "The senator" and claim.speaker.type == "person"


def test_reported_speech_clause_at_the_end() -> None:
    text = "The economy is growing faster than expected, the finance minister said."
    (claim,) = run(text).claims
    assert claim.content == "The economy is growing faster than expected"
    assert mention(text, claim) == "the finance minister"


def test_parenthetical_speech_clause() -> None:
    text = "It is to the advantage of the country, he says, to write the rules of trade."
    (claim,) = run(text).claims
    assert claim.content == "It is to the advantage of the country, he says, to write the rules of trade"


def test_mixed_quote_type() -> None:
    text = "Clinton told supporters that “we are in this together.”"
    (claim,) = run(text).claims
    assert claim.quote_type == "mixed" and claim.content == "that “we are in this together.”"


@pytest.mark.parametrize(
    ("text", "content", "speaker"),
    [
        (
            "According to the ministry, the border will reopen next week.",
            "the border will reopen next week",
            "ministry",
        ),
        (
            "The border will reopen next week, according to the ministry.",
            "The border will reopen next week",
            "ministry",
        ),
    ],
)
def test_according_to_both_orders(text: str, content: str, speaker: str) -> None:
    (claim,) = run(text).claims
    assert claim.content == content and claim.cue.lower() == "according to"
    assert speaker in claim.speaker.name


# --- speakers resolved ---------------------------------------------------------------------------------------------
def test_pronoun_resolves_to_the_named_speaker() -> None:
    text = "John Smith said the plan was sound. He added that it would cost very little."
    claims = run(text).claims
    assert [c.speaker.name for c in claims] == ["John Smith", "John Smith"]
    assert mention(text, claims[1]) == "He"


def test_surname_and_definite_description_resolve() -> None:
    text = (
        "Police chief Maria Lopez said the roads were closed. Lopez added that they would reopen on Friday.\n\n"
        "Palestinian sources said the talks had stalled. The sources added that no date had been set."
    )
    result = run(text)
    assert [c.speaker.name for c in result.claims] == ["Maria Lopez"] * 2 + ["Palestinian sources"] * 2
    assert result.claims[1].speaker.role == "Police chief"
    assert {s.name: s.claim_count for s in result.speakers} == {"Maria Lopez": 2, "Palestinian sources": 2}


# --- stance ----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("sentence", "stance"),
    [
        ("The ministry denied that troops had crossed the border.", "denies"),
        ("The ministry confirmed that troops had crossed the border.", "confirms"),
        ("The ministry suggested that troops had crossed the border.", "hedges"),
        ("The ministry said that troops may have crossed the border.", "hedges"),
        ("The ministry did not deny that troops had crossed the border.", "hedges"),
        ("The ministry said that troops had crossed the border.", "asserts"),
    ],
)
def test_stance_from_cue_and_negation(sentence: str, stance: str) -> None:
    (claim,) = run(sentence).claims
    assert claim.stance == stance


# --- furniture ---------------------------------------------------------------------------------------------------
def test_page_furniture_never_yields_a_claim() -> None:
    text = (
        "Minister says taxes will rise\n\nMinister says taxes will rise\n\nBy Jane Roe\n\n"
        "The report was published on Monday.\n\n"
        "Share this article\nFollow us on Twitter, where our editor says news comes first\n"
        "Photo: the minister said to be smiling / Reuters\n"
        "PREV Official says floods will worsen\nNEXT Governor warns of “a long and cold winter ahead”\n"
        "(Additional reporting by Jane Roe; Editing by John Doe)\nCosta reported from Washington.\n"
        "Correction: An earlier version said the bridge was open."
    )
    assert run(text, title="Minister says taxes will rise").claims == []


def test_title_line_is_furniture() -> None:
    text = "Mayor says the bridge will close\n\nThe works start in May."
    assert run(text, title="Mayor says the bridge will close").claims == []


# --- property: every span slices to its field ------------------------------------------------------------------
SAMPLES = [
    "“We are ready,” she said, “and we will not wait any longer.”\n\nHe told CNN: “Nothing changes.”",
    "Officials, who spoke on condition of anonymity, said the talks failed. ''It was a disaster,'' one added.",
    "Café owner Zoë Ńowak said the rent — already high — had doubled. “C’est la vie,” she said.",
    "The plan, according to aides, is to wait. Aides said the president would speak, adding that he was calm.",
]


@pytest.mark.parametrize("text", [*SAMPLES, SEED.read_text(encoding="utf-8")])
def test_every_span_slices_to_its_field(text: str) -> None:
    claims = run(text).claims
    assert claims
    assert_grounded(text, claims)
    for claim in claims:
        assert claim.speaker.name and claim.content.strip()


def test_speaker_with_appositive_keeps_the_role() -> None:
    text = "Brian Fallon, a spokesman for the Clinton campaign, said the process was followed."
    (claim,) = run(text).claims
    assert mention(text, claim) == "Brian Fallon, a spokesman for the Clinton campaign,"
    assert claim.speaker.name == "Brian Fallon" and claim.speaker.role == "a spokesman for the Clinton campaign"


def test_coordinated_and_participle_cues_make_claims_of_the_same_speaker() -> None:
    text = (
        "Senator Lindsey Graham said that Carson is a decent man, and said that Trump melted down.\n\n"
        "“Nothing you can do, folks,” Trump told a rally, saying Clinton would abolish the amendment."
    )
    claims = run(text).claims
    assert [(c.speaker.name, c.cue) for c in claims] == [
        ("Lindsey Graham", "said"),
        ("Lindsey Graham", "said"),
        ("Trump", "told"),
        ("Trump", "saying"),
    ]
    assert claims[1].content == "that Trump melted down"
    assert claims[3].content == "Clinton would abolish the amendment"


def test_headline_style_statement() -> None:
    text = "Trump: My immigration plans are not set in stone\n\nEditor’s Note: this story was updated."
    (claim,) = run(text).claims
    assert (claim.speaker.name, claim.cue, claim.content) == ("Trump", ":", "My immigration plans are not set in stone")
