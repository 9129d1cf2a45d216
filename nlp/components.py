"""Scout's own spaCy components, registered with @Language.factory.

- `scout_norms` folds the catalog's inflections and typos onto its base words (lexeme NORMs).
- `scout_context` reads the span ruler's matches and decides, ConText-style, which service
  and trigger mentions are needs, and which are negated, declined, hypothetical, historical,
  about another party, or a status update on work already delivered.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from bisect import bisect_left
from collections.abc import Callable, Mapping, MutableSequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import srsly
from spacy.attrs import FLAG19, IDX, LENGTH, LIKE_NUM, LOWER, NORM
from spacy.lang.en.stop_words import STOP_WORDS
from spacy.language import Language
from spacy.pipeline import SpanRuler
from spacy.tokens import Doc, Span
from spacy.vocab import Vocab

from nlp import token_patterns
from nlp.inflect import NormTable, apply_norms

SPANS_KEY = "scout"
TERM, TOPIC, NEED_PHRASE, TRIGGER = "TERM", "TOPIC", "NEED_PHRASE", "TRIGGER"
NEED, PAIN, EXPAND, MOD = "NEED", "PAIN", "EXPAND", "MOD"
# PSEUDO: a phrase that looks like a modifier and is not one ("not sure", "with their
# competitor"); it swallows the cues inside it. NOT_SERVICE: a phrase holding a service word
# that never names a need for it ("audit committee", "auditors flagged"); it swallows the mention.
PSEUDO, NOT_SERVICE = "PSEUDO", "NOT_SERVICE"
# CONSIDER: a word that makes the news after it a thought ("looked at a merger"), so a refusal
# in the next clause reaches the trigger.
CONSIDER = "CONSIDER"
# NOT_TRIGGER: a phrase that reads like news and is not ("before the series a", "talks fell
# apart"); a trigger mention it overlaps is dropped.
NOT_TRIGGER = "NOT_TRIGGER"
SERVICE_MENTIONS = (TERM, TOPIC, NEED_PHRASE)
MENTIONS = (*SERVICE_MENTIONS, TRIGGER, NOT_SERVICE, NOT_TRIGGER)
# The matches of the span ruler and the trigger patterns as plain (start, end, label, id)
# tuples, kept beside doc.spans so the context pass reads them without making Span objects.
MATCHES_KEY = "scout_matches"
TEXT_KEY = "scout_text"  # the text the doc was made from, when its maker kept it (doc.text rebuilds it)
MENTIONS_DATA = ("._.", "scout_mentions", None, None)  # where doc._.scout_mentions lives

if not Doc.has_extension("scout_mentions"):
    Doc.set_extension("scout_mentions", default=None)


class _SavedData(ABC):
    """to_bytes/from_bytes/to_disk/from_disk for a component whose data is one msgpack value
    (`_data`), given back to `_restore` on load: spaCy saves and loads it with the pipeline."""

    _FILE = "data.msgpack"

    @abstractmethod
    def _data(self) -> Any:
        """What to save."""

    @abstractmethod
    def _restore(self, data: Any) -> None:
        """Take saved data back."""

    def to_bytes(self, *, exclude: tuple = ()) -> bytes:
        return srsly.msgpack_dumps(self._data())

    def from_bytes(self, data: bytes, *, exclude: tuple = ()) -> _SavedData:
        self._restore(srsly.msgpack_loads(data))
        return self

    def to_disk(self, path: str | Path, *, exclude: tuple = ()) -> None:
        Path(path).mkdir(parents=True, exist_ok=True)
        srsly.write_msgpack(Path(path) / self._FILE, self._data())

    def from_disk(self, path: str | Path, *, exclude: tuple = ()) -> _SavedData:
        self._restore(srsly.read_msgpack(Path(path) / self._FILE))
        return self


class ScoutNorms(_SavedData):
    """Holds the form -> base table and applies it to the vocab; serialisable with the pipeline."""

    _FILE = "table.msgpack"

    def __init__(self, nlp: Language, name: str) -> None:
        self.nlp = nlp
        self.name = name
        self.table: NormTable = NormTable()

    def add(self, table: Mapping[str, str]) -> None:
        """Adds the table's forms; a form already held takes the new base word."""
        if isinstance(table, NormTable) and not self.table:
            self.table = table
        else:
            self.table = NormTable.of({**self.table, **table})
        apply_norms(self.nlp.vocab, self.table)

    def __call__(self, doc: Doc) -> Doc:
        return doc  # the work is done once, on the lexemes

    def _data(self) -> dict[str, str]:
        return dict(self.table)

    def _restore(self, data: dict[str, str]) -> None:
        self.add(data)


@Language.factory("scout_norms")
def make_scout_norms(nlp: Language, name: str) -> ScoutNorms:
    return ScoutNorms(nlp, name)


_PLAIN_PHRASE = re.compile(r"[a-z]+(?: [a-z]+)*")


