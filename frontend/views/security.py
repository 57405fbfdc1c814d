"""「2段階認証」: enrol an authenticator app (TOTP), passkeys and recovery codes; and
「ログイン中の端末」: the person's sessions and tokens, each of which they can end.

A person whose role requires a factor and who has none reaches only these pages (middleware).
Removing a factor, or printing new recovery codes, needs a factor used in the last
``STEP_UP_MINUTES`` (the step-up page asks for it and comes back here).
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from frontend.views.signin import CodeForm
from referral_hub.signin import factors, passkeys, records, recovery, step_up, totp
from referral_hub.signin.errors import FactorError
from referral_hub.signin.models import PasskeyCredential, SignIn


def _security_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    user = request.user
    return {
        "required": factors.factor_required(user),
        "has_factor": factors.has_factor(user),
        "totp_enrolled": factors.has_totp(user),
        "passkeys": PasskeyCredential.objects.filter(user_id=user.pk).order_by("created_at"),
        "recovery_remaining": recovery.remaining(user),
        "confirm_form": CodeForm(),
        **extra,
    }


@login_required
@require_GET
def security_page(request: HttpRequest) -> HttpResponse:
    return render(request, "frontend/signin/security.html", _security_context(request))


def _needs_step_up(request: HttpRequest) -> HttpResponse | None:
    if factors.has_factor(request.user) and not step_up.recent(request.user):
        query = urlencode({"next": reverse("account-security")})
        return redirect(f"{reverse('account-step-up')}?{query}")
    return None


@login_required
@require_POST
def totp_start(request: HttpRequest) -> HttpResponse:
    try:
        secret, uri = totp.start_enrolment(request.user)
    except FactorError as error:
        messages.error(request, error.message)
        return redirect("account-security")
    context = _security_context(request, totp_secret=secret, otpauth_uri=uri)
    return render(request, "frontend/signin/security.html", context)


@login_required
@require_POST
def totp_confirm(request: HttpRequest) -> HttpResponse:
    form = CodeForm(request.POST)
    if form.is_valid():
        try:
            totp.confirm(request.user, form.cleaned_data["code"])
        except FactorError as error:
            form.add_error("code", error.message)
        else:
            sign_in = records.for_session(request)
            if sign_in is not None:
                records.factor_used(sign_in, factors.AMR_TOTP, request)
            codes = recovery.generate(request.user) if not recovery.remaining(request.user) else []
            messages.success(request, _("認証アプリを登録しました。"))
            context = _security_context(request, recovery_codes=codes)
            return render(request, "frontend/signin/security.html", context)
    context = _security_context(request, confirm_form=form, totp_pending=True)
    return render(request, "frontend/signin/security.html", context, status=400)


@login_required
@require_POST
def totp_remove(request: HttpRequest) -> HttpResponse:
    if refusal := _needs_step_up(request):
        return refusal
    totp.remove(request.user, actor=request.user)
    messages.success(request, _("認証アプリの登録を削除しました。"))
    return redirect("account-security")


@login_required
@require_POST
def recovery_codes(request: HttpRequest) -> HttpResponse:
    if not factors.has_factor(request.user):
        return redirect("account-security")
    if refusal := _needs_step_up(request):
        return refusal
    codes = recovery.generate(request.user)
    context = _security_context(request, recovery_codes=codes)
    return render(request, "frontend/signin/security.html", context)


@login_required
@require_POST
def passkey_register_options(request: HttpRequest) -> HttpResponse:
    """``PublicKeyCredentialCreationOptions`` (JSON) for signin.js."""
    return HttpResponse(passkeys.registration_options(request), content_type="application/json")


@login_required
@require_POST
def passkey_register(request: HttpRequest) -> HttpResponse:
    """Store the new passkey (body: the credential JSON; ``?name=`` its name)."""
    name = request.GET.get("name", "")[:64]
    try:
        passkeys.register(request, request.body.decode("utf-8", "replace"), name)
    except passkeys.PasskeyRefused:
        return JsonResponse(
            {"code": "passkey_refused", "detail": _("パスキーを登録できませんでした。")}, status=400
        )
    sign_in = records.for_session(request)
    if sign_in is not None:  # the ceremony proved possession of the new key
        records.factor_used(sign_in, factors.AMR_PASSKEY, request)
    return JsonResponse({"next": reverse("account-security")})


@login_required
@require_POST
def passkey_remove(request: HttpRequest, passkey_id: int) -> HttpResponse:
    if refusal := _needs_step_up(request):
        return refusal
    if passkeys.remove(request.user, passkey_id):
        messages.success(request, _("パスキーを削除しました。"))
    return redirect("account-security")


@login_required
@require_GET
def sessions_page(request: HttpRequest) -> HttpResponse:
    """「ログイン中の端末」."""
    current = records.context_of(request.user).sign_in_id
    return render(
        request,
        "frontend/signin/sessions.html",
        {"sign_ins": records.live(request.user), "current": current},
    )


@login_required
@require_POST
def session_end(request: HttpRequest, sign_in_id: int) -> HttpResponse:
    sign_in = SignIn.objects.filter(
        pk=sign_in_id, user_id=request.user.pk, ended_at__isnull=True
    ).first()
    if sign_in is not None:
        ending_self = sign_in.pk == records.context_of(request.user).sign_in_id
        records.end(sign_in, actor=request.user, reason="ended_by_user")
        if ending_self:
            request.session.flush()
            return redirect("login")
        messages.success(request, _("選んだ端末のログインを終了しました。"))
    return redirect("account-sessions")


@require_GET
def session_status(request: HttpRequest) -> JsonResponse:
    """``{"remaining": seconds}`` until the idle timeout (idle.js asks before warning). Reading
    it does not count as activity (the middleware skips this path)."""
    if not request.user.is_authenticated:
        return JsonResponse({"remaining": 0})
    limit = records.idle_limit().total_seconds()
    # Rounded up: 0 only once the middleware has ended the session (idle.js then signs out).
    return JsonResponse({"remaining": max(0, math.ceil(limit - records.idle_for(request.session)))})


@login_required
@require_POST
def session_keepalive(request: HttpRequest) -> JsonResponse:
    """The warning's 「続ける」 button: the idle clock starts again now."""
    request.session[records.SESSION_LAST_SEEN] = timezone.now().timestamp()
    return JsonResponse({"remaining": int(records.idle_limit().total_seconds())})
