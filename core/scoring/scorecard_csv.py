"""Scorecards as CSV, for editing in a spreadsheet: `export_csv` and `import_csv` round-trip.

Columns: record, fact, label, kind, reason, lower, upper, values, points, log_odds, value.
One row per item, in order; the `record` column says what the row is:

- `setting`: fact is base_score, min_score, max_score, or for a scaled scorecard pdo,
  scaled_score (the scaling's base score), base_odds or intercept; value is its value;
- `band`: label is the band (A–E); value is the band's minimum score;
- `characteristic`: fact, label, kind (numeric or categorical) and reason;
- `bin`: fact, label, lower and upper (numeric) or values (categorical, separated by `|`),
  points and, on a scaled scorecard, log_odds;
- `missing`: fact, points (and log_odds): the default bin.

A bin or missing row belongs to the characteristic row of the same fact, which comes first.
Empty cells are blank.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from core.errors import ValidationError
from core.scoring.scorecard import ScorecardSpec

COLUMNS: Final = ("record", "fact", "label", "kind", "reason", "lower", "upper", "values",
                  "points", "log_odds", "value")
_SETTINGS: Final = ("base_score", "min_score", "max_score")
_SCALING: Final = {"pdo": "pdo", "scaled_score": "base_score", "base_odds": "base_odds",
                   "intercept": "intercept"}
_NUMBERS: Final = ("lower", "upper", "points", "log_odds", "value")
MAX_BYTES: Final = 1_000_000


def export_csv(spec: ScorecardSpec) -> str:
    """The scorecard as CSV text (see the module docstring)."""
    data = spec.as_dict()
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for name in _SETTINGS:
        writer.writerow({"record": "setting", "fact": name, "value": data[name]})
    for name, key in _SCALING.items():
        if data["scaling"] is not None:
            writer.writerow({"record": "setting", "fact": name, "value": data["scaling"][key]})
    for band in data["bands"]:
        writer.writerow({"record": "band", "label": band["band"], "value": band["min_score"]})
    for c in data["characteristics"]:
        writer.writerow({"record": "characteristic", "fact": c["fact"], "label": c["label"],
                         "kind": c["kind"], "reason": c["reason"]})
        for b in c["bins"]:
            writer.writerow({"record": "bin", "fact": c["fact"], "label": b["label"],
                             "lower": b["lower"], "upper": b["upper"],
                             "values": "|".join(b["values"]), "points": b["points"],
                             "log_odds": b["log_odds"]})
        writer.writerow({"record": "missing", "fact": c["fact"], "points": c["missing_points"],
                         "log_odds": c["missing_log_odds"]})
    return out.getvalue()


def _read(text: str) -> list[dict[str, str]]:
    if not isinstance(text, str) or not text.strip():
        raise ValidationError("The CSV file is empty.")
    if len(text.encode()) > MAX_BYTES:
        raise ValidationError("A scorecard CSV may be at most 1 MB.")
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [name.strip().lower() for name in reader.fieldnames or []]
    missing = [name for name in COLUMNS if name not in header]
    if missing:
        raise ValidationError(f"The CSV header lacks: {', '.join(missing)}. Expected columns: "
                              f"{', '.join(COLUMNS)}.")
    reader.fieldnames = header
    rows = []
    for row in reader:
        if None in row:
            raise ValidationError(f"Line {reader.line_num}: more cells than columns.")
        rows.append({k: (v or "").strip() for k, v in row.items()})
    return rows


def _is_number(text: str) -> bool:
    try:
        return Decimal(text).is_finite()
    except InvalidOperation:
        return False


def import_csv(text: str) -> ScorecardSpec:
    """Read a scorecard from CSV. Raises ValidationError naming every bad line (up to ten),
    or the first problem with the scorecard as a whole."""
    settings: dict[str, str] = {}
    scaling: dict[str, str] = {}
    bands: list[dict[str, Any]] = []
    characteristics: dict[str, dict[str, Any]] = {}
    problems: list[str] = []
    for line, row in enumerate(_read(text), start=2):
        record, fact = row["record"].lower(), row["fact"]
        bad = [name for name in _NUMBERS if row[name] and not _is_number(row[name])]
        if bad:
            problems.extend(f"line {line}: {name} {row[name]!r} is not a number" for name in bad)
        elif record == "setting" and fact in _SETTINGS:
            settings[fact] = row["value"]
        elif record == "setting" and fact in _SCALING:
            scaling[_SCALING[fact]] = row["value"]
        elif record == "band":
            bands.append({"band": row["label"], "min_score": row["value"]})
        elif record == "characteristic":
            if fact in characteristics:
                problems.append(f"line {line}: characteristic {fact!r} appears twice")
            characteristics[fact] = {"fact": fact, "label": row["label"], "kind": row["kind"],
                                     "reason": row["reason"], "bins": []}
        elif record in ("bin", "missing") and fact not in characteristics:
            problems.append(f"line {line}: {record} for {fact!r} comes before (or without) "
                            "its characteristic row")
        elif record == "bin":
            values = [v for v in row["values"].split("|") if v.strip()]
            characteristics[fact]["bins"].append({
                "label": row["label"], "lower": row["lower"] or None,
                "upper": row["upper"] or None, "values": values,
                "points": row["points"] or "0", "log_odds": row["log_odds"] or None})
        elif record == "missing":
            characteristics[fact]["missing_points"] = row["points"] or "0"
            characteristics[fact]["missing_log_odds"] = row["log_odds"] or None
        elif record == "setting":
            problems.append(f"line {line}: unknown setting {fact!r}")
        else:
            problems.append(f"line {line}: unknown record type {row['record']!r}; use setting, "
                            "band, characteristic, bin or missing")
    if problems:
        raise ValidationError("The CSV has errors: " + "; ".join(problems[:10]) + ".")
    definition = {**settings, "bands": bands, "characteristics": list(characteristics.values()),
                  "scaling": scaling or None}
    try:
        return ScorecardSpec.from_dict(definition)
    except ValidationError as error:
        raise ValidationError(f"The CSV does not make a valid scorecard: {error.message}") from None
