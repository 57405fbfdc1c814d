"""The report as CSV for Excel: UTF-8 with a byte-order mark (so Excel detects the encoding),
CRLF line ends, Japanese headers, one figure per row (区分, 項目, コード, 値). Names that
staff typed (departments, desks) cannot become formulas (``referral_hub.excel_csv``)."""

from __future__ import annotations

from typing import Any

from referral_hub.excel_csv import excel_csv

HEADER = ["区分", "項目", "コード", "値"]


def _hours(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds / 3600:.2f}"


def _percent(share: float | None) -> str:
    return "" if share is None else f"{share * 100:.1f}"


def report_rows(report: dict[str, Any]) -> list[list[str]]:
    """The figures of ``figures.monthly_report`` / ``fiscal_year_report`` as CSV rows."""
    period = report["period"]
    is_month = period["kind"] == "month"
    end_label = "月末" if is_month else "年度末"
    rows: list[list[Any]] = [
        ["期間", "種別", period["kind"], "月" if is_month else "年度"],
        ["期間", "対象", "", period["label"] if is_month else f"{period['label']}年度"],
        ["期間", "開始", "", period["start"]],
        ["期間", "終了(この時刻を含まない)", "", period["end"]],
        ["期間", "集計時点", "", period["as_of"]],
        [
            "範囲",
            "対象",
            "",
            "市全体" if report["scope"]["municipality_wide"] else "所属部署が送付したシート",
        ],
        ["件数", "送付件数", "", report["sheets"]],
    ]
    rows += [["送付元部署", d["name"], d["code"], d["sheets"]] for d in report["by_department"]]
    rows += [
        ["困りごと(複数選択)", c["name"], c["code"], c["sheets"]] for c in report["by_concern"]
    ]
    rows += [["緊急度", u["label"], u["code"], u["sheets"]] for u in report["by_urgency"]]
    rows += [["終結の結果", o["label"], o["code"], o["sheets"]] for o in report["by_outcome"]]
    rows += [
        ["状況(集計時点)", "終結", "closed", report["closed"]],
        ["状況(集計時点)", "取下げ", "withdrawn", report["withdrawn"]],
        ["状況(集計時点)", "未終結", "open", report["open_now"]],
    ]
    rate = report["connection_rate"]
    rows += [
        ["つながり率", "つながった件数(支援につながった+他機関につないだ)", "", rate["connected"]],
        ["つながり率", "終結件数", "", rate["closed"]],
        ["つながり率", "つながり率(%)", "", _percent(rate["rate"])],
    ]
    ack = report["time_to_acknowledge"]
    rows += [
        ["受付までの時間", "受付済の件数", "", ack["sheets"]],
        ["受付までの時間", "中央値(時間)", "", _hours(ack["median_seconds"])],
        ["受付までの時間", "90パーセンタイル(時間)", "", _hours(ack["p90_seconds"])],
        ["受付までの時間", "期限内に受付した件数", "", ack["within_sla"]],
        ["受付までの時間", "期限内の割合(%)", "", _percent(ack["within_sla_share"])],
        ["受付までの時間", "未受付の件数", "", report["not_acknowledged"]],
    ]
    contact = report["time_to_first_contact"]
    rows += [
        ["初回連絡までの時間", "連絡済の件数", "", contact["sheets"]],
        ["初回連絡までの時間", "中央値(時間)", "", _hours(contact["median_seconds"])],
        ["初回連絡までの時間", "90パーセンタイル(時間)", "", _hours(contact["p90_seconds"])],
        ["初回連絡までの時間", "緊急の件数", "", contact["urgent_sheets"]],
        [
            "初回連絡までの時間",
            "緊急のうち当日に連絡した件数",
            "",
            contact["urgent_contacted_same_day"],
        ],
        [
            "初回連絡までの時間",
            "緊急の当日連絡の割合(%)",
            "",
            _percent(contact["urgent_same_day_share"]),
        ],
    ]
    redirects = report["redirects"]
    rows += [
        ["期限超過", "期限超過となったシート", "", report["overdue"]],
        ["転送", "転送の回数", "", redirects["total"]],
        ["転送", "転送されたシート", "", redirects["sheets_redirected"]],
        ["転送", "2回以上転送されたシート", "", redirects["sheets_redirected_twice_or_more"]],
        *_arrival_rows(report["arrivals"]),
        [f"{end_label}時点", "時点", "", report["open_at_period_end"]["at"]],
        [
            f"{end_label}時点",
            "未終結のシート(期間より前の送付分を含む)",
            "",
            report["open_at_period_end"]["sheets"],
        ],
    ]
    follow = report["follow_up"]
    deadline = follow["first_contact_deadline"]
    per_connected = follow["attempts_per_connected_sheet"]
    rows += [
        ["連絡の継続", "ケース数(並行するシートは1件)", "", follow["cases"]],
        ["連絡の継続", "連絡が途絶えたシート(30日以上)", "", follow["stalled"]],
        ["連絡の継続", "初回連絡期限の対象件数", "", deadline["due"]],
        ["連絡の継続", "初回連絡期限内の件数", "", deadline["met"]],
        ["連絡の継続", "初回連絡期限内の割合(%)", "", _percent(deadline["met_share"])],
        ["連絡の継続", "つながったシート", "", per_connected["connected_sheets"]],
        ["連絡の継続", "つながったシートへの連絡の試み", "", per_connected["attempts"]],
        ["連絡の継続", "つながったシート1件あたりの試み", "", per_connected["mean"] or ""],
    ]
    rows += [["月別推移", m["month"], "", m["sheets"]] for m in report.get("months", [])]
    return [[str(value) for value in row] for row in rows]


def report_csv(report: dict[str, Any]) -> bytes:
    return excel_csv(HEADER, report_rows(report))


def csv_filename(report: dict[str, Any]) -> str:
    """ASCII file name: ``referrals-2026-04.csv`` or ``referrals-fy2026.csv``."""
    period = report["period"]
    label = period["label"] if period["kind"] == "month" else f"fy{period['label']}"
    return f"referrals-{label}.csv"


def _arrival_rows(arrivals: dict[str, Any]) -> list[list[Any]]:
    """来所: the arrival rate by sending department and the median time to arrival."""
    rows: list[list[Any]] = [
        ["来所", "来所したシート", "", arrivals["arrived"]],
        ["来所", "来所率(%)", "", _percent(arrivals["rate"])],
        [
            "来所",
            "送信から来所までの中央値(秒)",
            "",
            ""
            if arrivals["median_seconds_to_arrival"] is None
            else arrivals["median_seconds_to_arrival"],
        ],
    ]
    for row in arrivals["by_department"]:
        label = row["code"] or "部署以外"
        rows.append(["来所率(送った部署別、%)", label, "", _percent(row["rate"])])
    return rows
