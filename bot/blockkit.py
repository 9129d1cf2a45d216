"""Replies as Slack Block Kit: `render_blocks(reply)` gives the keyword arguments for
chat.postMessage, chat.postEphemeral, chat.update and response_url posts.

Every piece of text that people typed goes through `escape_mrkdwn`, so a remark holding
`<!channel>` or `<@U123>` shows those characters and pings nobody. The renderer adds no
`<`/`>` markup of its own (no links, no mentions; block quotes are written `&gt; `, which
is how Slack itself stores them), so rendered text never holds a raw `<` or `>`.

Slack rejects a whole message when one limit is broken, so the limits are enforced here,
never left to callers: 50 blocks a message, 3000 characters a section text or text object,
10 fields of 2000 characters a section, 10 elements of 2000 a context block, 25 elements an
actions block, button text 75, value 255 (Slack allows 2000; Scout's values are lead ids and
message timestamps, and keeps to the stricter figure), action_id 255, and 3000 for the
notification text. A modal or the App Home holds 100 blocks (bot/slack_modals.py).
Lengths are counted in UTF-16 code units, which is never less than what Slack counts.
Trimming cuts the unescaped text (or backs off to before an entity), so `&amp;` is never
split in half.
"""

from __future__ import annotations

import hashlib
from typing import Any

from handlers.replies import Action, Field, LeadItem, Reply, Section, Table
from handlers.views import money

MAX_BLOCKS = 50
MAX_TEXT = 3000  # section text, any text object, the top-level fallback
MAX_FIELD = 2000
MAX_CONTEXT = 2000  # per context element
MAX_FIELDS = 10
MAX_CONTEXT_ELEMENTS = 10
MAX_ACTIONS = 25
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 255
MAX_ACTION_ID = 255
MAX_REPLY_ACTION_BLOCKS = 2

TRIMMED = "\u2026 (trimmed)"
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_QUOTE = "&gt; "  # a block-quote line; Slack renders the escaped form as a quote too
_MARKS = {"error": ":warning:", "refused": ":no_entry:", "usage": ":information_source:"}

Block = dict[str, Any]


