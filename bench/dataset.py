"""The benchmark data set, shared by every benchmark in bench/: a prefecture-scale history.

    .venv/bin/python bench/dataset.py [--database-url URL] [--size small|medium|full] [--rebuild]

The database defaults to $BENCH_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/scale_bench;
its name must contain "bench" (generation TRUNCATEs the tables). A benchmark calls
``ensure(url, size)``: it generates the data set unless the database already holds one of that
size (``bench_manifest`` table), and returns the manifest (counts, sample search keys).

| size | sheets | residents | audit events | time to generate (2 cores) |
|---|---|---|---|---|
| small (default) | 20,000 | 20,000 | 200,000 | well under a minute |
| medium | 200,000 | 200,000 | 2,000,000 | a few minutes |
| full | 1,000,000 | 1,000,000 | 10,000,000 | see docs/performance.md |

What is generated (seeded, deterministic):
- the demo directory (seed_demo: デモ市's departments, desks and staff);
- residents with **real encryption**: every one has its own data key, wrapped by the bench
  master key (AES key wrap, as ``vault.keys.new_data_key``), and its name, kana, birth date,
  address and phone are AES-GCM tokens in the exact format of ``vault.fields`` (the same
  associated data, so the product decrypts them: ``ensure`` checks one). The blind indexes are
  the product's own (``consent.services.name_birth_index``), over names drawn from common
  Japanese family and given names, so the duplicate search finds realistic collisions;
- sheets over ten fiscal years (FY2016–FY2025, 120 months), each with its own data key and an
  encrypted summary and resident's words of realistic length; distributions as in
  bench/reports_monthly.py's generator (moved here): source departments from Zama City's table
  (DOMAIN.md), urgency 8/27/65 %, log-normal acknowledgement delays, ~10 % redirected (some across
  month ends), late closures a month or more after sending, 2 % withdrawn, returns and resends;
  sheets still open after 60 days are closed (declined, unreachable, …), so the open sheets are
  the recent ones (a desk holds a few thousand);
- attachment metadata (8 % of sheets, one or two each, own data key, random storage names; the
  blobs themselves are not written);
- audit events with the **real hash chain** (``audit.chain.event_hash``) spread over the ten
  years, actions and legal bases in the proportions a working desk produces, naming real sheets
  and residents; the chain head is set, so ``audit_verify`` verifies them.

Everything is written with COPY, secondary indexes dropped during the load and rebuilt after,
then VACUUM ANALYZE. Keys: a fixed bench master key ring and index key (``BENCH_ENV``), so a
data set generated once can be decrypted by every later benchmark run.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import datetime
import hashlib
import json
import math
import os
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/scale_bench"
SIZES = {
    "small": {"sheets": 20_000, "residents": 20_000, "audit_events": 200_000},
    "medium": {"sheets": 200_000, "residents": 200_000, "audit_events": 2_000_000},
    "full": {"sheets": 1_000_000, "residents": 1_000_000, "audit_events": 10_000_000},
}
TEN_YEARS_FIRST_MONTH = datetime.date(2016, 4, 1)
TEN_YEARS = 120


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii")


def _fixed(label: str) -> bytes:
    return hashlib.sha256(b"referral-hub-bench/" + label.encode()).digest()


# Fixed, bench-only keys: data generated once stays readable by later runs.
BENCH_ENV = {
    "VAULT_KEYS": f"bench1:{_b64(_fixed('kek1'))},bench2:{_b64(_fixed('kek2'))}",
    "VAULT_ACTIVE_KEY": "bench1",
    "VAULT_INDEX_KEY": _b64(_fixed("index")),
    "AUDIT_SIGNING_KEY": _b64(_fixed("ed25519")),
}


def database_url(given: str | None = None) -> str:
    url = given or os.environ.get("BENCH_DATABASE_URL") or DEFAULT_URL
    if "bench" not in url.rsplit("/", 1)[1]:
        sys.exit(f"refusing to use {url}: the benchmark database name must contain 'bench'")
    return url


def configure_django(url: str, **overrides: str) -> None:
    """Production settings on ``url`` with the bench keys (``overrides`` win)."""
    os.environ["DATABASE_URL"] = url
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", _b64(os.urandom(48)))
    os.environ.setdefault("DATA_DIR", tempfile.mkdtemp(prefix="rh-bench-"))
    for name, value in {**BENCH_ENV, **overrides}.items():
        os.environ[name] = value
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["DJANGO_SETTINGS_MODULE"] = "referral_hub.settings"
    import django

    django.setup()


def ensure_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = url.rsplit("/", 1)[1].split("?")[0]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}", flush=True)


def load_average() -> str:
    """``/proc/loadavg``'s three averages, printed beside every figure (the machine is shared)."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


# --- data generation -----------------------------------------------------------------------------

