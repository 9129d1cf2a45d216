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


def find_amounts(text: str) -> list[Amount]:
    """Amounts with a currency marker; bare numbers are too ambiguous to call money."""
    found = []
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


def find_dates(text: str) -> list[str]:
    """Date expressions as written; "may" only counts with a preposition before it."""
    found = []
    for m in _DATE.finditer(text):
        expr = m.group(0)
        if expr.lower() == "may":
            continue
        found.append(expr)
    return found
