"""Master key configuration: clear errors, and missing or wrong keys are KeyUnavailable."""

from __future__ import annotations

import pytest
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from referral_hub.vault.checks import check_vault_keys, require_vault_configured
from referral_hub.vault.errors import KeyringMisconfigured, KeyUnavailable
from referral_hub.vault.keyring import parse_keyring
from referral_hub.vault.keys import new_data_key, unwrap_data_key
from referral_hub.vault.models import DataKey


@pytest.fixture
def keys(master_keys):
    return master_keys


def test_first_key_is_active_by_default(keys):
    ring = parse_keyring(f"one:{keys[0]}, two:{keys[1]}")
    assert ring.active_id == "one"
    assert set(ring.keys) == {"one", "two"}
    assert keys[0] not in repr(ring)


def test_active_key_can_be_chosen(keys):
    assert parse_keyring(f"one:{keys[0]},two:{keys[1]}", "two").active_id == "two"


A_KEY = "A" * 43
B_KEY = "B" * 43


@pytest.mark.parametrize(
    ("raw", "active", "message"),
    [
        ("", "", "VAULT_KEYS is not set"),
        ("nocolon", "", "must look like"),
        (f"bad id!:{A_KEY}", "", "key id"),
        ("k:not-base64!!", "", "not valid base64"),
        ("k:AAAA", "", "must decode to 32 bytes"),
        (f"k:{A_KEY},k:{B_KEY}", "", "twice"),
        (f"k:{A_KEY}", "other", "VAULT_ACTIVE_KEY"),
    ],
)
def test_malformed_configuration_names_the_problem(raw, active, message):
    with pytest.raises(KeyringMisconfigured, match=message):
        parse_keyring(raw, active)


@pytest.mark.django_db
def test_missing_kek_raises_key_unavailable(settings, keys):
    data_key = new_data_key()
    settings.VAULT_KEYS = f"b:{keys[1]}"
    settings.VAULT_ACTIVE_KEY = ""
    with pytest.raises(KeyUnavailable, match="'a'.*not in VAULT_KEYS"):
        unwrap_data_key(DataKey.objects.get(pk=data_key.pk))


@pytest.mark.django_db
def test_wrong_key_material_under_the_same_id_raises_key_unavailable(settings, keys):
    data_key = new_data_key()
    settings.VAULT_KEYS = f"a:{keys[1]}"
    with pytest.raises(KeyUnavailable, match="does not unwrap"):
        unwrap_data_key(DataKey.objects.get(pk=data_key.pk))


@pytest.mark.django_db
def test_reading_a_field_without_its_kek_raises_key_unavailable(settings, keys, person_model):
    person = person_model.objects.create(data_key=new_data_key(), family_name="山田")
    settings.VAULT_KEYS = f"b:{keys[1]}"
    settings.VAULT_ACTIVE_KEY = ""
    with pytest.raises(KeyUnavailable):
        person_model.objects.get(pk=person.pk).family_name


def test_unset_keys_are_a_key_unavailable_error(settings):
    settings.VAULT_KEYS = ""
    from referral_hub.vault.keyring import current_keyring

    with pytest.raises(KeyUnavailable, match="VAULT_KEYS is not set"):
        current_keyring()


def test_system_check_fails_without_keys_when_debug_is_off(settings):
    settings.DEBUG = False
    settings.VAULT_KEYS = ""
    settings.VAULT_INDEX_KEY = ""
    messages = check_vault_keys()
    assert {m.id for m in messages} == {"vault.E001"}
    assert all(m.level == checks.ERROR for m in messages)
    assert any("VAULT_KEYS is not set" in m.msg for m in messages)
    assert any("VAULT_INDEX_KEY is not set" in m.msg for m in messages)
    with pytest.raises(ImproperlyConfigured, match="VAULT_KEYS"):
        require_vault_configured()


def test_system_check_only_warns_in_debug(settings):
    settings.DEBUG = True
    settings.VAULT_KEYS = ""
    assert {m.id for m in check_vault_keys()} == {"vault.W001"}
    require_vault_configured()


def test_system_check_passes_with_keys(settings):
    settings.DEBUG = False
    assert check_vault_keys() == []


def test_attachments_in_clear_are_an_error_in_production(settings):
    settings.DEBUG = False
    settings.VAULT_ENCRYPT_ATTACHMENTS = False
    assert {m.id for m in check_vault_keys()} == {"vault.E002"}
