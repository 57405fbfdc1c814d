"""The admin: reset a user's second factors (a lost phone or key), and the factor records.

The admin's login is the same sign-in: ``/admin/login/`` checks the password through
``directory.services.sign_in`` and the middleware then asks for the factor at
``/login/factor/`` before any admin page opens.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from referral_hub.signin.services import reset_factors

User = get_user_model()


@admin.action(description=_("2段階認証をリセット(登録済みの要素を削除し、ログインを終了)"))
def reset_second_factors(modeladmin: Any, request: HttpRequest, queryset: QuerySet) -> None:
    for user in queryset:
        reset_factors(user, actor=request.user)
    modeladmin.message_user(
        request,
        _("%(n)d 人の2段階認証をリセットしました。") % {"n": queryset.count()},
        messages.SUCCESS,
    )


@admin.action(
    description=_("この職員の2段階認証をリセット(登録済みの要素を削除し、ログインを終了)"),
    permissions=["change"],
)
def reset_second_factors_of_members(
    modeladmin: Any, request: HttpRequest, queryset: QuerySet
) -> None:
    """The same reset from 「所属」, where the administrator role works (it has no user
    permissions): one reset per person, however many memberships were ticked."""
    users = User._default_manager.filter(pk__in=queryset.values("user_id"))
    for user in users:
        reset_factors(user, actor=request.user)
    modeladmin.message_user(
        request,
        _("%(n)d 人の2段階認証をリセットしました。") % {"n": users.count()},
        messages.SUCCESS,
    )


class UserWithFactorsAdmin(UserAdmin):
    actions = [reset_second_factors]


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, UserWithFactorsAdmin)
