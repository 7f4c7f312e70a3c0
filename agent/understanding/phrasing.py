"""Normalise a borrower's message before anything tries to understand it.

Trinidad and Tobago English and creole spellings ("wha de balance is", "ah go pay Friday",
"lemme talk to somebody") become standard forms ("what the balance is", "i will pay
friday", "let me talk to somebody"); contractions are expanded so that every negation reads
"<verb> not"; common misspellings are fixed; emoji are dropped (a thumbs-up is read as "ok").
The result is lowercase with single spaces. Digits and the punctuation that money, dates and
e-mail addresses need are kept.
"""

from __future__ import annotations

import re
import unicodedata

_DROPPED_CATEGORIES = frozenset({"So", "Sk", "Cs", "Co", "Cn", "Cf", "Me", "Mn"})
_SPACE_CATEGORIES = frozenset({"Cc", "Zs", "Zl", "Zp"})
_EMOJI_WORDS = {"\N{THUMBS UP SIGN}": " ok ", "\N{OK HAND SIGN}": " ok ",
                "\N{THUMBS DOWN SIGN}": " no "}
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u02bc": "'", "`": "'",
                         "\u201c": '"', "\u201d": '"'})

# One word for one word (or words). Creole first, then shorthand, then misspellings.
_WORDS: dict[str, str] = {
    "wha": "what", "wah": "what", "wat": "what", "wht": "what", "waht": "what", "whut": "what",
    "de": "the", "da": "the", "di": "the", "dem": "them", "dey": "they", "dis": "this",
    "dat": "that", "ting": "thing", "tings": "things", "wid": "with", "fuh": "for",
    "tuh": "to", "meh": "my", "mih": "my", "yuh": "you", "allyuh": "you", "ya'll": "you",
    "yall": "you", "doh": "do not", "dont": "do not", "cyah": "can not", "cah": "can not",
    "kyah": "can not", "cant": "can not", "cannot": "can not", "wont": "will not",
    "didnt": "did not", "doesnt": "does not", "isnt": "is not", "aint": "is not",
    "havent": "have not", "hasnt": "has not", "wasnt": "was not", "couldnt": "could not",
    "shouldnt": "should not", "wouldnt": "would not", "arent": "are not", "im": "i am",
    "ive": "i have", "whats": "what is", "wats": "what is", "hows": "how is",
    "wheres": "where is", "whens": "when is", "thats": "that is", "lemme": "let me",
    "gimme": "give me", "gih": "give", "wanna": "want to", "gonna": "going to",
    "gotta": "got to", "nah": "no", "nuh": "no", "naw": "no", "nope": "no",
    "u": "you", "ur": "your", "r": "are", "n": "and", "wen": "when", "hw": "how",
    "whey": "where", "wey": "where", "bout": "about", "wuk": "work", "nutten": "nothing",
    "nuttin": "nothing", "smaddy": "somebody", "sombody": "somebody", "somebady": "somebody",
    "pls": "please", "plz": "please", "pleas": "please", "plese": "please", "thx": "thanks",
    "thnx": "thanks", "tnx": "thanks", "thanx": "thanks", "tks": "thanks", "ty": "thank you",
    "tmrw": "tomorrow", "tmr": "tomorrow", "tomorow": "tomorrow", "tommorow": "tomorrow",
    "tommorrow": "tomorrow", "2moro": "tomorrow", "2morrow": "tomorrow", "2day": "today",
    "tday": "today", "acct": "account", "amt": "amount", "pymt": "payment", "pmt": "payment",
    "info": "information", "mths": "months", "mth": "month", "mnths": "months",
    "mnth": "month", "monts": "months", "yrs": "years", "yr": "year", "wks": "weeks",
    "wk": "week", "bal": "balance", "balnce": "balance", "balace": "balance",
    "ballance": "balance", "blance": "balance", "balanse": "balance", "paymnt": "payment",
    "payemnt": "payment", "paymet": "payment", "pament": "payment", "payement": "payment",
    "lone": "loan", "laon": "loan", "lon": "loan", "loand": "loan", "aplly": "apply",
    "aply": "apply", "appy": "apply", "applie": "apply", "aplication": "application",
    "applicaton": "application", "appication": "application", "shedule": "schedule",
    "schedual": "schedule", "scedule": "schedule", "schedul": "schedule",
    "recieve": "receive", "recieved": "received", "emial": "email", "emal": "email",
    "e-mail": "email", "numbr": "number", "nuber": "number", "sallary": "salary",
    "salery": "salary", "intrest": "interest", "intrst": "interest", "interst": "interest",
    "documnets": "documents", "docs": "documents", "agnet": "agent", "persn": "person",
    "oui": "", "ent": "", "steups": "",
}
_CONTRACTIONS = (
    (re.compile(r"\bcan't\b"), "can not"), (re.compile(r"\bwon't\b"), "will not"),
    (re.compile(r"\bain't\b"), "is not"), (re.compile(r"n't\b"), " not"),
    (re.compile(r"'ll\b"), " will"), (re.compile(r"'re\b"), " are"),
    (re.compile(r"\bi'm\b"), "i am"), (re.compile(r"'ve\b"), " have"),
    (re.compile(r"\b(what|where|when|how|that|it|who|there|here)'s\b"), r"\1 is"),
)
# "ah" is "I" before a verb and "a" elsewhere ("ah go pay" / "ah loan").
_AH_FIRST = re.compile(r"(^|[.,!?] ?)ah\b")
_AH_BEFORE_VERB = re.compile(
    r"\bah (?=(?:go|goin|going|want|wan|need|do|did|does|have|get|got|could|can|will|would|"
    r"paid|pay|owe|not|am|was|just|already|lost|make|earn|work)\b)"
)
_AH = re.compile(r"\bah\b")
# "I eh have" is "I have not"; any other "eh" is a tag that carries nothing, unless it is
# the whole message ("eh?", asking to hear it again).
_EH_AFTER_SUBJECT = re.compile(r"\b(i|you|he|she|we|they|it|them) eh\b")
_EH = re.compile(r"\beh\b")
_I_GO = re.compile(
    r"\b(i|we) (?:go|goin|goin to|going to|gonna) (?=(?:pay|send|bring|drop|make|settle|clear|"
    r"give|put|come|call|deposit|transfer|have|do|try)\b)"
)
_WORD = re.compile(r"[a-z0-9][a-z0-9'\-]*")
_SPACES = re.compile(r"\s+")
_REPEATS = re.compile(r"([!?.,])\1+")


