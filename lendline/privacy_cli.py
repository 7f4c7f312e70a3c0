"""`lendline export-customer ID`, `lendline rotate-keys` and `lendline apply-retention`.

Whoever runs these holds the database and its secret, so they need no sign-in; each is
audited with `cli:<operating system user>` as the actor. See docs/data-protection.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import sys
from pathlib import Path
from typing import Any

from core.privacy.export import export_archive, export_customer
from core.privacy.retention import apply_retention
from core.privacy.rotation import rotate_keys
from lendline.cli_session import in_transaction
from lendline.jobs_retention import policy_from, summary
from lendline.settings import Settings


def add_commands(commands: Any) -> None:
    """Register `export-customer`, `rotate-keys` and `apply-retention` on the CLI."""
    export = commands.add_parser(
        "export-customer", help="print everything held about a customer as JSON")
    export.add_argument("customer_id", type=int)
    export.add_argument("--zip", type=Path, metavar="FILE",
                        help="write a zip with the JSON and the customer's files to FILE instead")
    export.set_defaults(run=_export)

    rotate = commands.add_parser(
        "rotate-keys", help="re-encrypt stored secrets under LENDLINE_SECRET_KEY (after a "
        "key change; the old key in LENDLINE_PREVIOUS_SECRET_KEYS)")
    rotate.set_defaults(run=_rotate)

    retention = commands.add_parser(
        "apply-retention", help="apply the retention policy now (the daily job does it too)")
    retention.add_argument("--dry-run", action="store_true",
                           help="count what would be removed, then roll back")
    retention.set_defaults(run=_retention)


def actor() -> str:
    return f"cli:{getpass.getuser()}"


def _export(settings: Settings, args: argparse.Namespace) -> None:
    now, cipher = dt.datetime.now(dt.UTC), settings.field_cipher()
    if args.zip is not None:
        archive = in_transaction(settings, lambda session: export_archive(
            session, cipher=cipher, customer_id=args.customer_id, actor=actor(), now=now))
        args.zip.write_bytes(archive)
        print(f"Wrote {args.zip} ({len(archive):,} bytes).", file=sys.stderr)
        return
    document = in_transaction(settings, lambda session: export_customer(
        session, cipher=cipher, customer_id=args.customer_id, actor=actor(), now=now))
    json.dump(document, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def _rotate(settings: Settings, args: argparse.Namespace) -> None:
    report = in_transaction(settings, lambda session: rotate_keys(
        session, cipher=settings.field_cipher(), actor=actor()))
    print(f"Re-encrypted {report.identity_numbers} identity numbers, "
          f"{report.imported_national_ids} imported national IDs, {report.documents} documents "
          f"and {report.two_factor_secrets} two-factor secrets; {report.lookup_hashes} lookup "
          "hashes recomputed.")


def _retention(settings: Settings, args: argparse.Namespace) -> None:
    report = in_transaction(settings, lambda session: apply_retention(
        session, policy=policy_from(settings), now=dt.datetime.now(dt.UTC), actor=actor()),
        commit=not args.dry_run)
    print(("Would have: " if args.dry_run else "") + summary(report) + ".")
