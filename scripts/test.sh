#!/usr/bin/env bash
# Quick start 2: set everything up and run the whole test suite (lint, migrations check, unit,
# integration and browser tests). Uses DATABASE_URL / REDIS_URL when set (CI: PostgreSQL + Redis),
# otherwise SQLite and the in-memory channel layer.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh dev

if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> installing Debian's Chromium for the browser tests"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "Chromium is needed for the browser tests: install Debian's 'chromium' package." >&2
    exit 1
  fi
fi

# Japanese glyphs for the screenshots the browser tests save (best effort: they are artefacts).
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && ! grep -qi "noto sans cjk" <<<"$(fc-list 2>/dev/null || true)"; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null 2>&1 || true
fi
# pdftotext reads back the Japanese text of the PDFs the rights package test prints.
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && ! command -v pdftotext >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null 2>&1 || true
fi

echo "==> ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "==> mypy (vault, audit, consent, inbox, handoffs: the files listed in pyproject.toml)"
.venv/bin/mypy
echo "==> migrations are up to date"
DJANGO_SETTINGS_MODULE=tests.settings .venv/bin/python manage.py makemigrations --check --dry-run -v0
echo "==> pytest (database: ${DATABASE_URL:-sqlite}, channel layer: ${REDIS_URL:-in-memory})"
# One pytest-xdist worker per core, each with its own test database (test_<name>_gw0, ...) and
# channel-layer prefix (tests/settings.py); work units as tests/conftest.py:work_unit groups them.
# `-n 0` among the arguments runs everything in one process.
set +e
.venv/bin/pytest -n auto --dist loadscope "$@"
status=$?
set -e
if [ "$status" = 5 ]; then
  echo "pytest collected no tests: treating as a failure." >&2
  exit 1
fi
exit "$status"
