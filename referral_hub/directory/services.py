"""Write actions on the directory: sign-in with lock-out, API tokens and memberships.
Each writes its audit event in the same transaction, except a failed sign-in: its count
commits first, on its own, so that nothing (not even its audit row) can undo it."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac

from referral_hub import account_lock
from referral_hub.audit.log import record
from referral_hub.directory import roles
from referral_hub.directory.models import ApiToken, Department, Desk, LoginThrottle, Membership
from referral_hub.directory.tokens import create_token
from referral_hub.domain_errors import DomainError
from referral_hub.inbox.publish import disconnect_user
from referral_hub.signin.factors import has_factor


class SignInRefused(Exception):
    """Sign-in failed. ``code`` is ``invalid_credentials`` or ``locked_out``; the message never
    says which part of the credentials was wrong."""

    def __init__(self, code: str, locked_until: datetime | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.locked_until = locked_until


_THROTTLE_SALT = "referral_hub.directory.services.throttle_key"


def throttle_key(username: str) -> str:
    """The ``LoginThrottle`` key of a typed username: 64 hex characters (HMAC-SHA256 with
    ``SECRET_KEY``), so the table never holds what was typed."""
    return salted_hmac(_THROTTLE_SALT, username, algorithm="sha256").hexdigest()


def sign_in(request: HttpRequest | None, username: str, password: str) -> AbstractBaseUser:
    """Check credentials with lock-out after ``LOGIN_MAX_FAILURES`` failures in a row.

    The one sign-in path: the login page, ``POST /api/v1/auth/token/`` and ``/admin/login/``
    all call it. Every attempt is audited (``auth.login``, ``auth.login_failed``,
    ``auth.login_refused``; ``auth.password_ok`` with details ``{"factor_pending": true}`` for a
    user with a second factor, whose sign-in completes only with ``mfa.verified``); what was typed as the username is recorded only when it names a
    real account. A failure is counted in a durable transaction of its own, committed before
    anything else is written, so no later error in the request (not even one writing its audit
    row) can undo the count, and it is audited in a second durable transaction. Raises
    ``SignInRefused``; ``RuntimeError`` when called inside a transaction (the count must
    commit on its own).
    """
    username = (username or "")[:150]
    key = throttle_key(username)
    now = timezone.now()
    throttle = LoginThrottle.objects.filter(username=key).first()
    if throttle and throttle.locked_until and throttle.locked_until > now:
        _audit_refused_sign_in("auth.login_refused", "locked_out", username)
        raise SignInRefused("locked_out", throttle.locked_until)

    user = authenticate(request, username=username, password=password)
    if user is None:
        locked_until = _count_failure(key, now)
        _audit_refused_sign_in("auth.login_failed", "invalid_credentials", username)
        raise SignInRefused("locked_out" if locked_until else "invalid_credentials", locked_until)
    # A user with a second factor is not signed in yet: the row says the password step passed
    # and the factor is pending; ``mfa.verified`` / ``mfa.refused`` (purpose ``sign_in``) ends it.
    factor_pending = has_factor(user)
    with transaction.atomic():
        LoginThrottle.objects.filter(username=key).delete()
        record(
            "auth.password_ok" if factor_pending else "auth.login",
            actor=user,
            actor_desk=roles.place_label(user),
            target_type="user",
            target_id=user.pk,
            details={"factor_pending": True} if factor_pending else None,
        )
    return user


def _count_failure(key: str, now: datetime) -> datetime | None:
    """Count one failure for ``key`` and commit at once; the lock's end when this one locks."""
    with transaction.atomic(durable=True):
        throttle, _ = LoginThrottle.objects.select_for_update().get_or_create(username=key)
        throttle.failures += 1
        throttle.last_failure_at = now
        locked_until = None
        if throttle.failures >= settings.LOGIN_MAX_FAILURES:
            locked_until = now + timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
            throttle.locked_until = locked_until
            throttle.failures = 0
        throttle.save()
    return locked_until


