"""The Slack modals Scout opens: qualify a lead, flag a message, change a lead's services."""

from __future__ import annotations

import json
from typing import Any

from bot.blockkit import fit_plain
from handlers.config import Account, AppConfig
from handlers.decide import DIMENSIONS, DROP_REASONS
from store.tables import OPEN_STAGES, Rating

QUALIFY_CALLBACK = "scout_qualify_modal"
FLAG_CALLBACK = "scout_flag_modal"
SERVICES_CALLBACK = "scout_services_modal"


MAX_TITLE = 24  # a modal's title, submit and close
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150
MAX_OPTIONS = 100
MAX_METADATA = 3000
MAX_INITIAL = 3000


def _text(text: str, limit: int = MAX_OPTION_TEXT) -> dict[str, Any]:
    """Plain text cut to `limit`, never empty (Slack refuses an empty text object)."""
    return {"type": "plain_text", "text": fit_plain(" ".join(text.split()) or "-", limit)}


def _title(text: str, short: str) -> dict[str, Any]:
    """A modal title: `text` when it fits Slack's 24 characters, else `short`."""
    return _text(text if fit_plain(text, MAX_TITLE) == text else short, MAX_TITLE)


def _metadata(data: dict[str, Any]) -> str:
    """private_metadata as JSON that always parses back: a value that would not fit is left out
    rather than the JSON cut in the middle."""
    kept = dict(data)
    for key in sorted(kept, key=lambda k: -len(json.dumps(kept[k]))):
        if len(json.dumps(kept)) <= MAX_METADATA:
            break
        if key != "lead_id":
            del kept[key]
    return json.dumps(kept)


def _option(label: str, value: str) -> dict[str, Any]:
    return {"text": _text(label), "value": value[:MAX_OPTION_VALUE]}


def _select(block_id: str, label: str, options: list[tuple[str, str]], initial: str | None = None,
            optional: bool = True) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "static_select", "action_id": "value",
        "options": [_option(lb, v) for lb, v in options][:MAX_OPTIONS],
    }
    chosen = next(((lb, v) for lb, v in options if v == initial), None)
    if chosen:
        element["initial_option"] = _option(*chosen)
    return {"type": "input", "block_id": block_id, "label": _text(label, 2000), "element": element,
            "optional": optional}


def qualify_modal(lead_id: int, current: dict[str, str | None], metadata: dict[str, Any]) -> dict[str, Any]:
    ratings = [(r.value, r.value) for r in Rating]
    blocks = [
        _select(dim, label, ratings, current.get(dim)) for dim, label in DIMENSIONS.items()
    ]
    blocks.append({
        "type": "input", "block_id": "value", "optional": True, "label": _text("Estimated value (e.g. 120k)"),
        "element": {"type": "plain_text_input", "action_id": "value"},
    })
    blocks.append(_select("stage", "Next stage", [(s.value.capitalize(), s.value) for s in OPEN_STAGES], "qualified"))
    return {
        "type": "modal", "callback_id": QUALIFY_CALLBACK, "title": _title(f"Qualify lead #{lead_id}", "Qualify lead"),
        "submit": _text("Save"), "close": _text("Cancel"), "blocks": blocks,
        "private_metadata": _metadata({**metadata, "lead_id": lead_id}),
    }


def flag_modal(config: AppConfig, text: str, account_id: str | None, guess: str,
               metadata: dict[str, Any], listed: list[Account] | None = None) -> dict[str, Any]:
    """`listed`: the accounts to offer (a private account only to its team); all by default."""
    accounts = [(a.name, a.id) for a in (config.accounts if listed is None else listed)][:MAX_OPTIONS]
    return {
        "type": "modal", "callback_id": FLAG_CALLBACK, "title": _text("Flag as lead"),
        "submit": _text("Flag"), "close": _text("Cancel"),
        "private_metadata": _metadata(metadata),
        "blocks": [
            _select("account", "Account", accounts, account_id, optional=False),
            {
                "type": "input", "block_id": "remark", "label": _text("What did you hear?"),
                "element": {"type": "plain_text_input", "action_id": "value", "multiline": True,
                            "initial_value": text[:MAX_INITIAL]},
            },
            {"type": "context", "elements": [_text(guess or "No service recognised yet.", 2000)]},
        ],
    }


def services_modal(config: AppConfig, lead_id: int, current: list[str], metadata: dict[str, Any]) -> dict[str, Any]:
    options = [_option(s.name, s.id) for s in config.services][:MAX_OPTIONS]
    element: dict[str, Any] = {"type": "multi_static_select", "action_id": "value", "options": options}
    initial = [o for o in options if o["value"] in current]
    if initial:
        element["initial_options"] = initial
    return {
        "type": "modal", "callback_id": SERVICES_CALLBACK,
        "title": _title(f"Services of lead #{lead_id}", "Services of the lead"),
        "submit": _text("Save"), "close": _text("Cancel"),
        "private_metadata": _metadata({**metadata, "lead_id": lead_id}),
        "blocks": [{"type": "input", "block_id": "services", "label": _text("Services"), "element": element}],
    }


def drop_reason_picker(lead_id: int) -> dict[str, Any]:
    return {
        "type": "static_select", "action_id": f"scout_dropreason_{lead_id}",
        "placeholder": _text("Why was it dropped?"),
        "options": [_option(reason, reason) for reason in DROP_REASONS],
    }


def submitted(view: dict[str, Any]) -> dict[str, Any]:
    """The values of a submitted modal, by block id: a string, a list, or None."""
    out: dict[str, Any] = {}
    for block_id, actions in view.get("state", {}).get("values", {}).items():
        element = actions.get("value", {})
        if "selected_option" in element:
            out[block_id] = (element["selected_option"] or {}).get("value")
        elif "selected_options" in element:
            out[block_id] = [o["value"] for o in element["selected_options"] or []]
        else:
            out[block_id] = element.get("value")
    return out
