"""Test settings: the production settings module with throw-away keys and a private data dir.

Everything else (DATABASE_URL, REDIS_URL) comes from the environment, so `.ci/run` tests against
PostgreSQL and Redis while a plain `pytest` uses SQLite and the in-memory layer."""

import base64
import os
import tempfile

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii")


_data_dir = tempfile.mkdtemp(prefix="referral-hub-tests-")
os.environ["DEBUG"] = "0"
os.environ.setdefault("SECRET_KEY", _b64(os.urandom(48)))
os.environ.setdefault("DATA_DIR", _data_dir)
os.environ.setdefault("VAULT_KEYS", f"test1:{_b64(os.urandom(32))}")
os.environ.setdefault("VAULT_INDEX_KEY", _b64(os.urandom(32)))
os.environ.setdefault(
    "AUDIT_SIGNING_KEY",
    _b64(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
    ),
)
# The demo defaults of strong sign-in: tests that need them on override the settings.
os.environ.setdefault("MFA_REQUIRED_ROLES", "")
os.environ.setdefault("STEP_UP_PURPOSES", "")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")

from referral_hub.settings import *  # noqa: E402,F403

# The test client speaks plain HTTP; everything else stays as in production.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False

os.makedirs(STATIC_ROOT, exist_ok=True)  # noqa: F405  (WhiteNoise warns when it is missing)

# pytest-xdist (scripts/test.sh) runs the suite in several processes against one Redis. Redis
# pub/sub channels are server-wide (a db index does not separate them) and every worker's test
# database numbers users from 1, so each worker gets its own channel-layer prefix: a worker's
# sockets never see the events another worker sends to "its" user 1.
_XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if _XDIST_WORKER and "CONFIG" in CHANNEL_LAYERS["default"]:  # noqa: F405
    CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = f"asgi-{_XDIST_WORKER}"  # noqa: F405
