"""The person the gate decides for: a signed-in staff member.

Referral Hub uses Django's own ``User`` (``AUTH_USER_MODEL`` is not swapped); what the person may
do comes from their current ``Membership`` rows (``directory.roles``), never from the user row
itself. ``Actor`` is the name the gate and the services use for that parameter, so a reader (and
mypy) knows an anonymous user or a bare id is not accepted there.
"""

from __future__ import annotations

from django.contrib.auth.models import User

Actor = User

__all__ = ["Actor"]
