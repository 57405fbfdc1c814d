"""The sign-ins a person can see: one ``SignIn`` row per browser session or API token.

The row carries what the sessions page shows (device description, address, last seen) and what
step-up needs (``amr`` and ``factor_at``, the time a second factor was last used). Django's
session keeps only the row's id (``SESSION_ID``), whether the second factor is still owed
(``SESSION_PENDING``) and the time of the last request (``SESSION_LAST_SEEN``, idle timeout).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from referral_hub.audit.log import record
from referral_hub.audit.middleware import client_ip
from referral_hub.directory.models import ApiToken
from referral_hub.inbox.publish import disconnect_user
from referral_hub.signin.factors import AMR_PASSWORD, enrolment_only, has_factor
from referral_hub.signin.models import SignIn

SESSION_ID = "signin.id"
SESSION_PENDING = "signin.pending"
SESSION_LAST_SEEN = "signin.last_seen"
SESSION_IDLE_ENDED = "signin.idle_ended"  # in the anonymous session left after an idle end
_TOUCH_INTERVAL = timedelta(minutes=1)


@dataclass(frozen=True)
class SignInContext:
    """How the current request's user signed in: RFC 8176 ``amr`` values and the time a second
    factor was last used (None: never in this sign-in)."""

    sign_in_id: int | None
    amr: tuple[str, ...]
    factor_at: datetime | None


_NO_CONTEXT = SignInContext(None, (), None)


def attach(user: Any, sign_in: SignIn | None) -> None:
    """Remember on the user object how this request signed in (read by the gate's step-up)."""
    if sign_in is None:
        context = _NO_CONTEXT
    else:
        context = SignInContext(sign_in.pk, tuple(sign_in.amr), sign_in.factor_at)
    user._referral_hub_sign_in = context


def context_of(actor: Any) -> SignInContext:
    return getattr(actor, "_referral_hub_sign_in", _NO_CONTEXT)


def _device(request: HttpRequest | None) -> tuple[str, str]:
    if request is None:
        return "", ""
    agent = request.META.get("HTTP_USER_AGENT", "").replace("\x00", "")[:256]
    return agent, client_ip(request)


def start_session(request: HttpRequest, user: Any) -> SignIn:
    """``user_logged_in``: record the new session. When the user has a second factor the
    session owes it (``SESSION_PENDING``) and reaches only the factor page until it is given."""
    agent, address = _device(request)
    sign_in = SignIn.objects.create(
        user=user,
        kind=SignIn.Kind.SESSION,
        session_key=request.session.session_key or "",
        user_agent=agent,
        address=address,
        last_seen_at=timezone.now(),
        amr=[AMR_PASSWORD],
    )
    request.session[SESSION_ID] = sign_in.pk
    request.session[SESSION_LAST_SEEN] = timezone.now().timestamp()
    if has_factor(user):
        request.session[SESSION_PENDING] = True
    return sign_in


def start_token(request: HttpRequest | None, token: ApiToken, amr: list[str]) -> SignIn:
    agent, address = _device(request)
    now = timezone.now()
    return SignIn.objects.create(
        user=token.user,
        kind=SignIn.Kind.TOKEN,
        token=token,
        user_agent=agent,
        address=address,
        last_seen_at=now,
        amr=amr,
        factor_at=now if len(amr) > 1 else None,
    )


def for_session(request: HttpRequest) -> SignIn | None:
    sign_in_id = request.session.get(SESSION_ID)
    if sign_in_id is None:
        return None
    return SignIn.objects.filter(pk=sign_in_id, ended_at__isnull=True).first()


def for_token(token: ApiToken) -> SignIn | None:
    """The token's live sign-in. A token read with it (``directory.tokens.find_token``) needs
    no query: a token has at most one sign-in (``SignIn.token`` is one-to-one)."""
    if ApiToken.sign_in.is_cached(token):  # type: ignore[attr-defined]  # reverse one-to-one
        sign_in: SignIn | None = getattr(token, "sign_in", None)  # None: read, and there is none
        return sign_in if sign_in is not None and sign_in.ended_at is None else None
    return SignIn.objects.filter(token_id=token.pk, ended_at__isnull=True).first()


def touch(sign_in: SignIn) -> None:
    now = timezone.now()
    if now - sign_in.last_seen_at > _TOUCH_INTERVAL:
        SignIn.objects.filter(pk=sign_in.pk).update(last_seen_at=now)
        sign_in.last_seen_at = now


def factor_used(sign_in: SignIn, method: str, request: HttpRequest | None = None) -> None:
    """A second factor was just used in this sign-in: add ``method`` to its ``amr`` and set
    ``factor_at`` (step-up counts from here). The session no longer owes a factor and gets a
    new key (the pre-factor key must not stay valid)."""
    now = timezone.now()
    amr = list(sign_in.amr)
    if method not in amr:
        amr.append(method)
    sign_in.amr, sign_in.factor_at = amr, now
    fields = ["amr", "factor_at", "last_seen_at"]
    sign_in.last_seen_at = now
    if request is not None and sign_in.kind == SignIn.Kind.SESSION:
        request.session.pop(SESSION_PENDING, None)
        request.session.cycle_key()
        sign_in.session_key = request.session.session_key or ""
        fields.append("session_key")
    sign_in.save(update_fields=fields)


def idle_limit() -> timedelta:
    return timedelta(minutes=float(settings.SESSION_IDLE_MINUTES))


def idle_for(session: Any, now: datetime | None = None) -> float:
    """Seconds since the session's last request (0 when never recorded)."""
    last = session.get(SESSION_LAST_SEEN)
    if last is None:
        return 0.0
    return max(0.0, (now or timezone.now()).timestamp() - float(last))


def socket_may_use(session: Any) -> bool:
    """May a socket authenticate with this session? Not while it owes its second factor, and
    not once it has been idle past ``SESSION_IDLE_MINUTES``."""
    if session.get(SESSION_PENDING):
        return False
    return idle_for(session) <= idle_limit().total_seconds()


def socket_user(user: Any, session: Any = None) -> Any:
    """The user a socket may authenticate as (``inbox.auth``), or AnonymousUser: not while the
    session owes its factor or is idle, and not for a person who must enrol a factor first."""
    if not user.is_authenticated:
        return user
    if (session is not None and not socket_may_use(session)) or enrolment_only(user):
        return AnonymousUser()
    return user


def _delete_session(session_key: str) -> None:
    if session_key:
        import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key).delete()