class _PhraseKeys:
    """A phrase text as the PhraseMatcher keys it: the NORM of each token the tokenizer would
    make. Plain lower-case words without a tokenizer special case ("dont" splits in two) are
    each one token, so their lexemes give the norms without a Doc being made. The matcher
    keeps every key, so each norm is one int object however many phrases hold it."""

    def __init__(self, nlp: Language, shared: dict[int, int]) -> None:
        self.vocab = nlp.vocab
        self.make_doc = nlp.make_doc
        self.special = nlp.tokenizer.rules or {}
        self._word_norms: dict[str, int] = {}
        self._norm_getter = nlp.vocab.lex_attr_getters[NORM]
        self._shared = shared

    def __call__(self, text: str) -> list[int]:
        if _PLAIN_PHRASE.fullmatch(text):
            words = text.split(" ")
            if not any(word in self.special for word in words):
                return [self._norm(word) for word in words]
        return [self._share(token.norm) for token in self.make_doc(text)]

    def _norm(self, word: str) -> int:
        """The norm a lexeme of `word` has or would get, without making one: most phrase words
        never occur in a remark, and a lexeme costs time and memory the vocab keeps."""
        norm = self._word_norms.get(word)
        if norm is None:
            vocab = self.vocab
            value = vocab[word].norm if word in vocab else vocab.strings.add(self._norm_getter(word))
            norm = self._word_norms[word] = self._share(value)
        return norm

    def _share(self, norm: int) -> int:
        return self._shared.setdefault(norm, norm)


