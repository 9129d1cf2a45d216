"""Quality guards on the labeled development set and the channel chatter in tests/data,
with the shipped catalog: a change that makes the tagger worse fails here."""

from __future__ import annotations

from pathlib import Path

import pytest

from handlers.config import load_config
from nlp.evaluate import evaluate, read_rows
from nlp.tagger import build_tagger

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests/data"
# Floors a little under the figures in the README, so a regression fails and noise does not.
# (No floor on tests/data/heldout*.jsonl: they are only read for their scores, never tuned on.)
FLOORS = {
    "dev.jsonl": {"services_f1": 0.93, "triggers_f1": 0.96, "false_alarms": 0.03},
    "dev2.jsonl": {"services_f1": 0.94, "triggers_f1": 0.90, "false_alarms": 0.02},
    "dev3.jsonl": {"services_f1": 0.96, "triggers_f1": 0.91, "false_alarms": 0.02},
    "dev4.jsonl": {"services_f1": 0.94, "triggers_f1": 0.88, "false_alarms": 0.02},
    "dev5.jsonl": {"services_f1": 0.90, "triggers_f1": 0.89, "false_alarms": 0.03},
    "dev6.jsonl": {"services_f1": 0.92, "triggers_f1": 0.91, "false_alarms": 0.05},
    "dev7.jsonl": {"services_f1": 0.91, "triggers_f1": 0.84, "false_alarms": 0.04},
    "dev8.jsonl": {"services_f1": 0.91, "triggers_f1": 0.90, "false_alarms": 0.05},
    "dev9.jsonl": {"services_f1": 0.89, "triggers_f1": 0.79, "false_alarms": 0.06},
    "dev10.jsonl": {"services_f1": 0.91, "triggers_f1": 0.90, "false_alarms": 0.02},
    "dev11.jsonl": {"services_f1": 0.90, "triggers_f1": 0.87, "false_alarms": 0.04},
    "dev12.jsonl": {"services_f1": 0.90, "triggers_f1": 0.88, "false_alarms": 0.02},
    "dev13.jsonl": {"services_f1": 0.90, "triggers_f1": 0.86, "false_alarms": 0.04},
    "dev14.jsonl": {"services_f1": 0.85, "triggers_f1": 0.87, "false_alarms": 0.04},
    "dev15.jsonl": {"services_f1": 0.83, "triggers_f1": 0.86, "false_alarms": 0.07},
    "dev16.jsonl": {"services_f1": 0.90, "triggers_f1": 0.95, "false_alarms": 0.02},
    "dev17.jsonl": {"services_f1": 0.91, "triggers_f1": 0.92, "false_alarms": 0.03},
    "dev18.jsonl": {"services_f1": 0.87, "triggers_f1": 0.91, "false_alarms": 0.02},
    "dev19.jsonl": {"services_f1": 0.88, "triggers_f1": 0.86, "false_alarms": 0.04},
    "dev20.jsonl": {"services_f1": 0.91, "triggers_f1": 0.89, "false_alarms": 0.04},
    "dev21.jsonl": {"services_f1": 0.86, "triggers_f1": 0.92, "false_alarms": 0.02},
    "dev22.jsonl": {"services_f1": 0.87, "triggers_f1": 0.89, "false_alarms": 0.06},
    "dev23.jsonl": {"services_f1": 0.94, "triggers_f1": 0.95, "false_alarms": 0.02},
    "dev24.jsonl": {"services_f1": 0.95, "triggers_f1": 0.94, "false_alarms": 0.03},
    "dev25.jsonl": {"services_f1": 0.95, "triggers_f1": 0.94, "false_alarms": 0.02},
    "dev26.jsonl": {"services_f1": 0.94, "triggers_f1": 0.97, "false_alarms": 0.02},
    "dev27.jsonl": {"services_f1": 0.93, "triggers_f1": 0.93, "false_alarms": 0.04},
    "dev28.jsonl": {"services_f1": 0.94, "triggers_f1": 0.96, "false_alarms": 0.03},
    "dev29.jsonl": {"services_f1": 0.93, "triggers_f1": 0.92, "false_alarms": 0.03},
    "dev30.jsonl": {"services_f1": 0.85, "triggers_f1": 0.93, "false_alarms": 0.05},
    "dev31.jsonl": {"services_f1": 0.89, "triggers_f1": 0.95, "false_alarms": 0.02},
    "dev32.jsonl": {"services_f1": 0.88, "triggers_f1": 0.92, "false_alarms": 0.03},
    "dev33.jsonl": {"services_f1": 0.87, "triggers_f1": 0.92, "false_alarms": 0.06},
    "dev34.jsonl": {"services_f1": 0.86, "triggers_f1": 0.89, "false_alarms": 0.03},
    "dev35.jsonl": {"services_f1": 0.87, "triggers_f1": 0.93, "false_alarms": 0.02},
    "dev36.jsonl": {"services_f1": 0.88, "triggers_f1": 0.91, "false_alarms": 0.02},
    "dev37.jsonl": {"services_f1": 0.86, "triggers_f1": 0.90, "false_alarms": 0.02},
    "dev38.jsonl": {"services_f1": 0.87, "triggers_f1": 0.91, "false_alarms": 0.05},
    "dev39.jsonl": {"services_f1": 0.89, "triggers_f1": 0.89, "false_alarms": 0.09},
    "dev40.jsonl": {"services_f1": 0.94, "triggers_f1": 0.91, "false_alarms": 0.05},
    "dev41.jsonl": {"services_f1": 0.87, "triggers_f1": 0.90, "false_alarms": 0.05},
    "dev42.jsonl": {"services_f1": 0.84, "triggers_f1": 0.86, "false_alarms": 0.06},
    "dev43.jsonl": {"services_f1": 0.83, "triggers_f1": 0.89, "false_alarms": 0.08},
    "dev44.jsonl": {"services_f1": 0.89, "triggers_f1": 0.91, "false_alarms": 0.04},
    "dev45.jsonl": {"services_f1": 0.87, "triggers_f1": 0.94, "false_alarms": 0.02},
    "dev46.jsonl": {"services_f1": 0.89, "triggers_f1": 0.95, "false_alarms": 0.04},
    "dev47.jsonl": {"services_f1": 0.94, "triggers_f1": 0.90, "false_alarms": 0.05},
    "dev48.jsonl": {"services_f1": 0.90, "triggers_f1": 0.95, "false_alarms": 0.02},
    "dev49.jsonl": {"services_f1": 0.91, "triggers_f1": 0.91, "false_alarms": 0.05},
    # dev50-53 were written during round 11 and tuned on in round 12
    "dev50.jsonl": {"services_f1": 0.86, "triggers_f1": 0.88, "false_alarms": 0.08},
    "dev51.jsonl": {"services_f1": 0.87, "triggers_f1": 0.90, "false_alarms": 0.06},
    "dev52.jsonl": {"services_f1": 0.85, "triggers_f1": 0.85, "false_alarms": 0.06},
    "dev53.jsonl": {"services_f1": 0.90, "triggers_f1": 0.94, "false_alarms": 0.03},
    # dev54-57 were written during round 12 (its unseen reading) and tuned on in round 13
    "dev54.jsonl": {"services_f1": 0.85, "triggers_f1": 0.92, "false_alarms": 0.04},
    "dev55.jsonl": {"services_f1": 0.81, "triggers_f1": 0.85, "false_alarms": 0.05},
    "dev56.jsonl": {"services_f1": 0.87, "triggers_f1": 0.92, "false_alarms": 0.02},
    "dev57.jsonl": {"services_f1": 0.88, "triggers_f1": 0.93, "false_alarms": 0.03},
    # dev58-61 were written during round 13 (its unseen reading) and tuned on since (session 10's
    # leadership changes, session 12's topic words and round 15's vocabulary)
    "dev58.jsonl": {"services_f1": 0.87, "triggers_f1": 0.86, "false_alarms": 0.03},
    "dev59.jsonl": {"services_f1": 0.84, "triggers_f1": 0.84, "false_alarms": 0.10},
    "dev60.jsonl": {"services_f1": 0.86, "triggers_f1": 0.86, "false_alarms": 0.06},
    "dev61.jsonl": {"services_f1": 0.85, "triggers_f1": 0.84, "false_alarms": 0.07},
    # dev62-69 were written in session 12, read once after the topic words, and tuned on in round 15
    "dev62.jsonl": {"services_f1": 0.89, "triggers_f1": 0.87, "false_alarms": 0.06},
    "dev63.jsonl": {"services_f1": 0.89, "triggers_f1": 0.92, "false_alarms": 0.07},
    "dev64.jsonl": {"services_f1": 0.91, "triggers_f1": 0.90, "false_alarms": 0.07},
    "dev65.jsonl": {"services_f1": 0.92, "triggers_f1": 0.90, "false_alarms": 0.06},
    "dev66.jsonl": {"services_f1": 0.90, "triggers_f1": 0.83, "false_alarms": 0.09},
    "dev67.jsonl": {"services_f1": 0.88, "triggers_f1": 0.85, "false_alarms": 0.03},
    "dev68.jsonl": {"services_f1": 0.91, "triggers_f1": 0.90, "false_alarms": 0.04},
    "dev69.jsonl": {"services_f1": 0.88, "triggers_f1": 0.82, "false_alarms": 0.04},
    # dev70-73 were written during round 15 (its unseen reading) and tuned on in round 16
    "dev70.jsonl": {"services_f1": 0.93, "triggers_f1": 0.93, "false_alarms": 0.03},
    "dev71.jsonl": {"services_f1": 0.94, "triggers_f1": 0.89, "false_alarms": 0.03},
    "dev72.jsonl": {"services_f1": 0.91, "triggers_f1": 0.98, "false_alarms": 0.03},
    "dev73.jsonl": {"services_f1": 0.91, "triggers_f1": 0.95, "false_alarms": 0.03},
    # dev74-77 were written during round 16 (its unseen reading) and tuned on in round 17
    "dev74.jsonl": {"services_f1": 0.79, "triggers_f1": 0.86, "false_alarms": 0.03},
    "dev75.jsonl": {"services_f1": 0.80, "triggers_f1": 0.94, "false_alarms": 0.03},
    "dev76.jsonl": {"services_f1": 0.77, "triggers_f1": 0.90, "false_alarms": 0.03},
    "dev77.jsonl": {"services_f1": 0.78, "triggers_f1": 0.86, "false_alarms": 0.05},
    # dev78-81 were written during round 17 (its unseen reading); session 13 tuned trigger shapes on them
    "dev78.jsonl": {"services_f1": 0.80, "triggers_f1": 0.91, "false_alarms": 0.04},
    "dev79.jsonl": {"services_f1": 0.71, "triggers_f1": 0.85, "false_alarms": 0.09},
    "dev80.jsonl": {"services_f1": 0.75, "triggers_f1": 0.81, "false_alarms": 0.06},
    "dev81.jsonl": {"services_f1": 0.76, "triggers_f1": 0.90, "false_alarms": 0.07},
    # dev82-85 were written during session 13 (its first unseen reading); its second round of trigger
    # shapes was tuned on them
    "dev82.jsonl": {"services_f1": 0.80, "triggers_f1": 0.87, "false_alarms": 0.03},
    "dev83.jsonl": {"services_f1": 0.80, "triggers_f1": 0.88, "false_alarms": 0.09},
    "dev84.jsonl": {"services_f1": 0.75, "triggers_f1": 0.86, "false_alarms": 0.14},
    "dev85.jsonl": {"services_f1": 0.81, "triggers_f1": 0.82, "false_alarms": 0.03},
    # dev86-87: session 13's second unseen reading, after both rounds of trigger shapes (floors at
    # that reading); the consideration rule was then chosen on dev82-87's false alarms
    "dev86.jsonl": {"services_f1": 0.73, "triggers_f1": 0.86, "false_alarms": 0.09},
    "dev87.jsonl": {"services_f1": 0.74, "triggers_f1": 0.75, "false_alarms": 0.14},
}


@pytest.fixture(scope="module")
def shipped():
    config = load_config(ROOT / "app.yaml")
    return config, build_tagger(config.catalog)


def test_dev_set_is_big_and_varied_enough():
    rows = read_rows(DATA / "dev.jsonl")
    assert len(rows) >= 200
    negatives = [r for r in rows if not r["services"] and not r["triggers"]]
    assert len(negatives) >= 60
    services = {s for r in rows for s in r["services"]}
    assert len(services) == 26


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_dev_set_scores(shipped, name):
    config, tagger = shipped
    report = evaluate(read_rows(DATA / name), lambda row: tagger.tag(row["text"]))
    floors = FLOORS[name]
    assert report.services.f1 >= floors["services_f1"]
    assert report.triggers.f1 >= floors["triggers_f1"]
    assert report.false_alarm_rate <= floors["false_alarms"]


def test_channel_chatter_almost_never_looks_like_a_lead(shipped):
    config, tagger = shipped
    lines = [line for line in (DATA / "chatter.txt").read_text().splitlines() if line.strip()]
    assert len(lines) >= 300
    alarms = [line for line in lines if tagger.tag(line, config.account("acme")).lead]
    assert len(alarms) / len(lines) <= 0.01, alarms
