"""The PostgreSQL side of the report rollups (``reports.models.SheetFacts``): the triggers that
keep them exact on write, and the statement that rebuilds them from the timeline (used by the
migration's backfill, by the triggers when an event is changed or deleted, and by bulk loads that
bypass triggers, such as bench/dataset.py)."""

from __future__ import annotations

# The timeline kinds the facts depend on (handoffs.models.EventKind values).
FACT_KINDS = ("acknowledged", "contacted", "overdue", "redirected", "resent", "closed", "withdrawn")
_KINDS = ", ".join(f"'{kind}'" for kind in FACT_KINDS)

_COLUMNS = (
    "sent_at, from_department_id, urgency, ack_due_at, first_ack_at, first_contact_at, "
    "first_overdue_at, last_period_start_at, redirects, first_redirect_at, last_redirect_at, "
    "closed_at, closed_outcome, withdrawn_at"
)


# A sheet's concern ids, ascending (migration 0002_concern_rollups).
_CONCERN_IDS = (
    "ARRAY(SELECT c.concern_id FROM handoffs_connectsheet_concerns c "
    "WHERE c.connectsheet_id = s.id ORDER BY c.concern_id)"
)


def rebuild_sql(where: str, *, concerns: bool = True) -> str:
    """INSERT … ON CONFLICT that recomputes the facts of the sheets matching ``where`` (a
    condition on ``s``, the sheet) from their timelines and, with ``concerns``, their concern
    ids (``concerns=False``: migration 0001's statement, before that column existed)."""
    columns = f"{_COLUMNS}, concern_ids" if concerns else _COLUMNS
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns.split(", "))
    concern_ids = f",\n       {_CONCERN_IDS}" if concerns else ""
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
       min(e.at) FILTER (WHERE e.kind = 'withdrawn'){concern_ids}
FROM handoffs_connectsheet s
LEFT JOIN handoffs_sheetevent e ON e.sheet_id = s.id AND e.kind IN ({_KINDS})
WHERE {where}
GROUP BY s.id
ON CONFLICT (sheet_id) DO UPDATE SET {updates}
"""  # noqa: S608  (constants only: no value from outside reaches this text)


def _first(column: str, kind: str) -> str:
    return (
        f"{column} = CASE WHEN NEW.kind = '{kind}' THEN LEAST({column}, NEW.at) ELSE {column} END"
    )


def _rebuild_function(*, concerns: bool) -> str:
    return f"""
CREATE OR REPLACE FUNCTION reports_sheetfacts_rebuild(target bigint) RETURNS void
LANGUAGE sql AS $$ {rebuild_sql("s.id = target", concerns=concerns)} $$;
"""


# Migration 0001_rollups (its text stays as it was applied; 0002 extends it).
INSTALL = f"""
ALTER TABLE reports_sheetfacts ADD CONSTRAINT reports_sheetfacts_sheet_fk
    FOREIGN KEY (sheet_id) REFERENCES handoffs_connectsheet (id) ON DELETE CASCADE;
{_rebuild_function(concerns=False)}
CREATE OR REPLACE FUNCTION reports_sheetfacts_on_sheet() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO reports_sheetfacts (sheet_id, sent_at, from_department_id, urgency, ack_due_at,
                                    redirects, closed_outcome)
    VALUES (NEW.id, NEW.sent_at, NEW.from_department_id, NEW.urgency, NEW.ack_due_at, 0, '')
    ON CONFLICT (sheet_id) DO UPDATE SET sent_at = EXCLUDED.sent_at,
        from_department_id = EXCLUDED.from_department_id, urgency = EXCLUDED.urgency,
        ack_due_at = EXCLUDED.ack_due_at;
    RETURN NULL;
END $$;

CREATE TRIGGER reports_sheetfacts_sheet_insert AFTER INSERT ON handoffs_connectsheet
    FOR EACH ROW EXECUTE FUNCTION reports_sheetfacts_on_sheet();
