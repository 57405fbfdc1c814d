"""Signals the audit app sends; other apps connect receivers without the audit app knowing them.

``disclosure_flagged(sender=DisclosureReview, review=<DisclosureReview>)`` is sent when the
privacy officer flags a disclosure made without consent, inside the decision's transaction,
so a receiver's writes (e.g. notifying the desk lead) commit or roll back with it.
"""

from django.dispatch import Signal

disclosure_flagged = Signal()
