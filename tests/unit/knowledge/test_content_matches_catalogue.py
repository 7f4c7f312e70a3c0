"""The knowledge base (knowledge/content) agrees with the code it describes.

Every product document states its key facts in tables these checks read exactly, so changing
a number in `core/products/catalogue.py` (or the contact profile, or the one-time code
service) without changing the documents fails here. Each checker returns a list of problems;
the doctored-catalogue tests prove the checkers notice a change. The evaluation set
(bench/knowledge_eval.yaml) is checked to point at documents and headings that exist.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections import Counter
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from core.compliance.policy import Weekday, load_profile
from core.loans.terms import Frequency, InterestCalculation, InterestMethod
from core.money import Money
from core.otp.service import CODE_DIGITS, DEFAULT_MAX_TRIES, DEFAULT_TTL
from core.products.catalogue import MERCHANTS, PRODUCTS, MerchantEntry
from core.products.merchants import percent_text
from core.products.quote import term_words
from core.products.spec import BANDS, FeeTreatment, OverpaymentHandling, ProductSpec, TierSpec

ROOT = Path(__file__).resolve().parents[3]
CONTENT = ROOT / "knowledge" / "content"
EVAL_SET = ROOT / "bench" / "knowledge_eval.yaml"
CODES = {spec.code for spec in PRODUCTS}
NAMES = {spec.code: spec.name for spec in PRODUCTS}
HEADING = re.compile(r"^(#{1,3}) (.+?)\s*$")
NUMBER_WORDS = {6: "six"}


@dataclasses.dataclass(frozen=True)
class Document:
    slug: str
    meta: dict[str, object]
    title: str
    sections: dict[str, str]

    @property
    def body(self) -> str:
        return "\n".join(self.sections.values())

    def rows(self, section: str | None = None) -> list[list[str]]:
        """Table rows (header rows included, separator rows not) as lists of cells."""
        text = self.body if section is None else self.sections[section]
        return [
            [cell.strip() for cell in line.strip().strip("|").split("|")]
            for line in text.splitlines()
            if line.startswith("|") and not re.fullmatch(r"[|\s:-]+", line)
        ]


def parse(path: Path) -> Document:
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---\n") or "\n---\n" not in text[4:]:
        raise AssertionError(f"{path.name} does not start with a --- front matter block")
    front, body = text[4:].split("\n---\n", 1)
    meta = yaml.safe_load(front)
    title, current, sections = "", "", {}
    for line in body.splitlines():
        match = HEADING.match(line)
        if match:
            if match.group(1) == "#":
                title = match.group(2)
            current = match.group(2)
            assert current not in sections, f"{path.name}: heading {current!r} is repeated"
            sections[current] = ""
        else:
            sections[current] = sections.get(current, "") + line + "\n"
    return Document(slug=path.stem, meta=meta, title=title, sections=sections)


@cache
def documents() -> dict[str, Document]:
    return {path.stem: parse(path) for path in sorted(CONTENT.glob("*.md"))}


def ttd(money: Money) -> str:
    amount = money.amount
    return f"TT${amount:,.0f}" if amount == amount.to_integral_value() else f"TT${amount:,.2f}"


def rate_span(spec: ProductSpec) -> str:
    """The eligible bands' rates as "12% – 21%", or "0%" when they are all the same."""
    rates = [t.annual_rate for t in spec.tiers if t.eligible and t.annual_rate is not None]
    low, high = percent_text(min(rates)), percent_text(max(rates))
    return low if low == high else f"{low} – {high}"


def fee_text(spec: ProductSpec) -> str | None:
    parts = [ttd(spec.origination_fee_fixed)] if spec.origination_fee_fixed else []
    if spec.origination_fee_percent:
        parts.append(percent_text(spec.origination_fee_percent))
    return " + ".join(parts) or None


def key_facts(spec: ProductSpec) -> dict[str, str]:
    """The "Key facts" table of a product document, exactly."""
    rates = rate_span(spec)
    deducted = spec.origination_fee_treatment is FeeTreatment.DEDUCTED
    fee = fee_text(spec)
    if spec.max_rate == 0:
        method = "Interest-free"
    elif spec.method is InterestMethod.FLAT:
        method = f"Flat rate on the amount {'financed' if spec.hire_purchase else 'borrowed'}"
    elif spec.method is InterestMethod.DECLINING_EQUAL_PRINCIPAL:
        method = "Declining balance, equal principal"
    else:
        method = "Declining balance, equal instalments"
        if spec.calculation is InterestCalculation.DAILY:
            method += ", interest calculated daily"
    facts = {
        "Amount": f"{ttd(spec.min_amount)} – {ttd(spec.max_amount)}",
        "Term": f"{spec.min_term} – {term_words(spec.max_term, spec.frequency)}",
        "Repayments": spec.frequency.value.capitalize(),
        "Interest rate": f"{rates} a year" + (", by risk band" if "–" in rates else ""),
        "Interest method": method,
        "Origination fee": "None" if fee is None else (
            f"{fee}{' of the amount' if spec.origination_fee_percent else ''}, "
            + ("deducted from the payout" if deducted else "added to the loan")),
        "Late fee": f"{ttd(spec.late_fee)} per late instalment" if spec.late_fee else "None",
        "Late fee grace period": f"{spec.late_fee_grace_days} days",
        "Early settlement fee": early_fee_text(spec),
        "Extra payments": extra_text(spec),
    }
    if spec.principal_grace:
        facts["Principal grace period"] = (
            f"{term_words(spec.principal_grace, spec.frequency)} (interest only)")
    if spec.rounding_multiple is not None:
        assert spec.rounding_multiple == 1, "describe this rounding multiple in the documents"
        facts["Instalments"] = "Rounded up to whole dollars; the last one is smaller"
    return facts


