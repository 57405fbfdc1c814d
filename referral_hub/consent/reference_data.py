"""Legal bases for disclosure (DESIGN.md): seeded by migration, texts editable by the privacy officer."""

LEGAL_BASES: list[tuple[str, str, str, bool, bool]] = [
    # (code, label, description, requires justification, requires review)
    ("consent", "本人同意", "本人が提供先・情報の範囲・目的・期限に同意している。", False, False),
    (
        "support_meeting",
        "支援会議(生活困窮者自立支援法第9条)",
        "支援会議の構成員の間での情報共有。構成員には守秘義務がある。",
        True,
        True,
    ),
    (
        "vital_interest",
        "緊急(生命・身体・財産の保護)",
        "本人の同意を得ることが困難で、生命・身体・財産の保護のために必要な場合。",
        True,
        True,
    ),
]


def ensure_legal_bases(model) -> None:  # type: ignore[no-untyped-def]
    """Create missing bases; never overwrite the privacy officer's edits."""
    for code, label, description, justification, review in LEGAL_BASES:
        model.objects.get_or_create(
            code=code,
            defaults={
                "label": label,
                "description": description,
                "requires_justification": justification,
                "requires_review": review,
            },
        )
