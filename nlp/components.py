"""Scout's own spaCy components, registered with @Language.factory.

- `scout_norms` folds the catalog's inflections and typos onto its base words (lexeme NORMs).
- `scout_context` reads the span ruler's matches and decides, ConText-style, which service
  and trigger mentions are needs, and which are negated, declined, hypothetical, historical,
  about another party, or a status update on work already delivered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import srsly
from spacy.attrs import FLAG19, LIKE_NUM, LOWER
from spacy.language import Language
from spacy.matcher import Matcher
from spacy.pipeline import SpanRuler
from spacy.tokens import Doc, Span
from spacy.vocab import Vocab

from nlp.inflect import apply_norms

SPANS_KEY = "scout"
TERM, TOPIC, NEED_PHRASE, TRIGGER = "TERM", "TOPIC", "NEED_PHRASE", "TRIGGER"
NEED, PAIN, EXPAND, MOD = "NEED", "PAIN", "EXPAND", "MOD"
# PSEUDO: a phrase that looks like a modifier and is not one ("not sure", "with their
# competitor"); it swallows the cues inside it. NOT_SERVICE: a phrase holding a service word
# that never names a need for it ("audit committee", "auditors flagged"); it swallows the mention.
PSEUDO, NOT_SERVICE = "PSEUDO", "NOT_SERVICE"
SERVICE_MENTIONS = (TERM, TOPIC, NEED_PHRASE)
MENTIONS = (*SERVICE_MENTIONS, TRIGGER, NOT_SERVICE)

if not Doc.has_extension("scout_mentions"):
    Doc.set_extension("scout_mentions", default=None)


class ScoutNorms:
    """Holds the form -> base table and applies it to the vocab; serialisable with the pipeline."""

    def __init__(self, nlp: Language, name: str) -> None:
        self.nlp = nlp
        self.name = name
        self.table: dict[str, str] = {}

    def add(self, table: dict[str, str]) -> None:
        self.table.update(table)
        apply_norms(self.nlp.vocab, table)

    def __call__(self, doc: Doc) -> Doc:
        return doc  # the work is done once, on the lexemes

    def to_bytes(self, *, exclude: tuple = ()) -> bytes:
        return srsly.msgpack_dumps(self.table)

    def from_bytes(self, data: bytes, *, exclude: tuple = ()) -> ScoutNorms:
        self.add(srsly.msgpack_loads(data))
        return self

    def to_disk(self, path: str | Path, *, exclude: tuple = ()) -> None:
        Path(path).mkdir(parents=True, exist_ok=True)
        srsly.write_msgpack(Path(path) / "table.msgpack", self.table)

    def from_disk(self, path: str | Path, *, exclude: tuple = ()) -> ScoutNorms:
        self.add(srsly.read_msgpack(Path(path) / "table.msgpack"))
        return self


@Language.factory("scout_norms")
def make_scout_norms(nlp: Language, name: str) -> ScoutNorms:
    return ScoutNorms(nlp, name)


class ScoutSpanRuler(SpanRuler):
    """spaCy's SpanRuler, with a lean `match` for a ruler that holds only phrase patterns.

    SpanRuler.match also runs its token Matcher, empty here, under a warnings filter that
    silences the empty Matcher's warning; setting up that filter costs more than the phrase
    matching itself. With no token patterns, this calls the PhraseMatcher alone and builds the
    same spans in the same order. The component keeps the name "span_ruler"."""

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
    clause: int = 0
    cued: bool = False  # a need or pain cue in the same clause
    expand: bool = False  # an expansion cue ("more", "another entity") in the same clause
    modifiers: list[tuple[str, str]] = field(default_factory=list)  # (kind, cue text)


def _has_newline(text: str) -> bool:
    return "\n" in text


def _newline_flag(vocab: Vocab) -> int:
    """The vocab's lexeme flag for a line break in the text, added once, on a user flag bit
    (FLAG19..FLAG63; add_flag's own choice would be the deprecated IS_OOV bit)."""
    getters = vocab.lex_attr_getters
    for attr, getter in getters.items():
        if getter is _has_newline:
            return attr
    free = next(bit for bit in range(FLAG19, 64) if bit not in getters)
    return vocab.add_flag(_has_newline, flag_id=free)


def _clauses(doc: Doc, terminators: frozenset[int], newline_flag: int) -> list[int]:
    """Clause number of each token; terminators (LOWER hashes) and tokens holding a line
    break start a new clause. Read from the doc's arrays, so no Token objects are made."""
    out, current = [], 0
    for lower, newline in doc.to_array([LOWER, newline_flag]).tolist():
        if newline or lower in terminators:
            current += 1
        out.append(current)
    return out


# A span ruler match as the context pass reads it: (start, end, label, span).
_Match = tuple[int, int, str, Span]


def _drop_contained(spans: list[_Match]) -> list[_Match]:
    """Longest match wins: "no one" (a gap) is not also "no" (a negation). Spans with the
    same extent all stay (one phrase may name two things)."""
    kept: list[_Match] = []
    for span in sorted(spans, key=lambda s: (s[0], s[0] - s[1])):
        start, end = span[0], span[1]
        if any(k[0] <= start and end <= k[1] and (k[0], k[1]) != (start, end) for k in kept):
            continue
        kept.append(span)
    return kept


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
    ) -> None:
        self.name = name
        self.terminators = frozenset(t.lower() for t in terminators)
        strings = nlp.vocab.strings
        self._terminator_ids = frozenset(strings.add(t) for t in self.terminators)
        self.closers = closers or {}
        self.not_after = not_after or {}
        self._closer_ids = {k: frozenset(strings.add(w.lower()) for w in ws) for k, ws in self.closers.items()}
        self._not_after_ids = {k: frozenset(strings.add(w.lower()) for w in ws) for k, ws in self.not_after.items()}
        # A lexeme flag, set once per word type: does its text hold a line break?
        self._newline_flag = _newline_flag(nlp.vocab)

    def __call__(self, doc: Doc) -> Doc:
        group = doc.spans.get(SPANS_KEY)
        if not group:
            doc._.scout_mentions = []
            return doc
        spans = [(s.start, s.end, s.label_, s) for s in group]
        # Longest match wins among services ("security audit" is not also "audit"; "audit
        # committee" names no service at all), and among triggers; a trigger and a service
        # may share words.
        mentions = _drop_contained([s for s in spans if s[2] in SERVICE_MENTIONS or s[2] == NOT_SERVICE])
        mentions = [m for m in mentions if m[2] != NOT_SERVICE]
        mentions += _drop_contained([s for s in spans if s[2] == TRIGGER])
        if not mentions:
            doc._.scout_mentions = []
            return doc
        clause = _clauses(doc, self._terminator_ids, self._newline_flag)
        cues = _drop_pseudo(_drop_contained([s for s in spans if s[2] not in MENTIONS]))
        lowers = doc.to_array(LOWER).tolist() if self._closer_ids or self._not_after_ids else []
        cues_at = [(*cue, clause[cue[0]], _cue_scope(cue)) for cue in cues]
        cues_at = [c for c in cues_at if not self._cancelled(c, clause, lowers)]
        result = []
        for start, end, label, span in mentions:
            here = clause[start]
            mention = Mention(label, span.id_, start, end, span.text, here)
            for cue_start, cue_end, cue_label, cue, cue_clause, scope in cues_at:
                if cue_clause != here:
                    continue
                overlaps = cue_start < end and cue_end > start
                # A cue inside a name or need phrase is part of it ("nobody watching the
                # firewall"); inside a topic it is the need ("refusing to use"); a modifier
                # that spans the whole mention ("guest wifi") still applies.
                inner_cue = label == TOPIC and cue_label in (NEED, PAIN) and cue_end - cue_start < end - start
                if overlaps and not inner_cue and not (cue_label == MOD and cue_start <= start and cue_end >= end):
                    continue
                if cue_label in (NEED, PAIN):
                    mention.cued = True
                elif cue_label == EXPAND:
                    mention.expand = True
                elif cue_label == MOD and (overlaps or _in_scope(scope, cue_start, cue_end, start, end)) and not (
                    self._closed(scope[0], cue_start, cue_end, start, end, lowers)
                ):
                    mention.modifiers.append((scope[0], cue.text))
            result.append(mention)
        doc._.scout_mentions = result
        return doc

    def _cancelled(self, cue: tuple, clause: list[int], lowers: list[int]) -> bool:
        """A modifier cue right after one of its `not_after` words, in the same clause."""
        if cue[2] != MOD:
            return False
        words = self._not_after_ids.get(cue[5][0])
        if not words:
            return False
        start = cue[0]
        window = range(max(0, start - NOT_AFTER_WINDOW), start)
        return any(lowers[i] in words and clause[i] == clause[start] for i in window)

    def _closed(self, kind: str, cue_start: int, cue_end: int, start: int, end: int, lowers: list[int]) -> bool:
        """A closer word between a modifier cue and the mention ends the modifier's reach."""
        words = self._closer_ids.get(kind)
        if not words:
            return False
        between = range(cue_end, start) if cue_end <= start else range(end, cue_start)
        return any(lowers[i] in words for i in between)


