"""Topic words: the catalog's vocabulary, one word at a time, for the remark with a plain need
and no catalog phrase ("wants someone to benchmark salaries and redo how they hire" names no
phrase of hr_consulting, yet "salary" and "hire" are its words).

`topic_word_index` keeps a word for a service when most catalog phrases holding it are that
service's. `scout_topic_words` guesses a service where a remark has at least `min_cues` need
or pain cues, no modifier at all, and at least `min_words` distinct words of one service in
a clause with a cue (a question clause is no cue's: "are we still allowed to expense it w/o
approval?"), none of them right after a `not_after` word ("no cloud plans"). The tagger
takes the guess only when nothing else named a service.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping

from spacy.attrs import IDX, LENGTH, NORM
from spacy.lang.en.stop_words import STOP_WORDS
from spacy.language import Language
from spacy.tokens import Doc
from spacy.vocab import Vocab

from nlp.components import (
    MATCHES_KEY,
    MOD,
    NEED,
    PAIN,
    SPANS_KEY,
    TEXT_KEY,
    _clause_numbers,
    _drop_contained,
    _SavedData,
    _WordsFlag,
    lexeme_flag,
)

GUESS_KEY = "scout_guess"  # doc.user_data: (service id, start, end) of the guessed service's words, or None
_CUES = (NEED, PAIN)
_WORD = re.compile(r"[A-Za-z]+")
_MIN_LENGTH = 3  # shorter words ("it", "pe", "hr") are names or noise, not topics


def topic_word_index(
    vocab: Vocab,
    phrases: Mapping[str, Iterable[str]],
    skip: Iterable[str],
    min_phrases: int,
    min_share: float,
) -> dict[str, tuple[str, float]]:
    """norm -> (service id, share of the phrases holding the word that are this service's),
    for words in at least `min_phrases` of one service's phrases and a share of at least
    `min_share`. Words are read as the norm table folds them ("audits" is "audit")."""
    skipped = {vocab[w.lower()].norm_ for w in skip} | set(skip)
    held: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for service_id, service_phrases in phrases.items():
        for phrase in service_phrases:
            for norm in {vocab[w.lower()].norm_ for w in _WORD.findall(phrase)}:
                if len(norm) >= _MIN_LENGTH and norm not in STOP_WORDS and norm not in skipped:
                    held[norm][service_id] += 1
    index = {}
    for norm, services in held.items():
        service_id, count = services.most_common(1)[0]
        share = count / sum(services.values())
        if count >= min_phrases and share >= min_share:
            index[norm] = (service_id, round(share, 4))
    return index


class ScoutTopicWords(_SavedData):
    """Guesses one service from its topic words; serialisable with the pipeline."""

    _FILE = "topic_words.msgpack"

    def __init__(
        self, nlp: Language, name: str, terminators: list[str], not_after: list[str], min_words: int, min_cues: int
    ) -> None:
        self.name = name
        self._not_after = frozenset(nlp.vocab[w.lower()].norm for w in not_after)
        self.vocab = nlp.vocab
        self.min_words = min_words
        self.min_cues = min_cues
        # The context pass's boundary flag (equal getters share one bit): the same clauses.
        boundaries = _WordsFlag(frozenset(t.lower() for t in terminators), newline=True)
        self._boundary_flag = lexeme_flag(nlp.vocab, boundaries)
        self._question = nlp.vocab.strings.add("?")
        self.words: dict[str, tuple[str, float]] = {}
        self._by_norm: dict[int, tuple[str, float]] = {}

    def add(self, words: Mapping[str, tuple[str, float]]) -> None:
        self.words.update(words)
        strings = self.vocab.strings
        self._by_norm = {strings.add(norm): tuple(entry) for norm, entry in self.words.items()}

    def __call__(self, doc: Doc) -> Doc:
        doc.user_data[GUESS_KEY] = self.guess(doc)
        return doc

    def guess(self, doc: Doc) -> tuple[str, int, int] | None:
        """(service id, start, end) of the guessed service's words, or None."""
        matches = doc.user_data.get(MATCHES_KEY)
        if matches is None:  # a doc the span ruler did not see: read its spans
            matches = [(s.start, s.end, s.label_, s.id_) for s in doc.spans.get(SPANS_KEY, [])]
        if not matches or any(m[2] == MOD for m in matches):
            return None
        cues = _drop_contained([m for m in matches if m[2] in _CUES])
        if len({cue[0] for cue in cues}) < self.min_cues:
            return None
        table = doc.to_array([self._boundary_flag, IDX, LENGTH, NORM])
        offsets, lengths, norms = table[:, 1].tolist(), table[:, 2].tolist(), table[:, 3].tolist()
        text = doc.user_data.get(TEXT_KEY)
        boundaries = table[:, 0]  # _clause_numbers clears the "?" of a bracketed aside in place
        clause = _clause_numbers(boundaries, offsets, lengths, doc.text if text is None else text)
        ends = boundaries.tolist()
        asked = {clause[i] - 1 for i, norm in enumerate(norms) if norm == self._question and ends[i]}
        cued = {clause[cue[0]] for cue in cues} - asked
        if not cued:
            return None
        taken = {i for start, end, label, _ in matches if label not in _CUES for i in range(start, end)}
        found: defaultdict[str, dict[int, int]] = defaultdict(dict)  # service -> norm -> first token
        weight: Counter[str] = Counter()
        for i, norm in enumerate(norms):
            entry = self._by_norm.get(norm)
            if entry is None or i in taken or clause[i] not in cued or (i and norms[i - 1] in self._not_after):
                continue
            service_id, share = entry
            if norm not in found[service_id]:
                found[service_id][norm] = i
                weight[service_id] += share
        ranked = [s for s, _ in weight.most_common() if len(found[s]) >= self.min_words]
        if not ranked:
            return None
        where = sorted(found[ranked[0]].values())
        return ranked[0], where[0], where[-1] + 1

    def _data(self) -> dict[str, list]:
        return {norm: list(entry) for norm, entry in self.words.items()}

    def _restore(self, data: dict[str, list]) -> None:
        self.words = {}
        self.add({norm: (entry[0], entry[1]) for norm, entry in data.items()})


@Language.factory(
    "scout_topic_words", default_config={"terminators": [], "not_after": [], "min_words": 2, "min_cues": 2}
)
def make_scout_topic_words(
    nlp: Language, name: str, terminators: list[str], not_after: list[str], min_words: int, min_cues: int
) -> ScoutTopicWords:
    return ScoutTopicWords(nlp, name, terminators, not_after, min_words, min_cues)
