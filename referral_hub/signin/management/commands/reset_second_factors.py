"""``manage.py reset_second_factors <username>``: the operator's way to reset a lost factor
(the same action as the admin's, audited with no actor: the system)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from referral_hub.signin.services import reset_factors


class Command(BaseCommand):
    help = "Remove a user's passkeys, authenticator app and recovery codes; end their sign-ins."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, username: str, **options: Any) -> None:
        user = get_user_model()._default_manager.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user named {username!r}")
        counts = reset_factors(user, actor=None)
        self.stdout.write(
            "reset: " + ", ".join(f"{name}={count}" for name, count in counts.items())
        )
