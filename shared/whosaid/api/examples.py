"""The OpenAPI document's examples: one real article and what the API really answers for it.

The result is the rules extractor's output for ARTICLE_TEXT as POST /articles returned it (ids are the real content
hashes, offsets index ARTICLE_TEXT; tests/api/test_openapi.py checks both), and each error is a real code with the
message the API gives, with the status api/errors.py's table gives its code. Plain data and that one import (which
the API has loaded anyway): the API's cold start pays only for these literals.
"""

from __future__ import annotations

from typing import Any

from whosaid.api.errors import http_status

ARTICLE_TEXT = (
    "Riverside council approves flood barrier\n\n"
    "Riverside's city council voted 7-2 on Tuesday to fund a $40 million flood barrier along the Wen river. "
    "“We cannot keep rebuilding the same streets every spring,” Mayor Elena Marsh said after the vote. "
    "Opponents said the plan would raise property taxes without a public vote. "
    "According to a report by the regional water authority, the barrier would protect about 3,000 homes."
)
ARTICLE_ID = "0c9a5f42dddd37815105"  # article_id_for_text(ARTICLE_TEXT)
TITLE = "Riverside council approves flood barrier"
PUBLISHED_AT = "2024-03-12T18:30:00.000000Z"

ARTICLE_REQUEST: dict[str, Any] = {
    "text": ARTICLE_TEXT,
    "title": TITLE,
    "url": "https://news.example.com/2024/03/12/riverside-flood-barrier",
    "source": "Riverside Gazette",
    "published_at": "2024-03-12T18:30:00Z",
    "language": "en-GB",
}

