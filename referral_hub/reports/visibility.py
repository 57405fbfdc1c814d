"""Who sees which report figures. Reports hold counts only, never names, so they sit outside the
policy gate (``consent.policy`` decides about resident data); this module only decides the
*scope* of the counts.

- Desk leads (主任相談支援員), privacy officers, consultation staff and administrators see the
  whole municipality: watching delays and runaround across desks is their job, and the counts
  identify nobody.
- Front-line clerks see the figures of the sheets their own departments sent (the feedback that
  keeps them referring), not other departments' figures.
- Anyone else (no membership) sees nothing.

A user with several memberships gets the widest scope among them.
"""

from __future__ import annotations

from dataclasses import dataclass

from referral_hub.directory import roles
from referral_hub.directory.models import Role

MUNICIPALITY_WIDE_ROLES = (Role.LEAD, Role.PRIVACY_OFFICER, Role.CONSULTANT, Role.ADMIN)


@dataclass(frozen=True)
class ReportScope:
    """``department_ids`` is None for the whole municipality, else the departments whose sent
    sheets are counted."""

    department_ids: frozenset[int] | None

    @property
    def municipality_wide(self) -> bool:
        return self.department_ids is None

    def as_filter(self) -> set[int] | None:
        """The ``department_ids`` argument of ``figures.monthly_report``."""
        return None if self.department_ids is None else set(self.department_ids)


def report_scope(user: roles.User) -> ReportScope | None:
    """The scope of the figures ``user`` may see, or None when they may see none."""
    if roles.has_role(user, *MUNICIPALITY_WIDE_ROLES):
        return ReportScope(department_ids=None)
    departments = roles.department_ids(user)
    if departments:
        return ReportScope(department_ids=frozenset(departments))
    return None
