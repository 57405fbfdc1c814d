"""The version of the reference data that requests keep per process (directory/reference_cache.py).

PostgreSQL bumps it in the same transaction as any change to desks, concerns or departments:
a statement-level trigger, so the admin, a bulk ``update()``, ``loaddata``, a flush and plain
SQL all count. The number is 64 random bits (from ``gen_random_uuid()``, PostgreSQL's strong
random source), never the next of a series: a rolled-back change never hands its number to a
later one, and a database restored from a dump or recovered to a point in time does not hand
out again a number a worker kept from before (helper review "attack2"). Other databases get nothing: the cache is off there."""

from django.db import migrations

TABLES = ["directory_desk", "directory_concern", "directory_department"]

INSTALL = """
CREATE FUNCTION directory_reference_random_version() RETURNS bigint LANGUAGE sql AS $$
    SELECT ('x' || translate(gen_random_uuid()::text, '-', ''))::bit(64)::bigint
$$;
CREATE TABLE directory_referenceversion (
    id integer PRIMARY KEY CHECK (id = 1),
    version bigint NOT NULL
);
INSERT INTO directory_referenceversion (id, version)
    VALUES (1, directory_reference_random_version());
CREATE FUNCTION directory_reference_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE directory_referenceversion SET version = directory_reference_random_version()
        WHERE id = 1;
    RETURN NULL;
END;
$$;
""" + "".join(
    f"""
CREATE TRIGGER {table}_reference_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION directory_reference_changed();
"""
    for table in TABLES
)

UNINSTALL = (
    "".join(f"DROP TRIGGER IF EXISTS {table}_reference_changed ON {table};\n" for table in TABLES)
    + """
DROP FUNCTION IF EXISTS directory_reference_changed();
DROP TABLE IF EXISTS directory_referenceversion;
DROP FUNCTION IF EXISTS directory_reference_random_version();
"""
)


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INSTALL, params=None)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNINSTALL, params=None)


class Migration(migrations.Migration):
    dependencies = [("directory", "0006_merge_handout_section_chief")]

    operations = [migrations.RunPython(install, uninstall)]