NOT_AFTER_WINDOW = 5


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


def _cue_scope(cue: _Match) -> tuple[str, str, int]:
    """(kind, direction, scope) of a modifier cue, from its pattern id "kind:direction:scope"."""
    if cue[2] != MOD:
        return ("", "", 0)
    kind, direction, scope_text = cue[3].id_.split(":")
    return (kind, direction, int(scope_text))


def _in_scope(scope: tuple[str, str, int], cue_start: int, cue_end: int, start: int, end: int) -> bool:
    _, direction, width = scope
    before = cue_end <= start and start - cue_end <= width
    after = cue_start >= end and cue_start - end <= width
    if direction == "forward":
        return before
    if direction == "backward":
        return after
    return before or after


@Language.factory(
    "scout_context", default_config={"terminators": [".", "!", "?", ";"], "closers": {}, "not_after": {}}
)
def make_scout_context(
    nlp: Language,
    name: str,
    terminators: list[str],
    closers: dict[str, list[str]],
    not_after: dict[str, list[str]],
) -> ScoutContext:
    return ScoutContext(nlp, name, terminators, closers, not_after)


def phrase_patterns(label: str, phrases: list[str], pattern_id: str = "") -> list[dict[str, Any]]:
    return [{"label": label, "pattern": p, "id": pattern_id} for p in phrases if p.strip()]