def escape_mrkdwn(text: str) -> str:
    """Slack's escaping rule: only `&`, `<` and `>` are control characters in mrkdwn."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# -- sizes and trimming -------------------------------------------------------------------


def _size(text: str) -> int:
    """Length as Slack may count it: UTF-16 code units (an emoji outside the BMP is two)."""
    return len(text.encode("utf-16-le")) // 2


def _prefix(text: str, budget: int) -> str:
    """The longest prefix of `text` whose size is at most `budget`."""
    if budget <= 0:
        return ""
    if len(text) <= budget and _size(text) <= budget:
        return text
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > budget:
            return text[:index]
    return text


def _clip(raw: str, limit: int, newline: str = "\n") -> str:
    """Escape `raw` for mrkdwn and fit it in `limit`, trimming the raw text (so never an
    escape sequence) and marking the cut with TRIMMED. `newline` replaces each line break,
    e.g. to continue a block quote."""
    table = {**_ESCAPES, "\n": newline}
    out = "".join(table.get(char, char) for char in raw)
    if _size(out) <= limit:
        return out
    budget = limit - _size(TRIMMED)
    pieces: list[str] = []
    used = 0
    for char in raw:
        piece = table.get(char, char)
        cost = _size(piece)
        if used + cost > budget:
            break
        pieces.append(piece)
        used += cost
    return "".join(pieces).rstrip() + TRIMMED


def _fit(mrkdwn: str, limit: int = MAX_TEXT) -> str:
    """Fit already-escaped mrkdwn in `limit`, backing off rather than splitting an entity."""
    if _size(mrkdwn) <= limit:
        return mrkdwn
    cut = _prefix(mrkdwn, limit - _size(TRIMMED))
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut.rstrip() + TRIMMED


def _plain(raw: str, limit: int) -> str:
    """Plain text (button labels, never parsed by Slack) cut to `limit` with an ellipsis."""
    if _size(raw) <= limit:
        return raw
    return _prefix(raw, limit - 1).rstrip() + "\u2026"


def fit_plain(raw: str, limit: int) -> str:
    """Plain text (labels, options, titles) within `limit` UTF-16 code units, for modals too."""
    return _plain(raw, limit)


def _oneline(raw: str) -> str:
    return " ".join(raw.split())


def _bold(raw: str, limit: int) -> str:
    """`*text*` on one line, or "" when there is nothing to show."""
    text = _oneline(raw)
    return f"*{_clip(text, limit - 2)}*" if text else ""


# -- blocks --------------------------------------------------------------------------------


def _section(mrkdwn: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _fit(mrkdwn)}}


def _title_block(raw: str, kind: str = "") -> Block | None:
    line = " ".join(p for p in (_MARKS.get(kind, ""), _bold(raw, MAX_TEXT - 30)) if p)
    return _section(line) if line else None


def _text_block(raw: str) -> Block | None:
    return _section(_clip(raw, MAX_TEXT)) if raw.strip() else None


def _field_text(item: Field) -> str:
    head = _bold(item.label, 200)
    if not head:
        value = _clip(item.value, MAX_FIELD)
        return value if value.strip() else "-"
    return f"{head}\n{_clip(item.value, MAX_FIELD - _size(head) - 1)}"


def _field_blocks(fields: tuple[Field, ...]) -> list[Block]:
    texts = [{"type": "mrkdwn", "text": _field_text(f)} for f in fields]
    return [{"type": "section", "fields": texts[i : i + MAX_FIELDS]} for i in range(0, len(texts), MAX_FIELDS)]


def _context_blocks(lines: list[str]) -> list[Block]:
    elements = [{"type": "mrkdwn", "text": _fit(line, MAX_CONTEXT)} for line in lines]
    return [
        {"type": "context", "elements": elements[i : i + MAX_CONTEXT_ELEMENTS]}
        for i in range(0, len(elements), MAX_CONTEXT_ELEMENTS)
    ]


def _table_block(table: Table) -> Block | None:
    """A preformatted block, columns padded; rows that do not fit are counted, not shown."""
    width = max([len(table.columns), *(len(r) for r in table.rows)])
    if width == 0:
        return None

    def cells(row: tuple[str, ...]) -> list[str]:
        padded = [*row, *([""] * (width - len(row)))]
        return [_plain(_oneline(str(c)).replace("`", "'"), 60) for c in padded]

    head = cells(table.columns)
    rows = [cells(r) for r in table.rows]
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(width)]

    def line(row: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()

    raw_lines = [line(head), line(["-" * w for w in widths]), *(line(r) for r in rows)]
    budget = MAX_TEXT - len("```\n\n```") - 40  # room for the "more rows" line
    shown: list[str] = []
    used = 0
    for raw in raw_lines:
        text = _clip(raw, 1000)
        if used + _size(text) + 1 > budget:
            break
        shown.append(text)
        used += _size(text) + 1
    hidden = len(raw_lines) - len(shown)
    if hidden:
        shown.append(f"\u2026 {hidden} more rows (trimmed)")
    return _section("```\n" + "\n".join(shown) + "\n```")


def _action_id(action: Action) -> str:
    """`scout_<id>_<value>`, which the Slack adapter routes on; a value too long for
    Slack's 255 is replaced by its digest so ids stay distinct."""
    action_id = f"scout_{action.id}_{action.value}"
    if _size(action_id) <= MAX_ACTION_ID:
        return action_id
    digest = hashlib.sha256(f"{action.id}\0{action.value}".encode()).hexdigest()[:24]
    return f"{_prefix(f'scout_{action.id}', MAX_ACTION_ID - len(digest) - 1)}_{digest}"


def _button(action: Action) -> Block:
    button: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": _plain(action.label, MAX_BUTTON_TEXT) or _plain(action.id, 75) or "?"},
        "action_id": _action_id(action),
    }
    if action.value:  # Slack may refuse an empty value; handlers read it with .get()
        button["value"] = _prefix(action.value, MAX_BUTTON_VALUE)
    if action.style in ("primary", "danger"):
        button["style"] = action.style
    return button


