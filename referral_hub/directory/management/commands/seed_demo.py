"""Seed デモ市: departments, desks, concerns and the demo users of DESIGN.md. Idempotent."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from referral_hub.directory import services
from referral_hub.directory.models import Concern, Department, Desk, Membership, Municipality
from referral_hub.directory.reference_data import (
    CONCERN_NAMES_EN,
    CONCERNS,
    DEMO_DEPARTMENTS,
    DEMO_DESKS,
    DEMO_HANDOUT_FIELDS,
    DEMO_MUNICIPALITY,
    DEMO_USERS,
    DEPARTMENT_NAMES_EN,
    DESK_NAMES_EN,
)

DEFAULT_PASSWORD = "demo-pass-2026"  # the documented demo password (DESIGN.md)


class Command(BaseCommand):
    help = "Seed the demo municipality デモ市 with departments, desks and demo users (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--password", default=DEFAULT_PASSWORD, help="password for every demo user"
        )
        parser.add_argument("--force", action="store_true", help="run even when DEBUG is off")

    def handle(self, *args, password: str, force: bool, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates users with a known password; it refuses to run when "
                "DEBUG is off. Pass --force if you really mean it."
            )
        with transaction.atomic():
            self.seed(password)
        self.stdout.write(
            self.style.SUCCESS(
                f"デモ市: {Department.objects.count()} departments, {Desk.objects.count()} desks, "
                f"{len(DEMO_USERS)} demo users (password: {'as given' if password != DEFAULT_PASSWORD else DEFAULT_PASSWORD})"
            )
        )
        # Issue 21: the demo requires no second factor (MFA_REQUIRED_ROLES is empty); say how
        # to try one, since production requires it of privacy officers, admins and leads.
        self.stdout.write(
            "2段階認証 / two-step sign-in: sign in, open 「2段階認証」 (/account/security/) and "
            "register a passkey or an authenticator app; production requires one of roles "
            "privacy_officer, admin, lead (MFA_REQUIRED_ROLES, docs/operations/sign-in.md)."
        )

    def seed(self, password: str) -> None:
        for order, (code, name, emergency) in enumerate(CONCERNS):
            Concern.objects.update_or_create(
                code=code,
                defaults={
                    "name": name,
                    "name_en": CONCERN_NAMES_EN[code],
                    "sort_order": order,
                    "emergency": emergency,
                },
            )
        municipality, _ = Municipality.objects.update_or_create(
            code=DEMO_MUNICIPALITY[0], defaults={"name": DEMO_MUNICIPALITY[1]}
        )
        for code, name, member in DEMO_DEPARTMENTS:
            Department.objects.update_or_create(
                code=code,
                defaults={
                    "name": name,
                    "name_en": DEPARTMENT_NAMES_EN[code],
                    "municipality": municipality,
                    "support_meeting_member": member,
                },
            )
        for code, name, department_code, external, member, concern_codes in DEMO_DESKS:
            desk, _ = Desk.objects.update_or_create(
                code=code,
                defaults={
                    "name": name,
                    "name_en": DESK_NAMES_EN[code],
                    "municipality": municipality,
                    "department": Department.objects.filter(code=department_code).first(),
                    "external_organisation": external,
                    "support_meeting_member": member,
                    "phone": "046-000-0000",
                    **DEMO_HANDOUT_FIELDS.get(code, {}),
                },
            )
            desk.concerns.set(Concern.objects.filter(code__in=concern_codes))
        User = get_user_model()
        # Every demo user shares the one (published) demo password: hash it once (Argon2 takes
        # a quarter of a second per hash, and the tests seed the demo once per module).
        password_hash = make_password(password)
        for username, (family, given), role, desk_code, department_code in DEMO_USERS:
            user, created = User.objects.get_or_create(username=username)
            user.last_name, user.first_name = family, given
            user.password = password_hash
            user.save()
            desk = Desk.objects.get(code=desk_code) if desk_code else None
            department = Department.objects.get(code=department_code) if department_code else None
            stale = Membership.objects.filter(user=user).exclude(
                role=role, desk=desk, department=department
            )
            for membership in stale:
                services.remove_membership(membership)
            services.add_membership(user, role, desk=desk, department=department)
