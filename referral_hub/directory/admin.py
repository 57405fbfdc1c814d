"""Django admin for the directory. Membership changes go through the services so that role
groups stay in sync and every change is audited."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from referral_hub import account_lock
from referral_hub.directory import services
from referral_hub.directory.models import Concern, Department, Desk, Membership, Municipality
from referral_hub.signin.admin import reset_second_factors_of_members

admin.site.site_header = _("つなぐシート 管理")
admin.site.site_title = _("つなぐシート 管理")
admin.site.index_title = _("ディレクトリ管理")


class SignInServiceAdminLoginForm(AdminAuthenticationForm):
    """``/admin/login/`` signs in through ``services.sign_in`` like the login page and the API:
    the same lock-out and the same audit rows. Only then does the admin's own rule apply
    (staff accounts only)."""

    @sensitive_variables("password")
    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            try:
                self.user_cache = services.sign_in(self.request, username, password)
            except services.SignInRefused as refused:
                if refused.code == "locked_out":
                    raise ValidationError(
                        _(
                            "ログインの失敗が続いたため、しばらくログインできません。15分ほど待ってからもう一度お試しください。"
                        ),
                        code="locked_out",
                    ) from None
                raise self.get_invalid_login_error() from None
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


admin.site.login_form = SignInServiceAdminLoginForm


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
    list_display = ["code", "name", "name_en", "support_meeting_member", "is_active"]
    list_filter = ["support_meeting_member", "is_active"]
    search_fields = ["code", "name", "name_en"]


@admin.register(Desk)
class DeskAdmin(AuditedAdmin):
    list_display = [
        "code",
        "name",
        "name_en",
        "department",
        "external_organisation",
        "support_meeting_member",
        "is_active",
    ]
    list_filter = ["support_meeting_member", "is_active"]
    search_fields = ["code", "name", "name_en"]
    filter_horizontal = ["concerns"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "municipality",
                    "code",
                    "name",
                    "name_en",
                    "department",
                    "external_organisation",
                    "concerns",
                    "support_meeting_member",
                    "is_active",
                ]
            },
        ),
        (
            _("本人への案内(つなぎ先のご案内)に載せること"),
            {
                "fields": [
                    ("building", "floor", "room"),
                    "phone",
                    "office_hours",
                    "opening_hours",
                    "required_documents",
                    "languages_spoken",
                    "accessibility_notes",
                    ("temporary_notice", "temporary_notice_until"),
                ]
            },
        ),
    ]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        """The section chief (issue 20: the ladder's last rung) is chosen by name, among active
        accounts."""
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "section_chief" and field is not None:
            field.queryset = field.queryset.filter(is_active=True).order_by("last_name")
            field.label_from_instance = lambda user: (
                f"{user.last_name} {user.first_name}".strip() or user.username
            )
        return field


@admin.register(Concern)
class ConcernAdmin(AuditedAdmin):
    list_display = ["code", "name", "name_en", "sort_order", "emergency"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "desk", "department"]
    list_filter = ["role", "desk", "department"]
    search_fields = ["user__username"]
    # Issue 21: an administrator resets a person's lost second factor from here.
    actions = [reset_second_factors_of_members]

    def save_model(self, request, obj, form, change):
        try:
            self._save_membership(request, obj, change)
        except services.MembershipChangeRefused as refused:
            raise PermissionDenied from refused

    def _save_membership(self, request, obj, change):
        with transaction.atomic():
            if change:
                # A move is a removal and an addition: lock both holders' accounts (and the
                # administrator's) first, before either writes its audit row, so the move
                # keeps the lock order of docs/operations/locks.md.
                previous = Membership.objects.get(pk=obj.pk)
                account_lock.lock_for_change([previous.user_id, obj.user_id], actor=request.user.pk)
                services.remove_membership(previous, actor=request.user)
                obj.pk = None
            services.add_membership(
                obj.user, obj.role, desk=obj.desk, department=obj.department, actor=request.user
            )

    def delete_model(self, request, obj):
        self.delete_queryset(request, [obj])

    def delete_queryset(self, request, queryset):
        try:
            for obj in queryset:
                services.remove_membership(obj, actor=request.user)
        except services.MembershipChangeRefused as refused:
            raise PermissionDenied from refused
