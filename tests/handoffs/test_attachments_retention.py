"""Retention: sheets closed long ago are crypto-shredded, audited, and read back cleanly."""

from __future__ import annotations

import datetime
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from referral_hub.audit.models import AuditEvent
from referral_hub.handoffs import services as sheet_services
from referral_hub.handoffs.management.commands.apply_retention import retention_cutoff
from referral_hub.handoffs.models import Attachment, ConnectSheet, SheetMessage
from referral_hub.vault.errors import Shredded
from referral_hub.vault.models import DataKey

# Fixtures are shared with the API tests (tests/handoffs may or may not be a package).
try:
    from .test_attachments_api import (  # noqa: F401
        client_for,
        download,
        upload,
        world,
    )
except ImportError:
    from test_attachments_api import (  # type: ignore[no-redef]  # noqa: F401
        client_for,
        download,
        upload,
        world,
    )

pytestmark = pytest.mark.django_db


def retention(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("apply_retention", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def close_long_ago(world, *, years_ago: float):
    desk_user = world["users"]["consult1"]
    sheet_id = world["sheet"].pk
    sheet_services.acknowledge(desk_user, sheet_id)
    sheet_services.accept(desk_user, sheet_id)
    # The sender writes (a desk message needs consent to feedback, which this one lacks).
    sheet_services.post_message(world["users"]["tax_clerk"], sheet_id, "本日来庁されました")
    sheet_services.close_sheet(desk_user, sheet_id, "resolved_by_information", "情報提供で解決")
    closed_at = timezone.now() - datetime.timedelta(days=int(365.25 * years_ago))
    ConnectSheet.objects.filter(pk=sheet_id).update(closed_at=closed_at)
    return sheet_id


@pytest.fixture
def sheet_with_attachment(world):
    attachment_id = upload(client_for(world["users"]["tax_clerk"]), world["sheet"].pk).json()["id"]
    return world, attachment_id


def test_sheet_past_retention_is_shredded_and_audited(
    sheet_with_attachment, storage_dir, django_capture_on_commit_callbacks
):
    world, attachment_id = sheet_with_attachment
    sheet_id = close_long_ago(world, years_ago=5.1)

    with django_capture_on_commit_callbacks(execute=True):
        out, _ = retention()

    assert "1 sheet(s) shredded" in out
    sheet = ConnectSheet.objects.select_related("data_key").get(pk=sheet_id)
    assert sheet.data_key.is_shredded
    assert Attachment.objects.select_related("data_key").get(pk=attachment_id).data_key.is_shredded
    event = AuditEvent.objects.get(action="sheet.retention_shredded")
    assert event.target_id == str(sheet_id)
    assert event.resident_id == world["resident"].pk
    assert event.details["attachments"] == 1
    assert not [p for p in Path(storage_dir).rglob("*") if p.is_file()]


def test_reads_after_retention_fail_cleanly(sheet_with_attachment):
    world, attachment_id = sheet_with_attachment
    sheet_id = close_long_ago(world, years_ago=6)
    retention()
    sheet = ConnectSheet.objects.get(pk=sheet_id)
    with pytest.raises(Shredded):
        sheet.summary
    with pytest.raises(Shredded):
        SheetMessage.objects.filter(sheet_id=sheet_id).first().body
    response = download(client_for(world["users"]["consult1"]), attachment_id)
    assert response.status_code == 410
    assert response.json()["code"] == "attachment_shredded"


def test_recent_and_open_sheets_are_kept(sheet_with_attachment):
    world, _ = sheet_with_attachment
    close_long_ago(world, years_ago=4.9)
    out, _ = retention()
    assert "0 sheet(s) shredded" in out
    assert not DataKey.objects.filter(shredded_at__isnull=False).exists()


def test_retention_is_idempotent(sheet_with_attachment):
    world, _ = sheet_with_attachment
    close_long_ago(world, years_ago=7)
    retention()
    out, err = retention()
    assert "apply_retention: 0 sheet(s)" in err
    assert "0 sheet(s) shredded" in out
    assert AuditEvent.objects.filter(action="sheet.retention_shredded").count() == 1


def test_retention_period_is_configurable(sheet_with_attachment, settings):
    world, _ = sheet_with_attachment
    close_long_ago(world, years_ago=2)
    settings.RETENTION_YEARS = 1
    out, _ = retention()
    assert "1 sheet(s) shredded" in out


def test_dry_run_changes_nothing(sheet_with_attachment):
    world, _ = sheet_with_attachment
    close_long_ago(world, years_ago=9)
    _, err = retention("--dry-run")
    assert "1 sheet(s)" in err
    assert not DataKey.objects.filter(shredded_at__isnull=False).exists()


def test_cutoff_handles_leap_day():
    leap = datetime.datetime(2028, 2, 29, 12, tzinfo=datetime.UTC)
    assert retention_cutoff(leap, 5) == datetime.datetime(2023, 2, 28, 12, tzinfo=datetime.UTC)


def test_resident_identity_is_shredded_once_all_their_sheets_are(db, fast_hashing):
    """After retention, the resident's identity goes too, when no live sheet needs it."""
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.utils import timezone

    from referral_hub.consent.models import Resident
    from referral_hub.consent.services import ResidentInput, register_resident
    from referral_hub.directory.models import Department, Municipality
    from referral_hub.directory.services import add_membership
    from referral_hub.vault.errors import Shredded

    town = Municipality.objects.create(code="t", name="T")
    clerk = get_user_model().objects.create_user("clerk_r")
    add_membership(
        clerk, "clerk", department=Department.objects.create(municipality=town, code="d", name="D")
    )
    old = register_resident(clerk, ResidentInput("古田", "一", "フルタ", "ハジメ", None))
    recent = register_resident(clerk, ResidentInput("新井", "二", "アライ", "ジ", None))
    Resident.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=6 * 366))
    call_command("apply_retention", verbosity=0)
    with pytest.raises(Shredded):
        _ = Resident.objects.get(pk=old.pk).family_name
    assert Resident.objects.get(pk=recent.pk).family_name == "新井"
