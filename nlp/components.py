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
from spacy.attrs import LIKE_NUM, LOWER
from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Doc, Span

from nlp.inflect import apply_norms

SPANS_KEY = "scout"
TERM, NEED_PHRASE, TRIGGER = "TERM", "NEED_PHRASE", "TRIGGER"
NEED, PAIN, EXPAND, MOD = "NEED", "PAIN", "EXPAND", "MOD"
MENTIONS = (TERM, NEED_PHRASE, TRIGGER)

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


@dataclass
class Mention:
    """A service or trigger mention, with what its clause says about it."""

    kind: str  # TERM, NEED_PHRASE or TRIGGER
    id: str
    start: int
    end: int
    text: str
    cued: bool = False  # a need or pain cue in the same clause
    expand: bool = False  # an expansion cue ("more", "another entity") in the same clause
    modifiers: list[tuple[str, str]] = field(default_factory=list)  # (kind, cue text)


def _clauses(doc: Doc, terminators: frozenset[str]) -> list[int]:
    """Clause number of each token; terminators start a new clause."""
    out, current = [], 0
    for token in doc:
        if token.lower_ in terminators or "\n" in token.text:
            current += 1
        out.append(current)
    return out


def _drop_contained(spans: list[Span]) -> list[Span]:
    """Longest match wins: "no one" (a gap) is not also "no" (a negation). Spans with the
    same extent all stay (one phrase may name two things)."""
    kept: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.start, -(s.end - s.start))):
        inside = (k for k in kept if k.start <= span.start and span.end <= k.end)
        if any((k.start, k.end) != (span.start, span.end) for k in inside):
            continue
        kept.append(span)
    return kept


class ScoutContext:
    """Marks each mention as cued (a need or pain nearby) and collects its modifiers."""

    def __init__(self, nlp: Language, name: str, terminators: list[str]) -> None:
        self.name = name
        self.terminators = frozenset(t.lower() for t in terminators)

    def __call__(self, doc: Doc) -> Doc:
        spans = doc.spans.get(SPANS_KEY, [])
        # Longest match wins among services ("security audit" is not also "audit"), and
        # among triggers; a trigger and a service may share words.
        mentions = _drop_contained([s for s in spans if s.label_ in (TERM, NEED_PHRASE)])
        mentions += _drop_contained([s for s in spans if s.label_ == TRIGGER])
        if not mentions:
            doc._.scout_mentions = []
            return doc
        clause = _clauses(doc, self.terminators)
        cues = _drop_contained([s for s in spans if s.label_ not in MENTIONS])
        result = []
        for span in mentions:
            here = clause[span.start]
            mention = Mention(span.label_, span.id_, span.start, span.end, span.text)
            for cue in cues:
                overlaps = cue.start < span.end and cue.end > span.start
                covers = cue.start <= span.start and cue.end >= span.end
                # A cue inside the mention is part of it ("nobody watching the firewall");
                # a modifier that spans the whole mention ("guest wifi") still applies.
                if clause[cue.start] != here or (overlaps and not (cue.label_ == MOD and covers)):
                    continue
                if cue.label_ in (NEED, PAIN):
                    mention.cued = True
                elif cue.label_ == EXPAND:
                    mention.expand = True
                elif cue.label_ == MOD and (overlaps or _in_scope(cue, span)):
                    mention.modifiers.append((cue.id_.split(":")[0], cue.text))
            result.append(mention)
        doc._.scout_mentions = result
        return doc


def _in_scope(cue: Span, span: Span) -> bool:
    _, direction, scope_text = cue.id_.split(":")
    scope = int(scope_text)
    before = cue.end <= span.start and span.start - cue.end <= scope
    after = cue.start >= span.end and cue.start - span.end <= scope
    if direction == "forward":
        return before
    if direction == "backward":
        return after
    return before or after


@Language.factory("scout_context", default_config={"terminators": [".", "!", "?", ";"]})
def make_scout_context(nlp: Language, name: str, terminators: list[str]) -> ScoutContext:
    return ScoutContext(nlp, name, terminators)


def phrase_patterns(label: str, phrases: list[str], pattern_id: str = "") -> list[dict[str, Any]]:
    return [{"label": label, "pattern": p, "id": pattern_id} for p in phrases if p.strip()]


class TriggerPatterns:
    """Token patterns for trigger events. Each pattern gets its own Matcher and runs only on
    remarks containing a word it can start with: the token Matcher's cost grows with every
    pattern it holds, and most channel chatter contains none of those words."""

    def __init__(self, nlp: Language, name: str, patterns: dict[str, list[list[dict[str, Any]]]]) -> None:
        self.name = name
        self.patterns = patterns
        self.groups: list[tuple[frozenset[int], bool, Matcher]] = []
        for trigger_id, token_patterns in patterns.items():
            for pattern in token_patterns:
                matcher = Matcher(nlp.vocab, validate=True)
                matcher.add(trigger_id, [pattern])
                words = pattern[0].get("LOWER", {})
                anchors = words.get("IN", []) if isinstance(words, dict) else [words] if isinstance(words, str) else []
                # Anchors as string hashes, compared with the doc's LOWER array: no Token objects.
                hashes = frozenset(nlp.vocab.strings.add(w.lower()) for w in anchors)
                self.groups.append((hashes, not anchors, matcher))

    def __call__(self, doc: Doc) -> Doc:
        words = set(doc.to_array(LOWER).tolist())
        has_number: bool | None = None
        found = []
        for anchors, numeric, matcher in self.groups:
            if numeric:
                if has_number is None:
                    has_number = bool(doc.to_array(LIKE_NUM).any())
                if not has_number:
                    continue
            elif anchors.isdisjoint(words):
                continue
            found += [Span(doc, start, end, label=TRIGGER, span_id=match_id) for match_id, start, end in matcher(doc)]
        if found:
            group = doc.spans.get(SPANS_KEY)
            doc.spans[SPANS_KEY] = [*(group or []), *found]
        return doc


@Language.factory("scout_trigger_patterns", default_config={"patterns": {}})
def make_trigger_patterns(nlp: Language, name: str, patterns: dict[str, list[list[dict[str, Any]]]]) -> TriggerPatterns:
    return TriggerPatterns(nlp, name, patterns)
