"""Shared by the attachment benchmarks: a throw-away deployment served by uvicorn.

``Deployment`` prepares a temporary DATA_DIR with its own SQLite database (or the database
given with ``--database-url``), seeds デモ市, creates a resident, a consent covering
attachments and a sheet, and issues API tokens for the sender (tax_clerk) and the desk
(consult1). ``serve()`` starts ``uvicorn referral_hub.asgi:application`` on 127.0.0.1 with
encryption on or off. ``upload``/``download`` stream a file through the HTTP API with
http.client, never holding it in memory.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
BOUNDARY = "----vault-bench-boundary"
READ_SIZE = 1024 * 1024


def _key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def make_payload(path: Path, size: int) -> None:
    """A PDF of ``size`` bytes whose one image stream holds random bytes (like a scan),
    written in 1 MiB pieces. (Random bytes right behind the header are not PDF syntax: the
    server refuses them, 415 ``active_content``.)"""
    tail = b"\nendstream\nendobj\n%%EOF\n"
    remaining = 0
    for _ in range(3):  # the header holds the data's length, which depends on the header's
        head = b"%%PDF-1.7\n1 0 obj\n<< /Subtype /Image /Filter /DCTDecode /Length %d >>\n"
        head = head % remaining + b"stream\n"
        remaining = size - len(head) - len(tail)
    with path.open("wb") as out:
        out.write(head)
        while remaining > 0:
            piece = min(remaining, READ_SIZE)
            out.write(os.urandom(piece))
            remaining -= piece
        out.write(tail)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def peak_rss_mib(pid: int) -> float:
    """VmHWM: the process's peak resident set size so far."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("VmHWM not found")


@dataclass
class Deployment:
    workdir: Path
    env: dict[str, str]
    sheet_id: int = 0
    sender_token: str = ""
    desk_token: str = ""

    @classmethod
    def create(cls, *, max_bytes: int, database_url: str = "") -> Deployment:
        workdir = Path(tempfile.mkdtemp(prefix="vault-bench-"))
        env = {
            **os.environ,
            "DEBUG": "0",
            "SECRET_KEY": _key(),
            "DATA_DIR": str(workdir),
            "DATABASE_URL": database_url or f"sqlite:///{workdir / 'bench.sqlite3'}",
            "VAULT_KEYS": f"bench:{_key()}",
            "VAULT_INDEX_KEY": _key(),
            "AUDIT_SIGNING_KEY": base64.b64encode(os.urandom(32)).decode(),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "0",
            "ATTACHMENT_MAX_BYTES": str(max_bytes),
            "DJANGO_SETTINGS_MODULE": "referral_hub.settings",
            "LOG_LEVEL": "WARNING",
            "TMPDIR": str(workdir / "tmp"),
        }
        (workdir / "tmp").mkdir()
        (workdir / "staticfiles").mkdir()
        deployment = cls(workdir, env)
        deployment._seed()
        return deployment

    def remove(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)

    def _seed(self) -> None:
        subprocess.run(
            [str(PYTHON), "manage.py", "migrate", "--verbosity", "0"],
            cwd=ROOT,
            env=self.env,
            check=True,
        )
        subprocess.run(
            [str(PYTHON), "manage.py", "seed_demo", "--force", "--verbosity", "0"],
            cwd=ROOT,
            env=self.env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        script = _WORLD_SCRIPT
        result = subprocess.run(
            [str(PYTHON), "-c", script],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        )
        world = json.loads(result.stdout.strip().splitlines()[-1])
        self.sheet_id = world["sheet"]
        self.sender_token = world["sender_token"]
        self.desk_token = world["desk_token"]

    @contextlib.contextmanager
    def serve(self, *, encrypt: bool) -> Iterator[Server]:
        port = free_port()
        env = {**self.env, "VAULT_ENCRYPT_ATTACHMENTS": "1" if encrypt else "0"}
        process = subprocess.Popen(
            [
                str(ROOT / ".venv" / "bin" / "uvicorn"),
                "referral_hub.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            cwd=ROOT,
            env=env,
        )
        try:
            server = Server(port, process.pid, self)
            server.wait_ready()
            yield server
        finally:
            process.terminate()
            process.wait(timeout=20)


_WORLD_SCRIPT = """
import datetime, json, django
django.setup()
from django.contrib.auth import get_user_model
from django.utils import timezone
from referral_hub.consent import services as cs
from referral_hub.directory.models import Concern, Desk
from referral_hub.directory.services import issue_token
from referral_hub.handoffs import services as hs
User = get_user_model()
clerk, desk_user = User.objects.get(username="tax_clerk"), User.objects.get(username="consult1")
jiritsu = Desk.objects.get(code="jiritsu")
resident = cs.register_resident(clerk, cs.ResidentInput("ベンチ", "太郎", "ベンチ", "タロウ", datetime.date(1980, 1, 1)))
consent = cs.record_consent(clerk, cs.ConsentInput(resident, [jiritsu], ["identity", "concern", "attachments"], "benchmark", "verbal_witnessed", "witness", timezone.localdate() + datetime.timedelta(days=30)))
sheet = hs.send_sheet(clerk, hs.SheetInput(resident=resident, to_desk=jiritsu, concerns=list(Concern.objects.filter(code="debt")), urgency="normal", legal_basis="consent", handoff_method="sheet_only", summary="benchmark", consent=consent))
print(json.dumps({"sheet": sheet.pk, "sender_token": issue_token(clerk)[0], "desk_token": issue_token(desk_user)[0]}))
"""


@dataclass
class Server:
    port: int
    pid: int
    deployment: Deployment

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                conn = self.connection()
                conn.request("GET", "/healthz")
                conn.getresponse().read()
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("uvicorn did not start")

    def upload(self, path: Path) -> dict:
        size = path.stat().st_size
        head = (
            f"--{BOUNDARY}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="bench.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        tail = f"\r\n--{BOUNDARY}--\r\n".encode()

        def body() -> Iterator[bytes]:
            yield head
            with path.open("rb") as source:
                while piece := source.read(READ_SIZE):
                    yield piece
            yield tail

        conn = self.connection()
        conn.request(
            "POST",
            f"/api/v1/sheets/{self.deployment.sheet_id}/attachments/",
            body=body(),
            headers={
                "Authorization": f"Token {self.deployment.sender_token}",
                "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
                "Content-Length": str(len(head) + size + len(tail)),
            },
        )
        response = conn.getresponse()
        data = response.read()
        if response.status != 201:
            raise RuntimeError(f"upload failed: {response.status} {data[:300]!r}")
        return json.loads(data)

    def download(self, attachment_id: int) -> int:
        conn = self.connection()
        conn.request(
            "GET",
            f"/api/v1/attachments/{attachment_id}/content/",
            headers={"Authorization": f"Token {self.deployment.desk_token}"},
        )
        response = conn.getresponse()
        if response.status != 200:
            raise RuntimeError(f"download failed: {response.status} {response.read()[:300]!r}")
        total = 0
        while piece := response.read(READ_SIZE):
            total += len(piece)
        return total


def timed(function, *args) -> tuple[float, object]:
    start = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - start, result


def print_flush(*args: object) -> None:
    print(*args)
    sys.stdout.flush()


__all__ = ["Deployment", "Server", "make_payload", "peak_rss_mib", "timed", "print_flush"]
