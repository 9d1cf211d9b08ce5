"""The offline rules extractor: the seed article, then each pattern family on small made-up sentences."""

from __future__ import annotations

from pathlib import Path

import pytest

from whosaid.extraction.rules import RulesExtractor
from whosaid.models import Article, Claim, ExtractionResult

SEED = Path(__file__).resolve().parents[2] / "events" / "seed-article.txt"


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
    assert names["Palestinian sources"].role == "familiar with the discussions"  # what characterises the sources
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
    # "… Hamas said that …, and the movement’s leadership affirmed …": the movement is Hamas, speaking through its
    # leadership.
    assert [mention(text, c) for c in hamas] == ["it", "Hamas", "the movement’s leadership", "a Hamas statement"]
    statement, said, leadership, according = hamas
    assert leadership.cue == "affirmed" and leadership.speaker.type == "organization"
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


def test_quote_with_its_own_speech_clause_is_its_own_claim() -> None:
    text = '"They are worried," Carson said. "It will get worse," he added.'
    first, second = run(text).claims
    assert first.content == '"They are worried,"' and first.cue == "said"
    assert second.content == '"It will get worse,"' and second.cue == "added"


def test_quote_paragraph_after_a_speech_clause_continues_the_quote() -> None:
    text = "“We will not give up,” the senator said.\n\n“It is too important to fail.”\n\nThe vote is Friday."
    (claim,) = run(text).claims
    assert claim.content == text[: text.index("\n\nThe vote")]
    # a narrative sentence after the speech clause, or a speech clause of its own, ends the run
    text = "“We will not give up,” the senator said. She left.\n\n“It is too important to fail.”"
    assert [c.content for c in run(text).claims] == ["“We will not give up,”"]
    text = "“We will not give up,” the senator said.\n\n“It is too important to fail,” her aide said."
    assert [c.content for c in run(text).claims] == ["“We will not give up,”", "“It is too important to fail,”"]


def test_quote_without_closing_punctuation_runs_on_to_the_speech_clause() -> None:
    text = "“I held and hugged” grieving family members at the memorial, he said."
    (claim,) = run(text).claims
    assert claim.content == "“I held and hugged” grieving family members at the memorial"
    assert claim.quote_type == "mixed" and claim.cue == "said"


def test_quote_after_its_clause_without_closing_punctuation_runs_to_the_sentence_end() -> None:
    text = "The professor added: “In retrospect, we should have seen” it coming. Nobody did."
    (claim,) = run(text).claims
    assert claim.content == "“In retrospect, we should have seen” it coming"


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


def test_semicolon_then_another_speakers_clause_ends_the_content() -> None:
    text = "Most voters said they are following the race; 26 percent of Democrats say they are not."
    first, second = run(text).claims
    assert first.content == "they are following the race" and second.content == "they are not"


def test_another_speakers_clause_with_a_long_subject_ends_the_content() -> None:
    text = (
        "Only 7 percent said they are undecided, but 27 percent of those who named a candidate said they could change."
    )
    first, second = run(text).claims
    assert first.content == "they are undecided" and second.content == "they could change"


def test_comma_and_another_speakers_clause_ends_the_content() -> None:
    text = "Most voters said Clinton is honest, and three-quarters said the same of Sanders."
    first, second = run(text).claims
    assert first.content == "Clinton is honest" and second.content == "the same of Sanders"


def test_bare_and_then_another_speakers_clause_ends_the_content() -> None:
    text = "Some delegates have said they will stay home and others have said they will protest."
    first, second = run(text).claims
    assert first.content == "they will stay home" and second.content == "they will protest"
    # names coordinated by 'and' are one subject inside the content
    text = "He says the bill will pass because Congress and President Obama agreed to extend the cuts."
    (claim,) = run(text).claims
    assert claim.content == "the bill will pass because Congress and President Obama agreed to extend the cuts"


def test_parenthetical_speech_clause() -> None:
    text = "It is to the advantage of the country, he says, to write the rules of trade."
    (claim,) = run(text).claims
    assert claim.content == "It is to the advantage of the country, he says, to write the rules of trade"


