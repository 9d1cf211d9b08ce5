"""Speaker resolution in the rules extractor: the right *who* for every claim, on sentences written for these tests.

Each case of the speaker contract (DESIGN.md): appositives, titles and descriptors, pronouns with agreement,
surnames and partial names, definite descriptions, representatives, anonymous descriptors, documents, cues,
metadata and non-claims.
"""

from __future__ import annotations

import pytest

from whosaid.extraction.rules import RulesExtractor
from whosaid.models import Article, Claim, ExtractionResult


def run(text: str, title: str | None = None) -> ExtractionResult:
    result = RulesExtractor().extract(Article(text=text, title=title))
    for claim in result.claims:
        assert text[claim.content_span[0] : claim.content_span[1]] == claim.content
    return result


def only(text: str) -> Claim:
    claims = run(text).claims
    assert len(claims) == 1, [(c.speaker.name, c.cue, c.content) for c in claims]
    return claims[0]


def who(claim: Claim) -> tuple[str, str, str | None]:
    return claim.speaker.name, claim.speaker.type, claim.speaker.role


def claim_with(claims: list[Claim], fragment: str) -> Claim:
    found = [c for c in claims if fragment in c.content]
    assert len(found) == 1, [(c.speaker.name, c.content) for c in claims]
    return found[0]


# --- appositives on either side --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "A spokesman for the regional government, Erik Voss, denied that the budget had been cut.",
            ("Erik Voss", "person", "spokesman for the regional government"),
        ),
        (
            "Xi Jinping's spokesman, Wang Wenbin, said the talks would resume next month.",
            ("Wang Wenbin", "person", "Xi Jinping's spokesman"),
        ),
        (
            "Dana Whitfield, a spokeswoman for Acme, said the recall was voluntary.",
            ("Dana Whitfield", "person", "spokeswoman for Acme"),
        ),
        (
            "“The recall is voluntary,” said Dana Whitfield, a spokeswoman for Acme.",
            ("Dana Whitfield", "person", "spokeswoman for Acme"),
        ),
        (
            "The city’s mayor, Ines Moreau, told reporters that the bridge would reopen in May.",
            ("Ines Moreau", "person", "city’s mayor"),
        ),
    ],
)
def test_appositives_on_either_side(text: str, expected: tuple[str, str, str | None]) -> None:
    assert who(only(text)) == expected


def test_an_appositive_denial_keeps_its_stance() -> None:
    claim = only("A spokesman for the regional government, Erik Voss, denied that the budget had been cut.")
    assert claim.cue == "denied" and claim.stance == "denies"
    assert claim.content == "that the budget had been cut"


# --- titles and descriptors before a name ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Turkish Foreign Minister Mevlüt Çavuşoğlu said on Tuesday that Ankara would not back down.",
            ("Mevlüt Çavuşoğlu", "person", "Turkish Foreign Minister"),
        ),
        (
            "Bay Area resident Katelin Tharp said the new fares were too high for her family.",
            ("Katelin Tharp", "person", "Bay Area resident"),
        ),
        (
            "Northwind Motors chief executive Lena Ortiz said in a statement on Thursday that sales would recover.",
            ("Lena Ortiz", "person", "Northwind Motors chief executive"),
        ),
        (
            "“We are ready for the storm,” said Interior Minister Ana Ruiz on Thursday.",
            ("Ana Ruiz", "person", "Interior Minister"),
        ),
        (
            "Longtime resident Omar Haddad said the flooding had never been this bad.",
            ("Omar Haddad", "person", "Longtime resident"),
        ),
        (
            "Vice Premier Hà Thị Lan said the ports would stay open through the holiday.",
            ("Hà Thị Lan", "person", "Vice Premier"),
        ),
        (
            "Ukrainian Foreign Minister Дмитро Кулеба said the talks had achieved nothing.",
            ("Дмитро Кулеба", "person", "Ukrainian Foreign Minister"),
        ),
        (
            "The 36-year-old Tomas Brandt said he would retire after the season ended.",
            ("Tomas Brandt", "person", "36-year-old"),
        ),
        (
            "Her friend Roger Klee said the two had trained together for years.",
            ("Roger Klee", "person", "friend"),
        ),
    ],
)
def test_titles_and_descriptors_before_a_name(text: str, expected: tuple[str, str, str | None]) -> None:
    assert who(only(text)) == expected


