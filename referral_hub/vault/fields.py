"""Model fields whose column holds only ciphertext (DESIGN.md invariant 7).

``family_name = EncryptedTextField(key_field="data_key")`` gives the model:

* ``resident.family_name``: the plaintext, decrypted on each access with the row's data
  key (the unwrapped key is cached on the DataKey instance, so only the first access per
  data key pays for the unwrap). Assigning plaintext marks it for encryption on save.
* ``resident.family_name_ciphertext``: the stored token; this is also the column name, and
  what ``.values()`` / ``.values_list()`` return. Attribute access is the public way to
  read plaintext.

Tokens are ``base64(version ‖ 12-byte nonce ‖ AES-256-GCM ciphertext)`` with associated
data binding the model label, field name and data key id, so a value copied to another
field or to a row with another data key fails with ``IntegrityFailure``. Rows that share a
data key (e.g. the messages of one sheet) share that scope. Re-wrapping the data key
(key rotation) leaves tokens untouched. The empty string is stored as an empty column
value: a token's length reveals emptiness anyway, and it lets migrations add blank fields.

Encrypted columns cannot be searched: filtering or ``update()`` with a plaintext value
raises ``VaultError`` (use ``blind_index`` for lookups). ``bulk_update`` of freshly
assigned values and ``loaddata`` are not supported; save instances one by one.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django import forms
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

from referral_hub.vault.errors import IntegrityFailure, VaultError
from referral_hub.vault.keys import unwrap_data_key
from referral_hub.vault.models import DataKey

TOKEN_VERSION = 1
NONCE_BYTES = 12
_AD_PREFIX = b"referral-hub/vault/field/v1"


class Ciphertext(str):
    """A token as stored in the database (never plaintext)."""

    __slots__ = ()


class PendingPlaintext:
    """Plaintext assigned to an encrypted field, to be encrypted by ``pre_save``."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:  # keep plaintext out of logs and tracebacks
        return "<PendingPlaintext>"


class _PlaintextAttribute:
    """Descriptor at the field's name: decrypts on read, marks plaintext on write."""

    def __init__(self, field: EncryptedFieldMixin) -> None:
        self.field = field

    def __get__(self, instance: models.Model | None, owner: type | None = None) -> Any:
        if instance is None:
            return self
        # Going through the attname descriptor loads a deferred column when needed.
        stored = getattr(instance, self.field.attname)
        return self.field.decrypt_stored(instance, stored)

    def __set__(self, instance: models.Model, value: Any) -> None:
        instance.__dict__[self.field.attname] = None if value is None else PendingPlaintext(value)


