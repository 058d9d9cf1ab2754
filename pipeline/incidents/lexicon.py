"""Word lists the incident extractor reads: kinds, charges, people, places, numbers.

Everything here is matched on *folded* text (``pipeline.extraction.jalali.fold_chars``:
lower case, Persian letter variants and digits folded, same length as the stored text), so
every match is a character span of the stored article. Patterns are regular expressions
written for this project; each names the incident field it feeds.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pipeline.extraction.jalali import fold_chars
from pipeline.incidents.gate import may_match

# Persian word boundary: not preceded/followed by a Persian or Latin letter.
_L = r"[\w\u064b-\u065f\u0670]"
B = rf"(?<!{_L})"  # start of word
E = rf"(?!{_L})"  # end of word
# Persian suffixes a verb or noun may carry inside the same written word.
SUF = r"(?:ها|های|هایی|ی|ای|ان|اند|ند|ه|ش|شان)?"
GAP = r"[^.!?؟\n]{0,60}?"  # a short stretch within one sentence
LONG_GAP = r"[^.!?؟\n]{0,120}?"  # room for a name and its description
CLAUSE_GAP = r"[^.!?؟\n]{0,180}?"  # a name, a relative clause about it, a date and a place


def rx(*alternatives: str) -> re.Pattern[str]:
    """One pattern over folded text: its Persian letters are folded the same way («هروئین»
    is matched as the text folds it), so a pattern may be written as readers spell it."""
    pattern = "|".join(f"(?:{a})" for a in alternatives)
    if re.search(r"\\[A-Z]", pattern):
        raise ValueError(f"upper-case escapes do not survive folding: {pattern[:60]}")
    compiled = re.compile(fold_chars(pattern))
    _PARTS[compiled] = tuple(re.compile(fold_chars(a)) for a in alternatives)
    return compiled


_PARTS: dict[re.Pattern[str], tuple[re.Pattern[str], ...]] = {}


def scan_span(pattern: re.Pattern[str], folded: str, lo: int, hi: int) -> Iterator[re.Match[str]]:
    """``pattern.finditer(folded, lo, hi)``, in order, skipped when ``folded[lo:hi]`` lacks
    the words the pattern needs."""
    if may_match(pattern, folded[lo:hi]):
        yield from pattern.finditer(folded, lo, hi)


def scan(pattern: re.Pattern[str], folded: str) -> Iterator[re.Match[str]]:
    """Every match of each alternative of an ``rx`` pattern (in no particular order), an
    alternative run only when the text has the words it needs (``gate.may_match``): most
    alternatives of a long list are skipped in a few substring tests."""
    for part in _PARTS.get(pattern, (pattern,)):
        if may_match(part, folded):
            yield from part.finditer(folded)


# --- kinds and stages ------------------------------------------------------------------
# (kind, stage, pattern). Order matters only for ties at the same offset.
KIND_PATTERNS: list[tuple[str, str, re.Pattern[str]]] = [
    # "has not yet been carried out", «هنوز اجرا نشده»: a sentence still pending, not an act
    # (of whichever sentence the article is about; upheld when the sentence says so).
    (
        "sentence_pending",
        "issued",
        rx(
            r"\b(?:has|have|had|was|were) not (?:yet )?(?:been )?(?:carried out|implemented|enforced)",
            r"\bnot yet (?:been )?(?:carried out|implemented|enforced)",
            rf"{B}(?:هنوز )?(?:به )?اجرا (?:نشده|نشد|نگردیده|درنیامده){E}",
        ),
    ),
    # death sentences: imminent first (they also mention "execution")
    (
        "death_sentence",
        "imminent",
        rx(
            r"\b(?:transferred|moved|taken) (?:[\w'’-]+ ){0,4}to solitary(?: confinement)?\b",
            r"\bexecution (?:is |was |has been )?(?:scheduled|set for)",
            r"\b(?:a |their |his |her )?(?:final|last) (?:family )?visit",
            rf"{B}(?:به )?(?:سلول )?انفرادی{GAP}منتقل",
            rf"{B}منتقل{GAP}(?:سلول )?انفرادی",
            rf"{B}(?:جهت|برای) اجرای حکم (?:اعدام|قصاص)",
            rf"{B}(?:جهت|برای) اجرای حکم{GAP}{B}منتقل",
            rf"{B}(?:به )?قرنطینه{GAP}{B}منتقل",
            rf"{B}منتقل{GAP}{B}قرنطینه",
            r"\b(?:transferred|moved|taken) (?:[\w'’-]+ ){0,4}to (?:the |a )?quarantine",
            r"\bin preparation for (?:his |her |their )?executions?\b",
            rf"{B}(?:آخرین ملاقات|ملاقات آخر)",
        ),
    ),
    # A warning that someone may be executed: a stage only when nothing more is said.
    (
        "death_sentence",
        "at_risk",
        rx(
            r"\b(?:at |in )?(?:imminent |grave |serious )?risk of (?:imminent )?execution",
            r"\bimminent execution",
            r"\bcould be executed",
            r"\bfaces? (?:imminent )?execution",
            rf"{B}(?:در )?خطر (?:قریب الوقوع )?(?:اجرای حکم|اعدام)",
            rf"{B}اجرای (?:قریب الوقوع )?حکم{GAP}{B}قریب الوقوع",
            rf"{B}اعدام{GAP}قریب الوقوع",
        ),
    ),
    (
        "death_sentence",
        "upheld",
        rx(
            r"\bupheld (?:the |his |her |their )?death sentences?",
            r"\bdeath sentences? (?:[\w'’-]+ ){0,12}(?:was |were |has been |have been |had been )?(?:upheld|confirmed)\b",
            r"\bconfirmed (?:the |his |her |their )?death sentences?",
            r"\b(?:upheld|confirmed) (?:[\w'’-]+ ){1,3}(?:[\w-]+['’]s? )death sentences?",
            r"\bdeath sentences? (?:of|for|against|passed on|handed to) [^.!?;\n]{0,140}? (?:was|were|has been|have been|had been) (?:upheld|confirmed)\b",
            rf"{B}(?:حکم|احکام) (?:اعدام|قصاص){LONG_GAP}{B}(?:تایید|تأیید|ابرام) (?:شد|کرد|شده|کرده)",
            rf"{B}(?:تایید|تأیید|ابرام){SUF} حکم اعدام",
        ),
    ),
    (
        "death_sentence",
        "issued",
        rx(
            r"\bsentenced (?:[\w'’-]+ ){0,8}to death",
            r"\bsentenced (?:[\w'’-]+ ){0,3}to (?:qisas|qesas)\b(?! of (?:the )?(?:eye|eyes|limb|hand|foot))",
            r"\bcondemned (?:[\w'’-]+ ){0,2}to death",
            r"\bcondemned [^.!?;\n]{3,140}? to death\b",
            # "sentenced X, a 24-year-old student detained in ..., to death": an apposition
            # closed by its comma before "to death"
            r"\bsentenced [^.!?;\n]{3,160}?, to death\b",
            r"\bdeath sentences? (?:[\w'’-]+ ){0,3}(?:was |were |has been |have been )?(?:issued|handed down|passed)",
            r"\bhanded (?:[\w'’-]+ ){0,2}(?:a )?death sentences?",
            r"\bissued (?:a |the )?death sentences?",
            r"\b(?:received|was given|were given|was handed|were handed) (?:a |the )?death sentences?",
            r"\bsentenced (?:[\w'’-]+ ){0,8}to (?:be hanged|be executed|hanging|execution)\b",
            rf"{B}به (?:اعدام|مرگ|قصاص نفس|قصاص){E}{GAP}{B}محکوم",
            rf"{B}محکوم{SUF} به (?:اعدام|قصاص)",
            rf"{B}حکم (?:اعدام|قصاص){GAP}{B}صادر",
            rf"{B}صدور حکم (?:اعدام|قصاص)",
        ),
    ),
    (
        "execution",
        "carried_out",
        rx(
            r"\b(?:was|were|been|had been|have been|has been) (?:[\w'’-]+ ){0,2}(?:executed|hanged|hung|put to death)\b",
            r"\bexecuted\b",
            r"\bhanged\b",
            r"\bexecution (?:[\w'’-]+ ){0,6}(?:was|were) carried out",
            r"\b(?:death|qisas|execution) sentences? (?:[\w'’-]+ ){0,16}(?:was|were|has been|have been) carried out",
            r"\b(?:death|qisas) sentences? (?:of|for|against|passed on|handed to) [^.!?;\n]{0,160}? (?:was|were|has been|have been|had been) (?:carried out|enforced|implemented)\b",
            r"\b(?:sent|went|led|taken|marched) to the gallows\b",
            r"\bexecution (?:on|last|this|early on|late on) (?:[\w'’-]+ ){1,2}of (?!the death penalty)",
            r"\bupheld (?:[\w'’-]+ ){0,4}and carried out",
            r"\bexecutions? of (?!the death penalty)",
            r"\bput to death\b",
            # "the prison carried out four more executions": the acts counted, told actively
            r"\bcarried out (?:\d+|[a-z]+)(?: more| other)? (?:executions|hangings)\b",
            rf"{B}اعدام{SUF} (?:شد|شدند|شده|گردید|گردیدند|کرد|کردند){E}",
            # not a wish, a fear or a denial («نگرانند که حکم اعدامش اجرا شود», «اجرا نشده»)
            rf"{B}حکم (?:اعدام|قصاص){LONG_GAP}{B}(?:اجرا|به اجرا){E}(?! (?:شود|شوند|نشود|نشوند|نشده|نشد|خواهد|گردد|نگردد|کنند|کند){E})",
            rf"{B}به دار (?:مجازات )?آویخت(?:ه|ن)",
            rf"{B}(?<!حکم )از اعدام{CLAUSE_GAP}{B}خبر (?:داد|دادند|داده)",
            rf"{B}حکم (?:اعدام|قصاص){LONG_GAP}{B}(?:اجرایی|به اجرا گذاشته) (?:شد|گردید){E}",
            rf"{B}اعدام (?!ها{E}|های{E}){GAP}{B}(?:انجام|اجرا) (?:شد|گردید){E}",  # «اعدام X که ... انجام شد»
            rf"{B}قصاص (?:شد|شدند|گردید|گردیدند){E}",
            r"\b(?:qisas|qesas|retribution) (?:\(retribution\) )?(?:sentence )?(?:[\w'’-]+ ){0,12}(?:was|were|has been|have been) carried out",
            rf"{B}(?<!پیش از )(?<!قبل از )اجرای حکم (?:اعدام|قصاص)",
        ),
    ),
    (
        "death_in_custody",
        "carried_out",
        rx(
            r"\bdied (?:[\w'’-]+ ){0,4}(?:in|while in|under) (?:police |state |their )?(?:custody|detention|prison|jail|torture|interrogation)",
            r"\bdeaths? (?:[\w'’-]+ ){0,2}in (?:police )?(?:custody|detention|prison)",
            r"\bdied (?:[\w'’-]+ ){0,5}after (?:his |her |their )?(?:arrest|detention)",
            r"\b(?:died|lost (?:his|her) life) (?:[\w'’-]+ ){0,4}(?:ward|cell|prison)",
            r"\bcustodial death",
            r"\bdied (?:[\w'’-]+ ){0,3}(?:of|from) (?:medical neglect|torture|a lack of medical care|lack of medical care)",
            rf"{B}(?<!انتظار )مرگ{SUF}{E}{GAP}(?:در |زیر )?(?:بازداشت|زندان|شکنجه)",
        ),
    ),
    # A death verb alone: custody or a shooting in the sentence decides the kind (extract.py).
    (
        "death",
        "carried_out",
        rx(
            rf"{B}(?:جان باخت|جان سپرد|جان خود را از دست داد|درگذشت|فوت کرد|فوت شد|کشته شد){SUF}{E}",
            r"\b(?:died|dies|was killed|were killed|have been killed|has been killed|lost (?:his|her|their) li(?:fe|ves)|bled to death|(?:was|were) found dead)\b",
        ),
    ),
    (
        "extrajudicial_killing",
        "carried_out",
        rx(
            r"\bshot (?:[\w'’-]+ ){0,2}dead",
            r"\bshot and killed\b",
            r"\b(?:forces|guards|police|agents|troops|officers|soldiers) (?:[\w'’-]+ ){0,2}killed\b(?! by)",
            r"\b(?:was|were) (?:[\w'’-]+ ){0,2}killed (?:[\w'’-]+ ){0,4}(?:by|when|after) (?:[\w'’-]+ ){0,4}(?:forces|guards|police|agents|fire|gunfire|shots|troops)",
            r"\bkilled by (?:[\w'’-]+ ){0,3}(?:forces|guards|police|agents|gunfire|fire)",
            r"\bopened fire (?:[\w'’-]+ ){0,8}kill",
            r"\b(?:opened fire|fired) (?:on|at|into|upon) [^.!?;\n]{0,160}?\bkill(?:ing|ed)\b",
            r"\b(?:fatally|lethally) shot",
            r"\bdied (?:[\w'’-]+ ){0,3}(?:of|from|after) (?:gunshot|bullet) wounds?",
            rf"{B}(?:با |به )?(?:شلیک|ضرب گلوله|تیراندازی){GAP}(?:کشته|جان باخت|جان سپرد|به قتل رسید)",
            rf"{B}(?:کشته|جان باخت|به قتل رسید){GAP}(?:شلیک|گلوله|تیراندازی)",
            # active: «... تیراندازی کردند و هر دو را کشتند»
            rf"{B}(?:شلیک|تیراندازی|آتش گشودند){LONG_GAP}{B}را (?:کشتند|به قتل رساندند|کشت){E}",
        ),
    ),
    (
        "flogging",
        "carried_out",
        rx(
            r"\b(?:was|were) (?:[\w'’-]+ ){0,2}(?:flogged|lashed)",
            r"\b(?:received|was given|were given) (?:\d+|[a-z-]+) lashes",
            r"\bflogging (?:sentence )?(?:[\w'’-]+ ){0,4}(?:was|were) carried out",
            rf"{B}(?:حکم )?(?:شلاق|ضربه شلاق){LONG_GAP}{B}(?:اجرا|به اجرا|زده){E}",
            rf"{B}شلاق زده شد",
            rf"{B}(?:ضربه )?شلاق (?:خورد|خوردند|زدند){E}",
        ),
    ),
    (
        "flogging",
        "issued",
        rx(
            r"\bsentenced (?:[\w'’-]+ ){0,6}(?:to |and )?(?:\d+|[a-z-]+) lashes",
            r"\b\d+ lashes\b",
            r"\bflogging sentences?",
            r"\bsentence of (?:\d+ )?lashes",
            rf"{B}(?:\d+|[\u0600-\u06ff]+) ضربه شلاق",
            rf"{B}محکوم{SUF}{GAP}شلاق",
        ),
    ),
    (
        "amputation",
        "upheld",
        rx(
            r"\bupheld (?:[\w'’-]+ ){0,8}amputation",
            r"\b(?:upheld|confirmed|endorsed) (?:the |his |her |their )?(?:sentences?|rulings?|verdicts?) (?:[\w'’-]+ ){0,2}to (?:cut off|amputate|sever)\b",
            r"\bamputation sentences? (?:[\w'’-]+ ){0,12}(?:was|were|has been|have been) (?:upheld|confirmed)",
            rf"{B}حکم قطع{LONG_GAP}{B}(?:تایید|تأیید|ابرام) (?:شد|کرد|شده|کرده)",
        ),
    ),
    (
        "flogging",
        "upheld",
        rx(
            r"\bupheld (?:[\w'’-]+ ){0,8}(?:flogging|lashes)",
            rf"{B}(?:حکم )?(?:\d+ ضربه )?شلاق{LONG_GAP}{B}(?:تایید|تأیید|ابرام) (?:شد|کرد|شده|کرده)",
        ),
    ),
    (
        "amputation",
        "carried_out",
        rx(
            r"\b(?:fingers?|hands?|limbs?) (?:[\w'’-]+ ){0,3}(?:were|was) (?:[\w'’-]+ ){0,2}(?:amputated|cut off)",
            r"\bamputation (?:[\w'’-]+ ){0,8}(?:was|were|has been|have been) (?:carried out|inflicted|enforced|implemented)",
            r"\bhad (?:[\w'’-]+ ){0,6}(?:fingers?|hands?|feet|foot) (?:[\w'’-]+ ){0,4}(?:cut off|amputated|severed)",
            r"\b(?:fingers?|hands?) (?:[\w'’-]+ ){0,4}(?:were|was|had been|have been) (?:[\w'’-]+ ){0,2}severed",
            r"\b(?:were|was|had been|have been) (?:[\w'’-]+ ){0,2}amputated\b",
            rf"{B}(?:حکم )?قطع{GAP}(?:انگشت|دست|پا){LONG_GAP}(?:اجرا|به اجرا){E}",
            rf"{B}انگشتان{GAP}قطع (?:شد|کردند)",
        ),
    ),
    (
        "amputation",
        "issued",
        rx(
            r"\bsentenced (?:[\w'’-]+ ){0,6}amputation",
            r"\bsentenced (?:[\w'’-]+ ){0,12}amputated\b",
            r"\b(?:sentences?|sentenced|rulings?|verdicts?) (?:[\w'’-]+ ){0,2}to (?:cut off|amputate|sever)\b",
            r"\bamputation sentences?",
            r"\bsentence of amputation",
            rf"{B}(?:محکوم{SUF} به |حکم ){GAP}قطع{GAP}(?:انگشت|دست|پا)",
            rf"{B}قطع انگشت",
            rf"{B}به قطع{GAP}(?:انگشت|دست|پا){GAP}{B}محکوم",
        ),
    ),
    # "The Supreme Court upheld the sentences on Sunday": a step of whichever sentence the
    # article is about (a death sentence unless it is about a flogging or an amputation).
    (
        "sentence_step",
        "upheld",
        rx(
            r"\b(?:upheld|confirmed|endorsed) (?:the |his |her |their |this )?(?:sentences?|verdicts?|rulings?)\b",
            r"\b(?:sentences?|verdicts?|rulings?) (?:was |were |has been |have been |had been )(?:upheld|confirmed)\b",
            rf"{B}(?:حکم|احکام) (?:او|وی|آنان|آنها|این زندانی|این زندانیان|این متهم|این متهمان)?{GAP}{B}(?:تایید|ابرام) (?:شد|کرد|شده|کرده)",
        ),
    ),
    # "«حکم صبح امروز در زندان قم اجرا شد»", "the sentence was carried out": the act of
    # whichever sentence the article is about (an execution unless a flogging or amputation).
    (
        "sentence_act",
        "carried_out",
        rx(
            rf"{B}(?:حکم|احکام) (?:او|وی|آنان|آنها|این زندانی|این زندانیان|این متهم|این محکوم)?{CLAUSE_GAP}{B}(?:اجرا|به اجرا) (?:شد|شدند|گردید|درآمد|در آمد|رسید)",
            rf"{B}به مرحله (?:اجرا|اجرای حکم) (?:رسید|درآمد|در آمد|گذاشته شد)",
            r"\b(?:the |his |her |their )sentences? (?:was|were|has been|have been|had been) (?:carried out|enforced|implemented|inflicted)",
            r"\b(?:the )?punishments? (?:of|for) [^.!?;\n]{0,140}? (?:was|were|has been|have been|had been) (?:carried out|enforced|implemented|inflicted)\b",
        ),
    ),
]

# A trigger inside one of these is not an event mention (figures, generic talk).
NOT_EVENT = rx(
    r"\b(?:at least |more than |over |some )?\d[\d,]* (?:people |prisoners |persons |men |women )?(?:have been |were |had been )?(?:executed|executions)\b",
    r"\bexecutions? (?:recorded|registered|documented|carried out) (?:this|last|since|in) ",
    r"\bnumber of executions",
    # "families of executed protesters": the participle describes a class of people
    r"\b(?:of|for|with|to) executed (?:[a-z-]+ )?(?:protesters|prisoners|people|dissidents|activists|juveniles|offenders|men|women|kolbars)\b",
    # "in execution of a sentence (of lashes, of prison)": carrying out, not an execution
    r"\b(?:in|on) (?:the )?execution of (?:a|an|the|his|her|their) (?:[\w'’-]+ ){0,2}(?:sentence|ruling|verdict|order)s?\b",
    r"\b(?:the )?death penalty\b",
    r"\b(?:those|people|prisoners|persons|individuals) (?:who were |who have been )?executed",
    r"\bat least \d\d[\d,]* (?:[\w-]+ ){0,3}(?:were|have been|had been) (?:executed|killed|hanged|sentenced)",
    r"\b(?:no one|nobody|none of them) (?:was|were|had been) (?:killed|executed|hurt)",
    r"\bexecuted (?:each|every|per) ",
    # "the execution of juvenile offenders", "executions of protesters": a class of people
    r"\bexecutions? of (?!(?:\d|one|two|three|four|five|six|seven|eight|nine|ten|a |an |the )\b)"
    r"(?:[a-z-]+ ){0,2}(?:offenders|protesters|prisoners|people|minorities|women|men|children|juveniles"
    r"|dissidents|activists|detainees|nationals|members)\b",
    rf"{B}(?:دست کم |حداقل |بیش از )?\d+ (?:مورد )?اعدام",
    rf"{B}آمار اعدام",
    rf"{B}(?:در )?انتظار (?:مرگ|اعدام|اجرای حکم)",
    rf"{B}(?:تقاضای|درخواست|خواستار|مطالبه) (?:صدور )?(?:حکم )?(?:اعدام|قصاص)",
    r"\b(?:on death row|awaiting execution)\b",
    rf"{B}مجازات اعدام",
    rf"{B}لغو (?:مجازات |حکم )?اعدام",
    rf"{B}توقف (?:اجرای )?(?:حکم |احکام )?(?:اعدام|قصاص)",
    r"\b(?:stop|halt|end|abolish|prevent)(?:ing)? (?:the |all |his |her |their )?(?:executions?|death penalty)",
)

BACKGROUND_CUES = rx(
    r"\banniversary\b",
    r"\byears? ago\b",
    r"\bin (?:19|20)\d\d\b",
    rf"{B}سالگرد",
    rf"{B}سال ها پیش",
    rf"{B}سال (?:13|14)\d\d{E}",
    rf"{B}در سال \d{{4}}",
)

# --- charges ---------------------------------------------------------------------------
CHARGE_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (
        "moharebeh",
        rx(
            r"\bmoharebeh\b",
            r"\bmuharebeh\b",
            r"\benmity against god",
            r"\bwaging war against god",
            r"\bbaghi\b",
            r"\barmed rebellion",
            r"\bcorruption on earth",
            r"\befsad",
            r"\bifsad",
            rf"{B}محاربه",
            rf"{B}بغی{E}",
            rf"{B}افساد فی ?الارض",
        ),
    ),
    (
        "espionage",
        rx(
            r"\bespionage\b",
            r"\bspy\b",
            r"\bspies\b",
            r"\bspying\b",
            r"\bspy for\b",
            r"\bcollaborat\w* with (?:israel|the israeli|mossad)",
            rf"{B}جاسوس",
            rf"{B}همکاری با (?:اسرائیل|موساد|رژیم صهیونیستی)",
        ),
    ),
    (
        "drug",
        rx(
            r"\bdrug(?!s? shortages?)",
            r"\bnarcotic",
            r"\bheroin\b",
            r"\bmethamphetamine\b",
            r"\bopium\b",
            r"\bcrystal meth\b",
            rf"{B}مواد مخدر",
            rf"{B}(?:هروئین|شیشه|تریاک|متامفتامین|مخدر)",
        ),
    ),
    (
        "rape_sexual",
        rx(
            r"\brape\b",
            r"\braping\b",
            r"\bsexual assault",
            r"\bsodomy\b",
            r"\badultery\b",
            r"\blavat\b",
            rf"{B}تجاوز",
            rf"{B}(?:زنای|زنا){E}",
            rf"{B}لواط",
            rf"{B}(?:به )?عنف",
        ),
    ),
    (
        "armed_robbery",
        rx(r"\barmed robbery", r"\bat gunpoint", rf"{B}سرقت مسلحانه", rf"{B}سرقت (?:با|به) (?:سلاح|اسلحه)"),
    ),
    (
        "murder_qisas",
        rx(
            r"\bmurder",
            r"\bqisas\b",
            r"\bqesas\b",
            r"\bkilling (?:of )?(?:his|her|a|an|the) ",
            r"\bretribution\b",
            rf"{B}قتل",
            rf"{B}قصاص",
        ),
    ),
]
# Other, named charges: the charge is known, and not one of the above.
OTHER_CHARGE = rx(
    r"\bfinancial (?:charges|offences|crimes)",
    r"\bspreading (?:falsehoods|lies|false news)",
    rf"{B}نشر اکاذیب",
    r"\bfraud\b",
    r"\bprotest-related",
    r"\bhijab\b",
    r"\binsulting (?:sanctities|the sacred|islam|the supreme leader)",
    r"\bdisrupting (?:public )?order",
    rf"{B}(?:حجاب|کلاهبرداری|اختلاس|جرائم مالی|جرایم مالی|اتهامات مالی|توهین به مقدسات|اخلال در نظم)",
    r"\bapostasy\b",
    r"\bblasphemy\b",
    r"\binsulting the prophet",
    r"\bdrinking alcohol",
    r"\balcohol\b",
    r"\bpropaganda against",
    r"\bmembership (?:of|in)",
    r"\bcollusion against",
    r"\btheft\b",
    r"\bburglar",
    r"\brobber(?:y|ies)\b",
    rf"{B}سرقت",
    r"\bkidnapping\b",
    rf"{B}ارتداد",
    rf"{B}سب النبی",
    rf"{B}(?:شرب|مصرف) (?:خمر|مشروبات الکلی|مشروب)",
    rf"{B}تبلیغ علیه",
    rf"{B}عضویت در",
    rf"{B}آدم ربایی",
)

# --- people ----------------------------------------------------------------------------
GENDER_MALE = rx(
    r"\b(?:man|men|boy|boys|he|his|him|father of|husband of)\b",
    rf"{B}(?:مرد|مردان|پسر)(?:ی)?{E}",
    rf"{B}پدر [\w\u0600-\u06ff]+ فرزند",
)
GENDER_FEMALE = rx(
    r"\b(?:woman|women|girl|girls|she|her|mother of|wife of)\b",
    rf"{B}(?:زن|زنان|دختر)(?:ی)?{E}",
    rf"{B}مادر [\w\u0600-\u06ff]+ فرزند",
)

ETHNICITY: list[tuple[str, re.Pattern[str]]] = [
    ("Baluch", rx(r"\bbaluch", r"\bbaloch", r"\bbaluchi", rf"{B}بلوچ")),
    # «کرد» is also the verb "did" («محکوم کرد»): not right after a compound verb's first part
    (
        "Kurdish",
        rx(
            r"\bkurd(?:s|ish)?\b",
            rf"{B}(?<!محکوم )(?<!منتقل )(?<!اعلام )(?<!صادر )(?<!تایید )(?<!تأیید )(?<!اجرا )"
            rf"(?<!بازداشت )(?<!دستگیر )(?<!اعتراف )(?<!خبر )(?<!تهدید )(?<!احضار )(?<!پیدا )(?<!فوت )"
            rf"کرد(?:ی|ها|های)?{E}",
        ),
    ),
    ("Arab", rx(r"\b(?:ahwazi |ahvazi )?arabs?\b", r"\bahwazi\b", rf"{B}عرب{SUF}{E}")),
    (
        "Turk",
        rx(
            r"\b(?:azerbaijani |azeri )?turks?\b",
            r"\bazeri\b",
            r"\bazerbaijani\b",
            rf"{B}(?:ترک|آذری){SUF}{E}",
        ),
    ),
    ("Lur", rx(r"\blurs?\b", r"\blori\b", rf"{B}لر{SUF}{E}")),
    ("Turkmen", rx(r"\bturkmen\b", rf"{B}ترکمن")),
]
NATIONALITY: list[tuple[str, re.Pattern[str]]] = [
    ("Afghan", rx(r"\bafghan", rf"{B}افغان", rf"{B}(?:تبعه|اتباع|شهروند) افغانستان")),
    ("Iraqi", rx(r"\biraqi\b", rf"{B}عراقی")),
    ("Pakistani", rx(r"\bpakistani\b", rf"{B}پاکستانی")),
]
RELIGION: list[tuple[str, re.Pattern[str]]] = [
    ("Baha'i", rx(r"\bbaha['’]?i", rf"{B}بهایی")),
    ("Sunni", rx(r"\bsunni\b", rf"{B}(?:اهل سنت|سنی){E}")),
    ("Christian", rx(r"\bchristian\b", r"\bconvert", rf"{B}مسیحی")),
    ("Jewish", rx(r"\bjewish\b", rf"{B}یهودی")),
    ("Yarsan", rx(r"\byarsan(?:i)?\b", r"\bahl-?e haq", rf"{B}یارسان")),
    ("Sufi", rx(r"\bsufi\b", r"\bdervish", rf"{B}(?:درویش|صوفی)")),
]

# Words that make a nearby count or group a set of victims.
VICTIM_NOUNS_EN = (
    r"(?:men|women|man|woman|prisoners?|inmates?|people|persons|individuals|detainees|"
    r"convicts|kolbars?|porters?|fuel carriers?|protesters?|brothers|juveniles?|youths?|boys?|girls?|"
    r"nationals?|citizens?|teenagers?|clerics?|activists?|workers?|members?|sukhtbars|couriers|fathers?)"
)
VICTIM_NOUNS_FA = (
    r"(?:زندانی|زندانیان|مرد|زن|نفر|تن|جوان|کولبر|سوخت بر|سوختبر|برادر|شهروند|معترض|سارق|متهم|محکوم|"
    r"قاچاقچی|تبعه|نوجوان|فعال|روحانی|کارگر|عضو)"
)

NUMBER_WORDS_EN = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "twenty": 20,
}
NUMBER_WORDS_FA_WRITTEN = {
    "یک": 1,
    "دو": 2,
    "سه": 3,
    "چهار": 4,
    "پنج": 5,
    "شش": 6,
    "هفت": 7,
    "هشت": 8,
    "نه": 9,
    "ده": 10,
    "یازده": 11,
    "دوازده": 12,
    "سیزده": 13,
    "چهارده": 14,
    "پانزده": 15,
    "بیست": 20,
}
NUMBER_WORDS_FA = {fold_chars(k): v for k, v in NUMBER_WORDS_FA_WRITTEN.items()}

# --- places ----------------------------------------------------------------------------
# City -> province (English names), with the spellings articles use in both scripts.
CITIES: list[tuple[str, str, tuple[str, ...]]] = [
    ("Tehran", "Tehran", ("tehran", "تهران")),
    ("Karaj", "Alborz", ("karaj", "کرج")),
    ("Mashhad", "Razavi Khorasan", ("mashhad", "مشهد")),
    ("Isfahan", "Isfahan", ("isfahan", "esfahan", "اصفهان")),
    ("Shiraz", "Fars", ("shiraz", "شیراز")),
    ("Tabriz", "East Azerbaijan", ("tabriz", "تبریز")),
    ("Urmia", "West Azerbaijan", ("urmia", "orumiyeh", "oroumieh", "ارومیه")),
    ("Zahedan", "Sistan and Baluchestan", ("zahedan", "زاهدان")),
    ("Zabol", "Sistan and Baluchestan", ("zabol", "زابل")),
    ("Chabahar", "Sistan and Baluchestan", ("chabahar", "چابهار")),
    ("Iranshahr", "Sistan and Baluchestan", ("iranshahr", "ایرانشهر")),
    ("Saravan", "Sistan and Baluchestan", ("saravan", "سراوان")),
    ("Khash", "Sistan and Baluchestan", ("khash", "خاش")),
    ("Ahvaz", "Khuzestan", ("ahvaz", "ahwaz", "اهواز")),
    ("Dezful", "Khuzestan", ("dezful", "دزفول")),
    ("Kermanshah", "Kermanshah", ("kermanshah", "کرمانشاه")),
    ("Sanandaj", "Kurdistan", ("sanandaj", "سنندج")),
    ("Saqqez", "Kurdistan", ("saqqez", "saqez", "سقز")),
    ("Baneh", "Kurdistan", ("baneh", "بانه")),
    ("Marivan", "Kurdistan", ("marivan", "مریوان")),
    ("Mahabad", "West Azerbaijan", ("mahabad", "مهاباد")),
    ("Piranshahr", "West Azerbaijan", ("piranshahr", "پیرانشهر")),
    ("Sardasht", "West Azerbaijan", ("sardasht", "سردشت")),
    ("Naqadeh", "West Azerbaijan", ("naqadeh", "نقده")),
    ("Salmas", "West Azerbaijan", ("salmas", "سلماس")),
    ("Khoy", "West Azerbaijan", ("khoy", "خوی")),
    ("Rasht", "Gilan", ("rasht", "رشت")),
    ("Qazvin", "Qazvin", ("qazvin", "قزوین")),
    ("Qom", "Qom", ("qom", "قم")),
    ("Arak", "Markazi", ("arak", "اراک")),
    ("Hamedan", "Hamadan", ("hamedan", "hamadan", "همدان")),
    ("Khorramabad", "Lorestan", ("khorramabad", "خرم آباد", "خرماباد")),
    ("Ilam", "Ilam", ("ilam", "ایلام")),
    ("Yasuj", "Kohgiluyeh and Boyer-Ahmad", ("yasuj", "یاسوج")),
    ("Bandar Abbas", "Hormozgan", ("bandar abbas", "بندرعباس", "بندر عباس")),
    ("Bushehr", "Bushehr", ("bushehr", "بوشهر")),
    ("Kerman", "Kerman", ("kerman", "کرمان")),
    ("Yazd", "Yazd", ("yazd", "یزد")),
    ("Semnan", "Semnan", ("semnan", "سمنان")),
    ("Gorgan", "Golestan", ("gorgan", "گرگان")),
    ("Sari", "Mazandaran", ("sari", "ساری")),
    ("Zanjan", "Zanjan", ("zanjan", "زنجان")),
    ("Ardabil", "Ardabil", ("ardabil", "اردبیل")),
    ("Birjand", "South Khorasan", ("birjand", "بیرجند")),
    ("Bojnurd", "North Khorasan", ("bojnurd", "bojnourd", "بجنورد")),
    ("Neyshabur", "Razavi Khorasan", ("neyshabur", "nishapur", "نیشابور")),
    ("Shahr-e Kord", "Chaharmahal and Bakhtiari", ("shahrekord", "shahr-e kord", "شهرکرد")),
    ("Varamin", "Tehran", ("varamin", "ورامین")),
    ("Marvdasht", "Fars", ("marvdasht", "مرودشت")),
    ("Kazerun", "Fars", ("kazerun", "kazeroon", "کازرون")),
    ("Jahrom", "Fars", ("jahrom", "جهرم")),
    ("Fasa", "Fars", ("fasa", "فسا")),
    ("Lar", "Fars", ("larestan", "لارستان")),
    ("Abadan", "Khuzestan", ("abadan", "آبادان")),
    ("Khorramshahr", "Khuzestan", ("khorramshahr", "خرمشهر")),
    ("Mahshahr", "Khuzestan", ("mahshahr", "ماهشهر")),
    ("Behbahan", "Khuzestan", ("behbahan", "بهبهان")),
    ("Shushtar", "Khuzestan", ("shushtar", "شوشتر")),
    ("Andimeshk", "Khuzestan", ("andimeshk", "اندیمشک")),
    ("Izeh", "Khuzestan", ("izeh", "ایذه")),
    ("Hamidiyeh", "Khuzestan", ("hamidiyeh", "hamidieh", "حمیدیه")),
    ("Susangerd", "Khuzestan", ("susangerd", "سوسنگرد")),
    ("Shadegan", "Khuzestan", ("shadegan", "شادگان")),
    ("Borujerd", "Lorestan", ("borujerd", "boroujerd", "بروجرد")),
    ("Aligudarz", "Lorestan", ("aligudarz", "الیگودرز")),
    ("Kuhdasht", "Lorestan", ("kuhdasht", "کوهدشت")),
    ("Aleshtar", "Lorestan", ("aleshtar", "alashtar", "الشتر")),
    ("Dorud", "Lorestan", ("dorud", "doroud", "دورود")),
    ("Malayer", "Hamadan", ("malayer", "ملایر")),
    ("Nahavand", "Hamadan", ("nahavand", "نهاوند")),
    ("Eslamabad-e Gharb", "Kermanshah", ("eslamabad-e gharb", "islamabad-e gharb", "اسلام آباد غرب")),
    ("Javanrud", "Kermanshah", ("javanrud", "javanroud", "جوانرود")),
    ("Paveh", "Kermanshah", ("paveh", "پاوه")),
    ("Nowsud", "Kermanshah", ("nowsud", "nosud", "nowsoud", "نوسود")),
    ("Sarpol-e Zahab", "Kermanshah", ("sarpol-e zahab", "sarpol-e-zahab", "سرپل ذهاب", "سرپل‌ذهاب")),
    ("Qasr-e Shirin", "Kermanshah", ("qasr-e shirin", "قصر شیرین")),
    ("Sarvabad", "Kurdistan", ("sarvabad", "سروآباد")),
    ("Shush", "Khuzestan", ("shush", "شوش")),
    ("Maku", "West Azerbaijan", ("maku", "ماکو")),
    ("Chaldoran", "West Azerbaijan", ("chaldoran", "چالدران")),
    ("Ravansar", "Kermanshah", ("ravansar", "روانسر")),
    ("Kangavar", "Kermanshah", ("kangavar", "کنگاور")),
    ("Bukan", "West Azerbaijan", ("bukan", "boukan", "بوکان")),
    ("Oshnavieh", "West Azerbaijan", ("oshnavieh", "oshnaviyeh", "اشنویه")),
    ("Miandoab", "West Azerbaijan", ("miandoab", "میاندوآب")),
    ("Maragheh", "East Azerbaijan", ("maragheh", "مراغه")),
    ("Marand", "East Azerbaijan", ("marand", "مرند")),
    ("Ahar", "East Azerbaijan", ("ahar", "اهر")),
    ("Divandarreh", "Kurdistan", ("divandarreh", "دیواندره")),
    ("Kamyaran", "Kurdistan", ("kamyaran", "کامیاران")),
    ("Qorveh", "Kurdistan", ("qorveh", "قروه")),
    ("Bijar", "Kurdistan", ("bijar", "بیجار")),
    ("Amol", "Mazandaran", ("amol", "آمل")),
    ("Babol", "Mazandaran", ("babol", "بابل")),
    ("Qaemshahr", "Mazandaran", ("qaemshahr", "قائمشهر", "قائم شهر")),
    ("Gonbad-e Kavus", "Golestan", ("gonbad-e kavus", "gonbad", "گنبد کاووس", "گنبد")),
    ("Lahijan", "Gilan", ("lahijan", "لاهیجان")),
    ("Bandar Anzali", "Gilan", ("bandar anzali", "anzali", "بندر انزلی", "انزلی")),
    ("Sabzevar", "Razavi Khorasan", ("sabzevar", "سبزوار")),
    ("Torbat-e Heydarieh", "Razavi Khorasan", ("torbat-e heydarieh", "torbat-e heydariyeh", "تربت حیدریه")),
    ("Torbat-e Jam", "Razavi Khorasan", ("torbat-e jam", "تربت جام")),
    ("Quchan", "Razavi Khorasan", ("quchan", "قوچان")),
    ("Kashmar", "Razavi Khorasan", ("kashmar", "کاشمر")),
    ("Shahroud", "Semnan", ("shahroud", "shahrud", "شاهرود")),
    ("Kashan", "Isfahan", ("kashan", "کاشان")),
    ("Najafabad", "Isfahan", ("najafabad", "نجف آباد")),
    ("Khomeini Shahr", "Isfahan", ("khomeini shahr", "خمینی شهر")),
    ("Shahin Shahr", "Isfahan", ("shahin shahr", "شاهین شهر")),
    ("Saveh", "Markazi", ("saveh", "ساوه")),
    ("Eslamshahr", "Tehran", ("eslamshahr", "islamshahr", "اسلامشهر")),
    ("Shahriar", "Tehran", ("shahriar", "shahriyar", "شهریار")),
    ("Pakdasht", "Tehran", ("pakdasht", "پاکدشت")),
    ("Rey", "Tehran", ("shahr-e rey", "شهرری", "شهر ری")),
    ("Fardis", "Alborz", ("fardis", "فردیس")),
    ("Nazarabad", "Alborz", ("nazarabad", "نظرآباد")),
    ("Bam", "Kerman", ("bam", "بم")),
    ("Jiroft", "Kerman", ("jiroft", "جیرفت")),
    ("Sirjan", "Kerman", ("sirjan", "سیرجان")),
    ("Rafsanjan", "Kerman", ("rafsanjan", "رفسنجان")),
    ("Kahnuj", "Kerman", ("kahnuj", "کهنوج")),
    ("Minab", "Hormozgan", ("minab", "میناب")),
    ("Qeshm", "Hormozgan", ("qeshm", "قشم")),
    ("Borazjan", "Bushehr", ("borazjan", "برازجان")),
    ("Nikshahr", "Sistan and Baluchestan", ("nikshahr", "نیکشهر")),
    ("Rask", "Sistan and Baluchestan", ("rask", "راسک")),
    ("Sarbaz", "Sistan and Baluchestan", ("sarbaz", "سرباز")),
    ("Mirjaveh", "Sistan and Baluchestan", ("mirjaveh", "میرجاوه")),
    ("Konarak", "Sistan and Baluchestan", ("konarak", "کنارک")),
    ("Sib and Suran", "Sistan and Baluchestan", ("sib and suran", "سیب و سوران")),
    ("Ardakan", "Yazd", ("ardakan", "اردکان")),
    ("Dehloran", "Ilam", ("dehloran", "دهلران")),
    ("Abdanan", "Ilam", ("abdanan", "آبدانان")),
    ("Dogonbadan", "Kohgiluyeh and Boyer-Ahmad", ("dogonbadan", "دوگنبدان", "گچساران")),
    ("Meshginshahr", "Ardabil", ("meshginshahr", "مشگین شهر")),
    ("Parsabad", "Ardabil", ("parsabad", "پارس آباد")),
    ("Damghan", "Semnan", ("damghan", "دامغان")),
    ("Golpayegan", "Isfahan", ("golpayegan", "گلپایگان")),
    ("Robat Karim", "Tehran", ("robat karim", "رباط کریم")),
]
PROVINCES: list[tuple[str, tuple[str, ...]]] = [
    (
        "Sistan and Baluchestan",
        ("sistan and baluchestan", "sistan-baluchestan", "sistan and baluchistan", "سیستان و بلوچستان"),
    ),
    ("Kurdistan", ("kurdistan province", "استان کردستان")),
    ("West Azerbaijan", ("west azerbaijan", "آذربایجان غربی")),
    ("East Azerbaijan", ("east azerbaijan", "آذربایجان شرقی")),
    ("Khuzestan", ("khuzestan", "خوزستان")),
    ("Alborz", ("alborz", "البرز")),
    ("Razavi Khorasan", ("razavi khorasan", "khorasan razavi", "خراسان رضوی")),
    ("Lorestan", ("lorestan", "لرستان")),
    ("Fars", ("fars province", "استان فارس")),
    ("Gilan", ("gilan", "گیلان")),
    ("Kermanshah", ("kermanshah province", "استان کرمانشاه")),
    ("Hormozgan", ("hormozgan", "هرمزگان")),
    ("Mazandaran", ("mazandaran", "مازندران")),
    ("Golestan", ("golestan", "گلستان")),
    ("Markazi", ("markazi", "استان مرکزی")),
    ("Kerman", ("kerman province", "استان کرمان")),
    ("Ilam", ("ilam province", "استان ایلام")),
    ("Hamadan", ("hamadan province", "استان همدان")),
    ("Qazvin", ("qazvin province", "استان قزوین")),
    ("Zanjan", ("zanjan province", "استان زنجان")),
    ("Ardabil", ("ardabil province", "استان اردبیل")),
    ("Bushehr", ("bushehr province", "استان بوشهر")),
    ("Yazd", ("yazd province", "استان یزد")),
    ("Semnan", ("semnan province", "استان سمنان")),
    ("Isfahan", ("isfahan province", "استان اصفهان")),
    ("Tehran", ("tehran province", "استان تهران")),
    ("North Khorasan", ("north khorasan", "خراسان شمالی")),
    ("South Khorasan", ("south khorasan", "خراسان جنوبی")),
    ("Kohgiluyeh and Boyer-Ahmad", ("kohgiluyeh", "کهگیلویه")),
    ("Chaharmahal and Bakhtiari", ("chaharmahal", "چهارمحال")),
]
# Prison facet value -> (city, province): a prison names its place.
PRISON_PLACE = {
    "evin": ("Tehran", "Tehran"),
    "evin_ward_209": ("Tehran", "Tehran"),
    "ghezel_hesar": ("Karaj", "Alborz"),
    "gohardasht": ("Karaj", "Alborz"),
    "karaj_central": ("Karaj", "Alborz"),
    "kahrizak": ("Tehran", "Tehran"),
    "greater_tehran": ("Tehran", "Tehran"),
    "qarchak": ("Varamin", "Tehran"),
    "vakilabad": ("Mashhad", "Razavi Khorasan"),
    "adelabad": ("Shiraz", "Fars"),
    "dizelabad": ("Kermanshah", "Kermanshah"),
    "urmia_central": ("Urmia", "West Azerbaijan"),
    "zahedan_central": ("Zahedan", "Sistan and Baluchestan"),
    "lakan": ("Rasht", "Gilan"),
    "sepidar": ("Ahvaz", "Khuzestan"),
    "sheiban": ("Ahvaz", "Khuzestan"),
    "parsilon": ("Khorramabad", "Lorestan"),
    "dastgerd": ("Isfahan", "Isfahan"),
}

# --- sources ---------------------------------------------------------------------------
OFFICIAL_CUES = rx(
    r"\bjudiciary\b",
    r"\bmizan\b",
    r"\birna\b",
    r"\bstate (?:media|television|tv|news agency)",
    r"\bofficial (?:media|news agency|sources?)",
    r"\bprosecutor",
    r"\bpolice (?:said|announced|chief)",
    r"\bauthorities (?:said|announced|confirmed)",
    rf"{B}(?:قوه قضاییه|قوه قضائیه|میزان|ایرنا|دادستان|دادگستری|رسانه های (?:دولتی|رسمی)|خبرگزاری (?:ایرنا|تسنیم|فارس|میزان|ایسنا)|رئیس کل دادگستری)",
)
RIGHTS_CUES = rx(
    r"\bihrngo\b",
    r"\biran human rights\b",
    r"\bhrana\b",
    r"\bhengaw\b",
    r"\bamnesty\b",
    r"\bhuman rights watch\b",
    r"\bkurdistan human rights network\b",
    r"\bkhrn\b",
    r"\bhaalvsh\b",
    r"\bhalvash\b",
    r"\brights (?:group|groups|organi[sz]ation|activists|monitor)",
    rf"{B}(?:حقوق بشر|هه نگاو|هرانا|حال وش|حالوش|کمپین|فعالان حقوق بشر|سازمان عفو بین الملل|عفو بین الملل)",
)

# A sentence with one of these gives figures or generalities, not an event.
STATISTIC_CUES = rx(
    r"\bper ?cent\b",
    r"\bpercent",
    r"\b(?:since|from) the (?:start|beginning) of",
    r"\bannual report",
    r"\b(?:dozens|hundreds|thousands|scores) of",
    r"\bthis year\b",
    r"\brecorded\b",
    r"\bfigures\b",
    r"\bin the (?:past|last) (?:month|year|week|few)",
    r"\bso far this",
    r"\bduring the (?:same )?month",
    r"\bmonthly report",
    rf"{B}در (?:این|همین) ماه",
    rf"{B}(?:ثبت|گزارش ماهانه|اعدام شدگان|آمار)",
    rf"{B}درصد",
    rf"{B}(?:از ابتدای|از آغاز) (?:سال|ماه)",
    rf"{B}گزارش سالانه",
    rf"{B}(?:ده ها|صدها|هزاران)",
    rf"{B}سال جاری",
)
# "executions are usually carried out at dawn": a habit, not an event, when the cue comes
# before (or inside) the trigger; "moved to solitary, a step that usually precedes an
# execution" still reports the transfer.
HABIT_CUES = rx(r"\busually\b", r"\btypically\b", r"\bgenerally\b", rf"{B}(?:معمولا|معمولاً|غالبا)")
# "she is at least the third woman to be sentenced to death": a tally, not the event.
TALLY_CUES = rx(
    r"\bthe (?:second|third|fourth|fifth|sixth|\d+(?:st|nd|rd|th)) (?:[\w'’-]+ ){0,3}(?:known )?to (?:have been|be)\b",
    rf"{B}(?:دومین|سومین|چهارمین|پنجمین|\d+ ?(?:مین|امین)) {GAP}(?:است|بود) که",
)
# Killers who are not state agents ("armed men opened fire on a police patrol"): the dead
# are victims of a crime, not of an extrajudicial killing.
NON_STATE_ATTACKERS = rx(
    r"\b(?:armed men|gunmen|assailants|attackers|unknown attackers|bandits|smugglers|militants|insurgents)\b",
    rf"{B}(?:افراد مسلح|مهاجمان|ضاربان|اشرار|قاچاقچیان|افراد ناشناس|مسلحین|تروریست ها)",
)
# "two months after X was hanged", «هفت سال پس از اعدام»: time elapsed since an old event.
ELAPSED_CUES = rx(
    r"\b(?:\d+|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|several|many) (?:months|years) (?:after|since)\b",
    r"\b(?:a|one) year (?:after|since|ago)\b",
    r"\b(?:\d+|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|several|many) (?:months|years) ago\b",
    rf"{B}(?:\d+|یک|دو|سه|چهار|پنج|شش|هفت|هشت|نه|ده|چند) (?:ماه|سال) (?:پس از|بعد از|از)",
    rf"{B}(?:\d+|یک|دو|سه|چهار|پنج|شش|هفت|هشت|نه|ده|چند) سال (?:پیش|قبل)",
)
# "the ruling was communicated to his lawyer on Monday", «این حکم ... ابلاغ شد»: the day a
# sentence (or its upholding) was made known, the date of that step.
NOTIFIED_CUES = rx(
    r"\b(?:ruling|verdict|sentence|decision|judgment|judgement)s? (?:was|were|had been|has been) (?:communicated|notified|announced|delivered|conveyed|read out)\b",
    r"\b(?:announced|communicated|notified|read out|delivered) the (?:verdict|ruling|sentence|judgment)\b",
    rf"{B}(?:حکم|رای|رأی){GAP}ابلاغ (?:شد|شده|گردید|کرد)",
    # "The sentence was issued by Branch 1 in July", «این حکم تیرماه صادر شده است»
    r"\b(?:ruling|verdict|sentence|judgment|judgement)s? (?:was|were|had been|has been) (?:issued|handed down|passed|pronounced)\b",
    rf"{B}این (?:حکم|رای|رأی){GAP}صادر (?:شد|شده|گردید)",
)
# "at least nine prisoners": a figure, unless the sentence gives the day (one group event).
AT_LEAST_CUES = rx(
    r"\bat least \d[\d,]* (?:people|prisoners|executions|kolbars|men|women)",
    rf"{B}(?:دست کم|حداقل|بیش از) (?:هزار|\d+) ",
)
# "the execution of X was postponed", «اجرای حکم ... متوقف شد»: the act did not take place.
HALTED_CUES = rx(
    r"\b(?:was|were|has been|have been|had been) (?:[\w'’-]+ )?(?:postponed|halted|stopped|suspended|delayed|called off|averted|put on hold)\b",
    rf"{B}(?:متوقف|به تعویق|معلق) (?:شد|گردید|افتاد|شده|مانده)",
    rf"{B}(?:توقف|تعلیق|تعویق) (?:اجرای )?حکم",
)
UPHELD_CUE = rx(r"\b(?:upheld|confirmed)\b", rf"{B}(?:تایید|تأیید|ابرام)")
# A sentence was commuted, quashed or pardoned: no longer a death sentence.
COMMUTED_CUES = rx(
    r"\bcommut",
    r"\bquash",
    r"\boverturn",
    r"\bpardon",
    r"\bforg(?:ave|iven)",
    r"\bacquitt",
    rf"{B}(?:لغو|نقض|عفو|بخشش|رضایت|تبدیل|تخفیف)",
)
CUSTODY_CONTEXT = rx(
    r"\b(?:custody|detention|prison|jail|cell|ward|interrogation|after (?:his|her|their) arrest)",
    rf"{B}(?:بازداشت|زندان|بازداشتگاه|کلانتری|شکنجه|سلول|بند|بازجویی|حبس)",
)
SHOOTING_CONTEXT = rx(
    r"\b(?:shot|shooting|gunfire|opened fire|bullet)",
    r"\bfired (?:[\w'’-]+ ){0,2}(?:at|on|upon|into)\b",
    rf"{B}(?:شلیک|گلوله|تیراندازی|تیر)",
    rf"{B}آتش (?:گشود|گشودند)",
)
STATE_AGENTS = rx(
    r"\b(?:forces|guards|police|agents|troops|irgc|basij|security)",
    rf"{B}(?:نیروهای|نیروی|ماموران|مأموران|مرزبانی|هنگ مرزی|سپاه|پلیس|انتظامی|بسیج|امنیتی|نظامی)",
)
