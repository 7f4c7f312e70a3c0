"""Borrowers' words and the lender's words: query expansion for knowledge search.

Borrowers ask about their "car loan", "the fridge", "the contract" or how to "pay off" what
they "owe"; the documents say Auto Loan, hire purchase, agreement, settle and balance.
`expand(query)` returns the question with Trinidad and Tobago creole forms and common
misspellings written out in standard English (`SPELLINGS`: these replace the word, so
"allyuh" does not count as a word the knowledge base has never seen), and the lender's words
for the borrower's phrases it holds (`SYNONYMS`). Search adds those words to both lists at
a lower weight than the question's own words, so they bring in passages that use the
lender's vocabulary without outranking a passage that uses the borrower's.

This is general lending vocabulary, written as a lender's staff would explain their terms;
add to it from what borrowers actually write, never from one evaluation question. A trigger
is a borrower's word the documents do not use: expanding "late" or "payment", which they use
everywhere, only pulls the ranking away from the passage that uses the word itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SPELLINGS: dict[str, str] = {
    "allyuh": "you", "all yuh": "you", "yuh": "you", "yu": "you", "u": "you",
    "meh": "my", "mih": "my", "ah": "I",
    "doh": "do not", "dont": "do not", "cyah": "cannot", "cah": "cannot", "cant": "cannot",
    "didnt": "did not", "didn't": "did not", "don't": "do not", "can't": "cannot",
    "haven't": "have not", "ent": "is not", "eh": "", "nah": "no",
    "wha": "what", "wat": "what", "wah": "what", "whey": "where", "wey": "where",
    "dat": "that", "dis": "this", "dem": "them", "dey": "they", "fuh": "for", "wid": "with",
    "go get": "get", "gimme": "give me", "gih": "give", "bout": "about", "lil": "little",
    "pls": "please", "plz": "please", "tief": "steal", "tiefing": "stealing",
    "lone": "loan", "lones": "loans", "intrest": "interest", "interes": "interest",
    "installment": "instalment", "installments": "instalments", "recieve": "receive",
    "recieved": "received", "morgage": "mortgage", "aplication": "application",
}

SYNONYMS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("car", "cars", "vehicle", "vehicles", "van", "pickup", "truck", "motor car"), "auto"),
    (("fridge", "refrigerator", "freezer", "stove", "washer", "washing machine", "dryer",
      "appliance", "microwave", "ac unit", "air condition", "blender"),
     "hire purchase goods appliances store"),
    (("laptop", "computer", "tv", "television", "tablet", "cellphone", "smartphone",
      "speaker", "playstation", "gaming"), "hire purchase goods electronics store"),
    (("furniture", "sofa", "couch", "bed", "mattress", "dining set", "wardrobe", "cupboard"),
     "hire purchase goods furniture store"),
    (("tools", "cement", "paint", "building materials", "lumber", "generator"),
     "hire purchase goods hardware store"),
    (("contract", "contracts", "paperwork", "loan papers", "fine print"), "agreement terms"),
    (("pay off", "paying off", "paid off", "payoff", "pay it off", "clear the loan",
      "clear off", "finish paying", "finish off", "close the loan", "close out", "close off",
      "pay everything", "pay it all"),
     "settle settlement early"),
    (("payoff amount", "payoff figure", "pay off amount", "amount to pay off",
      "how much to pay off", "how much to clear"), "settle settlement figure"),
    (("calculated", "calculate", "calculation", "work out", "figure out", "how is it done"),
     "worked out"),
    (("how many days", "days after", "days late", "days before", "leeway"), "grace period"),
    (("add into", "add to the loan", "roll into", "roll over", "put into the loan",
      "include in the loan"), "folded restructure"),
    (("for less", "less than i owe", "discount", "reduced amount", "write off", "written off",
      "part of what i owe"), "settlement offer"),
    (("owe", "owing", "outstanding", "left to pay", "still have to pay", "how much left"),
     "balance"),
    (("reach", "call", "phone you", "talk", "speak", "get in touch", "ring", "message you",
      "whatsapp you"), "contact channels"),
    (("behind", "fall behind", "do not pay", "did not pay", "cannot pay", "not pay",
      "stop paying", "stopped paying", "default", "defaulted"), "late missed payments arrears"),
    (("arrears", "back payments"), "overdue late"),
    (("lost my job", "lose my job", "job loss", "laid off", "retrenched", "fired",
      "sick", "sickness", "illness", "hospital", "struggling", "cannot afford", "hard time",
      "hard times", "broke", "tight"),
     "hardship struggling support"),
    (("job", "jobs", "employer", "boss", "new job"), "employment employed"),
    (("salary", "wage", "wages", "paycheque", "paycheck", "pay cheque", "earn", "earnings",
      "make a month"), "income"),
    (("how long", "longest", "shortest", "how many months", "how many years", "how many weeks",
      "time to pay"), "term"),
    (("most", "maximum", "max", "biggest", "largest", "highest", "minimum", "min",
      "smallest", "least", "lowest", "how much can i borrow"),
     "minimum maximum most least amount"),
    (("age", "how old", "too old", "too young", "pension age"), "years old"),
    (("agree", "permission", "allow you", "authorise", "authorize"), "consent"),
    (("going on", "happening", "progress", "hear back", "hear from", "any news"), "status"),
    (("referred", "refer", "under review", "manual review"), "referral credit officer"),
    (("back out", "cancel", "change my mind", "pull out", "undo"), "withdraw"),
    (("only get", "only got", "less than i borrowed", "get in hand", "in my hand",
      "deducted", "taken out", "take out"), "receive paid out"),
    (("pick up", "delivery", "deliver", "take home"), "collecting goods"),
    (("half", "part of", "partial", "some of", "short this month"), "less than due"),
    (("credit bureau", "bureau", "credit report", "credit score", "credit agency"),
     "credit bureau share information history"),
    (("secure", "hacked", "hack", "leak", "data"), "protect information"),
    (("promotions", "promo", "promos", "ads", "advertising", "spam",
      "signed up", "sign up", "subscribe", "unsubscribe", "stop texting", "stop sending"),
     "marketing consent"),
    (("collector", "collectors", "debt collector", "rude", "harass", "harassing", "harassment",
      "threaten", "threatened", "bully", "shout", "cursed", "disrespect"),
     "collections team behaves"),
    (("scam", "scammer", "scammed", "fraud", "tricked", "fake", "gave my code",
      "someone called", "stole", "steal", "stealing"), "scam fraud"),
    (("otp", "pin", "verification code"), "one-time code"),
    (("penalty", "penalties", "charge", "charges", "extra cost"), "fee"),
    (("another loan", "second loan", "two loans", "more than one loan", "still paying",
      "borrow again", "top up", "top-up"), "borrow again more than once"),
    (("id", "id card", "national id", "driver's permit", "licence", "license"),
     "identity document"),
    (("complain", "unhappy", "not happy", "dissatisfied", "bad service"), "complaint"),
    (("mistake", "wrong", "error", "overcharged", "charged twice", "double charged",
      "not showing"), "dispute error"),
    (("more time", "extension", "extend", "lower my payment", "reduce my payment",
      "smaller payment", "lower instalment", "smaller instalment", "change my loan"),
     "restructure"),
    (("self employed", "own business", "my business", "small business", "vendor", "shop",
      "hustle"), "self-employed micro-loan business"),
    (("opening hours", "what time", "open", "closed", "weekend", "sunday", "saturday",
      "public holiday"), "opening hours"),
    (("branch", "branches", "office", "location", "where are you", "visit you"),
     "service centres"),
    (("payslip", "pay slip", "proof of income", "job letter", "bank statement", "papers"),
     "documents"),
    (("mean", "meaning", "means", "define", "definition", "stand for"), "glossary"),
    (("cash", "funds", "get paid"), "money paid out"),
    (("pay back", "pay it back"), "repay repayments"),
)

# Longest phrases first, so "pay it off" is tried before "pay".
_SPELLING = re.compile(
    r"(?<![\w'])(" + "|".join(map(re.escape, sorted(SPELLINGS, key=len, reverse=True)))
    + r")(?![\w'])", re.IGNORECASE,
)
_PHRASES = sorted(
    ((phrase, index) for index, (phrases, _) in enumerate(SYNONYMS) for phrase in phrases),
    key=lambda pair: -len(pair[0]),
)
_SYNONYM = re.compile(
    r"(?<![\w'])(" + "|".join(re.escape(phrase) for phrase, _ in _PHRASES) + r")(?![\w'])",
    re.IGNORECASE,
)
_GROUP = {phrase: index for phrase, index in _PHRASES}


@dataclass(frozen=True)
class Expansion:
    """`query`: the question in standard spelling; `extra`: the lender's words for it, to
    weigh below the question's own ("" when none apply)."""

    query: str
    extra: str


def expand(query: str) -> Expansion:
    """The question with creole forms and misspellings written out, and the document words
    for the borrower's phrases in it (each group once, none the question already holds)."""
    standard = " ".join(_SPELLING.sub(lambda m: SPELLINGS[m.group(1).lower()], query).split())
    groups = dict.fromkeys(_GROUP[m.group(1).lower()] for m in _SYNONYM.finditer(standard))
    own = set(standard.lower().split())
    words = dict.fromkeys(
        word for group in groups for word in SYNONYMS[group][1].split() if word not in own
    )
    return Expansion(standard, " ".join(words))
