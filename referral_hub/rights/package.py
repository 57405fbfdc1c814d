"""The disclosure package (開示する保有個人情報の一覧): what the resident takes home.

Drawn from the audit log (``audit.selectors.disclosures_of_resident``: every allowed gate
decision that disclosed the resident's data) up to a signed checkpoint, so the package is the
same every time it is printed and a reviewer (審査会) can check that nothing was left out:

- each row names the office that received the data in Japanese and the staff member's job
  title (職名), never a login id or a desk/department code;
- purpose and legal basis in plain Japanese, with the article;
- dates in 和暦 and 西暦;
- repeated reads of the same thing by the same person within ``RIGHTS_GROUP_MINUTES``
  (default 30) are one row: 「閲覧 ×9」;
- rows withheld under 第78条第1項 are listed as withheld, with the ground;
- the completeness proof lists the checkpoint (seq, head hash, key id) and every disclosure
  event's (seq, hash); :func:`referral_hub.rights.proof.check_package` re-checks it.
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import timezone

from referral_hub.audit.models import AuditEvent
from referral_hub.audit.selectors import day_bounds, disclosures_of_resident
from referral_hub.consent.models import Resident
from referral_hub.directory.models import Department, Desk, Membership, Municipality, Role
from referral_hub.rights import wareki
from referral_hub.rights.models import RightsRequest, WithholdingGround
from referral_hub.vault.errors import VaultError

DEFAULT_GROUP_MINUTES = 30

VERB_LABELS = {
    "read": "閲覧",
    "feedback": "経過の閲覧",
    "send": "送付",
    "resend": "再送付",
    "redirect": "転送",
    "export": "書き出し",
    "print": "印刷",
    "agenda_read": "支援会議の検討事例の閲覧",
}
# What the office was doing, in words a resident understands.
PURPOSES = {
    "sheet.send": "ご相談を担当の窓口へつなぐため",
    "sheet.resend": "ご相談を担当の窓口へつなぐため(再送付)",
    "sheet.redirect": "ご相談をより適した窓口へつなぐため",
    "sheet.read": "つながったご相談に対応するため",
    "sheet.feedback": "つないだ職員が支援の経過を確認するため",
    "resident.read": "ご相談に対応するため",
    "attachment.read": "ご相談に対応するため(添付書類)",
    "support_meeting.agenda_read": "支援会議の検討事例の閲覧(支援会議の構成員が検討する事例を確認するため)",
    "consent.read": "同意の内容を確認するため",
}
DEFAULT_PURPOSE = "ご相談に対応するため"
BASES = {
    "consent": "ご本人の同意(個人情報保護法 第69条第2項第1号)",
    "support_meeting": "支援会議での情報共有(生活困窮者自立支援法 第9条)",
    "vital_interest": (
        "生命・身体・財産を守るため緊急に必要と判断した提供(個人情報保護法 第69条第2項第4号)"
    ),
}
CATEGORY_LABELS = {
    "identity": "氏名・連絡先などご本人を確認する情報",
    "concern": "ご相談の内容(困りごと)",
    "tax": "税・滞納の詳細",
    "health": "健康に関する情報",
    "household": "世帯の情報",
    "attachments": "添付書類",
    "feedback": "支援の経過",
}
ROLE_TITLES: dict[str, str] = {
    Role.CLERK: "窓口担当職員",
    Role.CONSULTANT: "相談支援員",
    Role.LEAD: "主任相談支援員",
    Role.PRIVACY_OFFICER: "個人情報保護担当職員",
    Role.ADMIN: "システム管理担当職員",
}
DEFAULT_TITLE = "職員"
ROLE_OFFICES: dict[str, str] = {
    Role.CLERK: "窓口",
    Role.CONSULTANT: "相談支援窓口",
    Role.LEAD: "相談支援窓口",
    Role.PRIVACY_OFFICER: "個人情報保護担当",
    Role.ADMIN: "システム管理担当",
}


def group_minutes() -> int:
    return int(getattr(settings, "RIGHTS_GROUP_MINUTES", DEFAULT_GROUP_MINUTES))


@dataclass
class Places:
    """Codes of departments and desks -> Japanese names, and who held which title where."""

    names: dict[str, str]
    titles: dict[tuple[int, str], str]

    @classmethod
    def load(cls, actor_ids: set[int]) -> Places:
        # Staff without a desk or department (the privacy officer, an administrator) are
        # snapshotted by their role code: named by the role's office, never as "abolished".
        names: dict[str, str] = dict(ROLE_OFFICES)
        places = list(Department.objects.values_list("code", "name", "is_active"))
        places += list(Desk.objects.values_list("code", "name", "is_active"))
        for code, name, active in places:
            names[code] = name if active else f"{name}(廃止)"
        titles: dict[tuple[int, str], str] = {}
        memberships = Membership.objects.filter(user_id__in=actor_ids).select_related(
            "desk", "department"
        )
        for membership in memberships:
            place = membership.desk or membership.department
            code = place.code if place is not None else membership.role
            titles[(membership.user_id, code)] = ROLE_TITLES.get(membership.role, DEFAULT_TITLE)
        return cls(names, titles)

    def office(self, codes: str) -> str:
        """The snapshot ``"jiritsu"`` or ``"kakei,jiritsu"`` as Japanese names; a code no
        longer in the directory stays unnamed rather than shown as a code."""
        parts = [self.names.get(code, "(記録のない部署)") for code in codes.split(",") if code]
        return "・".join(parts) or "(所属なし)"

    def title(self, actor_id: int | None, codes: str) -> str:
        for code in codes.split(","):
            found = self.titles.get((actor_id or 0, code))
            if found:
                return found
        return DEFAULT_TITLE


@dataclass
class Row:
    seqs: list[int]
    first_at: datetime.datetime
    last_at: datetime.datetime
    action: str
    actor_id: int | None
    actor_places: str
    recipient: str
    legal_basis: str
    categories: tuple[str, ...]
    target: tuple[str, str]
    withheld_ground: str = ""
    hashes: list[str] = field(default_factory=list)

    def key(self) -> tuple[Any, ...]:
        return (
            self.action,
            self.actor_id,
            self.actor_places,
            self.recipient,
            self.legal_basis,
            self.categories,
            self.target,
            self.withheld_ground,
        )


def _row_of(event: AuditEvent, withheld: dict[int, str]) -> Row:
    details = event.details if isinstance(event.details, dict) else {}
    categories = details.get("categories") or []
    at = timezone.localtime(event.at)
    return Row(
        seqs=[event.seq],
        first_at=at,
        last_at=at,
        action=event.action,
        actor_id=event.actor_id,
        actor_places=event.actor_desk,
        recipient=str(details.get("recipient_desk") or details.get("to_desk") or ""),
        legal_basis=event.legal_basis,
        categories=tuple(sorted(str(c) for c in categories if isinstance(c, str))),
        target=(event.target_type, event.target_id),
        withheld_ground=withheld.get(event.seq, ""),
        hashes=[event.hash],
    )


def group_rows(rows: list[Row], window: datetime.timedelta) -> list[Row]:
    """Rows in time order; a row repeating the previous row of the same person and thing
    (same action, target, basis, categories) within ``window`` of that group's first row is
    folded into it (「閲覧 ×9」)."""
    grouped: list[Row] = []
    open_groups: dict[tuple[Any, ...], Row] = {}
    for row in rows:
        group = open_groups.get(row.key())
        if group is not None and row.first_at - group.first_at <= window:
            group.seqs += row.seqs
            group.hashes += row.hashes
            group.last_at = row.last_at
            continue
        open_groups[row.key()] = row
        grouped.append(row)
    return grouped


def scoped_events(request: RightsRequest, up_to_seq: int) -> list[AuditEvent]:
    """The request's disclosures (its period, if any) recorded at or before ``up_to_seq``."""
    events = disclosures_of_resident(request.resident_id).filter(seq__lte=up_to_seq)
    if request.scope_from:
        events = events.filter(at__gte=day_bounds(request.scope_from)[0])
    if request.scope_until:
        events = events.filter(at__lt=day_bounds(request.scope_until)[1])
    return list(events)


