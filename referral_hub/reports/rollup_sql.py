"""The PostgreSQL side of the report rollups (``reports.models.SheetFacts``): the triggers that
keep them exact on write, and the statement that rebuilds them from the timeline (used by the
migration's backfill, by the triggers when an event is changed or deleted, and by bulk loads that
bypass triggers, such as bench/dataset.py)."""

from __future__ import annotations

# The timeline kinds the facts depend on (handoffs.models.EventKind values); migration 0002
# added the two the follow-up figures read.
FACT_KINDS_0001 = (
    "acknowledged", "contacted", "overdue", "redirected", "resent", "closed", "withdrawn",
)  # fmt: skip
FACT_KINDS = (*FACT_KINDS_0001, "stalled", "connected")
_KINDS_0001 = ", ".join(f"'{kind}'" for kind in FACT_KINDS_0001)
_KINDS = ", ".join(f"'{kind}'" for kind in FACT_KINDS)

_COLUMNS = (
    "sent_at, from_department_id, urgency, ack_due_at, first_ack_at, first_contact_at, "
    "first_overdue_at, last_period_start_at, redirects, first_redirect_at, last_redirect_at, "
    "closed_at, closed_outcome, withdrawn_at"
)
# Migration 0002_sheet_facts_for_every_figure: concerns, arrival, case link, first-contact
# deadline, stalled/connected events and contact attempts (the follow-up and arrival figures).
_COLUMNS_0002 = (
    "concern_ids, arrived_at, linked_to_id, first_contact_due_at, first_stalled_at, "
    "first_connected_at, attempts, first_attempt_at, last_attempt_at"
)
_VALUES_0002 = """,
       ARRAY(SELECT c.concern_id FROM handoffs_connectsheet_concerns c
             WHERE c.connectsheet_id = s.id ORDER BY c.concern_id),
       s.arrived_at, s.linked_to_id, s.first_contact_due_at,
       min(e.at) FILTER (WHERE e.kind = 'stalled'),
       min(e.at) FILTER (WHERE e.kind = 'connected'),
       (SELECT count(*) FROM handoffs_contactattempt a WHERE a.sheet_id = s.id),
       (SELECT min(a.at) FROM handoffs_contactattempt a WHERE a.sheet_id = s.id),
       (SELECT max(a.at) FROM handoffs_contactattempt a WHERE a.sheet_id = s.id)"""


def rebuild_sql(where: str, *, version: int = 2) -> str:
    """INSERT … ON CONFLICT that recomputes the facts of the sheets matching ``where`` (a
    condition on ``s``, the sheet) from the sheet, its timeline, concerns and contact attempts.
    ``version=1``: migration 0001's statement, before 0002 added its columns."""
    columns = _COLUMNS if version == 1 else f"{_COLUMNS}, {_COLUMNS_0002}"
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns.split(", "))
    extra = "" if version == 1 else _VALUES_0002
    kinds = _KINDS_0001 if version == 1 else _KINDS
    return f"""
INSERT INTO reports_sheetfacts (sheet_id, {columns})
SELECT s.id, s.sent_at, s.from_department_id, s.urgency, s.ack_due_at,
       min(e.at) FILTER (WHERE e.kind = 'acknowledged'),
       min(e.at) FILTER (WHERE e.kind = 'contacted'),
       min(e.at) FILTER (WHERE e.kind = 'overdue'),
       max(e.at) FILTER (WHERE e.kind IN ('redirected', 'resent')),
       count(e.id) FILTER (WHERE e.kind = 'redirected'),
       min(e.at) FILTER (WHERE e.kind = 'redirected'),
       max(e.at) FILTER (WHERE e.kind = 'redirected'),
       min(e.at) FILTER (WHERE e.kind = 'closed'),
       COALESCE(max(e.outcome) FILTER (WHERE e.kind = 'closed'), ''),
       min(e.at) FILTER (WHERE e.kind = 'withdrawn'){extra}
FROM handoffs_connectsheet s
LEFT JOIN handoffs_sheetevent e ON e.sheet_id = s.id AND e.kind IN ({kinds})
WHERE {where}
GROUP BY s.id
ON CONFLICT (sheet_id) DO UPDATE SET {updates}
"""  # noqa: S608  (constants only: no value from outside reaches this text)


