"""CSV and printable HTML forms of a resident's disclosure report (本人開示)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from referral_hub.api_renderers import DocumentRenderer
from referral_hub.excel_csv import excel_csv

CSV_HEADERS = ["記録番号", "日時", "操作", "職員", "所属", "法的根拠", "提供先", "対象", "対象ID"]


def _is_report(data: Any) -> bool:
    return isinstance(data, Mapping) and "results" in data and "resident" in data


class _ReportRenderer(DocumentRenderer):
    def is_document(self, data: Any) -> bool:
        return _is_report(data)


class DisclosureCSVRenderer(_ReportRenderer):
    """UTF-8 with a byte order mark, so Excel opens the Japanese headers correctly; desk names
    and usernames cannot become formulas (``referral_hub.excel_csv``)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render_document(self, data: Mapping[str, Any], request: Any) -> bytes:
        return excel_csv(
            CSV_HEADERS,
            (
                [
                    row["seq"],
                    timezone.localtime(row["at"]).strftime("%Y-%m-%d %H:%M:%S"),
                    row["action_label"],
                    row["actor_username"],
                    row["actor_desk"],
                    row["legal_basis_label"],
                    row["recipient_desk"],
                    row["target_type"],
                    row["target_id"],
                ]
                for row in data["results"]
            ),
        )


class DisclosureHTMLRenderer(_ReportRenderer):
    """A printable page to hand to the resident."""

    media_type = "text/html"
    format = "html"
    charset = "utf-8"

    def render_document(self, data: Mapping[str, Any], request: Any) -> bytes:
        return render_to_string(
            "audit/disclosure_report.html", {"report": data}, request=request
        ).encode("utf-8")
