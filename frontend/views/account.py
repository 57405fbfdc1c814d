"""Sign-in and sign-out pages, and the home page that sends each role to its work."""

from __future__ import annotations

from django import forms
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from frontend import navigation
from referral_hub.directory import services
from referral_hub.signin.records import SESSION_IDLE_ENDED


class LoginForm(forms.Form):
    username = forms.CharField(
        label=_("ユーザー名"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("パスワード"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


@require_http_methods(["GET", "POST"])
def login_page(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if request.method == "POST" and form.is_valid():
        try:
            user = services.sign_in(
                request, form.cleaned_data["username"], form.cleaned_data["password"]
            )
        except services.SignInRefused as refused:
            if refused.code == "locked_out":
                form.add_error(
                    None,
                    _(
                        "ログインの失敗が続いたため、しばらくログインできません。15分ほど待ってからもう一度お試しください。"
                    ),
                )
            else:
                form.add_error(None, _("ユーザー名またはパスワードが正しくありません。"))
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            if not url_has_allowed_host_and_scheme(
                next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            ):
                next_url = ""
            return redirect(next_url or "home")
    return render(
        request,
        "frontend/login.html",
        {
            "form": form,
            "next": next_url,
            "idle_ended": request.session.pop(SESSION_IDLE_ENDED, False)
            or bool(request.GET.get("idle")),
        },
        status=200 if not form.errors else 400,
    )


@require_POST
def logout_page(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("login")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each role straight to its work; show a menu when there is nothing obvious."""
    landing = navigation.landing_url(request.user)
    if landing:
        return redirect(landing)
    return render(request, "frontend/home.html", {"nav": navigation.nav_items(request.user)})
