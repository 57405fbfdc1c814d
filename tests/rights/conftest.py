"""Fixtures for the rights desk tests (issue 18); the demo municipality comes from
tests/fixtures_sheets.py."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest

from referral_hub.rights import services
from tests.audit.conftest import new_signing_key
from tests.fixtures_sheets import (  # noqa: F401 - pytest finds fixtures by name
    api,
    demo,
    demo_module,
    fast_hashers,
    full_consent,
    jiritsu_consent,
    resident,
)
from tests.signin.conftest import clock  # noqa: F401 - the TOTP verifier's clock (step-up tests)


@pytest.fixture(autouse=True)
def checkpoint_file(settings: Any, tmp_path: Path) -> Path:
    """A fresh signing key and checkpoint file per test: rolled-back tests leave checkpoints
    of events that no longer exist in a shared file."""
    path = tmp_path / "audit-checkpoints.jsonl"
    settings.AUDIT_SIGNING_KEY = new_signing_key()
    settings.AUDIT_CHECKPOINT_PATH = path
    return path


def register(officer: Any, resident_id: int, kind: str = "disclosure", **extra: Any) -> Any:
    return services.register_request(
        officer,
        services.NewRequest(
            resident_id=resident_id,
            kind=kind,
            received_on=extra.pop("received_on", datetime.date.today()),
            identity_document="my_number_card",
            **extra,
        ),
    )
