"""Fixtures shared with the other issue-3 test folder live in tests/fixtures_sheets.py."""

from tests.fixtures_sheets import (  # noqa: F401 - pytest finds fixtures by name
    api,
    demo,
    demo_module,
    fast_hashers,
    full_consent,
    jiritsu_consent,
    resident,
)
from tests.handoffs.nodrop_helpers import clock  # noqa: F401, E402 - the frozen clock of issue 20