def _first(column: str, kind: str) -> str:
    return (
        f"{column} = CASE WHEN NEW.kind = '{kind}' THEN LEAST({column}, NEW.at) ELSE {column} END"
    )


def _rebuild_function(version: int) -> str:
    return f"""
CREATE OR REPLACE FUNCTION reports_sheetfacts_rebuild(target bigint) RETURNS void
LANGUAGE sql AS $$ {rebuild_sql("s.id = target", version=version)} $$;
"""


# The sheet's own columns copied to its facts row, by version.
_SHEET_COLUMNS = {
    1: ("sent_at", "from_department_id", "urgency", "ack_due_at"),
    2: ("sent_at", "from_department_id", "urgency", "ack_due_at", "arrived_at", "linked_to_id",
        "first_contact_due_at"),
}  # fmt: skip


def _sheet_triggers(version: int) -> str:
    columns = _SHEET_COLUMNS[version]
    names = ", ".join(columns)
    values = ", ".join(f"NEW.{c}" for c in columns)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns)
    changed = "\n        OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in columns)
    return f"""
CREATE OR REPLACE FUNCTION reports_sheetfacts_on_sheet() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO reports_sheetfacts (sheet_id, {names}, redirects, closed_outcome)
    VALUES (NEW.id, {values}, 0, '')
    ON CONFLICT (sheet_id) DO UPDATE SET {updates};
    RETURN NULL;
END $$;

CREATE TRIGGER reports_sheetfacts_sheet_insert AFTER INSERT ON handoffs_connectsheet
    FOR EACH ROW EXECUTE FUNCTION reports_sheetfacts_on_sheet();
CREATE TRIGGER reports_sheetfacts_sheet_update AFTER UPDATE ON handoffs_connectsheet
    FOR EACH ROW WHEN ({changed})
    EXECUTE FUNCTION reports_sheetfacts_on_sheet();
"""  # noqa: S608  (constants only)


def _event_triggers(version: int) -> str:
    follow_up = (
        ""
        if version == 1
        else f""",
            {_first("first_stalled_at", "stalled")},
            {_first("first_connected_at", "connected")}"""
    )
    return f"""
CREATE OR REPLACE FUNCTION reports_sheetfacts_on_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE reports_sheetfacts SET
            {_first("first_ack_at", "acknowledged")},
            {_first("first_contact_at", "contacted")},
            {_first("first_overdue_at", "overdue")},
            last_period_start_at = CASE WHEN NEW.kind IN ('redirected', 'resent')
                THEN GREATEST(last_period_start_at, NEW.at) ELSE last_period_start_at END,
            redirects = redirects + CASE WHEN NEW.kind = 'redirected' THEN 1 ELSE 0 END,
            {_first("first_redirect_at", "redirected")},
            last_redirect_at = CASE WHEN NEW.kind = 'redirected'
                THEN GREATEST(last_redirect_at, NEW.at) ELSE last_redirect_at END,
            {_first("closed_at", "closed")},
            closed_outcome = CASE WHEN NEW.kind = 'closed'
                THEN GREATEST(closed_outcome, NEW.outcome) ELSE closed_outcome END,
            {_first("withdrawn_at", "withdrawn")}{follow_up}
        WHERE sheet_id = NEW.sheet_id;
        IF NOT FOUND THEN
            PERFORM reports_sheetfacts_rebuild(NEW.sheet_id);
        END IF;
    ELSE
        -- An event changed or went away (never in normal operation): recompute from scratch.
        IF TG_OP = 'UPDATE' AND NEW.sheet_id IS DISTINCT FROM OLD.sheet_id THEN
            PERFORM reports_sheetfacts_rebuild(NEW.sheet_id);
        END IF;
        PERFORM reports_sheetfacts_rebuild(OLD.sheet_id);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER reports_sheetfacts_event_insert AFTER INSERT ON handoffs_sheetevent
    FOR EACH ROW WHEN (NEW.kind IN ({_KINDS_0001 if version == 1 else _KINDS}))
    EXECUTE FUNCTION reports_sheetfacts_on_event();
CREATE TRIGGER reports_sheetfacts_event_change AFTER UPDATE OF kind, at, outcome, sheet_id
    OR DELETE ON handoffs_sheetevent
    FOR EACH ROW EXECUTE FUNCTION reports_sheetfacts_on_event();
"""  # noqa: S608  (constants only)


