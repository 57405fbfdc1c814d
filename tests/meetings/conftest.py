"""Fixtures shared with the other sheet tests live in tests/fixtures_sheets.py."""

from tests.fixtures_sheets import (  # noqa: F401 - pytest finds fixtures by name
    api,
    demo,
    demo_module,
    fast_hashers,
    jiritsu_consent,
    resident,
)