ZAMA_REFERRALS = {  # DOMAIN.md: in-office referrals by department (FY2018)
    "seikatsu_hogo_tanto": 22,
    "kouchou_jinken": 16,
    "shuno": 13,
    "kokuho_nenkin": 13,
    "kenko_zukuri": 10,
    "kaigo_hoken": 10,
    "shogai_fukushi": 8,
    "kodomo_seisaku": 5,
    "shiminzei": 2,
    "shohi_seikatsu": 2,
    "koseki_jumin": 1,
    "shoko_kanko": 1,
    "iryo": 1,
    "kenchiku_jutaku": 1,
    "kyoiku_kenkyujo": 1,
    "gakko_kyoiku": 3,  # not in Zama's table; the demo municipality has it
    "jogesuido": 2,
}
FROM_DESK_SHARE = 0.05
CONCERN_WEIGHTS = {  # DOMAIN.md: the most frequent problems at first assessment, in order
    "economic_hardship": 30,
    "illness": 18,
    "household_budget": 16,
    "job_search": 15,
    "mental_health": 13,
    "family": 11,
    "isolation": 10,
    "debt": 9,
    "disability_suspected": 8,
    "unstable_housing": 8,
    "tax_arrears": 12,
    "rent_arrears": 6,
    "utility_arrears": 5,
    "children_education": 4,
    "hikikomori": 3,
    "dv": 2,
    "no_food": 2,
    "other": 3,
}
URGENCY_WEIGHTS = {"urgent": 8, "soon": 27, "normal": 65}
# Median acknowledgement delay in hours per urgency (log-normal, sigma 1).
ACK_MEDIAN_HOURS = {"urgent": 0.4, "soon": 5.0, "normal": 20.0}
FIRST_MONTH = datetime.date(2024, 4, 1)
MONTHS = 24
OFFICE_OPEN = datetime.time(8, 30)
RESIDENTS_PER_SHEET = 0.25
SWEEP_DELAY = datetime.timedelta(minutes=5)
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)


