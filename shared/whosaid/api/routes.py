"""The routes: thin adapters from HTTP to ArticleService (validation and error mapping live in app.py)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from whosaid.api import examples
from whosaid.api.app import app
from whosaid.api.openapi import base_path
from whosaid.api.schemas import (
    AcceptedResponse,
    ArticleListResponse,
    ArticleResponse,
    ArticleWithClaimsResponse,
    ClaimListResponse,
    ErrorResponse,
    SpeakerListResponse,
    UploadListResponse,
)
from whosaid.models import Article, SpeakerType
from whosaid.service import get_article_service
from whosaid.service.articles import MAX_SPEAKER_CHARS, MAX_SPEAKER_QUERY_CHARS
from whosaid.storage import ClaimRecord, UploadStatus
from whosaid.storage.pagination import MAX_TOKEN_CHARS

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

Limit = Annotated[int, Query(ge=1, le=100, description="Page size, 1 to 100.")]
NextToken = Annotated[
    str | None,
    Query(max_length=MAX_TOKEN_CHARS, description="The next_token of the previous page, unchanged."),
]
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
ArticleId = Annotated[
    str,
    Path(
        description="The article_id from POST /articles or a list: 20 hex digits, the content hash of its text.",
        examples=[examples.ARTICLE_ID],
    ),
]
# Every route can fail these ways; the codes each route adds are listed at the route.
_ANY_ROUTE = ("validation_error", "internal_error", "configuration_error", "storage_unavailable")


def _errors(*codes: str) -> dict[int, OpenAPIResponse]:
    """The documented error responses: one per status among `codes`, with an example of each code."""
    descriptions = {
        400: "Malformed JSON, or an invalid next_token (also: one from another query) or speaker.",
        404: "No such article.",
        409: "The article is not complete yet (claims), or is being extracted (delete).",
        413: "Request body too large.",
        415: "The body is not JSON.",
        422: "The request breaks the schema: the message names the field and what to fix.",
        500: "A bug or a misconfigured deployment (internal_error, configuration_error); details only in the logs.",
        502: "The LLM returned unusable output, or extraction failed.",
        503: "The LLM or AWS storage is unavailable; try again later.",
        504: "The LLM timed out.",
    }
    statuses = sorted({examples.ERRORS[code][0] for code in codes})
    return {
        status: {
            "description": descriptions[status],
            "content": {
                "application/json": {"model": ErrorResponse, "examples": examples.error_examples(status, codes)}
            },
        }
        for status in statuses
    }


def _ok(description: str, model: Any, example: dict[str, Any]) -> OpenAPIResponse:
    return {
        "description": description,
        "content": {"application/json": {"model": model, "examples": {"example": example}}},
    }


def _json(status: int, model: Any, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=model, headers=headers or {})


def _status_url(article_id: str) -> str:
    """/articles/{id} under the same base path the request came in on (e.g. the /Prod stage of API Gateway)."""
    return f"{base_path(app.current_event)}/articles/{article_id}"


@app.route(
    "/articles",
    method="POST",
    summary="Extract and store the claims of an article",
    description="201 with the article and its claims; 200 with the stored result when the same text was submitted "
    "before (it is extracted once); 202 with a status URL when mode=async or the text is long (the work goes "
    "through the queue; GET the status URL until complete or failed).",
    responses={
        201: _ok("Extracted now.", ArticleWithClaimsResponse, examples.RESULT),
        200: _ok("Stored before.", ArticleWithClaimsResponse, examples.RESULT),
        202: {
            **_ok("Queued.", AcceptedResponse, examples.ACCEPTED),
            "headers": {
                "Location": {
                    "description": "The article's status URL (the body's status_url), under the stage the request "
                    "came in on.",
                    "schema": {"type": "string"},
                    "examples": {"status_url": {"value": examples.STATUS_URL}},
                }
            },
        },
        **_errors(
            "invalid_json",
            "payload_too_large",
            "unsupported_media_type",
            *_ANY_ROUTE,
            "extraction_failed",
            "llm_bad_output",
            "llm_unavailable",
            "llm_timeout",
        ),
    },
    tags=["articles"],
    operation_id="createArticle",
)
def post_article(
    article: Annotated[
        Article,
        Body(
            description="The article: text (required) and optional metadata.",
            openapi_examples={"article": {"summary": "A news article", "value": examples.ARTICLE_REQUEST}},
        ),
    ],
    mode: Annotated[
        Literal["sync", "async"], Query(description="sync (default) extracts now; async queues the work.")
    ] = "sync",
) -> Response[ArticleWithClaimsResponse | AcceptedResponse]:
    service = get_article_service()
    if len(article.text) > service.async_threshold_chars:
        mode = "async"  # too long to extract within API Gateway's 29 s: the queue's worker extracts it
    # Over before the function is: the article is stored failed (llm_timeout) rather than left pending.
    outcome = service.submit(article, mode=mode, deadline=service.deadline_for(app.lambda_context))
    if outcome.status == "accepted":
        url = _status_url(outcome.article.article_id)
        return _json(202, AcceptedResponse(article=outcome.article, status_url=url), headers={"Location": url})
    body = ArticleWithClaimsResponse(article=outcome.article, claims=outcome.claims)
    return _json(201 if outcome.status == "created" else 200, body)


@app.route(
    "/articles",
    method="GET",
    summary="List articles, most recently submitted first",
    responses={
        200: _ok("A page of articles.", ArticleListResponse, examples.ARTICLE_PAGE),
        **_errors("invalid_next_token", *_ANY_ROUTE),
    },
    tags=["articles"],
    operation_id="listArticles",
)
def list_articles(limit: Limit = 20, next_token: NextToken = None) -> ArticleListResponse:
    page = get_article_service().list_articles(limit=limit, next_token=next_token)
    return ArticleListResponse(articles=page.items, next_token=page.next_token)


@app.route(
    "/articles/<article_id>",
    method="GET",
    summary="An article and its status (pending, complete, or failed with the reason)",
    responses={200: _ok("The article.", ArticleResponse, examples.ARTICLE), **_errors("not_found", *_ANY_ROUTE)},
    tags=["articles"],
    operation_id="getArticle",
)
def get_article(article_id: ArticleId) -> ArticleResponse:
    return ArticleResponse(article=get_article_service().get_article(article_id))


@app.route(
    "/articles/<article_id>/claims",
    method="GET",
    summary="The claims of an article, in text order",
    description="format=csv: every claim of the article in one CSV file (one row per claim, the columns of "
    "whosaid.exports.CLAIM_COLUMNS after article_id and speaker_id; limit and next_token do not apply).",
    responses={
        200: {
            "description": "A page of claims (format=json), or every claim as CSV (format=csv).",
            "content": {
                **_ok("", ClaimListResponse, examples.CLAIM_PAGE)["content"],
                "text/csv": {
                    "schema": {"type": "string"},
                    "examples": {"csv": {"summary": "Every claim, one row each", "value": examples.CLAIMS_CSV}},
                },
            },
            "headers": {
                "Content-Disposition": {
                    "description": "format=csv: attachment; filename=whosaid-<article_id>-claims.csv",
                    "schema": {"type": "string"},
                }
            },
        },
        **_errors("invalid_next_token", "not_found", "article_not_complete", *_ANY_ROUTE),
    },
    tags=["claims"],
    operation_id="listArticleClaims",
)
def get_article_claims(
    article_id: ArticleId,
    limit: Limit = 20,
    next_token: NextToken = None,
    output_format: Annotated[
        Literal["json", "csv"],
        Query(alias="format", description="json (default): a page of claims; csv: every claim, one file."),
    ] = "json",
) -> Response[ClaimListResponse | str]:
    service = get_article_service()
    if output_format == "csv":
        body = claim_records_csv(service.article_claims(article_id))
        disposition = f'attachment; filename="whosaid-{article_id}-claims.csv"'
        return Response(200, CSV_MEDIA_TYPE, body, headers={"Content-Disposition": disposition})
    page = service.list_claims(article_id, limit=limit, next_token=next_token)
    return _json(200, ClaimListResponse(claims=page.items, next_token=page.next_token))


def claim_records_csv(claims: Iterable[ClaimRecord]) -> str:
    """Stored claims as CSV: the article's and the speaker's directory ids first, then the claim's columns."""
    from whosaid import exports  # only an export pays for csv, html and importlib.resources (cold start)

    rows = (((claim.article_id, claim.speaker_id), claim.index, claim) for claim in claims)
    return exports.claims_csv(rows, leading=("article_id", "speaker_id"))