class _PatternList(MutableSequence[dict[str, Any]]):
    """The ruler's patterns, each phrase pattern kept as a (label, pattern, id) tuple and
    handed out as the dict SpanRuler reads: a tuple takes a third of a dict's memory, and the
    ruler holds tens of thousands of them for its serialisation alone."""

    _KEYS = ("label", "pattern", "id")

    def __init__(self) -> None:
        self._items: list[tuple[Any, ...] | dict[str, Any]] = []

    @classmethod
    def _pack(cls, entry: dict[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        if set(entry) == set(cls._KEYS) and isinstance(entry["pattern"], str):
            return (entry["label"], entry["pattern"], entry["id"])
        return entry

    def __getitem__(self, index):  # noqa: ANN001, ANN204 - int or slice, as list takes
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        item = self._items[index]
        return dict(zip(self._KEYS, item, strict=True)) if isinstance(item, tuple) else item

    def __setitem__(self, index, entry) -> None:  # noqa: ANN001 - an int, as list takes
        self._items[index] = self._pack(entry)

    def __delitem__(self, index) -> None:  # noqa: ANN001 - int or slice, as list takes
        del self._items[index]

    def __len__(self) -> int:
        return len(self._items)

    def insert(self, index: int, entry: dict[str, Any]) -> None:
        self._items.insert(index, self._pack(entry))


class ScoutSpanRuler(SpanRuler):
    """spaCy's SpanRuler, lean for a ruler that holds only phrase patterns.

    SpanRuler.match also runs its token Matcher, empty here, under a warnings filter that
    silences the empty Matcher's warning; setting up that filter costs more than the phrase
    matching itself. With no token patterns, this calls the PhraseMatcher alone and builds the
    same spans in the same order, and keeps them as plain tuples too (MATCHES_KEY), which is
    all `annotate`, the tagger's path, makes. The component keeps the name "span_ruler"."""

    def clear(self) -> None:
        super().clear()
        self._patterns = _PatternList()
        self._shared_norms: dict[int, int] = {}  # one int object per norm the matcher keys on

    @property
    def patterns(self) -> list[dict[str, Any]]:
        return list(self._patterns)

    def match(self, doc: Doc) -> list[Span]:
        if len(self.matcher):
            return super().match(doc)
        self._require_patterns()
        label_ids = self._match_label_id_map
        spans = {
            Span(doc, start, end, label=label_ids[match_id]["label"], span_id=label_ids[match_id]["id"])
            for match_id, start, end in self.phrase_matcher(doc)
            if start != end
        }
        return sorted(spans)

    def __call__(self, doc: Doc) -> Doc:
        """The phrase matches as doc.spans[key] (sorted and unique, as SpanRuler sets them)
        and as plain tuples in doc.user_data; a remark with no match gets no span group."""
        if not self._lean():
            doc = super().__call__(doc)
            doc.user_data[MATCHES_KEY] = [(s.start, s.end, s.label_, s.id_) for s in doc.spans.get(self.key, [])]
            return doc
        matches = self._matches(doc)
        if matches:
            doc.spans[self.key] = [Span(doc, s, e, label=label, span_id=span_id) for s, e, label, span_id in matches]
        return doc

    def annotate(self, doc: Doc) -> Doc:
        """The tuples alone: what the tagger reads, without Span objects nobody looks at."""
        if not self._lean():
            return self(doc)
        self._matches(doc)
        return doc

    def add_patterns(self, patterns: list[dict[str, Any]]) -> None:
        """SpanRuler.add_patterns, keying the phrases without nlp.pipe.

        spaCy runs the components before the ruler over the phrase texts, through nlp.pipe;
        before this ruler sits only scout_norms, which leaves a doc as it is (its norms live on
        the lexemes), so the phrases' norms are all the matcher needs (`_PhraseKeys`: no doc at
        all for plain words). That took ~0.1 s off the load of ~25,000 phrases. Any other
        component before the ruler, or a token pattern, goes through SpanRuler's own path."""
        patterns = list(patterns)  # from_disk hands over a generator
        before = self.nlp.pipeline[: self.nlp.pipe_names.index(self.name)] if self.name in self.nlp.pipe_names else []
        if any(not isinstance(pipe, ScoutNorms) for _, pipe in before) or any(
            not isinstance(entry["pattern"], str) for entry in patterns
        ):
            super().add_patterns(patterns)
            return
        strings, label_ids = self.nlp.vocab.strings, self._match_label_id_map
        keys = _PhraseKeys(self.nlp, self._shared_norms)
        by_key: dict[str, list[list[int]]] = {}  # one PhraseMatcher.add per key, not per phrase
        for entry in patterns:
            label, span_id = entry["label"], entry.get("id", "")
            key = repr((label, span_id))
            if key not in by_key:
                label_ids[strings.as_int(key)] = {"label": label, "id": span_id}
                by_key[key] = []
            self._patterns.append(entry)
            by_key[key].append(keys(entry["pattern"]))
        for key, phrases in by_key.items():
            self.phrase_matcher.add(key, phrases)

    def _lean(self) -> bool:
        return not len(self.matcher) and self.overwrite and self.spans_filter is None and not self.annotate_ents

    def _matches(self, doc: Doc) -> list[_Match]:
        self._require_patterns()
        found = self.phrase_matcher(doc)
        if not found:
            doc.user_data[MATCHES_KEY] = []
            return []
        label_ids = self._match_label_id_map
        strings = doc.vocab.strings
        keyed = {}
        for match_id, start, end in found:
            if start != end and (start, end, match_id) not in keyed:
                ids = label_ids[match_id]
                label, span_id = ids["label"], ids["id"]
                # Span order: start, end, then label and id hashes.
                keyed[(start, end, match_id)] = (start, end, strings[label], strings[span_id], label, span_id)
        matches = [(k[0], k[1], k[4], k[5]) for k in sorted(keyed.values())]
        doc.user_data[MATCHES_KEY] = matches
        return matches


@Language.factory(
    "scout_span_ruler",
    assigns=["doc.spans"],
    default_config={
        "spans_key": SPANS_KEY,
        "spans_filter": None,
        "annotate_ents": False,
        "ents_filter": {"@misc": "spacy.first_longest_spans_filter.v1"},
        "phrase_matcher_attr": None,
        "matcher_fuzzy_compare": {"@misc": "spacy.levenshtein_compare.v1"},
        "validate": False,
        "overwrite": True,
        "scorer": {"@scorers": "spacy.overlapping_labeled_spans_scorer.v1", "spans_key": SPANS_KEY},
    },
)
def make_scout_span_ruler(
    nlp: Language,
    name: str,
    spans_key: str | None,
    spans_filter: Any,
    annotate_ents: bool,
    ents_filter: Any,
    phrase_matcher_attr: str | int | None,
    matcher_fuzzy_compare: Any,
    validate: bool,
    overwrite: bool,
    scorer: Any,
) -> ScoutSpanRuler:
    return ScoutSpanRuler(
        nlp,
        name,
        spans_key=spans_key,
        spans_filter=spans_filter,
        annotate_ents=annotate_ents,
        ents_filter=ents_filter,
        phrase_matcher_attr=phrase_matcher_attr,
        matcher_fuzzy_compare=matcher_fuzzy_compare,
        validate=validate,
        overwrite=overwrite,
        scorer=scorer,
    )


@dataclass
class Mention:
    """A service or trigger mention, with what its clause says about it."""

    kind: str  # TERM, TOPIC, NEED_PHRASE or TRIGGER
    id: str
    start: int
    end: int
    text: str
    cued: bool = False  # a need or pain cue in the same clause
    expand: bool = False  # an expansion cue ("more", "another entity") in the same clause
    modifiers: list[tuple[str, str]] = field(default_factory=list)  # (kind, cue text)
    clause: int = 0  # the clause number, so mentions that share a clause can compete for its cue
    # Tokens between the mention and its nearest need or pain cue (0 for a need phrase, which
    # carries its own): where two services share a clause, the cue belongs to the nearer one.
    cue_distance: int | None = None
    cue_span: tuple[int, int] | None = None  # (start, end) of that nearest cue


class _WordsFlag:
    """A lexeme flag getter: is the lowercased word one of `words`, or (with `newline`) does
    it hold a line break? Equal getters share one flag bit."""

    def __init__(self, words: frozenset[str], newline: bool = False) -> None:
        self.words = words
        self.newline = newline

    def __call__(self, text: str) -> bool:
        return (self.newline and "\n" in text) or text.lower() in self.words

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _WordsFlag) and (other.words, other.newline) == (self.words, self.newline)

    def __hash__(self) -> int:
        return hash((self.words, self.newline))


def lexeme_flag(vocab: Vocab, getter: Any) -> int:
    """The vocab's flag for `getter`, added once, on a user flag bit (FLAG19..FLAG63;
    add_flag's own choice would be the deprecated IS_OOV bit). A flag is set once per word
    type, when its lexeme is made (add_flag sets it on the lexemes that exist already), so
    reading it from doc.to_array costs no Python per token."""
    getters = vocab.lex_attr_getters
    for attr, known in getters.items():
        if isinstance(attr, int) and FLAG19 <= attr < 64 and known == getter:
            return attr
    free = next(bit for bit in range(FLAG19, 64) if bit not in getters)
    return vocab.add_flag(getter, flag_id=free)


def _clauses_and_offsets(doc: Doc, boundary_flag: int, text: str) -> tuple[list[int], list[int], list[int]]:
    """Clause number, character offset and length of each token; a terminator or a token
    holding a line break starts a new clause. One array read: no Token objects are made."""
    table = doc.to_array([boundary_flag, IDX, LENGTH])
    offsets, lengths = table[:, 1].tolist(), table[:, 2].tolist()
    return _clause_numbers(table[:, 0], offsets, lengths, text), offsets, lengths


def _clause_numbers(boundaries: Any, offsets: list[int], lengths: list[int], text: str) -> list[int]:
    """Each token's clause number from its boundary flags (a numpy column, changed in place).
    A terminator that closes a parenthesis ("their competitor (Tessera?) just raised") is an
    aside, and ends no clause."""
    if ")" in text:
        for i in boundaries.nonzero()[0].tolist():
            end = offsets[i] + lengths[i]
            if text[end : end + 4].lstrip("?!.")[:1] == ")":
                boundaries[i] = 0
    return boundaries.cumsum().tolist()


# Token patterns in spaCy Matcher syntax, by trigger id.
TokenPatterns = dict[str, list[list[dict[str, Any]]]]
# A match as the context pass reads it: (start, end, label, pattern id).
_Match = tuple[int, int, str, str]


def _drop_contained(spans: list[_Match]) -> list[_Match]:
    """Longest match wins: "no one" (a gap) is not also "no" (a negation). Spans with the
    same extent all stay (one phrase may name two things). One sweep in start order: a span
    is inside a kept one when a kept span (all start no later) ends after it, or ends with it
    and starts earlier."""
    kept: list[_Match] = []
    max_end, max_end_start = -1, -1  # the furthest end kept, and the earliest start reaching it
    for span in sorted(spans, key=lambda s: (s[0], s[0] - s[1])):
        start, end = span[0], span[1]
        if max_end > end or (max_end == end and max_end_start < start):
            continue
        if end > max_end:
            max_end, max_end_start = end, start
        kept.append(span)
    return kept


REACH_BACK = "reach_back"  # the direction of a cue that reaches back from the next clause
# The direction of a closing cue: a remark's closing disclaimer ("not a client", "just
# curious") in a clause that names nothing reaches back to every clause before it, across any
# terminator, not only a soft one; beside a mention it is no cue ("said he's just curious but ...").
CLOSING = "closing"
# The kinds whose closing cues also reach a trigger: not a refusal of our offer, but a word
# on the news itself (about someone else, or only a what-if).
_CLOSING_REACHES_NEWS = frozenset({"negated", "hypothetical", "other_party"})
NOT_AFTER_WINDOW = 5  # tokens before a modifier cue where its `not_after` words cancel it


class ScoutContext:
    """Marks each mention as cued (a need or pain nearby) and collects its modifiers.

    `closers[kind]`: words that end that modifier's reach ("won't renew ... without a scan":
    "without" turns the negation into a requirement). `not_after[kind]`: words that, a few
    tokens before the cue, make it no modifier ("asked on the call if": a question, not a
    hypothetical)."""

    def __init__(
        self,
        nlp: Language,
        name: str,
        terminators: list[str],
        closers: dict[str, list[str]] | None = None,
        not_after: dict[str, list[str]] | None = None,
        soft_terminators: list[str] | None = None,
        reach_back: list[str] | None = None,
        own_past_work: dict[str, Any] | None = None,
        not_right_after: dict[str, list[str]] | None = None,
    ) -> None:
        self.name = name
        self.terminators = frozenset(t.lower() for t in terminators)
        strings = nlp.vocab.strings
        self.soft_terminators = [w.lower() for w in soft_terminators or []]
        self.reach_back = frozenset(reach_back or [])
        self._soft_ids = frozenset(strings.add(w) for w in self.soft_terminators)
        self.closers = closers or {}
        self.not_after = not_after or {}
        self._closer_ids = {k: frozenset(strings.add(w.lower()) for w in ws) for k, ws in self.closers.items()}
        self._not_after_ids = {k: frozenset(strings.add(w.lower()) for w in ws) for k, ws in self.not_after.items()}
        self._right_after_ids = {
            k: frozenset(strings.add(w.lower()) for w in ws) for k, ws in (not_right_after or {}).items()
        }
        # A lexeme flag, set once per word type: is it a terminator or does it hold a line break?
        self._boundary_flag = lexeme_flag(nlp.vocab, _WordsFlag(self.terminators, newline=True))
        self._scopes: dict[str, tuple[str, str, int]] = {}
        self.own_past_work = own_past_work or {}
        self._own_work = _OwnWork(nlp.vocab, self.own_past_work) if self.own_past_work else None
        self._own_cue_id = self._own_work.cue_id if self._own_work else None

    def __call__(self, doc: Doc) -> Doc:
        matches = doc.user_data.get(MATCHES_KEY)
        if matches is None:  # a doc the span ruler did not see: read its spans
            matches = [(s.start, s.end, s.label_, s.id_) for s in doc.spans.get(SPANS_KEY, [])]
        if not matches:
            doc.user_data[MENTIONS_DATA] = []
            return doc
        # Longest match wins among services ("security audit" is not also "audit"; "audit
        # committee" names no service at all), and among triggers; a trigger and a service
        # may share words.
        mentions = _drop_contained([m for m in matches if m[2] in SERVICE_MENTIONS or m[2] == NOT_SERVICE])
        mentions = [m for m in mentions if m[2] != NOT_SERVICE]
        triggers = _drop_contained([m for m in matches if m[2] == TRIGGER])
        not_news = [m for m in matches if m[2] == NOT_TRIGGER]
        if not_news and triggers:
            triggers = [t for t in triggers if not any(n[0] < t[1] and n[1] > t[0] for n in not_news)]
        mentions += triggers
        if not mentions:
            doc.user_data[MENTIONS_DATA] = []
            return doc
        text = doc.user_data.get(TEXT_KEY)
        if text is None:
            text = doc.text
        own_work = self._own_work if self._own_work is not None and self._own_work.may_match(text) else None
        if own_work is None:
            clause, offsets, lengths = _clauses_and_offsets(doc, self._boundary_flag, text)
        else:  # the own-work flags in the same array read
            table = doc.to_array([self._boundary_flag, IDX, LENGTH, *own_work.flags])
            offsets, lengths = table[:, 1].tolist(), table[:, 2].tolist()
            clause = _clause_numbers(table[:, 0], offsets, lengths, text)

        def span_text(start: int, end: int) -> str:
            return text[offsets[start] : offsets[end - 1] + lengths[end - 1]]

        found = [m for m in matches if m[2] not in MENTIONS and m[2] != CONSIDER]
        if own_work is not None:
            found += own_work.cues(table[:, 3:])
        # A consideration word only marks its clause; it hides no cue it overlaps ("looked at").
        cues = _drop_pseudo(_drop_contained(found)) + [m for m in matches if m[2] == CONSIDER]
        cues_at = [(*cue, clause[cue[0]], self._scope(cue)) for cue in cues]
        kinds = {c[5][0] for c in cues_at if c[2] == MOD}
        closing = any(c[5][1] == CLOSING for c in cues_at if c[2] == MOD)
        reaching = self._reaching(cues_at, mentions, clause) if kinds & self.reach_back or closing else []
        needs_words = bool(reaching) or any(
            k in self._closer_ids or k in self._not_after_ids or k in self._right_after_ids for k in kinds
        )
        lowers = doc.to_array(LOWER).tolist() if needs_words else []
        if needs_words:
            cues_at = [c for c in cues_at if not self._cancelled(c, clause, lowers)]
        by_clause: dict[int, list[tuple]] = {}
        for cue in cues_at:
            by_clause.setdefault(cue[4], []).append(cue)
        for cue in reaching:
            # the clause's first token is the terminator that opened it: a soft one joins the halves
            # a closing cue reaches every clause before it; the scope's width says it reaches news too
            closes = cue[5][1] == CLOSING
            if cue in cues_at and (closes or lowers[clause.index(cue[4])] in self._soft_ids):
                news = int(closes and cue[5][0] in _CLOSING_REACHES_NEWS)
                for before in range(cue[4]) if closes else (cue[4] - 1,):
                    by_clause.setdefault(before, []).append((*cue[:5], (cue[5][0], REACH_BACK, news)))
        indexes: dict[int, _ClauseCues] = {}
        result = []
        for start, end, label, span_id in mentions:
            mention = Mention(label, span_id, start, end, span_text(start, end), clause=clause[start])
            if label == NEED_PHRASE:
                mention.cue_distance, mention.cue_span = 0, (start, end)
            here = by_clause.get(clause[start], [])
            if len(here) > _FEW_CUES:  # a long clause: look only where a cue can reach
                index = indexes.get(clause[start])
                if index is None:
                    index = indexes[clause[start]] = _ClauseCues(here)
                self._mark_from_index(mention, index, lowers, span_text)
            else:
                self._mark(mention, here, lowers, span_text)
            result.append(mention)
        doc.user_data[MENTIONS_DATA] = result
        return doc

    def _reaching(self, cues: list[tuple], mentions: list, clause: list[int]) -> list[tuple]:
        """ConText attaches a modifier to the nearest thing it can modify: a refusal or an
        all-clear in a clause that names nothing ("they asked about a pen test but went with
        another vendor") may reach back to the clause before it. These are the cues that could."""
        named = {clause[m[0]] for m in mentions}
        return [
            cue
            for cue in cues
            if cue[2] == MOD
            and (cue[5][0] in self.reach_back or cue[5][1] == CLOSING)
            and cue[5][1] != "forward"
            and cue[4] not in named
            and (cue[4] - 1 in named or (cue[5][1] == CLOSING and min(named) < cue[4]))
        ]

    def _mark(self, mention: Mention, cues: list[tuple], lowers: list[int], span_text: Callable) -> None:
        """Cued, expanded and modified, from the cues of the mention's clause."""
        start, end, label = mention.start, mention.end, mention.kind
        thought = label == TRIGGER and any(c[2] == CONSIDER and c[4] == mention.clause and c[1] <= start for c in cues)
        for cue_start, cue_end, cue_label, cue_id, _clause, scope in cues:
            if label == TRIGGER and cue_id == self._own_cue_id:  # our work says nothing of the client's news
                continue
            if scope[1] == REACH_BACK:  # news about the client is not refused by a later clause
                if (label != TRIGGER or scope[2] or thought) and cue_start >= end:
                    mention.modifiers.append((scope[0], span_text(cue_start, cue_end)))
                continue
            overlaps = cue_start < end and cue_end > start
            # A cue inside a name or need phrase is part of it ("nobody watching the
            # firewall"); inside a topic it is the need ("refusing to use"); a modifier
            # that spans the whole mention ("guest wifi") still applies.
            inner_cue = label == TOPIC and cue_label in (NEED, PAIN) and cue_end - cue_start < end - start
            # A negation inside a trigger pattern's match, after its first word, is the event's
            # own ("the founder isn't retiring", "owner said he's not retiring").
            inner_negation = label == TRIGGER and cue_label == MOD and scope[0] == "negated" and start < cue_start
            # a what-if that runs into the news ("should they ever expand into the US")
            leading = label == TRIGGER and scope[0] == "hypothetical" and cue_start < start < cue_end
            if (inner_negation and cue_end <= end) or leading:
                mention.modifiers.append((scope[0], span_text(cue_start, cue_end)))
                continue
            if overlaps and not inner_cue and not (cue_label == MOD and cue_start <= start and cue_end >= end):
                continue
            if cue_label in (NEED, PAIN):
                mention.cued = True
                _nearer_cue(mention, cue_start, cue_end)
            elif cue_label == EXPAND:
                mention.expand = True
            elif cue_label == MOD and (overlaps or _in_scope(scope, cue_start, cue_end, start, end)) and not (
                self._closed(scope[0], cue_start, cue_end, start, end, lowers)
            ):
                mention.modifiers.append((scope[0], span_text(cue_start, cue_end)))

    def _mark_from_index(self, mention: Mention, index: _ClauseCues, lowers: list[int], span_text: Callable) -> None:
        """What `_mark` decides, reading only the cues near the mention: a need, pain or
        expansion cue anywhere in the clause counts unless it overlaps the mention, and a
        modifier reaches at most its scope."""
        start, end = mention.start, mention.end
        near = index.near(start - index.longest, end)  # the only cues that can overlap
        overlapping = [c for c in near if c[0] < end and c[1] > start]
        needs = [c for c in overlapping if c[2] in (NEED, PAIN)]
        if index.needs > len(needs) or (mention.kind == TOPIC and any(c[1] - c[0] < end - start for c in needs)):
            mention.cued = True
            for cue in index.near(start - index.longest - _CUE_WINDOW, end + _CUE_WINDOW):
                if cue[2] in (NEED, PAIN):
                    _nearer_cue(mention, cue[0], cue[1])
        if index.expands > sum(c[2] == EXPAND for c in overlapping):
            mention.expand = True
        reach = [
            c
            for c in index.near(start - index.widest - index.longest, end + index.widest + 1)
            if c[2] == MOD and c[5][1] != REACH_BACK
        ]
        reach += index.reach_back
        self._mark(mention, reach, lowers, span_text)

    def _scope(self, cue: tuple) -> tuple[str, str, int]:
        """(kind, direction, scope) of a cue, parsed once per pattern id."""
        if cue[2] != MOD:
            return ("", "", 0)
        scope = self._scopes.get(cue[3])
        if scope is None:
            kind, direction, width = cue[3].split(":")[:3]
            scope = self._scopes[cue[3]] = (kind, direction, int(width))
        return scope

    def _cancelled(self, cue: tuple, clause: list[int], lowers: list[int]) -> bool:
        """A modifier cue a few tokens after one of its `not_after` words, or right after one of
        its `not_right_after` words, in the same clause."""
        if cue[2] != MOD:
            return False
        start = cue[0]
        right = self._right_after_ids.get(cue[5][0])
        if right and start > 0 and lowers[start - 1] in right and clause[start - 1] == clause[start]:
            return True
        words = self._not_after_ids.get(cue[5][0])
        if not words:
            return False
        window = range(max(0, start - NOT_AFTER_WINDOW), start)
        return any(lowers[i] in words and clause[i] == clause[start] for i in window)

    def _closed(self, kind: str, cue_start: int, cue_end: int, start: int, end: int, lowers: list[int]) -> bool:
        """A closer word between a modifier cue and the mention ends the modifier's reach."""
        words = self._closer_ids.get(kind)
        if not words:
            return False
        between = range(cue_end, start) if cue_end <= start else range(end, cue_start)
        return any(lowers[i] in words for i in between)


class _PastForm:
    """A lexeme flag getter: is the word a past verb form (-ed, or one of `irregular`) that is
    not one of `news` ("we noticed" brings news, "we proposed" reports our work)?"""

    def __init__(self, irregular: frozenset[str], news: frozenset[str]) -> None:
        self.irregular = irregular
        self.news = news

    def __call__(self, text: str) -> bool:
        word = text.lower()
        if word in self.news:
            return False
        return word in self.irregular or (len(word) >= 5 and word.endswith("ed") and not word.endswith("eed"))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _PastForm) and (other.irregular, other.news) == (self.irregular, self.news)

    def __hash__(self) -> int:
        return hash((self.irregular, self.news))


