"""Replies as Adaptive Cards for Teams (pure JSON: no botbuilder here).

Teams renders TextBlock text as a subset of Markdown, and `<at>...</at>` in text is a mention,
so everything people typed goes through `escape_text`. Cards are built as dicts, so a remark
holding Adaptive Card JSON stays text. A Teams message must stay under about 28 KB: remarks are
trimmed and trailing leads left out (with a note) to keep a card under MAX_CARD_BYTES.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from handlers.decide import DIMENSIONS, DROP_REASONS
from handlers.replies import Action, Field, LeadItem, Reply, Section, Table
from handlers.views import money
from store.tables import OPEN_STAGES, Rating

SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.4"
CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
MAX_CARD_BYTES = 25_000
MAX_REMARK = 1_500
TRIMMED = "\u2026 (trimmed)"
_MARKDOWN = re.compile(r"([\\`*_\[\]~|])")
_LINE_START = re.compile(r"^(\s*)([#>+\-]|\d+\.)", re.MULTILINE)
_MARKS = {"error": "\u26a0\ufe0f ", "refused": "\u26d4 ", "usage": "\u2139\ufe0f "}

Card = dict[str, Any]


def escape_text(text: str) -> str:
    """Plain text for a TextBlock: Markdown characters escaped, and `<`/`>` as look-alikes so
    `<at>`, `<script>` or `<b>` are never read as tags or mentions."""
    text = _LINE_START.sub(r"\1\\\2", _MARKDOWN.sub(r"\\\1", text))
    return text.replace("<", "\u2039").replace(">", "\u203a")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - len(TRIMMED)] + TRIMMED


def _block(text: str, **style: Any) -> Card:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def _facts(fields: tuple[Field, ...]) -> Card:
    return {"type": "FactSet", "facts": [{"title": escape_text(_clip(f.label, 200)),
                                          "value": escape_text(_clip(f.value, 1000))} for f in fields]}


def _table(table: Table) -> Card:
    """A table as aligned monospace text: ColumnSets get unreadable on phones past 3 columns."""
    rows = [table.columns, *table.rows]
    widths = [max(len(str(row[i])) if i < len(row) else 0 for row in rows) for i in range(len(table.columns))]
    lines = ["  ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(row)) for row in rows]
    return _block(escape_text(_clip("\n".join(lines), 6000)), fontType="Monospace", size="Small")


def _submit(action: Action) -> Card:
    return {"type": "Action.Submit", "title": action.label or action.id,
            "data": {"scout": action.id, "lead": action.value}}


def _action_set(actions: tuple[Action, ...]) -> list[Card]:
    return [{"type": "ActionSet", "actions": [_submit(a) for a in actions]}] if actions else []


def _lead(item: LeadItem, outcome: str = "", extra_actions: tuple[Action, ...] = (),
          extra: list[Card] | None = None) -> Card:
    """One lead in a Container with a stable id, so it can be replaced in place later."""
    header = " \u00b7 ".join(p for p in (f"#{item.id}", item.stage, escape_text(item.account_name)) if p)
    body: list[Card] = [_block(f"**{header}**")]
    if item.text.strip():
        body.append(_block(f"\u201c{escape_text(_clip(item.text, MAX_REMARK))}\u201d", isSubtle=True))
    for s in item.services:
        line = f"\u2022 {escape_text(s.name)} ({escape_text(s.kind)})"
        if s.conflict:
            line += " \u26a0\ufe0f conflict"
        if s.evidence.strip():
            line += f" \u2014 \u201c{escape_text(_clip(s.evidence, 300))}\u201d"
        body.append(_block(line, spacing="None"))
    if item.triggers:
        names = ", ".join(escape_text(t.name) for t in item.triggers)
        body.append(_block(f"Triggers: {names}", spacing="None"))
    credit = [f"Flagged by {escape_text(', '.join(item.flagged_by))}" if item.flagged_by else "",
              f"{item.age_days}d ago", money(item.value) if item.value is not None else ""]
    body.append(_block(" \u00b7 ".join(p for p in credit if p), isSubtle=True, size="Small", spacing="None"))
    body += [_block(f"Note: {escape_text(_clip(n, 300))}", size="Small", spacing="None") for n in item.notes]
    if outcome.strip():
        body.append(_block(f"\u2705 {escape_text(_clip(outcome, 500))}", weight="Bolder"))
    body += extra or []
    body += _action_set(item.actions + extra_actions)
    return {"type": "Container", "id": f"lead-{item.id}", "separator": True, "items": body}


def _section(section: Section) -> list[Card]:
    out = [_block(f"**{escape_text(section.title)}**", separator=True)] if section.title else []
    if section.text.strip():
        out.append(_block(escape_text(_clip(section.text, 3000))))
    if section.fields:
        out.append(_facts(section.fields))
    if section.table:
        out.append(_table(section.table))
    return out


def render_card(reply: Reply, extra: list[Card] | None = None) -> Card:
    """The reply as one Adaptive Card; `extra` (a drop-reason picker) goes under its lead."""
    head: list[Card] = []
    if reply.title:
        mark = _MARKS.get(reply.kind, "")
        head.append(_block(mark + escape_text(_clip(reply.title, 300)), size="Medium", weight="Bolder"))
    if reply.text.strip():
        head.append(_block(escape_text(_clip(reply.text, 3000))))
    head += [_block(f"\u26a0\ufe0f {escape_text(_clip(w, 1000))}", color="Warning") for w in reply.warnings]
    if reply.fields:
        head.append(_facts(reply.fields))
    groups: list[tuple[list[Card], int]] = [(head, 0)]
    groups += [([_lead(item, extra=extra if n == 0 else None)], 1) for n, item in enumerate(reply.items)]
    for section in reply.sections:
        groups.append((_section(section), 0))
        groups += [([_lead(item)], 1) for item in section.items]
    groups.append(([_block(f"[chart: {escape_text(c.title)}]", isSubtle=True) for c in reply.charts], 0))
    return _fit(groups, _action_set(reply.actions))


def _fit(groups: list[tuple[list[Card], int]], tail: list[Card]) -> Card:
    """Keep whole groups while the card stays under MAX_CARD_BYTES; say how many leads are left."""
    card = {"$schema": SCHEMA, "type": "AdaptiveCard", "version": VERSION, "body": []}
    budget = MAX_CARD_BYTES - _size({**card, "body": tail}) - 200
    body: list[Card] = []
    used = 0
    for n, (blocks, _) in enumerate(groups):
        size = sum(_size(b) + 1 for b in blocks)
        if used + size > budget:
            left = sum(count for _, count in groups[n:])
            body.append(_block(f"\u2026and {left} more; see @Scout leads" if left else "\u2026 (trimmed)",
                               isSubtle=True))
            break
        body += blocks
        used += size
    card["body"] = body + tail
    return card


def _size(node: Any) -> int:
    return len(json.dumps(node, ensure_ascii=False).encode())


def card_attachment(card: Card) -> dict[str, Any]:
    return {"contentType": CONTENT_TYPE, "content": card}


def qualify_form(lead_id: int, current: dict[str, Any]) -> Card:
    """Qualify in Teams: the method's four ratings, a value and the next stage, then Save."""
    choices = [{"title": r.value, "value": r.value} for r in Rating]
    body: list[Card] = [_block(f"**Qualify lead #{lead_id}**", size="Medium")]
    for dim, label in DIMENSIONS.items():
        body.append({"type": "Input.ChoiceSet", "id": dim, "label": label, "style": "compact",
                     "choices": choices, "value": current.get(dim) or ""})
    body.append({"type": "Input.Text", "id": "value", "label": "Estimated value", "placeholder": "e.g. 120k"})
    stage = current.get("stage")
    body.append({"type": "Input.ChoiceSet", "id": "stage", "label": "Next stage", "style": "compact",
                 "choices": [{"title": s.value.capitalize(), "value": s.value} for s in OPEN_STAGES],
                 "value": stage if stage in {s.value for s in OPEN_STAGES} else "qualified"})
    body.append({"type": "ActionSet", "actions": [
        {"type": "Action.Submit", "title": "Save", "data": {"scout": "qualify_save", "lead": str(lead_id)}}]})
    return {"$schema": SCHEMA, "type": "AdaptiveCard", "version": VERSION, "body": body}


