"""Reference data: concern categories (困りごと) from DOMAIN.md, and the demo municipality's
departments and desks (Zama City's referral table, DESIGN.md's demo data)."""

CONCERNS: list[tuple[str, str, bool]] = [
    # (code, name, emergency)
    ("economic_hardship", "経済的困窮", False),
    ("tax_arrears", "税・保険料の滞納", False),
    ("rent_arrears", "家賃滞納", False),
    ("utility_arrears", "公共料金の滞納", False),
    ("debt", "債務", False),
    ("household_budget", "家計管理", False),
    ("unstable_housing", "住まい不安定", True),
    ("job_search", "就職活動困難", False),
    ("illness", "病気", False),
    ("mental_health", "メンタルヘルス", False),
    ("disability_suspected", "障害(疑い)", False),
    ("family", "家族関係", False),
    ("isolation", "社会的孤立", False),
    ("children_education", "子ども・教育", False),
    ("hikikomori", "ひきこもり", False),
    ("dv", "DV", True),
    ("no_food", "食料がない", True),
    ("other", "その他", False),
]

DEMO_MUNICIPALITY = ("demo", "デモ市")

DEMO_DEPARTMENTS: list[tuple[str, str, bool]] = [
    # (code, name, support meeting member)
    ("seikatsu_hogo_tanto", "生活保護担当", True),
    ("kouchou_jinken", "広聴人権課", False),
    ("shuno", "収納課", True),
    ("kokuho_nenkin", "国保年金課", True),
    ("kenko_zukuri", "健康づくり課", True),
    ("kaigo_hoken", "介護保険課", True),
    ("shogai_fukushi", "障がい福祉課", True),
    ("kodomo_seisaku", "子ども政策課", True),
    ("shiminzei", "市民税課", False),
    ("shohi_seikatsu", "消費生活センター", False),
    ("koseki_jumin", "戸籍住民課", False),
    ("shoko_kanko", "商工観光課", False),
    ("iryo", "医療課", False),
    ("kenchiku_jutaku", "建築住宅課", True),
    ("kyoiku_kenkyujo", "教育研究所", False),
    ("gakko_kyoiku", "学校教育課", True),
    ("jogesuido", "上下水道局", False),
]

# (code, name, department code or None, external organisation, support meeting member, concerns)
DEMO_DESKS: list[tuple[str, str, str | None, str, bool, list[str]]] = [
    ("jiritsu", "自立相談支援窓口", None, "", True, [c[0] for c in CONCERNS]),
    (
        "seikatsu_hogo",
        "生活保護担当",
        "seikatsu_hogo_tanto",
        "",
        True,
        ["economic_hardship", "no_food", "unstable_housing", "illness"],
    ),
    (
        "kakei",
        "家計改善支援",
        None,
        "社会福祉協議会",
        True,
        ["household_budget", "debt", "tax_arrears", "rent_arrears", "utility_arrears"],
    ),
    (
        "houkatsu",
        "地域包括支援センター",
        None,
        "社会福祉協議会",
        True,
        ["isolation", "illness", "family"],
    ),
    (
        "kodomo",
        "子ども家庭相談",
        "kodomo_seisaku",
        "",
        True,
        ["children_education", "dv", "family", "hikikomori"],
    ),
]

# (username, display name (family, given), role, desk code, department code)
DEMO_USERS: list[tuple[str, tuple[str, str], str, str | None, str | None]] = [
    ("tax_clerk", ("収納", "太郎"), "clerk", None, "shuno"),
    ("nhi_clerk", ("国保", "花子"), "clerk", None, "kokuho_nenkin"),
    ("housing_clerk", ("住宅", "次郎"), "clerk", None, "kenchiku_jutaku"),
    ("school_clerk", ("学校", "三郎"), "clerk", None, "gakko_kyoiku"),
    ("consult1", ("相談", "一美"), "consultant", "jiritsu", None),
    ("consult2", ("相談", "二郎"), "consultant", "jiritsu", None),
    ("consult_lead", ("主任", "恵子"), "lead", "jiritsu", None),
    ("hogo_staff", ("保護", "健"), "consultant", "seikatsu_hogo", None),
    # Every desk has staff and a lead, so nothing lands where nobody works (issue 20).
    ("hogo_lead", ("保護", "主任"), "lead", "seikatsu_hogo", None),
    ("kakei_staff", ("家計", "支援"), "consultant", "kakei", None),
    ("kakei_lead", ("家計", "主任"), "lead", "kakei", None),
    ("houkatsu_staff", ("包括", "相談"), "consultant", "houkatsu", None),
    ("houkatsu_lead", ("包括", "主任"), "lead", "houkatsu", None),
    ("kodomo_staff", ("子ども", "相談"), "consultant", "kodomo", None),
    ("kodomo_lead", ("子ども", "主任"), "lead", "kodomo", None),
    ("privacy_officer", ("保護担当", "守"), "privacy_officer", None, None),
    ("admin", ("管理", "者"), "admin", None, None),
]

