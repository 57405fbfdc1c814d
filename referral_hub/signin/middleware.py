"""Per request, for a signed-in browser session (after ``AuthenticationMiddleware``):

1. **Idle timeout.** A session with no request for ``SESSION_IDLE_MINUTES`` ends (audited,
   sockets re-check and close): pages go to the login page, the API answers 401
   ``session_idle``.
2. **The factor still owed.** After the password, a user with a second factor reaches only the
   factor step (``/login/factor/``; the API answers 401 ``mfa_required``). This covers the page
   login and the admin's login alike.
3. **Enrolment only.** A user whose role is in ``MFA_REQUIRED_ROLES`` and who has no factor
   reaches only ``/account/…`` and ``/api/v1/me/mfa/…``; pages and the admin redirect to
   enrolment, the API answers 403 ``mfa_enrolment_required``.

Token-authenticated API requests get rules 2 and 3 from ``signin.authentication``.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils import timezone

from referral_hub.signin import factors, records

ALWAYS_OPEN = ("/i18n/", "/logout/", "/admin/logout/", "/healthz")
FACTOR_STEP = ("/login/",)
ENROLMENT = ("/account/", "/api/v1/me/mfa/", "/api/v1/auth/", "/login/")
_LAST_SEEN_WRITE_SECONDS = 10
STATUS_PATH = "/account/session/status/"


def _open(path: str, prefixes: tuple[str, ...]) -> bool:
    return path.startswith(settings.STATIC_URL) or path.startswith(ALWAYS_OPEN + prefixes)


def json_error(code: str, detail: str, status: int) -> JsonResponse:
    return JsonResponse(
        {"code": code, "detail": detail}, status=status, json_dumps_params={"ensure_ascii": False}
    )


def enrolment_refusal() -> JsonResponse:
    return json_error(
        "mfa_enrolment_required",
        "この役割では2段階認証の登録が必要です。/account/security/ で登録してください。"
        "/ Your role requires a second factor: enrol one at /account/security/.",
        403,
    )


def _to(name: str, next_path: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"{reverse(name)}?{urlencode({'next': next_path})}")


class SignInMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return self.get_response(request)
        path = request.path
        is_api = path.startswith("/api/")
        session = request.session
        if records.idle_for(session) >= records.idle_limit().total_seconds():
            self._end_idle(request)
            if path == STATUS_PATH:  # idle.js asked: the view answers {"remaining": 0}
                return self.get_response(request)
            if is_api:
                return json_error(
                    "session_idle",
                    "一定時間操作がなかったためログアウトしました。/ Signed out after inactivity.",
                    401,
                )
            return HttpResponseRedirect(f"{reverse('login')}?idle=1")
        now = timezone.now().timestamp()
        last = session.get(records.SESSION_LAST_SEEN)
        counts = path != STATUS_PATH  # idle.js asking how long is left is not activity
        if counts and (last is None or now - float(last) >= _LAST_SEEN_WRITE_SECONDS):
            session[records.SESSION_LAST_SEEN] = now
        sign_in = records.for_session(request)
        if sign_in is not None:
            records.touch(sign_in)
        records.attach(user, sign_in)
        # The factor step's page opens no inbox socket (it would be refused: base.html).
        request.signin_pending = bool(session.get(records.SESSION_PENDING))  # type: ignore[attr-defined]
        if request.signin_pending and not _open(path, FACTOR_STEP):  # type: ignore[attr-defined]
            if is_api:
                return json_error(
                    "mfa_required",
                    "2段階目の確認がまだです。/ The second factor has not been given yet.",
                    401,
                )
            return _to("signin-factor", request.get_full_path())
        if factors.enrolment_only(user) and not _open(path, ENROLMENT):
            if is_api:
                return enrolment_refusal()
            return _to("account-security", request.get_full_path())
        return self.get_response(request)

    def _end_idle(self, request: HttpRequest) -> None:
        sign_in = records.for_session(request)
        if sign_in is not None:
            records.end(sign_in, actor=request.user, reason="idle")
        request.session.flush()
        # The login page says why, whichever tab gets there first (idle.js or inbox.js).
        request.session[records.SESSION_IDLE_ENDED] = True
        request.user = AnonymousUser()
