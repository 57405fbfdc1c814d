"""One submit of つなぐシートを作る: register the resident if new, record consent if new, send.

Every step is a service call (the only write path). All typed input is validated before the
first service runs, so a typo in the sheet does not leave a half-registered resident behind.
If a later step is refused, the steps already done stay done and the page comes back with
them selected (the new resident, the new consent), so sending again creates no duplicates.

The page carries a one-time form nonce: a second submit of the same page (a double click, a
second tab, a retry after a lost answer) waits for the first and then shows its sheet, so one
submit makes one resident, one consent and one sheet (referral_hub/idempotency).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _

from frontend import refusals
from frontend.forms.base import error_summary
from frontend.forms.files import max_bytes
from frontend.forms.send import (
    NEW,
    OTHER_BASIS,
    ConsentChoiceForm,
    ConsentForm,
    NewResidentForm,
    OtherBasisForm,
    ResidentChoiceForm,
    ResidentSearchForm,
    SheetForm,
)
from referral_hub.api_input import parse_id
from referral_hub.consent import evidence as consent_evidence
from referral_hub.consent import policy
from referral_hub.consent import services as consent_services
from referral_hub.consent.categories import Basis
from referral_hub.consent.models import Consent, Resident, Signatory
from referral_hub.consent.refusals import require_allowed
from referral_hub.handoffs import attachments as sheet_attachments
from referral_hub.handoffs import services as sheet_services
from referral_hub.handoffs.errors import InvalidInput, InvalidTransition, Refused
from referral_hub.handoffs.models import ConnectSheet
from referral_hub.idempotency import store as idempotency
from referral_hub.vault.errors import VaultError


@dataclass
class SendFlow:
    actor: Any
    data: QueryDict | None = None
    files: MultiValueDict | None = None
    search: ResidentSearchForm = field(init=False)
    resident_choice: ResidentChoiceForm = field(init=False)
    new_resident: NewResidentForm = field(init=False)
    consent_choice: ConsentChoiceForm = field(init=False)
    consent: ConsentForm = field(init=False)
    other_basis: OtherBasisForm = field(init=False)
    sheet: SheetForm = field(init=False)
    refusal: refusals.Explanation | None = None
    resident_id: int | None = None
    consent_id: int | None = None
    # Attachments that could not follow a sheet that was sent: told to the clerk afterwards.
    attachment_problems: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        data, files = self.data, self.files
        self.search = ResidentSearchForm(data)
        self.resident_choice = ResidentChoiceForm(data)
        self.new_resident = NewResidentForm(data)
        self.consent_choice = ConsentChoiceForm(data)
        self.consent = ConsentForm(data, files)
        self.other_basis = OtherBasisForm(data)
        self.sheet = SheetForm(data, files)
        if data is not None:
            resident = data.get("resident", "")
            self.resident_id = parse_id(resident)
            consent = data.get("consent", "")
            self.consent_id = parse_id(consent)

    # --- what the page shows -----------------------------------------------------------------

    @property
    def resident_value(self) -> str:
        if self.resident_id:
            return str(self.resident_id)
        return self.data.get("resident", "") if self.data is not None else ""

    @property
    def consent_value(self) -> str:
        if self.consent_id:
            return str(self.consent_id)
        return self.data.get("consent", "") if self.data is not None else ""

    def active_forms(self) -> list[forms.Form]:
        """The forms this submission uses, in page order."""
        used: list[forms.Form] = [self.search, self.resident_choice]
        if self.resident_value == NEW:
            used.append(self.new_resident)
        used.append(self.consent_choice)
        if self.consent_value == NEW:
            used.append(self.consent)
        elif self.consent_value == OTHER_BASIS:
            used.append(self.other_basis)
        used.append(self.sheet)
        return used

    def errors(self) -> list[dict[str, str]]:
        items = error_summary(*self.active_forms())
        if self.refusal is not None:
            text = f"{self.refusal.message} {self.refusal.hint}".strip()
            href = "#id_to_desk_0" if self.refusal.field == "to_desk" else ""
            items.insert(0, {"href": href, "message": text})
        return items

    # --- submitting ----------------------------------------------------------------------------

    def is_valid(self) -> bool:
        valid = all(form.is_valid() for form in self.active_forms())
        # No birth date is allowed: a resident who does not know it or will not give it is
        # still registered (the API allows it too; issue 19). The kana is needed.
        if (
            self.resident_value == NEW
            and self.search.is_valid()
            and not self.search.cleaned_data["family_name_kana"].strip()
        ):
            self.search.add_error(
                "family_name_kana", _("新しく登録するときは氏(フリガナ)が必要です。")
            )
            valid = False
        return valid

    @cached_property
    def nonce(self) -> str:
        """The form's one-time nonce: the posted one (kept when the page comes back with an
        error), else a new one."""
        posted = self.data.get("form_nonce", "") if self.data is not None else ""
        return str(posted) or secrets.token_urlsafe(24)

    def submit(self) -> ConnectSheet | None:
        """Submit once per form nonce: a repeat gets the first submit's sheet back."""
        if self.data is None or not self.data.get("form_nonce"):
            return self._submit()
        try:
            with idempotency.attempt(
                self.actor.pk, self.nonce, "page.send", idempotency.digest("page.send")
            ) as attempt:
                if attempt.replay is not None:
                    return ConnectSheet.objects.filter(pk=attempt.replay.body["sheet"]).first()
                sheet = self._submit()
                if sheet is not None:
                    attempt.store(302, {"sheet": sheet.pk})
                return sheet
        except idempotency.InvalidKey:
            return self._submit()  # not a nonce this page made: an ordinary submit
        except idempotency.Conflict:
            self.refusal = refusals.Explanation(
                "idempotency_conflict",
                _("同じ送信をまだ処理しています。"),
                _("少し待ってから送信済みのシート一覧を確認してください。"),
            )
            return None

    def _submit(self) -> ConnectSheet | None:
        """Run the services in order; on a refusal or invalid input, return None with the
        error attached to the form field it concerns. Files were checked by the forms, so
        the signed form and the attachments are stored unless the gate refuses them."""
        try:
            resident = self._resident()
            if resident is None:
                return None
            consent = self._consent(resident)
            if consent is None and self.consent_value != OTHER_BASIS:
                return None
            sheet = self._send(resident, consent)
        except Refused as refused:
            self.refusal = refusals.explain(refused.decision)
            if self.refusal.field == "to_desk":
                self.sheet.add_error("to_desk", self.refusal.hint or self.refusal.message)
            return None
        except InvalidInput as invalid:
            self._place_invalid(invalid)
            return None
        self._attach(sheet)
        return sheet

    def _attach(self, sheet: ConnectSheet) -> None:
        """The sheet is out; each file follows it or is reported (the sheet page can retry)."""
        for upload in self.sheet.cleaned_data.get("attachments") or []:
            try:
                sheet_attachments.add_attachment(
                    self.actor, sheet.pk, upload, max_bytes=max_bytes()
                )
            except Refused as refused:
                explanation = refusals.explain(refused.decision)
                self.attachment_problems.append(
                    f"{upload.name}: {explanation.message} {explanation.hint}".strip()
                )
            except (InvalidTransition, VaultError):
                self.attachment_problems.append(
                    _("%(name)s: 保存できませんでした。") % {"name": upload.name}
                )

    def _resident(self) -> Resident | None:
        if self.resident_value != NEW:
            # An unknown id and an unrelated resident are refused alike, by the gate.
            decision, resident = policy.authorize_resident(
                self.actor, self.resident_id, "sheet.send"
            )
            require_allowed(decision)
            return resident
        search = self.search.cleaned_data
        person = self.new_resident.cleaned_data
        resident = consent_services.register_resident(
            self.actor,
            consent_services.ResidentInput(
                family_name=person["family_name"],
                given_name=person["given_name"],
                family_name_kana=search["family_name_kana"],
                given_name_kana=search["given_name_kana"],
                birth_date=search["birth_date"],
                address=person["address"],
                phone=person["phone"],
            ),
        )
        self.resident_id = resident.pk
        return resident

    def _consent(self, resident: Resident) -> Consent | None:
        if self.consent_value == OTHER_BASIS:
            return None
        if self.consent_value != NEW:
            consent = Consent.objects.filter(pk=self.consent_id).first()
            if consent is None:
                self.consent_choice.add_error("consent", _("選んだ同意が見つかりません。"))
            return consent
        scope = self.consent.cleaned_data
        consent = consent_services.record_consent(
            self.actor,
            consent_services.ConsentInput(
                resident=resident,
                recipients=list(scope["recipients"]),
                categories=list(scope["categories"]),
                purpose=scope["purpose"],
                method=scope["method"],
                witness=scope["witness"],
                valid_until=scope["valid_until"],
                language=scope.get("language") or "ja",
                read_aloud=scope.get("read_aloud", False),
                signatory=scope.get("signatory") or Signatory.SELF,
                signatory_name=scope.get("signatory_name", ""),
                signatory_document=scope.get("signatory_document", ""),
            ),
        )
        self.consent_id = consent.pk
        if scope.get("evidence"):
            try:
                consent_evidence.attach_evidence(
                    self.actor, consent.pk, scope["evidence"], max_bytes=max_bytes()
                )
            except VaultError:
                self.consent.add_error("evidence", _("同意書のファイルを保存できませんでした。"))
                return None
        return consent

    def _send(self, resident: Resident, consent: Consent | None) -> ConnectSheet:
        sheet = self.sheet.cleaned_data
        if consent is not None:
            basis, justification = Basis.CONSENT, ""
        else:
            basis = self.other_basis.cleaned_data["legal_basis"]
            justification = self.other_basis.cleaned_data["justification"]
        meeting = self.data.get("support_meeting", "") if self.data is not None else ""
        return sheet_services.send_sheet(
            self.actor,
            sheet_services.SheetInput(
                resident=resident,
                to_desk=sheet["to_desk"],
                concerns=list(sheet["concerns"]),
                urgency=sheet["urgency"],
                legal_basis=basis,
                handoff_method=sheet["handoff_method"],
                summary=sheet["summary"],
                resident_words=sheet["resident_words"],
                consent=consent,
                justification=justification,
                support_meeting=parse_id(meeting) if basis == Basis.SUPPORT_MEETING else None,
                contact_preference=sheet["contact_preference"],
                details=self.sheet.details(),
            ),
        )

    def _place_invalid(self, invalid: InvalidInput) -> None:
        """Put a service's validation message next to the field it names."""
        owners: list[forms.Form] = [self.sheet, self.consent, self.other_basis, self.new_resident]
        for form in owners:
            if invalid.field in form.fields:
                form.add_error(invalid.field, invalid.message)
                return
        if invalid.field in ("tax", "health", "household"):
            self.sheet.add_error(f"{invalid.field}_details", invalid.message)
            return
        self.refusal = refusals.Explanation(invalid.code, invalid.message)
