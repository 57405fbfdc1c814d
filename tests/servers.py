"""Running Referral Hub the way it is deployed, for tests that need a real ASGI server: the
production settings module with throw-away keys, prepared with the ordinary management
commands, served by uvicorn (one process or several workers)."""

from __future__ import annotations

import base64
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

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
            **settings,
        }
    )
    return env


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
