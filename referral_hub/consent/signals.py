"""Signals the consent app sends; the handoffs app listens (dependencies point downward)."""

from django.dispatch import Signal

# Sent inside the withdrawal's transaction with ``consent_id``; receivers notify open views.
consent_withdrawn = Signal()