CREATE TRIGGER reports_sheetfacts_sheet_update AFTER UPDATE ON handoffs_connectsheet
    FOR EACH ROW WHEN (OLD.sent_at IS DISTINCT FROM NEW.sent_at
                       OR OLD.urgency IS DISTINCT FROM NEW.urgency
                       OR OLD.ack_due_at IS DISTINCT FROM NEW.ack_due_at
                       OR OLD.from_department_id IS DISTINCT FROM NEW.from_department_id)
    EXECUTE FUNCTION reports_sheetfacts_on_sheet();

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
            {_first("withdrawn_at", "withdrawn")}
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
    FOR EACH ROW WHEN (NEW.kind IN ({_KINDS}))
    EXECUTE FUNCTION reports_sheetfacts_on_event();
CREATE TRIGGER reports_sheetfacts_event_change AFTER UPDATE OF kind, at, outcome, sheet_id
    OR DELETE ON handoffs_sheetevent
    FOR EACH ROW EXECUTE FUNCTION reports_sheetfacts_on_event();
"""  # noqa: S608  (constants only)

# The inbox list (handoffs.selectors.inbox, api_lists: owner desk, not closed or withdrawn,
# earliest deadline first) read every sheet the desk ever owned: at a million sheets that was
# seconds per page and per count. A partial index holds only the open sheets.
OPEN_INBOX_INDEX = """
CREATE INDEX IF NOT EXISTS handoffs_sheet_open_inbox ON handoffs_connectsheet
    (owner_desk_id, ack_due_at, id) WHERE NOT (status IN ('closed', 'withdrawn'));
"""
DROP_OPEN_INBOX_INDEX = "DROP INDEX IF EXISTS handoffs_sheet_open_inbox;"

UNINSTALL = """
DROP TRIGGER IF EXISTS reports_sheetfacts_event_change ON handoffs_sheetevent;
DROP TRIGGER IF EXISTS reports_sheetfacts_event_insert ON handoffs_sheetevent;
DROP TRIGGER IF EXISTS reports_sheetfacts_sheet_update ON handoffs_connectsheet;
DROP TRIGGER IF EXISTS reports_sheetfacts_sheet_insert ON handoffs_connectsheet;
DROP FUNCTION IF EXISTS reports_sheetfacts_on_event();
DROP FUNCTION IF EXISTS reports_sheetfacts_on_sheet();
DROP FUNCTION IF EXISTS reports_sheetfacts_rebuild(bigint);
ALTER TABLE reports_sheetfacts DROP CONSTRAINT IF EXISTS reports_sheetfacts_sheet_fk;
"""

BACKFILL_0001 = rebuild_sql("TRUE", concerns=False)

# Migration 0002_concern_rollups: a sheet's concern ids on its facts row, kept by a trigger on
# the many-to-many table (the reports counted concerns through it: a hash join over every
# concern row ever written). A sheet's concerns carry no time, so as_of does not apply to them,
# exactly as in the raw count. The sheet's own trigger inserts the row with no concerns (the
# sheet exists before its concern rows); a concern row without a facts row rebuilds it.
CONCERNS_INSTALL = f"""
ALTER TABLE reports_sheetfacts ALTER COLUMN concern_ids SET DEFAULT '{{}}';
{_rebuild_function(concerns=True)}
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

UPDATE reports_sheetfacts f SET concern_ids = c.ids
FROM (SELECT connectsheet_id, array_agg(concern_id ORDER BY concern_id) AS ids
      FROM handoffs_connectsheet_concerns GROUP BY connectsheet_id) c
WHERE f.sheet_id = c.connectsheet_id;
UPDATE reports_sheetfacts SET concern_ids = '{{}}' WHERE concern_ids IS NULL;
"""  # noqa: S608  (constants only)

CONCERNS_UNINSTALL = f"""
DROP TRIGGER IF EXISTS reports_sheetfacts_concern_change ON handoffs_connectsheet_concerns;
DROP FUNCTION IF EXISTS reports_sheetfacts_on_concern();
{_rebuild_function(concerns=False)}"""

# Rebuilds every sheet's facts (bulk loads that bypass the triggers, e.g. bench/dataset.py).
BACKFILL = rebuild_sql("TRUE")