_SPEAKERS: list[dict[str, Any]] = [
    {"name": "Elena Marsh", "type": "person", "role": "Mayor", "claim_count": 1},
    {"name": "Opponents", "type": "anonymous", "role": None, "claim_count": 1},
    {"name": "report", "type": "document", "role": "the regional water authority", "claim_count": 1},
]
_USAGE: dict[str, Any] = {
    "extractor": "rules",
    "model": None,
    "requests": 0,
    "prompt_tokens": 0,
    "completion_tokens": 0,
    "total_tokens": 0,
    "cached_prompt_tokens": 0,
    "unreported_usage": 0,
    "estimated_cost_usd": None,
    "chunks": 1,
    "dropped_claims": 0,
    "dropped_by_reason": {},
}
_METADATA: dict[str, Any] = {
    "article_id": ARTICLE_ID,
    "title": TITLE,
    "url": ARTICLE_REQUEST["url"],
    "source": ARTICLE_REQUEST["source"],
    "published_at": PUBLISHED_AT,
    "language": ARTICLE_REQUEST["language"],
    "text_chars": len(ARTICLE_TEXT),
    "origin": None,
    "created_at": "2024-03-12T18:41:07.215304Z",
}
ARTICLE_RECORD: dict[str, Any] = {
    **_METADATA,
    "status": "complete",
    "error": None,
    "text": ARTICLE_TEXT,
    "claim_count": len(_SPEAKERS),
    "speakers": _SPEAKERS,
    "usage": _USAGE,
    "updated_at": "2024-03-12T18:41:07.236118Z",
    "completed_at": "2024-03-12T18:41:07.236118Z",
}
_CLAIM_CONTEXT: dict[str, Any] = {"article_id": ARTICLE_ID, "article_title": TITLE, "article_date": PUBLISHED_AT}
CLAIMS: list[dict[str, Any]] = [
    {
        "speaker": {"name": "Elena Marsh", "type": "person", "role": "Mayor"},
        "cue": "said",
        "content": "“We cannot keep rebuilding the same streets every spring,”",
        "quote_type": "direct",
        "stance": "asserts",
        "content_span": [145, 203],
        "speaker_span": [204, 221],
        "cue_span": [222, 226],
        "content_segments": None,
        "confidence": 0.9,
        "grounding": "exact",
        "extractor": "rules",
        "speaker_id": "spk_0cdc233e746c0b8d4ea4",
        "index": 0,
        **_CLAIM_CONTEXT,
    },
    {
        "speaker": {"name": "Opponents", "type": "anonymous", "role": None},
        "cue": "said",
        "content": "the plan would raise property taxes without a public vote",
        "quote_type": "indirect",
        "stance": "asserts",
        "content_span": [258, 315],
        "speaker_span": [243, 252],
        "cue_span": [253, 257],
        "content_segments": None,
        "confidence": 0.7,
        "grounding": "exact",
        "extractor": "rules",
        "speaker_id": "spk_35602bef6bcca32f3d09",
        "index": 1,
        **_CLAIM_CONTEXT,
    },
    {
        "speaker": {"name": "report", "type": "document", "role": "the regional water authority"},
        "cue": "According to",
        "content": "the barrier would protect about 3,000 homes",
        "quote_type": "indirect",
        "stance": "asserts",
        "content_span": [372, 415],
        "speaker_span": [330, 370],
        "cue_span": [317, 329],
        "content_segments": None,
        "confidence": 0.7,
        "grounding": "exact",
        "extractor": "rules",
        "speaker_id": "spk_f2dc937fba8b13822c71",
        "index": 2,
        **_CLAIM_CONTEXT,
    },
]
# GET /articles/{id}/claims?format=csv of CLAIMS, as whosaid.exports writes it (tests/api/test_openapi.py checks).
CLAIMS_CSV = (
    "article_id,speaker_id,index,speaker,speaker_type,speaker_role,cue,stance,quote_type,content,content_start,"
    "content_end,speaker_start,speaker_end,cue_start,cue_end,segments,grounding,confidence,extractor\r\n"
    "0c9a5f42dddd37815105,spk_0cdc233e746c0b8d4ea4,0,Elena Marsh,person,Mayor,said,asserts,direct,"
    '"“We cannot keep rebuilding the same streets every spring,”",145,203,204,221,222,226,,exact,0.9,rules\r\n'
    "0c9a5f42dddd37815105,spk_35602bef6bcca32f3d09,1,Opponents,anonymous,,said,asserts,indirect,"
    "the plan would raise property taxes without a public vote,258,315,243,252,253,257,,exact,0.7,rules\r\n"
    "0c9a5f42dddd37815105,spk_f2dc937fba8b13822c71,2,report,document,the regional water authority,According to,"
    'asserts,indirect,"the barrier would protect about 3,000 homes",372,415,330,370,317,329,,exact,0.7,rules\r\n'
)
# An opaque token as the API returns them (base64url JSON and a signature); only the API can make a valid one.
NEXT_TOKEN = (
    "eyJrIjp7InBrIjoiQVJUSUNMRSMwYzlhNWY0MmRkZGQzNzgxNTEwNSIsInNrIjoiQ0xBSU0jMDAwMDAxIn0sInAiOiJBUlRJQ0xFIzBj"
    "OWE1ZjQyZGRkZDM3ODE1MTA1In0.VsGO8DfqFppau5qk4oms3A"
)
STATUS_URL = f"/Prod/articles/{ARTICLE_ID}"  # under the stage the request came in on


def _example(summary: str, value: Any) -> dict[str, Any]:
    return {"summary": summary, "value": value}


RESULT = _example("The article and its claims, in text order", {"article": ARTICLE_RECORD, "claims": CLAIMS})
ACCEPTED = _example(
    "Queued: GET status_url (also the Location header) until status is complete or failed",
    {
        "article": {
            **_METADATA,
            "status": "pending",
            "error": None,
            "text": None,
            "claim_count": 0,
            "speakers": [],
            "usage": None,
            "updated_at": _METADATA["created_at"],
            "completed_at": None,
        },
        "status_url": STATUS_URL,
    },
)
ARTICLE = _example("A complete article", {"article": ARTICLE_RECORD})
ARTICLE_PAGE = _example(
    "The last page of articles (lists leave out the text)",
    {"articles": [{**ARTICLE_RECORD, "text": None}], "next_token": None},
)
CLAIM_PAGE = _example("A page of claims, with the token of the next", {"claims": CLAIMS[:2], "next_token": NEXT_TOKEN})
SPEAKER_CLAIM_PAGE = _example("Elena Marsh's claims, newest first", {"claims": CLAIMS[:1], "next_token": None})
SPEAKER_PAGE = _example(
    "A page of the speaker directory",
    {
        "speakers": [
            {
                "speaker_id": "spk_0cdc233e746c0b8d4ea4",
                "name": "Elena Marsh",
                "type": "person",
                "article_scoped": False,
                "roles": ["Mayor"],
                "claim_count": 1,
                "article_count": 1,
                "latest_article": {"article_id": ARTICLE_ID, "title": TITLE, "date": PUBLISHED_AT},
            }
        ],
        "next_token": None,
    },
)

