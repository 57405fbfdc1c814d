"""Django admin for the directory. Membership changes go through the services so that role
groups stay in sync and every change is audited."""

from __future__ import annotations

from django.contrib import admin
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from referral_hub.directory import services
from referral_hub.directory.models import Concern, Department, Desk, Membership, Municipality

admin.site.site_header = _("つなぐシート 管理")
admin.site.site_title = _("つなぐシート 管理")
admin.site.index_title = _("ディレクトリ管理")


class AuditedAdmin(admin.ModelAdmin):
    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            services.record_directory_change(request.user, obj, "changed" if change else "added")

    def delete_model(self, request, obj):
        with transaction.atomic():
            services.record_directory_change(request.user, obj, "deleted")
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(Municipality)
class MunicipalityAdmin(AuditedAdmin):
    list_display = ["code", "name"]


@admin.register(Department)
class DepartmentAdmin(AuditedAdmin):
    list_display = ["code", "name", "support_meeting_member", "is_active"]
    list_filter = ["support_meeting_member", "is_active"]
    search_fields = ["code", "name"]


@admin.register(Desk)
class DeskAdmin(AuditedAdmin):
    list_display = [
        "code",
        "name",
        "department",
        "external_organisation",
        "support_meeting_member",
        "is_active",
    ]
    list_filter = ["support_meeting_member", "is_active"]
    search_fields = ["code", "name"]
    filter_horizontal = ["concerns"]


@admin.register(Concern)
class ConcernAdmin(AuditedAdmin):
    list_display = ["code", "name", "sort_order", "emergency"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "desk", "department"]
    list_filter = ["role", "desk", "department"]
    search_fields = ["user__username"]

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            if change:
                services.remove_membership(Membership.objects.get(pk=obj.pk), actor=request.user)
                obj.pk = None
            services.add_membership(
                obj.user, obj.role, desk=obj.desk, department=obj.department, actor=request.user
            )

    def delete_model(self, request, obj):
        services.remove_membership(obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            services.remove_membership(obj, actor=request.user)