def drop_reason_inputs(lead_id: int) -> list[Card]:
    return [
        {"type": "Input.ChoiceSet", "id": "reason", "label": "Why was it dropped?", "style": "compact",
         "choices": [{"title": r, "value": r} for r in DROP_REASONS]},
        {"type": "ActionSet", "actions": [
            {"type": "Action.Submit", "title": "Save reason", "data": {"scout": "dropreason", "lead": str(lead_id)}}]},
    ]


def replace_lead_card(card: Card, outcome: Reply, extra: list[Card] | None = None) -> Card | None:
    """The card with the outcome's lead shown in its new state and who acted, where it stood;
    None when the card does not show that lead."""
    item = outcome.all_items[0] if outcome.all_items else None
    if item is None:
        return None
    said = " \u2014 ".join(p for p in (outcome.title, outcome.text.split("\n")[0]) if p.strip())
    undo = tuple(a for a in outcome.actions if a.id == "undo")
    new = copy.deepcopy(card)
    found = False
    for n, node in enumerate(new.get("body") or []):
        if isinstance(node, dict) and node.get("id") == f"lead-{item.id}":
            new["body"][n] = _lead(item, said, undo, extra)
            found = True
    return new if found else None


def submitted(value: Any) -> tuple[str, str, dict[str, Any]]:
    """(action, lead id, the other inputs) from a card submit's `value`, whatever arrives."""
    if not isinstance(value, dict):
        return "", "", {}
    action, lead = value.get("scout"), value.get("lead")
    inputs = {k: v for k, v in value.items() if k not in ("scout", "lead")}
    return (action if isinstance(action, str) else "", str(lead) if isinstance(lead, str | int) else "", inputs)