UPLOAD_PAGE = _example(
    "Processed uploads, newest first: one refused, one ingested",
    {
        "uploads": [
            {
                "upload_id": "upl_9b1de2c4a07f35e6d812",
                "bucket": "whosaid-dev-123456789012-eu-west-1",
                "key": "incoming/report.pdf",
                "etag": "0f343b0931126a20f133d67c2b018a3b",
                "version_id": "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrH",
                "size": 18204,
                "status": "failed",
                "article_id": None,
                "error": {
                    "code": "invalid_input",
                    "message": "unsupported file type '.pdf' for 'incoming/report.pdf': upload .htm, "
                    ".html, .json, .txt",
                },
                "created_at": "2026-12-01T15:04:05.123456Z",
                "updated_at": "2026-12-01T15:04:05.123456Z",
            },
            {
                "upload_id": "upl_51c0f7a9e2d84b3a6c10",
                "bucket": "whosaid-dev-123456789012-eu-west-1",
                "key": "incoming/cairo-talks.txt",
                "etag": "7d8f1b2e4c6a09d3f5e7b1a2c4d6e8f0",
                "version_id": "Kd2l.8mUvQq3sG7oZ1yXbH4cN6tR0wEa",
                "size": 2113,
                "status": "complete",
                "article_id": "5a2ec754b9dc076ed993",
                "error": None,
                "created_at": "2026-12-01T15:02:41.000317Z",
                "updated_at": "2026-12-01T15:02:41.000317Z",
            },
        ],
        "next_token": None,
    },
)

# code -> a message the API really gives with that code.
ERROR_MESSAGES: dict[str, str] = {
    "invalid_json": (
        "request body is not valid JSON (Expecting ',' delimiter): send an object like "
        '{"text": "...", "title": "..."}'
    ),
    "invalid_next_token": ("next_token is invalid: pass the next_token of the previous page unchanged, or omit it"),
    "invalid_input": ("speaker must not be blank: give a name as displayed, e.g. Hazem%20Qassem, or a speaker_id"),
    "not_found": "no article with id '0123456789abcdef0123'",
    "article_not_complete": (
        f"article {ARTICLE_ID} is pending; its claims are available once GET /articles/{ARTICLE_ID} shows status "
        "complete"
    ),
    "article_processing": (
        f"article {ARTICLE_ID} is being processed; delete it once GET /articles/{ARTICLE_ID} shows status complete "
        "or failed"
    ),
    "payload_too_large": (
        "request body is 2,097,164 bytes; the limit is 2,097,152 bytes (an article's text may have at most "
        "100,000 characters)"
    ),
    "unsupported_media_type": "send the article as JSON with Content-Type: application/json",
    "validation_error": (
        "language: string should match pattern '^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$' (expected: BCP 47 language "
        "tag, e.g. 'en' or 'en-GB')"
    ),
    "internal_error": "internal error; try again later",
    "configuration_error": "WHOSAID_QUEUE_URL is not set, so articles cannot be extracted asynchronously",
    "extraction_failed": "extraction failed unexpectedly; try again later",
    "llm_bad_output": "The model's answer was blocked by the endpoint's content filter.",
    "llm_unavailable": "The LLM endpoint kept rate-limiting requests (HTTP 429).",
    "storage_unavailable": (
        "storage is unavailable: reading the article failed (ProvisionedThroughputExceededException); try again later"
    ),
    "llm_timeout": "The LLM endpoint did not finish its answer in time.",
}
# code -> (status, message): the status is the one the API answers with (api/errors.py's table), never restated here.
ERRORS: dict[str, tuple[int, str]] = {code: (http_status(code), message) for code, message in ERROR_MESSAGES.items()}


def error_examples(status: int, codes: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """The named examples of one documented status: each of `codes` with that status."""
    return {
        code: _example(code, {"error": {"code": code, "message": message}})
        for code in codes
        for code_status, message in [ERRORS[code]]
        if code_status == status
    }
