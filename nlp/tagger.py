"""The tagger behind one interface: `Tagger.tag(text, account) -> Tags`.

Built once at start-up from the firm's catalog, fully offline, on `spacy.blank("en")`:

    scout_norms -> span_ruler (catalog phrases and cue phrases, one PhraseMatcher pass)
                -> scout_trigger_patterns (token patterns, only where an anchor word occurs)
                -> scout_context (needs and modifiers per mention)

`tag` then applies what depends on the account (its wallet: upsell or cross-sell, work
already delivered, auditor independence) and decides whether the remark is a lead.
"""

from __future__ import annotations

import gc
import re
import threading
from collections import Counter
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Protocol

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from nlp import components
from nlp.amounts import (
    find_amounts,
    find_dates,
    may_hold_money,
    may_name_period,
    may_point_at_period,
    may_start_date,
)
from nlp.catalog import Catalog, WalletLine
from nlp.clean import clean_markup
from nlp.components import (
    CLOSING,
    CONSIDER,
    EXPAND,
    MOD,
    NEED,
    NEED_PHRASE,
    NOT_SERVICE,
    NOT_TRIGGER,
    PAIN,
    PSEUDO,
    TERM,
    TOPIC,
    TRIGGER,
    Mention,
    lexeme_flag,
    phrase_patterns,
)
from nlp.inflect import NormTable, cue_norm_table
from nlp.rules import Rules, load_rules
from nlp.tags import Modifier, ServiceTag, Tags, TriggerTag
from nlp.topic_words import GUESS_KEY, ScoutTopicWords, topic_word_index

NEED_PHRASE_SCORE = 0.85
CUED_TERM_SCORE = 0.75
CUED_TOPIC_SCORE = 0.6
EXPANSION_SCORE = 0.7
BARE_TERM_SCORE = 0.3
TRIGGER_SCORE = 0.7
GUESSED_SCORE = 0.55  # a service named only by its topic words, beside plain needs (nlp/topic_words.py)
LEAD_THRESHOLD = 0.5
_WORD = re.compile(r"[A-Za-z]+")
# Modifiers that say the service is not wanted, as opposed to not being a need right now.
_REFUSALS = {"negated", "declined"}
OTHERS_PROVIDE = {"competitor", "in_house", "none"}
_WALLETS_KEPT = 1000
WORDS_KEPT = 50_000  # words remarks may add to the vocab for good (Tagger.__init__)


class AccountLike(Protocol):
    """What the tagger reads of an account: its wallet lines."""

    services: Sequence[WalletLine]


def build_pipeline(catalog: Catalog, rules: Rules) -> Language:
    """spacy.blank("en") plus Scout's components, with the catalog and rules as patterns."""
    nlp = spacy.blank("en")
    phrases = [p for s in catalog.services for p in (s.name, *s.terms, *s.topics, *s.needs)]
    phrases += [p for t in catalog.triggers for p in t.phrases]
    words = {w.lower() for p in phrases for w in _WORD.findall(p)}
    cue_words = {w.lower() for p in _cue_phrases(rules) for w in _WORD.findall(p)} - words
    # The catalog's words win a form both would claim ("planning" stays with "tax planning").
    table = NormTable.for_words(words, under=cue_norm_table(cue_words), not_slips=rules.not_slips)
    nlp.add_pipe("scout_norms").add(table)
    ruler = nlp.add_pipe(
        "scout_span_ruler",
        name="span_ruler",
        config={"spans_key": components.SPANS_KEY, "phrase_matcher_attr": "NORM", "validate": False},
    )
    # One list at a time: the whole catalog as pattern dicts at once was a peak of its own.
    add = ruler.add_patterns
    for service in catalog.services:
        add(phrase_patterns(TERM, [service.name.lower(), *service.terms], service.id))
        add(phrase_patterns(TOPIC, service.topics, service.id))
        add(phrase_patterns(NEED_PHRASE, service.needs, service.id))
    for trigger in catalog.triggers:
        add(phrase_patterns(TRIGGER, trigger.phrases, trigger.id))
    add(phrase_patterns(NEED, rules.need))
    add(phrase_patterns(PAIN, rules.pain))
    add(phrase_patterns(EXPAND, rules.expand))
    add(phrase_patterns(PSEUDO, rules.pseudo))
    add(phrase_patterns(CONSIDER, rules.considering))
    add(phrase_patterns(NOT_SERVICE, rules.not_services))
    add(phrase_patterns(NOT_TRIGGER, rules.not_triggers))
    for kind, cues in rules.modifiers.items():
        for direction in ("forward", "backward", "both"):
            phrases = getattr(cues, direction)
            if direction == "both" and cues.past_years is not None:
                phrases = phrases + cues.past_years.phrases()
            add(phrase_patterns(MOD, phrases, f"{kind}:{direction}:{cues.scope}"))
        add(phrase_patterns(MOD, cues.closing, f"{kind}:{CLOSING}:{cues.scope}"))
    trigger_ids = {t.id for t in catalog.triggers}
    token_patterns = {tid: ps for tid, ps in rules.trigger_patterns.items() if tid in trigger_ids}
    nlp.add_pipe("scout_trigger_patterns").add_patterns(token_patterns)
    closers = {kind: cues.closers for kind, cues in rules.modifiers.items() if cues.closers}
    not_after = {kind: cues.not_after for kind, cues in rules.modifiers.items() if cues.not_after}
    not_right_after = {kind: cues.not_right_after for kind, cues in rules.modifiers.items() if cues.not_right_after}
    reach_back = [kind for kind, cues in rules.modifiers.items() if cues.reaches_back]
    own = rules.own_past_work
    own_past_work = {}
    if own is not None and own.kind in rules.modifiers:
        own_past_work = {
            **own.model_dump(exclude={"kind"}),
            "cue_id": f"{own.kind}:both:{rules.modifiers[own.kind].scope}:own",
        }
    nlp.add_pipe(
        "scout_context",
        config={
            "terminators": rules.terminators,
            "closers": closers,
            "not_after": not_after,
            "not_right_after": not_right_after,
            "soft_terminators": rules.soft_terminators,
            "reach_back": reach_back,
            "own_past_work": own_past_work,
        },
    )
    if rules.topic_words is not None:
        _add_topic_words(nlp, catalog, rules)
    return nlp


