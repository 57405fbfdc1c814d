"""Exactly once from the user's point of view: idempotency keys and form nonces (issue 14)."""
