"""Key rotation re-wraps data keys only; data stays readable and old keys can go."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from referral_hub.vault.errors import KeyUnavailable
from referral_hub.vault.keys import new_data_key, shred
from referral_hub.vault.models import DataKey

pytestmark = pytest.mark.django_db


def rotate(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("rotate_keys", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def rotated_ring(settings, master_keys):
    """Add master key "b" and make it active, keeping "a" for unwrapping."""
    key_a, key_b = master_keys
    settings.VAULT_KEYS = f"a:{key_a},b:{key_b}"
    settings.VAULT_ACTIVE_KEY = "b"
    return settings


def test_rotation_rewraps_without_touching_field_ciphertext(person_model, rotated_ring):
    rotated_ring.VAULT_ACTIVE_KEY = "a"
    people = [
        person_model.objects.create(data_key=new_data_key(), family_name=f"名前{i}")
        for i in range(7)
    ]
    tokens = {p.pk: p.family_name_ciphertext for p in people}
    wrapped_before = {k.pk: bytes(k.wrapped) for k in DataKey.objects.all()}
    rotated_ring.VAULT_ACTIVE_KEY = "b"

    out, err = rotate("--batch-size", "3")

    assert "7/7 re-wrapped (100%)" in err
    assert "b: 7 live data key(s) (active)" in out
    for key in DataKey.objects.all():
        assert key.kek_id == "b"
        assert key.rotated_at is not None
        assert bytes(key.wrapped) != wrapped_before[key.pk]
    for person in person_model.objects.select_related("data_key"):
        assert person.family_name_ciphertext == tokens[person.pk]
        assert person.family_name.startswith("名前")


def test_old_key_can_be_removed_once_everything_is_rewrapped(
    person_model, rotated_ring, master_keys
):
    rotated_ring.VAULT_ACTIVE_KEY = "a"
    person = person_model.objects.create(data_key=new_data_key(), family_name="山田")
    rotated_ring.VAULT_ACTIVE_KEY = "b"
    # Before rotation the old key is still needed.
    rotated_ring.VAULT_KEYS = f"b:{master_keys[1]}"
    with pytest.raises(KeyUnavailable):
        person_model.objects.get(pk=person.pk).family_name
    rotated_ring.VAULT_KEYS = f"a:{master_keys[0]},b:{master_keys[1]}"
    rotate()
    rotated_ring.VAULT_KEYS = f"b:{master_keys[1]}"
    assert person_model.objects.get(pk=person.pk).family_name == "山田"


def test_rotation_is_resumable_and_idempotent(rotated_ring):
    rotated_ring.VAULT_ACTIVE_KEY = "a"
    keys = [new_data_key() for _ in range(5)]
    rotated_ring.VAULT_ACTIVE_KEY = "b"
    # Simulate an interrupted run: two keys were already re-wrapped.
    from referral_hub.vault.keys import rewrap

    rewrap(keys[0])
    rewrap(keys[1])
    _, err = rotate()
    assert "3 data key(s) to re-wrap" in err
    _, err = rotate()
    assert "0 data key(s) to re-wrap" in err
    assert set(DataKey.objects.values_list("kek_id", flat=True)) == {"b"}


def test_shredded_keys_are_skipped(rotated_ring):
    rotated_ring.VAULT_ACTIVE_KEY = "a"
    gone = new_data_key()
    shred(gone)
    rotated_ring.VAULT_ACTIVE_KEY = "b"
    out, _ = rotate()
    gone.refresh_from_db()
    assert gone.wrapped is None
    assert gone.kek_id == "a"
    assert "shredded: 1" in out


def test_missing_old_key_is_reported_and_the_rest_continue(rotated_ring, master_keys, fresh_key):
    key_c = fresh_key()
    rotated_ring.VAULT_KEYS = f"a:{master_keys[0]},c:{key_c}"
    rotated_ring.VAULT_ACTIVE_KEY = "a"
    stranded = new_data_key()
    rotated_ring.VAULT_ACTIVE_KEY = "c"
    movable = new_data_key()
    # Key "a" is lost; "b" becomes active.
    rotated_ring.VAULT_KEYS = f"c:{key_c},b:{master_keys[1]}"
    rotated_ring.VAULT_ACTIVE_KEY = "b"
    with pytest.raises(CommandError, match=f"first ids: {stranded.pk}"):
        rotate()
    movable.refresh_from_db()
    stranded.refresh_from_db()
    assert movable.kek_id == "b"
    assert stranded.kek_id == "a"


def test_status_lists_live_keys_per_master_key(rotated_ring):
    rotated_ring.VAULT_ACTIVE_KEY = "a"
    new_data_key()
    rotated_ring.VAULT_ACTIVE_KEY = "b"
    new_data_key()
    out, _ = rotate("--status")
    assert "a: 1 live data key(s) (re-wrap before removing)" in out
    assert "b: 1 live data key(s) (active)" in out


def test_bad_configuration_is_a_command_error(settings):
    settings.VAULT_KEYS = ""
    with pytest.raises(CommandError, match="VAULT_KEYS is not set"):
        rotate()