def early_fee_text(spec: ProductSpec) -> str:
    percent = spec.early_settlement_fee_percent
    return f"{percent_text(percent)} of the principal repaid early" if percent else "None"


def extra_text(spec: ProductSpec) -> str:
    if spec.overpayment is OverpaymentHandling.PREPAY:
        return "Reduce the principal and shorten the loan"
    return "Kept as credit for your next instalments"


def band_rows(spec: ProductSpec) -> list[list[str]]:
    rows = []
    for band in BANDS:
        tier = spec.tier(band)
        if tier is None or not tier.eligible or tier.max_amount is None:
            rows.append([band, "Not offered", "Not offered"])
        else:
            rows.append([band, percent_text(tier.annual_rate or Decimal(0)), ttd(tier.max_amount)])
    return rows


def product_document(spec: ProductSpec) -> Document:
    found = [d for d in documents().values()
             if d.meta.get("products") == [spec.code] and "Key facts" in d.sections]
    assert len(found) == 1, f"{spec.code} needs exactly one document with Key facts"
    return found[0]


def product_problems(doc: Document, spec: ProductSpec) -> list[str]:
    problems = [f"title {doc.title!r} is not {spec.name!r}"] if doc.title != spec.name else []
    stated = {row[0]: row[1] for row in doc.rows("Key facts") if row[0] != "Fact"}
    expected = key_facts(spec)
    problems += [f"Key facts {key}: {stated.get(key)!r}, catalogue says {value!r}"
                 for key, value in expected.items() if stated.get(key) != value]
    problems += [f"Key facts {key} is not in the catalogue"
                 for key in stated.keys() - expected.keys()]
    bands = [row for row in doc.rows() if len(row) == 3 and row[0] in BANDS]
    if sorted(bands) != band_rows(spec):
        problems.append(f"risk band rows {sorted(bands)}, catalogue says {band_rows(spec)}")
    return problems


GENERAL_TABLES = {
    "products-overview": lambda s: [
        s.name, key_facts(s)["Amount"], key_facts(s)["Term"], rate_span(s)],
    "late-fees": lambda s: [s.name, ttd(s.late_fee), f"{s.late_fee_grace_days} days"],
    "early-settlement": lambda s: [s.name, extra_text(s), early_fee_text(s)],
    "disbursement": lambda s: [s.name, payout_text(s)],
}


def payout_text(spec: ProductSpec) -> str:
    store = ", to the store" if spec.hire_purchase else ""
    fee = fee_text(spec)
    if fee is None:
        return f"The full amount{store} (no fee)"
    if spec.origination_fee_treatment is FeeTreatment.DEDUCTED:
        return f"The amount less the {fee} fee{store}"
    return f"The full amount{store} (the {fee} fee is added to the loan)"


def table_problems(doc: Document, spec: ProductSpec) -> list[str]:
    expected = GENERAL_TABLES[doc.slug](spec)
    stated = [row for row in doc.rows() if row and row[0] == spec.name]
    return [] if stated == [expected] else [f"{doc.slug}: {stated}, catalogue says {expected}"]


def phone_text(phone: str | None) -> str:
    digits = (phone or "").removeprefix("+1")
    return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"


def merchant_problems(doc: Document, entry: MerchantEntry) -> list[str]:
    if entry.name not in doc.sections:
        return [f"no section for {entry.name}"]
    stated = sorted(row for row in doc.rows(entry.name) if row[0] not in ("Category", "Branch"))
    expected = sorted(
        [[c.name, percent_text(c.min_down_payment_percent),
          ", ".join(NAMES[code] for code in c.product_codes)] for c in entry.categories]
        + [[b.name, b.address or "", phone_text(b.phone)] for b in entry.branches])
    return [] if stated == expected else [f"{entry.name}: {stated}, catalogue says {expected}"]


def test_there_are_enough_documents() -> None:
    assert len(documents()) >= 28


@pytest.mark.parametrize("slug", sorted(p.stem for p in CONTENT.glob("*.md")))
def test_front_matter_is_valid(slug: str) -> None:
    doc = documents()[slug]
    assert set(doc.meta) == {"title", "effective", "products", "language"}
    assert doc.meta["title"] == doc.title and doc.title, "front matter title is the # heading"
    assert isinstance(doc.meta["effective"], dt.date)
    products = doc.meta["products"]
    assert isinstance(products, list) and set(products) <= CODES, products
    assert doc.meta["language"] == "en"
    assert all(text.strip() for heading, text in doc.sections.items() if heading != doc.title)