def _add_topic_words(nlp: Language, catalog: Catalog, rules: Rules) -> None:
    settings = rules.topic_words
    single_cues = [p for p in (*rules.need, *_cue_phrases(rules)) if " " not in p.strip()]
    index = topic_word_index(
        nlp.vocab,
        {s.id: (*s.terms, *s.topics, *s.needs) for s in catalog.services},
        skip=[*settings.generic, *single_cues],
        min_phrases=settings.min_phrases,
        min_share=settings.min_share,
    )
    config = {
        "terminators": rules.terminators,
        "not_after": settings.not_after,
        "min_words": settings.min_words,
        "min_cues": settings.min_cues,
    }
    nlp.add_pipe("scout_topic_words", config=config).add(index)


def _cue_phrases(rules: Rules) -> list[str]:
    """The pain and modifier cues of rules.yaml, so their words' inflections fold too ("kicks
    off"). Need cues list their forms themselves: a need verb's past ("replaced") is done."""
    phrases = [*rules.pain, *rules.expand, *rules.pseudo]
    for cues in rules.modifiers.values():
        phrases += [*cues.forward, *cues.backward, *cues.both, *cues.closing]
    return phrases


class Tagger:
    """Maps a remark to services, triggers and a lead verdict, from the firm's catalog."""

    def __init__(self, catalog: Catalog, rules: Rules | None = None, words_kept: int = WORDS_KEPT) -> None:
        self.catalog = catalog
        rules = rules or load_rules()
        self.nlp = build_pipeline(catalog, rules)
        # The vocab keeps every word it meets (a lexeme and its strings, ~1.5 KB), so a bot up
        # for months would grow without end. It keeps the first `words_kept` words remarks
        # bring, the common ones, which then tokenize from cache; after that each remark is
        # tagged in a spaCy memory zone, which frees the words it brought (~10% slower).
        self._vocab_limit = len(self.nlp.vocab) + words_kept
        self._zoned = False
        # One remark at a time: the bot tags from worker threads too, and a memory zone swaps
        # the vocab's allocator for every thread, so a remark tagged beside a zone could keep
        # words the zone frees.
        self._lock = threading.Lock()
        self._cue_margin = rules.nearest_cue_margin
        # The components called in turn, as nlp(text) does minus its per-call set-up (error
        # handlers, the pipeline list), which costs more than some components themselves.
        # Components with an `annotate` leave Span objects out: the tagger reads tuples.
        self._make_doc = self.nlp.make_doc
        # The topic words are read only when nothing else named a service (`_guess`).
        pipeline = [proc for _, proc in self.nlp.pipeline if not isinstance(proc, components.ScoutNorms)]
        self._topic_words = next((proc for proc in pipeline if isinstance(proc, ScoutTopicWords)), None)
        self._components = [getattr(proc, "annotate", proc) for proc in pipeline if proc is not self._topic_words]
        # Lexeme flags: could this word be part of an amount, or of a date?
        vocab = self.nlp.vocab
        getters = (may_hold_money, may_start_date, may_name_period, may_point_at_period)
        self._text_flags = [lexeme_flag(vocab, getter) for getter in getters]
        self._wallets: dict[int, tuple[AccountLike, dict[str, str]]] = {}
        self._next = {s.id: s.next for s in catalog.services}
        self._conflicting = {s.id for s in catalog.services if s.audit_conflict}
        self._suggests = {t.id: t.suggests for t in catalog.triggers}

    def tag(self, text: str, account: AccountLike | None = None, flagged: bool = False) -> Tags:
        """Tag one remark. `flagged` means a person already judged it a lead, so a bare
        mention of a service counts as its need."""
        clean = clean_markup(text)
        with self._lock, self._words_zone():
            doc = self._make_doc(clean)
            doc.user_data[components.TEXT_KEY] = clean
            for component in self._components:
                doc = component(doc)
            return self._decide(doc, clean, account, flagged)

    def tag_many(self, texts: Sequence[str], account: AccountLike | None = None) -> list[Tags]:
        cleaned = [clean_markup(t) for t in texts]
        with self._lock, self._words_zone():
            return [
                self._decide(doc, clean, account, False)
                for doc, clean in zip(self.nlp.pipe(cleaned), cleaned, strict=True)
            ]

    def _words_zone(self) -> AbstractContextManager[object]:
        """A memory zone once the vocab holds its fill of words, else nothing. The Tags that
        come out hold plain strings, never a Doc, so nothing outlives the zone it was made in.
        (The vocab's length counts zoned words too, but it is read only until zones begin.)"""
        if not self._zoned and len(self.nlp.vocab) > self._vocab_limit:
            self._zoned = True
        return self.nlp.memory_zone() if self._zoned else nullcontext()

    def _decide(self, doc: Doc, text: str, account: AccountLike | None, flagged: bool) -> Tags:
        mentions: list[Mention] = doc.user_data.get(components.MENTIONS_DATA) or []
        # Dates and amounts only where a word could be part of one (one array read).
        money, date, period, pointer = doc.to_array(self._text_flags).any(axis=0).tolist() if len(doc) else [False] * 4
        dates = find_dates(text) if date or (period and pointer) else []
        amounts = find_amounts(text) if money else []
        if not mentions and self._guess(doc) is None:  # most chatter
            return Tags(lead=False, score=0.0, amounts=amounts, dates=dates)
        # The wallet only matters for mentions.
        wallet = self._wallet(account) if account else {}
        services: dict[str, ServiceTag] = {}
        triggers: dict[str, TriggerTag] = {}
        negated: list[str] = []
        modifiers: list[Modifier] = []
        scored: list[tuple[Mention, float]] = []  # the unmodified service mentions, scored
        for mention in mentions:
            kinds = [kind for kind, _ in mention.modifiers]
            if mention.kind != TRIGGER and "engaged" in kinds and wallet.get(mention.id) in OTHERS_PROVIDE:
                # Status words never silence a service the wallet says someone else provides.
                mention.modifiers = [m for m in mention.modifiers if m[0] != "engaged"]
                kinds.remove("engaged")
            if mention.kind == TRIGGER:
                # A trigger is news about the client; status words about our own work
                # ("kickoff", "sent over") do not make it less so.
                mention.modifiers = [m for m in mention.modifiers if m[0] != "engaged"]
                kinds = [k for k in kinds if k != "engaged"]
            if kinds:
                for kind, cue in mention.modifiers:
                    modifiers.append(Modifier(kind=kind, cue=cue, target=mention.id))
                if mention.kind != TRIGGER and _REFUSALS & set(kinds) and mention.id not in negated:
                    negated.append(mention.id)
                continue
            if mention.kind == TRIGGER:
                triggers.setdefault(mention.id, TriggerTag(id=mention.id, evidence=mention.text))
                continue
            score = self._service_score(mention, wallet.get(mention.id), flagged)
            scored.append((mention, score))
            current = services.get(mention.id)
            if score >= LEAD_THRESHOLD and (current is None or score > current.score):
                services[mention.id] = self._service_tag(mention.id, score, mention.text, wallet)
        if self._cue_margin is not None and len(services) > 1:
            for service_id in _outcompeted(services, scored, self._cue_margin):
                del services[service_id]
        found = [s for s in services.values() if s.id not in negated]
        guess = None if found else self._guess(doc)
        if guess is not None:
            service_id, start, end = guess
            found = [self._service_tag(service_id, GUESSED_SCORE, doc[start:end].text, wallet)]
        found.sort(key=lambda s: -s.score)
        negated = [n for n in negated if n not in services]
        score = max([s.score for s in found] + [TRIGGER_SCORE if triggers else 0.0])
        return Tags(
            lead=bool(found or triggers),
            score=round(score, 2),
            services=found,
            triggers=list(triggers.values()),
            suggested=self._suggest([s.id for s in found], list(triggers), negated),
            negated=negated,
            amounts=amounts,
            modifiers=modifiers,
            dates=dates,
        )

    def _guess(self, doc: Doc) -> tuple[str, int, int] | None:
        """A service named only by its topic words, looked for once per doc (nlp.pipe's
        scout_topic_words may have looked already)."""
        if GUESS_KEY not in doc.user_data:
            doc.user_data[GUESS_KEY] = self._topic_words.guess(doc) if self._topic_words is not None else None
        return doc.user_data[GUESS_KEY]

    def _service_tag(self, service_id: str, score: float, evidence: str, wallet: dict[str, str]) -> ServiceTag:
        return ServiceTag(
            id=service_id,
            score=score,
            evidence=evidence,
            kind="upsell" if wallet.get(service_id) == "provided" else "cross-sell",
            conflict=wallet.get("audit") == "provided" and service_id in self._conflicting,
        )

    def _wallet(self, account: AccountLike) -> dict[str, str]:
        """service id -> status, read once per account object (accounts live as long as the
        config that holds them)."""
        cached = self._wallets.get(id(account))
        if cached is None or cached[0] is not account:
            if len(self._wallets) > _WALLETS_KEPT:  # configs reloaded many times over
                self._wallets.clear()
            cached = self._wallets[id(account)] = (account, {line.id: line.status for line in account.services})
        return cached[1]

    @staticmethod
    def _service_score(mention: Mention, status: str | None, flagged: bool) -> float:
        if mention.kind == NEED_PHRASE:
            return NEED_PHRASE_SCORE
        if mention.cued:
            return CUED_TOPIC_SCORE if mention.kind == TOPIC else CUED_TERM_SCORE
        if mention.expand and status == "provided" and mention.kind == TERM:
            return EXPANSION_SCORE
        if flagged:
            return CUED_TOPIC_SCORE if mention.kind == TOPIC else CUED_TERM_SCORE
        return BARE_TERM_SCORE

    def _suggest(self, service_ids: list[str], trigger_ids: list[str], negated: list[str]) -> list[str]:
        """Next services by pathway and trigger, most often suggested first."""
        if not service_ids and not trigger_ids:
            return []
        votes: Counter[str] = Counter()
        for sid in service_ids:
            votes.update(self._next.get(sid, []))
        for tid in trigger_ids:
            votes.update(self._suggests.get(tid, []))
        ranked = sorted(votes.items(), key=lambda kv: (-kv[1], kv[0]))
        return [sid for sid, _ in ranked if sid not in service_ids and sid not in negated]


