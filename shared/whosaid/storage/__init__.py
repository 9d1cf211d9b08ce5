"""Storage: articles, claims, the speaker directory and processed uploads in one DynamoDB table, large bodies in
S3, async work on SQS."""

from whosaid.storage.articles import ArticleBusy, ArticleStateConflict, ArticleStore, Held
from whosaid.storage.directory import search_words
from whosaid.storage.keys import article_id_for_text, is_article_id, is_speaker_id, speaker_key
from whosaid.storage.pagination import TokenCodec, codec_secret
from whosaid.storage.queue import EXTRACT_ARTICLE, ExtractArticleMessage, WorkQueue
from whosaid.storage.records import (
    ArticleError,
    ArticleRecord,
    ArticleReference,
    ArticleStatus,
    ClaimRecord,
    Page,
    SpeakerEntry,
    UploadRecord,
    UploadStatus,
)
from whosaid.storage.uploads import UPLOAD_STATUSES, UploadStore

__all__ = [
    "EXTRACT_ARTICLE",
    "UPLOAD_STATUSES",
    "ArticleBusy",
    "ArticleError",
    "ArticleRecord",
    "ArticleReference",
    "ArticleStateConflict",
    "ArticleStatus",
    "ArticleStore",
    "ClaimRecord",
    "ExtractArticleMessage",
    "Held",
    "Page",
    "SpeakerEntry",
    "TokenCodec",
    "UploadRecord",
    "UploadStatus",
    "UploadStore",
    "WorkQueue",
    "article_id_for_text",
    "codec_secret",
    "is_article_id",
    "is_speaker_id",
    "search_words",
    "speaker_key",
]
