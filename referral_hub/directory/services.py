"""Write actions on the directory: sign-in with lock-out, API tokens and memberships.
Each writes its audit event in the same transaction."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from referral_hub.audit.log import record
from referral_hub.directory import roles
from referral_hub.directory.models import ApiToken, Department, Desk, LoginThrottle, Membership
from referral_hub.directory.tokens import create_token
from referral_hub.inbox.publish import disconnect_user


class SignInRefused(Exception):
    """Sign-in failed. ``code`` is ``invalid_credentials`` or ``locked_out``; the message never
    says which part of the credentials was wrong."""

    def __init__(self, code: str, locked_until=None) -> None:
        super().__init__(code)
        self.code = code
        self.locked_until = locked_until


def sign_in(request: HttpRequest | None, username: str, password: str) -> AbstractBaseUser:
    """Check credentials with lock-out after ``LOGIN_MAX_FAILURES`` failures in a row."""
    username = (username or "")[:150]
    now = timezone.now()
    throttle = LoginThrottle.objects.filter(username=username).first()
    if throttle and throttle.locked_until and throttle.locked_until > now:
        with transaction.atomic():
            record(
                "auth.login_refused",
                actor=None,
                target_type="user",
                refusal_code="locked_out",
                allowed=False,
                details={"username": username},
            )
        raise SignInRefused("locked_out", throttle.locked_until)

    user = authenticate(request, username=username, password=password)
    with transaction.atomic():
        if user is None:
            throttle, _ = LoginThrottle.objects.select_for_update().get_or_create(username=username)
            throttle.failures += 1
            throttle.last_failure_at = now
            if throttle.failures >= settings.LOGIN_MAX_FAILURES:
                throttle.locked_until = now + timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
                throttle.failures = 0
            throttle.save()
            record(
                "auth.login_failed",
                actor=None,
                target_type="user",
                allowed=False,
                refusal_code="invalid_credentials",
                details={"username": username},
            )
        else:
            LoginThrottle.objects.filter(username=username).delete()
            record(
                "auth.login",
                actor=user,
                actor_desk=roles.place_label(user),
                target_type="user",
                target_id=user.pk,
            )
    if user is None:
        locked = (
            throttle.locked_until if throttle.locked_until and throttle.locked_until > now else None
        )
        raise SignInRefused("locked_out" if locked else "invalid_credentials", locked)
    return user


def issue_token(user: AbstractBaseUser) -> tuple[str, ApiToken]:
    with transaction.atomic():
        key, token = create_token(user)
        record(
            "auth.token_issued",
            actor=user,
            actor_desk=roles.place_label(user),
            target_type="api_token",
            target_id=token.pk,
        )
    return key, token


def revoke_token(token: ApiToken, *, actor: AbstractBaseUser) -> None:
    with transaction.atomic():
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        record(
            "auth.token_revoked",
            actor=actor,
            actor_desk=roles.place_label(actor),
            target_type="api_token",
            target_id=token.pk,
        )


def add_membership(
    user: AbstractBaseUser,
    role: str,
    *,
    desk: Desk | None = None,
    department: Department | None = None,
    actor: AbstractBaseUser | None = None,
) -> Membership:
    with transaction.atomic():
        membership, created = Membership.objects.get_or_create(
            user=user, role=role, desk=desk, department=department
        )
        roles.sync_role_groups(user)
        if created:
            record(
                "directory.membership_added",
                actor=actor,
                target_type="membership",
                target_id=membership.pk,
                details={
                    "user": user.pk,
                    "role": role,
                    "desk": desk.code if desk else "",
                    "department": department.code if department else "",
                },
            )
    return membership


def remove_membership(membership: Membership, *, actor: AbstractBaseUser | None = None) -> None:
    with transaction.atomic():
        user = membership.user
        details = {
            "user": user.pk,
            "role": membership.role,
            "desk": membership.desk.code if membership.desk else "",
            "department": membership.department.code if membership.department else "",
        }
        membership_id = membership.pk
        membership.delete()
        roles.sync_role_groups(user)
        # Open sockets re-check at once; later events are fanned out by current membership only.
        disconnect_user(user.pk)
        record(
            "directory.membership_removed",
            actor=actor,
            target_type="membership",
            target_id=membership_id,
            details=details,
        )


def record_directory_change(actor: AbstractBaseUser, obj: object, verb: str) -> None:
    """Audit an admin change to a desk, department or concern (ids and codes only)."""
    record(
        f"directory.{verb}",
        actor=actor,
        actor_desk=roles.place_label(actor),
        target_type=type(obj).__name__.lower(),
        target_id=getattr(obj, "pk", ""),
        details={"code": getattr(obj, "code", "")},
    )
