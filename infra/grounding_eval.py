r"""Grounding under a noisy model: `python -m infra.grounding_eval GOLD.jsonl` (part of `make eval`).

The LLM extractor runs unchanged, through the real `openai` SDK, against the local fake endpoint
(infra/fake_openai.py). The "model" answers each chunk with the PolNeAR attributions annotated in it (speaker as the
mention written, cue and content as annotated) — once as copied exactly, once with seeded noise of each kind:

copy noise (the words are still the article's; every such claim must be kept, at its own place):
- quote_marks: straight quotes for curly ones and back;
- whitespace: a doubled space or a line break for a space, spaces around the content;
- punctuation: trailing punctuation added, changed or removed;
- ellipsis: a direct quote of 10+ words shortened with "..." or "…" (kept with a segment per piece);
- changed_word: one word of an indirect content of 15+ words replaced (found by the fuzzy tier);
model noise (not what the article says; reported, and none may land at a wrong place):
- paraphrase: an indirect content's clauses reordered;
- invented: a claim whose content comes from another article, spoken by a speaker of this one;
- duplicate: an annotated claim listed twice (it must stay one claim).

A kept claim is at its place when its span and the annotated span overlap by at least 80 % of their union; a kept
claim at no annotated place is "invented" if its text is in no annotation, else "wrong occurrence". Attributions
the text names no speaker for are left out (the model is asked for a speaker); the model writes annotated strings as
whole words (a few annotations cut a word short).
"""

from __future__ import annotations

import argparse
import itertools
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.fake_openai import Behaviour, FakeOpenAI, Recorded, model_claim, ok

COPY_NOISE = ("quote_marks", "whitespace", "punctuation", "ellipsis", "changed_word")
MODEL_NOISE = ("paraphrase", "invented", "duplicate")
SAME_PLACE = 0.8
_ARTICLE_BLOCK = re.compile(r"<article>\n(.*)\n</article>", re.DOTALL)
_FOLD = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", '"': "“", "'": "’"})
_NORMAL = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "…": "."})


@dataclass
class Gold:
    start: int
    end: int
    content: str
    speaker: str
    cue: str
    quote_type: str
    noise: str = "none"
    pieces: list[str] = field(default_factory=list)  # the pieces of an ellipsis-shortened quote


@dataclass
class Tally:
    seeded: Counter[str] = field(default_factory=Counter)
    kept: Counter[str] = field(default_factory=Counter)
    segments_ok: int = 0
    invented_kept: int = 0
    wrong_occurrence: int = 0
    extra_claims: int = 0  # kept claims beyond one per annotated place (a duplicate not collapsed)
    articles: int = 0
    failed: int = 0

    def recall(self, kinds: Iterable[str]) -> float:
        kinds = list(kinds)
        seeded = sum(self.seeded[k] for k in kinds)
        return sum(self.kept[k] for k in kinds) / seeded if seeded else 1.0


def read_articles(path: Path, limit: int | None) -> list[dict[str, Any]]:
    from whosaid.evaluation import read_gold

    return list(itertools.islice(read_gold(path), limit))


def gold_claims(doc: dict[str, Any]) -> list[Gold]:
    claims = []
    for a in doc.get("attributions", []):
        if not a.get("speaker") or not a.get("content", "").strip():
            continue
        start, end = a["content_span"]
        text = doc["text"]
        claims.append(
            Gold(
                start,
                end,
                _whole_words(text, [start, end]),
                _whole_words(text, a["speaker_span"]),
                a.get("cue") or "said",
                a["derived"]["quote_type"],
            )
        )
    return claims


def _whole_words(text: str, span: list[int]) -> str:
    """An annotated string as a model writes it: whole words (a few annotations cut one: "t" of "Rubio's")."""
    start, end = span
    while 0 < start < end and text[start - 1].isalnum() and text[start].isalnum():
        start -= 1
    while start < end < len(text) and text[end - 1].isalnum() and text[end].isalnum():
        end += 1
    return text[start:end]


