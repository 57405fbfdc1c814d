"""How a service stops at the gate's refusal: one construct instead of a check in every action.

A refusal is a decision too: the gate has recorded it (``audit.log.record``), and that row must
commit even though the action stops. So a service cannot simply raise inside its transaction.
``gated()`` opens the action's transaction (``transaction.atomic()`` with ``audit.log.batched()``
innermost, as ``batched`` requires), hands out a ``Gate``, and when a decision passed to the gate
is refused it ends the block normally, so the transaction commits with the refusal recorded,
and only then raises ``Refused``::

    with gated() as gate:
        sheet = lock(sheet_id)
        gate(policy.authorize_action(actor, "close", facts_of(sheet)))
        ...  # state change, audit row, inbox events: reached only when allowed
    return sheet

Any other exception raised in the block propagates through ``atomic()`` and rolls everything
back, as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import TypeVar

from django.db import transaction

from referral_hub.audit.log import batched
from referral_hub.consent.decisions import Decision

D = TypeVar("D", bound=Decision)


class _Stop(Exception):
    """Carries a refused decision from the gate to the end of its ``gated()`` block."""

    def __init__(self, decision: Decision) -> None:
        super().__init__(decision.code)
        self.decision = decision


class Gate:
    """Pass each of the gate's decisions through it: an allowed one is returned, a refused one
    ends the ``gated()`` block (the transaction commits with the refusal recorded)."""

    def __call__(self, decision: D) -> D:
        if not decision.allowed:
            raise _Stop(decision)
        return decision


def _refused(decision: Decision) -> Exception:
    # consent.services defines the error and imports this module, so look it up when raising.
    from referral_hub.consent.services import Refused

    return Refused(decision)


@contextmanager
def gated(*, batch: bool = True) -> Iterator[Gate]:
    """One action's transaction, ended by the gate's refusal; see the module docstring.

    ``batch=False`` for a read decided in its own short transaction without chaining a batch
    (the decision row is appended at once). Raises ``Refused`` after the commit when a decision
    passed to the gate was refused."""
    refusal: Decision | None = None
    with transaction.atomic(), batched() if batch else nullcontext():
        try:
            yield Gate()
        except _Stop as stop:
            refusal = stop.decision
    if refusal is not None:
        raise _refused(refusal)


def require_allowed(decision: D) -> D:
    """For a decision taken outside a transaction (the gate has recorded it already): returns
    it when allowed, else raises ``Refused``."""
    if not decision.allowed:
        raise _refused(decision)
    return decision
