"""Settings for Referral Hub. Every value comes from the environment (see README's table)."""

from __future__ import annotations

from pathlib import Path

import dj_database_url

from referral_hub.environment import (
    BASE_DIR,
    ConfigurationError,
    env_bool,
    env_float,
    env_int,
    env_list,
    env_str,
    load_demo_secrets,
)

DEBUG = env_bool("DEBUG", False)
DATA_DIR = Path(env_str("DATA_DIR", str(BASE_DIR / ".data")))
if DEBUG:
    load_demo_secrets(DATA_DIR / "demo-secrets.env")

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ConfigurationError("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "insecure-demo-only-key-never-used-when-debug-is-off"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "channels",
    "referral_hub.vault",
    "referral_hub.audit",
    "referral_hub.directory",
    "referral_hub.consent",
    "referral_hub.meetings",
    "referral_hub.handoffs",
    "referral_hub.inbox",
    "referral_hub.reports",
    "referral_hub.rights",
    "referral_hub.idempotency",
    "referral_hub.signin",
    "frontend",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "referral_hub.security_headers.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "referral_hub.language.JapaneseFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Idle timeout, the second factor a session still owes, enrolment-only users (issue 21).
    "referral_hub.signin.middleware.SignInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Refuses a NUL in the query string before any view or audit write (issue 15).
    "referral_hub.api_input.QueryStringGuard",
    "referral_hub.audit.middleware.RequestContextMiddleware",
    "referral_hub.error_views.DomainNotFoundMiddleware",
]

ROOT_URLCONF = "referral_hub.urls"
ASGI_APPLICATION = "referral_hub.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'db.sqlite3'}")
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0))
}
# PostgreSQL: a connection pool per worker process (psycopg_pool). Under ASGI every request runs
# in a thread of its own, so persistent connections (DB_CONN_MAX_AGE) pile up per thread until
# PostgreSQL refuses new clients, and opening a connection per request costs a backend start
# each time. The pool keeps up to DB_POOL_MAX_SIZE connections per process; 0 turns it off.
DB_POOL_MAX_SIZE = env_int("DB_POOL_MAX_SIZE", 10)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and DB_POOL_MAX_SIZE > 0:
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool owns connection lifetimes
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": min(2, DB_POOL_MAX_SIZE),
        "max_size": DB_POOL_MAX_SIZE,
        "timeout": env_int("DB_POOL_TIMEOUT", 10),  # seconds a request waits for a connection
    }
    # Server-side binding (issue 22), so psycopg prepares a statement on its second use on a
    # pooled connection and PostgreSQL stops parsing and planning it on every send: half the
    # backend's CPU per send in bench/sheets_send_latency.py (docs/operations/realtime.md).
    # Only with this pool: behind PgBouncer (DB_POOL_MAX_SIZE=0) statements do not follow the
    # client. DB_PREPARED_STATEMENTS=0 turns it off.
    if env_bool("DB_PREPARED_STATEMENTS", True):
        DATABASES["default"]["OPTIONS"].update(
            {"server_side_binding": True, "prepare_threshold": 2}
        )
# Test a connection before it is reused: after a database restart the pooled (or persistent)
# connections are dead, and without the check each one would fail a request instead of being
# replaced. With the pool, Django hands this to psycopg_pool as ConnectionPool.check_connection:
# one empty query per checkout, 0.1 ms (docs/operations/realtime.md, "Database connections").
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # An unreachable server answers 503 database_unavailable in seconds, not after TCP's minutes.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env_int("DB_CONNECT_TIMEOUT", 5)
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite serialises writers; wait instead of failing when the sweep and a request overlap.
    # IMMEDIATE takes the write lock when a transaction starts, so two concurrent actions on one
    # sheet serialise instead of both reading the old status.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    )