def test_a_role_never_swallows_a_comma_a_time_or_the_next_sentence() -> None:
    text = (
        "Health Minister Sara Lind, in a statement on Thursday, said the clinics would reopen. "
        "Officials did not say when. “We have the staff,” Lind said."
    )
    claims = run(text).claims
    assert {who(c) for c in claims} == {("Sara Lind", "person", "Health Minister")}


# --- pronouns with agreement ---------------------------------------------------------------------------------
def test_she_resolves_to_a_person_never_to_a_place() -> None:
    text = (
        "Puerto Rico Governor Jenniffer Colón met with federal officials in San Juan. Puerto Rico has struggled "
        "to rebuild since the hurricane. “We need the funds now,” she said."
    )
    claim = claim_with(run(text).claims, "We need the funds now")
    assert who(claim) == ("Jenniffer Colón", "person", "Puerto Rico Governor")


def test_he_never_resolves_to_a_headline_or_a_date() -> None:
    text = (
        "Headline: Harbor Expansion Approved After Long Fight\n"
        "Date: March 4, 2025\n\n"
        "Marco Bellini has fought the expansion since 2019. On March 4, the council approved it anyway. "
        "“It is a sad day for the harbor,” he said."
    )
    claim = claim_with(run(text).claims, "sad day")
    assert claim.speaker.name == "Marco Bellini"


def test_it_and_they_resolve_to_organizations_and_groups() -> None:
    text = (
        "Northwind Motors recalled 40,000 vehicles in Ohio on Monday. It said the brake defect was rare. "
        "Dealers in Ohio said sales had stopped. They added that the recall would cost them weeks of business."
    )
    claims = run(text).claims
    assert who(claim_with(claims, "brake defect"))[:2] == ("Northwind Motors", "organization")
    dealers = claim_with(claims, "cost them weeks")
    assert dealers.speaker.name == "Dealers" and dealers.speaker.type == "anonymous"


def test_he_skips_a_product_named_in_between() -> None:
    text = (
        "Chris Okafor became famous playing Guitar Hero as a teenager. He still owns the Apple Watch he won. "
        "“I was never that good,” he said."
    )
    assert claim_with(run(text).claims, "never that good").speaker.name == "Chris Okafor"


# --- surnames and partial names ------------------------------------------------------------------------------
def test_a_surname_joins_the_full_name_given_earlier_even_when_it_never_spoke() -> None:
    text = (
        "Kipp Kahlia, a guitarist, joined the program in 2023 after losing her job. "
        "“It gave me room to breathe,” Kahlia said. Ms. Kahlia added that she had paid off her debts."
    )
    claims = run(text).claims
    assert {c.speaker.name for c in claims} == {"Kipp Kahlia"}
    assert len(claims) == 2


@pytest.mark.parametrize(
    ("intro", "short"),
    [
        ("Hazem Qassem, a Hamas spokesman, spoke to reporters in Gaza.", "Qassem"),
        ("Election commission chairman Wafula Chebukati announced the results on Monday.", "Chebukati"),
        ("Nguyễn Thị Hà runs a noodle stall in Hanoi.", "Ms. Hà"),
    ],
)
def test_partial_names_join_the_full_name(intro: str, short: str) -> None:
    text = f"{intro} “Nothing has changed for us,” {short} said."
    claim = claim_with(run(text).claims, "Nothing has changed")
    full = {"Qassem": "Hazem Qassem", "Chebukati": "Wafula Chebukati", "Ms. Hà": "Nguyễn Thị Hà"}[short]
    assert claim.speaker.name == full and claim.speaker.type == "person"


def test_two_people_sharing_a_surname_are_kept_apart() -> None:
    text = (
        "Stephen Curry said the foundation would raise $25 million. His wife, Ayesha Curry, said the money "
        "would go to literacy programs. “We want every kid reading,” Ayesha said."
    )
    claims = run(text).claims
    assert claim_with(claims, "$25 million").speaker.name == "Stephen Curry"
    assert claim_with(claims, "literacy programs").speaker.name == "Ayesha Curry"
    assert claim_with(claims, "every kid reading").speaker.name == "Ayesha Curry"


# --- definite descriptions -----------------------------------------------------------------------------------
def test_definite_descriptions_resolve_to_the_organization_named_before() -> None:
    text = (
        "Northwind Motors recalled 40,000 vehicles on Monday. The automaker said the defect affected the brakes. "
        "The company added that no injuries had been reported. In a statement, Northwind Motors said dealers "
        "would fix the cars for free. The statement said the repairs would take an hour."
    )
    claims = run(text).claims
    assert len(claims) == 4
    assert {who(c)[:2] for c in claims} == {("Northwind Motors", "organization")}


