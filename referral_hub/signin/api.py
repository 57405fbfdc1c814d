"""API v1: the caller's second factors, step-up and sign-ins (issue 21).

- ``GET  /api/v1/me/mfa/``: what is enrolled.
- ``POST /api/v1/me/mfa/totp/`` → 201 ``{"secret", "otpauth_uri"}`` (unconfirmed);
  ``DELETE`` removes the app (needs a recent factor: 403 ``step_up_required``).
- ``POST /api/v1/me/mfa/totp/confirm/`` ``{"code"}`` → 200; 401 ``mfa_invalid``.
- ``POST /api/v1/me/mfa/recovery-codes/`` → 201 ``{"codes": [10]}`` (replaces the old set).
- ``POST /api/v1/me/mfa/step-up/`` ``{"otp"}`` → 200 ``{"amr", "auth_time"}`` for this sign-in.
- ``GET  /api/v1/me/sign-ins/``: the caller's sessions and tokens;
  ``DELETE /api/v1/me/sign-ins/<id>/`` ends one (its sockets close).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from referral_hub.api_errors import ApiError
from referral_hub.signin import challenge, factors, records, recovery, step_up, totp
from referral_hub.signin.errors import mfa_invalid
from referral_hub.signin.models import PasskeyCredential, SignIn


class PasskeyOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)


class MfaStatusOut(serializers.Serializer):
    required = serializers.BooleanField(help_text="Your role requires a second factor.")
    totp = serializers.BooleanField(help_text="A confirmed authenticator app is enrolled.")
    passkeys = PasskeyOut(many=True)
    recovery_codes_remaining = serializers.IntegerField()


class TotpStartOut(serializers.Serializer):
    secret = serializers.CharField(help_text="Base32 secret (RFC 4648), shown once.")
    otpauth_uri = serializers.CharField(help_text="otpauth://totp/… for a QR code.")


class CodeIn(serializers.Serializer):
    code = serializers.CharField(max_length=32)


class OtpIn(serializers.Serializer):
    otp = serializers.CharField(max_length=32, help_text="TOTP code or a recovery code.")


class ConfirmedOut(serializers.Serializer):
    enrolled = serializers.BooleanField()


class RecoveryCodesOut(serializers.Serializer):
    codes = serializers.ListField(child=serializers.CharField())


class StepUpOut(serializers.Serializer):
    amr = serializers.ListField(child=serializers.CharField())
    auth_time = serializers.DateTimeField()


class SignInOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=SignIn.Kind.choices)
    device = serializers.CharField(source="user_agent", help_text="The browser's User-Agent.")
    address = serializers.CharField()
    created_at = serializers.DateTimeField()
    last_seen_at = serializers.DateTimeField()
    amr = serializers.ListField(child=serializers.CharField())
    current = serializers.BooleanField()


def current_sign_in(request: Request) -> SignIn | None:
    sign_in_id = records.context_of(request.user).sign_in_id
    if sign_in_id is None:
        return None
    return SignIn.objects.filter(pk=sign_in_id, ended_at__isnull=True).first()


@extend_schema(responses={200: MfaStatusOut}, tags=["mfa"])
@api_view(["GET"])
def mfa_status(request: Request) -> Response:
    """What second factors the caller has enrolled, and whether their role requires one."""
    user = request.user
    passkeys = PasskeyCredential.objects.filter(user_id=user.pk).order_by("created_at")
    return Response(
        MfaStatusOut(
            {
                "required": factors.factor_required(user),
                "totp": factors.has_totp(user),
                "passkeys": list(passkeys),
                "recovery_codes_remaining": recovery.remaining(user),
            }
        ).data
    )


@extend_schema(methods=["POST"], request=None, responses={201: TotpStartOut}, tags=["mfa"])
@extend_schema(methods=["DELETE"], request=None, responses={204: None}, tags=["mfa"])
@api_view(["POST", "DELETE"])
def mfa_totp(request: Request) -> Response:
    """POST: start enrolling an authenticator app (409 ``totp_already_enrolled`` when one is
    confirmed). DELETE: remove it; needs a second factor used in the last ``STEP_UP_MINUTES``
    when the caller has one (403 ``step_up_required``)."""
    if request.method == "DELETE":
        _require_recent_factor(request)
        totp.remove(request.user, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
    secret, uri = totp.start_enrolment(request.user)
    return Response({"secret": secret, "otpauth_uri": uri}, status=status.HTTP_201_CREATED)


@extend_schema(request=CodeIn, responses={200: ConfirmedOut}, tags=["mfa"])
@api_view(["POST"])
def mfa_totp_confirm(request: Request) -> Response:
    """Confirm the app with a code it shows (401 ``mfa_invalid``; 404 ``totp_not_started``).
    The confirmation counts as a use of the factor for this sign-in."""
    form = CodeIn(data=request.data)
    form.is_valid(raise_exception=True)
    totp.confirm(request.user, form.validated_data["code"])
    sign_in = current_sign_in(request)
    if sign_in is not None:
        records.factor_used(sign_in, factors.AMR_TOTP, _session_request(request, sign_in))
    return Response({"enrolled": True})


@extend_schema(request=None, responses={201: RecoveryCodesOut}, tags=["mfa"])
@api_view(["POST"])
def mfa_recovery_codes(request: Request) -> Response:
    """Ten new one-time recovery codes, shown once; the old set stops working. Needs an
    enrolled factor (409 ``no_factor``) used recently (403 ``step_up_required``)."""
    if not factors.has_factor(request.user):
        raise ApiError(
            "no_factor",
            "先に認証アプリかパスキーを登録してください。/ Enrol an app or a passkey first.",
            409,
        )
    _require_recent_factor(request)
    codes = recovery.generate(request.user)
    return Response({"codes": codes}, status=status.HTTP_201_CREATED)


@extend_schema(request=OtpIn, responses={200: StepUpOut}, tags=["mfa"])
@api_view(["POST"])
def mfa_step_up(request: Request) -> Response:
    """Use a second factor now for this sign-in (session or token), so that step-up purposes
    are allowed for ``STEP_UP_MINUTES``. 401 ``mfa_invalid``."""
    form = OtpIn(data=request.data)
    form.is_valid(raise_exception=True)
    method = challenge.check_code(request.user, form.validated_data["otp"], purpose="step_up")
    sign_in = current_sign_in(request)
    if method is None or sign_in is None:
        raise mfa_invalid()
    records.factor_used(sign_in, method, _session_request(request, sign_in))
    return Response({"amr": sign_in.amr, "auth_time": sign_in.factor_at})


@extend_schema(responses={200: SignInOut(many=True)}, tags=["sessions"])
@api_view(["GET"])
def sign_ins(request: Request) -> Response:
    """The caller's browser sessions and API tokens still in force, most recent first."""
    current = records.context_of(request.user).sign_in_id
    rows = records.live(request.user)
    for row in rows:
        row.current = row.pk == current  # type: ignore[attr-defined]
    return Response(SignInOut(rows, many=True).data)


@extend_schema(request=None, responses={204: None}, tags=["sessions"])
@api_view(["DELETE"])
def sign_in_end(request: Request, sign_in_id: int) -> Response:
    """End one of the caller's sessions or tokens; its sockets close at once. 404 for an id
    that is not the caller's."""
    sign_in = SignIn.objects.filter(
        pk=sign_in_id, user_id=request.user.pk, ended_at__isnull=True
    ).first()
    if sign_in is None:
        raise ApiError("not_found", "見つかりません。/ Not found.", 404)
    records.end(sign_in, actor=request.user, reason="ended_by_user")
    return Response(status=status.HTTP_204_NO_CONTENT)


def _session_request(request: Request, sign_in: SignIn) -> Any:
    return request._request if sign_in.kind == SignIn.Kind.SESSION else None


def _require_recent_factor(request: Request) -> None:
    if factors.has_factor(request.user) and not step_up.recent(request.user):
        raise ApiError(
            "step_up_required",
            "直前の2段階目の確認が必要です。/ Use your second factor first (step-up).",
            403,
        )
