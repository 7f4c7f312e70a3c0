"""Which product a message names, and how the borrower means to pay.

Product codes are those of the catalogue (`core/products/catalogue.py`): a car is AUTO, a
fridge on hire purchase is HP_STANDARD, the same fridge "interest free" is HP_PROMO. The first
rule that matches wins, so the specific ones come first.
"""

from __future__ import annotations

import re

PRODUCT_CODES = ("PERSONAL", "SALARY_ADVANCE", "AUTO", "DEBT_CONSOLIDATION", "MICRO_BUSINESS",
                 "HP_STANDARD", "HP_PROMO")

_GOODS = (
    r"fridge|refrigerator|freezer|stove|oven|microwave|washer|washing machine|dryer|"
    r"appliances?|furniture|sofa|couch|living room set|dining (?:room )?set|bed|mattress|"
    r"wardrobe|tv|television|laptop|computer|electronics|a/c unit|air ?condition(?:er|ing)?|"
    r"sound system|generator|cupboard|chest of drawers|bedroom set"
)
_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("HP_PROMO", re.compile(
        r"\b(?:interest[ \-]?free|zero (?:percent |% )?interest|0 ?(?:%|percent) interest)\b|"
        rf"\b(?:no interest|without interest|promo|promotion|promotional|special offer)\b"
        rf".{{0,40}}\b(?:hire purchase|hp|{_GOODS})\b|\b(?:hire purchase|hp|{_GOODS})\b"
        r".{0,40}\b(?:no interest|without interest|promo|promotion|promotional|special offer)\b")),
    ("HP_STANDARD", re.compile(
        rf"\b(?:hire[ \-]?purchase|hp|on terms|buy on credit|{_GOODS})\b")),
    ("SALARY_ADVANCE", re.compile(
        r"\b(?:salary advance|advance on (?:my )?(?:salary|pay|wages)|pay ?day loan|"
        r"(?:cash|pay|wage) advance|advance till (?:pay ?day|month end))\b")),
    ("DEBT_CONSOLIDATION", re.compile(
        r"\b(?:debt consolidation|consolidat\w*|combine (?:all )?(?:my )?(?:debts?|loans|bills|"
        r"cards)|pay off (?:my |all my )?(?:credit )?cards?|pay off (?:my |all my )?(?:other )?"
        r"(?:debts|loans)|clear (?:my |all my )?(?:debts|cards))\b")),
    ("MICRO_BUSINESS", re.compile(
        r"\b(?:business(?! hours| days?)|micro[ \-]?loan|micro|small business|working capital|"
        r"my (?:shop|parlour|parlor|stall|doubles stand|food truck|salon|barber ?shop|bar|"
        r"restaurant)|"
        r"stock for|inventory|vendor|trader)\b")),
    ("AUTO", re.compile(
        r"\b(?:car|cars|auto|automobile|vehicle|van|truck|pickup|suv|motor ?(?:bike|cycle)|"
        r"maxi(?: taxi)?|taxi|jeep)\b")),
    ("PERSONAL", re.compile(
        r"\bpersonal (?:loan|use|reasons?|expenses?|purposes?)\b|\b(?:school fees|wedding|"
        r"vacation|home repairs?|renovations?)\b|^(?:a |the )?personal(?: one)?[.! ]*$")),
)

_LINK = re.compile(
    r"\b(?:link|pay online|online payment|pay (?:with|by|using) (?:a |my )?(?:credit |debit )?"
    r"card|card payment|wipay|pay now online|(?:credit |debit )?card|online)\b"
)
_RECORDED = re.compile(
    r"\b(?:i|we) (?:already |just |have |had )*(?:paid|made (?:a|the|my) payment|deposited|"
    r"transferred|sent (?:the |a |my )?(?:money|payment|transfer))\b|\b(?:paid|deposited) "
    r"(?:at|in|by|through) (?:the )?(?:branch|bank|office|teller|linx|online banking)\b|"
    r"\balready paid\b"
)


def find_product(text: str) -> str | None:
    """The product code a normalised message names, or None."""
    for code, pattern in _RULES:
        if pattern.search(text):
            return code
    return None


def find_method(text: str) -> str | None:
    """'link' when the borrower wants to pay through a link, 'recorded' when they have paid."""
    if _RECORDED.search(text):
        return "recorded"
    if _LINK.search(text):
        return "link"
    return None
