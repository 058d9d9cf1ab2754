"""Victims in article text: names as written, unnamed groups with a count, and their details.

English names are runs of capitalised words that are not place, organisation or calendar
words, or that start with a known given name. Persian has no capitals, so a Persian name is
a known given name and the one or two words after it, or the words after «به نام» / «با
هویت» (“named”). Every victim keeps the character span it was read from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipeline.extraction.jalali import fold_chars
from pipeline.incidents import lexicon as L

# Common Iranian given names (our own list), by gender; Persian script and usual Latin forms.
MALE_FA = (
    "محمد علی حسین حسن رضا مهدی احمد محمود مصطفی مرتضی مجتبی جواد کاظم قاسم ابراهیم اسماعیل یوسف یعقوب "
    "عباس اکبر اصغر امیر امین امید ایمان بهروز بهمن بهرام بابک پویا پیمان جمال جلال حامد حمید حمیدرضا "
    "داوود داود رحیم رحمان رسول روح الله سعید سجاد سلمان سامان سیامک شاهین شهرام صادق صالح عادل عبدالله "
    "عبدالرحمن عبدالحمید عبدالغنی عبدالمجید عبدالرحیم عبدالباسط عبدالواحد عثمان عمر عرفان فرهاد فرامرز فرشید فریدون فرزاد "
    "کامران کریم کیوان ماجد مجید محسن محمدرضا محمدعلی محمدحسین مسعود منصور موسی میلاد ناصر نادر نوید "
    "عبدالمالک نعیم عبدالرشید عبدالغفور عبدالستار عبدالقادر عبدالوهاب نیما وحید هادی هاشم هوشنگ یاسر یاسین یونس ادریس اسحاق خالد زانیار لقمان شیرکو پژمان آرمان "
    "ارسلان ایوب بشیر جعفر حبیب حیدر خلیل رامین زاهد سهراب سیاوش شریف طاهر غلامرضا غلام فواد "
    "قادر کمال کورش مراد منوچهر نبی نصرالله نورالدین هیمن وریا حمزه ایرج اسلام رامین سینا مهران "
    "آرش کیومرث آکو هیوا کامیار بهنام کاوه سیروان یدالله نورالله عدنان آزاد پیمان شهاب فرید "
    "رحمت الله اسدالله عزیز عبدالعزیز عبدالکریم مولود خسرو داریوش بیژن رضوان صلاح الدین "
    "ابوالفضل امیرحسین امیرعلی امیرمحمد محمدامین محمدجواد محمدمهدی علیرضا حسنعلی غلامحسین "
    "اصغر اکبر ایرج بهزاد بهنام پرویز جهانگیر حشمت حیدر رسول رضوان سعید سروش شاهرخ شهاب "
    "صابر طالب عارف عباسعلی عظیم علی اصغر فرج فریبرز قربان کیانوش مازیار مجید مهرداد مهدی "
    "میثم نادر ناصر نعمت هومن یوسف یونس ابراهیم اسماعیل جاوید جمشید خلیل دانیال رشید سالار "
    "سامان شاپور شهریار صمد ضیا عرفان فاروق فرامرز کاوه کمیل مسلم معین ناهید نوید وحید یاسین"
).split()
FEMALE_FA = (
    "فاطمه زهرا مریم زینب معصومه زهره سمیرا لیلا نرگس سکینه شیرین نسرین مهسا ژینا پخشان وریشه "
    "سارا سمانه مرضیه اعظم طاهره راضیه مهناز منیژه پریسا شهلا فریبا گلرخ نازنین آتنا زیبا "
    "رویا مینا نگین الهام سهیلا شهناز آمنه ژیلا گلاره شیوا سمیه هانیه فرزانه مهتاب مهری "
    "پروین اکرم اشرف صدیقه عاطفه فرشته کبری طیبه ریحانه هاجر خدیجه سکینه زلیخا گلناز"
).split()
MALE_EN = (
    "mohammad muhammad mohammed ali hossein hussein hosein hassan hasan reza mehdi mahdi ahmad ahmed mahmoud "
    "mostafa mustafa morteza mojtaba javad kazem ghasem qasem ebrahim ibrahim esmail ismail yousef yusuf "
    "abbas akbar asghar amir amin omid iman behrouz bahman bahram babak pouya peyman jamal jalal hamed "
    "hamid hamidreza davoud davood dawood rahim rahman rasoul ruhollah rouhollah saeed saeid sajjad salman "
    "saman siamak shahin shahram sadegh sadeq saleh adel abdollah abdullah abdolrahman abdulrahman "
    "abdolhamid abdolghani abdolmajid abdolrahim abdolbaset abdolvahed osman omar erfan farhad faramarz "
    "farshid fereydoun farzad kamran karim keyvan majed majid mohsen mohammadreza mohammadali "
    "mohammadhossein masoud mansour mousa musa milad naser nasser nader navid nima vahid hadi hashem "
    "abdolmalek abdulmalik naeem naim abdolrashid abdolghafour abdolsattar houshang yaser yasser yasin younes edris idris eshagh khaled zaniar loghman luqman shirko pezhman "
    "arman arsalan ayoub bashir jafar habib heydar khalil ramin zahed sohrab siavash sharif taher "
    "gholamreza gholam fuad foad ghader kamal kourosh morad manouchehr nabi nasrollah nooraddin heiman "
    "wrya hamzeh iraj eslam sina mehran abdolkarim abdolaziz jamshid arash kiumars ako hiwa kamyar behnam "
    "kaveh sirvan sirwan yadollah nourollah nurollah adnan azad shahab farid aziz khosrow dariush bijan "
    "salaheddin abolfazl amirhossein amirali amirmohammad mohammadamin mohammadjavad mohammadmehdi alireza "
    "gholamhossein behzad parviz jahangir heshmat soroush shahrokh saber taleb aref azim faraj fariborz "
    "ghorban kianoush maziar mehrdad meysam hooman houman javid daniel danial rashid salar shapour shahriar "
    "samad zia farouq faruq komeil moslem moein omid zahra ebrahim"
).split()
FEMALE_EN = (
    "fatemeh fatima zahra maryam zeinab masoumeh zohreh samira leila narges sakineh shirin nasrin mahsa "
    "jina pakhshan varisheh sara samaneh marzieh azam tahereh razieh mahnaz manijeh parisa shahla fariba "
    "golrokh nazanin atena ziba roya mina negin elham soheila shahnaz ameneh jila gelareh shiva somayeh haniyeh "
    "farzaneh mahtab mehri parvin akram ashraf sedigheh atefeh fereshteh kobra tayebeh reyhaneh hajar "
    "khadijeh zoleikha golnaz"
).split()


def _folded_re(pattern: str) -> re.Pattern[str]:
    """A pattern for folded text, its Persian letters folded as the text is («آقای» as «اقای»)."""
    return re.compile(fold_chars(pattern))


_FA_GIVEN = {fold_chars(n): "male" for n in MALE_FA} | {fold_chars(n): "female" for n in FEMALE_FA}
_EN_GIVEN = {n: "male" for n in MALE_EN} | {n: "female" for n in FEMALE_EN}

# Capitalised words that are never part of a victim's name.
_NOT_NAME = set(
    """
    iran iranian islamic republic revolutionary court supreme prison central province city
    branch judge human rights watch amnesty international organization organisation network
    kurdistan baluchestan sistan khuzestan tehran karaj the a an his her their on in at of and
    monday tuesday wednesday thursday friday saturday sunday january february march april may
    june july august september october november december ihrngo hrana hengaw khrn iranwire
    ministry intelligence guards irgc basij police forces state media mizan irna judiciary
    according he she they it but after before while this that these those when where who
    un united nations special rapporteur office news agency centre center campaign mr mrs ms
    ward solitary confinement death penalty law anti narcotics national security council
    persian kurdish baluch arab afghan turkish sunni shia baha'i bahai christian jewish muslim
    lur lor lori turk azeri azerbaijani turkmen ahvazi ahwazi gilak talysh yarsan yarsani
    nowruz norouz chaharshanbe suri yalda sizdah bedar ashura tasua muharram ramadan eid
    """.split()
)
for _city, _province, _spellings in L.CITIES:
    _NOT_NAME.update(w for sp in _spellings for w in sp.split() if sp.isascii())
for _province, _spellings in L.PROVINCES:
    _NOT_NAME.update(w for sp in _spellings for w in sp.replace("-", " ").split() if sp.isascii())
_NOT_NAME.update({"west", "east", "north", "south", "azerbaijan", "razavi", "khorasan", "gilan", "alborz"})
_NOT_NAME -= set(_EN_GIVEN)  # "Shahin Shahr" is a town, Shahin a name
_ROLE_BEFORE = re.compile(
    r"\b(?:judge|lawyer|attorney|director|spokes(?:man|person|woman)|head|chief|minister|president|"
    r"rapporteur|ayatollah|dr|prof|professor|researcher|reporter|journalist)\.?,? (?:\w+ ){0,1}$"
    r"|\b(?:from|in|near|at|village of|city of|town of|district of|county of) $",
    re.IGNORECASE,
)
_ROLE_AFTER = re.compile(
    r"^,? (?:said|says|told|added|wrote|the (?:director|head|spokes)|director|who heads|spokes|deputy|head of)",
    re.IGNORECASE,
)
# a word: "Sawari", "Al-Sawari", "Shahr-e" (hyphenated parts keep their capitals)
_EN_WORD = r"[A-Z][a-z'’]+(?:-[A-Za-z][a-z'’]*)*"
_EN_NAME = re.compile(rf"\b({_EN_WORD}(?: (?:{_EN_WORD}|al-[A-Z][a-z]+|e-[A-Z][a-z]+)){{1,3}})\b")

_FA_TOKEN = re.compile(r"[\u0620-\u064a\u066e-\u06d3\u06d5\u06fa-\u06ff]+")
_FA_STOP_WORDS = """
    و در به از که با را این آن برای تا بر پس بود شد شده است اند هم نیز یک دو سه زندان زندانی
    اعدام حکم محکوم ساله سال روز صبح امروز دیروز فرزند متهم اتهام پس از توسط طی حدود دست کم
    ماه ماهه این آن زن مرد جوان شهروند است عنوان گفت مدیر رئیس سخنگوی وکیل قاضی دادستان یکی دیگر
    تن نفر چهار پنج شش هفت هشت نه ده دو سه تنها چند هر همه هنوز نیز حتی فقط بود بودند هستند
    شد شدند کرد کردند داشت داشتند نداشت گفت گفته را هیچ کسی چیزی زیادی بسیار دیگری
    بلوچ کرد عرب ترک لر افغان اهل شهر استان روستای ماموران نیروهای گزارش منابع خبرگزاری سازمان
    سایر بقیه دیگر برخی
    اما ولی اگر چون زیرا سپس
    سحرگاه بامداد شامگاه عصر ظهر شب ظهر دیشب اعلام
    نبود نبودند نیست نیستند نشد نشدند نکرد نکردند نمی می توانست نتوانست عقل
    """
_FA_STOP = {fold_chars(w) for w in _FA_STOP_WORDS.split()}
_FA_NAMED = _folded_re(
    rf"{L.B}(?:به نام های|به نام\u200cهای|به نام|با نام|با هویت های|با هویت|به اسامی|با اسامی|(?<!احراز )(?<!شناسایی )هویت)"
    r"(?: (?:این|آن|او|وی))?(?: (?:دو|سه|چهار|پنج|شش|هفت|هشت|نه|ده|\d+))?"
    r"(?: (?:زندانی|زندانیان|زن|مرد|جوان|کولبر|شهروند|فرد|افراد|محکوم|جان باخته|جان باختگان|قربانی|قربانیان|کشته|کشته شده|سوخت بر|کولبران|سوخت بران|تن|نفر))?،? «?"
    r"([\u0620-\u064a\u066e-\u06d3 ]{3,80}?)(?=[»،,.؛:\(\n]| و | فرزند| \d| ساله| که| از | در | به | را | است| عنوان)"
)
# "X Y، ۲۹ ساله" / "X Y، زندانی ..." at a sentence start: an appositive names the person.
_FA_APPOSITIVE = re.compile(
    r"(?:^|(?<=[.:\n\-–]) ?|(?<=، )|(?<=اعدام )|(?<=قصاص )|(?<=مرگ )|(?<=زندانی ))"
    r"([\u0620-\u064a\u066e-\u06d3\u200c]+ [\u0620-\u064a\u066e-\u06d3\u200c]+)، "
    r"(?:[\u0620-\u064a\u066e-\u06d3\u200c]+ ){0,3}?(?:\d+ ساله|زندانی|شهروند|کولبر|سوخت\u200c?بر|متهم|جوان|نوجوان|"
    r"فعال|معلم|دانشجو|کارگر|تبعه|روحانی|ورزشکار|زن|مرد|پدر|مادر|عضو)(?![\u0600-\u06ff])"
)
# «فرزند محمد» gives the father's given name; «مادر/برادر X» ("X's mother") names X, who is
# a person of the story (often the victim), so kinship words do not block a name.
_FA_ROLE_BEFORE = _folded_re(
    r"(?<![\u0600-\u06ff])(?:فرزند|مدیر|رئیس|قاضی|وکیل|دادستان|سخنگوی|نماینده|خبرنگار) $"
)
_FA_UNNAMED = _folded_re(
    r"^[^.!?؟\n]{0,80}?(?:احراز نشده|مشخص نشده|مشخص نیست|اعلام نشده|نامشخص|فاش نشده|در دست نیست)"
)
_FA_MONTH_WORD = _folded_re(
    r"(?:فروردین|اردیبهشت|خرداد|تیر|مرداد|شهریور|مهر|آبان|آذر|دی|بهمن|اسفند)(?:\u200c| )?(?:ماه|\d)"
)
_FA_ROLE_AFTER = _folded_re(r"^،? (?:مدیر|رئیس|سخنگوی|وکیل|قاضی|دادستان|گفت|نماینده|خبرنگار)|^ ?ماه")


@dataclass(slots=True)
class Victim:
    """One victim (``count`` 1, with a name) or an unnamed group (``count`` people)."""

    name: str | None
    start: int
    end: int
    count: int = 1
    age: int | None = None
    age_at_offence: int | None = None
    gender: str | None = None
    ethnicity: str | None = None
    nationality: str | None = None
    religion: str | None = None
    evidence: dict[str, list] = field(default_factory=dict)
    part: bool = False  # a gendered part told apart from its group ("among them a woman")

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "count": self.count,
            "age": self.age,
            "age_at_offence": self.age_at_offence,
            "gender": self.gender,
            "ethnicity": self.ethnicity,
            "nationality": self.nationality,
            "religion": self.religion,
            "evidence": {"name" if self.name else "count": [self.start, self.end], **self.evidence},
        }


def given_gender(name: str) -> str | None:
    """Gender of the name's first given name when it is in our lists."""
    first = name.split()[0].lower() if name.split() else ""
    return _EN_GIVEN.get(first) or _FA_GIVEN.get(first.replace("\u200c", ""))