def test_the_ministry_and_the_sources() -> None:
    text = (
        "Japan’s Ministry of Health said the vaccine supply was adequate. The ministry said a second shipment "
        "would arrive in May. Government sources familiar with the talks said the price had been agreed. "
        "The sources added that the contract would be signed this week."
    )
    claims = run(text).claims
    assert claim_with(claims, "second shipment").speaker.name == "Ministry of Health"
    sources = claim_with(claims, "contract would be signed")
    assert who(sources) == ("Government sources", "anonymous", "familiar with the talks")


# --- representatives speak for their organization ------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "A spokesperson for the Department of Transportation said the bridge was safe.",
            ("Department of Transportation", "organization", "spokesperson"),
        ),
        (
            "A United Airlines spokesperson said the flights would resume on Friday.",
            ("United Airlines", "organization", "spokesperson"),
        ),
        (
            "“The tests were clean,” a Northwind Motors spokeswoman said.",
            ("Northwind Motors", "organization", "spokeswoman"),
        ),
        (
            "An official at the Treasury Department said the sanctions would widen.",
            ("Treasury Department", "organization", "official"),
        ),
    ],
)
def test_an_unnamed_representative_speaks_for_its_organization(
    text: str, expected: tuple[str, str, str | None]
) -> None:
    assert who(only(text)) == expected


# --- anonymous sources keep their descriptors ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Palestinian sources familiar with the discussions said that no agreement had been reached.",
            ("Palestinian sources", "anonymous", "familiar with the discussions"),
        ),
        (
            "The company delayed the launch, three people with knowledge of its plans said.",
            ("three people", "anonymous", "with knowledge of its plans"),
        ),
        (
            "Two officials who spoke on condition of anonymity said the deal was close.",
            ("Two officials", "anonymous", "who spoke on condition of anonymity"),
        ),
    ],
)
def test_anonymous_sources_keep_their_descriptors(text: str, expected: tuple[str, str, str | None]) -> None:
    assert who(only(text)) == expected


# --- documents and data as sources ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "name", "role"),
    [
        (
            "The agency spent $4 million on consultants, according to records obtained by the Ledger.",
            "records",
            "obtained by the Ledger",
        ),
        ("A Reuters/Ipsos poll showed that 41% of voters approved of the plan.", "Reuters/Ipsos poll", "Reuters/Ipsos"),
        ("Court filings show that the firm owed $2 million in back rent.", "Court filings", None),
        (
            "Rents rose 36% in a decade, according to a 2021 report by the Economic Roundtable.",
            "2021 report",
            "Economic Roundtable",
        ),
    ],
)
def test_documents_are_sources(text: str, name: str, role: str | None) -> None:
    assert who(only(text)) == (name, "document", role)


def test_the_report_resolves_to_the_document_named_before() -> None:
    text = (
        "A 2021 report by the Economic Roundtable found that rents rose faster than inflation. "
        "The report also recommended a lower cap on annual increases."
    )
    claims = run(text).claims
    assert len(claims) == 2
    assert {who(c) for c in claims} == {("2021 report", "document", "Economic Roundtable")}


def test_passive_attribution_names_the_outlet() -> None:
    claim = only("The layoffs were reported earlier by The Wall Street Journal.")
    # A name built on a proper name drops its article, wherever it stands ("the Journal" / "The Journal").
    assert who(claim)[:2] == ("Wall Street Journal", "organization")
    assert claim.content == "The layoffs" and claim.cue == "were reported earlier by"


# --- more cues -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "cue", "content"),
    [
        ("“We are on schedule,” Maya Yakel said by email.", "said", "“We are on schedule,”"),
        ("Maya Yakel told reporters that the budget was balanced.", "told", "that the budget was balanced"),
        ("Lena Ortiz wrote on X that the vote had been rigged.", "wrote", "that the vote had been rigged"),
        ("Lena Ortiz disputed that the factory would close.", "disputed", "that the factory would close"),
        (
            "Lena Ortiz defended the decision as necessary for the company.",
            "defended",
            "the decision as necessary for the company",
        ),
        (
            "Lena Ortiz kept repeating that the election had been stolen.",
            "kept repeating",
            "that the election had been stolen",
        ),
        (
            "Lena Ortiz outlined a plan to cut emissions by half by 2030.",
            "outlined",
            "a plan to cut emissions by half by 2030",
        ),
    ],
)
def test_more_cues(text: str, cue: str, content: str) -> None:
    claim = only(text)
    assert (claim.cue, claim.content) == (cue, content)
    assert claim.speaker.name in {"Maya Yakel", "Lena Ortiz"}


