"""Running Referral Hub the way it is deployed, for tests that need a real ASGI server: the
production settings module with throw-away keys, prepared with the ordinary management
commands, served by uvicorn (one process or several workers); and a small API client to
prepare data on such a server."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii")


def server_env(data_dir: Path, **settings: str) -> dict[str, str]:
    """Production settings (DEBUG off) with fresh keys; SQLite in ``data_dir`` and the in-memory
    channel layer unless ``settings`` gives ``DATABASE_URL`` / ``REDIS_URL``."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    signing_key = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "referral_hub.settings",
            "DEBUG": "0",
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_HSTS_SECONDS": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECRET_KEY": b64(os.urandom(48)),
            "DATA_DIR": str(data_dir),
            "DATABASE_URL": f"sqlite:///{data_dir / 'db.sqlite3'}",
            "VAULT_KEYS": f"e2e1:{b64(os.urandom(32))}",
            "VAULT_ACTIVE_KEY": "e2e1",
            "VAULT_INDEX_KEY": b64(os.urandom(32)),
            "AUDIT_SIGNING_KEY": b64(signing_key),
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
            # The demo's sign-in defaults (issue 21); a test that needs them on passes them.
            "MFA_REQUIRED_ROLES": "",
            "STEP_UP_PURPOSES": "",
            **settings,
        }
    )
    return env


def _admin_connection(url: str) -> Any:
    """Autocommit connection to the ``postgres`` database of the server ``url`` points at."""
    import psycopg

    return psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True)


def recreate_database(url: str) -> None:
    """An empty PostgreSQL database under the name ``url`` ends with (dropped first if there)."""
    name = url.rsplit("/", 1)[1]
    with _admin_connection(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(url: str) -> None:
    with _admin_connection(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


@contextlib.contextmanager
def uvicorn(env: dict[str, str], log_path: Path, *, workers: int = 1) -> Iterator[int]:
    """Serve ``referral_hub.asgi`` on a free port until the block ends; yields the port."""
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", "referral_hub.asgi:application",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
    ]  # fmt: skip
    if workers > 1:
        command += ["--workers", str(workers)]
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # the workers go down with their supervisor
        )
        try:
            wait_until_up(f"http://127.0.0.1:{port}", server)
            yield port
        finally:
            stop_session(server)


def stop_session(server: subprocess.Popen, timeout: float = 10) -> None:
    """Stop a server started with ``start_new_session=True`` and every process of its session
    (uvicorn's workers): SIGTERM, then SIGKILL if a graceful shutdown does not end in time."""
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=timeout)
    except subprocess.TimeoutExpired:  # open sockets keep a graceful shutdown waiting
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=timeout)


def wait_until_up(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the test server exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2):  # noqa: S310 - local URL
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the test server did not start within 30 s")


# --- preparing data through the API of a running server ------------------------------------


class Api:
    """A tiny JSON client for the API v1 (token auth), to prepare data a test is not about."""

    def __init__(self, base_url: str, username: str, password: str) -> None:
        self.base_url = base_url
        self.token = ""
        self.token = self.post("/api/v1/auth/token/", {"username": username, "password": password})[
            "token"
        ]

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(  # noqa: S310 - the local test server
            self.base_url + path, data=data, method=method
        )
        request.add_header("Content-Type", "application/json")
        request.add_header("Host", self.base_url.split("//", 1)[1])
        if self.token:
            request.add_header("Authorization", f"Token {self.token}")
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return json.loads(response.read() or b"null")

    def get(self, path: str) -> Any:
        return self._call("GET", path)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self._call("POST", path, body)

    def desk_id(self, code: str) -> int:
        return next(d["id"] for d in self.get("/api/v1/desks/") if d["code"] == code)


def resident_with_consent(
    api: Api, kana: str, *, desks: list[str], categories: list[str], birth: str = "1975-03-03"
) -> dict[str, Any]:
    """A returning resident: registered, with an active verbal consent."""
    import datetime

    resident = api.post(
        "/api/v1/residents/",
        {
            "family_name": "再来",
            "given_name": "一郎",
            "family_name_kana": kana,
            "given_name_kana": "イチロウ",
            "birth_date": birth,
        },
    )
    consent = api.post(
        "/api/v1/consents/",
        {
            "resident": resident["id"],
            "recipients": [api.desk_id(code) for code in desks],
            "categories": categories,
            "purpose": "生活の困りごとについて相談するため",
            "method": "verbal_witnessed",
            "witness": "国保 花子",
            "valid_until": (datetime.date.today() + datetime.timedelta(days=180)).isoformat(),
        },
    )
    return {"resident": resident, "consent": consent, "kana": kana, "birth": birth}


def send_sheet(api: Api, resident_id: int, consent_id: int, *, urgency: str = "normal") -> Any:
    return api.post(
        "/api/v1/sheets/",
        {
            "resident": resident_id,
            "to_desk": "jiritsu",
            "concerns": ["debt"],
            "resident_words": "相談したい",
            "urgency": urgency,
            "legal_basis": "consent",
            "consent": consent_id,
            "handoff_method": "sheet_only",
        },
    )


def unique_kana(prefix: str = "テスト") -> str:
    """Katakana from a random number: reruns never match residents of an earlier test."""
    digits = "アイウエオカキクケコ"
    return prefix + "".join(digits[int(c, 16) % 10] for c in uuid.uuid4().hex[:6])
