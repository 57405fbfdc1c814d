"""The signed consent form (同意書), scanned and stored encrypted like a sheet attachment.
Privacy officers can open it when they review a consent; every read is audited."""

from __future__ import annotations

from collections.abc import Iterator

from django.core.files.uploadedfile import UploadedFile

from referral_hub.audit.log import record
from referral_hub.consent import locks as consent_locks
from referral_hub.consent import policy
from referral_hub.consent.models import ConsentEvidence
from referral_hub.consent.refusals import gated
from referral_hub.directory import roles
from referral_hub.directory.actors import Actor
from referral_hub.vault.staging import Observer, stage_upload
from referral_hub.vault.storage import open_decrypted, verify_encrypted


class EvidenceNotFound(Exception):
    pass


def attach_evidence(
    actor: Actor,
    consent_id: int,
    upload: UploadedFile,
    *,
    max_bytes: int,
    observe: Observer | None = None,
) -> ConsentEvidence:
    """Store the scanned consent form: encrypted into storage first, outside any transaction,
    then recorded in one short transaction (the audit chain is locked only for its append).

    Who may: ``policy.authorize_consent(..., "consent.evidence_add")`` (the place that recorded
    the consent, not after withdrawal). Raises ``Refused`` (recorded), ``AttachmentTooLarge`` or
    ``ContentTypeRefused``; nothing stays in storage when it raises."""
    staged = stage_upload(upload, max_bytes=max_bytes, observe=observe)
    with staged.kept_only_if_recorded(), gated() as gate:
        # Decided on the locked row: a withdrawal cannot slip in between.
        consent_locks.share_consent(consent_id)
        decision, consent = policy.authorize_consent(actor, consent_id, "consent.evidence_add")
        gate(decision)
        blob = staged.blob
        evidence = ConsentEvidence.objects.create(
            consent=consent, uploaded_by=actor, **staged.record_fields()
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
                "content_type": staged.content_type,
            },
        )
    return evidence


def open_evidence(actor: Actor, evidence_id: int) -> tuple[ConsentEvidence, Iterator[bytes]]:
    """Verified plaintext of the signed form, for a privacy officer (the read is recorded)."""
    evidence = (
        ConsentEvidence.objects.select_related("consent", "data_key").filter(pk=evidence_id).first()
    )
    if evidence is None:
        raise EvidenceNotFound()
    with gated(batch=False) as gate:
        gate(policy.authorize_evidence_read(actor, evidence.consent, evidence.pk))
    verify_encrypted(evidence.storage_name, evidence.data_key)
    return evidence, open_decrypted(evidence.storage_name, evidence.data_key)
