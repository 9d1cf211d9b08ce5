"""The lexicon: every word list the rules extractor and speaker parsing read, in one place.

Shared by both extractors (speaker parsing and entity merging run on LLM claims too), so it lives beside them
rather than inside the rules package. It holds words, not logic: honorifics and the abbreviations of names, role,
organisation and anonymous-source words, places, pronouns, determiners, auxiliaries, clause boundaries, openers
and the other closed classes. The speech verbs and their stance are the cue lexicon, in `rules/cues.py`.

One list per kind of word. Where a pattern has always read only part of a list (or a little more), the part is
derived here under its own name instead of being written out again by hand, so the lists cannot drift apart and
the extractor's output stays what it was. A regex's own alternation of function words, which belongs to one
construction and to nothing else ('called for|on|off|up …'), stays beside that construction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable


def wordset(words: str) -> frozenset[str]:
    """A set of words written as one string (long word lists stay readable)."""
    return frozenset(words.split())


def wordlist(words: str) -> tuple[str, ...]:
    """An ordered list of words written as one string (for regex alternations, where order is kept)."""
    return tuple(words.split())


def trie_of(words: Iterable[str]) -> str:
    """A regex alternation of literal words built as a trie ('sa(?:y(?:s|ing)?|id)'): the same matches as the
    words longest first, but each character is tried once instead of once per word (a cue list of 300 forms was
    the costliest pattern of the extractor)."""
    root: dict[str, dict] = {}  # type: ignore[type-arg]
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}
    return _trie_pattern(root)


def _trie_pattern(node: dict[str, dict]) -> str:  # type: ignore[type-arg]
    ends_here = "" in node
    branches = [re.escape(ch) + _trie_pattern(child) for ch, child in sorted(node.items()) if ch]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"
    if ends_here:
        # A word may end here or go on: greedy, so the longer word is tried first.
        return f"(?:{body})?" if len(branches) > 1 or len(branches[0]) > 1 else f"{body}?"
    return body


def one_of(words: Iterable[str]) -> str:
    """A regex alternation of literal words, in the order given."""
    return "|".join(re.escape(w) for w in words)


# --- honorifics and the other abbreviations written in a name --------------------------------------------------
# The one list, as written before the dot. Every pattern, the sentence splitter and speaker parsing build on it.
NAME_ABBREVIATIONS: tuple[str, ...] = wordlist("Mr Mrs Ms Dr Sen Rep Gov Gen Lt Col St Jr Sr Sgt Capt Prof Rev")
# In names but no title: Saint, Junior, Senior.
NOT_TITLES: tuple[str, ...] = ("St", "Jr", "Sr")
TITLES: tuple[str, ...] = tuple(a for a in NAME_ABBREVIATIONS if a not in NOT_TITLES)
# A courtesy title names nobody's role: "Mr. Trump" is Trump.
COURTESY_TITLES: tuple[str, ...] = ("Mr", "Mrs", "Ms")
RANKS: tuple[str, ...] = ("Lt", "Col", "Sgt", "Capt")
# The titles a pronoun's antecedent may carry ('Sen. Roe … he said'): ranks, Prof and Rev were never read there.
COMMON_TITLES: tuple[str, ...] = tuple(t for t in TITLES if t not in (*RANKS, "Prof", "Rev"))
# What the inverted speaker pattern ('said Sen. Jane Roe') reads as an abbreviation: all but Rev and Sr.
INVERTED_SPEAKER_ABBREVIATIONS: tuple[str, ...] = tuple(a for a in NAME_ABBREVIATIONS if a not in ("Rev", "Sr"))
# A mention that is only one of these titles ('said Sen.') stopped at an abbreviation's dot (Prof, Rev never were).
LONE_TITLES: frozenset[str] = frozenset(t.lower() for t in TITLES if t not in ("Prof", "Rev"))
# Honorifics as tokens of a mention: every title with its dot, "miss", and the courtesy titles and "dr" without.
HONORIFIC_TOKENS: frozenset[str] = frozenset(
    {f"{t.lower()}." for t in TITLES} | {"miss"} | {t.lower() for t in (*COURTESY_TITLES, "Dr")}
)
COURTESY_TOKENS: frozenset[str] = frozenset(
    {f"{t.lower()}." for t in COURTESY_TITLES} | {"miss"} | {t.lower() for t in COURTESY_TITLES}
)
# Particles inside a name: 'Ursula von der Leyen', 'Mohammed bin Salman'.
NAME_PARTICLES: tuple[str, ...] = wordlist("de van von al bin")

# A full stop after one of these does not end a sentence (lowercase, as the splitter compares).
SENTENCE_ABBREVIATIONS: frozenset[str] = frozenset(a.lower() for a in NAME_ABBREVIATIONS) | wordset(
    """inc co corp ltd no vs v u.s u.n u.k a.m p.m jan feb mar apr jun jul aug sep sept oct nov dec d.c calif fla
    ill mass mich minn pa va wash ariz colo conn ky la md mo nev okla ore tenn tex wis wyo ala ark del ga ind kan
    neb n.y n.j n.c s.c n.h e.g i.e etc"""
)

# --- who a mention names --------------------------------------------------------------------------------------
# Words that make a mention a role or title rather than part of a name ('Foreign Minister', 'Superintendent',
# 'Rabbi'); of the titles, each with its dot but the courtesy titles and Rev (which split_role_name strips or keeps
# as a title of their own).
ROLE_WORDS: frozenset[str] = wordset(
    """spokesman spokeswoman spokesperson spokespeople president vice senator representative congressman
    congresswoman governor minister secretary director chairman chairwoman chair leader official officials chief
    ceo head ambassador candidate nominee adviser advisor aide manager mayor judge justice attorney general
    commissioner commander colonel captain professor analyst strategist lawyer founder executive coordinator
    envoy deputy speaker premier prime king queen prince sheikh chancellor treasurer counsel consultant pollster
    economist researcher reporter editor columnist anchor host correspondent member members lawmaker lawmakers
    activist organizer operative donor superintendent supervisor supervisors assemblymember assemblyman
    assemblywoman councilmember councilman councilwoman councillor councilor alderman alderwoman selectman
    delegate rabbi pastor reverend bishop cardinal pope imam priest sheriff officer detective inspector lieutenant
    sergeant trooper marshal prosecutor solicitor magistrate clerk registrar auditor comptroller controller
    administrator dean provost principal coach chairperson cfo coo cto vp producer president-elect trustee regent
    ombudsman mufti ayatollah emir monarch sultan"""
) | frozenset(f"{t.lower()}." for t in TITLES if t not in (*COURTESY_TITLES, "Rev"))
# Words that open a role in an appositive ('Name, the editor of X').
ROLE_OPENERS: frozenset[str] = wordset("the a an his her their its former senior then chief")
ANONYMOUS_HEADS: frozenset[str] = wordset(
    """source sources official officials people person someone somebody aide aides insider insiders diplomat
    diplomats observer observers analyst analysts expert experts witness witnesses critic critics supporter
    supporters resident residents spokesman spokeswoman spokesperson senators lawmakers legislators voters
    leaders advisers advisors strategists economists activists protesters delegates donors republicans
    democrats conservatives liberals members staffers dealers owners workers employees parents students
    teachers tenants landlords doctors nurses farmers advocates opponents proponents investors customers
    passengers drivers shoppers users fans organizers participants researchers scientists officers agents
    judges prosecutors lawyers attorneys neighbors neighbours locals villagers survivors victims families
    relatives friends colleagues executives managers regulators commenters citizens consultants"""
)
ORG_WORDS: frozenset[str] = wordset(
    """party committee campaign ministry government agency department company corporation inc. inc corp. corp
    association union council movement group network news times post journal press reuters ap cnn fox msnbc
    nbc abc cbs bbc police court congress senate house administration office bureau commission institute
    foundation university center centre organization organisation coalition alliance army military navy
    embassy parliament cabinet board team club federation authority authorities delegation leadership
    statement report study poll survey website newspaper magazine channel station tv radio
    motors airlines airways llc ltd. plc co. bank technologies industries holdings partners systems laboratories
    labs pharmaceuticals media studios entertainment insurance electric energy foods communications secretariat
    assembly legislature tribunal district school schools hospital clinic church diocese nonprofit fund trust
    initiative project program programme service services county city town village township province borough
    parish municipality"""
)
# Nouns that describe an organization of any name ('the company', 'the automaker'): they refer to the one last
# named or speaking. (Other organization words, such as 'ministry', refer only to an organization so named.)
GENERIC_ORG_NOUNS: frozenset[str] = wordset(
    """company firm automaker carmaker airline carrier bank retailer manufacturer maker startup utility insurer
    lender chain developer broadcaster network outlet publisher organization nonprofit charity conglomerate
    giant group operator provider supplier movement"""
)
# Documents that speak in the news: what 'the report found' or 'according to records' cites.
DOCUMENT_WORDS: frozenset[str] = wordset(
    """report reports study studies poll polls survey surveys analysis analyses records record filing filings
    documents document memo memos memorandum letter letters lawsuit lawsuits suit complaint indictment charges
    ruling audit review census statistics estimates projections forecast assessment petition notice agenda
    transcript data database tally findings paper research evaluation dossier affidavit testimony minutes video
    videos footage"""
)
# A representative of an organization ('a United Airlines spokesperson', 'an official at the Treasury').
REPRESENTATIVES: frozenset[str] = wordset(
    """spokesman spokeswoman spokesperson spokespeople spokesmen spokeswomen representative representatives
    official officials executive executives"""
)
# Word endings of a nationality or party adjective ('Palestinian', 'Israeli', 'Democratic'): no organization.
NATIONALITY_ENDINGS: tuple[str, ...] = ("an", "ian", "ese", "ish", "i", "ic", "ean", "ch")
# A proper name followed by one of these is an organisation ("Hamas spokesman", "Hamas leadership"): a regex.
ORG_MODIFIERS = (
    r"spokes(?:man|woman|person)|leader(?:ship|s)?|officials?|statement|movement|delegation|members?|"
    r"campaign|government|party|headquarters|website|representatives?|executives?|employees|shares|stock|revenue|"
    r"profits?|earnings|board|chief\s+executive|ceo|founders?|customers|products?|investors"
)
# Places are not speakers and not antecedents of 'he' / 'she' ("New Hampshire’s voters …").
PLACES: frozenset[str] = wordset(
    """alabama alaska arizona arkansas california colorado connecticut delaware florida georgia hawaii idaho
    illinois indiana iowa kansas kentucky louisiana maine maryland massachusetts michigan minnesota mississippi
    missouri montana nebraska nevada ohio oklahoma oregon pennsylvania tennessee texas utah vermont virginia
    washington wisconsin wyoming america europe asia africa china russia israel iran iraq syria egypt mexico
    canada germany france britain england japan india pakistan afghanistan ukraine turkey cuba gaza cairo
    beijing moscow london paris jerusalem baghdad tehran brussels manhattan brooklyn chicago boston"""
) | {
    *("new hampshire", "new jersey", "new mexico", "new york", "north carolina", "north dakota", "rhode island"),
    *("south carolina", "south dakota", "west virginia", "united states", "united kingdom", "saudi arabia"),
    *("north korea", "south korea", "new york city", "los angeles", "san francisco", "las vegas", "des moines"),
    *("washington d.c", "the united states", "islamic state", "wall street", "silicon valley", "capitol hill"),
    *("u.s", "u.k", "us", "uk", "the u.s"),
}
# Words of a heading or a label that are nobody's name ('Update:', 'Fact check:', 'TRANSCRIPT:').
NOT_SPEAKERS: frozenset[str] = wordset(
    """note update updated photo photos video watch read source sources credit credits editor correction
    disclosure breaking exclusive opinion analysis live related q a transcript the latest warning summary
    background context fact check factcheck poll data chart map timeline"""
)

# Labels of the metadata lines a scraped or exported article starts with ('Headline: …', 'Publisher: …').
METADATA_LABELS: tuple[str, ...] = wordlist(
    """Headline Subtitle Subhead Title Date Dateline Publisher Publication Author Authors Byline URL Link Source
    Section Category Tags Keywords Published Updated Posted Language Length Description Summary"""
)

# --- pronouns and determiners ---------------------------------------------------------------------------------
SUBJECT_PRONOUNS: frozenset[str] = frozenset(["he", "she", "they", "it", "i", "we", "you", "who"])
OBJECT_PRONOUNS: tuple[str, ...] = ("him", "her", "them", "it", "me", "us")
REFLEXIVE_PRONOUNS: tuple[str, ...] = ("himself", "herself", "themselves", "itself")
# Every pronoun a speaker mention may be (and "one"): resolved to an entity, never an entity of its own.
PRONOUNS: frozenset[str] = SUBJECT_PRONOUNS | {*OBJECT_PRONOUNS, "one"}
# Pronouns that name a person ('he said', 'told her'); they and the anonymous ones decide a pronoun's type.
PERSON_PRONOUNS: frozenset[str] = frozenset({"he", "she", "i", "him", "her"})
ANONYMOUS_PRONOUNS: frozenset[str] = frozenset({"they", "we", "you", "who", "them", "one", "us"})
# The pronouns whose antecedent is one person, named with a capitalised full name.
PERSON_SUBJECT_PRONOUNS: frozenset[str] = frozenset({"he", "she", "i"})
ARTICLES: frozenset[str] = frozenset({"the", "a", "an"})
CAPITALISED_ARTICLES: frozenset[str] = frozenset(a.capitalize() for a in ARTICLES)
DETERMINERS: frozenset[str] = wordset(
    """the a an some many most several few both all each every one two three four five six seven eight nine ten
    his her their its our my your this that these those other another no any more"""
)
# Numbers that may end a subject ('the other two said'); any other determiner leaves it unfinished ('the').
SUBJECT_FINAL_NUMBERS: frozenset[str] = frozenset({"one", "two", "three"})
# Prepositions and conjunctions that leave a subject unfinished ('a spokesman for', 'Smith and').
SUBJECT_FINAL_NOT: frozenset[str] = frozenset({"to", "of", "for", "and", "the", "with", "in"})
QUESTION_WORDS: frozenset[str] = frozenset({"what", "when", "where", "how", "why"})

# --- verbs, boundaries and openers ----------------------------------------------------------------------------
AUXILIARIES: frozenset[str] = wordset(
    """is was were are be been being has have had did does do will would could should can may might"""
)
# Words that start a new clause: a subject never runs across one.
STRONG_BOUNDARIES: frozenset[str] = wordset(
    """which where when while because but although though since if whether as so whom whose unless until once
    after before than or nor yet because what"""
)
# Words that open a participle's subject but are not one ('…, responded by first saying').
NOT_PARTICIPLE_SUBJECTS: frozenset[str] = frozenset({"upon", "by", "first", "only", "not"})
LEADING_ADVERBS: frozenset[str] = wordset(
    """but and so yet still meanwhile however also now then later instead indeed earlier today separately
    similarly previously moreover further furthermore finally ultimately thus nonetheless nevertheless
    besides again"""
)
# Words dropped from the front of a subject ('But officials said' -> 'officials').
LEADING_WORDS: frozenset[str] = LEADING_ADVERBS | STRONG_BOUNDARIES | {"that", "and"}
# Sentence connectives before a subject ('But Smith said', 'Meanwhile, the aides …'): a regex alternation.
CONNECTIVES: tuple[str, ...] = wordlist("But And So Yet Still Meanwhile However Later Earlier Then Instead")
WEEKDAYS: tuple[str, ...] = wordlist("Monday Tuesday Wednesday Thursday Friday Saturday Sunday")
MONTHS: tuple[str, ...] = wordlist(
    """January February March April May June July August September October November December"""
)
# Capitalised words that open a sentence, never a name ('In May, …', 'Asked about …').
NOT_NAME_STARTS: frozenset[str] = (
    wordset(
        """In On At For But And After Before When While As If During Since Although Though Yet So Still Meanwhile
        However Then Later Earlier Last This That Asked Speaking According Despite With Without From To By Of Under
        Over Among Like Unlike Now Today Yesterday The A An Instead Indeed"""
    )
    | frozenset(WEEKDAYS)
    | frozenset(MONTHS)
)
# Sentence-initial words that are no antecedent of a pronoun ('The', 'But').
SENTENCE_INITIAL_NOISE: frozenset[str] = frozenset(
    ["The", "A", "An", "In", "On", "At", "But", "And", "For", "As", "If", "When", "While", "After", "Before"]
)
# Lowercase words that may stand before a name after the cue ('said former Gov. Jim Hodges').
PREMODIFIERS: frozenset[str] = wordset(
    """former then longtime veteran senior top acting retired outgoing incoming fellow chief deputy interim
    freshman republican democratic conservative liberal progressive independent state house senate"""
)
# A comma then one of these ends reported content: what follows is the reporter's, not the speaker's.
AFTERTHOUGHTS: frozenset[str] = frozenset({"who", "which", "when", "where", "whose"})
# Words in -ing after a comma that start no participle clause.
NOT_PARTICIPLES: frozenset[str] = frozenset({"including", "according", "during", "nothing", "something"})
# Irregular past forms: a second verb of the same subject after "and" ('… and cast doubt on …').
IRREGULAR_PAST: tuple[str, ...] = wordlist(
    """took made cast gave went came sent won lost left kept held met ran saw said told wrote spoke became
    began brought bought built chose drew drove fought found got heard knew led paid put rose set sought stood
    struck taught thought threw understood withdrew"""
)
# Words in -ed that are no past form.
NOT_PAST: tuple[str, ...] = wordlist(
    """need speed seed feed bed red shed hundred indeed united related based used so-called"""
)
# What may follow 'called him' that is a particle, not the name he was called ('called him up').
PARTICLES_AFTER_PRONOUN: frozenset[str] = wordset("up off out back in to on for at by and or but after before from")