class EncryptedFieldMixin(models.Field):
    """Shared behaviour; concrete fields combine it with a Django field for the Python side."""

    def __init__(self, *args: Any, key_field: str, **kwargs: Any) -> None:
        if not key_field:
            raise ValueError("key_field names the DataKey relation, e.g. key_field='data_key'")
        if kwargs.get("unique") or kwargs.get("primary_key") or kwargs.get("db_index"):
            raise ValueError("encrypted fields cannot be unique or indexed; use blind_index")
        self.key_field = key_field
        super().__init__(*args, **kwargs)

    # --- Python <-> bytes, defined by each concrete field ------------------------------
    def plaintext_to_bytes(self, value: Any) -> bytes:
        raise NotImplementedError

    def plaintext_from_bytes(self, data: bytes) -> Any:
        raise NotImplementedError

    empty_value: Any = ""

    # --- Django plumbing ---------------------------------------------------------------
    def get_attname(self) -> str:
        return f"{self.name}_ciphertext"

    def get_internal_type(self) -> str:
        return "TextField"

    def db_type(self, connection: BaseDatabaseWrapper) -> str | None:
        return models.TextField().db_type(connection)

    def contribute_to_class(  # type: ignore[override]
        self, cls: type[models.Model], name: str, **kwargs: Any
    ) -> None:
        super().contribute_to_class(cls, name, **kwargs)
        setattr(cls, self.name, _PlaintextAttribute(self))

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["key_field"] = self.key_field
        return name, path, args, kwargs

    def get_default(self) -> Any:
        value = super().get_default()
        return None if value is None else PendingPlaintext(value)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Ciphertext | None:
        return None if value is None else Ciphertext(value)

    def get_prep_value(self, value: Any) -> Any:
        if isinstance(value, PendingPlaintext) and value.value in ("", None):
            value = "" if value.value == "" else None
        if value is None or value == "" or isinstance(value, Ciphertext):
            return None if value is None else str(value)
        raise VaultError(
            f"{self.model._meta.label}.{self.name} is encrypted: it cannot be filtered, "
            "updated in bulk or saved raw with a plaintext value; assign the attribute and "
            "call save(), and use blind_index() for lookups"
        )

    def get_db_prep_value(
        self, value: Any, connection: BaseDatabaseWrapper, prepared: bool = False
    ) -> Any:
        return self.get_prep_value(value)

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        stored = getattr(model_instance, self.attname)
        if isinstance(stored, PendingPlaintext):
            stored = self.encrypt_for(model_instance, stored.value)
            model_instance.__dict__[self.attname] = stored
        elif isinstance(stored, str) and not isinstance(stored, Ciphertext):
            stored = Ciphertext(stored)  # a token assigned to the *_ciphertext attribute
        return stored

    def clean(self, value: Any, model_instance: models.Model | None) -> Any:
        # full_clean() hands us the stored value: validate plaintext, trust loaded tokens.
        if isinstance(value, PendingPlaintext):
            return PendingPlaintext(super().clean(value.value, model_instance))
        if value is None:
            return super().clean(value, model_instance)
        return value

    def value_from_object(self, obj: models.Model) -> Any:
        # Forms (model_to_dict) want plaintext.
        return getattr(obj, self.name)

    def value_to_string(self, obj: models.Model) -> str:
        # Serializers (dumpdata) get the token, never plaintext.
        stored = getattr(obj, self.attname)
        if isinstance(stored, PendingPlaintext):
            stored = self.encrypt_for(obj, stored.value)
        return "" if stored is None else str(stored)

    # --- encryption --------------------------------------------------------------------
    def data_key_for(self, instance: models.Model) -> DataKey:
        obj: Any = instance
        for part in self.key_field.split("."):
            obj = getattr(obj, part, None)
            if obj is None:
                raise VaultError(
                    f"{self.model._meta.label}.{self.name}: {self.key_field} is not set; "
                    "create the data key (new_data_key()) before storing protected data"
                )
        if not isinstance(obj, DataKey):
            raise VaultError(
                f"{self.model._meta.label}.{self.name}: key_field {self.key_field!r} "
                f"leads to {type(obj).__name__}, not a vault DataKey"
            )
        return obj

    def _associated_data(self, data_key: DataKey) -> bytes:
        label = f"{self.model._meta.label_lower}.{self.name}"
        return b"|".join((_AD_PREFIX, label.encode(), str(data_key.pk).encode()))

    def encrypt_for(self, instance: models.Model, value: Any) -> Ciphertext | None:
        value = self.to_python(value)
        if value is None:
            return None
        if value == "":
            return Ciphertext("")
        data_key = self.data_key_for(instance)
        aead = AESGCM(unwrap_data_key(data_key))
        nonce = os.urandom(NONCE_BYTES)
        sealed = aead.encrypt(
            nonce, self.plaintext_to_bytes(value), self._associated_data(data_key)
        )
        token = bytes([TOKEN_VERSION]) + nonce + sealed
        return Ciphertext(base64.b64encode(token).decode("ascii"))

    def decrypt_stored(self, instance: models.Model, stored: Any) -> Any:
        if stored is None:
            return None
        if isinstance(stored, PendingPlaintext):
            return stored.value
        if stored == "":
            return self.empty_value
        data_key = self.data_key_for(instance)
        key = unwrap_data_key(data_key)
        where = f"{self.model._meta.label}.{self.name} (data key {data_key.pk})"
        try:
            token = base64.b64decode(str(stored), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise IntegrityFailure(f"{where}: stored value is not a vault token") from exc
        if len(token) < 1 + NONCE_BYTES + 16 or token[0] != TOKEN_VERSION:
            raise IntegrityFailure(f"{where}: unknown token version or truncated token")
        nonce, sealed = token[1 : 1 + NONCE_BYTES], token[1 + NONCE_BYTES :]
        try:
            data = AESGCM(key).decrypt(nonce, sealed, self._associated_data(data_key))
        except InvalidTag as exc:
            raise IntegrityFailure(
                f"{where}: ciphertext failed authentication (altered, or copied from "
                "another row or field)"
            ) from exc
        return self.plaintext_from_bytes(data)


class EncryptedTextField(EncryptedFieldMixin, models.TextField):
    """Encrypted free text: names, kana, address, phone, summaries, notes, messages."""

    def plaintext_to_bytes(self, value: Any) -> bytes:
        return str(value).encode("utf-8")

    def plaintext_from_bytes(self, data: bytes) -> str:
        return data.decode("utf-8")


class EncryptedDateField(EncryptedFieldMixin, models.DateField):
    """Encrypted calendar date (birth date); stored as an encrypted ISO date."""

    empty_value = None

    def __init__(self, *args: Any, key_field: str, **kwargs: Any) -> None:
        if kwargs.get("auto_now") or kwargs.get("auto_now_add"):
            raise ValueError("EncryptedDateField does not support auto_now / auto_now_add")
        super().__init__(*args, key_field=key_field, **kwargs)

    def to_python(self, value: Any) -> Any:
        if value == "":
            return None
        return super().to_python(value)

    def plaintext_to_bytes(self, value: Any) -> bytes:
        return value.isoformat().encode("ascii")

    def plaintext_from_bytes(self, data: bytes) -> datetime.date:
        try:
            return datetime.date.fromisoformat(data.decode("ascii"))
        except ValueError as exc:
            raise IntegrityFailure("decrypted birth date is not an ISO date") from exc

    def value_from_object(self, obj: models.Model) -> Any:
        # An ISO string rather than a date: Django serializers pass date objects through
        # as-is (plaintext in dumpdata) but route strings through value_to_string (token).
        # Forms accept the ISO string as initial data just the same.
        value = getattr(obj, self.name)
        return value.isoformat() if isinstance(value, datetime.date) else value

    def formfield(self, **kwargs: Any) -> Any:
        return super().formfield(**{"form_class": forms.DateField, **kwargs})