class Generator:
    """Deterministic (seeded) sheets and timelines."""

    def __init__(
        self,
        sheets: int,
        directory: dict[str, Any],
        seed: int = 20260401,
        *,
        first_month: datetime.date = FIRST_MONTH,
        months: int = MONTHS,
        close_stale_after: datetime.timedelta | None = None,
    ) -> None:
        from referral_hub import office_calendar
        from referral_hub.handoffs import sla
        from referral_hub.reports.periods import TOKYO

        self.sla = sla
        self.calendar = office_calendar
        self.tokyo = TOKYO
        self.rng = random.Random(seed)
        self.first_month = first_month
        self.months = months
        # Sheets still open this long before "now" get closed (declined/unreachable): without it
        # ten years of history would leave every never-acknowledged sheet open forever.
        self.close_stale_after = close_stale_after
        self.sheets = sheets
        self.directory = directory
        self.now = datetime.datetime(2026, 4, 10, 12, 0, tzinfo=TOKYO)
        self.departments = [directory["departments"][code] for code in ZAMA_REFERRALS]
        self.department_weights = list(ZAMA_REFERRALS.values())
        self.concerns = [directory["concerns"][code] for code in CONCERN_WEIGHTS]
        self.concern_weights = list(CONCERN_WEIGHTS.values())
        self.desks = directory["desks"]
        self.per_month = self._per_month()
        self.working_days = {m: self._working_days(m) for m in range(self.months)}

    def _per_month(self) -> list[int]:
        # Growing volume (Zama more than doubled in a year) with an April peak.
        weights = []
        for i in range(self.months):
            month = (self.first_month.month - 1 + i) % 12 + 1
            weights.append((1.0 + i / max(1, self.months - 1)) * (1.3 if month == 4 else 1.0))
        total = sum(weights)
        counts = [int(self.sheets * w / total) for w in weights]
        counts[-1] += self.sheets - sum(counts)
        return counts

    def _month(self, index: int) -> datetime.date:
        year = self.first_month.year + (self.first_month.month - 1 + index) // 12
        return datetime.date(year, (self.first_month.month - 1 + index) % 12 + 1, 1)

    def _working_days(self, index: int) -> list[datetime.date]:
        first = self._month(index)
        day, days = first, []
        while day.month == first.month:
            if self.calendar.is_working_day(day):
                days.append(day)
            day += DAY
        return days

    def _sent_at(self, month_index: int) -> datetime.datetime:
        day = self.rng.choice(self.working_days[month_index])
        if self.rng.random() < 0.03:  # late entries, up to 23:59 (month-end edge)
            seconds = self.rng.randrange(17 * 3600 + 900, 24 * 3600)
        else:
            seconds = self.rng.randrange(8 * 3600 + 1800, 17 * 3600 + 900)
        return datetime.datetime.combine(day, datetime.time(), tzinfo=self.tokyo) + (
            datetime.timedelta(seconds=seconds)
        )

    def _delay(self, median_hours: float, sigma: float = 1.0) -> datetime.timedelta:
        return datetime.timedelta(hours=median_hours * math.exp(self.rng.gauss(0.0, sigma)))

    def rows(self) -> Iterator[tuple[tuple, list[tuple], list[int]]]:
        """(sheet row, event rows, concern ids) for every sheet, in id order."""
        sheet_id = 0
        for month_index, count in enumerate(self.per_month):
            for _ in range(count):
                sheet_id += 1
                yield self._sheet(sheet_id, month_index)

    def _sheet(self, sheet_id: int, month_index: int) -> tuple[tuple, list[tuple], list[int]]:
        rng = self.rng
        sent_at = self._sent_at(month_index)
        urgency = rng.choices(list(URGENCY_WEIGHTS), list(URGENCY_WEIGHTS.values()))[0]
        if rng.random() < FROM_DESK_SHARE:
            department_id, from_desk_id = None, self.desks["kakei"]
        else:
            department_id = rng.choices(self.departments, self.department_weights)[0]
            from_desk_id = None
        owner = self.desks["jiritsu"] if rng.random() < 0.8 else self.desks["seikatsu_hogo"]
        events: list[tuple[str, datetime.datetime, int | None, int | None, str]] = [
            ("sent", sent_at, None, owner, "")
        ]
        due = self.sla.ack_due_at(sent_at, urgency)
        at = sent_at
        final = "sent"
        outcome = ""
        acknowledged = False

        def ack_or_overdue(start: datetime.datetime, deadline: datetime.datetime) -> bool:
            nonlocal at
            if rng.random() < 0.03:  # never acknowledged in this period
                events.append(("overdue", deadline + SWEEP_DELAY, None, owner, ""))
                at = deadline + SWEEP_DELAY
                return False
            ack_at = start + self._delay(ACK_MEDIAN_HOURS[urgency])
            if ack_at > deadline + SWEEP_DELAY:
                events.append(("overdue", deadline + SWEEP_DELAY, None, owner, ""))
            events.append(("acknowledged", ack_at, None, None, ""))
            at = ack_at
            return True

        roll = rng.random()
        if roll < 0.02:  # withdrawn by the sender before acknowledgement
            at = sent_at + self._delay(3.0)
            events.append(("withdrawn", at, None, None, ""))
            final = "withdrawn"
        else:
            if roll < 0.04:  # returned with a question, then resent
                at = sent_at + self._delay(2.0)
                events.append(("returned", at, None, None, ""))
                at += self._delay(20.0)
                events.append(("resent", at, None, owner, ""))
                due = self.sla.ack_due_at(at, urgency)
            acknowledged = ack_or_overdue(at, due)
            redirects = 0
            redirect_roll = rng.random()
            wanted = 3 if redirect_roll < 0.005 else 2 if redirect_roll < 0.025 else 1
            if redirect_roll < 0.10:
                for _ in range(wanted):
                    at += self._delay(4.0)
                    new_owner = (
                        self.desks["kakei"]
                        if owner != self.desks["kakei"]
                        else (self.desks["houkatsu"])
                    )
                    events.append(("redirected", at, owner, new_owner, ""))
                    redirects += 1
                    owner = new_owner
                    if redirects == 2:
                        events.append(("runaround_alert", at, None, owner, ""))
                    due = self.sla.ack_due_at(at, urgency)
                    acknowledged = ack_or_overdue(at, due) or acknowledged
            final = "acknowledged" if acknowledged else "sent"
            if events[-1][0] == "acknowledged" and rng.random() < 0.95:
                at += self._delay(1.0)
                events.append(("accepted", at, None, None, ""))
                final = "accepted"
                if rng.random() < 0.88:
                    at += self._delay(24.0)
                    events.append(("contacted", at, None, None, ""))
                    final = "contacted"
                    if rng.random() < 0.65:
                        at += self._delay(72.0)
                        events.append(("connected", at, None, None, ""))
                        final = "connected"
                if rng.random() < 0.9:
                    at += self._delay(24.0 * 30)
                    if final == "connected":
                        outcome = rng.choices(
                            ["connected_to_support", "referred_elsewhere"], [85, 15]
                        )[0]
                    else:
                        outcome = rng.choices(
                            [
                                "referred_elsewhere",
                                "resolved_by_information",
                                "declined",
                                "unreachable",
                                "duplicate",
                            ],
                            [25, 35, 20, 17, 3],
                        )[0]
                    events.append(("closed", at, None, None, outcome))
                    final = "closed"
        if (
            self.close_stale_after is not None
            and final not in ("closed", "withdrawn")
            and sent_at < self.now - self.close_stale_after
        ):
            at = max(at, sent_at) + self._delay(24.0 * 60)
            outcome = rng.choices(
                ["unreachable", "declined", "resolved_by_information"], [5, 3, 2]
            )[0]
            events.append(("closed", at, None, None, outcome))
            final = "closed"
        # Nothing can have happened after the benchmark's "now": cut the timeline there.
        kept = [e for e in events if e[1] <= self.now]
        if len(kept) < len(events):
            final = _status_after(kept)
            outcome = next((e[4] for e in kept if e[0] == "closed"), "")
        closed_at = next((e[1] for e in kept if e[0] in ("closed", "withdrawn")), None)
        redirect_count = sum(1 for e in kept if e[0] == "redirected")
        period_start = max(e[1] for e in kept if e[0] in ("sent", "redirected", "resent"))
        overdue = [e[1] for e in kept if e[0] == "overdue" and e[1] >= period_start]
        sheet = (
            sheet_id,
            department_id,
            from_desk_id,
            owner,
            urgency,
            final,
            outcome,
            sent_at,
            period_start,
            due,
            closed_at,
            overdue[0] if overdue else None,
            redirect_count,
        )
        concerns = rng.sample(
            range(len(self.concerns)), k=rng.choices([1, 2, 3, 4], [25, 35, 25, 15])[0]
        )
        concern_ids = sorted(
            {rng.choices(self.concerns, self.concern_weights)[0]}
            | {self.concerns[i] for i in concerns[1:]}
        )
        return sheet, kept, concern_ids