@app.route(
    "/speakers",
    method="GET",
    summary="The speaker directory, most claims first",
    description="Every speaker of the complete articles, with its type, roles, claim and article counts and its "
    "latest article. A named speaker is one entry across articles; an anonymous or unnamed one ('Palestinian "
    "sources', 'a senior official') is its own article's speaker, one entry per article (article_scoped). q keeps "
    "names with a word beginning with each word of q, ignoring case and accents (qassem or qas finds Hazem Qassem; "
    "cavusoglu finds Mevlüt Çavuşoğlu); a blank q lists all. A filtered page may be short: follow next_token until "
    "it is null. A next_token is valid only for the same q and type.",
    responses={
        200: _ok("A page of speakers.", SpeakerListResponse, examples.SPEAKER_PAGE),
        **_errors("invalid_next_token", *_ANY_ROUTE),
    },
    tags=["speakers"],
    operation_id="listSpeakers",
)
def list_speakers(
    q: Annotated[
        str | None,
        Query(
            max_length=MAX_SPEAKER_QUERY_CHARS,
            description=f"Words of the name (at most {MAX_SPEAKER_QUERY_CHARS} characters); each must begin a word "
            "of the speaker's name, case and accents ignored.",
            examples=["qassem"],
        ),
    ] = None,
    speaker_type: Annotated[
        SpeakerType | None, Query(alias="type", description="Only speakers of this type.", examples=["person"])
    ] = None,
    limit: Limit = 20,
    next_token: NextToken = None,
) -> SpeakerListResponse:
    page = get_article_service().list_speakers(q=q, speaker_type=speaker_type, limit=limit, next_token=next_token)
    return SpeakerListResponse(speakers=page.items, next_token=page.next_token)


