"""The cue lexicon: the verbs (and phrases) news uses to attribute speech, and the stance each one carries.

This module holds only that lexicon (every inflected form, the classes of cue the finders treat apart, the cue
regexes built from them) and `stance_for`; every other word list is in `whosaid.extraction.lexicon`.
"""

from __future__ import annotations

import re

from whosaid.extraction.lexicon import trie_of, wordlist
from whosaid.models import Stance

# Every inflected form written out: a stemmer would be one more thing to get wrong.
_VERBS: dict[str, tuple[str, ...]] = {
    "say": ("say", "says", "said", "saying"),
    "tell": ("tell", "tells", "told", "telling"),
    "add": ("add", "adds", "added", "adding"),
    "confirm": ("confirm", "confirms", "confirmed", "confirming"),
    "deny": ("deny", "denies", "denied", "denying"),
    "stress": ("stress", "stresses", "stressed", "stressing"),
    "affirm": ("affirm", "affirms", "affirmed", "affirming"),
    "reaffirm": ("reaffirm", "reaffirms", "reaffirmed", "reaffirming"),
    "warn": ("warn", "warns", "warned", "warning"),
    "insist": ("insist", "insists", "insisted", "insisting"),
    "acknowledge": ("acknowledge", "acknowledges", "acknowledged", "acknowledging"),
    "argue": ("argue", "argues", "argued", "arguing"),
    "claim": ("claim", "claims", "claimed", "claiming"),
    "note": ("note", "notes", "noted", "noting"),
    "explain": ("explain", "explains", "explained", "explaining"),
    "announce": ("announce", "announces", "announced", "announcing"),
    "report": ("report", "reports", "reported", "reporting"),
    "write": ("write", "writes", "wrote", "writing"),
    "tweet": ("tweet", "tweets", "tweeted", "tweeting"),
    "assert": ("assert", "asserts", "asserted", "asserting"),
    "suggest": ("suggest", "suggests", "suggested", "suggesting"),
    "declare": ("declare", "declares", "declared", "declaring"),
    "state": ("stated", "stating"),
    "reiterate": ("reiterate", "reiterates", "reiterated", "reiterating"),
    "emphasize": ("emphasize", "emphasizes", "emphasized", "emphasizing", "emphasise", "emphasises", "emphasised"),
    "maintain": ("maintains", "maintained"),
    "contend": ("contend", "contends", "contended", "contending"),
    "allege": ("allege", "alleges", "alleged"),
    "admit": ("admit", "admits", "admitted", "admitting"),
    "concede": ("concede", "concedes", "conceded", "conceding"),
    "predict": ("predict", "predicts", "predicted", "predicting"),
    "promise": ("promised",),
    "vow": ("vow", "vows", "vowed", "vowing"),
    "pledge": ("pledged",),
    "recall": ("recalls", "recalled", "recalling"),
    "respond": ("responded",),
    "reply": ("replied",),
    "continue": ("continued",),
    "testify": ("testified",),
    "observe": ("observed",),
    "comment": ("commented",),
    "remark": ("remarked",),
    "point out": ("point out", "points out", "pointed out", "pointing out"),
    "complain": ("complain", "complains", "complained", "complaining"),
    "caution": ("cautioned", "cautions"),
    "estimate": ("estimated",),
    "believe": ("believe", "believes"),
    "post": ("posted",),
    "charge": ("charged",),
    "counter": ("countered",),
    "joke": ("joked",),
    "quip": ("quipped",),
    "boast": ("boasted", "boasts"),
    "brag": ("bragged",),
    "speculate": ("speculated",),
    "conclude": ("concluded",),
    "reveal": ("revealed",),
    "disclose": ("disclosed",),
    "agree": ("agreed",),
    "repeat": ("repeated",),
    "mention": ("mentioned",),
    "hint": ("hinted",),
    "imply": ("implied",),
    "signal": ("signaled", "signalled"),
    "indicate": ("indicated", "indicates"),
    "ask": ("ask", "asks", "asked", "asking"),
    "call for": (
        "call for",
        "calls for",
        "called for",
        "calling for",
        "call on",
        "calls on",
        "called on",
        "calling on",
    ),
    "accuse": ("accuse", "accuses", "accused", "accusing"),
    "urge": ("urge", "urges", "urged", "urging"),
    "praise": ("praised", "praises", "praising"),
    "criticize": ("criticized", "criticizes", "criticised", "criticizing"),
    "describe": ("described", "describes", "describing"),
    "cite": ("cited", "cites", "citing"),
    "question": ("questioned",),
    "reject": ("rejected", "rejects", "rejecting"),
    "dismiss": ("dismissed",),
    "blast": ("blasted",),
    "demand": ("demanded", "demands"),
    "threaten": ("threatened",),
    "propose": ("proposed",),
    "recommend": ("recommended", "recommends"),
    "advise": ("advised",),
    "reason": ("reasoned",),
    "wonder": ("wondered",),
    "shout": ("shouted",),
    "yell": ("yelled",),
    "scoff": ("scoffed",),
    "retort": ("retorted",),
    "fire back": ("fired back",),
    "chime in": ("chimed in",),
    "dispute": ("dispute", "disputes", "disputed", "disputing"),
    "defend": ("defend", "defends", "defended", "defending"),
    "outline": ("outline", "outlines", "outlined", "outlining"),
    "keep repeating": (
        *("kept repeating", "keeps repeating", "keep repeating", "kept saying", "keeps saying", "keep saying"),
        *("kept insisting", "keeps insisting"),
    ),
}
# What documents do: 'the report found', 'a poll showed'. A cue only with a document as its subject, so these are
# kept out of CUE_RE (which every finder reads as "someone speaks here") and matched by DOCUMENT_CUE_RE alone.
_DOCUMENT_VERBS: dict[str, tuple[str, ...]] = {"find": ("found", "finds"), "show": ("show", "shows", "showed")}
CUE_LEMMA: dict[str, str] = {form: lemma for lemma, forms in _VERBS.items() for form in forms}
DOCUMENT_CUE_LEMMA: dict[str, str] = {form: lemma for lemma, forms in _DOCUMENT_VERBS.items() for form in forms}