# --- noise ----------------------------------------------------------------------------------------------------------


def seed_noise(claims: list[Gold], rng: random.Random) -> None:
    """Give each claim one copy-noise kind it admits (or paraphrase), spread evenly over the kinds."""
    for claim in claims:
        kinds = [k for k in (*COPY_NOISE, "paraphrase") if _admits(k, claim)]
        claim.noise = rng.choice(kinds) if kinds else "none"


def _admits(kind: str, claim: Gold) -> bool:
    words = claim.content.split()
    if kind == "quote_marks":
        return any(ch in claim.content for ch in "“”\"‘’'")
    if kind == "ellipsis":
        return claim.quote_type == "direct" and len(words) >= 10
    if kind == "changed_word":
        return claim.quote_type == "indirect" and len(words) >= 15
    if kind == "paraphrase":
        return claim.quote_type == "indirect" and len(words) >= 8 and "," in claim.content
    return len(claim.content) >= 3


def noisy_content(claim: Gold, rng: random.Random) -> str:
    text, kind = claim.content, claim.noise
    if kind == "quote_marks":
        return text.translate(_FOLD)
    if kind == "whitespace":
        spaces = [m.start() for m in re.finditer(" ", text)]
        if spaces:
            at = rng.choice(spaces)
            text = text[:at] + rng.choice(("  ", "\n", " \t")) + text[at + 1 :]
        return f" {text} "
    if kind == "punctuation":
        core = text.rstrip("”\"’'")
        closing = text[len(core) :]
        if core[-1:] in ".,;:!?":
            return core[:-1] + rng.choice(("", ".", ",")) + closing if core[-1] != "." else core[:-1] + closing
        return core + "." + closing
    if kind == "ellipsis":
        words = text.split(" ")
        i = rng.randrange(2, max(3, len(words) - 5))
        j = min(len(words) - 2, i + rng.randrange(2, 5))
        mark = rng.choice((" ... ", "...", " … ", "…"))
        shortened = " ".join(words[:i]) + mark + " ".join(words[j:])
        # Its pieces, the article's own ellipses (a quote already shortened by the outlet) included.
        claim.pieces = [p for p in re.split(r"\s*(?:\.{3,}|…|(?<!\w)\. \. \.)\s*", shortened) if re.search(r"\w", p)]
        return shortened
    if kind == "changed_word":
        words = text.split(" ")
        choices = [k for k, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
        if choices:
            k = rng.choice(choices)
            words[k] = words[k][::-1].lower()
        return " ".join(words)
    if kind == "paraphrase":
        head, _, tail = text.partition(",")
        return f"{tail.strip()}, {head.strip()}"
    return text


# --- one article --------------------------------------------------------------------------------------------------


def answer_for(doc_text: str, claims: list[Gold], extra: list[dict[str, Any]], noisy: bool, seed: int):
    """The fake model: for a request, the claims annotated in its chunk (noisy or exact), plus `extra` once."""
    rng = random.Random(seed)
    contents = {id(c): noisy_content(c, rng) if noisy else c.content for c in claims}
    given_extra: list[bool] = [False]

    def respond(request: Recorded) -> Behaviour:
        block = _ARTICLE_BLOCK.search(request.message("user"))
        chunk = block.group(1) if block else doc_text
        start = doc_text.find(chunk)
        lo, hi = (start, start + len(chunk)) if start >= 0 else (0, len(doc_text))
        answer = [
            model_claim(contents[id(c)], c.speaker, speaker_mention=c.speaker, cue=c.cue, quote_type=c.quote_type)
            for c in claims
            if lo <= c.start < hi
        ]
        if not given_extra[0]:
            answer += extra
            given_extra[0] = True
        return ok(answer)

    return respond


_EDGE = " \t\n\"'“”‘’,.;:!?…"


def _core(text: str, span: tuple[int, int]) -> tuple[int, int]:
    """The span without the punctuation, quote marks and spaces at its edges (annotations and copies differ there)."""
    start, end = span
    while start < end and text[start] in _EDGE:
        start += 1
    while end > start and text[end - 1] in _EDGE:
        end -= 1
    return (start, end) if start < end else span


def same_place(text: str, a: tuple[int, int], b: tuple[int, int]) -> bool:
    return _iou(_core(text, a), _core(text, b)) >= SAME_PLACE


def _invented(text: str, other: dict[str, Any]) -> list[Gold]:
    """Contents of another article that share no run of four words with this one (outlets print the same wire
    story: a claim of one can really be in another)."""
    words = text.lower().split()
    shingles = {tuple(words[i : i + 4]) for i in range(len(words) - 3)}
    found = []
    for claim in gold_claims(other):
        own = claim.content.lower().split()
        if len(claim.content) > 30 and not any(tuple(own[i : i + 4]) in shingles for i in range(len(own) - 3)):
            found.append(claim)
    return found


def _iou(a: tuple[int, int], b: tuple[int, int]) -> float:
    inter = max(0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    return inter / union if union else 0.0


def _normal(text: str) -> str:
    return " ".join(text.translate(_NORMAL).lower().split())


def run(path: Path, limit: int | None, noisy: bool, seed: int = 7) -> Tally:
    from whosaid.config import Settings
    from whosaid.extraction.llm import LLMExtractor
    from whosaid.models import Article

    fake = FakeOpenAI().start()
    try:
        settings = Settings(openai_base_url=fake.base_url, model="noisy-fake", extractor="llm")
        extractor = LLMExtractor(settings)
        docs = list(read_articles(path, limit))
        tally = Tally()
        for number, doc in enumerate(docs):
            text = doc["text"]
            claims = gold_claims(doc)
            rng = random.Random(seed + number)
            extra: list[dict[str, Any]] = []
            if noisy:
                seed_noise(claims, rng)
                invented = _invented(text, docs[(number + len(docs) // 2) % len(docs)])
                if invented and claims:
                    fake_claim = invented[0]
                    extra.append(model_claim(fake_claim.content, claims[0].speaker, quote_type=fake_claim.quote_type))
                    tally.seeded["invented"] += 1
                if claims:
                    dup = rng.choice(claims)
                    extra.append(
                        model_claim(
                            dup.content,
                            dup.speaker,
                            speaker_mention=dup.speaker,
                            cue=dup.cue,
                            quote_type=dup.quote_type,
                        )
                    )
                    tally.seeded["duplicate"] += 1
            fake.reset()
            fake.responder = answer_for(text, claims, extra, noisy, seed + number)
            tally.articles += 1
            try:
                result = extractor.extract(Article(text=text))
            except Exception as error:  # a failed article is reported, and counts every claim as lost
                print(f"article {doc.get('doc_id')}: {type(error).__name__}: {error}", file=sys.stderr)
                tally.failed += 1
                for c in claims:
                    tally.seeded[c.noise] += 1
                continue
            _score(text, claims, result.claims, tally)
        return tally
    finally:
        fake.stop()


def _score(text: str, claims: list[Gold], kept: list[Any], tally: Tally) -> None:
    matched_gold: set[int] = set()
    gold_texts = {_normal(c.content) for c in claims}
    for claim in kept:
        span = tuple(claim.content_span)
        hits = [i for i, g in enumerate(claims) if same_place(text, span, (g.start, g.end))]
        if not hits:
            if _normal(claim.content) in gold_texts:
                tally.wrong_occurrence += 1
            elif not any(_iou(span, (g.start, g.end)) > 0 for g in claims):
                tally.invented_kept += 1
            continue
        if all(i in matched_gold for i in hits):
            tally.extra_claims += 1
        for i in hits:
            if i not in matched_gold:
                matched_gold.add(i)
                gold = claims[i]
                if gold.noise == "ellipsis" and claim.content_segments:
                    pieces = [_normal(text[s:e]).strip(_EDGE) for s, e in claim.content_segments]
                    if pieces == [_normal(p).strip(_EDGE) for p in gold.pieces]:
                        tally.segments_ok += 1
                break
    for i, gold in enumerate(claims):
        tally.seeded[gold.noise] += 1
        if i in matched_gold:
            tally.kept[gold.noise] += 1


def report(clean: Tally, noisy: Tally) -> str:
    lines = [
        f"grounding under a noisy model: {clean.articles} articles, {sum(clean.seeded.values())} annotated claims",
        f"{'noise':<14}{'seeded':>8}{'kept':>8}{'share':>8}",
    ]
    for kind in ("none", *COPY_NOISE, "paraphrase"):
        tally = clean if kind == "none" else noisy
        seeded, kept = tally.seeded[kind], tally.kept[kind]
        if seeded:
            lines.append(f"{kind:<14}{seeded:>8}{kept:>8}{kept / seeded:>8.3f}")
    lines += [
        f"{'invented':<14}{noisy.seeded['invented']:>8}{noisy.invented_kept:>8}",
        f"{'duplicate':<14}{noisy.seeded['duplicate']:>8}{noisy.extra_claims:>8}   (kept twice)",
        f"recall without noise {clean.recall(['none']):.3f}   with copy noise {noisy.recall(COPY_NOISE):.3f}",
        f"invented claims kept {clean.invented_kept + noisy.invented_kept}   claims at a wrong occurrence "
        f"{clean.wrong_occurrence + noisy.wrong_occurrence}   ellipsis quotes kept "
        f"{noisy.recall(['ellipsis']):.3f}, their segments slicing to their pieces "
        f"{noisy.segments_ok}/{noisy.kept['ellipsis']}   failed articles {clean.failed + noisy.failed}",
    ]
    return "\n".join(lines)


# The floors `--check` (make eval) holds the figures to. One passage of the development set says "what we proposed"
# twice with the same speaker and cue, and only the second is annotated: the extractor cannot tell them apart, so
# each run may place that claim at the other one.
FLOORS = {
    "recall_clean": 0.9995,
    "recall_copy_noise": 0.98,
    "invented_kept": 0,
    "wrong_occurrence": 2,
    "ellipsis_kept": 0.90,
}


def figures(clean: Tally, noisy: Tally) -> dict[str, float]:
    return {
        "recall_clean": clean.recall(["none"]),
        "recall_copy_noise": noisy.recall(COPY_NOISE),
        "invented_kept": clean.invented_kept + noisy.invented_kept,
        "wrong_occurrence": clean.wrong_occurrence + noisy.wrong_occurrence,
        "ellipsis_kept": noisy.recall(["ellipsis"]),
        "ellipsis_segments_ok": noisy.segments_ok / noisy.kept["ellipsis"] if noisy.kept["ellipsis"] else 1.0,
    }


def failed_floors(values: dict[str, float]) -> list[str]:
    failures = []
    for name, floor in FLOORS.items():
        at_most = name in ("invented_kept", "wrong_occurrence")
        if (values[name] > floor) if at_most else (values[name] < floor):
            failures.append(f"{name} {values[name]:.4g} ({'at most' if at_most else 'at least'} {floor})")
    if values["ellipsis_segments_ok"] < 1.0:
        failures.append(f"ellipsis_segments_ok {values['ellipsis_segments_ok']:.3f} (every kept one)")
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("gold", type=Path, help="PolNeAR-format JSON lines")
    parser.add_argument("--limit", type=int, default=None, help="only the first N articles")
    parser.add_argument("--check", action="store_true", help="exit 1 when a figure misses its floor (FLOORS)")
    args = parser.parse_args(argv)
    if not args.gold.exists():
        print(f"{args.gold}: no such file; skipped", file=sys.stderr)
        return 0
    started = time.perf_counter()
    clean = run(args.gold, args.limit, noisy=False)
    noisy = run(args.gold, args.limit, noisy=True)
    print(report(clean, noisy))
    print(f"time {time.perf_counter() - started:.1f}s")
    failures = failed_floors(figures(clean, noisy)) if args.check else []
    for failure in failures:
        print(f"below its floor: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