class _OwnWork:
    """Finds "we <past verb>" ("we proposed", "the plan we drafted", "we've already done"): the
    firm reporting its own past work, a modifier cue of one kind. Three lexeme flags, read in
    the context pass's one array read of the doc."""

    def __init__(self, vocab: Vocab, config: dict[str, Any]) -> None:
        self.cue_id = config["cue_id"]
        subjects = "|".join(re.escape(w) for w in config["subjects"])
        self._subject_in_text = re.compile(rf"\b(?:{subjects})\b", re.IGNORECASE).search
        self._subject = lexeme_flag(vocab, _WordsFlag(frozenset(w.lower() for w in config["subjects"])))
        self._between = lexeme_flag(vocab, _WordsFlag(frozenset(w.lower() for w in config.get("between", []))))
        self._past = lexeme_flag(vocab, _PastForm(
            frozenset(w.lower() for w in config.get("past_forms", [])),
            frozenset(w.lower() for w in config.get("news_verbs", [])),
        ))

    def may_match(self, text: str) -> bool:
        """Whether the text holds a subject word at all: most remarks do not, and skip the flags."""
        return self._subject_in_text(text) is not None

    @property
    def flags(self) -> tuple[int, int, int]:
        """The subject, between and past-form flags, in the column order `cues` reads."""
        return (self._subject, self._between, self._past)

    def cues(self, table: Any) -> list[_Match]:
        """The cues, from a doc's array of `flags` (one row per token)."""
        subjects = table[:, 0].nonzero()[0].tolist()
        if not subjects:
            return []
        between, past = table[:, 1].tolist(), table[:, 2].tolist()
        length = len(past)
        found = []
        for start in subjects:
            i = start + 1
            while i < length and between[i]:
                i += 1
            if i < length and past[i]:
                found.append((start, i + 1, MOD, self.cue_id))
        return found