def _status_after(events: list[tuple]) -> str:
    status = "sent"
    moves = {
        "sent": "sent",
        "acknowledged": "acknowledged",
        "accepted": "accepted",
        "contacted": "contacted",
        "connected": "connected",
        "redirected": "sent",
        "returned": "returned",
        "resent": "sent",
        "withdrawn": "withdrawn",
        "closed": "closed",
    }
    for event in events:
        status = moves.get(event[0], status)
    return status


# --- residents -----------------------------------------------------------------------------------

FAMILY_NAMES = [  # (kanji, kana): the most common family names, most frequent first
    ("佐藤", "サトウ"), ("鈴木", "スズキ"), ("高橋", "タカハシ"), ("田中", "タナカ"),
    ("伊藤", "イトウ"), ("渡辺", "ワタナベ"), ("山本", "ヤマモト"), ("中村", "ナカムラ"),
    ("小林", "コバヤシ"), ("加藤", "カトウ"), ("吉田", "ヨシダ"), ("山田", "ヤマダ"),
    ("佐々木", "ササキ"), ("山口", "ヤマグチ"), ("松本", "マツモト"), ("井上", "イノウエ"),
    ("木村", "キムラ"), ("林", "ハヤシ"), ("斎藤", "サイトウ"), ("清水", "シミズ"),
    ("山崎", "ヤマザキ"), ("森", "モリ"), ("池田", "イケダ"), ("橋本", "ハシモト"),
    ("阿部", "アベ"), ("石川", "イシカワ"), ("山下", "ヤマシタ"), ("中島", "ナカジマ"),
    ("石井", "イシイ"), ("小川", "オガワ"), ("前田", "マエダ"), ("岡田", "オカダ"),
    ("長谷川", "ハセガワ"), ("藤田", "フジタ"), ("後藤", "ゴトウ"), ("近藤", "コンドウ"),
    ("村上", "ムラカミ"), ("遠藤", "エンドウ"), ("青木", "アオキ"), ("坂本", "サカモト"),
]  # fmt: skip
GIVEN_NAMES = [
    ("翔", "ショウ"), ("大輔", "ダイスケ"), ("健太", "ケンタ"), ("拓也", "タクヤ"),
    ("直樹", "ナオキ"), ("誠", "マコト"), ("浩", "ヒロシ"), ("茂", "シゲル"), ("清", "キヨシ"),
    ("隆", "タカシ"), ("裕子", "ユウコ"), ("恵子", "ケイコ"), ("洋子", "ヨウコ"),
    ("美穂", "ミホ"), ("陽子", "ヨウコ"), ("幸子", "サチコ"), ("和子", "カズコ"),
    ("智子", "トモコ"), ("真由美", "マユミ"), ("愛", "アイ"), ("さくら", "サクラ"),
    ("結衣", "ユイ"), ("陽菜", "ヒナ"), ("蓮", "レン"), ("悠真", "ユウマ"), ("大翔", "ヒロト"),
    ("美咲", "ミサキ"), ("由美", "ユミ"), ("明美", "アケミ"), ("久美子", "クミコ"),
]  # fmt: skip
TOWNS = ["相模が丘", "ひばりが丘", "入谷東", "栗原中央", "緑ケ丘", "小松原", "立野台", "南栗原"]
SUMMARY = (
    "固定資産税と国民健康保険税の滞納について納付相談に来庁。失職後、家賃と公共料金も滞って"
    "おり、食費を切り詰めている。持病の通院も中断しているとのこと。本人は就労を希望しているが"
    "求職活動の方法がわからず、家族にも相談できていない。生活全般の相談を希望。"
)
WORDS = "仕事を失ってから支払いが追いつかず、どこに相談したらいいかわからなかった。"


class Sealer:
    """AES-GCM field tokens exactly as ``vault.fields.EncryptedFieldMixin.encrypt_for`` makes
    them (version byte, nonce, ciphertext+tag; associated data: prefix | model.field | key id),
    and data keys wrapped as ``vault.keys.new_data_key`` wraps them."""

    def __init__(self) -> None:
        from referral_hub.vault import fields
        from referral_hub.vault.keyring import current_keyring

        self.fields = fields
        self.keyring = current_keyring()

    def new_key(self) -> tuple[bytes, str, bytes]:
        dek = os.urandom(32)
        kek_id, wrapped = self.keyring.wrap(dek)
        return dek, kek_id, wrapped

    def seal(self, aead: Any, label: bytes, key_id: int, plaintext: bytes) -> str:
        if not plaintext:
            return ""
        nonce = os.urandom(self.fields.NONCE_BYTES)
        associated = b"|".join((self.fields._AD_PREFIX, label, str(key_id).encode()))
        sealed = aead.encrypt(nonce, plaintext, associated)
        return base64.b64encode(bytes([self.fields.TOKEN_VERSION]) + nonce + sealed).decode()


