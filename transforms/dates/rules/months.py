"""A month or a season without a year: "in March", "last November", "this spring", "summer 2013". The year comes
from the relation word, else the clause's tense; "May", "March", "fall" and "spring" need a temporal frame.
"""

from __future__ import annotations

import re

from transforms.dates.calendar import SEASONS, resolve_year, season_year
from transforms.dates.engine import Context, group, rule
from transforms.dates.fragments import MON_FULL, REL, SP, Y4, not_after
from transforms.dates.rules.absolute import month_of, year_from_phrase

# A bare month must be spelled out: "Jan" alone is more often a name than a month.
P_MONTH = rf"(?:{REL}{SP})?(?<![A-Za-z])(?P<mon>{MON_FULL})(?![A-Za-z])"
P_SEASON = (
    rf"\b(?:{REL}{SP}|(?i:the|early|late|mid-?){SP}?)?(?P<season>(?i:spring|summer|fall|autumn|winter))\b"
    rf"(?:(?:{SP}(?i:of))?{SP}(?P<syear>{Y4}(?!\d)))?"
)


def _month_direction(m: re.Match[str], ctx: Context) -> str | None:
    rel = (group(m, "rel") or "").lower().split()
    if rel and rel[-1] in {"last", "past", "previous"}:
        return "last"
    if rel and rel[-1] in {"next", "coming"}:
        return "next"
    if rel and rel[-1] == "this":
        return "this"
    return ctx.tense(m)


_MONTH_GUARD_BEFORE_RE = re.compile(
    r"(?i:\b(?:in|since|by|until|till|through|of|last|this|next|early|late|mid|from|to|before|after|during|the|"
    r"on|for|between|and|or|through|past|coming|end)[ \t-]{1,2})$"
)
_MONTH_GUARD_AFTER_RE = re.compile(r"^(?:[ \t]{1,2}(?:\d|of\b|last\b|this\b|next\b)|,[ \t]?\d)")


def _norm_month(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    month = month_of(m)
    name = m.group("mon")
    # "May" and "March" are also a modal and a verb; only accept them in an unambiguously temporal frame.
    if name.lower() in {"may", "march"} and not group(m, "rel"):
        before = ctx.text[max(0, m.start() - 12) : m.start()]
        after = ctx.text[m.end() : m.end() + 8]
        if not (_MONTH_GUARD_BEFORE_RE.search(before) or _MONTH_GUARD_AFTER_RE.match(after)):
            return None
    if ctx.anchor is None:
        return "DATE", f"XXXX-{month:02d}"
    direction = _month_direction(m, ctx)
    a = ctx.anchor
    if direction == "last":
        year = a.year if month < a.month else a.year - 1
    elif direction == "next":
        year = a.year if month > a.month else a.year + 1
    elif direction == "this":
        year = a.year
    else:
        year = resolve_year(month, None, a, direction)
    return "DATE", f"{year:04d}-{month:02d}"


def _norm_season(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    code = SEASONS[m.group("season").lower()]
    yphr = group(m, "syear")
    rel = (group(m, "rel") or "").lower().split()
    if yphr:
        year = year_from_phrase(yphr, ctx)
    elif ctx.anchor is None:
        year = None
    else:
        rel_word = rel[-1] if rel else ""
        direction = {"last": "last", "past": "last", "previous": "last", "next": "next", "coming": "next"}.get(rel_word)
        year = season_year(code, ctx.anchor, direction)
    return "DATE", f"{year:04d}-{code}" if year is not None else f"XXXX-{code}"


_SEASON_FRAME_BEFORE = ("in ", "by ", "during ", "until ", "since ", "through ", "this ", "last ", "next ")


def _norm_season_guarded(m: re.Match[str], ctx: Context) -> tuple[str, str] | None:
    """Seasons need a frame: "fall"/"spring" are also a verb and a noun ("the fall of the Berlin Wall")."""
    word = m.group("season").lower()
    if group(m, "rel") or group(m, "syear"):
        return _norm_season(m, ctx)
    prefix = m.group(0)[: m.start("season") - m.start()].strip().lower()
    before = ctx.text[max(0, m.start() - 8) : m.start()].lower()
    after = ctx.text[m.end() : m.end() + 4].lower()
    if prefix in {"early", "late", "mid", "mid-"} or (
        before.endswith(_SEASON_FRAME_BEFORE) and not after.startswith(" of")
    ):
        return _norm_season(m, ctx)
    if prefix == "" and word not in {"fall", "spring"} and before.endswith(_SEASON_FRAME_BEFORE):
        return _norm_season(m, ctx)
    return None


# rf"(?<![A-Za-z])(?:{MON_FULL})(?![a-z])", the look-behind after the first letter (fragments.not_after).
_T_MONTH = rf"{not_after('[A-Za-z]', MON_FULL.split('|'))}(?![a-z])"
MONTH = rule("month", P_MONTH, _norm_month, _T_MONTH, before=14, after=12)
SEASON = rule("season", P_SEASON, _norm_season_guarded, r"(?i:spring|summer|fall|autumn|winter)", before=18,
              after=14, caseless=True)  # fmt: skip
