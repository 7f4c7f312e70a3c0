"""Scorecards: worked examples with exact points and bands, bin edges, the default bin,
clamping, validation, PDO scaling on textbook numbers, and CSV in and out."""

from __future__ import annotations

import copy
from decimal import Decimal as D
from typing import Any

import pytest

from core.errors import ValidationError
from core.scoring.demo_scorecard import DEMO_SCORECARD
from core.scoring.scaling import Scaling
from core.scoring.scorecard import ScorecardSpec
from core.scoring.scorecard_csv import export_csv, import_csv
from core.scoring.scoring import MISSING_BIN, CompiledScorecard

CARD = CompiledScorecard(ScorecardSpec.from_dict(DEMO_SCORECARD))
TYPICAL = {"age": D(30), "employment_months": D(36), "monthly_income": D(9000),
           "debt_to_income": D("0.2"), "bureau_score": D(650), "bureau_delinquencies": D(0),
           "employment_status": "employed", "product_type": "cash"}


def test_the_typical_borrower_of_the_docstring_scores_660_band_b() -> None:
    result = CARD.score(TYPICAL)
    assert [(line.fact, line.bin, line.points) for line in result.lines] == [
        ("age", "25–34", 20), ("employment_months", "2–5 years", 35),
        ("monthly_income", "7,000–11,999", 25), ("debt_to_income", "10–24%", 35),
        ("bureau_score", "650–719", 80), ("bureau_delinquencies", "none", 40),
        ("employment_status", "Employed", 30), ("product_type", "Cash loan", 10)]
    assert (result.base, result.unclamped, result.total, result.band) == (385, 660, 660, "B")
    assert CARD.total(TYPICAL) == 660


def test_a_strong_and_a_weak_borrower() -> None:
    strong = {**TYPICAL, "age": D(40), "employment_months": D(90), "monthly_income": D(25000),
              "debt_to_income": D("0.05"), "bureau_score": D(780), "product_type": "HIRE_PURCHASE"}
    assert (CARD.total(strong), CARD.score(strong).band) == (385 + 35 + 45 + 45 + 45 + 110 + 40
                                                             + 30 + 20, "A")
    weak = {"age": D(19), "employment_months": D(2), "monthly_income": D(3000),
            "debt_to_income": D("0.75"), "bureau_score": D(450), "bureau_delinquencies": D(5),
            "employment_status": "Unemployed", "product_type": "cash"}
    assert CARD.total(weak) == 385 + 10 + 0 + 0 - 10 - 20 - 25 + 0 + 10 == 350
    assert CARD.score(weak).band == "E"


@pytest.mark.parametrize(("months", "label", "points"), [
    (D("5.99"), "under 6 months", 0), (D(6), "6–11 months", 10), (D(11), "6–11 months", 10),
    (D(12), "1–2 years", 20), (D(59), "2–5 years", 35), (D(60), "5 years or more", 45),
    (D(-3), "under 6 months", 0),
])
def test_numeric_bins_are_half_open(months: D, label: str, points: int) -> None:
    line = CARD.score({**TYPICAL, "employment_months": months}).lines[1]
    assert (line.bin, line.points) == (label, points)


def test_missing_and_unlisted_values_take_the_default_bin() -> None:
    result = CARD.score({**TYPICAL, "bureau_score": None, "employment_status": "pilot"})
    bureau, status = result.lines[4], result.lines[6]
    assert (bureau.bin, bureau.points, bureau.max_points) == (MISSING_BIN, 25, 110)
    assert (status.bin, status.points) == (MISSING_BIN, 0)
    assert result.total == 660 - 80 + 25 - 30


@pytest.mark.parametrize(("score", "band"), [
    (850, "A"), (720, "A"), (719, "B"), (660, "B"), (659, "C"), (600, "C"), (599, "D"),
    (540, "D"), (539, "E"), (300, "E")])
def test_band_edges(score: int, band: str) -> None:
    assert CARD.spec.band_for(score) == band


def _card(**changes: Any) -> dict[str, Any]:
    card = copy.deepcopy(DEMO_SCORECARD)
    card.update(changes)
    return card


