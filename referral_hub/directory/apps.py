from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "referral_hub.directory"
    label = "directory"