def _audit_refused_sign_in(action: str, code: str, username: str) -> None:
    """Audit a refused sign-in in its own durable transaction. The typed username is kept only
    when it names an account (then also as ``target_id``): anything else may be a password
    typed into the wrong box."""
    user_model = get_user_model()
    known = user_model._default_manager.filter(**{user_model.USERNAME_FIELD: username}).first()
    with transaction.atomic(durable=True):
        record(
            action,
            actor=None,
            target_type="user",
            target_id=known.pk if known is not None else "",
            allowed=False,
            refusal_code=code,
            details={"username": username} if known is not None else {"known_user": False},
        )


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
    """End ``token`` now; sockets opened with it close with 4401 within a second (the user's
    sockets re-check on commit; those on another credential stay open)."""
    with transaction.atomic():
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        disconnect_user(token.user_id)
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
    """Give ``user`` a place and role. A membership an administrator grants to themselves is
    recorded with ``self_granted`` and shown to the privacy officer in the day's anomaly report
    (audit.anomalies). The user's open sockets re-check on commit.

    The accounts are locked first (``account_lock.lock_for_change``), and an ``actor``'s right
    to grant (``directory.add_membership``) is decided again under that lock: an
    administrator removed meanwhile is refused (``MembershipChangeRefused``, 403, the refusal
    recorded)."""
    with transaction.atomic():
        account_lock.lock_for_change([user.pk], actor=actor.pk if actor is not None else None)
        if not _may_change_memberships(actor, "add", user.pk):
            membership = None
        else:
            membership, created = Membership.objects.get_or_create(
                user=user, role=role, desk=desk, department=department
            )
            roles.sync_role_groups(user)
            if created:
                self_granted = actor is not None and actor.pk == user.pk
                record(
                    "directory.membership_added",
                    actor=actor,
                    actor_desk=roles.place_label(actor) if actor is not None else "",
                    target_type="membership",
                    target_id=membership.pk,
                    details={
                        "user": user.pk,
                        "role": role,
                        "desk": desk.code if desk else "",
                        "department": department.code if department else "",
                        "self_granted": self_granted,
                    },
                )
                disconnect_user(user.pk)
    if membership is None:
        raise MembershipChangeRefused()
    return membership


class MembershipChangeRefused(DomainError):
    """The actor may no longer change memberships (their administrator role ended meanwhile,
    decided on their locked account). The refusal is recorded."""

    code = "permission_denied"
    http_status = 403
    message = "所属を変更できるのは管理者だけです。/ Only administrators change memberships."


def _may_change_memberships(actor: AbstractBaseUser | None, verb: str, user_id: int) -> bool:
    """Is ``actor`` (None: the system, e.g. a management command) still allowed to ``verb``
    ("add" / "delete") memberships, decided on their locked account? A refusal is recorded
    in the open transaction, which the caller lets commit before raising."""
    if actor is None:
        return True
    action = "directory.membership_added" if verb == "add" else "directory.membership_removed"
    permission = f"directory.{verb}_membership"
    return account_lock.permitted_now(
        actor, permission, action, target_type="user", target_id=user_id
    )


def remove_membership(membership: Membership, *, actor: AbstractBaseUser | None = None) -> None:
    """Take a place and role away (a transfer is a removal and an addition). Locks and
    decides like :func:`add_membership` (``directory.delete_membership``); decisions the person
    is taking hold their account's share lock, so the removal waits for them."""
    with transaction.atomic():
        actor_id = actor.pk if actor is not None else None
        account_lock.lock_for_change([membership.user_id], actor=actor_id)
        allowed = _may_change_memberships(actor, "delete", membership.user_id)
        if allowed:
            _remove(membership, actor)
    if not allowed:
        raise MembershipChangeRefused()


def _remove(membership: Membership, actor: AbstractBaseUser | None) -> None:
    """``remove_membership``'s change, inside its transaction after the decision."""
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