def english_names(text: str, start: int, end: int) -> list[Victim]:
    """Capitalised names in ``text[start:end]`` that are not roles, places or organisations."""
    out = []
    pending: list[Victim] = []  # capitalised pairs without a person cue of their own
    for m in _EN_NAME.finditer(text, start, end):
        words = m.group(1).split()
        # trim leading/trailing non-name words ("On Tuesday Reza Kamali" -> "Reza Kamali")
        while words and words[0].lower().strip("'’") in _NOT_NAME:
            words.pop(0)
        place = False
        while words and words[-1].lower().strip("'’") in _NOT_NAME:
            place = place or words[-1].lower() in _INSTITUTION_WORDS
            words.pop()
        if len(words) < 2 or place:  # "Ghezel Hesar Prison", "Evin Court": a place's name
            continue
        if any(w.lower() in _NOT_NAME for w in words):
            continue
        s = m.start(1) + m.group(1).index(words[0])
        name = " ".join(words)
        e = s + len(name)
        if text[s:e] != name:
            continue
        if _ROLE_BEFORE.search(text[max(0, s - 40) : s]) or _ROLE_AFTER.search(text[e : e + 30]):
            continue
        if name.endswith(("'s", "’s")):
            rel = _RELATIVE_OF.match(text, e - 2)
            if rel and re.match(r",? [A-Z]", text[rel.end() : rel.end() + 3]):
                continue  # "X's friend Y": X is named for Y's sake ("X's family were told": X)
            name, e = name[:-2], e - 2  # "Reza Zarei's execution": the victim is Reza Zarei
        after_name = bool(out) and re.fullmatch(r",? (?:and )?|, ", text[out[-1].end : s] or "x") is not None
        if words[0].lower() not in _EN_GIVEN and not after_name and not _looks_like_person(text, s, e):
            pending.append(Victim(name, s, e, gender=None))
            continue
        out.append(Victim(name, s, e, gender=None))
    # "Shaho Veisi and Hazhar Mohammadi were hanged": a pair joined to a person is one too
    for p in pending:
        if any(re.fullmatch(r",? and |, ", text[p.end : v.start]) for v in out if v.start > p.end):
            out.append(p)
    for m in _SHARED_SURNAME.finditer(text, start, end):
        given = m.group(1)
        nxt = next((v for v in out if v.start == m.end()), None)
        if nxt is None or given.lower() not in _EN_GIVEN or len(nxt.name.split()) != 2:
            continue
        if not any(v.start <= m.start(1) < v.end for v in out):
            out.append(Victim(f"{given} {nxt.name.split()[-1]}", m.start(1), m.end(1), gender=None))
    out.sort(key=lambda v: v.start)
    return out


