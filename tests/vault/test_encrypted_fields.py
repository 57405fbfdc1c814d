"""Encrypted model fields: plaintext on attribute access, ciphertext everywhere else."""

from __future__ import annotations

import base64
import datetime

import pytest
from django.db import connection
from django.forms.models import model_to_dict

from referral_hub.vault.errors import IntegrityFailure, VaultError
from referral_hub.vault.fields import Ciphertext, EncryptedDateField, EncryptedTextField
from referral_hub.vault.keys import new_data_key

pytestmark = pytest.mark.django_db


def raw_column(model, pk, column):
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {connection.ops.quote_name(column)} FROM {table} WHERE id = %s", [pk]
        )
        return cursor.fetchone()[0]


def test_value_round_trips_and_column_holds_no_plaintext(person_model):
    person = person_model.objects.create(
        data_key=new_data_key(), family_name="山田", birth_date=datetime.date(1980, 4, 1)
    )
    loaded = person_model.objects.get(pk=person.pk)
    assert loaded.family_name == "山田"
    assert loaded.birth_date == datetime.date(1980, 4, 1)
    stored = raw_column(person_model, person.pk, "family_name_ciphertext")
    assert "山田" not in stored
    assert base64.b64decode(stored)[0] == 1  # version byte
    assert "1980" not in raw_column(person_model, person.pk, "birth_date_ciphertext")


def test_same_plaintext_encrypts_differently_each_time(person_model):
    a = person_model.objects.create(data_key=new_data_key(), family_name="佐藤")
    b = person_model.objects.create(data_key=new_data_key(), family_name="佐藤")
    assert a.family_name_ciphertext != b.family_name_ciphertext


def test_empty_string_and_none_round_trip(person_model):
    person = person_model.objects.create(data_key=new_data_key(), family_name="", note="")
    loaded = person_model.objects.get(pk=person.pk)
    assert loaded.family_name == ""
    assert loaded.note == ""
    assert loaded.birth_date is None


def test_assigning_new_plaintext_reencrypts_on_save(person_model):
    person = person_model.objects.create(data_key=new_data_key(), family_name="田中")
    before = person.family_name_ciphertext
    person.family_name = "田中 花子"
    assert person.family_name == "田中 花子"
    person.save()
    assert person.family_name_ciphertext != before
    assert person_model.objects.get(pk=person.pk).family_name == "田中 花子"


def test_values_return_ciphertext_not_plaintext(person_model):
    person = person_model.objects.create(data_key=new_data_key(), family_name="鈴木")
    row = person_model.objects.values("family_name").get(pk=person.pk)
    assert isinstance(row["family_name"], Ciphertext)
    assert "鈴木" not in row["family_name"]


def test_filtering_or_updating_with_plaintext_is_refused(person_model):
    person_model.objects.create(data_key=new_data_key(), family_name="高橋")
    with pytest.raises(VaultError, match="blind_index"):
        list(person_model.objects.filter(family_name="高橋"))
    with pytest.raises(VaultError):
        person_model.objects.update(family_name="plaintext")


def test_dotted_key_field_through_a_relation(case_models):
    case_model, note_model = case_models
    case = case_model.objects.create(data_key=new_data_key())
    note = note_model.objects.create(case=case, body="家賃を3か月滞納")
    loaded = note_model.objects.select_related("case__data_key").get(pk=note.pk)
    assert loaded.body == "家賃を3か月滞納"
    assert "家賃" not in raw_column(note_model, note.pk, "body_ciphertext")


def test_ciphertext_moved_to_another_row_fails_integrity(person_model):
    a = person_model.objects.create(data_key=new_data_key(), family_name="伊藤")
    b = person_model.objects.create(data_key=new_data_key(), family_name="渡辺")
    person_model.objects.filter(pk=b.pk).update(family_name_ciphertext=a.family_name_ciphertext)
    with pytest.raises(IntegrityFailure):
        person_model.objects.get(pk=b.pk).family_name


def test_ciphertext_moved_to_another_field_fails_integrity(person_model):
    a = person_model.objects.create(data_key=new_data_key(), family_name="伊藤", note="メモ")
    person_model.objects.filter(pk=a.pk).update(note_ciphertext=a.family_name_ciphertext)
    with pytest.raises(IntegrityFailure):
        person_model.objects.get(pk=a.pk).note


