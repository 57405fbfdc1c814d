"""The second step of signing in, step-up before a sensitive read, and passkey assertions.

- ``/login/factor/``: after the password, a user with a factor types a code or uses a passkey
  (the middleware keeps the session here until then; the admin's login lands here too).
- ``/account/step-up/``: a signed-in user uses a factor now, then continues to ``next``.
- ``/login/passkey/options/`` and ``/login/passkey/`` (JSON, for signin.js): a passkey
  assertion for either of the two.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from referral_hub.signin import challenge, factors, passkeys, records
from referral_hub.signin.errors import FactorError


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("確認コード(認証アプリの6桁、または回復コード)"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )


def safe_next(request: HttpRequest, default: str = "home") -> str:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return next_url
    return reverse(default)


def _use_code(request: HttpRequest, form: CodeForm, purpose: str) -> bool:
    sign_in = records.for_session(request)
    try:
        method = challenge.check_code(request.user, form.cleaned_data["code"], purpose=purpose)
    except FactorError as locked:
        form.add_error("code", locked.message)
        return False
    if method is None or sign_in is None:
        form.add_error("code", _("確認コードが正しくないか、すでに使われています。"))
        return False
    records.factor_used(sign_in, method, request)
    return True


@login_required
@require_http_methods(["GET", "POST"])
def factor_page(request: HttpRequest) -> HttpResponse:
    """The second step after the password."""
    if not request.session.get(records.SESSION_PENDING):
        return redirect(safe_next(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and _use_code(request, form, "sign_in"):
        return redirect(safe_next(request))
    return render(
        request,
        "frontend/signin/factor.html",
        {
            "form": form,
            "next": safe_next(request),
            "has_passkey": factors.has_passkey(request.user),
            "has_totp": factors.has_totp(request.user),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def step_up_page(request: HttpRequest) -> HttpResponse:
    """Use a factor now (``STEP_UP_MINUTES``), then continue to ``next``."""
    if not factors.has_factor(request.user):
        return redirect("account-security")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and _use_code(request, form, "step_up"):
        return redirect(safe_next(request))
    return render(
        request,
        "frontend/signin/step_up.html",
        {
            "form": form,
            "next": safe_next(request),
            "has_passkey": factors.has_passkey(request.user),
            "has_totp": factors.has_totp(request.user),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def passkey_options(request: HttpRequest) -> HttpResponse:
    """``PublicKeyCredentialRequestOptions`` (JSON) for the signed-in user's passkeys."""
    if not factors.has_passkey(request.user):
        return JsonResponse(
            {"code": "no_passkey", "detail": _("パスキーが登録されていません。")}, status=409
        )
    return HttpResponse(
        passkeys.authentication_options(request, request.user), content_type="application/json"
    )


@login_required
@require_POST
def passkey_verify(request: HttpRequest) -> HttpResponse:
    """Verify the assertion (request body: the credential JSON); ``{"next": url}`` or 401."""
    sign_in = records.for_session(request)
    try:
        passkeys.authenticate(request, request.user, request.body.decode("utf-8", "replace"))
    except passkeys.PasskeyRefused:
        challenge.audit_factor(request.user, None, purpose="passkey")
        return JsonResponse(
            {"code": "mfa_invalid", "detail": _("パスキーで確認できませんでした。")}, status=401
        )
    if sign_in is None:
        return JsonResponse({"code": "not_authenticated", "detail": ""}, status=401)
    purpose = "sign_in" if request.session.get(records.SESSION_PENDING) else "step_up"
    challenge.audit_factor(request.user, factors.AMR_PASSKEY, purpose=purpose)
    records.factor_used(sign_in, factors.AMR_PASSKEY, request)
    return JsonResponse({"next": safe_next(request)})