def test_mixed_quote_type() -> None:
    text = "Clinton told supporters that “we are in this together.”"
    (claim,) = run(text).claims
    assert claim.quote_type == "mixed" and claim.content == "that “we are in this together.”"


def test_mixed_quote_runs_to_its_closing_mark() -> None:
    text = "Smith said that the plan “will not pass. Nobody wants it.” Then the vote began."
    (claim,) = run(text).claims
    assert claim.content == "that the plan “will not pass. Nobody wants it.”"


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
    assert claim.speaker.name == "Brian Fallon" and claim.speaker.role == "spokesman for the Clinton campaign"


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


# --- name-calling, questions, colon quotes ----------------------------------------------------------------------
def test_name_calling_with_a_quotation() -> None:
    text = "Governor Ann Lee called the tax plan “a gift to the rich.”"
    (claim,) = run(text).claims
    assert claim.cue == "called" and claim.content == "the tax plan “a gift to the rich.”"
    assert claim.speaker.name == "Ann Lee" and claim.quote_type == "mixed"


def test_name_calling_a_pronoun_without_quotation() -> None:
    text = "Mayor Tom Reyes met the council. He called them cowards for delaying the vote."
    (claim,) = run(text).claims
    assert claim.content == "them cowards for delaying the vote" and claim.speaker.name == "Tom Reyes"


def test_what_someone_called_starts_at_the_relative_word() -> None:
    text = "The merger led to what analyst Mia Park called “a race to the bottom” in the industry."
    (claim,) = run(text).claims
    assert claim.content == "what analyst Mia Park called “a race to the bottom”"
    assert mention(text, claim) == "analyst Mia Park"


@pytest.mark.parametrize(
    "text",
    [
        "The ship, called the Northern Star, sailed at dawn.",
        "The so-called reform stalled in committee.",
        "She called a press conference for Friday.",
        "He called for calm and called off the march.",
        "They called him back after the meeting.",
    ],
)
def test_calling_that_is_not_name_calling(text: str) -> None:
    assert not [c for c in run(text).claims if c.cue in {"called", "calls", "calling"}]


def test_question_whose_asker_is_never_named_is_not_a_claim() -> None:
    # The reporter's question is attributed to nobody; only the answer is a claim, and no speaker is "unknown".
    text = "Asked whether she would run again, Governor Ann Lee said she had not decided."
    (said,) = run(text).claims
    assert said.speaker.name == "Ann Lee" and said.content == "she had not decided"


def test_question_names_the_asker_when_written() -> None:
    text = "The mayor smiled when asked by reporters if the budget would pass."
    (claim,) = run(text).claims
    assert claim.content == "if the budget would pass" and mention(text, claim) == "reporters"


def test_asked_with_an_object_and_a_request() -> None:
    text = "The governor asked lawmakers to delay the vote until March."
    (claim,) = run(text).claims
    assert claim.content == "lawmakers to delay the vote until March" and claim.cue == "asked"
    assert run("She asked him a question about the weather.").claims == []


def test_colon_introduced_quotation_after_a_name() -> None:
    text = "The surge does not surprise pollster Dana Whitfield: “Newcomers always rise after early contests.”"
    (claim,) = run(text).claims
    assert claim.cue == ":" and claim.quote_type == "direct"
    assert claim.content == "“Newcomers always rise after early contests.”" and claim.speaker.name == "Dana Whitfield"


def test_linked_headline_by_a_byline_is_not_a_claim() -> None:
    text = "—“Museum to close in December,” by Times’ Jane Roe: “The small museum will shut its doors next month.”"
    assert not [c for c in run(text).claims if c.cue == ":"]


# --- boundaries --------------------------------------------------------------------------------------------------
def test_inverted_speaker_with_lowercase_premodifier_and_relative_clause() -> None:
    text = (
        "“The race is tight,” said former Gov. Jim Walsh of Ohio.\n\n"
        "“It is not over,” said one adviser who spoke on condition of anonymity."
    )
    walsh, adviser = run(text).claims
    assert walsh.speaker.name == "Jim Walsh" and walsh.content == "“The race is tight,”"
    assert mention(text, adviser) == "one adviser" and adviser.content == "“It is not over,”"


