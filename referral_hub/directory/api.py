"""API v1: sign-in tokens, the current user and the directory lists."""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import (
    api_view,
    authentication_classes,
    permission_classes,
    throttle_classes,
)
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle

from referral_hub.api_errors import ApiError
from referral_hub.directory import roles, services
from referral_hub.directory.models import ApiToken, Concern, Department, Desk
from referral_hub.signin import challenge, records


class TokenRequest(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=256, trim_whitespace=False)
    otp = serializers.CharField(
        max_length=32,
        required=False,
        help_text="Second factor (TOTP or recovery code) for a user who has one (issue 21).",
    )


class TokenResponse(serializers.Serializer):
    token = serializers.CharField()
    expires_at = serializers.DateTimeField()


class TokenIssueThrottle(AnonRateThrottle):
    rate = "30/min"


@extend_schema(request=TokenRequest, responses={201: TokenResponse}, auth=[], tags=["auth"])
@api_view(["POST"])
@authentication_classes([])
@permission_classes([AllowAny])
@throttle_classes([TokenIssueThrottle])
def issue_token(request: Request) -> Response:
    """Exchange a username and password (and ``otp`` when the user has a second factor) for
    an expiring API token (shown once). 401 ``invalid_credentials``, ``mfa_required`` or
    ``mfa_invalid``; 429 ``locked_out``."""
    form = TokenRequest(data=request.data)
    form.is_valid(raise_exception=True)
    try:
        user = services.sign_in(
            request._request, form.validated_data["username"], form.validated_data["password"]
        )
    except services.SignInRefused as refused:
        if refused.code == "locked_out":
            raise ApiError(
                "locked_out",
                "ログイン失敗が続いたため一時的にロックされています。/ Too many failed sign-ins; try again later.",
                429,
            ) from None
        raise ApiError(
            "invalid_credentials",
            "ユーザー名またはパスワードが違います。/ Wrong username or password.",
            401,
        ) from None
    amr = challenge.token_factor(user, form.validated_data.get("otp", ""))
    key, token = services.issue_token(user)
    records.start_token(request._request, token, amr)
    return Response({"token": key, "expires_at": token.expires_at}, status=status.HTTP_201_CREATED)


@extend_schema(request=None, responses={204: None}, tags=["auth"])
@api_view(["DELETE"])
def revoke_token(request: Request) -> Response:
    """Revoke the token this request authenticated with."""
    if not isinstance(request.auth, ApiToken):
        raise ApiError(
            "not_token_auth",
            "トークン認証ではありません。/ This request was not made with a token.",
            400,
        )
    services.revoke_token(request.auth, actor=request.user)
    return Response(status=status.HTTP_204_NO_CONTENT)


class MembershipOut(serializers.Serializer):
    desk = serializers.CharField(allow_null=True)
    department = serializers.CharField(allow_null=True)
    role = serializers.CharField()


class MeOut(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    display_name = serializers.CharField()
    memberships = MembershipOut(many=True)


def display_name(user) -> str:
    # Japanese order: family name first.
    name = f"{user.last_name} {user.first_name}".strip()
    return name or user.get_username()


@extend_schema(responses=MeOut, tags=["directory"])
@api_view(["GET"])
def me(request: Request) -> Response:
    user = request.user
    memberships = [
        {"desk": p.desk_code or None, "department": p.department_code or None, "role": p.role}
        for p in roles.places(user)
    ]
    return Response(
        {
            "id": user.pk,
            "username": user.get_username(),
            "display_name": display_name(user),
            "memberships": memberships,
        }
    )


class DepartmentOut(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "code", "name", "support_meeting_member"]


class ConcernOut(serializers.ModelSerializer):
    class Meta:
        model = Concern
        fields = ["id", "code", "name", "emergency"]


class DeskOut(serializers.ModelSerializer):
    # Null for desks outside the city hall's departments (社会福祉協議会 and the like).
    department = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    concerns = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = Desk
        fields = [
            "id",
            "code",
            "name",
            "department",
            "external_organisation",
            "phone",
            "office_hours",
            "concerns",
            "support_meeting_member",
        ]


@extend_schema(responses=DepartmentOut(many=True), tags=["directory"])
@api_view(["GET"])
def departments(request: Request) -> Response:
    rows = Department.objects.filter(is_active=True)
    return Response(DepartmentOut(rows, many=True).data)


@extend_schema(responses=DeskOut(many=True), tags=["directory"])
@api_view(["GET"])
def desks(request: Request) -> Response:
    rows = (
        Desk.objects.filter(is_active=True)
        .select_related("department")
        .prefetch_related(Prefetch("concerns", queryset=Concern.objects.only("code")))
    )
    return Response(DeskOut(rows, many=True).data)


@extend_schema(responses=ConcernOut(many=True), tags=["directory"])
@api_view(["GET"])
def concerns(request: Request) -> Response:
    return Response(ConcernOut(Concern.objects.all(), many=True).data)
