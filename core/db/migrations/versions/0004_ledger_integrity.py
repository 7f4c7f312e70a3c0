"""Ledger integrity enforced by the database, whatever code writes to it.

- An entry is complete when it has at least two lines whose debits equal its credits and its
  recorded total. A DEFERRABLE INITIALLY DEFERRED constraint trigger on `journal_entries`
  checks it once per entry at commit (or at SET CONSTRAINTS ... IMMEDIATE), after all of an
  entry's lines are in.
- Lines can only ever add to an entry (positive amounts, no UPDATE or DELETE), so "no side
  above the recorded total" holds after every statement of a valid posting. A statement-level
  trigger checks it for each entry the statement touched, once, over a transition table. It
  refuses any line added to a complete entry: one committed earlier, or one of this
  transaction already checked by SET CONSTRAINTS ... IMMEDIATE. A per-line deferred check
  would re-add the entry once per line; this is one check per entry per statement.
- Journal entries and lines are immutable: UPDATE, DELETE and TRUNCATE are refused.
- No entry may be dated inside a CLOSED accounting period; a closed period cannot be
  changed or deleted. The covering periods are read FOR SHARE, so a concurrent close waits
  for the posting transaction (or the posting sees the period closed). Checked once per
  statement over the inserted entries' distinct dates.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ENTRY_COMPLETE = """
CREATE FUNCTION ledger_check_entry_complete() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    line_count bigint;
    debits numeric;
    credits numeric;
BEGIN
    SELECT count(*), coalesce(sum(debit), 0), coalesce(sum(credit), 0)
      INTO line_count, debits, credits
      FROM journal_lines WHERE entry_id = NEW.id;
    IF line_count < 2 THEN
        RAISE EXCEPTION 'Journal entry % has % line(s); an entry needs at least two.',
            NEW.id, line_count USING ERRCODE = 'check_violation';
    END IF;
    IF debits <> credits THEN
        RAISE EXCEPTION 'Journal entry % is unbalanced: debits % but credits %.',
            NEW.id, debits, credits USING ERRCODE = 'check_violation';
    END IF;
    IF debits <> NEW.total THEN
        RAISE EXCEPTION 'Journal entry % lines total % but the entry records %.',
            NEW.id, debits, NEW.total USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;
"""

# The sums are a LATERAL aggregate so that each touched entry is read through the entry_id
# index, whatever the planner guesses about the transition table's size.
LINES_WITHIN_TOTAL = """
CREATE FUNCTION ledger_check_lines_within_total() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    over record;
BEGIN
    SELECT entry.id, entry.total, sums.debits, sums.credits INTO over
      FROM (SELECT DISTINCT entry_id FROM added) AS touched
      JOIN journal_entries entry ON entry.id = touched.entry_id
     CROSS JOIN LATERAL (
            SELECT sum(line.debit) AS debits, sum(line.credit) AS credits
              FROM journal_lines line WHERE line.entry_id = touched.entry_id
           ) AS sums
     WHERE sums.debits > entry.total OR sums.credits > entry.total
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION
            'Journal entry % lines total % but the entry records %; lines may not exceed it.',
            over.id, greatest(over.debits, over.credits), over.total
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;
"""

REFUSE_CLOSED_PERIOD = """
CREATE FUNCTION ledger_refuse_closed_period() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    days date[] := ARRAY(SELECT DISTINCT effective_date FROM added);
    period record;
BEGIN
    FOR period IN
        SELECT p.start_date, p.end_date, p.status FROM accounting_periods p
         WHERE EXISTS (SELECT 1 FROM unnest(days) AS day
                        WHERE day BETWEEN p.start_date AND p.end_date)
         ORDER BY p.start_date
           FOR SHARE
    LOOP
        IF period.status = 'closed' THEN
            RAISE EXCEPTION 'The accounting period % to % is closed: no entry may be dated %.',
                period.start_date, period.end_date,
                (SELECT min(day) FROM unnest(days) AS day
                  WHERE day BETWEEN period.start_date AND period.end_date)
                USING ERRCODE = 'check_violation';
        END IF;
    END LOOP;
    RETURN NULL;
END $$;
"""

PROTECT_CLOSED_PERIOD = """
CREATE FUNCTION ledger_protect_closed_period() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'closed' THEN
        RAISE EXCEPTION 'The accounting period % to % is closed: % refused.',
            OLD.start_date, OLD.end_date, TG_OP USING ERRCODE = 'restrict_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END $$;
"""


def upgrade() -> None:
    for function in (
        ENTRY_COMPLETE,
        LINES_WITHIN_TOTAL,
        REFUSE_CLOSED_PERIOD,
        PROTECT_CLOSED_PERIOD,
    ):
        op.execute(function)
    op.execute(
        "CREATE CONSTRAINT TRIGGER journal_entries_complete AFTER INSERT ON journal_entries "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
        "EXECUTE FUNCTION ledger_check_entry_complete()"
    )
    op.execute(
        "CREATE TRIGGER journal_lines_within_total AFTER INSERT ON journal_lines "
        "REFERENCING NEW TABLE AS added FOR EACH STATEMENT "
        "EXECUTE FUNCTION ledger_check_lines_within_total()"
    )
    op.execute(
        "CREATE TRIGGER journal_entries_open_period AFTER INSERT ON journal_entries "
        "REFERENCING NEW TABLE AS added FOR EACH STATEMENT "
        "EXECUTE FUNCTION ledger_refuse_closed_period()"
    )
    for table in ("journal_entries", "journal_lines"):
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION refuse_change()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()"
        )
    op.execute(
        "CREATE TRIGGER accounting_periods_closed_final BEFORE UPDATE OR DELETE "
        "ON accounting_periods FOR EACH ROW EXECUTE FUNCTION ledger_protect_closed_period()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS accounting_periods_closed_final ON accounting_periods")
    for table in ("journal_entries", "journal_lines"):
        for suffix in ("append_only", "no_truncate"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_{suffix} ON {table}")
    op.execute("DROP TRIGGER IF EXISTS journal_entries_open_period ON journal_entries")
    op.execute("DROP TRIGGER IF EXISTS journal_lines_within_total ON journal_lines")
    op.execute("DROP TRIGGER IF EXISTS journal_entries_complete ON journal_entries")
    # Databases upgraded with the first draft of this revision have per-line checks instead.
    for table in ("journal_entries", "journal_lines"):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_balanced ON {table}")
    op.execute("DROP FUNCTION IF EXISTS ledger_check_entry_balanced()")
    for function in (
        "ledger_protect_closed_period",
        "ledger_refuse_closed_period",
        "ledger_check_lines_within_total",
        "ledger_check_entry_complete",
    ):
        op.execute(f"DROP FUNCTION IF EXISTS {function}()")
