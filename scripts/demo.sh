#!/usr/bin/env bash
# Quick start 1: set everything up and run the demo on the embedded default
# (SQLite, in-memory channel layer, demo data) at http://127.0.0.1:8000/
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh runtime

export DEBUG=1
unset DATABASE_URL REDIS_URL
.venv/bin/python manage.py init_demo_secrets
.venv/bin/python manage.py migrate --noinput -v0
.venv/bin/python manage.py seed_demo
.venv/bin/python manage.py collectstatic --noinput -v0
echo "==> Referral Hub demo on http://127.0.0.1:8000/  (users: tax_clerk, consult1, consult_lead, privacy_officer, ...; password demo-pass-2026)"
exec .venv/bin/python manage.py serve_demo 127.0.0.1:8000