def _copy_residents(raw: Any, count: int, created_by: int, sealer: Sealer) -> list[dict]:
    """Data keys 1..count and residents 1..count; returns sample search keys."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from referral_hub.consent.services import family_birth_index, name_birth_index

    rng = random.Random(7)
    family_weights = [1.0 / (i + 1) ** 0.6 for i in range(len(FAMILY_NAMES))]
    created = datetime.datetime(2016, 4, 1, tzinfo=datetime.UTC)
    labels = {
        name: f"consent.resident.{name}".encode()
        for name in ("family_name", "given_name", "family_name_kana", "given_name_kana")
        + ("birth_date", "address", "phone")
    }
    samples: list[dict] = []
    keys: list[tuple] = []
    with raw.cursor().copy(
        "COPY consent_resident (id, data_key_id, family_name_ciphertext, given_name_ciphertext, "
        "family_name_kana_ciphertext, given_name_kana_ciphertext, birth_date_ciphertext, "
        "address_ciphertext, phone_ciphertext, name_birth_index, family_birth_index, "
        "created_by_id, created_at) FROM STDIN"
    ) as copy:
        for resident_id in range(1, count + 1):
            family, family_kana = rng.choices(FAMILY_NAMES, family_weights)[0]
            given, given_kana = rng.choice(GIVEN_NAMES)
            born = datetime.date(1935, 1, 1) + datetime.timedelta(days=rng.randrange(26_000))
            address = f"神奈川県座間市{rng.choice(TOWNS)}{rng.randrange(1, 8)}丁目{rng.randrange(1, 30)}番{rng.randrange(1, 20)}号"
            phone = f"046-{rng.randrange(200, 300)}-{rng.randrange(10000):04d}"
            dek, kek_id, wrapped = sealer.new_key()
            keys.append((resident_id, kek_id, wrapped, created))
            aead = AESGCM(dek)
            values = {
                "family_name": family, "given_name": given, "family_name_kana": family_kana,
                "given_name_kana": given_kana, "birth_date": born.isoformat(),
                "address": address, "phone": phone,
            }  # fmt: skip
            sealed = [
                sealer.seal(aead, labels[name], resident_id, value.encode())
                for name, value in values.items()
            ]
            copy.write_row(
                (resident_id, resident_id, *sealed,
                 name_birth_index(family_kana, given_kana, born),
                 family_birth_index(family_kana, born), created_by, created)
            )  # fmt: skip
            if resident_id % max(1, count // 200) == 0:
                samples.append({"kana": family_kana + given_kana, "birth_date": born.isoformat()})
    with raw.cursor().copy(
        "COPY vault_datakey (id, kek_id, wrapped, created_at) FROM STDIN"
    ) as copy:
        for row in keys:
            copy.write_row(row)
    return samples


# --- sheets, timelines, concerns, attachments ----------------------------------------------------

SHEET_COLUMNS = (
    "id, number, data_key_id, resident_id, from_department_id, from_desk_id, sent_by_id, "
    "owner_desk_id, summary_ciphertext, resident_words_ciphertext, tax_details_ciphertext, "
    "health_details_ciphertext, household_details_ciphertext, contact_preference_ciphertext, "
    "justification_ciphertext, categories, urgency, handoff_method, legal_basis, status, "
    "outcome, sent_at, owner_since, ack_due_at, acknowledged_at, accepted_at, contacted_at, "
    "connected_at, closed_at, overdue_notified_at, redirect_count, version, updated_at, "
    "arrival_code, escalation_rung"
)
EVENT_COLUMNS = (
    "id, sheet_id, kind, at, from_status, to_status, from_desk_id, to_desk_id, outcome, "
    "note_ciphertext, shared_with_sender"
)
ATTACHMENT_COLUMNS = (
    "id, filename_ciphertext, content_type, size, sha256, storage_name, encrypted, uploaded_at, "
    "data_key_id, uploaded_by_id, sheet_id"
)
CHUNK = 20_000


def _first(events: list[tuple], kind: str) -> datetime.datetime | None:
    return next((e[1] for e in events if e[0] == kind), None)


class SheetWriter:
    """COPYs generated sheets with their events, concerns, data keys and attachment rows."""

    def __init__(self, raw: Any, sealer: Sealer, residents: int, senders: dict[str, int]) -> None:
        self.raw = raw
        self.sealer = sealer
        self.residents = residents
        self.senders = senders
        self.next_key = residents + 1
        self.event_id = self.concern_row = self.attachment_id = 0
        self.rng = random.Random(11)

    def write(self, chunk: list[tuple[tuple, list[tuple], list[int]]]) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        from referral_hub.handoffs.arrival_codes import arrival_code

        rng = self.rng
        keys: list[tuple] = []
        attachments: list[tuple] = []
        with self.raw.cursor().copy(
            f"COPY handoffs_connectsheet ({SHEET_COLUMNS}) FROM STDIN"
        ) as copy:
            for sheet, events, _concerns in chunk:
                (sheet_id, department_id, from_desk_id, owner, urgency, status, outcome, sent_at,
                 period_start, due, closed_at, overdue_at, redirect_count) = sheet  # fmt: skip
                key_id = self.next_key
                self.next_key += 1
                dek, kek_id, wrapped = self.sealer.new_key()
                keys.append((key_id, kek_id, wrapped, sent_at))
                aead = AESGCM(dek)
                summary = SUMMARY[: rng.randrange(60, len(SUMMARY))]
                current = [e for e in events if e[1] >= period_start]
                sender = self.senders["desk" if from_desk_id else "clerk"]
                copy.write_row(
                    (sheet_id, f"{sent_at.year}-{sheet_id:07d}", key_id,
                     rng.randrange(1, self.residents + 1), department_id, from_desk_id, sender,
                     owner,
                     self.sealer.seal(aead, b"handoffs.connectsheet.summary", key_id, summary.encode()),
                     self.sealer.seal(aead, b"handoffs.connectsheet.resident_words", key_id, WORDS.encode()),
                     "", "", "", "", "", '["identity", "concern"]', urgency, "sheet_only",
                     "consent", status, outcome, sent_at, period_start, due,
                     _first(current, "acknowledged"), _first(current, "accepted"),
                     _first(current, "contacted"), _first(current, "connected"), closed_at,
                     overdue_at, redirect_count, len(events), events[-1][1],
                     arrival_code(f"{sent_at.year}-{sheet_id:07d}"), 0)
                )  # fmt: skip
                if rng.random() < 0.08:
                    for _ in range(rng.choice((1, 1, 2))):
                        self.attachment_id += 1
                        attachment_key = self.next_key
                        self.next_key += 1
                        a_dek, a_kek, a_wrapped = self.sealer.new_key()
                        keys.append((attachment_key, a_kek, a_wrapped, sent_at))
                        token = hashlib.sha256(
                            f"{sheet_id}/{self.attachment_id}".encode()
                        ).hexdigest()
                        attachments.append(
                            (self.attachment_id,
                             self.sealer.seal(AESGCM(a_dek), b"handoffs.attachment.filename",
                                              attachment_key, "納付相談メモ.pdf".encode()),
                             "application/pdf", rng.randrange(40_000, 3_000_000), token,
                             f"vault/{token[:2]}/{token[:32]}.enc", True, sent_at, attachment_key,
                             sender, sheet_id)
                        )  # fmt: skip
        with self.raw.cursor().copy(
            f"COPY handoffs_sheetevent ({EVENT_COLUMNS}) FROM STDIN"
        ) as copy:
            for sheet, events, _concerns in chunk:
                for kind, at, from_desk, to_desk, event_outcome in events:
                    self.event_id += 1
                    copy.write_row(
                        (self.event_id, sheet[0], kind, at, "", "", from_desk, to_desk,
                         event_outcome, "", False)
                    )  # fmt: skip
        with self.raw.cursor().copy(
            "COPY handoffs_connectsheet_concerns (id, connectsheet_id, concern_id) FROM STDIN"
        ) as copy:
            for sheet, _events, concern_ids in chunk:
                for concern_id in concern_ids:
                    self.concern_row += 1
                    copy.write_row((self.concern_row, sheet[0], concern_id))
        with self.raw.cursor().copy(
            f"COPY handoffs_attachment ({ATTACHMENT_COLUMNS}) FROM STDIN"
        ) as copy:
            for row in attachments:
                copy.write_row(row)
        with self.raw.cursor().copy(
            "COPY vault_datakey (id, kek_id, wrapped, created_at) FROM STDIN"
        ) as copy:
            for row in keys:
                copy.write_row(row)


# --- audit events --------------------------------------------------------------------------------

AUDIT_MIX = [  # (action, target_type, legal_basis, allowed, refusal, weight)
    ("sheet.read", "sheet", "consent", True, "", 38),
    ("sheet.send", "sheet", "consent", True, "", 6),
    ("sheet.sent", "sheet", "consent", True, "", 6),
    ("sheet.acknowledged", "sheet", "", True, "", 6),
    ("sheet.accepted", "sheet", "", True, "", 5),
    ("sheet.contacted", "sheet", "", True, "", 5),
    ("sheet.closed", "sheet", "", True, "", 5),
    ("sheet.redirect", "sheet", "consent", True, "", 1),
    ("resident.search", "resident", "", True, "", 8),
    ("resident.read", "resident", "consent", True, "", 8),
    ("attachment.read", "attachment", "consent", True, "", 3),
    ("sheet.read", "sheet", "", False, "consent_scope", 1),
    ("auth.login", "", "", True, "", 8),
]
DESKS = ["jiritsu", "seikatsu_hogo", "kakei", "houkatsu", "shuno", "kokuho_nenkin", "kaigo_hoken"]


def _copy_audit(raw: Any, count: int, sheets: int, residents: int, start: datetime.datetime,
                end: datetime.datetime) -> tuple[int, str]:  # fmt: skip
    """``count`` chained events from seq 1, evenly over [start, end); returns the head."""
    from referral_hub.audit import chain

    rng = random.Random(13)
    actions = [entry[:5] for entry in AUDIT_MIX]
    weights = [entry[5] for entry in AUDIT_MIX]
    step = (end - start) / max(1, count)
    prev_hash = chain.GENESIS_HASH
    columns = (
        "seq, at, actor_id, actor_username, actor_desk, action, target_type, target_id, "
        "resident_id, legal_basis, allowed, refusal_code, request_id, client_ip, details, "
        "version, prev_hash, hash"
    )
    started = time.perf_counter()
    with raw.cursor().copy(f"COPY audit_auditevent ({columns}) FROM STDIN") as copy:
        for seq in range(1, count + 1):
            action, target_type, basis, allowed, refusal = rng.choices(actions, weights)[0]
            at = start + step * seq
            actor = rng.randrange(1, 12)
            desk = rng.choice(DESKS)
            resident = rng.randrange(1, residents + 1) if target_type else None
            target = (
                str(rng.randrange(1, sheets + 1)) if target_type == "sheet"
                else str(resident) if target_type == "resident"
                else str(rng.randrange(1, sheets // 10 + 2)) if target_type == "attachment"
                else ""
            )  # fmt: skip
            details: dict[str, Any] = (
                {"categories": ["concern", "identity"], "recipient_desk": desk}
                if basis else {"results": rng.randrange(0, 4)} if action == "resident.search"
                else {}
            )  # fmt: skip
            request_id = f"{rng.getrandbits(128):032x}"
            fields = {
                "seq": seq, "at": chain.format_time(at), "actor_id": actor,
                "actor_username": f"staff{actor}", "actor_desk": desk, "action": action,
                "target_type": target_type, "target_id": target, "resident_id": resident,
                "legal_basis": basis, "allowed": allowed, "refusal_code": refusal,
                "request_id": request_id, "client_ip": "10.20.0.15", "details": details,
                "prev_hash": prev_hash,
            }  # fmt: skip
            digest = chain.event_hash(**fields)
            copy.write_row(
                (seq, at, actor, f"staff{actor}", desk, action, target_type, target, resident,
                 basis, allowed, refusal, request_id, "10.20.0.15", chain.canonical_json(details),
                 1, prev_hash, digest)
            )  # fmt: skip
            prev_hash = digest
            if seq % 1_000_000 == 0:
                _progress("audit events", seq, started)
    return count, prev_hash


# --- orchestration -------------------------------------------------------------------------------

TABLES = (
    "handoffs_attachment", "handoffs_sheetevent", "handoffs_connectsheet_concerns",
    "handoffs_connectsheet", "consent_resident", "vault_datakey", "audit_auditevent",
)  # fmt: skip


@contextlib.contextmanager
def _indexes_dropped(cursor: Any, tables: tuple[str, ...]) -> Iterator[None]:
    """Drop the secondary (non-constraint) indexes of ``tables`` for the load; rebuild after."""
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes i WHERE tablename = ANY(%s) AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
        [list(tables)],
    )
    saved = cursor.fetchall()
    for name, _definition in saved:
        cursor.execute(f'DROP INDEX "{name}"')
    yield
    for _name, definition in saved:
        cursor.execute(definition)


def _progress(what: str, count: int, started: float) -> None:
    print(f"  {what:<14} {count:>12,}  ({time.perf_counter() - started:7.1f} s)", flush=True)


def manifest(url: str) -> dict[str, Any] | None:
    import psycopg

    with psycopg.connect(url) as conn:
        exists = conn.execute("SELECT to_regclass('bench_manifest')").fetchone()[0]
        if not exists:
            return None
        row = conn.execute("SELECT manifest FROM bench_manifest").fetchone()
        return json.loads(row[0]) if row else None


def generate(url: str, sizes: dict[str, int]) -> dict[str, Any]:
    """Write the whole data set (TRUNCATEs the tables first); returns its manifest."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection, transaction

    from referral_hub.directory.models import Concern, Department, Desk
    from referral_hub.reports.periods import TOKYO

    call_command("migrate", verbosity=0)
    call_command("seed_demo", "--force", "--password", "bench-pass-2026", verbosity=0)
    directory = {
        "departments": dict(Department.objects.values_list("code", "pk")),
        "desks": dict(Desk.objects.values_list("code", "pk")),
        "concerns": dict(Concern.objects.values_list("code", "pk")),
    }
    users = get_user_model().objects
    senders = {
        "clerk": users.get(username="tax_clerk").pk,
        "desk": users.get(username="consult1").pk,
    }
    generator = Generator(
        sizes["sheets"], directory, first_month=TEN_YEARS_FIRST_MONTH, months=TEN_YEARS,
        close_stale_after=datetime.timedelta(days=60),
    )  # fmt: skip
    sealer = Sealer()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SET referral_hub.audit_allow_truncate = 'on'")
        cursor.execute(
            "TRUNCATE audit_disclosurereview, inbox_inboxevent, handoffs_sheetmessage, "
            + ", ".join(TABLES)
            + " RESTART IDENTITY CASCADE"
        )
        cursor.execute("SET referral_hub.audit_allow_truncate = 'off'")
        cursor.execute("DROP TABLE IF EXISTS bench_manifest")
    with transaction.atomic(), connection.cursor() as cursor, _indexes_dropped(cursor, TABLES):
        # Foreign-key checks are triggers: skipped during the load (the generator writes
        # consistent ids), as PostgreSQL's own replication apply does.
        cursor.execute("SET LOCAL session_replication_role = replica")
        raw = cursor.connection
        samples = _copy_residents(raw, sizes["residents"], senders["clerk"], sealer)
        _progress("residents", sizes["residents"], started)
        writer = SheetWriter(raw, sealer, sizes["residents"], senders)
        chunk: list[tuple[tuple, list[tuple], list[int]]] = []
        for item in generator.rows():
            chunk.append(item)
            if len(chunk) == CHUNK:
                writer.write(chunk)
                chunk = []
                if item[0][0] % 100_000 == 0:
                    _progress("sheets", item[0][0], started)
        if chunk:
            writer.write(chunk)
        _progress("sheets", sizes["sheets"], started)
        _progress("sheet events", writer.event_id, started)
        _progress("attachments", writer.attachment_id, started)
        start = datetime.datetime.combine(TEN_YEARS_FIRST_MONTH, datetime.time(), tzinfo=TOKYO)
        events, head = _copy_audit(
            raw, sizes["audit_events"], sizes["sheets"], sizes["residents"], start, generator.now
        )
        _progress("audit events", events, started)
        cursor.execute(
            "UPDATE audit_chainhead SET seq = %s, hash = %s WHERE id = 1", [events, head]
        )
        for table in TABLES[:-1]:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
        cursor.execute("SET LOCAL session_replication_role = origin")
        print(f"  rebuilding indexes ({time.perf_counter() - started:.1f} s)", flush=True)
    with connection.cursor() as cursor:
        # The load bypassed triggers: build the report rollups from the timelines, as the
        # migration's backfill does.
        from referral_hub.reports import rollup_sql

        cursor.execute("TRUNCATE reports_sheetfacts")
        cursor.execute(rollup_sql.BACKFILL)
        _progress("report rollups", sizes["sheets"], started)
    with connection.cursor() as cursor:
        for table in (*TABLES, "reports_sheetfacts"):
            cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute(
            "SELECT owner_desk_id, count(*) FROM handoffs_connectsheet "
            "WHERE status NOT IN ('closed', 'withdrawn') GROUP BY 1"
        )
        open_by_desk = {str(desk): n for desk, n in cursor.fetchall()}
    result = {
        "sizes": sizes,
        "sheet_events": writer.event_id,
        "attachments": writer.attachment_id,
        "open_by_desk_id": open_by_desk,
        "desk_ids": directory["desks"],
        "search_samples": samples,
        "now": generator.now.isoformat(),
        "generated_in_seconds": round(time.perf_counter() - started, 1),
    }
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_manifest (manifest text NOT NULL)")
        cursor.execute("INSERT INTO bench_manifest VALUES (%s)", [json.dumps(result)])
    _check_decrypts()
    _progress("done", sizes["sheets"], started)
    return result


