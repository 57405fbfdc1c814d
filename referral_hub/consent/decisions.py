"""What the gate answers (``Decision``) and what it knows about a sheet (``SheetFacts``),
shared by the gate's modules (``policy``, ``relationships``, ``to_sender``). Import them from
``consent.policy``; this module exists so the gate's parts need not import each other in a cycle.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from referral_hub.audit.models import AuditEvent
from referral_hub.consent import refusal_texts

# Purposes where the actor receives the data as a member of ``recipient_desk``.
READ_PURPOSES = frozenset({"sheet.read", "attachment.read", "attachment.upload", "resident.read"})
# Purposes where the actor sends the data to ``recipient_desk``.
SEND_PURPOSES = frozenset({"sheet.send", "sheet.resend", "sheet.redirect", "attachment.send"})
# The sender's view of what the desk did (case notes, messages from the desk).
FEEDBACK_PURPOSE = "sheet.feedback"

# The texts of refusals live in ``refusal_texts`` (translatable, shared by the API and pages);
# re-exported here because callers know them as the gate's messages.
MESSAGES = refusal_texts.MESSAGES
PURPOSE_MESSAGES = refusal_texts.PURPOSE_MESSAGES


@dataclass(frozen=True)
class Decision:
    allowed: bool
    basis: str
    purpose: str
    code: str = ""
    categories: frozenset[str] = field(default_factory=frozenset)
    consent_id: int | None = None
    detail: str = ""
    # The audit row that recorded this decision (pending inside ``audit.log.batched()``), so a
    # send can name the sheet it created as the row's target (``audit.log.retarget``).
    event: AuditEvent | None = field(default=None, compare=False, repr=False)

    @property
    def message(self) -> str:
        text = refusal_texts.text(self.purpose, self.code)
        return f"{text} ({self.detail})" if self.detail else text


@dataclass(frozen=True)
class SheetFacts:
    """What the gate needs to know about a sheet, without importing the handoffs app."""

    sheet_id: int
    resident_id: int
    owner_desk_id: int
    sender_id: int
    sender_department_id: int | None
    sender_desk_id: int | None
    previous_desk_ids: frozenset[int] = frozenset()
    redirect_count: int = 0


# After this many redirects a further one needs a lead: runaround (たらい回し) is happening.
REDIRECTS_BEFORE_LEAD = 2


def _refuse(
    purpose: str,
    basis: str,
    code: str,
    categories: frozenset[str],
    detail: str = "",
    consent_id: int | None = None,
) -> Decision:
    return Decision(False, basis, purpose, code, categories, consent_id, detail)
