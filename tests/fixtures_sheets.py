"""Shared fixtures and helpers for the consent and handoff tests (issue 3).

Every test that needs the demo municipality gets a freshly seeded one (``demo``): seeding runs
inside the test's transaction, so tests stay independent, and a cheap password hasher keeps it
fast (Argon2 itself is covered by the directory tests). API calls go through Django's test
client with a real ``Authorization: Token <key>`` header, the way an API client talks to us.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.test import Client, override_settings
from django.utils import timezone

from referral_hub.consent import services as consent_services
from referral_hub.consent.models import Consent, Resident
from referral_hub.directory.models import Department, Desk
from referral_hub.directory.services import add_membership
from referral_hub.directory.tokens import create_token

DEMO_PASSWORD = "demo-pass-2026"
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
API = "/api/v1"
ALL_CATEGORIES = ["identity", "concern", "tax", "health", "household", "attachments", "feedback"]
BASIC_CATEGORIES = ["identity", "concern"]


@dataclass
class Demo:
    """The seeded demo municipality: look users, desks and departments up by code."""

    extra_users: dict[str, Any] = field(default_factory=dict)

    def user(self, username: str) -> Any:
        # A fresh instance each time: roles.places() caches memberships on the user object.
        return get_user_model().objects.get(username=username)

    def desk(self, code: str) -> Desk:
        return Desk.objects.get(code=code)

    def department(self, code: str) -> Department:
        return Department.objects.get(code=code)

    def add_staff(
        self, username: str, role: str, *, desk: str | None = None, department: str | None = None
    ) -> Any:
        """A user with one membership, made through the directory service (as admin would)."""
        user = get_user_model().objects.create_user(username=username, password=DEMO_PASSWORD)
        add_membership(
            user,
            role,
            desk=self.desk(desk) if desk else None,
            department=self.department(department) if department else None,
        )
        return self.user(username)


def seed_demo() -> Demo:
    call_command("seed_demo", force=True, stdout=_Null())
    # A transactional test's flush also wipes the legal bases that a migration seeded.
    from referral_hub.consent.models import LegalBasis
    from referral_hub.consent.reference_data import ensure_legal_bases

    ensure_legal_bases(LegalBasis)
    return Demo()


class _Null:
    def write(self, *args: Any) -> None:
        pass

    def flush(self) -> None:
        pass


@dataclass
class Reply:
    status: int
    body: Any

    @property
    def code(self) -> str | None:
        return self.body.get("code") if isinstance(self.body, dict) else None


class Api:
    """A JSON API client acting as one user, authenticated with an API token."""

    def __init__(self, user: Any, *, key: str | None = None) -> None:
        self.user = user
        if key is None:
            key, _ = create_token(user)
        self.client = Client(HTTP_AUTHORIZATION=f"Token {key}")

    @classmethod
    def login(cls, username: str, password: str = DEMO_PASSWORD) -> Api:
        """Sign in through ``POST /api/v1/auth/token/`` like a real API client."""
        response = Client().post(
            f"{API}/auth/token/",
            data=json.dumps({"username": username, "password": password}),
            content_type="application/json",
        )
        assert response.status_code == 201, response.content
        return cls(get_user_model().objects.get(username=username), key=response.json()["token"])

    def get(self, path: str, **params: Any) -> Reply:
        response = self.client.get(f"{API}{path}", data=params)
        return Reply(response.status_code, _json(response))

    def post(self, path: str, body: Any = None, *, raw: str | None = None) -> Reply:
        payload = raw if raw is not None else json.dumps(body if body is not None else {})
        response = self.client.post(f"{API}{path}", data=payload, content_type="application/json")
        return Reply(response.status_code, _json(response))

    def act(self, sheet_id: int, action: str, body: Any = None) -> Reply:
        return self.post(f"/sheets/{sheet_id}/{action}/", body)


def _json(response: Any) -> Any:
    if response.get("Content-Type", "").startswith("application/json"):
        return response.json()
    return None


# --- residents, consents and sheets ------------------------------------------------------------


_resident_counter = iter(range(1, 1_000_000))


def make_resident(
    actor: Any,
    *,
    family_name: str = "山田",
    given_name: str = "太郎",
    family_kana: str = "ヤマダ",
    given_kana: str = "タロウ",
    birth_date: datetime.date | None = None,
) -> Resident:
    """A resident registered through the consent service (as the counter would)."""
    if birth_date is None:
        # Distinct birth dates keep unrelated residents out of each other's duplicate search.
        birth_date = datetime.date(1960, 1, 1) + datetime.timedelta(days=next(_resident_counter))
    return consent_services.register_resident(
        actor,
        consent_services.ResidentInput(
            family_name=family_name,
            given_name=given_name,
            family_name_kana=family_kana,
            given_name_kana=given_kana,
            birth_date=birth_date,
            address="デモ市本町1-2-3",
            phone="046-123-4567",
        ),
    )


def make_consent(
    actor: Any,
    resident: Resident,
    desks: list[str],
    categories: list[str] | None = None,
    *,
    valid_until: datetime.date | None = None,
    method: str = "verbal_witnessed",
) -> Consent:
    """A consent recorded through the consent service."""
    return consent_services.record_consent(
        actor,
        consent_services.ConsentInput(
            resident=resident,
            recipients=[Desk.objects.get(code=code) for code in desks],
            categories=categories if categories is not None else list(BASIC_CATEGORIES),
            purpose="自立相談支援窓口での相談のため",
            method=method,
            witness="収納 花子" if method == "verbal_witnessed" else "",
            valid_until=valid_until or timezone.localdate() + datetime.timedelta(days=180),
        ),
    )


def look_up(actor: Any, resident: Resident) -> None:
    """本人確認 at ``actor``'s counter: find ``resident`` by kana and birth date, as a clerk does
    when the resident stands in front of them. Gives ``actor`` a relationship to the resident
    (``policy.relationship``: ``counter_lookup``)."""
    found = consent_services.find_possible_duplicates(
        actor, resident.family_name_kana + resident.given_name_kana, resident.birth_date
    )
    assert resident.pk in {r.pk for r in found}


def expire(consent: Consent) -> None:
    """Make a consent expired. The service refuses to record an expired consent, so tests set
    ``valid_until`` in the past directly. Saved through the ORM (not ``QuerySet.update``): a
    test's requests share one transaction, and the save tells the gate that the consent it
    locked earlier in it has changed (``held_locks.release_on_change``)."""
    row = Consent.objects.get(pk=consent.pk)
    row.valid_until = timezone.localdate() - datetime.timedelta(days=1)
    row.save(update_fields=["valid_until"])


def sheet_body(resident: Resident, consent: Consent | None, /, **overrides: Any) -> dict[str, Any]:
    """A valid ``POST /api/v1/sheets/`` body; override any field."""
    body: dict[str, Any] = {
        "resident": resident.pk,
        "to_desk": "jiritsu",
        "concerns": ["tax_arrears", "economic_hardship"],
        "summary": "市税の滞納で差押えを受け、家賃も払えなくなっている。",
        "resident_words": "もうどうしたらいいかわからない",
        "urgency": "normal",
        "legal_basis": "consent",
        "consent": consent.pk if consent is not None else None,
        "justification": "",
        "handoff_method": "phoned",
        "contact_preference": "平日の午前中に携帯へ",
    }
    body.update(overrides)
    return body


def send(api: Api, resident: Resident, consent: Consent | None, /, **overrides: Any) -> Reply:
    return api.post("/sheets/", sheet_body(resident, consent, **overrides))


def send_ok(api: Api, resident: Resident, consent: Consent | None, /, **overrides: Any) -> int:
    reply = send(api, resident, consent, **overrides)
    assert reply.status == 201, reply.body
    return reply.body["id"]


def sent_to_jiritsu(demo: Demo, categories: list[str] | None = None) -> tuple[Any, int, int]:
    """A new resident's sheet sent by ``tax_clerk`` to 自立相談支援窓口 under a fresh consent
    (``categories``: the consent's, default the basic ones); returns (clerk, sheet id,
    consent id)."""
    clerk = demo.user("tax_clerk")
    resident = make_resident(clerk)
    consent = make_consent(clerk, resident, ["jiritsu"], *([categories] if categories else []))
    return clerk, send_ok(Api(clerk), resident, consent), consent.pk


# Service calls that move a sheet sent to jiritsu into each status (DESIGN.md lifecycle).
# Desk actions are made by the jiritsu lead, sender actions by the sender.
PATHS: dict[str, list[str]] = {
    "sent": [],
    "acknowledged": ["acknowledge"],
    "accepted": ["acknowledge", "accept"],
    "contacted": ["acknowledge", "accept", "contacted"],
    "connected": ["acknowledge", "accept", "contacted", "connected"],
    "returned": ["return"],
    "closed": ["acknowledge", "close"],
    "withdrawn": ["withdraw"],
}


def drive_to(demo: Demo, sheet_id: int, status: str) -> None:
    """Move a freshly sent jiritsu sheet to ``status`` through the services."""
    from referral_hub.handoffs import services
    from referral_hub.handoffs.models import ConnectSheet

    lead = demo.user("consult_lead")
    sender = ConnectSheet.objects.get(pk=sheet_id).sent_by
    steps = {
        "acknowledge": lambda: services.acknowledge(lead, sheet_id),
        "accept": lambda: services.accept(lead, sheet_id),
        "contacted": lambda: services.mark_contacted(lead, sheet_id, "電話で本人と話した"),
        "connected": lambda: services.mark_connected(lead, sheet_id, "面談を開始した"),
        "return": lambda: services.return_sheet(lead, sheet_id, "連絡先を確認してください"),
        "close": lambda: services.close_sheet(lead, sheet_id, "resolved_by_information"),
        "withdraw": lambda: services.withdraw_sheet(sender, sheet_id, "本人が来所しなかった"),
    }
    for step in PATHS[status]:
        steps[step]()
    assert ConnectSheet.objects.get(pk=sheet_id).status == status


# --- pytest fixtures (imported by tests/consent/conftest.py and tests/handoffs/conftest.py) -----


@pytest.fixture
def fast_hashers(settings: Any) -> None:
    settings.PASSWORD_HASHERS = FAST_HASHERS


def _module_has_transactional_tests(request: Any) -> bool:
    for item in request.session.items:
        if getattr(item, "module", None) is not request.module:
            continue
        marker = item.get_closest_marker("django_db")
        if marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])):
            return True
        if {"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ())):
            return True
    return False


@pytest.fixture(scope="module")
def demo_module(
    request: Any, django_db_setup: Any, django_db_blocker: Any
) -> Iterator[Demo | None]:
    """The demo municipality, seeded once per test module inside a transaction that is rolled
    back after the module's last test. Each test then runs in its own savepoint (pytest-django),
    so tests stay independent while seeding (hundreds of queries) happens once per module.

    A module with transactional tests (``transaction=True``) gets None: their flush cannot run
    inside an open transaction, so ``demo`` seeds for each test instead."""
    if _module_has_transactional_tests(request):
        yield None
        return
    hashers = override_settings(PASSWORD_HASHERS=FAST_HASHERS)
    hashers.enable()
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        demo = seed_demo()
    try:
        yield demo
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
        hashers.disable()


@pytest.fixture
def demo(demo_module: Demo | None, db: Any, fast_hashers: None) -> Demo:
    """The demo municipality of DESIGN.md (users, desks, departments of seed_demo)."""
    return demo_module if demo_module is not None else seed_demo()


@pytest.fixture
def api(demo: Demo):
    """``api("tax_clerk")``: a token-authenticated JSON client for a demo user."""
    clients: dict[str, Api] = {}

    def for_user(username: str) -> Api:
        if username not in clients:
            clients[username] = Api(demo.user(username))
        return clients[username]

    return for_user


@pytest.fixture
def resident(demo: Demo) -> Resident:
    return make_resident(demo.user("tax_clerk"))


@pytest.fixture
def jiritsu_consent(demo: Demo, resident: Resident) -> Consent:
    """Consent to the jiritsu desk for identity and concern only (no tax, no feedback)."""
    return make_consent(demo.user("tax_clerk"), resident, ["jiritsu"])


@pytest.fixture
def full_consent(demo: Demo, resident: Resident) -> Consent:
    """Consent to jiritsu and 生活保護担当 for every category, feedback included."""
    return make_consent(
        demo.user("tax_clerk"), resident, ["jiritsu", "seikatsu_hogo"], list(ALL_CATEGORIES)
    )
