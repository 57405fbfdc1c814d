"""A uvicorn worker killed with SIGKILL in the middle of an upload leaves nothing readable
(issue 14, input 5): no plaintext of the file in the temp directory or the attachment storage,
neither while the upload is spooling nor after the crash; and after ``vault_gc`` (grace 0) no
ciphertext object that no row references.

Runs the production settings on PostgreSQL under real uvicorn (tests/servers.py)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.servers import (
    ROOT,
    Api,
    drop_database,
    free_port,
    manage,
    recreate_database,
    resident_with_consent,
    send_sheet,
    server_env,
    unique_kana,
    wait_until_up,
)

PASSWORD = "crash-pass-2026"
MARKER = b"RH-PLAINTEXT-MARKER-0123456789"
FILE_SIZE = 20 * 1024 * 1024 - 4096
BOUNDARY = "----crash-test-boundary"


def _payload() -> bytes:
    body = b"%PDF-1.7\n" + MARKER * (FILE_SIZE // len(MARKER))
    return body[:FILE_SIZE]


@pytest.fixture
def deployment() -> Iterator[dict[str, Any]]:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        pytest.skip("needs PostgreSQL (DATABASE_URL)")
    own = url.rsplit("/", 1)[0] + f"/rh_crash_{uuid.uuid4().hex[:8]}"
    recreate_database(own)
    data_dir = Path(tempfile.mkdtemp(prefix="referral-hub-crash-"))
    (data_dir / "tmp").mkdir()
    env = server_env(data_dir, DATABASE_URL=own, TMPDIR=str(data_dir / "tmp"))
    manage(env, "migrate", "--noinput")
    manage(env, "seed_demo", "--force", "--password", PASSWORD)
    try:
        yield {"env": env, "dir": data_dir, "url": own}
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
        drop_database(own)


class Worker:
    """One uvicorn process (no supervisor: the process *is* the worker) that a test may kill."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.log = log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "referral_hub.asgi:application",
             "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_until_up(self.base, self.process)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.log.close()

    def open_files(self) -> list[Path]:
        """The regular files the worker has open (deleted ones included)."""
        found = []
        for fd in Path(f"/proc/{self.process.pid}/fd").iterdir():
            try:
                if fd.is_file():
                    found.append(fd)
            except OSError:
                continue
        return found


def _start_upload(port: int, token: str, sheet_id: int, body: bytes, sent: int) -> socket.socket:
    """Send the request head and the first ``sent`` bytes of the file, leave the rest unsent."""
    head = (
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="file"; filename="scan.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    request = (
        f"POST /api/v1/sheets/{sheet_id}/attachments/ HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\n"
        f"Authorization: Token {token}\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
        f"Content-Length: {len(head) + len(body) + len(tail)}\r\n\r\n"
    ).encode()
    conn = socket.create_connection(("127.0.0.1", port), timeout=30)
    conn.sendall(request + head + body[:sent])
    if sent >= len(body):
        conn.sendall(tail)
    return conn


def _files_holding(root: Path, marker: bytes) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and marker in p.read_bytes()]


def _wait(condition: Any, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.005)
    raise AssertionError(f"timed out waiting for {what}")


def _referenced(url: str) -> set[str]:
    import psycopg

    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT storage_name FROM handoffs_attachment"
            " UNION SELECT storage_name FROM consent_consentevidence"
        ).fetchall()
    return {row[0] for row in rows}


def test_killed_worker_leaves_no_plaintext_and_gc_leaves_no_orphan(deployment):
    env, data_dir = deployment["env"], deployment["dir"]
    tmp_dir, storage_dir = data_dir / "tmp", data_dir / "attachments"
    body = _payload()

    worker = Worker(env, data_dir / "server.log")
    try:
        clerk = Api(worker.base, "tax_clerk", PASSWORD)
        known = resident_with_consent(
            clerk,
            unique_kana("クラッシュ"),
            desks=["jiritsu"],
            categories=["identity", "concern", "attachments"],
        )
        sheet_id = send_sheet(clerk, known["resident"]["id"], known["consent"]["id"])["id"]

        # 1. Mid-spool: 15 MiB of the file have reached the worker when it dies.
        spooled = 15 * 1024 * 1024
        conn = _start_upload(worker.port, clerk.token, sheet_id, body, spooled)

        def spool_grown() -> bool:
            return any(f.stat().st_size >= spooled - 1024 * 1024 for f in worker.open_files())

        _wait(spool_grown, "the worker to spool the upload")
        # While the upload is in flight, no file the worker holds open contains plaintext
        # (this sees unlinked temporary files too).
        assert [f for f in worker.open_files() if MARKER in f.read_bytes()] == []
        worker.kill()
        conn.close()
        assert _files_holding(tmp_dir, MARKER) == []
        if storage_dir.exists():
            assert _files_holding(storage_dir, MARKER) == []
    finally:
        worker.kill()

    # 2. Mid-store: the whole file is sent; the worker dies as soon as ciphertext appears.
    worker = Worker(env, data_dir / "server.log")
    try:
        before = set(storage_dir.rglob("*.enc")) if storage_dir.exists() else set()
        conn = _start_upload(worker.port, clerk.token, sheet_id, body, len(body))
        _wait(
            lambda: storage_dir.exists() and set(storage_dir.rglob("*.enc")) - before,
            "ciphertext in the storage",
        )
        worker.kill()
        conn.close()
    finally:
        worker.kill()
    assert _files_holding(tmp_dir, MARKER) == []
    assert _files_holding(storage_dir, MARKER) == []

    def stored() -> set[str]:
        return {str(p.relative_to(storage_dir)) for p in storage_dir.rglob("*") if p.is_file()}

    orphans = stored() - _referenced(deployment["url"])
    assert orphans, "the worker died between storing and recording: its object is an orphan"
    manage(env, "vault_gc")  # default grace (24 h): a fresh orphan may be an upload in flight
    assert orphans <= stored()
    manage(env, "vault_gc", "--grace-hours", "0")
    assert stored() <= _referenced(deployment["url"])
    assert not orphans & stored()