def _check_decrypts() -> None:
    """The product reads what the generator sealed (same token format and associated data)."""
    from referral_hub.consent.models import Resident
    from referral_hub.handoffs.models import ConnectSheet

    resident = Resident.objects.select_related("data_key").order_by("-pk").first()
    sheet = ConnectSheet.objects.select_related("data_key").order_by("-pk").first()
    assert resident is not None and sheet is not None
    assert resident.family_name_kana and resident.birth_date is not None
    assert sheet.summary.startswith("固定資産税")


def ensure(url: str, size: str = "small", *, rebuild: bool = False) -> dict[str, Any]:
    """The manifest of the data set of ``size`` in ``url``, generating it when missing.
    Django must be configured (``configure_django``)."""
    from django.core.management import call_command

    ensure_database(url)
    call_command("migrate", verbosity=0)  # a data set made before a migration gets it (backfills)
    existing = manifest(url)
    if existing and existing["sizes"] == SIZES[size] and not rebuild:
        return existing
    print(f"generating the {size} data set in {url.rsplit('/', 1)[1]} ...", flush=True)
    return generate(url, SIZES[size])


def add_size_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--database-url", default=None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_size_argument(parser)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    url = database_url(args.database_url)
    ensure_database(url)
    configure_django(url)
    result = ensure(url, args.size, rebuild=args.rebuild)
    summary = {k: v for k, v in result.items() if k != "search_samples"}
    print(json.dumps(summary, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
