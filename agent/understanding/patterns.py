"""High-precision patterns: phrasings that mean one intent whatever else the message says.

They run on normalised text before the similarity classifier and win outright, in the order
of `RULES`: abuse first (it changes how the agent must answer), then opt-out (a legal
obligation), then the escalations (dispute, complaint, hardship, a person), then repair
(start over, cancel, repeat) and the identity, contact and promise requests.
"""

from __future__ import annotations

import re

from agent.understanding.model import Intent

_ABUSE = re.compile(
    r"\b(?:f+u+c+k+\w*|f\*+c?k\w*|fck(?:ing|in|er)?|fuk(?:ing|in|er)?|fkn|sh[i\*]t+(?:ty)?|"
    r"bull ?shit|bitch\w*|"
    r"bastard\w*|ass ?hole\w*|arse ?hole|cunt\w*|dick ?head|motherfuck\w*|dumb ?ass|jackass|"
    r"idiot\w*|moron\w*|retard\w*|stupidee|chupid\w*|screw you|go to hell|piss off|shut up|"
    r"kiss my ass|your mudda|you mudda|your modda|you modda)\b|"
    r"\b(?:you|you are|you're|this bot is|this thing is|this is)(?: an?| so| such an?| very)? "
    r"(?:stupid|useless|dumb|worthless|pathetic|rubbish|trash|garbage)\b|^stupid[!. ]*$"
)
_OPT_OUT = re.compile(
    r"^(?:stop|stop all|stopall|unsubscribe|opt out|optout|end|quit)[!. ]*$|\bunsubscribe\b|"
    r"\bopt ?-?out\b|\bstop (?:sending|texting|messaging|calling|contacting|emailing|spamming|"
    r"bothering|harassing)\b|\b(?:do not|never) (?:send|text|message|call|contact|email|whatsapp)"
    r" me\b|\bno more (?:messages|texts|promotions|promos|marketing|calls|ads|advertisements)\b|"
    r"\b(?:remove|take) me (?:off|from) (?:your|the|this)\b|\b(?:do not|no longer) (?:want|need) "
    r"(?:any |your |these |those |the |no )?(?:more )?(?:promotions?|promos?|promo messages|"
    r"marketing|adverts?|advertisements|ads|offers)\b"
)
_DISPUTE = re.compile(
    r"\bi (?:never|did not|never did) (?:take|took|apply|applied|borrow|borrowed|sign|signed)"
    r"\b|\bi (?:never|did not) (?:get|got|receive|received) (?:this|that|the|a|any)? ?(?:loan|"
    r"money)\b|\bnot my (?:loan|account|debt)\b|"
    r"\b(?:this|that|the|these|those|my) (?:charge|charges|fee|fees|amount|balance|payment|"
    r"deduction|interest|penalty|late fee|statement|figure) (?:is|are|was|were|looks?|seems?) "
    r"(?:wrong|incorrect|not right|not correct|a mistake|an error|too high|off)\b|"
    r"\bwrong (?:charge|fee|amount|balance|deduction)\b|\bcharged? (?:me )?(?:twice|double)\b|"
    r"\b(?:charge|charges|fee|fees|amount|balance|deduction|interest|penalty|statement) (?:that )?"
    r"(?:you|they|the company) (?:charge|charged|put|added|took|deducted)\b[^.?!]{0,30}\b(?:is|are|"
    r"was|were) (?:wrong|incorrect|not right|not correct|a mistake|an error)\b|"
    r"\bdouble charged\b|\bdispute\b|\bi do not owe\b|\bidentity theft\b|\bfraud\w*\b|"
    r"\bsomeone (?:took|used|applied)\b.{0,30}\bmy name\b"
)
_COMPLAINT = re.compile(
    r"\bcomplain\w*\b|\bombudsman\b|\bconsumer affairs\b|\bcentral bank\b|"
    r"\b(?:bad|terrible|horrible|awful|poor|worst|disgusting|lousy) (?:service|company|"
    r"treatment|experience|customer service)\b|\bnot happy with (?:the|your|this) (?:service|"
    r"company)\b|\bdisgusted\b|\bfed up\b|\bsick (?:and tired )?of\b|\breport (?:you|this|your)\b"
)
_HARDSHIP = re.compile(
    r"\b(?:lost|lose|losing) (?:my|the|me|a) (?:job|work|income)\b|\b(?:laid off|retrenched|"
    r"retrenchment|unemployed|out of work|hardship|hard times|medical emergency|medical bills|"
    r"in (?:the )?hospital|hospitali[sz]ed|surgery|cancer|passed away|funeral|flooded|"
    r"flood(?:ing)?|fire burn|house burn\w*|job loss)\b|\b(?:can not|could not|unable to) "
    r"afford\b|\bsick\b(?! of| and tired)|\bdied\b|\bdeath in (?:the|my) family\b|"
    r"\b(?:got|been|was|were) fired\b|\bno (?:job|work|income)\b|\b(?:business|shop) "
    r"(?:closed|shut down|failed)\b"
)
_HUMAN = re.compile(
    r"\b(?:talk|speak|chat|connect|transfer|put|pass|send) (?:me )?(?:to|with|through to|"
    r"over to) (?:a |an |the |some |one of |your )?(?:real |live |actual |human )?(?:person|"
    r"human|agent|somebody|someone|representative|rep|officer|manager|supervisor|staff|"
    r"operator|people|customer service|customer care|loan officer|body|man|woman)\b|"
    r"^(?:an? )?(?:agent|human|operator|representative|real person|person|manager)(?: please)?"
    r"[!. ]*$|\b(?:real|live|actual) (?:person|human|agent)\b|\b(?:somebody|someone|"
    r"anybody|anyone) (?:call|phone|ring) me\b|\bcall me(?: back)?\b|\bnot (?:a |talking to "
    r"a )?(?:bot|robot|machine)\b|\bhuman being\b"
)
_START_OVER = re.compile(
    r"\bstart (?:over|again|afresh|from scratch|all over)\b|\brestart\b|\bbegin again\b|"
    r"\bfrom the (?:beginning|top|start)\b|^reset\b|\bstart a new (?:application|one)\b"
)
_CANCEL = re.compile(
    r"\bcancel\w*\b|\bforget (?:it|about it|that|this)\b|\bnever ?mind\b|\bnvm\b|"
    r"\bleave it\b|\bchanged my mind\b|\bdo not bother\b|\bno longer (?:want|need)\b|"
    r"\bi do not want (?:it|this|that|the loan|to continue|to go ahead)(?: anymore| again)?"
    r"[!. ]*$|\bstop (?:the|this|my) (?:application|process|payment|request)\b|"
    r"\bscrap (?:it|that|this)\b|\babort\b"
)
_REPEAT = re.compile(
    r"\brepeat (?:that|it|please|yourself|the question|what you said)\b|^repeat[!.? ]*$|"
    r"\bsay (?:that |it )?again\b|\bcome again\b|\bpardon(?: me)?\b|"
    r"\bwhat did you (?:just )?say\b|\bwhat you (?:just )?say\b|"
    r"\bi did not (?:catch|get|hear|understand) (?:that|you|what you said|the question)\b|"
    r"\bone more time\b|^(?:eh|huh|what|sorry|hm+|wha)\s*\?+$"
)
_RESEND = re.compile(
    r"\bre-?send\b|\bsend (?:it|the code|another(?: code)?|a new code|me (?:a|another|the) "
    r"(?:new )?code)(?: again)?\b.{0,10}\bagain\b|\bsend (?:me )?(?:another|a new) (?:code|otp|"
    r"pin)\b|\b(?:did not|never|have not|not) (?:get|got|receive|received|gotten|reach)(?: the| "
    r"a| any| my| your| that)? (?:code|otp|pin|text|sms|message)\b|\bcode (?:has )?(?:expired|"
    r"did not come|never came|not (?:working|coming|received))\b|\b(?:new|another) (?:code|otp)"
    r"\b"
)
_CONTACT = re.compile(
    r"\b(?:change|update|new|correct|edit|replace|switch|different)\b[^.?!]{0,25}?\b(?:email|"
    r"e-mail|phone|cell|mobile|whatsapp|address|contact (?:details|info|information|number)|"
    r"(?:phone|cell|mobile|contact|whatsapp|telephone) number|my number)\b|\bnew (?:phone |cell |"
    r"mobile )?number\b|\bmy number "
    r"(?:changed|is different)\b|\bmy (?:email|phone|number) (?:has )?changed\b"
)
_PREQUALIFY = re.compile(
    r"\bpre ?-?(?:approv\w*|qualif\w*)\b|\bprequalif\w*\b|\bhow much (?:money )?(?:can|could|"
    r"would|will) i (?:get|borrow|qualify for)\b|\bhow much (?:can|could|would|will) (?:you|"
    r"you all) (?:give|lend|offer) me\b|\bwhat (?:can|could) i (?:get|borrow|qualify for)\b|"
    r"\b(?:do|would|will) i qualify\b|\bam i (?:eligible|qualified)\b"
)
_PROMISE = re.compile(
    r"\b(?:i|we) (?:will|shall|can|could|would|should|am going to|are going to|going to|plan "
    r"to|intend to|promise to|will be able to|should be able to|will try to|am able to) "
    r"(?:definitely |surely |certainly |only )?(?:pay|send|make (?:the |a |my )?payment|settle|"
    r"clear|drop|bring|deposit|transfer|put)\b|\bi promise\b|\bpromise to pay\b"
)
_CORRECTION = re.compile(
    r"^(?:no|nope|sorry|oops|wait|no wait|correction|rather|well)?[ ,.!]*(?:actually|i meant|"
    r"i mean|make (?:it|that)|change (?:it|that)|not .{1,20}(?:,| but)|scratch that)\b|"
    r"\b(?:make (?:it|that)|change (?:it|that|the (?:amount|term|date|period|duration|months|"
    r"loan amount|product))(?: to)?|i meant|instead of|rather than|actually|should be|"
    r"i said)\b"
)
_INTERROGATIVE = re.compile(
    r"\?\s*$|^(?:what|whats|how|when|where|which|who|why|can|could|do|does|did|is|are|will|"
    r"would|should|may|am|is there|are there|tell me|explain)\b"
)
_TOPIC = re.compile(
    r"\b(?:documents?|papers|requirements?|required|need to bring|bring|proof|payslips?|"
    r"pay slips?|job letter|utility bill|hours|open|opening|close|closing|branch(?:es)?|"
    r"location|located|office|interest|rates?|apr|fees?|charges|penalt(?:y|ies)|cost|minimum|"
    r"maximum|max|min|limit|collateral|security|guarantor|co-?signer|insurance|approval|"
    r"how long|decision|credit (?:score|check|bureau|history)|polic(?:y|ies)|terms and "
    r"conditions|products?|offer|options|available|early|prepay|privacy|data|safe|"
    r"weekend|saturday|sunday|holiday|types? of loans?|kinds? of loans?|loans do you|deposit|"
    r"down payment|age|self employed|work permit|non nationals?|foreigners?|grace period|"
    r"reach|contact|get in touch)\b"
)
# Policy questions that mention one's own loan and are still about policy.
_POLICY = re.compile(
    r"^(?:can|could|may|am i allowed to|is it possible to) (?:i )?(?:pay|settle|clear|finish)"
    r"(?: off| back| out)? (?:my |the |this )?(?:loan|balance|it)?\b.{0,15}\b(?:early|"
    r"before (?:the )?(?:end|term|time))\b|\b(?:penalty|fee|charge) (?:for|to) "
    r"(?:pay|paying|settle|settling)\w* (?:off |it |my loan |the loan )?early\b"
)
# Plain requests the examples may score too close to the runner-up to be sure of.
_CAPABILITIES = re.compile(
    r"^(?:help|help me|help please|i need help|menu|main menu|what can you do|what do you do|"
    r"what (?:can|could) you (?:help|assist) (?:me )?with|how (?:can|could) you help(?: me)?|"
    r"what (?:services|things) (?:do|can) you (?:offer|do)|what can i do here|"
    r"what are you able to do)[!.? ]*$"
)
_REQUESTS: tuple[tuple[Intent, re.Pattern[str]], ...] = (
    (Intent.GREET, _CAPABILITIES),
    (Intent.PROMISE_TO_PAY, re.compile(
        r"\b(?:make|set up|arrange|do|give you|log) (?:a |another |one )?(?:promise to pay|"
        r"payment promise|promise)\b")),
    (Intent.BALANCE, re.compile(
        r"\b(?:check|see|know|get|send me|tell me|what is|show me) (?:my |the )?(?:loan |account |"
        r"current |outstanding )?balance\b|^(?:and |what about |how about )?(?:my |the |loan |"
        r"account |current )*balance(?: please)?[!.? ]*$")),
    (Intent.APPLY, re.compile(
        r"^(?:i (?:want|would like|wish|need|am trying|am looking) to |let me |please |"
        r"i will |i would like to )?apply (?:for|now)\b|\b(?:i (?:want|would like|wish|need) "
        r"to|let me) apply\b")),
)
_PERSONAL = re.compile(r"\b(?:my|mine|i owe|me)\b.{0,30}\b(?:balance|payments?|application|"
                       r"account|schedule|instal+ments?|arrears|due|owe)\b|\bmy loan\b")
