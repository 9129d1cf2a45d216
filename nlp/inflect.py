"""Inflections folded onto the catalog's own words, through spaCy lexeme norms.

A lookup lemmatizer would need ~100 MB of tables and maps "taxes" to "taxis"; the catalog
only needs its own words folded, so Scout generates their regular inflections (and a few
common typing slips) and sets each form's NORM to the base word. The PhraseMatcher then
matches on NORM, and the cost at tagging time is zero: norms live on the lexemes.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping

import numpy as np
from spacy.attrs import NORM
from spacy.lang.en.stop_words import STOP_WORDS
from spacy.lang.lex_attrs import LEX_ATTRS
from spacy.vocab import Vocab

_VOWELS = set("aeiou")
_MIN_TYPO_LENGTH = 6


def inflections(word: str, agents: bool = True) -> set[str]:
    """Regular English forms of a base word: plural, past, gerund and, with `agents`, the
    agent noun ("auditor")."""
    forms = {word + "s", word + "ed", word + "ing"}
    if agents:
        forms |= {word + "er", word + "ers", word + "or", word + "ors"}
    if word.endswith(("s", "x", "z", "ch", "sh")):
        forms |= {word + "es"}
    if word.endswith("e"):
        stem = word[:-1]
        forms |= {stem + "ing", word + "d"}
        if agents:
            forms |= {word + "r", word + "rs"}
    if word.endswith("y") and len(word) > 2 and word[-2] not in _VOWELS:
        stem = word[:-1]
        forms |= {stem + "ies", stem + "ied"}
    if len(word) >= 3 and word[-1] not in _VOWELS | {"w", "x", "y"} and word[-2] in _VOWELS and word[-3] not in _VOWELS:
        doubled = word + word[-1]
        forms |= {doubled + "ed", doubled + "ing"}
        if agents:
            forms |= {doubled + "er", doubled + "ers"}
    return forms


def typos(word: str) -> set[str]:
    """One dropped, doubled or swapped letter: the slips fast typists make in chat."""
    if len(word) < _MIN_TYPO_LENGTH:
        return set()
    out = set()
    for i in range(len(word)):
        out.add(word[:i] + word[i + 1 :])
        out.add(word[:i] + word[i] + word[i:])
        if i < len(word) - 1 and word[i] != word[i + 1]:
            out.add(word[:i] + word[i + 1] + word[i] + word[i + 2 :])
    out.discard(word)
    return out


class NormTable(Mapping[str, str]):
    """form -> base word, kept small: every form as the 64-bit hash of its string in a sorted
    array beside its base word's index, a fifth of the memory of a dict of strings, built
    without ever holding the typing slips (two thirds of the forms, nearly all never typed) as
    strings. A hash that hits is checked against its base's own forms, so a collision folds
    nothing; the string hash is the process's own, so the array is built at start-up."""

    def __init__(
        self, bases: list[str] | None = None, hashes: np.ndarray | None = None, owners: np.ndarray | None = None
    ) -> None:
        self._bases = bases or []
        self._hashes = hashes if hashes is not None else np.zeros(0, dtype=np.int64)
        self._owners = owners if owners is not None else np.zeros(0, dtype=np.uint32)
        self._others: dict[str, str] = {}  # forms given that are no inflection or slip of their base

    @classmethod
    def for_words(
        cls, words: Iterable[str], under: Mapping[str, str] | None = None, not_slips: Iterable[str] = ()
    ) -> NormTable:
        """`norm_table(words)` over the forms of `under` (the cue words'): the same table as
        `{**under, **norm_table(words)}`, a form two bases would claim left alone. `not_slips`:
        words of their own that look like a slip of a base ("beach", not "breach"). Only one
        base's forms are strings at a time: the clashes are found among the hashes."""
        bases = _bases(words)
        kept = bases | {w.lower() for w in not_slips}
        entries = _Entries()
        for base in sorted(bases):
            own = inflections(base)
            for form in own:
                entries.add(form, base)
            if len(base) >= _MIN_TYPO_LENGTH:
                for form in typos(base) - own:
                    if form not in kept:  # a typo that is a word of its own stays itself
                        entries.add(form, base)
        hashes, owners = _sorted_unclaimed(entries.hashes, entries.owners)
        table = cls(entries.bases, hashes, owners)
        extra = _Entries(entries)
        for form, base in (under or {}).items():
            if not table._holds(hash(form)):
                extra.add(form, base)
        more, their = _sorted_unclaimed(extra.hashes, extra.owners)
        hashes, owners = np.concatenate([hashes, more]), np.concatenate([owners, their])
        order = np.argsort(hashes, kind="stable")
        return cls(entries.bases, hashes[order], owners[order])

    @classmethod
    def of(cls, table: Mapping[str, str]) -> NormTable:
        """A table given form by form, as a saved pipeline holds it; a form that is no inflection
        or slip of its base (which the hash check could not confirm) is kept as it is."""
        entries, others = _Entries(), {}
        for form, base in table.items():
            if _is_form_of(form, base):
                entries.add(form, base)
            else:
                others[form] = base
        made = cls(entries.bases, *_sorted_unclaimed(entries.hashes, entries.owners))
        made._others = others
        return made

    def _holds(self, key: int) -> bool:
        return next(self._bases_of(key), None) is not None

    def _bases_of(self, key: int) -> Iterator[str]:
        """The bases of the forms whose hash is `key` (one, but for a collision)."""
        hashes = self._hashes
        at = int(np.searchsorted(hashes, key))
        while at < len(hashes) and hashes[at] == key:
            yield self._bases[self._owners[at]]
            at += 1

    def get(self, form: str, default: str | None = None) -> str | None:  # type: ignore[override]
        """The base word of a form, without the KeyError that Mapping.get would catch: most
        words a tokenizer meets are no form of any base."""
        if self._others and form in self._others:
            return self._others[form]
        return next((base for base in self._bases_of(hash(form)) if _is_form_of(form, base)), default)

    def __getitem__(self, form: str) -> str:
        base = self.get(form)
        if base is None:
            raise KeyError(form)
        return base

    def __iter__(self) -> Iterator[str]:
        yield from self._others
        for at in sorted(set(self._owners.tolist())):
            base = self._bases[at]
            yield from (form for form in sorted(inflections(base) | typos(base)) if self.get(form) == base)

    def __len__(self) -> int:
        return len(self._hashes) + len(self._others)