def test_scores_are_clamped() -> None:
    tight = CompiledScorecard(ScorecardSpec.from_dict(_card(min_score=600, max_score=650,
                                                              bands=[{"band": "A",
                                                                      "min_score": 640},
                                                                     {"band": "B",
                                                                      "min_score": 600}])))
    high = tight.score(TYPICAL)
    assert (high.unclamped, high.total, high.band) == (660, 650, "A")
    assert tight.total({}) == 600


def _broken(path: str, value: object) -> dict[str, Any]:
    card = copy.deepcopy(DEMO_SCORECARD)
    target: Any = card
    keys = path.split(".")
    for key in keys[:-1]:
        target = target[int(key)] if key.isdigit() else target[key]
    last = keys[-1]
    target[int(last) if last.isdigit() else last] = value
    return card


@pytest.mark.parametrize(("path", "value", "message"), [
    ("characteristics.1.bins.2.lower", "13", "Characteristic employment_months, bin "
     "'1–2 years' starts at 13, not where the previous bin ends (12): bins must be "
     "contiguous and ascending."),
    ("characteristics.1.bins.0.upper", None, "only the first bin may be open below and only "
     "the last open above"),
    ("characteristics.0.fact", "shoe_size", "'shoe_size' is not a known fact"),
    ("characteristics.0.fact", "debt_service_ratio", "depends on the score itself"),
    ("characteristics.0.fact", "bureau_score", "Fact bureau_score is scored twice."),
    ("characteristics.6.kind", "numeric", "Characteristic employment_status: "
     "employment_status is text, which cannot have numeric bins."),
    ("characteristics.0.bins.0.values", ["young"], "a numeric bin has a range, not values"),
    ("characteristics.6.bins.0.lower", "1", "list its values and no range"),
    ("characteristics.6.bins.1.values", ["employed"], "'employed' is in two bins"),
    ("characteristics.0.bins.0.points", "ten", "points must be a number, not 'ten'"),
    ("characteristics.0.bins.0.points", 1.5, "must be a number written as text"),
    ("characteristics.0.kind", "ordinal", "'ordinal' is not a characteristic kind"),
    ("bands.1.min_score", 730, "Each band's minimum score must be below the previous one's."),
    ("bands.4.min_score", 310, "The lowest band (E) must start at or below the minimum score"),
    ("bands.0.band", "F", "Bands must be distinct, from A to E, listed best first."),
    ("min_score", 900, "The minimum score must be below the maximum score."),
    ("characteristics", [], "A scorecard needs at least one characteristic."),
])
def test_invalid_scorecards_are_refused_clearly(path: str, value: object, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        ScorecardSpec.from_dict(_broken(path, value))
    assert message in caught.value.message


def test_pdo_scaling_on_textbook_numbers() -> None:
    """Siddiqi: PDO 20, 600 points at odds 50:1."""
    scaling = Scaling(D(20), D(600), D(50))
    assert scaling.factor.quantize(D("0.0001")) == D("28.8539")
    assert scaling.offset.quantize(D("0.0001")) == D("487.1229")
    assert scaling.score_for_odds(D(50)).quantize(D("0.0001")) == D(600)
    assert scaling.score_for_odds(D(100)).quantize(D("0.0001")) == D(620)
    assert scaling.score_for_odds(D(25)).quantize(D("0.0001")) == D(580)
    assert scaling.odds_for_score(640).quantize(D("0.0001")) == D(200)
    assert scaling.points(D("0.5")) == 14
    assert scaling.base_points(D("3.912023005428146")) == 600


def test_a_scaled_scorecard_derives_its_points_from_log_odds() -> None:
    definition = {
        "min_score": 300, "max_score": 900,
        "scaling": {"pdo": "20", "base_score": "600", "base_odds": "50", "intercept": "3.5"},
        "bands": [{"band": "A", "min_score": 620}, {"band": "B", "min_score": 300}],
        "characteristics": [{
            "fact": "age", "label": "Age", "kind": "numeric", "reason": "Age",
            "missing_log_odds": "-0.2",
            "bins": [{"label": "young", "upper": "30", "log_odds": "-0.3466"},
                     {"label": "older", "lower": "30", "log_odds": "0.6931", "points": 999}]}],
    }
    spec = ScorecardSpec.from_dict(definition)
    # base = 487.1229 + 28.8539 × 3.5 = 588.11 → 588; bins 28.8539 × −0.3466 = −10.0,
    # 28.8539 × 0.6931 = 20.0 (the 999 given is replaced); missing −5.77 → −6.
    assert spec.base_score == 588
    assert [b.points for b in spec.characteristics[0].bins] == [-10, 20]
    assert spec.characteristics[0].missing_points == -6
    card = CompiledScorecard(spec)
    assert (card.total({"age": D(45)}), card.score({"age": D(45)}).band) == (608, "B")
    assert card.total({"age": None}) == 582
    assert ScorecardSpec.from_dict(spec.as_dict()) == spec


def test_a_scaled_scorecard_needs_every_log_odds() -> None:
    definition = {"min_score": 300, "max_score": 900,
                  "scaling": {"pdo": "20", "base_score": "600", "base_odds": "50"},
                  "bands": [{"band": "A", "min_score": 300}],
                  "characteristics": [{"fact": "age", "label": "Age", "kind": "numeric",
                                       "reason": "Age", "bins": [{"label": "all"}]}]}
    with pytest.raises(ValidationError, match="needs the model's intercept"):
        ScorecardSpec.from_dict(definition)
    definition["scaling"]["intercept"] = "1"  # type: ignore[index]
    with pytest.raises(ValidationError, match="bin 'all' needs its log-odds contribution"):
        ScorecardSpec.from_dict(definition)
    definition["scaling"]["pdo"] = "0"  # type: ignore[index]
    with pytest.raises(ValidationError, match="points to double the odds must be more than zero"):
        ScorecardSpec.from_dict(definition)


def test_csv_round_trip() -> None:
    spec = ScorecardSpec.from_dict(DEMO_SCORECARD)
    text = export_csv(spec)
    assert text.splitlines()[0] == ("record,fact,label,kind,reason,lower,upper,values,points,"
                                    "log_odds,value")
    assert "bin,employment_status,Self-employed or retired,,,,,self_employed|retired,15,," in text
    assert import_csv(text) == spec


@pytest.mark.parametrize(("edit", "message"), [
    (lambda t: t.replace("bin,age,25–34,,,25,35,,20", "bin,age,25–34,,,25,35,,twenty"),
     "line 12: points 'twenty' is not a number"),
    (lambda t: t.replace("characteristic,age,", "characteristic,agee,"),
     "line 11: bin for 'age' comes before (or without) its characteristic row"),
    (lambda t: t.replace("setting,max_score", "setting,top_score"),
     "line 4: unknown setting 'top_score'"),
    (lambda t: t.replace("band,,A", "rung,,A"), "line 5: unknown record type 'rung'"),
    (lambda t: t.replace("record,fact,label,kind", "record,fact,name,kind"),
     "The CSV header lacks: label."),
    (lambda t: t.replace("bin,age,25–34,,,25,35", "bin,age,25–34,,,26,35"),
     "The CSV does not make a valid scorecard: Characteristic age, bin '25–34' starts at 26"),
    (lambda t: "", "The CSV file is empty."),
])
def test_csv_import_reports_bad_lines(edit: Any, message: str) -> None:
    text = export_csv(ScorecardSpec.from_dict(DEMO_SCORECARD))
    with pytest.raises(ValidationError) as caught:
        import_csv(edit(text))
    assert message in caught.value.message


def test_csv_import_lists_every_bad_line() -> None:
    text = export_csv(ScorecardSpec.from_dict(DEMO_SCORECARD))
    broken = text.replace(",20,,\n", ",x,,\n").replace(",35,,\n", ",y,,\n")
    with pytest.raises(ValidationError) as caught:
        import_csv(broken)
    assert caught.value.message.count("is not a number") >= 4
