"""The speaker directory (GET /speakers) end to end on moto: search, type filter, signed pagination, anonymous
speakers kept apart per article, named speakers merged across articles, and counts that follow every way an article
completes or goes (repeat and concurrent POSTs, a retry after a failure, DELETE, large articles, interrupted
completions, concurrent writers of one entry)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote

import boto3
import pytest

from tests.support.service_support import ApiResult, FakeExtractor, api_event, invoke, load_event, table_items
from tests.support.store_limits import SMALL_CHUNK_SPEAKERS, SMALL_TRANSACTION_MAX_ITEMS
from whosaid.errors import InvalidInputError, LLMTimeoutError
from whosaid.models import Article
from whosaid.service import ArticleService
from whosaid.storage import TokenCodec, search_words


def _post(text: str, **metadata: Any) -> dict[str, Any]:
    result = invoke(api_event("POST", "/articles", body={"text": text, **metadata}))
    assert result.status in (200, 201), result.raw
    return result.body


def _get(path: str, **query: str) -> ApiResult:
    return invoke(api_event("GET", path, query=query or None))


def _page(**query: str) -> dict[str, Any]:
    result = _get("/speakers", **query)
    assert result.status == 200, result.raw
    return result.body


def _all(**query: str) -> list[dict[str, Any]]:
    """Every entry of a directory query, following next_token to the end."""
    entries: list[dict[str, Any]] = []
    token = None
    for _ in range(1_000):
        body = _page(**query, **({"next_token": token} if token else {}))
        entries += body["speakers"]
        token = body["next_token"]
        if token is None:
            return entries
    raise AssertionError("next_token never ended")


def _names(**query: str) -> list[str]:
    return [entry["name"] for entry in _all(**query)]


def _entry(name: str) -> dict[str, Any]:
    [entry] = [e for e in _all() if e["name"] == name]
    return entry


def _claims_of(speaker: str) -> list[dict[str, Any]]:
    result = _get(f"/speakers/{quote(speaker)}/claims", limit="100")
    assert result.status == 200, result.raw
    return result.body["claims"]


def _assert_error(result: ApiResult, status: int, code: str, mention: str) -> None:
    assert result.status == status, result.raw
    assert result.body["error"]["code"] == code and mention in result.body["error"]["message"]
    assert "Traceback" not in result.raw


def _entry_items(env: dict[str, str]) -> list[dict[str, Any]]:
    return [item for item in table_items(env) if item["sk"]["S"] == "SPEAKER"]


# --- what an entry says ---------------------------------------------------------------------------------------------


def test_entries_most_claims_first_with_roles_counts_and_latest_article_by_date(
    memory_service: ArticleService, fake_extractor: FakeExtractor
) -> None:
    fake_extractor.roles = {"Hazem Qassem": "Hamas spokesman"}
    newer = _post("Hazem Qassem said one. Ann Lee said two.", published_at="2021-08-04", title="Newer")
    fake_extractor.roles = {"Hazem Qassem": "spokesman for the movement"}
    # Submitted later, published earlier: "latest" is by publication date, not by submission.
    _post("Hazem Qassem said three. Hazem Qassem said four. Mary Smith said five.", published_at="2021-08-01")
    entries = _all()
    assert entries[0]["name"] == "Hazem Qassem"
    assert sorted(e["name"] for e in entries[1:]) == ["Ann Lee", "Mary Smith"]
    hazem = entries[0]
    assert (hazem["claim_count"], hazem["article_count"], hazem["type"], hazem["article_scoped"]) == (
        3,
        2,
        "person",
        False,
    )
    assert sorted(hazem["roles"]) == ["Hamas spokesman", "spokesman for the movement"]
    assert hazem["latest_article"] == {
        "article_id": newer["article"]["article_id"],
        "title": "Newer",
        "date": "2021-08-04T00:00:00.000000Z",
    }
    # Every claim carries the id of the entry that lists it.
    assert {c["speaker_id"] for c in newer["claims"] if c["speaker"]["name"] == "Hazem Qassem"} == {hazem["speaker_id"]}


def test_roles_are_distinct_ignoring_case_most_often_seen_first_and_at_most_ten(
    memory_service: ArticleService, fake_extractor: FakeExtractor
) -> None:
    for i in range(12):
        fake_extractor.roles = {"Ann Lee": f"adviser number {i}"}
        _post(f"Ann Lee said thing {i}.")
    for i, spelling in enumerate(["Hamas spokesman", "HAMAS Spokesman", "hamas spokesman"]):
        fake_extractor.roles = {"Ann Lee": spelling}
        _post(f"Ann Lee said other thing {i}.")
    entry = _entry("Ann Lee")
    assert entry["roles"][0] == "Hamas spokesman"  # three articles: first; the first spelling seen is kept
    assert len(entry["roles"]) == 10 and len(set(entry["roles"])) == 10
    assert entry["article_count"] == 15


# --- search ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("qassem", ["Hazem Qassem"]),  # a surname
        ("QASSEM", ["Hazem Qassem"]),
        ("qas", ["Hazem Qassem"]),  # the beginning of a word
        ("hazem qassem", ["Hazem Qassem"]),
        ("qassem hazem", ["Hazem Qassem"]),  # every word, in any order
        ("cavusoglu", ["Mevlüt Çavuşoğlu"]),  # without accents
        ("Çavuşoğlu", ["Mevlüt Çavuşoğlu"]),
        ("mevlut", ["Mevlüt Çavuşoğlu"]),
        ("soren", ["Søren Kierkegaard"]),  # a letter NFKD leaves alone
        ("ipsos", ["Reuters/Ipsos poll"]),  # punctuation separates words
        ("assem", []),  # inside a word: no
        ("smith hazem", []),  # every word must match
    ],
)
def test_q_matches_words_of_the_name_ignoring_case_and_accents(
    memory_service: ArticleService, q: str, expected: list[str]
) -> None:
    _post("Hazem Qassem said one. Mevlüt Çavuşoğlu said two. Søren Kierkegaard said three.")
    _post("Mary Smith said four. Reuters/Ipsos poll said five.")
    assert _names(q=q) == expected


def test_blank_q_lists_everyone_and_an_overlong_q_is_refused(memory_service: ArticleService) -> None:
    _post("Hazem Qassem said one. Mary Smith said two.")
    assert sorted(_names(q="   ")) == sorted(_names()) == ["Hazem Qassem", "Mary Smith"]
    assert sorted(_names(q="?!")) == ["Hazem Qassem", "Mary Smith"]  # no letter or digit: no filter
    _assert_error(_get("/speakers", q="x" * 101), 422, "validation_error", "q")
    with pytest.raises(InvalidInputError, match="q must be at most 100"):
        memory_service.list_speakers(q="x" * 101)
    assert search_words("  Mevlüt  ÇAVUŞOĞLU, Jr. ") == ["mevlut", "cavusoglu", "jr"]


def test_type_filter(memory_service: ArticleService, fake_extractor: FakeExtractor) -> None:
    fake_extractor.types = {"Hamas": "organization", "Reuters/Ipsos poll": "document", "Hamas officials": "anonymous"}
    _post("Hamas said one. Reuters/Ipsos poll said two. Hazem Qassem said three. Hamas officials said four.")
    assert _names(type="organization") == ["Hamas"]
    assert _names(type="document") == ["Reuters/Ipsos poll"]
    assert _names(type="anonymous") == ["Hamas officials"]
    assert _names(type="person") == ["Hazem Qassem"]
    assert _names(type="organization", q="hamas") == ["Hamas"]  # both filters
    assert _names(type="person", q="hamas") == []
    _assert_error(_get("/speakers", type="journalist"), 422, "validation_error", "type")


# --- pagination -----------------------------------------------------------------------------------------------------


def test_pages_follow_signed_tokens_and_a_token_fits_only_its_own_query(memory_service: ArticleService) -> None:
    # Five speakers with 5, 4, 3, 2 and 1 claims.
    text = " ".join(f"Speaker {chr(65 + s)} said thing {i}." for s in range(5) for i in range(5 - s))
    _post(text)
    pages = []
    token = None
    while True:
        body = _page(limit="2", **({"next_token": token} if token else {}))
        pages.append([(e["name"], e["claim_count"]) for e in body["speakers"]])
        token = body["next_token"]
        if token is None:
            break
    assert pages == [
        [("Speaker A", 5), ("Speaker B", 4)],
        [("Speaker C", 3), ("Speaker D", 2)],
        [("Speaker E", 1)],
    ]
    first = _page(limit="2")
    second = _page(limit="2", next_token=first["next_token"])
    assert [e["name"] for e in second["speakers"]] == ["Speaker C", "Speaker D"]

    token = first["next_token"]
    body, _, signature = token.partition(".")
    _assert_error(_get("/speakers", next_token=body[:-2] + "xx." + signature), 400, "invalid_next_token", "next_token")
    # A genuine token of the unfiltered list is refused by a filtered one (it would skip what that one lists), by
    # another filter, and by the other lists.
    _assert_error(_get("/speakers", q="speaker", next_token=token), 400, "invalid_next_token", "next_token")
    _assert_error(_get("/speakers", type="person", next_token=token), 400, "invalid_next_token", "next_token")
    filtered = _page(q="speaker", limit="1")["next_token"]
    _assert_error(_get("/speakers", q="speaker a", next_token=filtered), 400, "invalid_next_token", "next_token")
    assert _page(q="SPEAKER", limit="1", next_token=filtered)["speakers"][0]["name"] == "Speaker B"  # same words
    _assert_error(_get("/articles", next_token=token), 400, "invalid_next_token", "next_token")
    _assert_error(_get("/speakers/Speaker%20A/claims", next_token=token), 400, "invalid_next_token", "next_token")


def test_a_filtered_request_reads_a_bounded_slice_and_its_token_goes_on(
    article_service: ArticleService, monkeypatch: pytest.MonkeyPatch
) -> None:
    _post(" ".join(f"Person {i} said thing {i}." for i in range(6)) + " Rare Name said it.")
    monkeypatch.setattr("whosaid.storage.articles.FILTERED_READ_ITEMS", 1)
    monkeypatch.setattr("whosaid.storage.articles.FILTERED_MAX_READS", 2)
    queries = []
    real_query = article_service.store._dynamodb.query
    monkeypatch.setattr(
        article_service.store._dynamodb, "query", lambda **kw: queries.append(kw) or real_query(**{**kw, "Limit": 1})
    )
    first = _page(q="rare")
    assert len(queries) == 2  # the budget, not the whole directory
    assert first["next_token"] is not None and len(first["speakers"]) <= 1
    assert _names(q="rare") == ["Rare Name"]  # following the tokens finds it, once


# --- who is one speaker ---------------------------------------------------------------------------------------------


def test_anonymous_and_unnamed_speakers_are_their_own_articles_speakers(
    memory_service: ArticleService, fake_extractor: FakeExtractor
) -> None:
    fake_extractor.types = {"Palestinian sources": "anonymous"}
    first = _post("Palestinian sources said one. A senior official said two. Hazem Qassem said three.")
    second = _post("Palestinian sources said four. A senior official said five. Hazem Qassem said six.")
    ids = {first["article"]["article_id"]: "one", second["article"]["article_id"]: "four"}

    sources = _all(q="palestinian sources")
    assert len(sources) == 2 and len({e["speaker_id"] for e in sources}) == 2
    for entry in sources:
        assert (entry["article_scoped"], entry["claim_count"], entry["article_count"]) == (True, 1, 1)
        # Its claims are its own article's only, reachable from the entry by speaker_id.
        [claim] = _claims_of(entry["speaker_id"])
        assert claim["article_id"] == entry["latest_article"]["article_id"]
        assert claim["content"] == ids[claim["article_id"]] and claim["speaker_id"] == entry["speaker_id"]
    assert len(_all(q="senior official")) == 2  # a description, not a name: scoped too, whatever its type
    assert all(e["article_scoped"] for e in _all(q="senior official"))
    assert _claims_of("Palestinian sources") == []  # never merged under the name
    hazem = _entry("Hazem Qassem")  # a named speaker is one across articles
    assert (hazem["article_scoped"], hazem["claim_count"], hazem["article_count"]) == (False, 2, 2)

    # Deleting one article takes its own anonymous entries with it, and leaves the other article's.
    assert invoke(api_event("DELETE", f"/articles/{first['article']['article_id']}")).status == 204
    [left] = _all(q="palestinian sources")
    assert left["latest_article"]["article_id"] == second["article"]["article_id"]
    assert len(_all(q="senior official")) == 1
    assert _claims_of(next(e["speaker_id"] for e in sources if e != left)) == []


def test_named_speaker_is_one_entry_across_articles_and_its_claims_route_works_by_name_and_id(
    memory_service: ArticleService,
) -> None:
    older = _post("Házem Qassem said the old thing.", published_at="2021-08-01")
    newer = _post("HAZEM QASSEM said the new thing.", published_at="2021-08-04")
    [entry] = _all(q="qassem")
    assert (entry["claim_count"], entry["article_count"]) == (2, 2)
    assert entry["name"] == "HAZEM QASSEM"  # as the most recent article spells it
    by_name = _claims_of("Hazem Qassem")
    assert [c["article_id"] for c in by_name] == [newer["article"]["article_id"], older["article"]["article_id"]]
    assert _claims_of(entry["speaker_id"]) == by_name
    assert _claims_of("spk_" + "0" * 20) == []  # an id no entry has: nothing


# --- counts follow the articles ---------------------------------------------------------------------------------------


def test_delete_lowers_counts_recomputes_latest_and_removes_empty_entries(
    article_service: ArticleService, aws_env: dict[str, str]
) -> None:
    older = _post("Hazem Qassem said one. Hazem Qassem said two. Mary Smith said three.", published_at="2021-08-01")
    newer = _post("Hazem Qassem said four.", published_at="2021-08-04", title="Newer")
    assert _entry("Hazem Qassem")["latest_article"]["article_id"] == newer["article"]["article_id"]
    assert invoke(api_event("DELETE", f"/articles/{newer['article']['article_id']}")).status == 204
    hazem = _entry("Hazem Qassem")
    assert (hazem["claim_count"], hazem["article_count"]) == (2, 1)
    assert hazem["latest_article"]["article_id"] == older["article"]["article_id"]
    assert invoke(api_event("DELETE", f"/articles/{older['article']['article_id']}")).status == 204
    assert _all() == []
    assert table_items(aws_env) == []  # no entry with nothing left in it


def test_latest_article_is_read_back_when_every_remembered_one_is_deleted(memory_service: ArticleService) -> None:
    posted = [_post(f"Ann Lee said thing {day}.", published_at=f"2021-08-0{day}") for day in range(1, 8)]
    for body in posted[2:]:  # the five newest: all the entry remembers
        assert invoke(api_event("DELETE", f"/articles/{body['article']['article_id']}")).status == 204
    entry = _entry("Ann Lee")
    assert (entry["claim_count"], entry["article_count"]) == (2, 2)
    assert entry["latest_article"]["article_id"] == posted[1]["article"]["article_id"]
    assert entry["latest_article"]["date"] == "2021-08-02T00:00:00.000000Z"


def test_repeat_and_concurrent_posts_of_the_same_text_count_once(
    memory_service: ArticleService, fake_extractor: FakeExtractor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")  # threads share one metrics buffer
    text = "Hazem Qassem said one. Hazem Qassem said two."
    _post(text)
    assert invoke(api_event("POST", "/articles", body={"text": text})).status == 200
    fake_extractor.delay = 0.3
    other = "Hazem Qassem said three. Mary Smith said four."
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(
            r.status for r in pool.map(lambda _: invoke(api_event("POST", "/articles", body={"text": other})), range(8))
        )
    assert statuses == [200] * 7 + [201] and fake_extractor.calls == 2
    hazem = _entry("Hazem Qassem")
    assert (hazem["claim_count"], hazem["article_count"]) == (3, 2)
    assert _entry("Mary Smith")["claim_count"] == 1


def test_only_complete_articles_count_and_a_retry_after_a_failure_counts_once(
    memory_service: ArticleService, fake_extractor: FakeExtractor
) -> None:
    text = "Hazem Qassem said one."
    fake_extractor.error = LLMTimeoutError("the LLM timed out")
    assert invoke(api_event("POST", "/articles", body={"text": text})).status == 504
    assert _all() == []  # failed: not counted
    fake_extractor.error = None
    assert invoke(api_event("POST", "/articles", body={"text": text})).status == 201
    assert _entry("Hazem Qassem")["claim_count"] == 1

    queued = memory_service.submit(Article(text="Mary Smith said two."), mode="async")
    assert queued.status == "accepted" and _names(q="smith") == []  # pending: not yet
    memory_service.process_pending(queued.article.article_id)
    assert _entry("Mary Smith")["claim_count"] == 1


def test_a_concurrent_writer_of_the_same_entry_is_retried_not_lost(
    article_service: ArticleService, monkeypatch: pytest.MonkeyPatch
) -> None:
    _post("Ann Lee said one.")
    dynamodb = article_service.store._dynamodb
    real_transact = dynamodb.transact_write_items
    calls: list[int] = []

    def transact_write_items(**kwargs: Any) -> Any:
        calls.append(len(kwargs["TransactItems"]))
        if len(calls) == 1:  # between reading Ann Lee's entry and writing it, another article counts her
            monkeypatch.setattr(dynamodb, "transact_write_items", real_transact)
            article_service.submit(Article(text="Ann Lee said three."))
            monkeypatch.setattr(dynamodb, "transact_write_items", transact_write_items)
        return real_transact(**kwargs)

    monkeypatch.setattr(dynamodb, "transact_write_items", transact_write_items)
    _post("Ann Lee said two.")
    assert len(calls) == 2  # the first lost on the entry's version, the second wrote on top of the other article
    entry = _entry("Ann Lee")
    assert (entry["claim_count"], entry["article_count"]) == (3, 3)


# --- articles too large for one transaction ---------------------------------------------------------------------------

# Against the store's limits made small (tests/support/store_limits.py), as 150 claims and 120 speakers do against
# the real ones: more claims than one transaction holds, and more entries than one chunk (two transactions).
MANY_CLAIM_COUNT = 3 * SMALL_TRANSACTION_MAX_ITEMS
MANY_SPEAKER_COUNT = SMALL_CHUNK_SPEAKERS + 2  # two chunks of entries
MANY_CLAIMS = " ".join(f"Ann Lee said thing {i}." for i in range(MANY_CLAIM_COUNT))
MANY_SPEAKERS = " ".join(f"Speaker Number{i} said thing {i}." for i in range(MANY_SPEAKER_COUNT))


@pytest.mark.usefixtures("small_transactions")
@pytest.mark.parametrize("text", [MANY_CLAIMS, MANY_SPEAKERS], ids=["many-claims", "many-speakers"])
def test_large_articles_are_counted_and_uncounted_whole(
    article_service: ArticleService, aws_env: dict[str, str], text: str
) -> None:
    posted = _post(text)
    entries = _all(limit="100")
    claims, speakers = (MANY_CLAIM_COUNT, 1) if text == MANY_CLAIMS else (MANY_SPEAKER_COUNT, MANY_SPEAKER_COUNT)
    assert sum(e["claim_count"] for e in entries) == len(posted["claims"]) == claims
    assert len(entries) == speakers and all(e["article_count"] == 1 for e in entries)
    assert invoke(api_event("DELETE", f"/articles/{posted['article']['article_id']}")).status == 204
    assert _all() == [] and table_items(aws_env) == []


@pytest.mark.usefixtures("small_transactions")
@pytest.mark.parametrize("then", ["repost", "delete"])
def test_an_interrupted_completion_is_finished_by_the_next_post_and_undone_exactly_by_delete(
    article_service: ArticleService, aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, then: str
) -> None:
    dynamodb = article_service.store._dynamodb
    real_transact = dynamodb.transact_write_items
    chunks: list[int] = []

    def transact_write_items(**kwargs: Any) -> Any:
        chunks.append(len(kwargs["TransactItems"]))
        if len(chunks) == 2:  # the second chunk of entries (the process died, or DynamoDB kept throttling)
            raise boto3.client("dynamodb").exceptions.InternalServerError(
                {"Error": {"Code": "InternalServerError", "Message": "injected"}}, "TransactWriteItems"
            )
        return real_transact(**kwargs)

    monkeypatch.setattr(dynamodb, "transact_write_items", transact_write_items)
    posted = invoke(api_event("POST", "/articles", body={"text": MANY_SPEAKERS}))
    monkeypatch.setattr(dynamodb, "transact_write_items", real_transact)
    assert posted.status == 201, posted.raw  # the article is complete: that stands
    # The first chunk's entries and the article action, then the rest of the entries and the article action.
    assert chunks == [SMALL_CHUNK_SPEAKERS + 1, MANY_SPEAKER_COUNT - SMALL_CHUNK_SPEAKERS + 1]
    assert len(_all(limit="100")) == SMALL_CHUNK_SPEAKERS
    if then == "repost":
        assert invoke(api_event("POST", "/articles", body={"text": MANY_SPEAKERS})).status == 200
        assert len(_all(limit="100")) == MANY_SPEAKER_COUNT
        assert invoke(api_event("POST", "/articles", body={"text": MANY_SPEAKERS})).status == 200
        assert sum(e["claim_count"] for e in _all(limit="100")) == MANY_SPEAKER_COUNT  # finished once, not again
    assert invoke(api_event("DELETE", f"/articles/{posted.body['article']['article_id']}")).status == 204
    assert table_items(aws_env) == []  # exactly what was counted is uncounted: nothing negative is left behind


def test_deleting_an_article_stored_before_the_directory_existed_touches_no_entry(
    article_service: ArticleService, aws_env: dict[str, str]
) -> None:
    legacy = _post("Ann Lee said one.")["article"]["article_id"]
    client = boto3.client("dynamodb")
    # As stored before the directory: no counter on the article, and no entry counting it.
    client.update_item(
        TableName=aws_env["WHOSAID_TABLE_NAME"],
        Key={"pk": {"S": f"ARTICLE#{legacy}"}, "sk": {"S": "META"}},
        UpdateExpression="REMOVE dir_done, dir_total",
    )
    [entry] = _entry_items(aws_env)
    client.delete_item(TableName=aws_env["WHOSAID_TABLE_NAME"], Key={"pk": entry["pk"], "sk": entry["sk"]})
    current = _post("Ann Lee said two.")["article"]["article_id"]
    assert invoke(api_event("DELETE", f"/articles/{legacy}")).status == 204
    ann = _entry("Ann Lee")  # the entry counts only the article it was told about
    assert (ann["claim_count"], ann["article_count"]) == (1, 1)
    assert ann["latest_article"]["article_id"] == current
    assert invoke(api_event("DELETE", f"/articles/{current}")).status == 204
    assert table_items(aws_env) == []


# --- tokens and documentation -----------------------------------------------------------------------------------------


def test_token_scope_is_signed_with_the_partition() -> None:
    codec = TokenCodec(b"secret")
    key = {"gsi3pk": "SPEAKERS", "gsi3sk": "0000000003#x#spk_a", "pk": "SPEAKERID#spk_a", "sk": "SPEAKER"}
    token = codec.encode("SPEAKERS", key, scope='{"q":["qassem"],"type":null}')
    assert codec.decode(token, "SPEAKERS", "gsi3pk", scope='{"q":["qassem"],"type":null}') == key
    for scope in (None, '{"q":[],"type":null}'):
        with pytest.raises(InvalidInputError):
            codec.decode(token, "SPEAKERS", "gsi3pk", scope=scope)
    unscoped = codec.encode("SPEAKERS", key)
    assert codec.decode(unscoped, "SPEAKERS", "gsi3pk") == key  # the other lists' tokens are as before
    with pytest.raises(InvalidInputError):
        codec.decode(unscoped, "SPEAKERS", "gsi3pk", scope='{"q":[],"type":null}')


def test_openapi_documents_the_directory(memory_service: ArticleService) -> None:
    document = invoke(api_event("GET", "/openapi.json")).body
    operation = document["paths"]["/speakers"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert set(parameters) == {"q", "type", "limit", "next_token"}
    assert parameters["q"]["schema"]["anyOf"][0]["maxLength"] == 100
    types = parameters["type"]["schema"]["anyOf"][0]["enum"]
    assert types == ["person", "organization", "anonymous", "document", "other"]
    assert {"400", "422", "500", "503"} <= set(operation["responses"])
    schemas = document["components"]["schemas"]
    entry = schemas["SpeakerEntry"]
    assert set(entry["required"]) >= {"speaker_id", "name", "type", "roles", "claim_count", "latest_article"}
    [example] = entry["examples"]
    assert example["name"] == "Hazem Qassem" and example["speaker_id"].startswith("spk_")
    assert all(field.get("description") for field in entry["properties"].values())
    assert "speaker_id" in schemas["ClaimRecord"]["required"]
    by_speaker = document["paths"]["/speakers/{speaker}/claims"]["get"]["description"]
    assert "speaker_id" in by_speaker and "anonymous" in by_speaker


def test_list_speakers_event_file(memory_service: ArticleService) -> None:
    event = load_event("api-list-speakers.json")
    assert (event["path"], event["queryStringParameters"]) == ("/speakers", {"q": "qassem", "limit": "10"})
    _post("Hazem Qassem said one. Mary Smith said two.")
    result = invoke(event)
    assert result.status == 200 and [e["name"] for e in result.body["speakers"]] == ["Hazem Qassem"]
