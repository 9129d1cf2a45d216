"""Chat markup removed before tagging, so `<@U123>` or `:fire:` never looks like words."""

from __future__ import annotations

import html
import re

_SLACK_LINK = re.compile(r"<(https?://|mailto:)[^|>]*\|([^>]*)>")
_SLACK_BARE_LINK = re.compile(r"<(?:https?://|mailto:)[^>]*>")
_SLACK_MENTION = re.compile(r"<[@#!][^>|]*(?:\|([^>]*))?>")
_TEAMS_AT = re.compile(r"<at>[^<]*</at>", re.IGNORECASE)
_HTML_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
_EMOJI = re.compile(r":[a-z0-9_+\-']+:")
_CODE = re.compile(r"`{1,3}")
_QUOTE_PREFIX = re.compile(r"^\s*&gt;\s?|^\s*>\s?", re.MULTILINE)
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


def clean_markup(text: str) -> str:
    """Plain words of a Slack or Teams message: links keep their label, mentions vanish.

    Each pass runs only when the character it needs is there: most chat has no markup."""
    if "<" in text:
        text = _SLACK_LINK.sub(lambda m: m.group(2), text)
        text = _SLACK_BARE_LINK.sub(" ", text)
        text = _SLACK_MENTION.sub(lambda m: m.group(1) or " ", text)
        text = _TEAMS_AT.sub(" ", text)
        text = _HTML_TAG.sub(" ", text)
    if ">" in text or "&gt;" in text:
        text = _QUOTE_PREFIX.sub("", text)
    if "&" in text:
        text = html.unescape(text)
    if ":" in text:
        text = _EMOJI.sub(" ", text)
    if "`" in text:
        text = _CODE.sub(" ", text)
    if not text.isascii():
        text = text.translate(_QUOTES)
    # str.split() and the regex \s agree on what whitespace is (Py_UNICODE_ISSPACE).
    return " ".join(text.split())