_DROP_SHEET_AND_EVENT_TRIGGERS = """
DROP TRIGGER IF EXISTS reports_sheetfacts_event_change ON handoffs_sheetevent;
DROP TRIGGER IF EXISTS reports_sheetfacts_event_insert ON handoffs_sheetevent;
DROP TRIGGER IF EXISTS reports_sheetfacts_sheet_update ON handoffs_connectsheet;
DROP TRIGGER IF EXISTS reports_sheetfacts_sheet_insert ON handoffs_connectsheet;
"""

# Migration 0001_rollups (its statements stay as they were applied; 0002 replaces them).
INSTALL = f"""
ALTER TABLE reports_sheetfacts ADD CONSTRAINT reports_sheetfacts_sheet_fk
    FOREIGN KEY (sheet_id) REFERENCES handoffs_connectsheet (id) ON DELETE CASCADE;
{_rebuild_function(1)}{_sheet_triggers(1)}{_event_triggers(1)}"""

# The inbox list (handoffs.selectors.inbox, api_lists: owner desk, not closed or withdrawn,
# earliest deadline first) read every sheet the desk ever owned: at a million sheets that was
# seconds per page and per count. A partial index holds only the open sheets.
OPEN_INBOX_INDEX = """
CREATE INDEX IF NOT EXISTS handoffs_sheet_open_inbox ON handoffs_connectsheet
    (owner_desk_id, ack_due_at, id) WHERE NOT (status IN ('closed', 'withdrawn'));
"""
DROP_OPEN_INBOX_INDEX = "DROP INDEX IF EXISTS handoffs_sheet_open_inbox;"

UNINSTALL = f"""{_DROP_SHEET_AND_EVENT_TRIGGERS}
DROP FUNCTION IF EXISTS reports_sheetfacts_on_event();
DROP FUNCTION IF EXISTS reports_sheetfacts_on_sheet();
DROP FUNCTION IF EXISTS reports_sheetfacts_rebuild(bigint);
ALTER TABLE reports_sheetfacts DROP CONSTRAINT IF EXISTS reports_sheetfacts_sheet_fk;
"""

BACKFILL_0001 = rebuild_sql("TRUE", version=1)