NOT_NAME_WORDS = _NOT_NAME


def capitalised_names(text: str, start: int, end: int) -> list[str]:
    """Runs of two to four capitalised words that hold no word of ``_NOT_NAME`` (places,
    institutions, weekdays): possible names, without the cue ``english_names`` needs."""
    out = []
    for m in _EN_NAME.finditer(text, start, end):
        words = m.group(1).split()
        while words and words[0].lower().strip("'’") in _NOT_NAME:
            words.pop(0)
        if len(words) >= 2 and not any(w.lower().strip("'’") in _NOT_NAME for w in words):
            out.append(" ".join(words))
    return out


_INSTITUTION_WORDS = {
    "prison",
    "court",
    "province",
    "city",
    "ward",
    "centre",
    "center",
    "organization",
    "organisation",
    "network",
    "agency",
    "campaign",
    "ministry",
    "office",
    "council",
    "jail",
}
_RELATIVE_OF = re.compile(
    r"['’]s (?:friend|brother|sister|father|mother|son|daughter|wife|husband|lawyer|family|cousin|uncle"
    r"|aunt|nephew|niece|relative|fiancée?|colleague|cellmate|co-defendant)s?\b",
    re.IGNORECASE,
)
# "Javad and Ali Heydari": a lone given name sharing the next name's surname
_SHARED_SURNAME = re.compile(r"\b([A-Z][a-z]+) and (?=[A-Z][a-z]+ [A-Z])")


def _looks_like_person(text: str, s: int, e: int) -> bool:
    """An unknown capitalised pair is a name when a person cue is next to it."""
    before, after = text[max(0, s - 40) : s].lower(), text[e : e + 25].lower()
    return bool(
        re.search(
            r"(?:identified as|identified (?:him|her|them) as|named as|named|prisoners?|man|woman|men|women|brothers|kolbars?|of|executed|hanged|victims?"
            r"|\bthe (?:teenager|convict|defendant|accused|detainee|porter|youth|boy|girl|student|activist"
            r"|worker|farmer|cleric|father|mother|driver|victim|deceased|condemned man|condemned woman"
            r"|protester|dissident|rapper|singer|athlete|wrestler|blogger|teacher|labourer|shopkeeper)),?\s*$",
            before,
        )
        or re.match(r"^,? (?:\d{1,2}|aged|a \d|who|was|were|has been|had |an? )", after)
        or re.match(r"^ (?:hanged|executed|sentenced|flogged|lashed|killed|shot|died|dies)\b", after)
    )