@app.route(
    "/speakers/<speaker>/claims",
    method="GET",
    summary="One speaker's claims across articles, newest first",
    description="The speaker by its speaker_id from GET /speakers or from a claim (spk_ and 20 hex digits; the only "
    "way to address an anonymous or unnamed speaker, whose claims are its article's alone), or a named speaker by "
    "name as displayed (URL-encoded, e.g. Hazem%20Qassem), matched ignoring case, accents and extra spaces.",
    responses={
        200: _ok("A page of claims.", ClaimListResponse, examples.SPEAKER_CLAIM_PAGE),
        **_errors("invalid_input", "invalid_next_token", *_ANY_ROUTE),
    },
    tags=["claims"],
    operation_id="listSpeakerClaims",
)
def get_speaker_claims(
    speaker: Annotated[
        str,
        Path(
            description=f"A speaker_id (spk_ and 20 hex digits), or a named speaker's name as displayed, "
            f"URL-encoded; at most {MAX_SPEAKER_CHARS} characters once decoded, not blank.",
            # Documented, not enforced here: the limit applies to the decoded name, which the service checks (400).
            json_schema_extra={"minLength": 1, "maxLength": MAX_SPEAKER_CHARS},
            openapi_examples={
                "speaker_id": {"summary": "By speaker_id", "value": "spk_0cdc233e746c0b8d4ea4"},
                "name": {"summary": "By name (sent URL-encoded: Elena%20Marsh)", "value": "Elena Marsh"},
            },
        ),
    ],
    limit: Limit = 20,
    next_token: NextToken = None,
) -> ClaimListResponse:
    # REST API events carry the path percent-encoded; the matched segment is decoded here.
    page = get_article_service().speaker_claims(unquote(speaker), limit=limit, next_token=next_token)
    return ClaimListResponse(claims=page.items, next_token=page.next_token)


@app.route(
    "/articles/<article_id>",
    method="DELETE",
    summary="Delete an article, its claims and its stored body",
    # "content": {} documents the empty body (without it powertools documents a JSON null).
    responses={
        204: {"description": "Deleted.", "content": {}},
        **_errors("not_found", "article_processing", *_ANY_ROUTE),
    },
    tags=["articles"],
    operation_id="deleteArticle",
)
def delete_article(article_id: ArticleId) -> Response[None]:
    get_article_service().delete_article(article_id)
    return Response(status_code=204, body=None)


@app.route(
    "/uploads",
    method="GET",
    summary="Objects uploaded under incoming/ and what became of them, newest first",
    description="Every object the ingest function has processed: its key, etag, version and size, its status and "
    "the article it became or why it failed. An upload that cannot become an article (binary, empty, too large, "
    "not UTF-8, an unsupported type, an invalid article) is failed after one delivery and never retried; a pending "
    "one (its article is queued for extraction) turns complete or failed with its article. Uploads whose "
    "processing hit a transient failure appear once a retry succeeds (or, failing that, the notification is in "
    "the dead-letter queue). A page filtered by status may be short: follow next_token until it is null; a "
    "next_token is valid only for the same status.",
    operation_id="listUploads",
    responses={
        200: _ok("A page of uploads.", UploadListResponse, examples.UPLOAD_PAGE),
        **_errors("invalid_next_token", *_ANY_ROUTE),
    },
    tags=["uploads"],
)
def list_uploads(
    status: Annotated[
        UploadStatus | None,
        Query(description="Only uploads with this status: complete, pending, failed or gone.", examples=["failed"]),
    ] = None,
    limit: Limit = 20,
    next_token: NextToken = None,
) -> UploadListResponse:
    page = get_article_service().list_uploads(status=status, limit=limit, next_token=next_token)
    return UploadListResponse(uploads=page.items, next_token=page.next_token)
