"""Settings for the few statements that read or write every customer or order at once."""

from django.db import connection


def bulk_statement_settings(cursor, *, work_mem: str | None = None) -> None:
    """For the rest of the current transaction only (``SET LOCAL``), on PostgreSQL.

    No JIT: the planner's cost estimate of a statement over a million rows makes it
    JIT-compile the statement, which measured seconds of compilation (7–8 s for a 3 s
    scoring query) where the time goes into reading and writing rows and index entries.
    ``work_mem`` gives sorts and hashes of every customer room to stay off disk."""
    if connection.vendor != "postgresql":
        return
    cursor.execute("SET LOCAL jit = off")
    if work_mem is not None:
        cursor.execute("SELECT set_config('work_mem', %s, true)", [work_mem])
