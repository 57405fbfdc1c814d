"""Read-only admin pages: the audit log is evidence, so nobody adds, changes or deletes it."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from referral_hub.audit.models import AuditEvent, DisclosureReview


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in self.model._meta.fields]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = [
        "seq",
        "at",
        "action",
        "allowed",
        "actor_username",
        "actor_desk",
        "resident_id",
        "legal_basis",
    ]
    list_filter = ["allowed", "legal_basis", "action"]
    search_fields = ["action", "actor_username", "actor_desk", "target_id", "request_id"]
    date_hierarchy = "at"
    show_full_result_count = False


@admin.register(DisclosureReview)
class DisclosureReviewAdmin(ReadOnlyAdmin):
    list_display = ["id", "event", "status", "decided_by", "decided_at"]
    list_filter = ["status"]
    list_select_related = ["event", "decided_by"]
