"""The consent notice (同意の説明文): versioned texts, one per version and language.

A consent records the notice it was given under (``Consent.notice``, with its version and
SHA-256 copied onto the consent), so its receipt reproduces the words the resident heard even
after the municipality rewords the notice: a new wording is a new version
(``publish_notice``), and published texts are never edited (``ConsentNotice.save``).

Which text a consent gets: the requested ``notice_version`` (or the latest published one) in
the consent's language; when that language has no text of the version, the やさしい日本語 one
(the clerk reads it aloud and an interpreter translates), then the Japanese one.
"""

from __future__ import annotations

from django.db import transaction

from referral_hub.audit.log import record
from referral_hub.consent.models import ConsentNotice
from referral_hub.directory import roles
from referral_hub.directory.actors import Actor
from referral_hub.domain_errors import DomainError
from referral_hub.resident_texts.languages import FALLBACK

# The first wording, shipped with migration consent 0008 (kept identical to it).
FIRST_VERSION = "2026-1"


class UnknownNoticeVersion(DomainError):
    code = "unknown_notice_version"
    http_status = 400
    field = "notice_version"
    message = "その版の説明文はありません。/ No notice of that version."


def _shipped() -> dict[str, str]:
    from importlib import import_module

    migration = import_module("referral_hub.consent.migrations.0008_consent_notice_receipt")
    return dict(migration.FIRST_TEXTS)


def ensure_first_notices() -> None:
    """The first version's texts exist (a transactional test's flush removes migration data)."""
    for language, text in _shipped().items():
        if not ConsentNotice.objects.filter(version=FIRST_VERSION, language=language).exists():
            ConsentNotice.objects.create(version=FIRST_VERSION, language=language, text=text)


def latest_version() -> str:
    row = ConsentNotice.objects.order_by("-published_at", "-id").first()
    return row.version if row is not None else FIRST_VERSION


def notice_for(version: str, language: str) -> ConsentNotice:
    """The text of ``version`` ("" = the latest) shown to a resident of ``language``.
    Raises ``UnknownNoticeVersion`` (400)."""
    ensure_first_notices()
    version = version or latest_version()
    texts = {n.language: n for n in ConsentNotice.objects.filter(version=version)}
    if not texts:
        raise UnknownNoticeVersion()
    for candidate in (language, FALLBACK, "ja"):
        if candidate in texts:
            return texts[candidate]
    return next(iter(texts.values()))


def publish_notice(actor: Actor, version: str, texts: dict[str, str]) -> list[ConsentNotice]:
    """Publish a new wording: one text per language under a new ``version`` (audited as
    ``consent_notice.published``). Raises ``InvalidNotice`` when the version exists."""
    if ConsentNotice.objects.filter(version=version).exists():
        raise InvalidNotice()
    with transaction.atomic():
        rows = [
            ConsentNotice.objects.create(version=version, language=language, text=text)
            for language, text in sorted(texts.items())
        ]
        record(
            "consent_notice.published",
            actor=actor,
            actor_desk=roles.place_label(actor) if actor else "",
            target_type="consent_notice",
            target_id=version,
            details={"languages": sorted(texts), "sha256": {r.language: r.sha256 for r in rows}},
        )
    return rows


class InvalidNotice(DomainError):
    code = "notice_version_exists"
    http_status = 409
    message = "その版はすでに公開されています。新しい版名をつけてください。"