def _strip_symbols(text: str) -> str:
    out: list[str] = []
    for char in text:
        if char in _EMOJI_WORDS:
            out.append(_EMOJI_WORDS[char])
            continue
        category = unicodedata.category(char)
        if category in _SPACE_CATEGORIES:
            out.append(" ")
        elif category not in _DROPPED_CATEGORIES:
            out.append(char)
    return "".join(out)


def _replace_word(match: re.Match[str]) -> str:
    word = match.group(0)
    return _WORDS.get(word, word)


def normalise(text: str) -> str:
    """The message lowercased, de-creoled, with contractions expanded and emoji removed."""
    text = _strip_symbols(unicodedata.normalize("NFKC", text)).translate(_QUOTES).lower()
    text = _SPACES.sub(" ", _REPEATS.sub(r"\1", text)).strip()
    for pattern, replacement in _CONTRACTIONS:
        text = pattern.sub(replacement, text)
    text = _WORD.sub(_replace_word, text)
    text = _AH.sub("a", _AH_BEFORE_VERB.sub("i ", _AH_FIRST.sub(r"\1i", text)))
    text = _EH_AFTER_SUBJECT.sub(r"\1 not", text)
    if text.strip(" ?!.") != "eh":
        text = _EH.sub("", text)
    text = _I_GO.sub(r"\1 will ", text)
    return _SPACES.sub(" ", text).strip()


_PLEASANTRY = re.compile(
    r"^(?:(?:hi|hello|hey|hiya|morning|afternoon|evening|greetings|good (?:morning|afternoon|"
    r"evening|day|night)|thanks|thank you|ok|okay|so|please|yes|well|um+|uh+)(?: (?:there|"
    r"again|boss|miss|sir|madam|man|friend|so much))?[ ,.!]+)+"
)


def strip_pleasantries(text: str) -> str:
    """A normalised message without the greeting or thanks it opens with, if more follows."""
    rest = _PLEASANTRY.sub("", text + " ", count=1).strip()
    return rest if len(rest.split()) >= 2 else text


_FILLER = re.compile(
    r"\b(?:please|pls|thanks|thank you|man|boss|miss|sir|madam|oui|then|just|so|well)\b|"
    r"[^\w\s']"
)
_AFFIRM = frozenset({
    "yes", "yeah", "yeh", "yep", "yup", "ya", "yah", "yea", "yess", "yes yes", "y", "ok",
    "okay", "k", "kk", "okey", "okie", "alright", "all right", "sure", "correct",
    "that is correct", "right",
    "that is right", "that right", "that is it", "exactly", "go ahead", "do it", "proceed",
    "confirm", "confirmed", "i confirm", "absolutely", "definitely", "of course", "fine",
    "that is fine", "sounds good", "perfect", "great", "good", "for sure", "certainly",
    "please do", "affirmative", "i agree", "agreed", "accept", "i accept", "that works",
    "yes go ahead", "ok go ahead", "yes correct", "yes that is right", "yes please do",
    "ok sure", "ok fine", "yes sure", "sure thing", "why not", "let us do it", "go for it",
    "all good", "yes it is", "it is", "true", "deal", "yes do it", "ok do it", "yes ok",
})
_DENY = frozenset({
    "no", "nope", "no no", "not now", "not yet", "do not", "do not do it", "do not do that",
    "no do not", "not really", "never", "no way", "not interested", "i am not interested",
    "i do not want", "i do not want it", "i do not want that", "that is wrong", "wrong",
    "incorrect", "that is incorrect", "not right", "that is not right", "that is not correct",
    "not correct", "negative", "decline", "i decline", "no it is not", "it is not",
    "no that is wrong", "no that is not right", "no not now", "nah not now", "not today",
    "no way jose", "no sir", "no no no", "not at all", "no i do not", "hold off",
})
_LEAD = re.compile(
    r"^(yes|yeah|yep|yup|ya|yea|ok|okay|sure|correct|no|nope|not really|not quite)\b[ ,.!:-]*"
)


def polarity(text: str) -> bool | None:
    """True for a bare yes ("yea man", "dat right"), False for a bare no, else None."""
    core = _SPACES.sub(" ", _FILLER.sub(" ", text)).strip()
    if core in _AFFIRM:
        return True
    if core in _DENY:
        return False
    return None


def leading_polarity(text: str) -> tuple[bool | None, str]:
    """A yes or no that opens a longer message, and the rest ("no, make it 12 months")."""
    match = _LEAD.match(text)
    if match is None:
        return None, text
    word = match.group(1)
    said = word not in {"no", "nope", "not really", "not quite"}
    return said, text[match.end():].strip()
