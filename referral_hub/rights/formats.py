"""The disclosure package as CSV (for the file) and as a printable HTML page."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string

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


def package_html(package: dict[str, Any], request: Any = None) -> str:
    return render_to_string("rights/package.html", {"package": package}, request=request)
