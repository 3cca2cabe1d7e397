# Written by hand: PostgreSQL-only search support (issue 19, "Fast at a million customers").

from django.db import migrations

# The search box's "contains" on names and emails needs an index that answers one- and
# two-character terms (most Chinese names are two or three characters; trigrams cannot).
# ``search_grams`` holds the distinct one- and two-character pieces of UPPER(name) ('n…')
# and UPPER(email) ('e…'); Django's model does not declare it, so the ORM never loads or
# writes it. A trigger keeps it in step, and only when name or email really changes (the
# nightly scoring's UPDATEs do not pay for it). See customers.search and docs/architecture.md.
FORWARD = r"""
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE OR REPLACE FUNCTION customer_search_grams(name text, email text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    -- Built from C string functions only (no set-returning function), so the trigger
    -- costs a few microseconds a row. Each regexp_replace marks its pieces with \x01 and
    -- the prefix: every character; the pairs starting at odd positions; the pairs starting
    -- at even positions ((..?) also yields the odd last character, itself a real unigram).
    SELECT array_remove(string_to_array(
           regexp_replace(n, '(.)', E'\x01n\\1', 'g')
        || regexp_replace(n, '(..?)', E'\x01n\\1', 'g')
        || regexp_replace(substr(n, 2), '(..?)', E'\x01n\\1', 'g')
        || regexp_replace(e, '(.)', E'\x01e\\1', 'g')
        || regexp_replace(e, '(..?)', E'\x01e\\1', 'g')
        || regexp_replace(substr(e, 2), '(..?)', E'\x01e\\1', 'g'),
        E'\x01'), '')
    FROM (SELECT upper(coalesce(name, '')) AS n, upper(coalesce(email, '')) AS e) AS folded
$$;

CREATE OR REPLACE FUNCTION customer_term_grams(term text, prefix text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN length(term) < 2 THEN ARRAY[prefix || upper(term)]
        ELSE ARRAY(
            SELECT DISTINCT prefix || substr(upper(term), i, 2)
            FROM generate_series(1, length(term) - 1) AS i
        )
    END
$$;

CREATE OR REPLACE FUNCTION customer_search_grams_fill() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_grams := customer_search_grams(NEW.name, NEW.email);
    RETURN NEW;
END
$$;

ALTER TABLE customers_customer ADD COLUMN IF NOT EXISTS search_grams text[];
UPDATE customers_customer SET search_grams = customer_search_grams(name, email);

CREATE TRIGGER customer_search_grams_insert
    BEFORE INSERT ON customers_customer
    FOR EACH ROW EXECUTE FUNCTION customer_search_grams_fill();
CREATE TRIGGER customer_search_grams_update
    BEFORE UPDATE OF name, email ON customers_customer
    FOR EACH ROW
    WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.email IS DISTINCT FROM NEW.email)
    EXECUTE FUNCTION customer_search_grams_fill();

ALTER TABLE customers_customer ALTER COLUMN search_grams SET STATISTICS 1000;
CREATE INDEX IF NOT EXISTS customer_search_grams ON customers_customer
    USING gin (search_grams);
CREATE INDEX IF NOT EXISTS customer_mobile_trgm ON customers_customer
    USING gin (mobile gin_trgm_ops);
ANALYZE customers_customer;
"""

BACKWARD = r"""
DROP INDEX IF EXISTS customer_mobile_trgm;
DROP TRIGGER IF EXISTS customer_search_grams_update ON customers_customer;
DROP TRIGGER IF EXISTS customer_search_grams_insert ON customers_customer;
ALTER TABLE customers_customer DROP COLUMN IF EXISTS search_grams;
DROP FUNCTION IF EXISTS customer_search_grams_fill();
DROP FUNCTION IF EXISTS customer_term_grams(text, text);
DROP FUNCTION IF EXISTS customer_search_grams(text, text);
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0012_consent_basis_db_defaults"),
    ]

    operations = [
        migrations.RunPython(forward, backward, elidable=False),
    ]