# Words that never stand in a name: pronouns («آنان», "they"), the naming words themselves
# («X نام داشت»), origin words («اهل», «ساکن»). A name holding one is a reference back or a
# description, not a name; a trailing one is cut («رامین فتاحی نام داشت»).
_FA_NEVER_IN_NAME = {
    fold_chars(w)
    for w in "آنان آنها ایشان او وی اینان آن این همه هر هیچ نام اسم اهل ساکن متولد هویت هنوز هفته گذشته امسال پارسال".split()
}
# kinship words after a name («X Y پدر چهار فرزند بود»): cut from its end, never a surname
_FA_NEVER_LAST = {fold_chars(w) for w in "پدر مادر همسر برادر خواهر فرزند پسر دختر".split()}
_EN_NEVER_IN_NAME = {"they", "them", "their", "he", "she", "his", "her", "both", "all", "named", "from"}


def name_shaped(v: Victim, folded_name: str, persian: bool) -> bool:
    """A victim's name looks like a name: no pronoun, naming or origin word in it, and (after a
    trailing one is cut) at least two words, or a surname after an honorific. Trims ``v``."""
    words = folded_name.split()
    never = _FA_NEVER_IN_NAME if persian else _EN_NEVER_IN_NAME
    if not persian:
        words = [w.lower() for w in words]
    cut = len(words)
    last = _FA_NEVER_LAST if persian else set()
    while cut and (words[cut - 1] in never or words[cut - 1] in last):
        cut -= 1
    if cut == 0 or any(w in never for w in words[:cut]):
        return False
    if cut < len(words):
        kept = v.name.split()[:cut]
        v.name = " ".join(kept)
        v.end = v.start + len(v.name)
    return True


# «سارق مسلحی که ...», «مردی که ...»: an indefinite noun («ی» before a relative «که») is a
# description of someone, never a name.
_FA_INDEFINITE_THAT = _folded_re(r"ی،? که(?![\u0600-\u06ff])")


def persian_names(text: str, folded: str, start: int, end: int) -> list[Victim]:
    """Persian names in ``text[start:end]``: after «به نام» and similar, or a known given name;
    never a pronoun, an origin phrase or an indefinite description (``name_shaped``)."""
    found = _persian_names(text, folded, start, end)
    out = []
    for v in found:
        if not name_shaped(v, fold_chars(v.name), True):
            continue
        words = fold_chars(v.name).split()
        if (
            words[0] not in _FA_GIVEN
            and _FA_INDEFINITE_THAT.match(folded, v.end - 1)
            and not _FA_NAMING.search(folded, max(start, v.start - 12), v.start)
        ):
            continue
        out.append(v)
    return out


def _persian_names(text: str, folded: str, start: int, end: int) -> list[Victim]:
    out: list[Victim] = []
    seen: list[tuple[int, int]] = []
    for m in _FA_APPOSITIVE.finditer(text, start, end):
        words = fold_chars(m.group(1)).split()
        if any(w in _FA_STOP for w in words):
            continue
        s, e = m.start(1), m.end(1)
        out.append(Victim(text[s:e], s, e, gender=None))
        seen.append((s, e))
    # «شاهو ویسی سحرگاه امروز ... اعدام شد», «حکم اعدام دیاکو رسولی»: a given name not in
    # our lists, known by its place (the sentence's subject, after «حکم اعدام» or a title)
    # and a surname's shape
    for m in _FA_SUBJECT_NAME.finditer(folded, start, end):
        s, e = m.start(1), m.end(1)
        if _fa_surname_shape(folded[s:e]) and not any(a < e and s < b for a, b in seen):
            out.append(Victim(text[s:e], s, e, gender=None))
            seen.append((s, e))
    # «لغو حکم اعدام آرش بهمنی شده‌اند»: the ruling's owner is named whatever verb follows
    for m in _FA_RULING_OF.finditer(folded, start, end):
        s, e = m.start(1), m.end(1)
        if _fa_surname_shape(folded[s:e]) and not any(a < e and s < b for a, b in seen):
            out.append(Victim(text[s:e], s, e, gender=None))
            seen.append((s, e))
    for m in _FA_HONORIFIC.finditer(folded, start, end):  # «آقای کاظمی»: a surname alone
        if not any(a < m.end(1) and m.start(1) < b for a, b in seen):
            g = "female" if m.group().startswith("خانم") else "male"
            out.append(Victim(text[m.start(1) : m.end(1)], m.start(1), m.end(1), gender=g))
            seen.append((m.start(1), m.end(1)))
    if _FA_NAMING.search(folded, start, end):  # «هویت این زندانیان «X» ۳۶ ساله، «Y» ...»
        for m in _FA_QUOTED.finditer(text, start, end):
            if not any(a < m.end(1) and m.start(1) < b for a, b in seen):
                out.append(Victim(m.group(1), m.start(1), m.end(1), gender=None))
                seen.append((m.start(1), m.end(1)))
    for m in _FA_NAMED.finditer(folded, start, end):
        if _FA_UNNAMED.search(folded, m.start(), end):  # «هویت آنان ... احراز نشده است»
            continue
        parts_all = [p.strip() for p in re.split(r" و |، |,", m.group(1))]
        for k, part in enumerate(parts_all):
            if not part:
                continue
            s = m.start(1) + m.group(1).index(part)
            words = part.split()[:3]
            while words and words[-1] in _FA_STOP:
                words.pop()
            if not words or words[0] in _FA_STOP:
                continue
            name = text[s : s + len(" ".join(words))]
            if any(a < s + len(name) and s < b for a, b in seen):
                continue
            span_end = s + len(name)
            following = parts_all[k + 1].split() if k + 1 < len(parts_all) else []
            if len(words) == 1 and words[0] in _FA_GIVEN and len(following) == 2:
                name = f"{name} {following[-1]}"  # «جواد و علی حیدری»: the shared surname
            out.append(Victim(name, s, span_end, gender=None))
            seen.append((s, span_end))
    words = _fa_words(text, folded, start, end)
    i = 0
    while i < len(words):
        ws, we, parts = words[i]
        place = len(parts) > 1 and parts[-1] in ("آباد", "اباد", "شهر")
        after_place_word = re.search(
            r"(?:زندان|شهر|شهرستان|استان|روستای|اهل|ساکن|بخش) $", folded[max(0, ws - 12) : ws]
        )
        month = _FA_MONTH_WORD.match(folded, ws)  # «بهمن‌ماه»: a month, not the name Bahman
        if (
            (parts[0] in _FA_GIVEN or "".join(parts) in _FA_GIVEN)
            and not place
            and not after_place_word
            and not month
        ):
            j = i + 1
            while j < len(words) and j < i + 3 and _surname_like(words[j], text, words[j - 1][1]):
                j += 1
            # "«حسین کارگر بود»": a word followed by a verb is a predicate, not a surname
            while j > i + 1 and _FA_VERB_AFTER.match(folded, words[j - 1][1]):
                j -= 1
            if j > i + 1:
                s, e = ws, words[j - 1][1]
                if (
                    "".join(words[i + 1][2]) in _SURNAME_TAILS
                    and i > 0
                    and _surname_like(words[i], text, words[i - 1][1])
                ):
                    prev = "".join(words[i - 1][2])
                    ps = words[i - 1][0]
                    opens = ps == start or re.search(r"[،,.:؛«\n\-–]\s*$", folded[max(0, ps - 3) : ps])
                    after_stop = i > 1 and "".join(words[i - 2][2]) in _FA_STOP
                    if (
                        prev not in _FA_STOP
                        and (opens or after_stop)
                        and not _FA_MONTH_WORD.match(folded, ps)
                    ):
                        s = ps
                role = _FA_ROLE_BEFORE.search(folded[max(0, s - 12) : s]) or _FA_ROLE_AFTER.search(
                    folded[e : e + 12]
                )
                if not role and not any(a < e and s < b for a, b in seen):
                    out.append(Victim(text[s:e], s, e, gender=None))
                    seen.append((s, e))
                i = j
                continue
        i += 1
    for v in list(out):  # «جواد و علی حیدری»: a lone given name sharing the next one's surname
        parts = v.name.split()
        m = _FA_GIVEN_AND.search(folded, max(start, v.start - 20), v.start)
        if len(parts) == 2 and m and m.group(1) in _FA_GIVEN:
            full = f"{text[m.start(1) : m.end(1)]} {parts[1]}"
            lone = next((w for w in out if (w.start, w.end) == (m.start(1), m.end(1))), None)
            if lone is not None:
                lone.name = full  # found alone after «به نام‌های»
            elif not any(a <= m.start(1) < b for a, b in seen):
                out.append(Victim(full, m.start(1), m.end(1), gender=None))
                seen.append((m.start(1), m.end(1)))
    for v in list(out):
        m = _FA_AND_NAME.match(text, v.end) or _FA_AND_SHAPED.match(text, v.end)
        if m is not None and m.re is _FA_AND_SHAPED and not _fa_surname_shape(fold_chars(m.group(1))):
            m = None
        if m and m.end(1) <= end and not any(a < m.end(1) and m.start(1) < b for a, b in seen):
            out.append(Victim(m.group(1), m.start(1), m.end(1), gender=None))
            seen.append((m.start(1), m.end(1)))
    _fa_structural(text, folded, start, end, out, seen)
    out.sort(key=lambda v: v.start)
    return out