def rows_digest(listed: list[tuple[int, str]]) -> str:
    """SHA-256 over ``"<seq>:<hash>\\n"`` of every listed event, in seq order."""
    text = "".join(f"{seq}:{digest}\n" for seq, digest in sorted(listed))
    return hashlib.sha256(text.encode()).hexdigest()


def _resident_name(resident_id: int) -> str:
    resident = Resident.objects.select_related("data_key").filter(pk=resident_id).first()
    if resident is None:
        return ""
    try:
        return f"{resident.family_name} {resident.given_name}".strip()
    except VaultError:
        return "(保存期間の経過により消去済み)"


def _officer_name(user: Any) -> str:
    if user is None:
        return ""
    full = f"{user.last_name} {user.first_name}".strip()
    return full or "個人情報保護担当"


def build_package(request: RightsRequest, *, officer: Any) -> dict[str, Any]:
    """The package as plain data (the JSON form; CSV and HTML render it). ``request`` must have
    its checkpoint drawn (``services.draw_checkpoint``)."""
    assert request.checkpoint_seq is not None, "draw the checkpoint first"
    withheld = {w.event_seq: w.ground for w in request.withheld.all()}
    events = scoped_events(request, request.checkpoint_seq)
    places = Places.load({e.actor_id for e in events if e.actor_id is not None})
    window = datetime.timedelta(minutes=group_minutes())
    grounds = dict(WithholdingGround.choices)
    rows = []
    for row in group_rows([_row_of(e, withheld) for e in events], window):
        verb = row.action.rsplit(".", 1)[-1]
        label = VERB_LABELS.get(verb, verb)
        office = places.office(row.actor_places)
        receiving = places.office(row.recipient) if row.recipient else office
        entry: dict[str, Any] = {
            "records": row.seqs,
            "count": len(row.seqs),
            "first_at": row.first_at.isoformat(),
            "last_at": row.last_at.isoformat(),
            "date": wareki.both_with_time(row.first_at),
            "last_date": wareki.both_with_time(row.last_at),
            "withheld": bool(row.withheld_ground),
        }
        if row.withheld_ground:
            entry.update(
                {
                    "what": "不開示",
                    "ground": row.withheld_ground,
                    "ground_label": str(grounds.get(row.withheld_ground, row.withheld_ground)),
                }
            )
        else:
            entry.update(
                {
                    "what": f"{label} ×{len(row.seqs)}" if len(row.seqs) > 1 else label,
                    "staff_office": office,
                    "staff_title": places.title(row.actor_id, row.actor_places),
                    "receiving_office": receiving,
                    "categories": [CATEGORY_LABELS.get(c, c) for c in row.categories],
                    "purpose": PURPOSES.get(row.action, DEFAULT_PURPOSE),
                    "legal_basis": BASES.get(row.legal_basis, row.legal_basis),
                }
            )
        rows.append(entry)
    listed = [(e.seq, e.hash) for e in events]
    municipality = Municipality.objects.order_by("pk").first()
    return {
        "request": request.pk,
        "kind": request.kind,
        "kind_label": request.get_kind_display(),
        "resident_internal_id": request.resident_id,
        "resident_name": _resident_name(request.resident_id),
        "municipality": municipality.name if municipality else "",
        "issuing_officer": _officer_name(officer),
        "issued_on": wareki.both(timezone.localdate()),
        "received_on": wareki.both(request.received_on),
        "due_on": wareki.both(request.deadline),
        "scope": {
            "from": request.scope_from.isoformat() if request.scope_from else None,
            "until": request.scope_until.isoformat() if request.scope_until else None,
        },
        "count": len(rows),
        "disclosures": len(events),
        "rows": rows,
        "categories_by_office": _categories_by_office(rows),
        "proof": {
            "checkpoint": {
                "seq": request.checkpoint_seq,
                "head": request.checkpoint_head,
                "key_id": request.checkpoint_key_id,
                "at": request.checkpoint_at,
            },
            "listed": [{"seq": seq, "hash": digest} for seq, digest in listed],
            "rows_sha256": rows_digest(listed),
            "how_to_check": HOW_TO_CHECK.format(seq=request.checkpoint_seq),
        },
    }


def _categories_by_office(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Which categories of information went to which office (the summary on the first page)."""
    offices: dict[str, set[str]] = {}
    for row in rows:
        if row["withheld"]:
            continue
        offices.setdefault(row["receiving_office"], set()).update(row["categories"])
    return [
        {"office": office, "categories": sorted(categories)}
        for office, categories in sorted(offices.items())
    ]


HOW_TO_CHECK = (
    "この一覧は、監査ログの署名付きチェックポイント(記録番号 {seq} までの連鎖の末尾ハッシュに"
    "電子署名したもの)から作成しました。審査会などの確認者は、(1) manage.py audit_verify で"
    "監査ログの連鎖とこのチェックポイントの署名が検証されること、(2) manage.py "
    "rights_verify_package でこの一覧(JSON)の各記録番号とハッシュ値が監査ログと一致し、"
    "対象期間のすべての提供記録が載っていることを確認できます。"
)