# Verbs whose object (the addressee) sits between the cue and the content: "told reporters that ...".
ADDRESSEE_VERBS = frozenset({"tell", "ask", "accuse", "urge", "praise", "criticize", "advise"})
# Of those, verbs whose object belongs to what was said: "accused Smith of lying", "urged Congress to act".
OBJECT_IN_CONTENT = frozenset({"accuse", "urge", "praise", "criticize", "ask"})
# Forms that are also plural nouns ("user reports", "his claims"): a cue only right after a name or a pronoun.
NOUN_LIKE = frozenset(
    {"reports", "notes", "claims", "tweets", "warns", "calls", "posts", "demands", "cites", "asks"}
    | {"report", "note", "claim", "tweet", "call", "post", "demand", "ask", "call for", "call on"}
)
# Verbs that are speech only with an explicit content marker after them ("continued: …", "charged that …"),
# not in "continued campaigning", "charged a fee", "agreed to a moratorium".
MARKED_ONLY = frozenset({"continue", "charge", "repeat", "agree", "post"})
# Verbs that attribute a judgement only with 'as' or 'that' ('defended the plan as necessary').
JUDGED_AS = frozenset({"defend"})
# Verbs whose content follows a preposition: "complained about the delay", "warned of a crash".
PREPOSITION_VERBS = frozenset(
    {"complain", "warn", "joke", "brag", "boast", "comment", "speculate", "testify", "remark", "hint", "quip"}
)
# The cue of a title-case headline ('Senator Says Bill Will Pass').
HEADLINE_CUES = wordlist(
    """Says Say Tells Warns Claims Admits Denies Insists Vows Urges Predicts Suggests Argues Declares Confirms
    Announces Concedes Pledges Promises"""
)
# Participle cues that hang a second claim off a clause: "..., denying some press reports".
PARTICIPLES = frozenset(
    form for form in CUE_LEMMA if form.split()[0].endswith("ing") and form not in {"warning", "reporting"}
)

_DENY = frozenset({"deny", "reject", "dismiss", "refute", "dispute"})
_CONFIRM = frozenset({"confirm", "affirm", "reaffirm", "acknowledge", "admit", "concede"})
_HEDGE = frozenset({"suggest", "believe", "estimate", "speculate", "predict", "hint", "imply", "signal", "indicate"})
_HEDGE_WORDS = re.compile(r"\b(?:may|might|could|perhaps|possibly|probably|likely|appears? to|seems? to)\b", re.I)
NEGATION = re.compile(r"\b(?:not|never|n[o’']t|no longer)\b", re.I)

_forms = sorted(CUE_LEMMA, key=len, reverse=True)
# Auxiliaries and adverbs that belong to the cue as written ("has also said", "later told").
_NOT_ADVERBS = "family|ally|rally|assembly|supply|bully|reply|daily|weekly|monthly|early|only|holy|belly"
_PRE = (
    r"(?:(?:has|have|had|will|would|did|does|do|could|may|might)\s+(?:not\s+|never\s+)?)?"
    rf"(?:(?:also|later|then|again|still|once|often|never|not|first|(?!(?:{_NOT_ADVERBS})\s)[a-z]{{2,}}ly)\s+)?"
)
CUE_RE = re.compile(rf"\b{_PRE}(?P<verb>{trie_of(_forms)})\b")
# The verbs alone: where this finds nothing CUE_RE finds nothing, and it is several times cheaper to run.
CUE_WORD_RE = re.compile(rf"\b(?:{trie_of(_forms)})\b")
DOCUMENT_CUE_RE = re.compile(rf"\b{_PRE}(?P<verb>{trie_of(DOCUMENT_CUE_LEMMA)})\b")
# "expressed its appreciation for ...", "voiced concern that ...": a cue phrase whose content follows a preposition.
EXPRESS_RE = re.compile(
    r"\b(?P<verb>expressed|voiced|expresses|voices|expressing)\s+(?:its|his|her|their|our|the|a|an|full|deep|great)?\s*"
    r"(?:\w+\s+)?(?:appreciation|concern|hope|support|regret|gratitude|optimism|confidence|opposition|satisfaction|"
    r"dismay|anger|frustration|disappointment|surprise|skepticism|doubts?|fears?|thanks|condolences|understanding)"
    r"(?:\s+(?:for|about|over|at|with|of|regarding))?\b"
)
ACCORDING_RE = re.compile(r"\b[Aa]ccording\s+to\b")


def stance_for(lemma: str, cue_text: str, content: str) -> Stance:
    """deny -> denies, confirm -> confirms, suggest / believe / may -> hedges, else asserts; a negated cue
    ("did not confirm", "would not deny") hedges."""
    negated = bool(NEGATION.search(cue_text))
    if lemma in _DENY:
        return "hedges" if negated else "denies"
    if lemma in _CONFIRM:
        return "hedges" if negated else "confirms"
    if negated or lemma in _HEDGE or _HEDGE_WORDS.search(content[:200]):
        return "hedges"
    return "asserts"
