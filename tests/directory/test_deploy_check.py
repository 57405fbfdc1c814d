"""`check --deploy` with production settings is clean, and production refuses to start without
a secret key."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DJANGO_SETTINGS_MODULE", "DEBUG", "SECRET_KEY")
    }
    base.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY="x" * 20 + "-production-secret-key-with-enough-entropy-0123456789",
        ALLOWED_HOSTS="referral-hub.example.lg.jp",
        DATA_DIR=str(tmp_path),
        VAULT_KEYS=os.environ["VAULT_KEYS"],
        VAULT_INDEX_KEY=os.environ["VAULT_INDEX_KEY"],
        AUDIT_SIGNING_KEY=os.environ["AUDIT_SIGNING_KEY"],
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stderr and "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_secret_key(tmp_path):
    result = run_manage("check", DEBUG="0", DATA_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