# English names for the English UI (``name_en``), by code. Kept apart from the tuples above so
# migration 0002, which unpacks CONCERNS, stays valid. Migration 0004 and seed_demo fill them;
# tests/frontend/test_translations_complete.py fails when a seeded code has no English name.
CONCERN_NAMES_EN: dict[str, str] = {
    "economic_hardship": "Financial hardship",
    "tax_arrears": "Tax or insurance arrears",
    "rent_arrears": "Rent arrears",
    "utility_arrears": "Utility bill arrears",
    "debt": "Debt",
    "household_budget": "Household budgeting",
    "unstable_housing": "Unstable housing",
    "job_search": "Difficulty finding work",
    "illness": "Illness",
    "mental_health": "Mental health",
    "disability_suspected": "Disability (suspected)",
    "family": "Family relationships",
    "isolation": "Social isolation",
    "children_education": "Children and education",
    "hikikomori": "Social withdrawal (hikikomori)",
    "dv": "Domestic violence",
    "no_food": "No food",
    "other": "Other",
}

DEPARTMENT_NAMES_EN: dict[str, str] = {
    "seikatsu_hogo_tanto": "Public Assistance Section",
    "kouchou_jinken": "Public Hearing and Human Rights Division",
    "shuno": "Tax Collection Division",
    "kokuho_nenkin": "National Health Insurance and Pension Division",
    "kenko_zukuri": "Health Promotion Division",
    "kaigo_hoken": "Long-term Care Insurance Division",
    "shogai_fukushi": "Disability Welfare Division",
    "kodomo_seisaku": "Children's Policy Division",
    "shiminzei": "Municipal Tax Division",
    "shohi_seikatsu": "Consumer Affairs Centre",
    "koseki_jumin": "Family Register and Resident Division",
    "shoko_kanko": "Commerce and Tourism Division",
    "iryo": "Medical Care Division",
    "kenchiku_jutaku": "Building and Housing Division",
    "kyoiku_kenkyujo": "Education Research Institute",
    "gakko_kyoiku": "School Education Division",
    "jogesuido": "Water and Sewerage Bureau",
}

DESK_NAMES_EN: dict[str, str] = {
    "jiritsu": "Self-reliance Support Desk",
    "seikatsu_hogo": "Public Assistance Section",
    "kakei": "Household Budget Support",
    "houkatsu": "Community General Support Centre",
    "kodomo": "Child and Family Consultation",
}


# What the resident's handout prints for the demo desks (Desk directory fields, issue 19).
_WEEKDAYS = {"weekdays": [0, 1, 2, 3, 4], "opens": "08:30", "closes": "17:15"}
DEMO_HANDOUT_FIELDS: dict[str, dict[str, object]] = {
    "jiritsu": {
        "building": "本庁舎",
        "floor": "2階",
        "room": "23番窓口",
        "opening_hours": [_WEEKDAYS],
        "required_documents": "本人確認書類(在留カード・運転免許証など)\nこの案内の紙",
        "languages_spoken": ["ja", "easy_ja", "en", "vi"],
        "accessibility_notes": "エレベーターは正面玄関の右にあります。",
    },
    "seikatsu_hogo": {
        "building": "本庁舎",
        "floor": "1階",
        "room": "12番窓口",
        "opening_hours": [_WEEKDAYS],
        "required_documents": "本人確認書類\n通帳\n印鑑",
        "languages_spoken": ["ja", "easy_ja"],
    },
}
