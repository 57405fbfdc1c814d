"""Data categories a consent can cover and legal-basis codes (DESIGN.md, Consent)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    IDENTITY = "identity", _("本人確認情報・連絡先")
    CONCERN = "concern", _("困りごとの内容")
    TAX = "tax", _("税・滞納の詳細")
    HEALTH = "health", _("健康に関する情報")
    HOUSEHOLD = "household", _("世帯の情報")
    ATTACHMENTS = "attachments", _("添付書類")
    FEEDBACK = "feedback", _("つないだ職員への経過報告")


class Basis(models.TextChoices):
    CONSENT = "consent", _("本人同意")
    SUPPORT_MEETING = "support_meeting", _("支援会議(法第9条)")
    VITAL_INTEREST = "vital_interest", _("緊急(生命・身体・財産の保護)")


class Method(models.TextChoices):
    SIGNED_FORM = "signed_form", _("署名した同意書")
    VERBAL_WITNESSED = "verbal_witnessed", _("口頭同意(立会人あり)")


ALL_CATEGORIES = frozenset(Category.values)
