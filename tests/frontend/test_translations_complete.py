"""Translations complete (issue 16, input 11): the English UI has English for every template
string, choice label, gate text and reference-data name, statuses read as states ("Closed",
not the button's "Close"), and the admin is wholly Japanese by default."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import models
from django.test import Client
from django.utils import translation

from referral_hub.consent import refusal_texts
from referral_hub.directory.models import Concern, Department, Desk
from referral_hub.directory.reference_data import CONCERNS, DEMO_DEPARTMENTS, DEMO_DESKS
from referral_hub.handoffs.models import EventKind, Status
from tests.fixtures_sheets import Api, drive_to, make_consent, make_resident, send_ok

from .conftest import text

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"
# Hiragana, katakana (with ー) and CJK ideographs: any of them in an English text is untranslated.
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")


def _po_entries(path: Path) -> list[dict[str, Any]]:
    """The catalogue's live entries (obsolete ``#~`` ones left out), as dicts with ``msgctxt``,
    ``msgid``, ``msgstr`` (a list: one item, or one per plural form) and ``fuzzy``."""

    def unquote(chunk: str) -> str:
        return "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', chunk))

    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.strip().splitlines() if not line.startswith("#~")]
        if not any(line.startswith("msgid ") for line in lines):
            continue
        fields: dict[str, list[str]] = {}
        key = ""
        for line in lines:
            if line.startswith("#"):
                continue
            match = re.match(r"(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) (.*)", line)
            if match:
                key = match.group(1)
                fields[key] = [match.group(2)]
            else:
                fields[key].append(line)
        entry = {
            "msgctxt": unquote("\n".join(fields.get("msgctxt", []))) or None,
            "msgid": unquote("\n".join(fields["msgid"])),
            "msgstr": [unquote("\n".join(v)) for k, v in fields.items() if k.startswith("msgstr")],
            "fuzzy": any(line.startswith("#,") and "fuzzy" in line for line in lines),
        }
        entries.append(entry)
    return entries


def _english(text_: Any) -> str:
    with translation.override("en"):
        return str(text_)


# (a) Template and code strings: the catalogue has an English text for each of them.


def test_every_catalogue_entry_has_english_that_is_neither_empty_nor_fuzzy():
    entries = [e for e in _po_entries(CATALOGUE) if e["msgid"]]
    assert len(entries) > 500  # the parser read the catalogue, not an empty file
    missing = [
        (e["msgctxt"], e["msgid"])
        for e in entries
        if e["fuzzy"] or not all(e["msgstr"]) or any(JAPANESE.search(s) for s in e["msgstr"])
    ]
    assert missing == []


_TEMPLATE_DIRS = [Path(settings.BASE_DIR) / "frontend", Path(settings.BASE_DIR) / "referral_hub"]
_TRANSLATE_TAG = re.compile(r"""\{% (?:translate|trans) (["'])(.*?)\1[^%]*%\}""")


def test_every_translate_tag_in_the_templates_is_in_the_english_catalogue():
    # The catalogue test above only sees what makemessages collected: a template string added
    # after the last makemessages run would stay Japanese in the English UI without this.
    english = {e["msgid"]: e for e in _po_entries(CATALOGUE) if e["msgctxt"] is None}
    seen, missing = 0, []
    for folder in _TEMPLATE_DIRS:
        for template in folder.rglob("*.html"):
            for _quote, msgid in _TRANSLATE_TAG.findall(template.read_text(encoding="utf-8")):
                seen += 1
                entry = english.get(msgid.replace("%", "%%"))  # as makemessages writes it
                if entry is None or entry["fuzzy"] or not all(entry["msgstr"]):
                    missing.append(f"{template.name}: {msgid}")
    assert seen > 300
    assert missing == []


# (b) Choice labels.


def _choice_classes() -> list[type[models.Choices]]:
    found: list[type[models.Choices]] = []
    pending: list[type] = [models.TextChoices, models.IntegerChoices]
    while pending:
        cls = pending.pop()
        for sub in cls.__subclasses__():
            pending.append(sub)
            if sub.__module__.startswith(("referral_hub.", "frontend.")):
                found.append(sub)
    return found


def test_every_choice_label_of_the_project_has_english():
    classes = _choice_classes()
    names = {cls.__qualname__ for cls in classes}
    assert {"Status", "EventKind", "Role", "Category", "Basis", "EventType"} <= names
    untranslated = [
        f"{cls.__module__}.{cls.__qualname__}.{value}: {_english(label)}"
        for cls in classes
        for value, label in cls.choices
        if JAPANESE.search(_english(label))
    ]
    assert untranslated == []


# (c) The gate's texts.


def test_every_gate_text_has_english():
    texts = {
        **{f"message {code}": t for code, t in refusal_texts.MESSAGES.items()},
        **{f"purpose {key}": t for key, t in refusal_texts.PURPOSE_MESSAGES.items()},
        **{f"option {code}": t for code, t in refusal_texts.OPTION_REASONS.items()},
        "option other": refusal_texts.OPTION_REASON_OTHER,
    }
    untranslated = {name: _english(t) for name, t in texts.items() if JAPANESE.search(_english(t))}
    assert untranslated == {}


# (d) Reference data: concerns, desks and departments.


@pytest.mark.django_db
def test_the_migration_gives_every_concern_an_english_name():
    # No seed_demo here: the concerns and their English names come from the migrations alone.
    names = dict(Concern.objects.values_list("code", "name_en"))
    assert set(names) == {code for code, _name, _emergency in CONCERNS}
    assert names["dv"] == "Domestic violence"
    assert [code for code, name_en in names.items() if not name_en] == []


def test_every_seeded_concern_desk_and_department_has_an_english_name(demo):
    expected = {
        Concern: {code for code, _n, _e in CONCERNS},
        Department: {code for code, _n, _m in DEMO_DEPARTMENTS},
        Desk: {row[0] for row in DEMO_DESKS},
    }
    for model, codes in expected.items():
        rows = dict(model.objects.filter(code__in=codes).values_list("code", "name_en"))
        assert set(rows) == codes, model
        bad = {code: name for code, name in rows.items() if not name or JAPANESE.search(name)}
        assert bad == {}, model


def test_a_desk_without_an_english_name_shows_its_japanese_name_in_english(demo):
    desk = demo.desk("kakei")
    desk.name_en = ""
    assert _english(desk) == "家計改善支援"
    desk.name_en = "Household Budget Support"
    assert _english(desk) == "Household Budget Support"
    with translation.override("ja"):
        assert str(desk) == "家計改善支援"


def _english_client(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_english_send_page_lists_concerns_by_their_english_names(demo, browser_as):
    page = text(_english_client(browser_as("tax_clerk")).get("/send/"))
    assert "Domestic violence" in page
    assert "Tax or insurance arrears" in page
    assert "税・保険料の滞納" not in page


def test_english_inbox_and_sheet_show_desk_department_and_concern_names_in_english(
    demo, browser_as
):
    clerk = demo.user("tax_clerk")
    resident = make_resident(clerk, family_name="英語", given_name="一郎")
    consent = make_consent(clerk, resident, ["jiritsu"])
    sheet_id = send_ok(Api(clerk), resident, consent, concerns=["tax_arrears", "debt"])
    client = _english_client(browser_as("consult1"))

    inbox = text(client.get("/inbox/"))
    assert "Tax Collection Division" in inbox
    assert "Tax or insurance arrears, Debt" in inbox
    assert "収納課" not in inbox

    sheet = text(client.get(f"/sheets/{sheet_id}/"))
    assert "Self-reliance Support Desk" in sheet
    assert "Tax Collection Division" in sheet
    assert "自立相談支援窓口" not in sheet


def test_japanese_inbox_keeps_the_japanese_names(demo, browser_as):
    clerk = demo.user("tax_clerk")
    resident = make_resident(clerk, family_name="日本", given_name="一郎")
    consent = make_consent(clerk, resident, ["jiritsu"])
    send_ok(Api(clerk), resident, consent, concerns=["tax_arrears"])
    inbox = text(browser_as("consult1").get("/inbox/"))
    assert "収納課" in inbox
    assert "Tax Collection Division" not in inbox


# (e) Statuses read as states, timeline entries as what happened.

STATUS_EN = {
    "sent": "Sent",
    "acknowledged": "Acknowledged",
    "accepted": "Accepted",
    "contacted": "Contacted",
    "connected": "Connected",
    "returned": "Returned",
    "closed": "Closed",
    "withdrawn": "Withdrawn",
}

EVENT_EN = {
    "sent": "Sent",
    "acknowledged": "Acknowledged",
    "redirected": "Redirected",
    "returned": "Returned",
    "resent": "Resent",
    "withdrawn": "Withdrawn",
    "closed": "Closed",
}


def test_status_labels_in_english_read_as_states():
    assert {value: _english(label) for value, label in Status.choices} == STATUS_EN


def test_timeline_entries_in_english_read_as_what_happened():
    labels = {value: _english(label) for value, label in EventKind.choices}
    assert {value: labels[value] for value in EVENT_EN} == EVENT_EN


def test_english_sheet_page_shows_a_closed_sheet_as_closed(demo, browser_as):
    clerk = demo.user("tax_clerk")
    resident = make_resident(clerk, family_name="終結", given_name="一郎")
    consent = make_consent(clerk, resident, ["jiritsu"])
    sheet_id = send_ok(Api(clerk), resident, consent)
    drive_to(demo, sheet_id, "closed")
    page = text(_english_client(browser_as("consult_lead")).get(f"/sheets/{sheet_id}/"))
    assert re.search(r'id="sheet-status" data-status="closed">Closed</span>', page)


# (f) The admin is Japanese by default.


class _VisibleText(HTMLParser):
    """The text a reader sees: data outside <script>/<style>, and titles/labels."""

    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        shown = {"title", "aria-label", "placeholder"}
        if tag == "input" and dict(attrs).get("type") in ("submit", "button"):
            shown.add("value")  # a button's text; other values are data
        self.chunks.extend(value for name, value in attrs if name in shown and value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.chunks.append(data.strip())


# Texts in the admin that are not Japanese on purpose: codes, the user's own name, the
# reference data's own values shown as data.
_ADMIN_NOT_CHROME = re.compile(r"^[\W\d_]*$|^(admin|DV)$")


def _english_chrome(html: str) -> list[str]:
    """Visible English text outside the result rows (those are data: codes, English names)."""
    html = re.sub(r'(<table id="result_list">.*?<tbody>).*?(</tbody>)', r"\1\2", html, flags=re.S)
    parser = _VisibleText()
    parser.feed(html)
    return [
        chunk
        for chunk in parser.chunks
        if re.search(r"[A-Za-z]{2,}", chunk)
        and not JAPANESE.search(chunk)
        and not _ADMIN_NOT_CHROME.match(chunk)
    ]


def _admin_client(demo: Any, username: str = "admin") -> Client:
    # A browser that asks for English: the admin still opens in Japanese (no language cookie).
    client = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    client.force_login(demo.user(username))
    return client


@pytest.mark.parametrize(
    "username, path",
    [
        ("admin", "/admin/"),
        ("admin", "/admin/directory/desk/"),
        ("admin", "/admin/directory/desk/add/"),
        ("admin", "/admin/directory/concern/"),
        ("admin", "/admin/directory/department/"),
        ("admin", "/admin/directory/membership/"),
        ("privacy_officer", "/admin/"),
        ("privacy_officer", "/admin/consent/legalbasis/"),
    ],
)
def test_admin_is_wholly_japanese_without_a_language_cookie(demo, username, path):
    response = _admin_client(demo, username).get(path)
    assert response.status_code == 200
    html = text(response)
    assert '<html lang="ja"' in html
    assert "つなぐシート 管理" in html
    assert "ログアウト" in html  # Django's own admin chrome, from its ja catalogue
    assert _english_chrome(html) == []


def test_admin_index_names_the_apps_in_japanese(demo):
    html = text(_admin_client(demo).get("/admin/"))
    assert "ディレクトリ管理" in html
    assert "最近行った操作" in html  # Django's "Recent actions" in its ja translation
    assert re.search(r"<caption>\s*<a [^>]*>ディレクトリ</a>", html)
    assert ">Directory<" not in html


def test_admin_desk_form_offers_the_english_name_field(demo):
    desk = demo.desk("kakei")
    html = text(_admin_client(demo).get(f"/admin/directory/desk/{desk.pk}/change/"))
    assert 'name="name_en"' in html
    assert 'value="Household Budget Support"' in html
    assert "英語名" in html


def test_english_monthly_report_page_names_departments_and_concerns_in_english(demo, browser_as):
    clerk = demo.user("tax_clerk")
    resident = make_resident(clerk, family_name="集計", given_name="一郎")
    consent = make_consent(clerk, resident, ["jiritsu"])
    send_ok(Api(clerk), resident, consent, concerns=["tax_arrears"])
    page = text(_english_client(browser_as("consult_lead")).get("/reports/monthly/"))
    assert "Tax Collection Division" in page
    assert "Tax or insurance arrears" in page
    assert "収納課" not in page
