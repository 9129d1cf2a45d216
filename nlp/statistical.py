"""An optional statistical second opinion: a spaCy text classifier (bag-of-words) that says
how likely a remark is a lead. Off by default; trained offline from a labeled JSONL file
with `scout train`, loaded from disk, and consulted only when Scout decides alone whether to
speak up in a monitored channel, never on the /flag path.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from pathlib import Path

import spacy
from spacy.training import Example
from spacy.util import fix_random_seed, minibatch

from nlp.clean import clean_markup

LEAD, OTHER = "LEAD", "OTHER"
TEXTCAT_CONFIG = {
    "model": {
        "@architectures": "spacy.TextCatBOW.v3",
        "exclusive_classes": True,
        "ngram_size": 2,
        "no_output_layer": False,
        "length": 262144,
    }
}


def is_lead_row(row: dict) -> bool:
    return bool(row.get("services") or row.get("triggers"))


def train_classifier(rows: Iterable[dict], out_dir: Path, epochs: int = 12, seed: int = 0) -> int:
    """Train on labeled rows (a row with services or triggers is a lead); save; return the count."""
    fix_random_seed(seed)
    nlp = spacy.blank("en")
    textcat = nlp.add_pipe("textcat", config=TEXTCAT_CONFIG)
    textcat.add_label(LEAD)
    textcat.add_label(OTHER)
    examples = []
    for row in rows:
        lead = is_lead_row(row)
        doc = nlp.make_doc(clean_markup(row["text"]))
        examples.append(Example.from_dict(doc, {"cats": {LEAD: float(lead), OTHER: float(not lead)}}))
    if not examples:
        raise ValueError("no labeled rows to train on")
    optimizer = nlp.initialize(lambda: examples)
    shuffler = random.Random(seed)
    for _ in range(epochs):
        shuffler.shuffle(examples)
        for batch in minibatch(examples, size=16):
            nlp.update(batch, sgd=optimizer)
    out_dir.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(out_dir)
    return len(examples)


class LeadClassifier:
    """P(lead) for a remark, from a model trained by `train_classifier`."""

    def __init__(self, model_dir: Path, threshold: float = 0.5) -> None:
        self.nlp = spacy.load(model_dir)
        self.threshold = threshold

    def probability(self, text: str) -> float:
        return float(self.nlp(clean_markup(text)).cats.get(LEAD, 0.0))

    def agrees(self, text: str) -> bool:
        return self.probability(text) >= self.threshold
