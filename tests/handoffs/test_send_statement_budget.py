"""A send's round trips to PostgreSQL are bounded (issue 22: the send path is the floor of live
delivery; every statement is a round trip and ORM work on two shared cores). The figure is the
count after the issue-22 work; a change that adds a statement to every send fails here and must
say why in this file."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.fixtures_sheets import sheet_body

# Token (with its user and sign-in), resident, memberships, reference version, consent,
# staffing; in the send's transaction: the consent lock (with its recipients and SET
# CONSTRAINTS), the sender's memberships and account share-locked for the gate's decision
# (issue 14: a clerk transferred meanwhile waits for this send or is refused; the 23rd
# statement, added after issue 22), suspension, open case, data key, sheet, concerns, timeline
# event, two inbox INSERTs (recipients inside), counter, number, audit chain head and rows;
# after commit: numbering's lock, read and update. 33 before issue 22. Under server-side
# binding (prepared statements, the pool's default) SET CONSTRAINTS cannot ride along with the
# lock: one more.
SEND_STATEMENTS = 23


def _statements_of_one_send(api, resident, consent) -> list[str]:
    statements: list[str] = []

    def count(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    clerk = api("tax_clerk")
    # An execute wrapper, not CaptureQueriesContext: request_started resets the query log.
    with connection.execute_wrapper(count):
        reply = clerk.post("/sheets/", sheet_body(resident, consent))
    assert reply.status == 201, reply.body
    return statements


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the budget is PostgreSQL's")
def test_an_api_send_stays_within_its_statement_budget(demo, api, resident, jiritsu_consent):
    api("tax_clerk").post("/sheets/", sheet_body(resident, jiritsu_consent))  # warm: token touch

    statements = _statements_of_one_send(api, resident, jiritsu_consent)

    separate = bool(connection.settings_dict["OPTIONS"].get("server_side_binding"))
    budget = SEND_STATEMENTS + (1 if separate else 0)
    assert len(statements) <= budget, "\n".join(s[:120] for s in statements)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the budget is PostgreSQL's")
def test_a_send_reads_no_desk_or_concern_table_while_they_are_unchanged(
    demo, api, resident, jiritsu_consent
):
    api("tax_clerk").post("/sheets/", sheet_body(resident, jiritsu_consent))

    statements = _statements_of_one_send(api, resident, jiritsu_consent)

    reads = [s for s in statements if s.startswith("SELECT")]
    assert not [s for s in reads if 'FROM "directory_desk"' in s], reads
    assert not [s for s in reads if 'FROM "directory_concern"' in s], reads