class TriggerPatterns:
    """Token patterns for trigger events. Each pattern gets its own Matcher and runs only on
    remarks containing a word it can start with: the token Matcher's cost grows with every
    pattern it holds, and most channel chatter contains none of those words. A pattern also
    waits for every other word it cannot do without ("new" alone does not wake "new" + a role),
    so the Matcher runs only where it could match: the result is the same, minus the calls."""

    def __init__(self, nlp: Language, name: str, patterns: dict[str, list[list[dict[str, Any]]]]) -> None:
        self.name = name
        self.patterns = patterns
        # Per pattern: the words it needs besides its first, one set per required token (as
        # LOWER hashes, written and lowercased); whether it needs a number; its matcher.
        self.groups: list[tuple[tuple[frozenset[int], ...], bool, Matcher]] = []
        self._by_anchor: dict[int, list[int]] = {}  # first-word hash -> patterns it can start
        self._unanchored: list[int] = []  # patterns with no first word: they need a number
        strings = nlp.vocab.strings
        for trigger_id, token_patterns in patterns.items():
            for pattern in token_patterns:
                index = len(self.groups)
                matcher = Matcher(nlp.vocab, validate=True)
                matcher.add(trigger_id, [pattern])
                anchors = _lower_values(pattern[0])
                for word in {strings.add(w.lower()) for w in anchors}:
                    self._by_anchor.setdefault(word, []).append(index)
                if not anchors:
                    self._unanchored.append(index)
                needs_number = not anchors
                required = []
                for spec in pattern[1:]:
                    if not _required(spec):
                        continue
                    words = _lower_values(spec)
                    if words:
                        required.append(frozenset(strings.add(v) for w in words for v in (w, w.lower())))
                    if spec.get("LIKE_NUM") is True:
                        needs_number = True
                self.groups.append((tuple(required), needs_number, matcher))

    def __call__(self, doc: Doc) -> Doc:
        words = set(doc.to_array(LOWER).tolist())
        by_anchor = self._by_anchor
        candidates = set(self._unanchored)
        for word in words:
            if word in by_anchor:
                candidates.update(by_anchor[word])
        has_number: bool | None = None
        found = []
        for index in sorted(candidates):
            required, needs_number, matcher = self.groups[index]
            if not all(not ws.isdisjoint(words) for ws in required):
                continue
            if needs_number:
                if has_number is None:
                    has_number = bool(doc.to_array(LIKE_NUM).any())
                if not has_number:
                    continue
            found += [Span(doc, start, end, label=TRIGGER, span_id=match_id) for match_id, start, end in matcher(doc)]
        if found:
            group = doc.spans.get(SPANS_KEY)
            if group is None:
                doc.spans[SPANS_KEY] = found
            else:
                group.extend(found)
        return doc


def _lower_values(spec: dict[str, Any]) -> list[str]:
    """The words a token spec's LOWER allows, or [] when it does not limit them to a list."""
    words = spec.get("LOWER", {})
    return words.get("IN", []) if isinstance(words, dict) else [words] if isinstance(words, str) else []


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
def make_trigger_patterns(nlp: Language, name: str, patterns: dict[str, list[list[dict[str, Any]]]]) -> TriggerPatterns:
    return TriggerPatterns(nlp, name, patterns)