def test_quote_continues_after_a_speech_clause_with_appositive() -> None:
    text = "“We lost,” said Ray Dunn, a pollster who worked on the campaign. “Nobody saw it coming.”"
    (claim,) = run(text).claims
    assert claim.content == text and mention(text, claim) == "Ray Dunn, a pollster who worked on the campaign"


def test_speaker_after_a_title_in_quotation_marks() -> None:
    text = "Speaking on “Meet the Press,” Senator Jo Hart said the bill would fail."
    (claim,) = run(text).claims
    assert claim.speaker.name == "Jo Hart" and claim.content == "the bill would fail"


def test_second_speakers_clause_ends_the_first_content() -> None:
    text = "Smith said the plan would fail, but Jones said it would work."
    first, second = run(text).claims
    assert first.content == "the plan would fail" and first.speaker.name == "Smith"
    assert second.content == "it would work" and second.speaker.name == "Jones"


def test_same_speaker_second_verb_after_a_quotation() -> None:
    text = "Mayor Lee called the plan “reckless,” and said the council would block it."
    called, said = run(text).claims
    assert called.content == "the plan “reckless,”" and said.content == "the council would block it"
    assert called.speaker.name == said.speaker.name == "Lee"


def test_object_belongs_to_accusations_and_praise() -> None:
    text = "The senator accused the agency of hiding the report."
    (claim,) = run(text).claims
    assert claim.content == "the agency of hiding the report"


def test_time_and_preposition_after_the_cue_are_not_content() -> None:
    claims = run("The minister said Tuesday the talks had failed.\n\nShe complained about the long delays.").claims
    assert [c.content for c in claims] == ["the talks had failed", "the long delays"]


def test_leading_discourse_marker_and_dateline_are_not_content() -> None:
    claims = run(
        "In fact, the deal is dead, the minister said.\n\n"
        "LONDON (Reuters) - The bank will raise rates in May, according to two sources."
    ).claims
    assert [c.content for c in claims] == ["the deal is dead", "The bank will raise rates in May"]


def test_relative_and_conditional_fronted_content() -> None:
    claims = run(
        "Voters backed a measure which critics say will raise taxes.\n\n"
        "If the deal collapses, the analyst said, markets will fall."
    ).claims
    assert claims[0].content == "which critics say will raise taxes"
    assert claims[1].content == "If the deal collapses, the analyst said, markets will fall"


def test_time_after_the_cue_before_an_infinitive_or_question_is_the_cues() -> None:
    claims = run("The senator vowed last month to take the fight to the convention.").claims
    assert claims[0].content == "to take the fight to the convention"


def test_fronted_concession_is_not_content() -> None:
    text = "While the donor did not disclose his backing, he did say he found Trump charming."
    (claim,) = run(text).claims
    assert claim.content == "he found Trump charming"


def test_according_to_an_abbreviated_or_dotted_source() -> None:
    claims = run(
        "According to Rep. Jo Hart, the probe found nothing.\n\n"
        "The figure is closer to 15 percent, according to Factcheck.org.\n\n"
        "Union members backed him by 20 points, according to polling by the A.F.L.-C.I.O., even as others did not."
    ).claims
    assert [(c.speaker.name, c.content) for c in claims] == [
        ("Jo Hart", "the probe found nothing"),
        ("Factcheck.org", "The figure is closer to 15 percent"),
        ("polling by the A.F.L.-C.I.O.", "Union members backed him by 20 points"),
    ]


def test_participle_after_a_narrated_clause_takes_the_sentence_subject() -> None:
    text = "WASHINGTON — Sen. Jo Hart (D-Vt.) defended the bill on Monday, saying it would create jobs."
    (claim,) = run(text).claims
    assert claim.cue == "saying" and claim.speaker.name == "Jo Hart" and claim.content == "it would create jobs"


