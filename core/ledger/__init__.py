"""The general ledger: chart, posting, rules, periods, reports, reconciliation (docs/ledger.md)."""
