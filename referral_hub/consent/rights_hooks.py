"""What the residents' rights desk tells the gate and the retention run (issue 18).

The rights app (``referral_hub.rights``) sits above consent and handoffs; these two sources are
registered by it at start-up (``rights.apps``), the way handoffs registers where open sheets
are (``relationships.register_open_sheet_places``), so consent and handoffs never import it.

- **Suspension of use** (利用停止, 個人情報保護法 第98条): while a resident's use is suspended,
  the gate refuses every disclosure about them with ``use_suspended``, on every legal basis
  except ``vital_interest`` (a life in danger still comes first).
- **Legal hold**: a pending rights request, and a period after its decision
  (``RIGHTS_LEGAL_HOLD_DAYS``), keeps ``apply_retention`` away from the resident's data: the
  information the resident asked about must exist until the request and any review (審査請求,
  行政不服審査法 第18条) can be answered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from referral_hub.consent.categories import Basis
from referral_hub.consent.decisions import Decision, _refuse

USE_SUSPENDED = "use_suspended"


def _nobody_suspended(resident_id: int) -> bool:
    return False


def _nothing_held(resident_ids: Iterable[int]) -> dict[int, str]:
    return {}


_is_suspended: Callable[[int], bool] = _nobody_suspended
_holds: Callable[[Iterable[int]], dict[int, str]] = _nothing_held


def register_use_suspension(source: Callable[[int], bool]) -> None:
    """``source(resident_id)`` is True while the resident's use is suspended."""
    global _is_suspended
    _is_suspended = source


def register_legal_hold(source: Callable[[Iterable[int]], dict[int, str]]) -> None:
    """``source(resident_ids)`` maps each held resident id to the reason (ids and codes only,
    e.g. ``"rights_request:12:pending"``)."""
    global _holds
    _holds = source


def is_use_suspended(resident_id: int) -> bool:
    return _is_suspended(resident_id)


def suspension_refusal(
    resident_id: int, purpose: str, basis: str, wanted: frozenset[str]
) -> Decision | None:
    """The gate's refusal while the resident's use is suspended, or None. ``vital_interest``
    passes: suspension of use does not stop help to a person in danger."""
    if basis == Basis.VITAL_INTEREST or not _is_suspended(resident_id):
        return None
    return _refuse(purpose, basis, USE_SUSPENDED, wanted)


def legal_holds(resident_ids: Iterable[int]) -> dict[int, str]:
    """Resident id -> why retention must not touch them now."""
    ids = [pk for pk in resident_ids if pk is not None]
    return _holds(ids) if ids else {}
