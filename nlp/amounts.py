"""Money and dates stated in a remark: "~$300K", "$40M", "EUR 2.5m"; "Q3", "next month"."""

from __future__ import annotations

import re

from nlp.tags import Amount

_SYMBOLS = {"$": "USD", "£": "GBP", "€": "EUR", "¥": "JPY"}
_CODES = {"usd", "gbp", "eur", "cad", "aud", "chf", "jpy"}
_SCALE = {
    "k": 1e3, "thousand": 1e3, "m": 1e6, "mm": 1e6, "mn": 1e6, "million": 1e6,
    "b": 1e9, "bn": 1e9, "billion": 1e9,
}
_MONEY = re.compile(
    r"(?P<approx>~|about |around |roughly )?"
    r"(?:(?P<sym>[$£€¥])|(?P<code>\b(?:usd|gbp|eur|cad|aud|chf|jpy)) ?)"
    r"(?P<num>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)"
    r" ?(?P<scale>k|thousand|mm|mn|m|million|bn|b|billion)?\b",
    re.IGNORECASE,
)


_CODE_WORDS = tuple(sorted(_CODES))


def _may_have_money(text: str) -> bool:
    """False only when _MONEY cannot match: no currency symbol and no currency code. Exact for
    ASCII text; other text (where IGNORECASE folds more than str.lower) always goes to _MONEY."""
    if not text.isascii() or "$" in text:
        return True
    lower = text.lower()
    return any(code in lower for code in _CODE_WORDS)


def find_amounts(text: str) -> list[Amount]:
    """Amounts with a currency marker; bare numbers are too ambiguous to call money."""
    found: list[Amount] = []
    if not _may_have_money(text):
        return found
    for m in _MONEY.finditer(text):
        value = float(m.group("num").replace(",", ""))
        scale = (m.group("scale") or "").lower()
        value *= _SCALE.get(scale, 1)
        sym = m.group("sym")
        currency = _SYMBOLS[sym] if sym else m.group("code").upper()
        found.append(Amount(text=m.group(0).strip(), value=value, currency=currency))
    return found


_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december"
    "|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_DATE = re.compile(
    r"\b(?:(?:by|in|before|after|until|from|for|end of|early|mid|late)\s+)?"
    r"(?:q[1-4](?:\s+20\d\d)?|h[12]|fy\s?\d{2,4}|20\d\d"
    r"|(?:this|next|last)\s+(?:week|month|quarter|year|spring|summer|fall|autumn|winter)"
    r"|year[- ]end|month[- ]end|quarter[- ]end"
    rf"|(?:{_MONTHS})(?:\s+\d{{1,2}}(?:st|nd|rd|th)?)?(?!\w))",
    re.IGNORECASE,
)


# A cheap test that spares most remarks the _DATE regex, exact for ASCII text (other text
# always goes to _DATE, whose \\d and IGNORECASE reach beyond ASCII). Every _DATE match starts
# its date at a word start, so it holds a word (a run of \\w) that is a month, or starts like
# q1, h2 or 2025, or is fy before a number, or is "this", "next" or "last" (then a period word follows, or its
# start: "next yearly" holds "next year"), or is "year", "month" or "quarter" (then "-end" or " end").
_RUN = re.compile(r"\w+")
_DATE_MONTHS = frozenset(_MONTHS.split("|"))
_DATE_STARTS = ("q1", "q2", "q3", "q4", "h1", "h2", "20")
_DATE_FY = re.compile(r"\bfy\s?[0-9]")  # not every "fy" word: "fyi" is no fiscal year
_DATE_DEICTIC = frozenset({"this", "next", "last"})
_DATE_PERIODS = ("week", "month", "quarter", "year", "spring", "summer", "fall", "autumn", "winter")
_DATE_ENDING = frozenset({"year", "month", "quarter"})
_DATE_ENDS = ("year-end", "year end", "month-end", "month end", "quarter-end", "quarter end")


def _may_have_date(text: str) -> bool:
    """False only when _DATE cannot match."""
    if not text.isascii():
        return True
    lower = text.lower()
    words = set(_RUN.findall(lower))
    if not words.isdisjoint(_DATE_MONTHS) or any(w.startswith(_DATE_STARTS) for w in words):
        return True
    if "fy" in lower and _DATE_FY.search(lower):
        return True
    if not words.isdisjoint(_DATE_DEICTIC) and any(period in lower for period in _DATE_PERIODS):
        return True
    return not words.isdisjoint(_DATE_ENDING) and any(end in lower for end in _DATE_ENDS)


def may_hold_money(word: str) -> bool:
    """Whether a word (a token's text) could be part of an amount _MONEY finds: it holds a
    currency symbol, a run of letters and digits that starts with a currency code, or
    anything outside ASCII (where IGNORECASE folds more than str.lower). As a lexeme flag it
    lets the tagger skip find_amounts where no token passes."""
    if not word.isascii() or "$" in word:
        return True
    return any(run.startswith(_CODE_WORDS) for run in _RUN.findall(word.lower()))


def may_start_date(word: str) -> bool:
    """Whether a word (a token's text) holds a run of letters and digits that starts a date
    on its own: a month, q1-q4, h1, h2, 20xx or fy. With the next two tests, as lexeme flags,
    the tagger skips find_dates where _may_have_date would say no: a remark needs one such
    word, or a period word and a deictic or "end" word."""
    for run in _RUN.findall(word.lower()):
        if run in _DATE_MONTHS or run.startswith(_DATE_STARTS) or run.startswith("fy"):
            return True
    return False


def may_name_period(word: str) -> bool:
    """Whether a word holds a period ("week", "year", "spring"...): "next year", "year-end"."""
    lower = word.lower()
    return any(period in lower for period in _DATE_PERIODS)


def may_point_at_period(word: str) -> bool:
    """Whether a word is "this", "next" or "last", or holds "end": the other half of "next
    year" and "year-end"."""
    lower = word.lower()
    return lower in _DATE_DEICTIC or "end" in lower


def find_dates(text: str) -> list[str]:
    """Date expressions as written; "may" only counts with a preposition before it."""
    found: list[str] = []
    if not _may_have_date(text):
        return found
    for m in _DATE.finditer(text):
        expr = m.group(0)
        if expr.lower() == "may":
            continue
        found.append(expr)
    return found
