"""Check a disclosure package's completeness proof against the audit log.

A package (its JSON form) names a signed checkpoint ``(seq, head, key_id)`` and lists every
disclosure event it was drawn from as ``(seq, hash)``. It checks when:

1. a line of the checkpoint file with that seq, head and key verifies under the trusted keys
   (``audit.checkpoints``), and the chain verifies up to it (``audit.verify.verify_chain``);
2. each listed event still has the listed hash, and its fields still hash to it (an altered
   row does not);
3. the log holds no other disclosure of the resident in the package's period up to that seq
   (nothing was left out), and ``rows_sha256`` matches the list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from referral_hub.audit.checkpoints import read_checkpoints
from referral_hub.audit.models import AuditEvent
from referral_hub.audit.verify import verify_chain
from referral_hub.rights.models import RightsRequest
from referral_hub.rights.package import rows_digest, scoped_events


@dataclass(frozen=True)
class ProofResult:
    ok: bool
    reason: str = ""


def check_package(package: dict[str, Any]) -> ProofResult:
    proof = package.get("proof") or {}
    checkpoint = proof.get("checkpoint") or {}
    seq, head, key = checkpoint.get("seq"), checkpoint.get("head"), checkpoint.get("key_id")
    request_id = package.get("request")
    if not isinstance(seq, int) or not isinstance(request_id, int):
        return ProofResult(False, "the package names no checkpoint or request")
    signed = any(
        line.checkpoint is not None
        and (line.checkpoint.seq, line.checkpoint.head, line.checkpoint.key_id) == (seq, head, key)
        for line in read_checkpoints()
    )
    if not signed:
        return ProofResult(False, f"no verified checkpoint with seq {seq} and this head")
    chain = verify_chain()
    if not chain.ok:
        return ProofResult(False, f"the audit chain does not verify at seq {chain.first_bad_seq}")
    listed = [(int(item["seq"]), str(item["hash"])) for item in proof.get("listed", [])]
    if rows_digest(listed) != proof.get("rows_sha256"):
        return ProofResult(False, "rows_sha256 does not match the listed records")
    stored = {e.seq: e for e in AuditEvent.objects.filter(seq__in=[s for s, _ in listed])}
    for listed_seq, listed_hash in listed:
        event = stored.get(listed_seq)
        if event is None or event.hash != listed_hash or event.computed_hash() != listed_hash:
            return ProofResult(False, f"record {listed_seq} differs from the audit log")
    request = RightsRequest.objects.filter(pk=request_id).first()
    if request is None:
        return ProofResult(False, "the package names no known request")
    expected = {e.seq for e in scoped_events(request, seq)}
    if expected != {s for s, _ in listed}:
        missing = sorted(expected - {s for s, _ in listed})
        return ProofResult(False, f"records missing from the package: {missing[:10]}")
    return ProofResult(True)
