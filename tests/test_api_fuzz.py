"""Fuzzing the API from its own OpenAPI schema (issue 15): schemathesis generates valid and invalid
requests for every operation of the live ``/api/v1/schema/`` of a real uvicorn server, as a clerk, a
consultant and the privacy officer, and fails on any 5xx and on any response that does not
match the schema. Bounded in time (``FUZZ_SECONDS``, default 80 s of requests after the server
is up); the seed is printed (and in every failure) so a run can be replayed with
``FUZZ_SEED=<seed>``. PostgreSQL when ``DATABASE_URL`` points at one (its own database), else
SQLite in a temporary folder.
"""

from __future__ import annotations

import os
import random
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import response_schema_conformance  # noqa: E402

from tests.servers import (  # noqa: E402
    Api,
    drop_database,
    manage,
    recreate_database,
    resident_with_consent,
    send_sheet,
    server_env,
    unique_kana,
    uvicorn,
)

PASSWORD = "fuzz-pass-2026-demo"
ROLES = ["tax_clerk", "consult1", "privacy_officer"]
# Revoking its own token would sign the fuzzer out for the rest of the run.
SKIPPED = {("DELETE", "/api/v1/auth/token/revoke/"), ("POST", "/api/v1/auth/token/revoke/")}
EXAMPLES_PER_PASS = 6
MODES = [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]


@pytest.fixture(scope="module")
def fuzz_server() -> Iterator[str]:
    data_dir = Path(tempfile.mkdtemp(prefix="referral-hub-fuzz-"))
    extra: dict[str, str] = {}
    database = os.environ.get("DATABASE_URL", "")
    if database.startswith("postgres"):
        extra["DATABASE_URL"] = f"{database}_fuzz"
        recreate_database(extra["DATABASE_URL"])
    env = server_env(data_dir, **extra)
    try:
        manage(env, "migrate", "--noinput")
        manage(env, "seed_demo", "--force", "--password", PASSWORD)
        with uvicorn(env, data_dir / "server.log") as port:
            yield f"http://127.0.0.1:{port}"
    finally:
        if "DATABASE_URL" in extra:
            drop_database(extra["DATABASE_URL"])
        shutil.rmtree(data_dir, ignore_errors=True)


def _fuzz_operation(
    operation: Any, base_url: str, token: str, run_seed: int, sent: list[int], mode: Any
) -> str | None:
    """Run one batch of generated cases; the first failure's message, or None. ``sent[0]``
    counts the requests; ``mode`` is schemathesis' positive (valid by the schema) or negative
    (invalid: wrong types, missing fields, values out of range) generation."""

    @settings(
        max_examples=EXAMPLES_PER_PASS,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: report, don't minimise
        suppress_health_check=list(HealthCheck),
    )
    @seed(run_seed)
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        sent[0] += 1
        case.call_and_validate(
            base_url=base_url,
            headers={"Authorization": f"Token {token}"},
            checks=[not_a_server_error, response_schema_conformance],
            timeout=15,
        )

    try:
        run()
    except (KeyboardInterrupt, SystemExit):
        raise
    except Unsatisfiable:
        return None  # nothing to make invalid: an operation without parameters or body
    except BaseException as failure:  # noqa: BLE001 - hypothesis raises exception groups
        return f"{type(failure).__name__}: {str(failure)[:1500]}"
    return None


def test_api_survives_schema_driven_fuzzing_for_three_roles(fuzz_server: str) -> None:
    run_seed = int(os.environ.get("FUZZ_SEED") or random.randrange(2**32))  # noqa: S311
    budget = float(os.environ.get("FUZZ_SECONDS", "80"))
    print(f"\nschemathesis fuzz seed: {run_seed} (replay with FUZZ_SEED={run_seed})")
    clerk = Api(fuzz_server, "tax_clerk", PASSWORD)
    # Something real to find: a resident with a consent and a sheet at 自立相談支援窓口.
    made = resident_with_consent(
        clerk, unique_kana(), desks=["jiritsu"], categories=["identity", "concern"]
    )
    send_sheet(clerk, made["resident"]["id"], made["consent"]["id"])

    tokens = {role: Api(fuzz_server, role, PASSWORD).token for role in ROLES}
    schema = schemathesis.openapi.from_url(
        f"{fuzz_server}/api/v1/schema/",
        headers={"Authorization": f"Token {tokens['privacy_officer']}"},
    )
    operations = [
        result.ok()
        for result in schema.get_all_operations()
        if (result.ok().method.upper(), result.ok().path) not in SKIPPED
    ]
    failures: dict[str, str] = {}
    covered: set[str] = set()
    sent = [0]
    started = time.monotonic()
    for index, role in enumerate(ROLES):
        role_deadline = started + budget * (index + 1) / len(ROLES)
        passes = 0
        while passes == 0 or time.monotonic() < role_deadline:
            for operation in operations:
                if passes > 0 and time.monotonic() >= role_deadline:
                    break
                label = f"{operation.method.upper()} {operation.path}"
                # Valid requests first, then invalid ones, alternating pass by pass.
                mode = MODES[passes % len(MODES)]
                message = _fuzz_operation(
                    operation, fuzz_server, tokens[role], run_seed + passes, sent, mode
                )
                covered.add(label)
                if message and f"{role} {label}" not in failures:
                    failures[f"{role} {label} ({mode.value})"] = message
            passes += 1
    print(
        f"schemathesis: {sent[0]} requests, {len(covered)} operations,"
        f" {time.monotonic() - started:.0f} s"
    )
    assert not failures, f"seed {run_seed}:\n" + "\n\n".join(
        f"{where}\n{message}" for where, message in sorted(failures.items())
    )
