"""Configuration defaults. Order: these defaults → SPOTCHECK_* environment → create_app(config)."""

from __future__ import annotations

import datetime as dt
import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Defaults:
    # The embedded defaults: SQLite in instance/, local evidence folder, jobs in process.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SQLALCHEMY_TRACK_MODIFICATIONS = False

    # Console sessions: 30-minute idle timeout, cookies not readable from scripts.
    PERMANENT_SESSION_LIFETIME = dt.timedelta(minutes=30)
    IDLE_TIMEOUT_MINUTES = 30
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_NAME = "spotcheck_session"
    LOGIN_MAX_FAILURES = 5
    LOGIN_LOCK_MINUTES = 15
    # Rate limits (Flask-Limiter) per client address, on top of the per-account lockout: sign-in
    # (console and phone), the public credential check and the public JSON API. Counted in Redis
    # when REDIS_URL is set (shared by every gunicorn worker), else in each process's memory.
    REDIS_URL = None
    # How many proxies (nginx) stand in front: their X-Forwarded-For/-Proto/-Host are then
    # trusted (werkzeug ProxyFix), so limits and logs see the phone's address, not nginx's.
    PROXY_COUNT = 0
    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = "20 per minute;200 per hour"
    CREDENTIAL_CHECK_RATE_LIMIT = "60 per minute"
    PUBLIC_API_RATE_LIMIT = "300 per minute"
    WTF_CSRF_TIME_LIMIT = None  # the session's own lifetime bounds the token

    # Chinese first, English available; times shown in the bureau's zone.
    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh", "en")

    # flask-smorest: the OpenAPI document is the contract of the JSON API.
    API_TITLE = "SpotCheck API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"

    # Imports: the bureau lives in Excel, but a spreadsheet is a zip and zips can be bombs.
    MAX_CONTENT_LENGTH = 25 * 1024 * 1024
    IMPORT_MAX_BYTES = 20 * 1024 * 1024
    IMPORT_MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
    IMPORT_MAX_COMPRESSION_RATIO = 200
    IMPORT_MAX_ROWS = 200_000

    DEMO_PASSWORD = "spotcheck-demo"  # noqa: S105 - documented demo password, overridable
    BUREAU_NAME = "威海经济技术开发区商务局"
    BUREAU_SHORT_NAME = "威经区商务"
    # Shown on the phone's e-credential and the public credential check: whom a business calls
    # to confirm an inspection. Demo values: set the real ones (SPOTCHECK_BUREAU_CONTACT_PHONE…).
    BUREAU_CONTACT_PHONE = "0631-0000000"
    BUREAU_ADDRESS = "山东省威海市经济技术开发区"
    # The address people reach this server at (behind a proxy, e.g. https://spotcheck.example.cn);
    # QR codes of e-credentials point there. None: built from each request's own host.
    PUBLIC_BASE_URL = None
    # The field app's Vite build, served at /app/ (server/fieldapp).
    PWA_DIST = str(PROJECT_ROOT / "pwa" / "dist")
    # Credential photos (server/credentials/photos.py): JPEG/PNG only; shown at most this size.
    CREDENTIAL_PHOTO_MAX_BYTES = 5 * 1024 * 1024
    CREDENTIAL_PHOTO_PX = 600
    PAGE_SIZE = 50
    # Objections (server/objections): up to this many attachments (JPEG/PNG/PDF, sniffed) of at
    # most this size each; the public pages' limits as {scope: [count, window seconds]}.
    OBJECTION_MAX_ATTACHMENTS = 3
    OBJECTION_ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
    OBJECTION_RATE_LIMITS = {
        "file_ip": [5, 3600],
        "file_uscc": [3, 86400],
        "status_ip": [30, 3600],
    }

    # Draws with a public beacon (DSR-v1 §1.4): by default the announced round is the first one
    # at least this many minutes away, so the announcement is public before the value exists.
    BEACON_DELAY_MINUTES = 10
    DRAND_URL = "https://api.drand.sh"  # drand HTTP relay: /<chain hash>/public/<round>
    # The local, predictable "demo-beacon" (server/draws/beacon.py): never on in production.
    DEMO_BEACON = False

    # Background jobs (server/jobs): on RQ workers over Redis when REDIS_URL is set
    # (JOBS_BACKEND "auto"; "inline" keeps them in process anyway), else in the web process
    # right after the request. Retries: JOBS_RETRY_BASE_SECONDS × 2^(attempt − 1), then dead
    # after JOBS_MAX_ATTEMPTS; a claim not finished within JOBS_LEASE_SECONDS is taken again.
    JOBS_BACKEND = "auto"
    JOBS_QUEUE = "spotcheck"
    JOBS_MAX_ATTEMPTS = 5
    JOBS_RETRY_BASE_SECONDS = 30
    JOBS_LEASE_SECONDS = 600
    JOBS_TIMEOUT_SECONDS = 300

    # Evidence (sync v1 "Uploads"). STORAGE is "local" (a folder, default <instance>/evidence)
    # or "s3". The S3 secrets come only from the environment (SPOTCHECK_S3_ACCESS_KEY_ID,
    # SPOTCHECK_S3_SECRET_ACCESS_KEY); nothing secret has a default here.
    STORAGE = "local"
    STORAGE_LOCAL_ROOT = None
    S3_ENDPOINT_URL = None
    S3_BUCKET = None
    S3_REGION = None
    S3_ACCESS_KEY_ID = None
    S3_SECRET_ACCESS_KEY = None
    # Per-kind limits and accepted types (sniffed from the bytes); JSON in the environment,
    # e.g. SPOTCHECK_UPLOAD_MAX_BYTES='{"photo": 31457280, ...}'. Tus-Max-Size is the largest.
    UPLOAD_MAX_BYTES = {
        "photo": 30 * 1024 * 1024,
        "audio": 200 * 1024 * 1024,
        "video": 1024 * 1024 * 1024,
        "document": 50 * 1024 * 1024,
    }
    UPLOAD_ALLOWED_TYPES = {
        "photo": ["image/jpeg", "image/png", "image/heic", "image/heif"],
        "audio": ["audio/webm", "audio/ogg", "audio/mp4"],
        "video": ["video/webm", "video/mp4", "video/quicktime"],
        "document": ["application/pdf"],
    }
    UPLOAD_MAX_PIXELS = 64_000_000  # Pillow's decompression-bomb guard (Image.MAX_IMAGE_PIXELS)
    UPLOAD_THUMB_PX = 320
    UPLOAD_PREVIEW_PX = 1600
    UPLOAD_EXPIRE_HOURS = 168  # an unfinished upload untouched for a week is discarded
    # Sync v1 pull: change-log rows older than this many days are compacted (`flask --app server
    # sync compact`, daily); a phone whose cursor is older gets `reset: true` and pulls again.
    SYNC_CHANGE_RETENTION = 90
    # Documents attached to a transfer (移交/移送): PDF, JPEG or PNG, sniffed, at most this size.
    TRANSFER_DOCUMENT_MAX_BYTES = 20 * 1024 * 1024
    UPLOAD_PARTIAL_DIR = None  # default <instance>/uploads: partial files survive restarts

    # Publication of results (server/publication): every publication is pushed by each of these
    # publishers through an outbox (one job each, retried with exponential backoff, dead after
    # PUBLISH_MAX_ATTEMPTS). "file" writes the national-system export (JSON + .xlsx) into
    # PUBLICATION_DIR (default <instance>/publications); "http" POSTs the JSON to
    # PUBLISH_HTTP_URL. JSON in the environment: SPOTCHECK_PUBLISHERS='["file", "http"]'.
    PUBLISHERS = ["file"]
    PUBLICATION_DIR = None
    PUBLISH_HTTP_URL = None
    PUBLISH_HTTP_TIMEOUT = 10  # seconds
    PUBLISH_MAX_ATTEMPTS = 6
    PUBLISH_RETRY_BASE_SECONDS = 60  # 1, 2, 4, 8 … minutes between attempts


def database_url(instance_path: Path) -> str:
    """DATABASE_URL wins (the usual name in deployments), then SPOTCHECK_DATABASE_URL, SQLite."""
    url = os.environ.get("DATABASE_URL") or os.environ.get("SPOTCHECK_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{instance_path / 'spotcheck.db'}"


def secret_key(instance_path: Path) -> str:
    """SPOTCHECK_SECRET_KEY from the environment; for the embedded default, a key kept in instance/.

    The generated key never leaves the machine and is not in the repository; production
    deployments set the environment variable (see README, Configuration).
    """
    env = os.environ.get("SPOTCHECK_SECRET_KEY")
    if env:
        return env
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key