_FA_PAIR = r"(?<![\u0600-\u06ff\u200c])([\u0620-\u064a\u066e-\u06d3]+(?:\u200c[\u0620-\u064a\u066e-\u06d3]+)? [\u0620-\u064a\u066e-\u06d3]+(?:\u200c[\u0620-\u064a\u066e-\u06d3]+)?)"
# «کوروش عباس‌پور ۳۵ ساله», «X Y، ۲۸ ساله», «X Y، زندانی سیاسی ...»: an age or a person's noun in
# apposition names the pair before it, wherever the pair stands in its sentence
_FA_PAIR_AGE = re.compile(_FA_PAIR + r"(?:،)? (?:[\d۰-۹]+) ?ساله(?![\u0600-\u06ff])")
_FA_PAIR_APPOSED = re.compile(
    _FA_PAIR
    + r"، (?:[\u0620-\u064a\u066e-\u06d3\u200c]+ ){0,2}?(?:زندانی|شهروند|کولبر|متهم|نوجوان|فعال|معلم|"
    r"دانشجو|کارگر|تبعه|روحانی|دختر|پسر)(?![\u0600-\u06ff])"
)
# «احسان رستمی، میلاد فراهانی و سپهر قاسمی»: a pair listed with a name («، » or « و ») is one
_FA_PAIR_LISTED = re.compile(_FA_PAIR + r"(?:، | و )$")


# where a list of names opens: a sentence or clause start, «و», or a ruling's or a naming word
_FA_LIST_OPENS = re.compile(
    r"(?:^|[،,.:؛«\n]|(?<![\u0600-\u06ff])(?:و|اعدام|اعدام های|قصاص|احکام|حکم|زندانیان|نام های|اسامی))\s*$"
)
_FA_PREPOSITION_BEFORE = re.compile(r"(?<![\u0600-\u06ff])(?:در|از|با|تا|بر) $")
_FA_HONORIFIC_WORDS = {fold_chars(w).replace("\u200c", "") for w in "آقای خانم سید حاج مولوی ماموستا".split()}
_FA_INSTITUTION_FIRST = {fold_chars(w) for w in "سازمان حقوق نهاد کانون انجمن مجمع جمعیت".split()}


def _fa_pair_ok(folded_pair: str, listed: bool = False) -> bool:
    words = folded_pair.replace("\u200c", "").split()
    if len(words) != 2 or any(w in _FA_NEVER_IN_NAME or w in _FA_NEVER_LAST for w in words):
        return False
    if words[0] in _FA_HONORIFIC_WORDS or words[0] in _FA_INSTITUTION_FIRST:
        return False
    if words[1].endswith("ان") and words[0] not in _FA_GIVEN:
        return False  # «شکایت شاکیان»: a plural noun, not a surname in «یان»
    if words[0] in _FA_GIVEN or _fa_surname_shape(" ".join(words)):
        return True
    # listed with a name («X، Y و Z»), a pair of words is a name unless a stop word or a
    # noun of institutions or people opens it (a surname needs no known ending there)
    first, second = words
    return (
        listed
        and first not in _FA_STOP
        and first not in _FA_NOT_GIVEN
        and second not in _FA_STOP
        and len(second) >= 3
        and not (first.endswith(("ها", "های")) or second.endswith(("ها", "های")))
    )


def _fa_structural(text: str, folded: str, start: int, end: int, out: list, seen: list) -> None:
    """Persian names known by their place in the sentence, not by a list of given names: an
    age or a person's noun in apposition, or a place in a list with a name already found.
    The pair must have a name's shape (a surname's ending or a known given name; no noun of
    institutions or people first)."""

    # the folded text with its ZWNJs back («بهرامی‌پور» is one word; folding made it two)
    joined = folded[:start] + "".join(
        "\u200c" if t == "\u200c" else f for t, f in zip(text[start:end], folded[start:end], strict=True)
    )

    def add(s: int, e: int, listed: bool = False) -> bool:
        if not _fa_pair_ok(joined[s:e], listed):
            return False
        if _FA_ROLE_BEFORE.search(folded[max(0, s - 12) : s]) or _FA_MONTH_WORD.match(folded, s):
            return False
        if _FA_PREPOSITION_BEFORE.search(folded[max(0, s - 4) : s]):
            return False  # «در سلول انفرادی، ...»: a place after a preposition
        inside = [v for v in out if v.start < e and s < v.end]
        if any(v.start < s or v.end > e or " " in v.name for v in inside):
            return False  # a name found already overlaps it: that one stands
        for v in inside:  # «عباس‌پور» found alone: the pair «کوروش عباس‌پور» is the name
            out.remove(v)
        seen[:] = [(a, b) for a, b in seen if not (s <= a and b <= e)]
        out.append(Victim(text[s:e], s, e, gender=None))
        seen.append((s, e))
        return True

    for rx in (_FA_PAIR_AGE, _FA_PAIR_APPOSED):
        for m in rx.finditer(joined, start, end):
            add(m.start(1), m.end(1))
    grown = True
    while grown:
        grown = False
        for v in list(out):
            m = _FA_PAIR_LISTED.search(joined, max(start, v.start - 40), v.start)
            opens = m is not None and (
                m.start(1) == start or _FA_LIST_OPENS.search(joined[max(start, m.start(1) - 30) : m.start(1)])
            )
            if opens and add(m.start(1), m.end(1), listed=True):
                grown = True