# --- pronouns ------------------------------------------------------------------------------------------------------
def test_pronoun_without_earlier_speaker_resolves_to_the_nearest_full_name() -> None:
    text = (
        "Maria Gonzalez has run the shelter since 2009. Volunteers arrive each morning and the line grows longer "
        "every winter, with families waiting outside in the cold for hours before the doors open at eight. "
        "The city cut its grant last year and donations have fallen since the spring, leaving the kitchen short of "
        "staff and food on most weekends. Local churches help where they can, but the need keeps growing. "
        "“We cannot keep up,” she said."
    )
    (claim,) = run(text).claims
    assert claim.speaker.name == "Maria Gonzalez" and claim.speaker.type == "person"


def test_pronoun_skips_places_and_possessives() -> None:
    text = "Iowa’s caucus results surprised Hillary Clinton’s aides. “It was close,” she said."
    (claim,) = run(text).claims
    assert claim.speaker.name == "Hillary Clinton" and claim.speaker.type == "person"


def test_unresolvable_pronoun_stays_a_person() -> None:
    (claim,) = run("“It was close,” she said.").claims
    assert claim.speaker.name == "she" and claim.speaker.type == "person"


def test_asked_names_the_question_not_who_was_asked() -> None:
    (claim,) = run("Reporters asked the mayor how she would pay for the bridge.").claims
    assert claim.content == "how she would pay for the bridge" and claim.speaker.name == "Reporters"


def test_opening_conjunction_is_not_according_to_content() -> None:
    (claim,) = run("But, according to two aides, the plan is dead.").claims
    assert claim.content == "the plan is dead" and claim.speaker.type == "anonymous"


def test_participle_with_a_subject_of_its_own() -> None:
    text = "Voters view her as ready, with 50 percent saying she is prepared for the job."
    (claim,) = run(text).claims
    assert claim.cue == "saying" and mention(text, claim) == "50 percent"
    assert claim.content == "she is prepared for the job"
    assert run("He defended the plan, while saying little about its cost.").claims == []


def test_title_case_headline_statement() -> None:
    text = "Governor Says New Bridge Will Open In May\n\nThe bridge has been closed for two years."
    (claim,) = run(text).claims
    assert (claim.speaker.name, claim.cue, claim.content) == ("Governor", "Says", "New Bridge Will Open In May")


def test_transcript_turns_are_direct_claims_of_their_speakers() -> None:
    text = (
        "The interview aired on Sunday.\n\n"
        "JANE ROE: Do you think the bill will pass this year?\n\n"
        "SMITH: I think it will pass before the summer recess.\n\n"
        "UPDATE: This story has been updated."
    )
    claims = run(text).claims
    assert [(c.speaker.name, c.quote_type, c.content) for c in claims] == [
        ("Jane Roe", "direct", "Do you think the bill will pass this year?"),
        ("Smith", "direct", "I think it will pass before the summer recess."),
    ]
    assert all(c.speaker.type == "person" and c.cue == ":" for c in claims)
    # One capitalised label alone is a headline kicker, not a transcript.
    assert run("BREAKING: The bridge will close on Monday for repairs.").claims == []


def test_expressed_concern_keeps_the_complementiser_in_the_content() -> None:
    (claim,) = run("Several senators expressed concern that the deal would fail.").claims
    assert claim.cue == "expressed concern" and claim.content == "that the deal would fail"
    assert claim.speaker.type == "anonymous"


def test_an_interrupted_quote_has_a_segment_per_piece() -> None:
    text = (
        "“We will rebuild the bridge before the winter,” Mayor Ann Lee said on Tuesday, “and we will pay for it "
        "ourselves.”\n\nThe plan, officials said, would cost more than expected.\n\nThe council approved it."
    )
    quote, plan = run(text).claims[:2]
    assert [text[s:e] for s, e in quote.content_segments or []] == [
        "“We will rebuild the bridge before the winter,”",
        "“and we will pay for it ourselves.”",
    ]
    assert [text[s:e] for s, e in plan.content_segments or []] == ["The plan", "would cost more than expected"]