def _action_blocks(actions: tuple[Action, ...]) -> list[Block]:
    """Buttons in actions blocks of at most 25. An action_id must be unique in its block:
    a second button with the same use case and value would do the same thing, so it is
    left out. (The same lead shown twice in one message gets its buttons twice, in two
    blocks, which Slack allows; the ids stay routable.)"""
    buttons: list[Block] = []
    seen: set[str] = set()
    for action in actions:
        button = _button(action)
        if button["action_id"] not in seen:
            seen.add(button["action_id"])
            buttons.append(button)
    return [{"type": "actions", "elements": buttons[i : i + MAX_ACTIONS]} for i in range(0, len(buttons), MAX_ACTIONS)]


def _lead_text(item: LeadItem) -> str:
    head = " \u00b7 ".join(
        p for p in (f"*#{item.id}*", f"_{_clip(_oneline(item.stage), 60)}_" if item.stage.strip() else "",
                    _clip(_oneline(item.account_name), 150)) if p
    )
    tail: list[str] = []
    for s in item.services:
        kind = f" _({_clip(_oneline(s.kind), 40)})_" if s.kind.strip() else ""
        conflict = " :warning: _conflict_" if s.conflict else ""
        evidence = f" \u2014 \u201c{_clip(_oneline(s.evidence), 300)}\u201d" if s.evidence.strip() else ""
        tail.append(f"\u2022 {_clip(_oneline(s.name), 100)}{kind}{conflict}{evidence}")
    if item.triggers:
        names = ", ".join(
            _clip(_oneline(t.name), 100)
            + (f" \u2014 \u201c{_clip(_oneline(t.evidence), 300)}\u201d" if t.evidence.strip() else "")
            for t in item.triggers
        )
        tail.append(f"*Triggers:* {names}")
    credit = [
        f"Flagged by {', '.join(_clip(_oneline(p), 100) for p in item.flagged_by)}" if item.flagged_by else "",
        f"{item.age_days}d ago",
        money(item.value) if item.value is not None else "",
    ]
    tail.append(" \u00b7 ".join(p for p in credit if p))
    tail += [f"_Note:_ {_clip(_oneline(n), 300)}" for n in item.notes if n.strip()]
    rest = "\n".join(tail)
    if not item.text.strip():
        return _fit(f"{head}\n{rest}")
    # The remark gets what the other lines leave, and at least enough to be read.
    room = max(600, MAX_TEXT - _size(head) - _size(rest) - _size(_QUOTE) - 2)
    remark = _QUOTE + _clip(item.text.strip("\n"), room, newline="\n" + _QUOTE)
    return _fit(f"{head}\n{remark}\n{rest}")


def _lead_blocks(item: LeadItem, run: int | str, outcome: str = "", extra: tuple[Action, ...] = (),
                 element: Block | None = None) -> list[Block]:
    """A lead's text and buttons, with block ids `lead:<id>:<run>.<n>` so one lead of a
    many-lead message (a digest) can be replaced in place after someone acts on it."""
    text = _lead_text(item)
    if outcome.strip():
        text = _fit(f"{text}\n:white_check_mark: {_clip(_oneline(outcome), 500)}")
    blocks = [_section(text), *_action_blocks(item.actions + extra)]
    if element is not None:
        blocks.append({"type": "actions", "elements": [element]})
    for n, block in enumerate(blocks):
        block["block_id"] = f"{_lead_prefix(item.id)}{run}.{n}"
    return blocks


def _lead_prefix(lead_id: int) -> str:
    return f"lead:{lead_id}:"


def replace_lead(blocks: list[Block], outcome: Reply, element: Block | None = None) -> list[Block] | None:
    """The message's blocks with the outcome's lead shown in its new state (and who acted)
    where it stood, plus `element` (a reason picker) under it; None when the message does
    not show that lead."""
    item = outcome.all_items[0] if outcome.all_items else None
    prefix = _lead_prefix(item.id) if item else None
    if item is None or not any(str(b.get("block_id", "")).startswith(prefix) for b in blocks):
        return None
    said = " \u2014 ".join(p for p in (outcome.title, outcome.text.split("\n")[0]) if p.strip())
    undo = tuple(a for a in outcome.actions if a.id == "undo")
    out: list[Block] = []
    inside = False
    for block in blocks:
        mine = str(block.get("block_id", "")).startswith(prefix)
        if mine and not inside:
            out.extend(_lead_blocks(item, f"u{len(out)}", said, undo, element))
        if not mine:
            out.append(block)
        inside = mine
    return out[:MAX_BLOCKS]