def _outcompeted(services: dict[str, ServiceTag], scored: list[tuple[Mention, float]], margin: int) -> list[str]:
    """Services found only as cued topics whose every cue sits nearer a stronger service in
    the same clause ("the ceo is a bottleneck and has 14 direct reports": the pain is the
    structure's, not a process's). The cue belongs to the nearest service that claims it."""
    beaten = []
    for service_id, tag in services.items():
        if tag.score != CUED_TOPIC_SCORE:
            continue
        mine = [m for m, score in scored if m.id == service_id and score == CUED_TOPIC_SCORE]
        if mine and all(_has_nearer_rival(m, services, scored, margin) for m in mine):
            beaten.append(service_id)
    return beaten


def _has_nearer_rival(
    mention: Mention, services: dict[str, ServiceTag], scored: list[tuple[Mention, float]], margin: int
) -> bool:
    if mention.kind != TOPIC or not mention.cued or mention.cue_span is None:
        return False
    cue_start, cue_end = mention.cue_span
    return any(
        other.id != mention.id
        and other.clause == mention.clause
        and other.cue_distance is not None
        and components.span_gap(other.start, other.end, cue_start, cue_end) + margin < mention.cue_distance
        and services.get(other.id, _NO_TAG).score > CUED_TOPIC_SCORE
        for other, _ in scored
    )


_NO_TAG = ServiceTag(id="", score=0.0, evidence="", kind="cross-sell", conflict=False)


def build_tagger(catalog: Catalog) -> Tagger:
    """The tagger, built with the cycle collector paused: the build makes a few hundred thousand
    objects and no garbage cycles, and every collection it set off would walk each object the
    process holds (a bot that has been up a while holds many); that was up to a fifth of the load."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return Tagger(catalog)
    finally:
        if was_enabled:
            gc.enable()
