"""Scoring the tagger on labeled remarks: precision, recall, F1, false alarms, worst misses."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from nlp.tags import Tags


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, gold: set[str], predicted: set[str]) -> None:
        self.tp += len(gold & predicted)
        self.fp += len(predicted - gold)
        self.fn += len(gold - predicted)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Miss:
    text: str
    errors: int
    expected: dict[str, list[str]]
    got: dict[str, list[str]]


@dataclass
class Report:
    rows: int = 0
    services: Score = field(default_factory=Score)
    triggers: Score = field(default_factory=Score)
    negatives: int = 0
    false_alarms: int = 0
    leads: int = 0
    missed_leads: int = 0
    misses: list[Miss] = field(default_factory=list)

    @property
    def false_alarm_rate(self) -> float:
        return self.false_alarms / self.negatives if self.negatives else 0.0

    def to_json(self) -> dict:
        return {
            "rows": self.rows,
            "services": {"precision": self.services.precision, "recall": self.services.recall, "f1": self.services.f1},
            "triggers": {"precision": self.triggers.precision, "recall": self.triggers.recall, "f1": self.triggers.f1},
            "not_a_lead_rows": self.negatives,
            "false_alarm_rate": self.false_alarm_rate,
            "lead_rows": self.leads,
            "missed_leads": self.missed_leads,
        }


def read_rows(path: Path) -> list[dict]:
    """Labeled rows of a JSONL file; a bad line names its number."""
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{number}: not JSON ({exc.msg})") from None
        if not isinstance(row, dict) or not isinstance(row.get("text"), str):
            raise ValueError(f"{path}:{number}: expected an object with \"text\", \"services\" and \"triggers\"")
        rows.append(row)
    return rows


def evaluate(rows: Iterable[dict], tag: Callable[[dict], Tags], worst: int = 10) -> Report:
    """Services and triggers count only where the tagger says lead, as Scout only acts then."""
    report = Report()
    for row in rows:
        tags = tag(row)
        gold_services, gold_triggers = set(row.get("services") or []), set(row.get("triggers") or [])
        got_services = set(tags.service_ids) if tags.lead else set()
        got_triggers = set(tags.trigger_ids) if tags.lead else set()
        report.rows += 1
        report.services.add(gold_services, got_services)
        report.triggers.add(gold_triggers, got_triggers)
        if gold_services or gold_triggers:
            report.leads += 1
            report.missed_leads += not tags.lead
        else:
            report.negatives += 1
            report.false_alarms += tags.lead
        errors = len(gold_services ^ got_services) + len(gold_triggers ^ got_triggers)
        if errors:
            report.misses.append(Miss(
                text=row["text"], errors=errors,
                expected={"services": sorted(gold_services), "triggers": sorted(gold_triggers)},
                got={"services": sorted(got_services), "triggers": sorted(got_triggers)},
            ))
    report.misses.sort(key=lambda m: -m.errors)
    report.misses = report.misses[:worst] if worst else report.misses
    return report


def format_report(report: Report) -> str:
    s, t = report.services, report.triggers
    lines = [
        f"rows: {report.rows} ({report.leads} leads, {report.negatives} not a lead)",
        f"services: precision {s.precision:.3f}  recall {s.recall:.3f}  F1 {s.f1:.3f}",
        f"triggers: precision {t.precision:.3f}  recall {t.recall:.3f}  F1 {t.f1:.3f}",
        f"false alarms on not-a-lead rows: {report.false_alarms}/{report.negatives} ({report.false_alarm_rate:.1%})",
        f"leads missed entirely: {report.missed_leads}/{report.leads}",
    ]
    if report.misses:
        lines.append("worst misses:")
        for miss in report.misses:
            lines.append(f"  - {miss.text[:110]}")
            lines.append(f"      expected {miss.expected}  got {miss.got}")
    return "\n".join(lines)
