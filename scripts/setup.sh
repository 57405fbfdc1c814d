#!/usr/bin/env bash
# Shared setup for the two quick-start commands: a virtualenv with the project installed and the
# translations compiled. Usage: scripts/setup.sh [runtime|dev]
set -euo pipefail
cd "$(dirname "$0")/.."

profile="${1:-runtime}"
PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
  echo "Referral Hub needs Python 3.11 or newer (found: $("$PYTHON" --version 2>&1))." >&2
  exit 1
fi

if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PYTHON" -m venv .venv
fi
stamp=".venv/.installed-$profile-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "==> installing dependencies ($profile)"
  .venv/bin/python -m pip install --quiet --upgrade pip
  if [ "$profile" = dev ]; then
    .venv/bin/python -m pip install --quiet -e '.[dev]'
  else
    .venv/bin/python -m pip install --quiet -e .
  fi
  touch "$stamp"
fi

if ! command -v msgfmt >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> installing gettext (msgfmt) for the English translation"
    apt-get update -qq >/dev/null && apt-get install -y -qq gettext >/dev/null
  else
    echo "msgfmt (GNU gettext) is needed to compile translations: install the 'gettext' package." >&2
    exit 1
  fi
fi
# The handout and receipt PDFs (WeasyPrint) need Pango and the Noto CJK fonts (issue 19).
# (Lists are read into variables first: with pipefail, `fc-list | grep -q` fails by SIGPIPE.)
fonts="$(fc-list 2>/dev/null || true)"
libraries="$(ldconfig -p 2>/dev/null || true)"
if ! grep -q "Noto Sans CJK JP" <<<"$fonts" || ! grep -q -e "Lohit Devanagari" -e "Noto Sans Devanagari" <<<"$fonts" || ! grep -q libpangoft2-1.0 <<<"$libraries"; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> installing Pango and Noto CJK fonts for the handout PDF (Japanese, Chinese, Korean, Nepali)"
    { apt-get update -qq >/dev/null && apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk fonts-lohit-deva >/dev/null; } \
      || echo "note: could not install Pango/fonts now; the handout PDF needs them (HTML works without)." >&2
  else
    echo "note: the handout PDF needs libpango and fonts-noto-cjk (HTML works without)." >&2
  fi
fi
if [ -d locale ]; then
  DEBUG=1 .venv/bin/python manage.py compilemessages --ignore=.venv -v0
fi
