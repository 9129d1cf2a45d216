"""Replies as plain text, for the console, the demo and `--dry-run` digests."""

from __future__ import annotations

from handlers.replies import LeadItem, Reply, Table
from handlers.views import money

_MARKS = {"error": "! ", "refused": "! ", "usage": "? ", "info": "", "ok": ""}


def _table(table: Table) -> list[str]:
    widths = [len(c) for c in table.columns]
    for row in table.rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=False)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines = [fmt.format(*table.columns), fmt.format(*("-" * w for w in widths))]
    lines += [fmt.format(*row) for row in table.rows]
    return ["    " + line.rstrip() for line in lines]


def lead_lines(item: LeadItem) -> list[str]:
    head = f"  #{item.id} [{item.stage}] {item.account_name}: \u201c{item.text}\u201d"
    lines = [head]
    if item.services:
        svc = ", ".join(f"{s.name} ({s.kind}{', CONFLICT' if s.conflict else ''})" for s in item.services)
        lines.append(f"      services: {svc}")
    if item.triggers:
        lines.append(f"      triggers: {', '.join(t.name for t in item.triggers)}")
    who = ", ".join(item.flagged_by)
    value = f", value {money(item.value)}" if item.value is not None else ""
    lines.append(f"      flagged by {who}, {item.age_days}d ago{value}")
    lines += [f"      note: {note}" for note in item.notes]
    if item.actions:
        lines.append("      " + "  ".join(f"[{a.label}]" for a in item.actions))
    return lines


def render_text(reply: Reply) -> str:
    if reply.meta.get("silent"):
        return ""
    lines = [f"{_MARKS.get(reply.kind, '')}{reply.title}"]
    if reply.text:
        lines += [f"  {line}" for line in reply.text.splitlines()]
    lines += [f"  ! {w}" for w in reply.warnings]
    lines += [f"  {f.label}: {f.value}" for f in reply.fields]
    for item in reply.items:
        lines += lead_lines(item)
    for section in reply.sections:
        lines.append(f"  == {section.title} ==")
        if section.text:
            lines.append(f"  {section.text}")
        lines += [f"  {f.label}: {f.value}" for f in section.fields]
        if section.table:
            lines += _table(section.table)
        for item in section.items:
            lines += lead_lines(item)
    lines += [f"  [chart: {chart.title}]" for chart in reply.charts]  # sent as PNG by Slack and Teams
    if reply.actions:
        lines.append("  " + "  ".join(f"[{a.label}]" for a in reply.actions))
    return "\n".join(lines)
