from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    name = "referral_hub.directory"
    label = "directory"
    verbose_name = _("ディレクトリ")  # the admin's app heading; without it, "Directory"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.signals import user_logged_out
        from django.core.signals import request_started
        from django.db.models.signals import post_delete, post_save, pre_save

        from referral_hub.directory import credentials

        # Every path that saves a user (admin, password page, set_password() then save())
        # ends the credentials a password change or deactivation must end.
        user_model = get_user_model()
        pre_save.connect(credentials.note_credential_change, sender=user_model)
        post_save.connect(credentials.end_on_credential_change, sender=user_model)
        post_delete.connect(credentials.end_on_delete, sender=user_model)
        user_logged_out.connect(credentials.recheck_on_logout)

        # A transaction that changes a membership or an account it had locked for a decision
        # reads them again for its next decision (roles.lock_places).
        from referral_hub import held_locks
        from referral_hub.directory.models import Membership

        held_locks.release_on_change(Membership, lambda m: ("places", m.user_id))
        held_locks.release_on_change(user_model, lambda u: ("places", u.pk))
        request_started.connect(held_locks.release_all, dispatch_uid="held_locks.release_all")