def _is_form_of(form: str, base: str) -> bool:
    return form in inflections(base) or form in typos(base)


class _Entries:
    """(hash of a form, index of its base) pairs, appended to compact arrays; `sharing` another
    _Entries, its list of bases is extended rather than copied."""

    def __init__(self, sharing: _Entries | None = None) -> None:
        self.bases: list[str] = sharing.bases if sharing else []
        self._index: dict[str, int] = sharing._index if sharing else {}
        self.hashes, self.owners = array("q"), array("I")

    def add(self, form: str, base: str) -> None:
        at = self._index.get(base)
        if at is None:
            at = self._index[base] = len(self.bases)
            self.bases.append(base)
        self.hashes.append(hash(form))
        self.owners.append(at)


def _sorted_unclaimed(hashes: array, owners: array) -> tuple[np.ndarray, np.ndarray]:
    """The forms sorted by hash, without a hash that two bases claim."""
    keys, bases = np.frombuffer(hashes, dtype=np.int64), np.frombuffer(owners, dtype=np.uint32)
    order = np.argsort(keys, kind="stable")
    keys, bases = keys[order], bases[order]
    clash = (keys[1:] == keys[:-1]) & (bases[1:] != bases[:-1])
    keep = ~np.isin(keys, keys[1:][clash])
    return keys[keep].copy(), bases[keep].copy()


def norm_table(words: Iterable[str], with_typos: bool = True) -> dict[str, str]:
    """form -> base word, for every inflection (and typo) of the given base words. "credits"
    folds to "credit" even when both appear in the catalog; a form two bases would claim, or a
    typo that is itself a catalog word, is left alone."""
    bases = _bases(words)
    return _fold(
        bases,
        lambda base: inflections(base) | (typos(base) if with_typos else set()),
        # a typo that is a word of its own stays itself
        lambda form, base: form in bases and form not in inflections(base),
    )


def cue_norm_table(words: Iterable[str]) -> dict[str, str]:
    """form -> base word for the generic cue words of rules.yaml: plural and verb forms
    only. Agent nouns and typos are left out: "late" must not claim "later", and a slip of
    a common word is more often another word."""
    bases = _bases(words)
    # a cue word of its own ("left", "fine") keeps its own meaning
    return _fold(bases, lambda base: inflections(base, agents=False), lambda form, _: form in bases)


def _bases(words: Iterable[str]) -> set[str]:
    return {w.lower() for w in words if w.isalpha() and len(w) >= 3 and w.lower() not in STOP_WORDS}


def _fold(bases: set[str], variants: Callable[[str], set[str]], keep_own: Callable[[str, str], bool]) -> dict[str, str]:
    """form -> base for each variant of each base, except those `keep_own` keeps as they are;
    a form two bases would claim is left alone."""
    table: dict[str, str] = {}
    clashes: set[str] = set()
    for base in sorted(bases):
        for form in variants(base):
            if keep_own(form, base):
                continue
            if form in table and table[form] != base:
                clashes.add(form)
            table[form] = base
    for form in clashes:
        del table[form]
    return table


class FoldedNorm:
    """A lexeme NORM getter: the base word of a form in the table, whatever its case
    ("Audits", "AUDITS" -> "audit"), else what the vocab's own getter says."""

    def __init__(self, fallback: Callable[[str], str], table: Mapping[str, str]) -> None:
        self.fallback = fallback
        self.table = table

    def __call__(self, string: str) -> str:
        base = self.table.get(string.lower())
        return base if base is not None else self.fallback(string)


def apply_norms(vocab: Vocab, table: Mapping[str, str]) -> None:
    """Fold each form of the table onto its base word, in any case, through lexeme NORMs.

    A lexeme gets its norm when the tokenizer first creates it, so start-up does not build
    tens of thousands of lexemes (most typos never occur); lexemes that already exist get
    theirs now. The getter reads the table itself (lower-cased keys only), so no copy of it
    per letter case is kept; a table given again replaces the one before."""
    if not table:
        return
    getter = vocab.lex_attr_getters.get(NORM, LEX_ATTRS[NORM])
    if isinstance(getter, FoldedNorm):
        getter.table = table
    else:
        vocab.lex_attr_getters[NORM] = FoldedNorm(getter, table)
    for lexeme in vocab:
        base = table.get(lexeme.orth_.lower())
        if base is not None:
            lexeme.norm_ = base