# «حسین پور», «علی زاده»: a given name with these after it is the first half of a surname
_SURNAME_TAILS = {fold_chars(w) for w in ("پور", "زاده", "نژاد", "زادە")}
_FA_GIVEN_AND = re.compile(r"(?<![\u0600-\u06ff])([\u0620-\u064a\u066e-\u06d3]+) و $")
_FA_VERB_AFTER = _folded_re(r" (?:بود|بودند|است|هست|شد|شدند|کرد|کردند|بوده|شده)(?![\u0600-\u06ff])")
_FA_HONORIFIC = _folded_re(
    r"(?<![\u0600-\u06ff])(?:آقای|خانم) ([\u0620-\u064a\u066e-\u06d3]{3,}(?: زاده| پور)?)(?![\u0600-\u06ff])"
)
_FA_NAMING = _folded_re(rf"{L.B}(?:هویت|به نام|با نام|اسامی|نام های)")
_FA_QUOTED = re.compile(
    r"«([\u0620-\u064a\u066e-\u06d3\u200c]+(?: [\u0620-\u064a\u066e-\u06d3\u200c]+){1,2})»(?= ?[\d۰-۹]+ ?ساله|،| و |\s*$| \()"
)
# "X Y و Z W، ..." / "X Y و Z W ۲۹ ساله": the second of two named people.
_FA_W = r"[\u0620-\u064a\u066e-\u06d3]+"
_FA_TIME_AFTER = r"(?:سحرگاه|صبح|بامداد|روز|امروز|دیروز|شامگاه|عصر|ظهر|شب|نیز|هم)"
_FA_SUBJECT_NAME = _folded_re(
    rf"(?:^|(?<=[.:!؟\n]) ?|(?<=[.:!؟\n] )|(?<=حکم اعدام )|(?<=حکم قصاص )|(?<=حکم قصاص نفس )|(?<=حکم شلاق )"
    rf"|(?<=ماموستا )|(?<=مولوی )|(?<=زندانی سیاسی )|(?<=زندانی )|(?<=به نام )|(?<=، )"
    rf"|(?<=شنبه )|(?<=جمعه )|(?<=امروز )|(?<=دیروز )|(?<=اعلام کرد )|(?<=خبر داد )|(?<=گزارش داد )|(?<=گفت ))"
    rf"({_FA_W} {_FA_W})(?= (?:{_FA_TIME_AFTER}|و|،|در|که|\d+ ساله)(?![\u0600-\u06ff])|،)"
)
_FA_RULING_OF = _folded_re(
    rf"(?<![\u0600-\u06ff])حکم (?:اعدام|قصاص|شلاق|قطع انگشتان|قطع دست) ({_FA_W} {_FA_W})(?![\u0600-\u06ff])"
)
_FA_AND_SHAPED = re.compile(
    rf"(?:،? \d+ ساله)?(?:،)? و ({_FA_W} {_FA_W})(?= {_FA_TIME_AFTER}(?![\u0600-\u06ff])| در )"
)
_SURNAME_ENDINGS = tuple(fold_chars(w) for w in ("ی", "پور", "زاده", "نژاد", "یان", "وند", "لو", "فر", "زهی"))
# Nouns that open a sentence with an adjective in «ی» («نیروهای امنیتی», «دادگاه انقلاب»):
# never a given name.
_FA_NOT_GIVEN = {
    fold_chars(w)
    for w in """
    نیروهای نیروی ماموران مأموران مقامات منابع زندانیان زندانی زندان دادگاه دیوان قوه سازمان
    شبکه کمپین خبرگزاری رسانه رسانه‌های مرکز دفتر رئیس دادستان وکیل خانواده خانواده‌های مادر پدر
    همسر برادر خواهر فرزند فعالان فعال گروه گزارشگران گزارش نهاد نهادهای وزارت اداره پلیس سپاه
    شعبه حکم احکام اجرای اعدام مجازات کولبر کولبران سوخت‌بران شهروند شهروندان معترضان جوان
    مردم اهالی روستای شهر استان کشور جمهوری حکومت نظام مسئولان مسئول سخنگوی دبیر کارشناسان
    جزای کارگر کارگران کارمند راننده دانشجوی دانشجو معلم کشاورز فروشنده مامور مأمور نماینده قاضی
    بازپرس ضربه اتهام پرونده جرم جرائم مواد سلاح ماده قانون دستگاه بیمارستان مرز منطقه جاده خودرو
    حبس تبعید مصادره محرومیت جریمه زن مرد دختر پسر کودک نوجوان سال ماه روز هفته شب
    نوکیش روحانی شاعر نویسنده خواننده ورزشکار قهرمان کشتی‌گیر هنرمند وکلای فعالان روزنامه‌نگار
    """.split()
}


def _fa_surname_shape(pair: str) -> bool:
    """«شاهو ویسی»: two words, the second with a surname's ending, the first no stop word,
    noun of institutions or people, month or number."""
    words = pair.split()
    if len(words) != 2:
        return False
    first, second = words
    if (
        first in _FA_STOP
        or first in _FA_NOT_GIVEN
        or second in _FA_STOP
        or _FA_MONTH_WORD.match(first + " ماه")
    ):
        return False
    if first.endswith(("ها", "های", "ان")) and first not in _FA_GIVEN:
        return False  # a plural noun («مأموران»), not a given name
    if any(
        next(L.scan_span(rx, pair, len(first) + 1, len(pair)), None) for _, rx in (*L.ETHNICITY, *L.RELIGION)
    ):
        return False  # «نوکیش مسیحی», «فعال بلوچ»: a description, not a surname
    return len(second) >= 4 and second.endswith(_SURNAME_ENDINGS)


_FA_AND_NAME = re.compile(
    r"(?:،? \d+ ساله)?(?:،)? و ([\u0620-\u064a\u066e-\u06d3\u200c]+ [\u0620-\u064a\u066e-\u06d3\u200c]+)(?=، | \d+ ساله| \()"
)


def _fa_words(text: str, folded: str, start: int, end: int) -> list[tuple[int, int, list[str]]]:
    """Written words: letter runs joined by ZWNJ in the stored text («کریم‌زاده» is one)."""
    out: list[tuple[int, int, list[str]]] = []
    for m in _FA_TOKEN.finditer(folded, start, end):
        if out and text[out[-1][1] : m.start()] == "\u200c":
            s, _, parts = out[-1]
            out[-1] = (s, m.end(), parts + [m.group()])
        else:
            out.append((m.start(), m.end(), [m.group()]))
    return out