_FEW_CUES = 32  # a clause with more cues than this is read through a _ClauseCues index
_CUE_WINDOW = 40  # in a long clause, how far (tokens) a cue's distance to a mention is measured


def _nearer_cue(mention: Mention, cue_start: int, cue_end: int) -> None:
    """Keep the distance to the nearest need or pain cue; a cue inside the mention is at 0."""
    start, end = mention.start, mention.end
    distance = span_gap(start, end, cue_start, cue_end)
    if mention.cue_distance is None or distance < mention.cue_distance:
        mention.cue_distance, mention.cue_span = distance, (cue_start, cue_end)


def span_gap(start: int, end: int, other_start: int, other_end: int) -> int:
    """Tokens between two spans; 0 where they touch or overlap."""
    return start - other_end if other_end <= start else other_start - end if other_start >= end else 0


class _ClauseCues:
    """The cues of one clause, by start, so a mention in a long clause reads only the cues
    that can reach it: the linear pass per mention would make a long remark quadratic."""

    def __init__(self, cues: list[tuple]) -> None:
        self.cues = cues  # in start order, as the context pass made them
        self.starts = [c[0] for c in cues]
        self.longest = max((c[1] - c[0] for c in cues), default=0)
        self.widest = max((c[5][2] for c in cues if c[2] == MOD), default=0)
        self.needs = sum(c[2] in (NEED, PAIN) for c in cues)
        self.expands = sum(c[2] == EXPAND for c in cues)
        self.reach_back = [c for c in cues if c[2] == MOD and c[5][1] == REACH_BACK]

    def near(self, low: int, high: int) -> list[tuple]:
        """The cues starting in [low, high), in order."""
        return self.cues[bisect_left(self.starts, low) : bisect_left(self.starts, high)]


