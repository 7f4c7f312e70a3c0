"""Ledger integrity enforced by the database, whatever code writes to it.

- An entry must have at least two lines whose debits equal its credits and its recorded
  total: a DEFERRABLE INITIALLY DEFERRED constraint trigger checks it at commit (or at
  SET CONSTRAINTS ... IMMEDIATE), after all of an entry's lines are in.
- Journal entries and lines are immutable: UPDATE, DELETE and TRUNCATE are refused.
- No entry may be dated inside a CLOSED accounting period; a closed period cannot be
  changed or deleted. The covering period is read FOR SHARE, so a concurrent close waits for
  the posting transaction (or the posting sees the period closed).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION ledger_check_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            checked_id bigint;
            recorded numeric;
            line_count bigint;
            debits numeric;
            credits numeric;
        BEGIN
            IF TG_TABLE_NAME = 'journal_entries' THEN
                checked_id := NEW.id;
                recorded := NEW.total;
            ELSE
                checked_id := NEW.entry_id;
                SELECT total INTO recorded FROM journal_entries WHERE id = checked_id;
            END IF;
            SELECT count(*), coalesce(sum(debit), 0), coalesce(sum(credit), 0)
              INTO line_count, debits, credits
              FROM journal_lines WHERE entry_id = checked_id;
            IF line_count < 2 THEN
                RAISE EXCEPTION 'Journal entry % has % line(s); an entry needs at least two.',
                    checked_id, line_count USING ERRCODE = 'check_violation';
            END IF;
            IF debits <> credits THEN
                RAISE EXCEPTION 'Journal entry % is unbalanced: debits % but credits %.',
                    checked_id, debits, credits USING ERRCODE = 'check_violation';
            END IF;
            IF debits <> recorded THEN
                RAISE EXCEPTION 'Journal entry % lines total % but the entry records %.',
                    checked_id, debits, recorded USING ERRCODE = 'check_violation';
            END IF;
            RETURN NULL;
        END $$;
        """
    )
    for table in ("journal_entries", "journal_lines"):
        op.execute(
            f"CREATE CONSTRAINT TRIGGER {table}_balanced AFTER INSERT ON {table} "
            "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
            "EXECUTE FUNCTION ledger_check_entry_balanced()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION refuse_change()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()"
        )
    op.execute(
        """
        CREATE FUNCTION ledger_refuse_closed_period() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            period accounting_periods%ROWTYPE;
        BEGIN
            SELECT * INTO period FROM accounting_periods
             WHERE NEW.effective_date BETWEEN start_date AND end_date
               FOR SHARE;
            IF FOUND AND period.status = 'closed' THEN
                RAISE EXCEPTION 'The accounting period % to % is closed: no entry may be dated %.',
                    period.start_date, period.end_date, NEW.effective_date
                    USING ERRCODE = 'check_violation';
            END IF;
            RETURN NEW;
        END $$;
        """
    )
    op.execute(
        "CREATE TRIGGER journal_entries_open_period BEFORE INSERT ON journal_entries "
        "FOR EACH ROW EXECUTE FUNCTION ledger_refuse_closed_period()"
    )
    op.execute(
        """
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
    )
    op.execute(
        "CREATE TRIGGER accounting_periods_closed_final BEFORE UPDATE OR DELETE "
        "ON accounting_periods FOR EACH ROW EXECUTE FUNCTION ledger_protect_closed_period()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS accounting_periods_closed_final ON accounting_periods")
    op.execute("DROP TRIGGER IF EXISTS journal_entries_open_period ON journal_entries")
    for table in ("journal_entries", "journal_lines"):
        for suffix in ("balanced", "append_only", "no_truncate"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_{suffix} ON {table}")
    op.execute("DROP FUNCTION IF EXISTS ledger_protect_closed_period()")
    op.execute("DROP FUNCTION IF EXISTS ledger_refuse_closed_period()")
    op.execute("DROP FUNCTION IF EXISTS ledger_check_entry_balanced()")
