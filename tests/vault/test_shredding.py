"""Crypto-shredding: once a data key is destroyed its data is gone, cleanly."""

from __future__ import annotations

import pickle

import pytest

from referral_hub.vault.errors import Shredded
from referral_hub.vault.keys import new_data_key, shred, unwrap_data_key
from referral_hub.vault.models import DEK_CACHE_ATTR, DataKey

pytestmark = pytest.mark.django_db


def test_new_data_key_is_saved_and_wrapped_by_active_key():
    data_key = new_data_key()
    stored = DataKey.objects.get(pk=data_key.pk)
    assert stored.kek_id == "a"
    assert len(bytes(stored.wrapped)) == 40  # AES-KW of 32 bytes
    assert len(unwrap_data_key(stored)) == 32
    assert unwrap_data_key(stored) == unwrap_data_key(data_key)


def test_data_keys_are_distinct():
    assert unwrap_data_key(new_data_key()) != unwrap_data_key(new_data_key())


def test_shred_destroys_wrapped_key(person_model):
    person = person_model.objects.create(data_key=new_data_key(), family_name="山田")
    shred(person.data_key)
    stored = DataKey.objects.get(pk=person.data_key_id)
    assert stored.wrapped is None
    assert stored.shredded_at is not None
    assert stored.is_shredded


def test_reading_after_shred_raises_shredded_on_fresh_and_same_instance(person_model):
    person = person_model.objects.create(data_key=new_data_key(), family_name="山田")
    assert person.family_name == "山田"
    shred(person.data_key)
    with pytest.raises(Shredded):
        person.family_name
    with pytest.raises(Shredded):
        person_model.objects.get(pk=person.pk).family_name


def test_refreshed_key_instance_notices_shredding_elsewhere():
    data_key = new_data_key()
    unwrap_data_key(data_key)  # cached
    shred(DataKey.objects.get(pk=data_key.pk))
    data_key.refresh_from_db()
    with pytest.raises(Shredded):
        unwrap_data_key(data_key)


def test_shred_is_idempotent():
    data_key = new_data_key()
    shred(data_key)
    first = data_key.shredded_at
    shred(data_key)
    assert DataKey.objects.get(pk=data_key.pk).is_shredded
    assert data_key.shredded_at == first


def test_unwrapped_key_cache_never_crosses_rows():
    a = new_data_key()
    b = DataKey.objects.get(pk=new_data_key().pk)
    dek_a = unwrap_data_key(a)
    # Same Python object reused for another row (pk and wrapped reassigned).
    a.pk, a.wrapped, a.kek_id = b.pk, b.wrapped, b.kek_id
    assert unwrap_data_key(a) == unwrap_data_key(b) != dek_a


def test_unwrapped_key_is_not_pickled():
    data_key = new_data_key()
    unwrap_data_key(data_key)
    clone = pickle.loads(pickle.dumps(data_key))
    assert DEK_CACHE_ATTR not in clone.__dict__
    assert DEK_CACHE_ATTR in data_key.__dict__