# Read replica (docs/operations/replica.md): report and audit-search reads only, inside
# referral_hub.replica.replica_reads(); everything else stays on the primary. The router is always
# installed and does nothing while REPLICA_DATABASE_URL is unset.
REPLICA_DATABASE_URL = env_str("REPLICA_DATABASE_URL")
if REPLICA_DATABASE_URL:
    DATABASES["replica"] = dj_database_url.parse(
        REPLICA_DATABASE_URL, conn_max_age=DATABASES["default"]["CONN_MAX_AGE"]
    )
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["replica"]["OPTIONS"] = dict(DATABASES["default"].get("OPTIONS", {}))
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}  # tests without their own replica
DATABASE_ROUTERS = ["referral_hub.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Channel layer ----------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
# "pubsub" (default): a group message is one PUBLISH, pushed to the workers that hold the
# group's sockets. "core": channels-redis' list-based layer, which keeps messages for 30 s but
# receives them one blocking pop at a time per worker and fell behind (and silently dropped
# messages over capacity) in the 20 sheets/s benchmark; see docs/operations/realtime.md.
CHANNEL_LAYER = env_str("CHANNEL_LAYER", "pubsub")
if CHANNEL_LAYER not in ("pubsub", "core"):
    raise ConfigurationError("CHANNEL_LAYER must be pubsub or core")
if REDIS_URL and CHANNEL_LAYER == "pubsub":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
elif REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "capacity": 1500, "expiry": 30},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Authentication -------------------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
API_TOKEN_TTL_HOURS = env_int("API_TOKEN_TTL_HOURS", 12)
LOGIN_MAX_FAILURES = env_int("LOGIN_MAX_FAILURES", 5)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15)
# Strong sign-in (docs/operations/sign-in.md). Roles that reach only enrolment until they have
# a second factor; the demo (DEBUG) lists none so the quick start shows every screen.
MFA_REQUIRED_ROLES = env_list("MFA_REQUIRED_ROLES", "" if DEBUG else "privacy_officer,admin,lead")
# Disclosures that need a second factor used in the last STEP_UP_MINUTES (signin/step_up.py).
STEP_UP_PURPOSES = env_list(
    "STEP_UP_PURPOSES",
    ""
    if DEBUG
    else "sensitive_read,attachment_download,disclosure_export,vital_interest_send,"
    "support_meeting_send",
)
STEP_UP_MINUTES = env_int("STEP_UP_MINUTES", 15)
# A session without a request for this long ends (counter PCs are shared). Minutes, a
# fraction allowed (``0.25`` = 15 seconds, for tests); must be above zero.
SESSION_IDLE_MINUTES = env_float("SESSION_IDLE_MINUTES", 30.0, positive=True)
# WebAuthn relying party: empty means the host the browser used (ALLOWED_HOSTS checks it).
WEBAUTHN_RP_ID = env_str("WEBAUTHN_RP_ID")

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "referral_hub.error_views.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    # "__Host-": the browser only keeps these cookies if they are Secure, path "/" and bound to
    # this exact host (no Domain), so a sibling host under the same domain cannot set them.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

# --- The proxy in front (docs/operations/in-front.md) -------------------------------------------
# One switch: with a reverse proxy in front that sets X-Forwarded-For (appending the address it
# saw) and X-Forwarded-Proto, trust both; without one, trust neither, so a client cannot forge
# its audited address or pretend to be on HTTPS. uvicorn must then run with --no-proxy-headers,
# so it does not rewrite the client address itself before the application sees it.
TRUST_X_FORWARDED_FOR = env_bool("TRUST_X_FORWARDED_FOR", False)
if TRUST_X_FORWARDED_FOR:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Request bodies larger than this (bytes) are refused with 413 before they are read; upload
# routes allow ATTACHMENT_MAX_BYTES per file instead (referral_hub/http_handler.py).
REQUEST_MAX_BYTES = env_int("REQUEST_MAX_BYTES", 1024 * 1024)

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", "日本語"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "staticfiles"
ATTACHMENT_STORAGE_BACKEND = env_str(
    "ATTACHMENT_STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage"
)
if ATTACHMENT_STORAGE_BACKEND == "storages.backends.s3.S3Storage":
    from referral_hub.vault.s3 import s3_storage_options  # ATTACHMENT_S3_* (README)

    _attachment_options = s3_storage_options(env_str)
elif ATTACHMENT_STORAGE_BACKEND == "django.core.files.storage.FileSystemStorage":
    _attachment_options = {"location": env_str("ATTACHMENT_DIR", str(DATA_DIR / "attachments"))}
else:
    _attachment_options = {}
STORAGES = {
    # Attachment ciphertext: the filesystem, or S3-compatible object storage through
    # django-storages (docs/operations/storage.md); it only ever sees ciphertext.
    "default": {"BACKEND": ATTACHMENT_STORAGE_BACKEND, "OPTIONS": _attachment_options},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "referral_hub.directory.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "referral_hub.api_errors.json_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "referral_hub.json_parser.StrictJSONParser",
        "referral_hub.multipart_stream.StreamedMultiPartParser",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Referral Hub API",
    "DESCRIPTION": "Consent-gated connect sheets (つなぐシート) between municipal desks.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and Swagger UI need a signed-in user unless API_DOCS_PUBLIC=1 (always open in
    # DEBUG): they map every route and field an attacker could probe.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"]
    if DEBUG or env_bool("API_DOCS_PUBLIC", False)
    else ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "LegalBasisEnum": "referral_hub.consent.categories.Basis",
        "SheetStatusEnum": "referral_hub.handoffs.models.Status",
        "MeetingStatusEnum": "referral_hub.meetings.models.MeetingStatus",
        "RightsRequestKindEnum": "referral_hub.rights.models.Kind",
    },
}

