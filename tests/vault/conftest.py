"""Vault test fixtures: known master keys, and small models that use the encrypted fields.

The models live under the app label ``vault_tests`` (not an installed app, so no
migration is expected for them) and are created once per session. Their foreign keys
carry no database constraint so that other apps' transactional tests can still TRUNCATE
``vault_datakey``.
"""

from __future__ import annotations

import base64
import os

import pytest
from django.db import connection, models

from referral_hub.vault.fields import EncryptedDateField, EncryptedTextField


def make_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


KEY_A = make_key()
KEY_B = make_key()
INDEX_KEY = make_key()


class VaultPerson(models.Model):
    data_key = models.OneToOneField(
        "vault.DataKey", on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
    family_name = EncryptedTextField(key_field="data_key")
    note = EncryptedTextField(key_field="data_key", blank=True)
    birth_date = EncryptedDateField(key_field="data_key", null=True, blank=True)

    class Meta:
        app_label = "vault_tests"

    def __str__(self) -> str:
        return f"{type(self).__name__} {self.pk}"


class VaultCase(models.Model):
    data_key = models.OneToOneField(
        "vault.DataKey", on_delete=models.PROTECT, related_name="+", db_constraint=False
    )

    class Meta:
        app_label = "vault_tests"

    def __str__(self) -> str:
        return f"{type(self).__name__} {self.pk}"


class VaultNote(models.Model):
    case = models.ForeignKey(VaultCase, on_delete=models.CASCADE, db_constraint=False)
    body = EncryptedTextField(key_field="case.data_key")

    class Meta:
        app_label = "vault_tests"

    def __str__(self) -> str:
        return f"{type(self).__name__} {self.pk}"


TEST_MODELS = (VaultPerson, VaultCase, VaultNote)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), connection.schema_editor() as editor:
        for model in TEST_MODELS:
            editor.create_model(model)
    yield


@pytest.fixture(autouse=True)
def vault_keys(settings):
    settings.VAULT_KEYS = f"a:{KEY_A}"
    settings.VAULT_ACTIVE_KEY = "a"
    settings.VAULT_INDEX_KEY = INDEX_KEY
    settings.VAULT_ENCRYPT_ATTACHMENTS = True
    return settings


@pytest.fixture
def person_model():
    return VaultPerson


@pytest.fixture
def case_models():
    return VaultCase, VaultNote


@pytest.fixture
def master_keys():
    """The two master keys as (key named "a" in the default ring, a spare key)."""
    return KEY_A, KEY_B


@pytest.fixture
def fresh_key():
    return make_key
