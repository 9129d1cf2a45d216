"""The optional statistical second opinion: trained offline, consulted only by monitoring."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from handlers.monitor import channel_message
from nlp.statistical import LeadClassifier, train_classifier
from tests.conftest import ask

ROWS = [
    {"text": "they need help with their payroll provider", "services": ["hr_consulting"], "triggers": []},
    {"text": "they want a pen test before the renewal", "services": ["security_audit"], "triggers": []},
    {"text": "frustrated with the firewall alerts nobody watches", "services": ["managed_security"], "triggers": []},
    {"text": "lunch is here, come grab it", "services": [], "triggers": []},
    {"text": "see you all at the standup tomorrow", "services": [], "triggers": []},
    {"text": "thanks for the notes, great call", "services": [], "triggers": []},
] * 6


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("classifier")
    assert train_classifier(ROWS, path, epochs=8) == len(ROWS)
    return path


def test_classifier_separates_what_it_was_trained_on(model_dir):
    classifier = LeadClassifier(model_dir)
    assert classifier.probability("they need help with their payroll provider") > 0.5
    assert classifier.probability("see you all at the standup tomorrow") < 0.5


def test_training_is_deterministic(model_dir, tmp_path):
    train_classifier(ROWS, tmp_path, epochs=8)
    text = "their payroll provider keeps failing"
    assert LeadClassifier(tmp_path).probability(text) == LeadClassifier(model_dir).probability(text)


class _Never:
    def agrees(self, text: str) -> bool:
        return False


def test_a_disagreeing_second_opinion_keeps_monitoring_silent(scout):
    request = ask("dan", "they are frustrated with their payroll provider", channel="CACME")
    assert channel_message(scout, request).meta.get("monitoring") == "suggest"
    quiet = replace(scout, second_opinion=_Never())
    assert channel_message(quiet, request).meta.get("silent") == "yes"


def test_flag_never_consults_it(scout):
    from handlers.flag import flag

    quiet = replace(scout, second_opinion=_Never())
    assert flag(quiet, ask("dan", "acme they are frustrated with their payroll provider")).kind == "ok"