# Migration 0002_sheet_facts_for_every_figure. The fiscal year still read the sheets (arrivals,
# follow-up: correlated look-ups per sheet) and counted concerns through the many-to-many table
# (a hash join over every concern row ever written); the facts row now carries all of it:
# - the sheet's arrival, case link and first-contact deadline (the sheet triggers copy them);
# - the first stalled and first connected events (the event triggers);
# - the sheet's concern ids, ascending (a trigger on the many-to-many table). Concerns carry no
#   time, so as_of does not apply to them, exactly as in the raw count. The sheet exists before
#   its concern rows: its trigger inserts the row with none;
# - its contact attempts: how many, the first and the last (a trigger on the attempts; a change
#   or delete recomputes them). Counting "attempts before as_of" reads the attempts table only
#   for a sheet whose attempts straddle as_of, as for redirects.
# A concern or attempt row whose sheet has no facts row (a load that bypassed the triggers)
# rebuilds it.
_CHILD_TRIGGERS = """
CREATE OR REPLACE FUNCTION reports_sheetfacts_on_concern() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    target bigint;
BEGIN
    FOREACH target IN ARRAY CASE TG_OP
        WHEN 'INSERT' THEN ARRAY[NEW.connectsheet_id]
        WHEN 'DELETE' THEN ARRAY[OLD.connectsheet_id]
        ELSE ARRAY[OLD.connectsheet_id, NEW.connectsheet_id] END
    LOOP
        UPDATE reports_sheetfacts SET concern_ids = ARRAY(
            SELECT c.concern_id FROM handoffs_connectsheet_concerns c
            WHERE c.connectsheet_id = target ORDER BY c.concern_id)
        WHERE sheet_id = target;
        IF NOT FOUND AND EXISTS (SELECT FROM handoffs_connectsheet WHERE id = target) THEN
            PERFORM reports_sheetfacts_rebuild(target);
        END IF;
    END LOOP;
    RETURN NULL;
END $$;

CREATE TRIGGER reports_sheetfacts_concern_change
    AFTER INSERT OR UPDATE OR DELETE ON handoffs_connectsheet_concerns
    FOR EACH ROW EXECUTE FUNCTION reports_sheetfacts_on_concern();

CREATE OR REPLACE FUNCTION reports_sheetfacts_on_attempt() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    target bigint;
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE reports_sheetfacts SET attempts = attempts + 1,
            first_attempt_at = LEAST(first_attempt_at, NEW.at),
            last_attempt_at = GREATEST(last_attempt_at, NEW.at)
        WHERE sheet_id = NEW.sheet_id;
        IF NOT FOUND THEN
            PERFORM reports_sheetfacts_rebuild(NEW.sheet_id);
        END IF;
        RETURN NULL;
    END IF;
    FOREACH target IN ARRAY CASE TG_OP
        WHEN 'DELETE' THEN ARRAY[OLD.sheet_id] ELSE ARRAY[OLD.sheet_id, NEW.sheet_id] END
    LOOP
        UPDATE reports_sheetfacts f SET attempts = a.n, first_attempt_at = a.first,
            last_attempt_at = a.last
        FROM (SELECT count(*) AS n, min(at) AS first, max(at) AS last
              FROM handoffs_contactattempt WHERE sheet_id = target) a
        WHERE f.sheet_id = target;
    END LOOP;
    RETURN NULL;
END $$;

CREATE TRIGGER reports_sheetfacts_attempt_insert AFTER INSERT ON handoffs_contactattempt
    FOR EACH ROW EXECUTE FUNCTION reports_sheetfacts_on_attempt();
CREATE TRIGGER reports_sheetfacts_attempt_change AFTER UPDATE OF at, sheet_id
    OR DELETE ON handoffs_contactattempt
    FOR EACH ROW EXECUTE FUNCTION reports_sheetfacts_on_attempt();
"""

# Rebuilds every sheet's facts (the 0002 backfill; bulk loads that bypass the triggers, e.g.
# bench/dataset.py).
BACKFILL = rebuild_sql("TRUE")

INSTALL_0002 = f"""
ALTER TABLE reports_sheetfacts ALTER COLUMN concern_ids SET DEFAULT '{{}}';
{_DROP_SHEET_AND_EVENT_TRIGGERS}{_rebuild_function(2)}{_sheet_triggers(2)}{_event_triggers(2)}
{_CHILD_TRIGGERS}
{BACKFILL};
"""

UNINSTALL_0002 = f"""
DROP TRIGGER IF EXISTS reports_sheetfacts_attempt_change ON handoffs_contactattempt;
DROP TRIGGER IF EXISTS reports_sheetfacts_attempt_insert ON handoffs_contactattempt;
DROP TRIGGER IF EXISTS reports_sheetfacts_concern_change ON handoffs_connectsheet_concerns;
DROP FUNCTION IF EXISTS reports_sheetfacts_on_attempt();
DROP FUNCTION IF EXISTS reports_sheetfacts_on_concern();
{_DROP_SHEET_AND_EVENT_TRIGGERS}{_rebuild_function(1)}{_sheet_triggers(1)}{_event_triggers(1)}"""
