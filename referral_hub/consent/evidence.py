"""The signed consent form (同意書), scanned and stored encrypted like a sheet attachment.
Privacy officers can open it when they review a consent; every read is audited."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from referral_hub.audit.log import record
from referral_hub.consent import policy
from referral_hub.consent.models import Consent, ConsentEvidence
from referral_hub.consent.services import Refused
from referral_hub.directory import roles
from referral_hub.vault.active_content import accepted_content_type
from referral_hub.vault.errors import AttachmentTooLarge
from referral_hub.vault.filenames import sanitize_filename
from referral_hub.vault.keys import new_data_key
from referral_hub.vault.storage import (
    delete_stored,
    open_decrypted,
    store_encrypted,
    verify_encrypted,
)


class EvidenceNotFound(Exception):
    pass


def attach_evidence(
    actor: Any, consent_id: int, upload: UploadedFile, *, max_bytes: int
) -> ConsentEvidence:
    if upload.size is not None and upload.size > max_bytes:
        raise AttachmentTooLarge(max_bytes)
    content_type = accepted_content_type(upload)  # type: ignore[arg-type]
    filename = sanitize_filename(upload.name or "", content_type=content_type)
    stored_name = ""
    try:
        with transaction.atomic():
            consent = Consent.objects.select_for_update().filter(pk=consent_id).first()
            if consent is None:
                raise EvidenceNotFound()
            decision = policy.authorize_registration(actor, "consent.evidence_add")
            if decision.allowed:
                data_key = new_data_key()
                upload.seek(0)
                blob = store_encrypted(upload, data_key, max_bytes=max_bytes)  # type: ignore[arg-type]
                stored_name = blob.name
                evidence = ConsentEvidence.objects.create(  # type: ignore[misc]
                    consent=consent,
                    data_key=data_key,
                    filename=filename,
                    content_type=content_type,
                    size=blob.size,
                    sha256=blob.sha256,
                    storage_name=blob.name,
                    uploaded_by=actor,
                )
                record(
                    "consent.evidence_added",
                    actor=actor,
                    actor_desk=roles.place_label(actor),
                    target_type="consent_evidence",
                    target_id=evidence.pk,
                    resident_id=consent.resident_id,
                    details={
                        "consent": consent.pk,
                        "size": blob.size,
                        "content_type": content_type,
                    },
                )
    except BaseException:
        if stored_name:
            delete_stored(stored_name)
        raise
    if not decision.allowed:
        raise Refused(decision)
    return evidence


def open_evidence(actor: Any, evidence_id: int) -> tuple[ConsentEvidence, Iterator[bytes]]:
    """Verified plaintext of the signed form, for a privacy officer (the read is recorded)."""
    evidence = (
        ConsentEvidence.objects.select_related("consent", "data_key").filter(pk=evidence_id).first()
    )
    if evidence is None:
        raise EvidenceNotFound()
    with transaction.atomic():
        decision = policy.authorize_evidence_read(actor, evidence.consent, evidence.pk)
    if not decision.allowed:
        raise Refused(decision)
    verify_encrypted(evidence.storage_name, evidence.data_key)
    return evidence, open_decrypted(evidence.storage_name, evidence.data_key)