def _drop_pseudo(cues: list[_Match]) -> list[_Match]:
    """Pseudo-modifiers are dropped after they swallowed what they contain; so is a modifier
    cue that overlaps a longer need or pain cue ("they're not sure whether": "'re not" is
    part of "not sure whether", a doubt, not a negation)."""
    needs = [c for c in cues if c[2] in (NEED, PAIN)]
    kept = []
    for cue in cues:
        if cue[2] == PSEUDO:
            continue
        if cue[2] == MOD and any(
            n[0] < cue[1] and cue[0] < n[1] and n[1] - n[0] > cue[1] - cue[0] for n in needs
        ):
            continue
        kept.append(cue)
    return kept


def _in_scope(scope: tuple[str, str, int], cue_start: int, cue_end: int, start: int, end: int) -> bool:
    _, direction, width = scope
    if direction == CLOSING:
        return False
    before = cue_end <= start and start - cue_end <= width
    after = cue_start >= end and cue_start - end <= width
    if direction == "forward":
        return before
    if direction == "backward":
        return after
    return before or after


@Language.factory(
    "scout_context",
    default_config={
        "terminators": [".", "!", "?", ";"],
        "closers": {},
        "not_after": {},
        "soft_terminators": [],
        "reach_back": [],
        "own_past_work": {},
        "not_right_after": {},
    },
)
def make_scout_context(
    nlp: Language,
    name: str,
    terminators: list[str],
    closers: dict[str, list[str]],
    not_after: dict[str, list[str]],
    soft_terminators: list[str],
    reach_back: list[str],
    own_past_work: dict[str, Any],
    not_right_after: dict[str, list[str]],
) -> ScoutContext:
    return ScoutContext(
        nlp, name, terminators, closers, not_after, soft_terminators, reach_back, own_past_work, not_right_after
    )