def end(sign_in: SignIn, *, actor: Any, reason: str) -> None:
    """End one sign-in: delete its session or revoke its token, mark the row ended, audit
    ``auth.sign_in_ended`` (reason: ``ended_by_user``, ``idle``, ``factors_reset``) and make
    the user's sockets re-check on commit (those opened with it close with 4401)."""
    now = timezone.now()
    with transaction.atomic():
        if sign_in.kind == SignIn.Kind.SESSION:
            _delete_session(sign_in.session_key)
        elif sign_in.token_id is not None:
            ApiToken.objects.filter(pk=sign_in.token_id, revoked_at__isnull=True).update(
                revoked_at=now
            )
        SignIn.objects.filter(pk=sign_in.pk).update(ended_at=now, end_reason=reason)
        record(
            "auth.sign_in_ended",
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            target_type="sign_in",
            target_id=sign_in.pk,
            details={"reason": reason, "kind": sign_in.kind, "user": sign_in.user_id},
        )
        disconnect_user(sign_in.user_id)


def end_all(user: Any, *, reason: str) -> int:
    """Mark every open sign-in row of ``user`` ended (their sessions and tokens are ended by
    ``directory.credentials.end_credentials``)."""
    return SignIn.objects.filter(user_id=user.pk, ended_at__isnull=True).update(
        ended_at=timezone.now(), end_reason=reason
    )


def live(user: Any) -> list[SignIn]:
    """The user's sign-ins still in force, newest activity first: sessions whose stored session
    still exists and tokens still live."""
    rows = list(
        SignIn.objects.filter(user_id=user.pk, ended_at__isnull=True)
        .select_related("token")
        .order_by("-last_seen_at")
    )
    store_class: Any = import_module(settings.SESSION_ENGINE).SessionStore
    now = timezone.now()
    kept: list[SignIn] = []
    gone: list[SignIn] = []
    for row in rows:
        if row.kind == SignIn.Kind.SESSION:
            alive = bool(row.session_key) and store_class().exists(row.session_key)
        else:
            token = row.token
            alive = token is not None and token.revoked_at is None and token.expires_at > now
        (kept if alive else gone).append(row)
    if gone:  # signed out, expired or revoked elsewhere: close the rows on the way
        SignIn.objects.filter(pk__in=[row.pk for row in gone]).update(
            ended_at=now, end_reason="ended_elsewhere"
        )
    return kept


def on_logged_in(
    sender: Any, request: HttpRequest | None = None, user: Any = None, **_: Any
) -> None:
    """``user_logged_in`` (page login, admin login, ``Client.force_login``)."""
    if request is not None and user is not None and hasattr(request, "session"):
        start_session(request, user)
