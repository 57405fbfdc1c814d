"""The disclosure package as CSV (for the file) and as a printable HTML page."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.template.loader import render_to_string

from referral_hub.api_renderers import DocumentRenderer
from referral_hub.excel_csv import excel_csv

CSV_HEADERS = [
    "日時(和暦・西暦)",
    "最後の日時",
    "内容",
    "回数",
    "職員の所属",
    "職名",
    "受け取った窓口",
    "情報の種類",
    "目的",
    "法的根拠",
    "不開示の根拠",
    "記録番号",
]


def package_csv(package: dict[str, Any]) -> bytes:
    rows = []
    for row in package["rows"]:
        rows.append(
            [
                row["date"],
                row["last_date"],
                row["what"],
                row["count"],
                row.get("staff_office", ""),
                row.get("staff_title", ""),
                row.get("receiving_office", ""),
                "・".join(row.get("categories", [])),
                row.get("purpose", ""),
                row.get("legal_basis", ""),
                row.get("ground_label", ""),
                " ".join(str(seq) for seq in row["records"]),
            ]
        )
    proof = package["proof"]["checkpoint"]
    rows.append([])
    rows.append(["完全性の証明", f"チェックポイント seq {proof['seq']}", proof["head"]])
    rows.append(["記録一覧のハッシュ", package["proof"]["rows_sha256"]])
    return excel_csv(CSV_HEADERS, rows)


def package_html(package: dict[str, Any], request: Any = None, *, pdf: bool = False) -> str:
    """``pdf``: without the page's links (the PDF gets its stylesheet directly)."""
    return render_to_string(
        "rights/package.html", {"package": package, "pdf": pdf}, request=request
    )


def _is_package(data: Any) -> bool:
    return isinstance(data, Mapping) and "rows" in data and "proof" in data


class _PackageRenderer(DocumentRenderer):
    def is_document(self, data: Any) -> bool:
        return _is_package(data)


class PackageCSVRenderer(_PackageRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render_document(self, data: Mapping[str, Any], request: Any) -> bytes:
        return package_csv(dict(data))


class PackageHTMLRenderer(_PackageRenderer):
    media_type = "text/html"
    format = "html"
    charset = "utf-8"

    def render_document(self, data: Mapping[str, Any], request: Any) -> bytes:
        return package_html(dict(data), request).encode("utf-8")


def package_pdf(package: dict[str, Any]) -> bytes:
    """The printable page as PDF (WeasyPrint; Japanese glyphs from the system's Noto CJK fonts
    through fontconfig: Debian ``fonts-noto-cjk``). The stylesheet is read from the static
    files and the page's links are left out, so no URL is fetched."""
    from django.contrib.staticfiles import finders
    from weasyprint import CSS, HTML

    stylesheet = finders.find("rights/package.css")
    html = HTML(string=package_html(package, pdf=True))
    return html.write_pdf(stylesheets=[CSS(filename=stylesheet)] if stylesheet else [])


class PackagePDFRenderer(_PackageRenderer):
    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render_document(self, data: Mapping[str, Any], request: Any) -> bytes:
        return package_pdf(dict(data))