def phrase_patterns(label: str, phrases: list[str], pattern_id: str = "") -> list[dict[str, Any]]:
    return [{"label": label, "pattern": p, "id": pattern_id} for p in spelling_variants(phrases) if p.strip()]


def spelling_variants(phrases: list[str]) -> list[str]:
    """Each phrase with its hyphens written as spaces too, as people type them ("3-year plan",
    "3 year plan"; "go-live", "go live"): the tokenizer splits one and not the other."""
    out: dict[str, None] = {}
    for phrase in phrases:
        out[phrase] = None
        if "-" in phrase.strip("-"):
            out[" ".join(phrase.replace("-", " ").split())] = None
    return list(out)


class TriggerPatterns(_SavedData):
    """Token patterns for trigger events, in spaCy Matcher syntax, matched by
    nlp.token_patterns on the doc's arrays (spaCy's Matcher gives the same matches, checking
    its word lists in Python token by token). Each pattern runs only on remarks containing a
    word of its anchor, the least common of the word lists it cannot do without, and most
    channel chatter contains none; it also waits for every other word it cannot do without
    ("new" alone does not wake "new" + a role), so it runs only where it could match."""

    _FILE = "patterns.msgpack"

    def __init__(self, nlp: Language, name: str, patterns: TokenPatterns | None = None) -> None:
        self.name = name
        self.vocab = nlp.vocab
        self._clear()
        self.add_patterns(patterns or {})

    def _clear(self) -> None:
        self.patterns: TokenPatterns = {}
        # Per pattern: the words it needs besides its anchor, one set per required token (as
        # LOWER hashes); whether it needs a number; the trigger id's
        # hash; the compiled pattern.
        self.groups: list[tuple[tuple[frozenset[int], ...], bool, int, tuple]] = []
        self._by_anchor: dict[int, list[int]] = {}  # anchor-word hash -> patterns it wakes
        self._unanchored: list[int] = []  # patterns with no required word list
        self._anchor_words: set[str] = set()

    def add_patterns(self, patterns: TokenPatterns) -> None:
        """Add patterns by trigger id. The tagger adds them here rather than in the component's
        config, as spaCy's rulers take theirs: a config is validated and copied value by value,
        which cost a tenth of a second on Scout's patterns at every start."""
        strings = self.vocab.strings
        for trigger_id, trigger_patterns in patterns.items():
            self.patterns.setdefault(trigger_id, []).extend(trigger_patterns)
            for pattern in trigger_patterns:
                index = len(self.groups)
                try:
                    compiled = token_patterns.compile_pattern(pattern, strings)
                except ValueError as exc:
                    raise ValueError(f"trigger pattern for {trigger_id!r}: {exc}") from None
                required_specs = [spec for spec in pattern if _required(spec)]
                needs_number = any(spec.get("LIKE_NUM") is True for spec in required_specs)
                word_lists = [words for spec in required_specs if (words := _word_values(spec))]
                # The anchor: the required word list least like everyday chat (fewest stop
                # words and punctuation marks, then fewest words), so common words ("new",
                # "got", ",") wake fewer patterns; an ORTH list anchors as well as a LOWER one.
                anchor = min(word_lists, key=_commonness) if word_lists else []
                for word in set(anchor):
                    self._anchor_words.add(word)
                    self._by_anchor.setdefault(strings.add(word), []).append(index)
                if not anchor:
                    self._unanchored.append(index)
                required = [frozenset(strings.add(w) for w in words) for words in word_lists if words is not anchor]
                self.groups.append((tuple(required), needs_number, strings.add(trigger_id), compiled))
        # One lexeme flag for every anchor word: a remark without any (most chatter) is done
        # after one array read. Equal word sets share a flag bit.
        self._anchor_flag = lexeme_flag(self.vocab, _WordsFlag(frozenset(self._anchor_words)))

    def _data(self) -> TokenPatterns:
        return self.patterns

    def _restore(self, data: TokenPatterns) -> None:
        """The saved patterns replace any the config gave, which they include."""
        self._clear()
        self.add_patterns(data)

    def __call__(self, doc: Doc) -> Doc:
        found = self._find(doc)
        if found:
            spans = [Span(doc, start, end, label=TRIGGER, span_id=match_id) for match_id, start, end in found]
            group = doc.spans.get(SPANS_KEY)
            if group is None:
                doc.spans[SPANS_KEY] = spans
            else:
                group.extend(spans)
        return doc

    def annotate(self, doc: Doc) -> Doc:
        """The matches as tuples beside the span ruler's, for the context pass; no spans."""
        self._find(doc)
        return doc

    def _find(self, doc: Doc) -> list[tuple[int, int, int]]:
        if not self._unanchored and 1 not in doc.to_array(self._anchor_flag).tolist():
            return []
        table = doc.to_array(token_patterns.ATTRS)
        words = set(table[:, 0].tolist())
        has_number: bool | None = None
        rows: list[tuple[int, ...]] | None = None
        by_anchor = self._by_anchor
        candidates = set(self._unanchored)
        for word in words:
            if word in by_anchor:
                candidates.update(by_anchor[word])
        found = []
        for index in sorted(candidates):
            required, needs_number, trigger, compiled = self.groups[index]
            if not all(not ws.isdisjoint(words) for ws in required):
                continue
            if needs_number:
                if has_number is None:
                    has_number = bool(table[:, token_patterns.ATTRS.index(LIKE_NUM)].any())
                if not has_number:
                    continue
            if rows is None:
                rows = [tuple(row) for row in table.tolist()]
            found += [(trigger, start, end) for start, end in token_patterns.match(compiled, rows)]
        if found:
            strings = doc.vocab.strings
            raw = doc.user_data.setdefault(MATCHES_KEY, [])
            raw.extend((start, end, TRIGGER, strings[match_id]) for match_id, start, end in found)
        return found


