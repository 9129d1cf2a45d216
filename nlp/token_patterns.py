"""Token patterns in spaCy Matcher syntax, matched on a doc's attribute arrays.

spaCy's Matcher checks a `{"LOWER": {"IN": [...]}}` token in Python, building a Token object
for every token of the doc and every such predicate, and the trigger patterns are made of
them. This matcher reads one `doc.to_array` and compares hashes. It finds the same matches as
spaCy's Matcher (every start, and every end for a start), sorted, where spaCy lists them as it
completes them (the context pass orders matches itself), for the subset of the syntax Scout's
patterns use: LOWER and ORTH (a string or {"IN": [...]}), the IS_PUNCT, IS_ALPHA, IS_TITLE,
IS_UPPER, IS_STOP and LIKE_NUM flags, and the operators ?, *, + and {m,n}. Patterns outside that subset
are refused when they are compiled, and every pattern is validated by spaCy's own schema
first.
"""

from __future__ import annotations

import weakref
from typing import Any

from spacy.attrs import IS_ALPHA, IS_PUNCT, IS_STOP, IS_TITLE, IS_UPPER, LIKE_NUM, LOWER, ORTH
from spacy.schemas import validate_token_pattern
from spacy.strings import StringStore
from spacy.tokens import Doc

# The columns read from the doc, in this order.
ATTRS = [LOWER, ORTH, IS_PUNCT, IS_ALPHA, IS_TITLE, LIKE_NUM, IS_UPPER, IS_STOP]
_COLUMN_NAMES = ("LOWER", "ORTH", "IS_PUNCT", "IS_ALPHA", "IS_TITLE", "LIKE_NUM", "IS_UPPER", "IS_STOP")
_COLUMN = {name: i for i, name in enumerate(_COLUMN_NAMES)}
_UNBOUNDED = 1 << 30

# A compiled token: its checks (column, allowed hashes or flag value) and its repeat bounds.
Check = tuple[int, frozenset[int] | bool]
Token = tuple[tuple[Check, ...], int, int]
# One copy of each word list, however many patterns hold it (the roles sit in dozens).
_SHARED_WORDS: weakref.WeakValueDictionary[frozenset[int], frozenset[int]] = weakref.WeakValueDictionary()


def _bounds(op: str | None) -> tuple[int, int]:
    if op is None:
        return 1, 1
    if op == "?":
        return 0, 1
    if op == "*":
        return 0, _UNBOUNDED
    if op == "+":
        return 1, _UNBOUNDED
    if op.startswith("{") and op.endswith("}"):
        low, _, high = op[1:-1].partition(",")
        return int(low or 0), int(high) if high.strip() else _UNBOUNDED
    raise ValueError(f"token pattern operator {op!r} is not supported")


def compile_pattern(pattern: list[dict[str, Any]], strings: StringStore) -> tuple[Token, ...]:
    """One Matcher pattern as checks on hashes and flags; a ValueError names what is not
    supported."""
    errors = validate_token_pattern(pattern)
    if errors:
        raise ValueError("; ".join(errors))
    compiled = []
    for spec in pattern:
        checks: list[Check] = []
        for key, value in spec.items():
            if key == "OP":
                continue
            column = _COLUMN.get(key)
            if column is None:
                raise ValueError(f"token pattern attribute {key!r} is not supported")
            if column < 2:  # LOWER or ORTH: a string, or {"IN": [...]}
                if isinstance(value, str):
                    words = [value]
                elif isinstance(value, dict) and set(value) == {"IN"}:
                    words = list(value["IN"])
                else:
                    raise ValueError(f"token pattern value {value!r} for {key} is not supported")
                hashes = frozenset(strings.add(w) for w in words)
                checks.append((column, _SHARED_WORDS.setdefault(hashes, hashes)))
            elif isinstance(value, bool):
                checks.append((column, value))
            else:
                raise ValueError(f"token pattern value {value!r} for {key} is not supported")
        low, high = _bounds(spec.get("OP"))
        compiled.append((tuple(checks), low, high))
    return tuple(compiled)


def doc_rows(doc: Doc) -> list[tuple[int, ...]]:
    """The attribute rows `match` reads, one per token (the ATTRS columns)."""
    return [tuple(row) for row in doc.to_array(ATTRS).tolist()]


def _fits(checks: tuple[Check, ...], row: tuple[int, ...]) -> bool:
    for column, allowed in checks:
        if isinstance(allowed, frozenset):
            if row[column] not in allowed:
                return False
        elif bool(row[column]) is not allowed:
            return False
    return True


def match(pattern: tuple[Token, ...], rows: list[tuple[int, ...]]) -> list[tuple[int, int]]:
    """Every (start, end) the pattern matches, ordered by start, then end; no empty match.

    The ends reachable from a state (token spec, tokens it has taken, position) do not depend
    on where the match started, so each state is worked out once: linear in the doc's length
    for a pattern, where trying every start afresh would be quadratic on a long run of tokens
    that fit a "+" or "*"."""
    first_checks, first_low, _ = pattern[0]
    memo: dict[tuple[int, int, int], frozenset[int]] = {}
    found: list[tuple[int, int]] = []
    for start in range(len(rows)):
        if first_low and not _fits(first_checks, rows[start]):
            continue  # the first token is required and does not fit here
        found += [(start, end) for end in sorted(_ends(pattern, 0, 0, start, rows, memo)) if end > start]
    return found


def _ends(
    pattern: tuple[Token, ...],
    index: int,
    taken: int,
    position: int,
    rows: list[tuple[int, ...]],
    memo: dict[tuple[int, int, int], frozenset[int]],
) -> frozenset[int]:
    """Where pattern[index:] can end from `position`, its token spec `index` having taken
    `taken` tokens already (counted up to the bound that still matters). Iterative over the
    positions a repeated spec walks, so no recursion grows with the doc."""
    # Walk forward while spec `index` keeps taking tokens, then resolve the states backwards.
    path: list[tuple[int, int, int]] = []
    state = (index, taken, position)
    while True:
        if state in memo:
            result = memo[state]
            break
        index, taken, position = state
        if index == len(pattern):
            result = memo[state] = frozenset((position,))
            break
        checks, low, high = pattern[index]
        can_take = taken < high and position < len(rows) and _fits(checks, rows[position])
        path.append(state)
        if not can_take:
            result = None
            break
        cap = low if high >= _UNBOUNDED else high  # beyond `low`, an unbounded spec is the same
        state = (index, min(taken + 1, cap) if high >= _UNBOUNDED else taken + 1, position + 1)
    # `result` is the ends from the state after the last one in `path` (None: it cannot go on).
    for index, taken, position in reversed(path):
        _, low, _ = pattern[index]
        ends: set[int] = set(result or ())
        if taken >= low:
            ends |= _ends(pattern, index + 1, 0, position, rows, memo)
        result = memo[(index, taken, position)] = frozenset(ends)
    return result
