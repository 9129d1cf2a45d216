"""The Slack modals Scout opens: qualify a lead, flag a message, change a lead's services."""

from __future__ import annotations

import json
from typing import Any

from handlers.config import AppConfig
from handlers.decide import DIMENSIONS, DROP_REASONS
from store.tables import OPEN_STAGES, Rating

QUALIFY_CALLBACK = "scout_qualify_modal"
FLAG_CALLBACK = "scout_flag_modal"
SERVICES_CALLBACK = "scout_services_modal"


def _text(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text[:75]}


def _text_block(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text[:2000]}


def _option(label: str, value: str) -> dict[str, Any]:
    return {"text": _text(label), "value": value}


def _select(block_id: str, label: str, options: list[tuple[str, str]], initial: str | None = None,
            optional: bool = True) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "static_select", "action_id": "value", "options": [_option(lb, v) for lb, v in options],
    }
    chosen = next(((lb, v) for lb, v in options if v == initial), None)
    if chosen:
        element["initial_option"] = _option(*chosen)
    return {"type": "input", "block_id": block_id, "label": _text(label), "element": element, "optional": optional}


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
        "type": "modal", "callback_id": QUALIFY_CALLBACK, "title": _text(f"Qualify lead #{lead_id}"),
        "submit": _text("Save"), "close": _text("Cancel"), "blocks": blocks,
        "private_metadata": json.dumps({**metadata, "lead_id": lead_id})[:3000],
    }


def flag_modal(config: AppConfig, text: str, account_id: str | None, guess: str,
               metadata: dict[str, Any]) -> dict[str, Any]:
    accounts = [(a.name, a.id) for a in config.accounts][:100]
    return {
        "type": "modal", "callback_id": FLAG_CALLBACK, "title": _text("Flag as lead"),
        "submit": _text("Flag"), "close": _text("Cancel"),
        "private_metadata": json.dumps(metadata)[:3000],
        "blocks": [
            _select("account", "Account", accounts, account_id, optional=False),
            {
                "type": "input", "block_id": "remark", "label": _text("What did you hear?"),
                "element": {"type": "plain_text_input", "action_id": "value", "multiline": True,
                            "initial_value": text[:3000]},
            },
            {"type": "context", "elements": [_text_block(guess or "No service recognised yet.")]},
        ],
    }


def services_modal(config: AppConfig, lead_id: int, current: list[str], metadata: dict[str, Any]) -> dict[str, Any]:
    options = [_option(s.name, s.id) for s in config.services][:100]
    element: dict[str, Any] = {"type": "multi_static_select", "action_id": "value", "options": options}
    initial = [o for o in options if o["value"] in current]
    if initial:
        element["initial_options"] = initial
    return {
        "type": "modal", "callback_id": SERVICES_CALLBACK, "title": _text(f"Services of lead #{lead_id}"),
        "submit": _text("Save"), "close": _text("Cancel"),
        "private_metadata": json.dumps({**metadata, "lead_id": lead_id})[:3000],
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