# --- Domain settings ------------------------------------------------------------------------
OFFICE_HOURS = env_str("OFFICE_HOURS", "08:30-17:15")
# The resident's handout and consent receipt (issue 19): a folder of corrected catalogues
# (<lang>.po) that override the shipped ones, and the phone number to withdraw a consent by.
RESIDENT_TEXTS_DIR = env_str("RESIDENT_TEXTS_DIR", "")
CONSENT_WITHDRAWAL_PHONE = env_str("CONSENT_WITHDRAWAL_PHONE", "")
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# Larger uploads are spooled sealed under a per-request key, never in clear (vault/uploads.py).
FILE_UPLOAD_HANDLERS = [
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "referral_hub.vault.uploads.SealedSpoolUploadHandler",
]
RETENTION_YEARS = env_int("RETENTION_YEARS", 5)
# Residents' rights desk (issue 18): days after a decision during which retention still
# waits (legal hold), and the window folding repeated reads into one package row.
RIGHTS_LEGAL_HOLD_DAYS = env_int("RIGHTS_LEGAL_HOLD_DAYS", 365)
RIGHTS_GROUP_MINUTES = env_int("RIGHTS_GROUP_MINUTES", 30)
# No drop (issue 20, docs/operations/escalation.md): first contact due after accept, in working
# days by urgency (0 = the same working day); the escalation ladder's later rungs, in working
# days after the deadline; stalled after this many days without a contact attempt; evidence an
# `unreachable` close needs (attempts, distinct days, span in days).
FIRST_CONTACT_WORKING_DAYS = {
    "urgent": env_int("FIRST_CONTACT_DAYS_URGENT", 0),
    "soon": env_int("FIRST_CONTACT_DAYS_SOON", 1),
    "normal": env_int("FIRST_CONTACT_DAYS_NORMAL", 3),
}
ESCALATE_TO_LEADS_AFTER_WORKING_DAYS = env_int("ESCALATE_TO_LEADS_AFTER_WORKING_DAYS", 1)
ESCALATE_TO_CHIEF_AFTER_WORKING_DAYS = env_int("ESCALATE_TO_CHIEF_AFTER_WORKING_DAYS", 3)
STALLED_AFTER_DAYS = env_int("STALLED_AFTER_DAYS", 30)
UNREACHABLE_MIN_ATTEMPTS = env_int("UNREACHABLE_MIN_ATTEMPTS", 3)
UNREACHABLE_MIN_DAYS = env_int("UNREACHABLE_MIN_DAYS", 2)
UNREACHABLE_MIN_SPAN_DAYS = env_int("UNREACHABLE_MIN_SPAN_DAYS", 14)
# Resident searches per staff member per hour (each may reveal and relate residents).
RESIDENT_SEARCH_PER_HOUR = env_int("RESIDENT_SEARCH_PER_HOUR", 60)
# Days after a support meeting's day during which information shared under it may be used
# (the default of ``access_until``; a lead may set another date when convening).
SUPPORT_MEETING_ACCESS_DAYS = env_int("SUPPORT_MEETING_ACCESS_DAYS", 90)

# Vault: master key ring (KEKs). VAULT_KEYS="id1:base64key,id2:base64key"; VAULT_ACTIVE_KEY
# names the one used for wrapping; VAULT_INDEX_KEY keys the blind indexes (HMAC).
VAULT_KEYS = env_str("VAULT_KEYS")
VAULT_ACTIVE_KEY = env_str("VAULT_ACTIVE_KEY")
VAULT_INDEX_KEY = env_str("VAULT_INDEX_KEY")
VAULT_ENCRYPT_ATTACHMENTS = env_bool("VAULT_ENCRYPT_ATTACHMENTS", True)  # off only for benchmarks
# manage.py vault_gc keeps unreferenced ciphertext younger than this (uploads in flight).
VAULT_GC_GRACE_HOURS = env_int("VAULT_GC_GRACE_HOURS", 24)

# Audit: Ed25519 key (base64 raw 32-byte private key) that signs chain checkpoints, and the
# public keys of signing keys retired by rotation (comma-separated; still trusted to verify).
AUDIT_SIGNING_KEY = env_str("AUDIT_SIGNING_KEY")
AUDIT_RETIRED_PUBLIC_KEYS = env_list("AUDIT_RETIRED_PUBLIC_KEYS")
AUDIT_CHECKPOINT_PATH = Path(
    env_str("AUDIT_CHECKPOINT_PATH", str(DATA_DIR / "audit-checkpoints.jsonl"))
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"strip_query": {"()": "referral_hub.log_redaction.StripQueryStrings"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["strip_query"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Access logs go through the same filter: paths carry ids only, query strings are cut.
        name: {"handlers": ["console"], "level": "INFO", "propagate": False}
        for name in (
            "django.server",
            "django.channels.server",
            "django.request",
            "uvicorn.access",
            "daphne",
        )
    },
}
