"""Line rules for wire stories: page chrome and boilerplate, credit lines, headline lines.

Each rule looks at one line (a paragraph) and says what it is: page chrome (share widgets, prompts, captions,
read-more links), a credit line ("Reporting by …; Editing by …", a byline), the page's headline again, or a
line shaped like a headline. Used by the story cleaner (transforms/clean/story.py) and the article page
extractor (transforms/article/page.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from transforms.clean.text import comparison_key

__all__ = [
    "byline_names",
    "column_byline",
    "is_chrome_line",
    "is_credit_line",
    "is_link_only",
    "looks_like_headline",
    "same_headline",
    "split_off_credit",
]


# --------------------------------------------------------------------------------------------------------------
# Boilerplate and credit lines
# --------------------------------------------------------------------------------------------------------------

_BULLET = r"(?:[•·▪●◦‣∙*>»|-]\s*)?"
# Whole-line page chrome (matched on a stripped line, case-insensitive).
_CHROME_LINE_RE = re.compile(
    _BULLET + r"(?:"
    r"\d+\s*:\s*\d+"  # share counter "0 : 0"
    # responsive-layout breakpoint labels, "narrow-browser-and-phone"
    r"|(?:narrow|medium|wide|landscape|portrait|above|below|phone|tablet|browser|desktop|mobile|and|larger|"
    r"smaller)(?:-(?:narrow|medium|wide|landscape|portrait|above|below|phone|tablet|browser|desktop|mobile|and|"
    r"larger|smaller))+"
    r"|advertisements?|advertising|anzeige|publicidad|publicité|pubblicità|reklama|mainos|sponsored(?: content)?"
    r"|(?:story|article) continues below(?: advertisement)?|continue reading(?: below| the main story)?"
    r"|scroll (?:down )?to continue(?: with content)?|skip (?:to )?(?:main )?content|skip advert(?:isement)?"
    r"|read (?:more|next|also|the full (?:story|article))|see also|also read|more on this(?: story)?"
    r"|related(?: coverage| stories| articles| content| news| topics| links| video)?|recommended(?: for you)?"
    r"|most (?:read|popular|viewed|shared)|trending(?: now| stories)?|top stories|latest news|more stories"
    r"|\d+\s*min(?:ute)?s?\s*read|\d+\s*min\.?"
    r"|share(?: this)?(?: article| story| page| on)?|(?:share|follow) (?:on|via) \w+|print(?: this)?(?: article)?"
    r"|(?:(?:facebook|twitter|x|whatsapp|linkedin|pinterest|reddit|telegram|e-?mail|copy link|print|flipboard"
    r"|messenger)\s*[|,/]?\s*){1,8}"
    r"|comments?|\d+ comments?|(?:write|leave|post|add|show|view|load) (?:a |all |more )?comments?"
    r"|sign in|log in|sign up|subscribe(?: now)?|register|log in to comment|back to top|click here"
    r"|(?:image|photo|video|picture|photograph|graphic|illustration)s?(?: credit)?"
    r"|all rights reserved\.?|(?:©|\(c\)|copyright)\s.{0,80}"
    r"|_{3,}|-{3,}|\*{3,}|={3,}"
    r")[.:!]?",
    re.IGNORECASE,
)
# Lines opening with a "read this too" marker in the languages of the wire services' markets.
_READ_MORE_PREFIX_RE = re.compile(
    r"(?:read more|read also|also read|see also|related(?: coverage| stories)?|recommended|more on this"
    r"|lesen sie (?:auch|hier|mehr)|mehr zum thema|weitere informationen|auch interessant|das könnte sie"
    r"|lea también|lee también|le puede interesar|te puede interesar|puede interesarle|más sobre|ver también"
    r"|lire aussi|à lire aussi|a lire aussi|voir aussi|leggi anche|vedi anche|leia também|veja também"
    r"|czytaj (?:też|także|więcej)|zobacz (?:też|także)|dowiedz się więcej|lue myös|läs (?:också|mer)"
    r"|les også|lees ook|bekijk ook)\b"
    # a separator right after the marker, or a short lead-in ending in a colon, or nothing else on a short line
    r"(?:\s*[:»>|-]|[^.!?]{0,80}:$|[^.!?:]{0,50}$)",
    re.IGNORECASE,
)
# Weaker markers ("MORE: ...", "WATCH: ...") count only on a short line that is not a sentence.
_WEAK_PREFIX_RE = re.compile(r"(?:more|watch|video|listen|podcast|gallery|photos|live)\s*:", re.IGNORECASE)
_WEAK_PREFIX_MAX = 150
# Short lines that are a prompt: newsletter and sign-up boxes, cookie banners, app and paywall notices.
_PROMPT_RE = re.compile(
    r"newsletter|(?:sign(?:ing)?[ -]up|subscribe|register|log ?in|sign in|click|tap)\b.{0,40}\b(?:here|now|today|"
    r"free|for free|to (?:read|continue|get|receive|comment))\b|we use cookies|(?:site|website) uses cookies"
    r"|accept (?:all )?cookies|cookie (?:policy|settings|preferences)|letters? to the editor|write to us at"
    r"|free trial|download (?:the|our) app|follow us on|enable javascript|your browser (?:does|is)"
    r"|ad[- ]?blocker|privacy (?:policy|settings)|(?:listen|follow|subscribe) (?:on|via) (?:apple|spotify|google)"
    r"|listen on the \w+ app"
    r"|never miss|don'?t miss (?:a|our|the)|already (?:a )?subscriber|support (?:our|independent) journalism"
    r"|to continue reading|you have reached your|unlimited (?:digital )?access",
)
# Substrings one of which every prompt above contains: cheap `in` tests spare most lines the regex.
_PROMPT_TRIGGERS = (
    "newsletter",
    "sign",
    "subscri",
    "regist",
    "log",
    "click",
    "tap",
    "cookie",
    "editor",
    "write to us",
    "trial",
    "app",
    "follow",
    "javascript",
    "browser",
    "block",
    "privacy",
    "listen",
    "miss",
    "journalism",
    "continue",
    "reached",
    "access",
)
_PROMPT_WITH_NEWSLETTER_RE = re.compile(
    r"sign|subscri|suscri|abonn|inbox|e-?mail|free|get|receive|deliver|regist|anmeld"
)
_PROMPT_MAX = 240
# Promo lines the wire services and outlets put in the story text: column and podcast promos, follow-us and
# sign-up lines, the "Filed <date>" stamps of photo essays. Matched at the start of the lowercased line, which may
# open with a connective ("And listen to …", "But first, …", "And before you read on, don't forget to …").
_PROMO_RE = re.compile(
    r"(?:(?:and|but|plus|also)[, ]+)?(?:(?:first|before you (?:read|go) on|meanwhile)[, ]+)?(?:"
    r"enjoying this (?:column|article|story|newsletter|piece|report|briefing)\?"
    r"|(?:listen|tune in) to (?:the |our |my |this )?(?:latest )?(?:episode of )?[\w'’&. -]{0,60}\bpodcast\b"
    r"|(?:don'?t forget to )?sign up (?:for|to) [^.]{0,80}\b(?:webinar|newsletter|podcast|briefing)\b"
    r"|follow [\w'’&. -]{1,40} on (?:linkedin|x|twitter|facebook|instagram|threads|bluesky|youtube|tiktok)\b"
    r"|filed:? (?:on )?(?:[a-z]{3,9}\.? \d{1,2},? \d{4}|\d{1,2} [a-z]{3,9}\.? \d{4})"
    r"(?:,? (?:at )?\d{1,2}[:.]\d{2}(?: ?[ap]\.?m\.?)?(?: [a-z]{2,5})?)?\.?$"
    # a content notice above the story: "WARNING - distressing content", "Warning: graphic images"
    r"|warning\s*[-:–—]\s*[\w ]{0,30}\b(?:distressing|graphic|disturbing|upsetting)\b[\w ]{0,30}[.!]?$"
    r")"
)
_PROMO_TRIGGERS = ("enjoying", "podcast", "sign up", "follow", "filed", "warning")
# A short promo paragraph ends in its call to action: "… join us for a webinar on May 30. Click here to sign up."
_PROMO_TAIL_RE = re.compile(r"[.!?\"”]\s+(?:click|tap) here to (?:sign up|register|subscribe|listen|watch)\W{0,3}$")
_PROMO_MAX = 400
_ITEM_SEP_RE = re.compile(r"\s*[•·▪●|]\s*|\s{2,}")
_ITEM_SEPS = ("•", "·", "▪", "●", "|", "  ")
# Photo credits alone on a line: "Photo: Jane Doe/Reuters", "(Image courtesy of NASA)".
_PHOTO_CREDIT_RE = re.compile(
    r"\(?\s*(?:(?:photo|image|picture|photograph|foto|fotografía|bild|credit|crédito|illustration|graphic)s?"
    r"(?: credit)?\s*[:/|]|(?:photo|image)s? (?:by|courtesy(?: of)?)\b)[^()\n]{1,80}\)?\.?",
    re.IGNORECASE,
)
# Captions end in a credit: "... in Taipei. Photo: AP", "(AP Photo/J. Scott Applewhite)", "REUTERS/Kevin Lamarque".
# Searched in the last characters of a line only, so long lines cost no more than short ones.
_CAPTION_TAIL_RE = re.compile(
    r"(?:\(\s*(?:photo|image|picture|photograph|foto|fotografía|bild|credit|crédito|illustration|graphic)s?"
    r"(?: credit)?\s*[:/|][^()\n]{1,80}\)\.?"
    r"|[.!?]\s+(?:photo|image|foto|bild|credit)s?\s*:\s*[^.!?()\n]{1,80}\.?"
    r"|(?:reuters|ap photo|afp|getty images|epa(?:-efe)?|shutterstock|bloomberg|pool|dpa|xinhua|via getty|photo)"
    r"(?:/[^/\n()]{1,60}){1,3}\)?\.?"
    r"|(?:getty images|shutterstock|afp via getty images|reuters pictures)\)?\.?)$",
)
_CAPTION_TAIL = 200
_CAPTION_TRIGGERS = ("/", ":", "|", "getty", "shutterstock", "reuters pictures")
_CAPTION_MAX = 400
# A page title repeated with its site and section: "Headline | Section | Site | 23.05.2011".
_TITLE_BAR_RE = re.compile(r"[^|\n]{3,200}(?: \| [^|\n]{1,60}){2,}")

# Credit lines move to `Cleaned.credits`.
_CREDIT_ROLE = (
    r"(?:(?:additional |further )?reporting|writing|written|editing|edited|compiled|research|additional research|"
    r"graphics?|produced|fact[- ]checking|translated|photos?|photography|illustrations?|design|video|text|words)"
)
_CREDIT_LINE_RE = re.compile(
    rf"\(?\s*{_CREDIT_ROLE}(?:(?:,| and| &) {_CREDIT_ROLE})*\s+by\b.{{0,300}}"
    r"|our standards:.{0,80}"
    r"|.{0,200}\bcontributed(?: to)?(?: this)? (?:report|story|reporting)\b.{0,40}"
    r"|(?:follow|contact|email|e-mail) (?:the )?(?:author|reporter|writer)s?\b.{0,150}"
    # a byline: capitalised names only (case-sensitive inside, so "By the numbers:" is no byline)
    r"|by (?-i:[A-Z][\w.'’-]+(?: [A-Z][\w.'’-]+){0,3}(?:(?:,| and) [A-Z][\w.'’-]+(?: [A-Z][\w.'’-]+){0,3})*)"
    r"(?:,? (?:Reuters|Associated Press|AP|AFP|Bloomberg)(?: \w+){0,3})?",
    re.IGNORECASE | re.DOTALL,
)
_CREDIT_MAX = 400
# "... body text. (Reporting by X; Editing by Y)" at the end of a paragraph.
_TRAILING_CREDIT_RE = re.compile(
    r"\s*\((?:(?:additional )?reporting|writing|editing|compiled|research)\s+by\b[^()]*(?:\([^()]*\)[^()]*)*\)\s*$",
    re.IGNORECASE,
)
_SENTENCE_BREAK_RE = re.compile(r"(?<![A-Z])[.!?] [A-Z]")


def is_chrome_line(line: str) -> bool:
    """Page chrome or boilerplate: widgets, prompts, captions, read-more links (case-insensitive, whole line)."""
    if line.startswith("|"):
        return False  # a table row (trafilatura writes tables as "| a | b |"), never chrome
    if _CHROME_LINE_RE.fullmatch(line):
        return True
    n = len(line)
    # widget lists flattened into one line ("0 : 0 • narrow-browser-and-phone • landscape-tablet")
    if n <= 2000 and any(sep in line for sep in _ITEM_SEPS):
        items = [item for item in _ITEM_SEP_RE.split(line) if item]
        if len(items) > 1 and all(_CHROME_LINE_RE.fullmatch(item) for item in items):
            return True
    if n > _CAPTION_MAX:
        return False  # every rule below is for short lines; a long paragraph is story
    if n <= 300 and _READ_MORE_PREFIX_RE.match(line):
        return True
    if n <= _WEAK_PREFIX_MAX and _WEAK_PREFIX_RE.match(line) and not line.endswith("."):
        return True
    # the prompt and caption patterns are matched on the lowercased line: IGNORECASE makes `re` several times slower
    low = line.lower()
    if n <= _PROMO_MAX and any(t in low for t in _PROMO_TRIGGERS) and _PROMO_RE.match(low) is not None:
        return True
    if n <= _PROMO_MAX and "here to" in low and _PROMO_TAIL_RE.search(low) is not None:
        return True
    if n <= _PROMPT_MAX and any(t in low for t in _PROMPT_TRIGGERS) and (m := _PROMPT_RE.search(low)) is not None:
        return m.group(0) != "newsletter" or _PROMPT_WITH_NEWSLETTER_RE.search(low) is not None
    if _PHOTO_CREDIT_RE.fullmatch(line):
        return True
    tail = low[-_CAPTION_TAIL:]
    if any(t in tail for t in _CAPTION_TRIGGERS) and _CAPTION_TAIL_RE.search(tail):
        return True
    return n <= 300 and _TITLE_BAR_RE.fullmatch(line) is not None


def is_credit_line(line: str) -> bool:
    """A credit line or byline ("Reporting by …; Editing by …", "By Jane Doe"), whole line."""
    if len(line) > _CREDIT_MAX:
        return False
    if not _CREDIT_LINE_RE.fullmatch(line):
        return False
    # "By the numbers" or "By Tuesday, ..." are sentences, not bylines: a byline has few words and no verb-ish end.
    return not (line[:3].lower() == "by " and (len(line.split()) > 12 or line.rstrip().endswith(".")))


# A byline: "By Jane Roe", "By Jane Roe and John Poe, Reuters", "By Mike Dolan, Editor-at-Large, Finance and
# Markets". Names are two to four capitalised words; what follows a comma and is not a name is the job title.
_NAME = r"[A-Z][\w.'’-]*[a-z][\w.'’-]*(?: (?:[A-Z][\w.'’-]+|de|van|von|der|da|di|la|le|bin|al)){1,3}"
_BYLINE_RE = re.compile(
    rf"(?:[Bb]y|BY):? (?P<names>{_NAME}(?:(?:,| and| &) {_NAME})*)"
    r"(?P<title>(?:,? (?:[A-Z][\w&'’./-]*|and|of|for|the|at|in|on|&)){0,10})\.?"
)
_BYLINE_MAX = 160
_NAME_SPLIT_RE = re.compile(r",? and |, | & ")
# Words of a job title or desk after a byline's names ("By Ana Ruiz, Senior Markets Columnist"): where one
# appears, the names have ended.
_JOB_WORDS = frozenset(
    {
        "Editor", "Editor-at-Large", "Columnist", "Correspondent", "Reporter", "Writer", "Staff", "Chief", "Senior",
        "Bureau", "Desk", "Contributor", "Analyst", "Producer", "Critic", "Associate", "Deputy", "Managing",
        "Political", "Business", "Markets", "Reuters", "Bloomberg", "AFP", "AP", "Press", "News", "Newsroom",
    }
)


def byline_names(line: str) -> list[str] | None:
    """The author names of a byline line ("By Jane Roe and John Poe, Reuters" → both), None for other lines."""
    if len(line) > _BYLINE_MAX or line[:3].lower() not in ("by ", "by:"):
        return None
    m = _BYLINE_RE.fullmatch(line.strip())
    if m is None or (m.group("title") and len(m.group("title").split()) > 8):
        return None
    names: list[str] = []
    for name in _NAME_SPLIT_RE.split(m.group("names")):
        if any(word in _JOB_WORDS for word in name.split()):
            break
        if name.strip():
            names.append(name.strip())
    return names or None


# A column's label opening its first paragraph: "JANE ROE: …", "DR JANE ROE: …", "EXCLUSIVE BY JANE ROE: …",
# "JANE ROE'S DIARY: …", "TALK OF THE TOWN: …". Capitals only, followed by a capitalised sentence.
_COLUMN_LABEL_RE = re.compile(r"(?P<label>[A-Z][A-Z'’.-]+(?: [A-Z][A-Z'’.-]+){1,5}): (?=[A-Z0-9'‘\"“])")
_HONORIFICS = frozenset({"DR", "DR.", "SIR", "DAME", "LORD", "LADY", "BARONESS", "PROFESSOR", "PROF", "REV"})
# Words of a column or section label, never of a person's name.
_LABEL_WORDS = frozenset(
    {
        "OF", "THE", "ON", "IN", "AND", "FOR", "TO", "A", "AT", "WITH", "COMMENT", "CONFIDENTIAL", "CONTENT",
        "LATEST", "NEWS", "LIVE", "UPDATE", "UPDATES", "EXCLUSIVE", "WARNING", "GRAPHIC", "BREAKING", "VIDEO",
        "WATCH", "OPINION", "REVIEW", "ANALYSIS", "EDITORIAL", "DIARY", "NOTEBOOK", "COLUMN", "LETTERS", "PEOPLE",
        "TOWN", "SPORT", "WEATHER", "SPECIAL", "REPORT", "FIRST", "PERSON", "VIEW", "QUESTION", "TIME",
    }
)
_POSSESSIVE_RE = re.compile(r"['’]S\b.*$")


def column_byline(paragraph: str, is_place: Callable[[str], bool]) -> tuple[str | None, int] | None:
    """A column label opening `paragraph`: (author name in title case, or None for a section label, characters
    the label takes with its colon). None when the paragraph does not open with one, or opens with a place
    ("NEW YORK: …" is a dateline's business, see transforms/clean/dateline.py)."""
    m = _COLUMN_LABEL_RE.match(paragraph[:80])
    if m is None:
        return None
    label = m.group("label")
    if is_place(label):
        return None
    name = label.removeprefix("EXCLUSIVE ").removeprefix("BY ")
    name = _POSSESSIVE_RE.sub("", name).strip()
    words = name.split()
    core = [w for w in words if w not in _HONORIFICS]
    if 2 <= len(core) <= 4 and not any(w.strip(".'’-") in _LABEL_WORDS for w in core):
        return name.title(), m.end()
    return None, m.end()


def is_link_only(paragraph: str) -> bool:
    """A bulleted link to another story ("• Rare photos show …"): not story text when it is all there is."""
    return len(paragraph) <= 200 and paragraph[:1] in _LINK_BULLETS and len(paragraph.split()) >= 2


_LINK_BULLETS = frozenset("•·▪●")


def same_headline(line: str, title_key: str) -> bool:
    """The line repeats the title: equal words, a truncated title, or the title plus a short site suffix."""
    if not title_key:
        return False
    key = comparison_key(line)
    if not key:
        return False
    if key == title_key or (len(key) > 20 and title_key.startswith(key)):
        return True
    return key.startswith(title_key) and len(key[len(title_key) :].split()) <= 3 and not line.endswith(".")


def looks_like_headline(line: str) -> bool:
    """Short, no sentence punctuation at the end or inside: a headline rather than a first sentence."""
    words = len(line.split())
    return (
        2 <= words <= 22
        and len(line) <= 180
        and not line.endswith((".", "!", "?", ",", ";", ":", "…", '"', "”", "’", ")"))
        and _SENTENCE_BREAK_RE.search(line) is None
        and not line.islower()
    )


def split_off_credit(paragraph: str) -> tuple[str, str | None]:
    """A paragraph without its trailing "(Reporting by …)" credit, and that credit (None if there is none)."""
    m = _TRAILING_CREDIT_RE.search(paragraph)
    if m is None or m.start() == 0:
        return paragraph, None
    return paragraph[: m.start()].rstrip(), m.group(0).strip()
