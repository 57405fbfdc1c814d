from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SigninConfig(AppConfig):
    name = "referral_hub.signin"
    label = "signin"
    verbose_name = _("多要素認証とログイン中の端末")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from referral_hub.signin.records import on_logged_in

        user_logged_in.connect(on_logged_in, dispatch_uid="signin_on_logged_in")
