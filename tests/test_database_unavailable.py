"""The database unavailable (issue 15, failing input 6): 503 ``database_unavailable`` with
``Retry-After``, JSON on the API, quickly, and a stale pooled connection is replaced rather than
reported. The shared PostgreSQL server is never stopped: the failure is simulated on the
connection, a server is pointed at a closed port, or only this test database's backends end."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from email.message import Message
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

from referral_hub.directory.tokens import create_token
from tests import servers

pytestmark = pytest.mark.django_db(transaction=True)


def assert_json_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code and body["detail"]
    return body


@pytest.fixture
def database_down(monkeypatch):
    """Every new cursor fails as it does when PostgreSQL has gone away (on the connection
    itself, below Django, so Django wraps it as it would the real failure)."""

    def refuse(*args, **kwargs):
        raise connection.Database.OperationalError("server closed the connection unexpectedly")

    def down() -> None:
        monkeypatch.setattr(connection, "create_cursor", refuse)

    return down


@pytest.fixture
def clerk(demo, django_user_model):
    return django_user_model.objects.get(username="tax_clerk")


def test_database_unavailable_is_503_json_with_retry_after_on_the_api(clerk, database_down):
    key, _ = create_token(clerk)
    client = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Token {key}")
    database_down()

    started = time.monotonic()
    response = client.get("/api/v1/sheets/")

    assert time.monotonic() - started < 2
    assert_json_error(response, 503, "database_unavailable")
    assert response["Retry-After"] == "5"


def test_database_unavailable_on_a_page_is_503_with_retry_after(clerk, database_down):
    client = Client(raise_request_exception=False)
    client.force_login(clerk)
    database_down()

    response = client.get("/sent/")

    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert response["Retry-After"] == "5"


# In a process of its own: the test process's pool is shared with every earlier test (and with
# connections their threads never gave back), so its state would be part of the outcome.
STALE_POOL_SCRIPT = """
import json, django, psycopg
django.setup()
from django.db import connection
from django.test import Client
client = Client(raise_request_exception=False, HTTP_AUTHORIZATION="Token " + KEY)
statuses = [client.get("/api/v1/me/").status_code]
connection.close()  # back to the pool, as at the end of every request
params = {**connection.get_connection_params(), "application_name": "stale-killer"}
with psycopg.connect(**params, autocommit=True) as admin:
    killed = admin.execute(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE application_name = 'stale-check'"
    ).fetchone()[0]
statuses.append(client.get("/api/v1/me/").status_code)
print(json.dumps({"statuses": statuses, "killed": killed}))
"""


@pytest.mark.postgres
def test_a_stale_pooled_connection_is_replaced_not_reported(clerk):
    if connection.vendor != "postgresql" or not connection.pool:
        pytest.skip("the connection pool exists on PostgreSQL only")
    key, _ = create_token(clerk)
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": url + "?application_name=stale-check",
    }
    result = subprocess.run(
        [sys.executable, "-c", f"KEY = {key!r}" + STALE_POOL_SCRIPT],
        cwd=servers.ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])

    assert outcome["killed"] >= 1  # the pooled connections were dead
    assert outcome["statuses"] == [200, 200], result.stderr[-2000:]


# --- a real server whose database does not answer ------------------------------------------------


def _wait_for_port(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the test server exited with {server.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError("the test server did not start within 30 s")


def _get(url: str, **headers: str) -> tuple[int, Message, bytes, float]:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - local URL
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, response.headers, response.read(), 0.0
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read(), time.monotonic() - started


def test_uvicorn_with_postgresql_unreachable_answers_503_json_quickly(tmp_path: Path):
    closed = servers.free_port()  # nothing listens here: PostgreSQL "stopped"
    env = servers.server_env(
        tmp_path,
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{closed}/referral_hub",
        DB_POOL_TIMEOUT="2",
    )
    port = servers.free_port()
    command = [
        sys.executable, "-m", "uvicorn", "referral_hub.asgi:application",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
    ]  # fmt: skip
    with (tmp_path / "uvicorn.log").open("wb") as log:
        server = subprocess.Popen(
            command, cwd=servers.ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            _wait_for_port(port, server)
            base = f"http://127.0.0.1:{port}"
            api = _get(f"{base}/api/v1/sheets/", Authorization="Token not-checkable-now")
            page = _get(f"{base}/sent/", Cookie="__Host-sessionid=" + "a1" * 16)
            unknown = _get(f"{base}/api/v1/no-such-thing/")
        finally:
            servers.stop_session(server)

    status, headers, body, elapsed = api
    assert status == 503
    assert headers["Content-Type"].startswith("application/json")
    assert json.loads(body)["code"] == "database_unavailable"
    assert headers["Retry-After"] == "5"
    assert elapsed < 5  # the pool's 2 s wait, not a hang
    assert page[0] == 503 and page[1]["Retry-After"] == "5"
    assert unknown[0] == 404 and json.loads(unknown[2])["code"] == "not_found"