def _surname_like(word: tuple[int, int, list[str]], text: str, prev_end: int) -> bool:
    start, _, parts = word
    if text[prev_end:start] != " ":
        return False
    w = "".join(parts)
    return parts[0] not in _FA_STOP and w not in _FA_STOP and len(w) >= 2 and not w.isdigit()


_COUNT_EN = re.compile(
    rf"\b(\d+|{'|'.join(L.NUMBER_WORDS_EN)})(?: other)?(?: (?!of\b|and\b)[a-z\-]+){{0,2}}? ({L.VICTIM_NOUNS_EN})\b"
)
_COUNT_FA = _folded_re(
    rf"{L.B}(\d+|{'|'.join(L.NUMBER_WORDS_FA)}) (?!ساله)(?!ها{L.E}|های{L.E})(?:[\u0620-\u064a\u066e-\u06d3]+ )?({L.VICTIM_NOUNS_FA}){L.E}"
)
_PLURAL_FA = re.compile(r"(?:ان|ها|های)$")


# "bringing the number hanged there this week to at least six", «شمار اعدام‌ها ... به شش نفر
# رسید»: a running tally, not a group
_TALLY_BEFORE = re.compile(
    r"\b(?:number|total|toll|tally|count)\b[^.]{0,80}?\bto (?:at least |more than |some )?$"
    r"|(?<![\u0600-\u06ff])(?:شمار|تعداد|آمار)(?![\u0600-\u06ff])[^.]{0,80}?(?<![\u0600-\u06ff])به (?:دست ?کم |حداقل |بیش از )?$"
)
# "carried out four more executions on Thursday": a count of acts is a count of people
_COUNT_ACTS_EN = re.compile(
    rf"\b(\d+|{'|'.join(L.NUMBER_WORDS_EN)})(?: more| other)? (executions|hangings)\b"
)


def counted_groups(folded: str, start: int, end: int) -> list[Victim]:
    """Unnamed groups: "three men", "a prisoner", «سه زندانی», «دو مرد», "four executions"."""
    out = []
    for rx, words in (
        (_COUNT_EN, L.NUMBER_WORDS_EN),
        (_COUNT_FA, L.NUMBER_WORDS_FA),
        (_COUNT_ACTS_EN, L.NUMBER_WORDS_EN),
    ):
        for m in rx.finditer(folded, start, end):
            if _TALLY_BEFORE.search(folded, max(start, m.start() - 100), m.start()):
                continue
            if rx is _COUNT_ACTS_EN and any(g.start <= m.start() < g.end for g in out):
                continue
            raw = m.group(1)
            n = int(raw) if raw.isdigit() else words[raw]
            if n < 1 or n > 200:
                continue
            noun = m.group(2)
            if rx is _COUNT_EN and n == 1 and noun.endswith("s") and noun not in ("persons",):
                continue
            if rx is _COUNT_EN and noun in ("years", "months"):
                continue
            gender = None
            # the whole noun: «زندانی» holds «زن» and is not a woman
            if re.fullmatch(r"wom[ae]n|girls?|زن|زنان|دختر|دختران", noun):
                gender = "female"
            elif re.fullmatch(r"m[ae]n|boys?|brothers?|مرد|مردان|پسر|پسران|برادر|برادران", noun):
                gender = "male"
            off = _OFFENCE_OBJECT.search(folded, max(0, m.start() - 40), m.start())
            if off and not _ACT_PARTICIPLE.search(folded, max(0, off.start() - 3), off.start() + 1):
                continue  # "convicted of assaulting a young woman": the offence's victim
            # (", killing three men": the participle of the act told before, its victims)
            if _SUBSET_BEFORE.search(folded[max(0, m.start() - 20) : m.start()]):
                # "five prisoners, including an Afghan national": part of the five; "six
                # prisoners, among them a woman": the woman is told apart from the five men
                whole = next((g for g in reversed(out) if g.count > n and g.gender is None), None)
                if gender is not None and whole is not None:
                    whole.count -= n
                    out.append(Victim(None, m.start(), m.end(), count=n, gender=gender, part=True))
                continue
            if _PART_OF.match(folded, m.end()):
                continue  # «دو تن از ۹ زندانی», "two of the nine men": the nine are the group
            out.append(Victim(None, m.start(), m.end(), count=n, gender=gender))
    return out


_ACT_PARTICIPLE = re.compile(r",\s*[a-z]$")
_OFFENCE_OBJECT = _folded_re(
    r"\b(?:killing|murdering|stabbing|assaulting|raping|abducting|kidnapping|attacking|robbing|beating|injuring"
    r"|shooting|strangling|poisoning)(?: and (?:[a-z]+ )?[a-z]+ing)? $"
    r"|(?<![\u0600-\u06ff])(?:قتل|ربودن|آدم ربایی|تجاوز به|آزار|به قتل رساندن|ضرب و جرح|چاقو زدن به)(?: (?:عنف )?به)? $"
)
_PART_OF = _folded_re(
    r" (?:(?:تن|نفر) )?از (?:(?:این|آن|میان) )?\d+|(?: [a-z]+)? of (?:the |those |these )?(?:\d+|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\b"
)
_SUBSET_BEFORE = _folded_re(
    r"(?:\bincluding|\bamong them|\bof whom|\bone of them|از جمله|که از میان آنان|یکی از) $"
)


_AGE_EN = re.compile(r"(?:,\s*|\(|aged\s+)(\d{1,2})(?:,|\)|\b)|\b(\d{1,2})-year-old\b|\bage of (\d{1,2})\b")
_AGE_FA = _folded_re(r"(?<!\d)(\d{1,2}) ?ساله")
_AGE_OFFENCE = _folded_re(
    r"(?:(?:was|were|aged|just|only) (\d{1,2}) (?:years old )?(?:at the time|when)|at the age of (\d{1,2}) (?:at the time|when)"
    r"|(?:در زمان|هنگام) (?:وقوع|ارتکاب)? ?(?:جرم|جنایت|حادثه|بازداشت)[^.]{0,30}?(\d{1,2}) ?(?:سال|ساله)"
    r"|در (\d{1,2}) سالگی|(\d{1,2}) years old at the time|aged (\d{1,2}) at the time)"
)