def test_disputed_denies() -> None:
    assert only("Lena Ortiz disputed that the factory would close.").stance == "denies"


# --- metadata is not speech ----------------------------------------------------------------------------------
def test_metadata_lines_bylines_bios_datelines_and_credits_are_not_speech() -> None:
    text = (
        "Headline: Mayor Says Budget Is Balanced\n"
        "Subtitle: Critics say the numbers do not add up\n"
        "Date: 2024-08-29\n"
        "Publisher: Gazetteer SF\n\n"
        "By Jane Roe\n"
        "DETROIT, March 4 (Reuters) - Northwind Motors said on Tuesday that it would cut 2,000 jobs.\n"
        "(Photo by Ann Lee/Getty Images)\n"
        "Jane Roe reports on the auto industry for The Times."
    )
    claims = run(text).claims
    assert len(claims) == 1
    claim = claims[0]
    assert who(claim)[:2] == ("Northwind Motors", "organization")
    assert claim.content == "that it would cut 2,000 jobs"
    assert all(word not in c.speaker.name for c in claims for word in ("Headline", "Subtitle", "Date", "Publisher"))


# --- not claims ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "A spokesman for Northwind Motors declined to comment on the recall.",
        "Lena Ortiz did not respond to a request for comment.",
        "The ministry did not immediately respond to requests for comment on Friday.",
        "Representatives for the union declined to comment.",
    ],
)
def test_no_comment_is_not_a_claim(text: str) -> None:
    assert run(text).claims == []


# --- more of the same contract, each a general pattern -------------------------------------------------------
def test_an_acronym_is_the_organization_it_stands_for() -> None:
    text = (
        "The International Coral Reef Initiative met in Paris on Monday. "
        "“Bleaching is now global,” said the ICRI, a network of governments and scientists."
    )
    claim = claim_with(run(text).claims, "Bleaching is now global")
    assert who(claim)[:2] == ("International Coral Reef Initiative", "organization")


def test_a_statement_from_an_organization_is_the_organizations() -> None:
    claim = only("“The university is complicit,” a statement from the Graduate Students Union said.")
    assert who(claim)[:2] == ("Graduate Students Union", "organization")


def test_a_role_noun_resolves_to_the_person_whose_role_it_is() -> None:
    text = (
        "“Calls doubled this year,” said Robin Joy, the Crime Research Group’s statistical director. "
        "Most calls were about trespassing, the researcher added."
    )
    claim = claim_with(run(text).claims, "Most calls were about trespassing")
    assert claim.speaker.name == "Robin Joy"


def test_representatives_of_an_organization_named_before_speak_for_it_and_stay_anonymous_otherwise() -> None:
    named = run(
        "The Oakland Unified School District tested 40 schools. District leaders said the lead came from the fixtures."
    ).claims
    assert who(claim_with(named, "the lead came"))[:2] == ("Oakland Unified School District", "organization")
    unnamed = only("Program officials said the placements were hard to find.")
    assert who(unnamed)[:2] == ("program officials", "anonymous")


def test_a_pronoun_agrees_with_the_gender_the_article_gives() -> None:
    text = (
        "Becky Blackburn runs the county’s Democratic party. She keeps a stack of signs at home. "
        "Pat Jordan drives a truck, and he says he votes in the Republican primary. "
        "“I am who I am,” she said."
    )
    assert claim_with(run(text).claims, "I am who I am").speaker.name == "Becky Blackburn"


def test_a_hard_wrapped_article_keeps_its_sentences_whole() -> None:
    text = (
        "The company delayed the release of an improved assistant because internal testing\n"
        "found that it was inaccurate on nearly a third of requests, said three people familiar\n"
        "with the project who spoke on the condition of anonymity.\n"
        "The company declined to comment on the delay or on the staffing of the project team.\n"
        "Its shares fell two percent in trading on Friday after the report was published online.\n"
        "Analysts said the delay could push the launch into next year, according to a note sent\n"
        "to clients by the investment bank on Friday afternoon, which cited supply problems.\n"
    )
    claim = claim_with(run(text).claims, "internal testing")
    assert claim.speaker.name == "three people" and claim.speaker.type == "anonymous"
    assert claim.content.startswith("The company delayed") and "\n" in claim.content
