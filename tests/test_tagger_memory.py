"""The vocab's growth is bounded: past `words_kept` new words, remarks are tagged in spaCy memory
zones, and they are tagged exactly as before."""

from __future__ import annotations

import json
import random
import string
import sys
import threading
from pathlib import Path

import pytest

from nlp.tagger import Tagger

DEV = Path(__file__).parent / "data" / "dev.jsonl"
KEPT = 40


@pytest.fixture(scope="module")
def zoned(config) -> Tagger:
    return Tagger(config.catalog, words_kept=KEPT)


def lexemes(tagger: Tagger) -> int:
    return sum(1 for _ in tagger.nlp.vocab)  # len(vocab) also counts words a zone freed


def made_up_words(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(string.ascii_lowercase) for _ in range(9)) for _ in range(n)]


def test_past_its_fill_the_vocab_keeps_no_more_words(zoned, config):
    words = made_up_words(600, seed=1)
    for i in range(0, len(words), 3):
        zoned.tag(f"can {words[i]} send {words[i + 1]} the {words[i + 2]} deck", config.account("acme"))
    first = lexemes(zoned)
    for i in range(0, len(words), 3):  # the same number of other new words again
        zoned.tag(f"{words[i + 2]}{words[i]} cannot find {words[i + 1]}x anywhere")
    assert lexemes(zoned) == first
    assert zoned._zoned


def test_a_tagger_that_has_not_met_its_fill_keeps_the_words(tagger):
    before = lexemes(tagger)
    tagger.tag(" ".join(made_up_words(5, seed=2)))
    assert lexemes(tagger) == before + 5


def test_remarks_tag_the_same_inside_a_memory_zone(zoned, tagger, config):
    zoned.tag(" ".join(made_up_words(KEPT + 5, seed=3)))  # past its fill
    assert zoned._zoned
    rows = [json.loads(line) for line in DEV.read_text().splitlines()[:150]]
    acme = config.account("acme")
    for row in rows:
        assert zoned.tag(row["text"], acme) == tagger.tag(row["text"], acme), row["text"]
    texts = [row["text"] for row in rows[:40]]
    assert zoned.tag_many(texts, acme) == tagger.tag_many(texts, acme)


def test_lead_found_inside_a_zone_keeps_its_evidence_after_it(zoned):
    zoned.tag(" ".join(made_up_words(KEPT + 5, seed=4)))
    tags = zoned.tag("Zorblatt Ltd are fed up with their payroll provider, they want someone else to run it")
    zoned.tag(" ".join(made_up_words(50, seed=5)))  # the zone's words are gone by now
    assert tags.lead
    assert [s.id for s in tags.services] == ["hr_consulting"]
    assert "payroll provider" in tags.services[0].evidence


def test_threads_tagging_at_once_get_what_one_thread_gets(zoned, tagger):
    zoned.tag(" ".join(made_up_words(KEPT + 5, seed=6)))
    texts = [json.loads(line)["text"] for line in DEV.read_text().splitlines()[:60]]
    expected = [tagger.tag(t) for t in texts]
    results: dict[int, list] = {}

    def work(n: int) -> None:
        extra = made_up_words(len(texts), seed=10 + n)
        results[n] = [zoned.tag(f"{t} {extra[i]}") for i, t in enumerate(texts)]

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads swap mid-remark, as they may on a busy bot
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert sorted(results) == [0, 1, 2, 3]  # no thread died
    for got in results.values():
        assert [(g.lead, [s.id for s in g.services], [t.id for t in g.triggers]) for g in got] == [
            (e.lead, [s.id for s in e.services], [t.id for t in e.triggers]) for e in expected
        ]