def _commonness(words: list[str]) -> tuple[int, int]:
    """How often a word list occurs in chat, roughly: its stop words and punctuation, then its
    length ("," or "is" would wake a pattern on almost every remark)."""
    return (sum(w.lower() in STOP_WORDS or not any(c.isalnum() for c in w) for w in words), len(words))


def _word_values(spec: dict[str, Any]) -> list[str]:
    """The words a token spec's LOWER or ORTH allows (ORTH lowercased: the doc's LOWER column
    holds them so), or [] when it does not limit them to a list."""
    for key in ("LOWER", "ORTH"):
        words = spec.get(key)
        if isinstance(words, dict):
            return [w.lower() for w in words.get("IN", [])]
        if isinstance(words, str):
            return [words.lower()]
    return []


def _required(spec: dict[str, Any]) -> bool:
    """Whether every match has a token for this spec (no "?", "*", "!" or "{0,n}")."""
    op = spec.get("OP")
    if op is None or op == "+":
        return True
    if isinstance(op, str) and op.startswith("{") and op.endswith("}"):
        low = op[1:-1].split(",")[0].strip()
        return low.isdigit() and int(low) >= 1
    return False


@Language.factory("scout_trigger_patterns", default_config={"patterns": {}})
def make_trigger_patterns(nlp: Language, name: str, patterns: TokenPatterns) -> TriggerPatterns:
    return TriggerPatterns(nlp, name, patterns)