_CODE_ONLY = re.compile(
    r"^(?:(?:my |the |here is the |here is my |it is |its )?(?:code|otp|pin|one time code|"
    r"verification code)(?: is)?[: ]*)?(?P<code>[0-9]{6})[.! ]*$|\b(?:code|otp|pin)(?: is)?"
    r"[: ]*(?P<code2>[0-9]{6})\b"
)

RULES: tuple[tuple[Intent, re.Pattern[str]], ...] = (
    (Intent.ABUSE, _ABUSE),
    (Intent.OPT_OUT, _OPT_OUT),
    (Intent.DISPUTE, _DISPUTE),
    (Intent.COMPLAINT, _COMPLAINT),
    (Intent.HARDSHIP, _HARDSHIP),
    (Intent.HUMAN, _HUMAN),
    (Intent.START_OVER, _START_OVER),
    (Intent.CANCEL, _CANCEL),
    (Intent.REPEAT, _REPEAT),
    (Intent.RESEND_CODE, _RESEND),
    (Intent.UPDATE_CONTACT, _CONTACT),
    (Intent.PREQUALIFY, _PREQUALIFY),
)


def rule_intent(text: str) -> Intent | None:
    """The intent a high-precision pattern gives a normalised message, or None."""
    for intent, pattern in RULES:
        if pattern.search(text):
            return intent
    return None


def code_in(text: str) -> str | None:
    """The six digits of a message that is a one-time code ("123456", "my code is 123456")."""
    match = _CODE_ONLY.search(text)
    return (match.group("code") or match.group("code2")) if match else None


def is_promise(text: str) -> bool:
    """A future payment ("i will pay", "i promise"), which with a time is a promise to pay."""
    return _PROMISE.search(text) is not None


def is_correction(text: str) -> bool:
    """Words that replace something said before ("actually", "make it", "i meant")."""
    return _CORRECTION.search(text) is not None


def is_question(text: str) -> bool:
    """Phrased as a question: a question mark, or an opening such as "what", "can i", "do you"."""
    return _INTERROGATIVE.search(text) is not None


def is_policy_question(text: str) -> bool:
    """A question about policy, products, fees, hours or documents, not about one's own loan.

    Paying off early is policy even when asked about one's own loan.
    """
    if not is_question(text):
        return False
    if _POLICY.search(text):
        return True
    return _TOPIC.search(text) is not None and _PERSONAL.search(text) is None


def request_intent(text: str) -> Intent | None:
    """The intent of a plain request ("balance please", "apply for a car loan"), or None."""
    for intent, pattern in _REQUESTS:
        if pattern.search(text):
            return intent
    return None
