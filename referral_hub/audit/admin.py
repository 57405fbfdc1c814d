"""The audit log is not in the Django admin.

Audit events and disclosure reviews are read on the privacy officer's pages and API
(``/privacy/...``, ``/api/v1/audit/...``), which check ``audit.view_auditevent`` and audit
every read. The admin would show the same rows without an audit row of its own (issue 13,
input 6), so neither model is registered here; the admin index has no 監査 section.
"""