def fill_details(
    victim: Victim, text: str, folded: str, own: tuple[int, int], trigger: tuple[int, int]
) -> None:
    """Age, age at offence, gender, ethnicity, nationality and religion, as the text states
    them: next to the victim in its own sentence, else (for a group's description, "two
    Kurdish men") in the sentence that reports the event."""
    lo, hi = own
    after = (victim.end, min(hi, victim.end + 40))
    near = (max(lo, victim.start - 80), min(hi, victim.end + 120))
    for rx in (_AGE_EN, _AGE_FA):
        m = rx.search(folded, after[0], after[1]) or rx.search(
            folded, max(lo, victim.start - 25), victim.start
        )
        if m:
            value = next(int(g) for g in m.groups() if g)
            if 12 <= value <= 95:
                victim.age = value
                victim.evidence["age"] = [m.start(), m.end()]
                break
    m = _AGE_OFFENCE.search(folded, near[0], near[1])
    if m:
        victim.age_at_offence = next(int(g) for g in m.groups() if g)
        victim.evidence["age_at_offence"] = [m.start(), m.end()]
    spans = [near, trigger] if trigger != own else [near]
    if victim.gender is None:
        # his/her also in the next sentence ("X, 52, ... His family said ...")
        follow = (lo, min(len(folded), hi + 200))
        _first(
            victim, "gender", (("female", L.GENDER_FEMALE), ("male", L.GENDER_MALE)), folded, [*spans, follow]
        )
    for attr, table in (("ethnicity", L.ETHNICITY), ("nationality", L.NATIONALITY), ("religion", L.RELIGION)):
        _first(victim, attr, table, folded, spans)
    if victim.nationality == "Afghan" and victim.ethnicity is None:
        victim.ethnicity = "Afghan"  # monitors count Afghan nationals with the ethnic groups
        victim.evidence["ethnicity"] = victim.evidence["nationality"]


def _first(victim: Victim, attr: str, table, folded: str, spans) -> None:
    """The table value found nearest the victim in the first span that has one."""
    for lo, hi in spans:
        best = None
        for value, rx in table:
            for m in L.scan_span(rx, folded, lo, hi):
                if best is None or abs(m.start() - victim.start) < abs(best[1].start() - victim.start):
                    best = (value, m)
        if best:
            setattr(victim, attr, best[0])
            victim.evidence[attr] = [best[1].start(), best[1].end()]
            return


def details_elsewhere(victim: Victim, text: str, folded: str, sentences: list[tuple[int, int]]) -> None:
    """Fill the age ``victim`` lacks from the other places the article writes the same name
    ("... the death sentence of Reza X." then "Reza X, 29, was arrested ...")."""
    if not victim.name or len(victim.name) < 5:
        return
    attrs = ("age", "age_at_offence")  # written next to the name; the rest is read near the event
    for written in dict.fromkeys([victim.name, victim.name.split()[-1]]):
        if len(written) >= 4:
            _details_of(victim, written, text, folded, sentences, attrs)


def _details_of(victim: Victim, written: str, text: str, folded: str, sentences, attrs) -> None:
    """``details_elsewhere`` for one written form (the full name, or the surname alone:
    "Hiwa Qaderi was executed ... Qaderi, 36, had been ...")."""
    pos = text.find(written)
    while pos != -1 and any(getattr(victim, a) is None for a in attrs):
        end = pos + len(written)
        whole_word = not (text[end : end + 1].isalnum() or (pos > 0 and text[pos - 1].isalnum()))
        if pos != victim.start and whole_word:
            own = next(((a, b) for a, b in sentences if a <= pos < b), None)
            if own is not None:
                other = Victim(victim.name, pos, end)
                fill_details(other, text, folded, own, own)
                for a in attrs:
                    if getattr(victim, a) is None and getattr(other, a) is not None:
                        setattr(victim, a, getattr(other, a))
                        victim.evidence[a] = other.evidence[a]
        pos = text.find(written, pos + 1)


# --- people of the article: a pair of words told again is a person's name ---------------------

_EN_CAND = re.compile(rf"\b{_EN_WORD}(?: {_EN_WORD}){{1,2}}\b")


def _role_context(text: str, s: int, e: int, persian: bool) -> bool:
    if persian:
        folded = fold_chars(text[max(0, s - 12) : e + 12])
        k = min(12, s)
        return bool(_FA_ROLE_BEFORE.search(folded[:k]) or _FA_ROLE_AFTER.search(folded[k + e - s :]))
    return bool(_ROLE_BEFORE.search(text[max(0, s - 40) : s]) or _ROLE_AFTER.search(text[e : e + 30]))


def _word_count(haystack: str, word: str, persian: bool) -> int:
    edge = r"[\u0600-\u06ff\u200c]" if persian else r"[\w'’-]"
    return len(re.findall(rf"(?<!{edge}){re.escape(word)}(?!{edge})", haystack))


def article_names(text: str, title: str, persian: bool) -> list[str]:
    """Names of people in the article (title and text), known by repetition rather than by a
    list of given names: a pair (or triple) of name-shaped words whose surname is told again
    on its own ("Shilan Mahmoudi ... Ms Mahmoudi"), or that is told twice (the headline and
    the lead). Never a place, institution or role ("Judge X", "X said"). English only: in
    Persian, where adjectives end like surnames («سلول انفرادی»), repetition is no cue."""
    whole = f"{title}\n{text}" if title else text
    out: list[str] = []
    if persian:
        return out  # Persian names are known by apposition and coordination (_fa_structural)
    cands: list[str] = []
    for m in _EN_CAND.finditer(whole):
        words = m.group().split()
        while words and words[0].lower().strip("'’") in _NOT_NAME:
            words.pop(0)
        while words and words[-1].lower().strip("'’") in _NOT_NAME:
            words.pop()
        if len(words) < 2 or any(w.lower().strip("'’") in _NOT_NAME for w in words):
            continue
        if any(re.search(r"['’]s$", w) for w in words[:-1]):
            continue  # "Israel's Mossad": an owner and its thing, not a name
        if any(w.lower() in L.NUMBER_WORDS_EN or w.lower().removesuffix("s") in _NOT_NAME for w in words):
            continue  # "Two Afghans", "Kurds": a count or a people, not a name
        words[-1] = re.sub(r"['’]s$", "", words[-1])
        name = " ".join(words)
        if name not in cands:
            cands.append(name)
    for name in cands:
        if any(other != name and other.startswith(name + " ") for other in cands):
            continue  # "Hossein Ali" inside "Hossein Ali Jahanbin"
        words = name.split()
        told = _word_count(whole, name, False)
        surname_alone = _word_count(whole, words[-1], False) - told
        # "Hossein Ali was executed ... Hossein Ali Jahanbin, 27": the given names told alone
        given_alone = len(words) >= 3 and _word_count(whole, " ".join(words[:-1]), False) > told
        if not (told >= 2 or surname_alone >= 1 or given_alone):
            continue
        spans = [(m.start(), m.end()) for m in re.finditer(re.escape(name), whole)]
        if any(_role_context(whole, s, e, False) for s, e in spans):
            continue
        if any(
            re.match(
                r"^ (?:[A-Z][a-z]+ )?(?:Prison|Court|Province|Street|Square|Centre|Center|Network|Organi[sz]ation|Agency|Campaign)\b",
                whole[e : e + 30],
            )
            for _, e in spans
        ):
            continue
        out.append(name)
    return out