# -- the message --------------------------------------------------------------------------


def _groups(reply: Reply) -> list[tuple[list[Block], int]]:
    """Blocks in order, grouped so a lead's text and its buttons are kept or left out
    together; the number is how many leads the group shows."""
    groups: list[tuple[list[Block], int]] = []

    def add(*blocks: Block | None) -> None:
        for block in blocks:
            if block is not None:
                groups.append(([block], 0))

    def add_leads(items: tuple[LeadItem, ...]) -> None:
        for item in items:
            groups.append((_lead_blocks(item, len(groups)), 1))

    add(_title_block(reply.title, reply.kind), _text_block(reply.text))
    add(*_context_blocks([f":warning: {_clip(w, MAX_CONTEXT - 20)}" for w in reply.warnings]))
    add(*_field_blocks(reply.fields))
    add_leads(reply.items)
    for section in reply.sections:
        add(*_section_blocks(section))
        add_leads(section.items)
    return groups


def _section_blocks(section: Section) -> list[Block | None]:
    return [
        _title_block(section.title),
        _text_block(section.text),
        *_field_blocks(section.fields),
        _table_block(section.table) if section.table else None,
    ]


def _fallback(reply: Reply) -> str:
    title = _oneline(reply.title)
    body = _oneline(reply.text)
    if not body and reply.all_items:
        count = len(reply.all_items)
        body = f"{count} lead{'s' if count != 1 else ''}"
    raw = f"{title}: {body}" if title and body else title or body
    mark = _MARKS.get(reply.kind, "")
    text = _clip(raw, MAX_TEXT - len(mark) - 1)
    text = f"{mark} {text}" if mark and text else mark or text
    return text or "Scout"


def render_blocks(reply: Reply) -> dict[str, Any]:
    """`{"text": notification fallback, "blocks": [...]}` within all of Slack's limits."""
    if reply.meta.get("silent"):
        return {"text": "", "blocks": []}
    groups = _groups(reply)
    tail = _action_blocks(reply.actions)[:MAX_REPLY_ACTION_BLOCKS]
    if sum(len(blocks) for blocks, _ in groups) + len(tail) <= MAX_BLOCKS:
        body = [block for blocks, _ in groups for block in blocks]
        return {"text": _fallback(reply), "blocks": [*body, *tail]}

    room = MAX_BLOCKS - len(tail) - 1  # one for the note
    body: list[Block] = []
    kept = 0
    for blocks, _ in groups:
        if len(body) + len(blocks) > room:
            break
        body.extend(blocks)
        kept += 1
    left = groups[kept:]
    leads = sum(n for _, n in left)
    hidden = sum(len(blocks) for blocks, _ in left)
    note = f"\u2026and {leads} more; see /leads" if leads else f"\u2026and {hidden} more blocks not shown"
    return {"text": _fallback(reply), "blocks": [*body, *_context_blocks([note]), *tail]}


MAX_VIEW_BLOCKS = 100  # a modal or the App Home
OUTCOME_BLOCKS = 2


def home_view(home: Reply, outcome: Reply | None = None) -> dict[str, Any]:
    """The App Home view for views.publish; an action taken there shows its outcome on top (its
    first blocks, without block ids, which the home's own copy of the lead already uses)."""
    blocks = render_blocks(home)["blocks"]
    if outcome is not None:
        top = [{k: v for k, v in block.items() if k != "block_id"}
               for block in render_blocks(outcome)["blocks"][:OUTCOME_BLOCKS]]
        blocks = [*top, {"type": "divider"}, *blocks]
    return {"type": "home", "blocks": blocks[:MAX_VIEW_BLOCKS] or [_section("Scout")]}