def test_tampered_ciphertext_fails_integrity(person_model):
    person = person_model.objects.create(data_key=new_data_key(), family_name="中村")
    token = bytearray(base64.b64decode(person.family_name_ciphertext))
    token[-1] ^= 0x01
    person_model.objects.filter(pk=person.pk).update(
        family_name_ciphertext=Ciphertext(base64.b64encode(bytes(token)).decode())
    )
    with pytest.raises(IntegrityFailure):
        person_model.objects.get(pk=person.pk).family_name


def test_garbage_in_column_fails_integrity(person_model):
    person = person_model.objects.create(data_key=new_data_key(), family_name="小林")
    person_model.objects.filter(pk=person.pk).update(family_name_ciphertext=Ciphertext("山田"))
    with pytest.raises(IntegrityFailure):
        person_model.objects.get(pk=person.pk).family_name


def test_saving_without_data_key_is_a_clear_error(case_models):
    _, note_model = case_models
    with pytest.raises(VaultError, match="not set"):
        note_model(body="x").save()


def test_deferred_field_loads_and_decrypts(person_model):
    person = person_model.objects.create(data_key=new_data_key(), family_name="加藤")
    loaded = person_model.objects.defer("family_name").get(pk=person.pk)
    assert loaded.family_name == "加藤"


def test_refresh_from_db_does_not_decrypt(person_model):
    person = person_model.objects.create(data_key=new_data_key(), family_name="吉田")
    person.family_name = "unsaved"
    person.refresh_from_db()
    assert person.family_name == "吉田"


def test_full_clean_validates_plaintext(person_model):
    person = person_model(data_key=new_data_key(), family_name="山本")
    person.full_clean()
    person.save()
    loaded = person_model.objects.get(pk=person.pk)
    loaded.full_clean()  # stored tokens are not re-validated as plaintext
    blank = person_model(data_key=new_data_key(), family_name="")
    with pytest.raises(Exception, match="family_name"):
        blank.full_clean()


def test_forms_see_plaintext_and_serializers_see_ciphertext(person_model):
    from django.core import serializers

    person = person_model.objects.create(
        data_key=new_data_key(), family_name="松本", birth_date=datetime.date(1975, 12, 24)
    )
    initial = model_to_dict(person)
    assert initial["family_name"] == "松本"
    assert initial["birth_date"] == "1975-12-24"
    dumped = serializers.serialize("json", [person])
    assert "松本" not in dumped
    assert "1975" not in dumped


def test_deconstruct_keeps_key_field_for_migrations():
    field = EncryptedTextField(key_field="sheet.data_key", blank=True)
    name, path, args, kwargs = field.deconstruct()
    assert path == "referral_hub.vault.fields.EncryptedTextField"
    assert kwargs["key_field"] == "sheet.data_key"
    rebuilt = EncryptedTextField(*args, **kwargs)
    assert rebuilt.key_field == "sheet.data_key"
    date_field = EncryptedDateField(key_field="data_key", null=True)
    assert date_field.deconstruct()[3] == {"key_field": "data_key", "null": True}


def test_encrypted_fields_refuse_indexes():
    with pytest.raises(ValueError):
        EncryptedTextField(key_field="data_key", unique=True)


def test_date_field_accepts_iso_strings(person_model):
    person = person_model.objects.create(
        data_key=new_data_key(), family_name="井上", birth_date="2001-02-03"
    )
    assert person_model.objects.get(pk=person.pk).birth_date == datetime.date(2001, 2, 3)


def test_data_key_is_unwrapped_once_per_instance(person_model, monkeypatch):
    from referral_hub.vault.keyring import KeyRing

    calls = []
    real_unwrap = KeyRing.unwrap

    def counting_unwrap(self, kek_id, wrapped, **kwargs):
        calls.append(kek_id)
        return real_unwrap(self, kek_id, wrapped, **kwargs)

    person = person_model.objects.create(
        data_key=new_data_key(), family_name="森", note="メモ", birth_date=datetime.date(1990, 1, 1)
    )
    monkeypatch.setattr(KeyRing, "unwrap", counting_unwrap)
    loaded = person_model.objects.select_related("data_key").get(pk=person.pk)
    assert (loaded.family_name, loaded.note, loaded.birth_date) == (
        "森",
        "メモ",
        datetime.date(1990, 1, 1),
    )
    assert loaded.family_name == "森"
    assert len(calls) == 1