@pytest.mark.parametrize("spec", PRODUCTS, ids=lambda spec: spec.code)
def test_product_document_matches_catalogue(spec: ProductSpec) -> None:
    assert product_problems(product_document(spec), spec) == []


@pytest.mark.parametrize("slug", sorted(GENERAL_TABLES))
def test_product_tables_match_catalogue(slug: str) -> None:
    assert [p for spec in PRODUCTS for p in table_problems(documents()[slug], spec)] == []


def test_stores_document_matches_catalogue() -> None:
    doc = documents()["hire-purchase-stores"]
    assert [p for entry in MERCHANTS for p in merchant_problems(doc, entry)] == []


def _doctored() -> list[Any]:
    personal = next(spec for spec in PRODUCTS if spec.code == "PERSONAL")
    tiers = tuple(dataclasses.replace(t, annual_rate=Decimal("0.125")) if t.band == "A" else t
                  for t in personal.tiers)
    return [pytest.param(dataclasses.replace(personal, **change), id=f"{n}-{next(iter(change))}")
            for n, change in enumerate((
        {"max_amount": Money.of(160_000, "TTD")}, {"min_term": 6}, {"tiers": tiers},
        {"late_fee": Money.of(110, "TTD")}, {"late_fee_grace_days": 4},
        {"origination_fee_percent": Decimal("0.025")},
        {"origination_fee_treatment": FeeTreatment.FINANCED},
        {"early_settlement_fee_percent": Decimal("0.01")},
        {"overpayment": OverpaymentHandling.CREDIT_BALANCE},
        {"frequency": Frequency.FORTNIGHTLY},
        {"tiers": (*personal.tiers[:4], TierSpec(band="E", annual_rate=Decimal("0.24"),
                                                  max_amount=Money.of(20_000, "TTD")))},
    ))]


@pytest.mark.parametrize("spec", _doctored())
def test_checks_notice_a_changed_catalogue(spec: ProductSpec) -> None:
    doc = product_document(spec)
    noticed = product_problems(doc, spec) + [
        p for slug in GENERAL_TABLES for p in table_problems(documents()[slug], spec)]
    assert noticed


def test_store_check_notices_a_changed_down_payment() -> None:
    entry = MERCHANTS[0]
    category = dataclasses.replace(entry.categories[0], min_down_payment_percent=Decimal("0.12"))
    changed = dataclasses.replace(entry, categories=(category, *entry.categories[1:]))
    assert merchant_problems(documents()["hire-purchase-stores"], changed)


def clock(moment: dt.time) -> str:
    return f"{moment.hour % 12 or 12}:{moment:%M} {'a.m.' if moment.hour < 12 else 'p.m.'}"


def test_contact_rules_match_the_profile() -> None:
    profile, doc = load_profile("TT"), documents()["collections-conduct"]
    rows = {row[0]: row[1:] for row in doc.rows()}
    for day in Weekday:
        windows = profile.hours[day]
        expected = "; ".join(f"{clock(w.start)} – {clock(w.end)}" for w in windows)
        assert rows[day.value.capitalize()] == [expected or "No contact"]
    channels = ("whatsapp", "sms", "voice", "email")
    for label, caps in (("In one day", profile.caps_per_day),
                        ("In any 7 days", profile.caps_per_7_days)):
        by_channel = {channel.value: cap for channel, cap in caps.channels.items()}
        assert rows[label] == [str(caps.all), *(str(by_channel[c]) for c in channels)]
    minutes = profile.cooling_off_minutes
    gap = f"{minutes // 60} hours" if minutes % 60 == 0 else f"{minutes} minutes"
    assert f"at least **{gap} between two attempts**" in doc.body


def test_one_time_code_rules_match_the_service() -> None:
    body = documents()["identity-verification"].body
    assert f"valid for **{DEFAULT_TTL.seconds // 60} minutes**" in body
    assert f"You have **{DEFAULT_MAX_TRIES} tries**" in body
    assert f"**{NUMBER_WORDS[CODE_DIGITS]}-digit code**" in body


def test_evaluation_set_points_at_real_sections() -> None:
    entries = yaml.safe_load(EVAL_SET.read_text(encoding="utf-8"))
    assert isinstance(entries, list) and len(entries) >= 170
    questions = [entry["q"] for entry in entries]
    assert all(isinstance(q, str) and q.strip() for q in questions)
    assert len(set(questions)) == len(questions), "a question is repeated"
    for entry in entries:
        assert set(entry) <= {"q", "doc", "section"}, entry
        if entry["doc"] is None:
            assert entry.get("section") is None, entry
        else:
            assert entry["doc"] in documents(), entry
            assert entry["section"] in documents()[entry["doc"]].sections, entry
    per_doc = Counter(entry["doc"] for entry in entries)
    assert per_doc[None] >= 15
    assert [slug for slug in documents() if per_doc[slug] < 3] == []
