"""One validator for everything Scout sends Slack as Block Kit: messages (50 blocks), modals and
the App Home (100 blocks), and each block and element within Slack's documented limits, counted
in UTF-16 code units (never less than what Slack counts). slack_sdk's own model checks run on
top. Used by every renderer test, example-based and property-based."""

from __future__ import annotations

import json
import re
from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
SECTION_TEXT = 3000
FIELD_TEXT = 2000
FIELDS = 10
CONTEXT_ELEMENT = 2000
CONTEXT_ELEMENTS = 10
ACTIONS_ELEMENTS = 25
BUTTON_TEXT = 75
BUTTON_VALUE = 255
ID = 255  # action_id, block_id, callback_id
HEADER_TEXT = 150
VIEW_TITLE = 24  # also submit and close
PRIVATE_METADATA = 3000
OPTION_TEXT = 75
OPTION_VALUE = 150
OPTIONS = 100
INPUT_LABEL = 2000
PLACEHOLDER = 150
FALLBACK_TEXT = 3000
ENTITY = re.compile(r"&(?!amp;|lt;|gt;)")


def size(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _plain(obj: dict[str, Any], limit: int, where: str) -> None:
    assert obj["type"] == "plain_text", where
    assert 0 < size(obj["text"]) <= limit, f"{where}: {size(obj['text'])} > {limit}"


def _mrkdwn(obj: dict[str, Any], limit: int, where: str) -> None:
    text = obj["text"]
    assert 0 < size(text) <= limit and text.strip(), f"{where}: {size(text)} > {limit}"
    if obj["type"] == "mrkdwn":
        assert "<" not in text and ">" not in text, f"{where}: raw markup in {text[:80]!r}"
        assert not ENTITY.search(text), f"{where}: raw or split entity in {text[:80]!r}"


def _text_object(obj: dict[str, Any], limit: int, where: str) -> None:
    (_mrkdwn if obj["type"] == "mrkdwn" else _plain)(obj, limit, where)


def _option(option: dict[str, Any], where: str) -> None:
    _plain(option["text"], OPTION_TEXT, f"{where}.text")
    assert 0 < size(option["value"]) <= OPTION_VALUE, where


def _element(element: dict[str, Any], where: str) -> None:
    kind = element["type"]
    if "action_id" in element:
        assert 0 < size(element["action_id"]) <= ID, where
    if kind == "button":
        _plain(element["text"], BUTTON_TEXT, f"{where}.text")
        assert size(element.get("value", "")) <= BUTTON_VALUE, where
        assert element.get("style", "primary") in {"primary", "danger"}, where
    elif kind in ("static_select", "multi_static_select"):
        options = element["options"]
        assert 0 < len(options) <= OPTIONS, where
        for n, option in enumerate(options):
            _option(option, f"{where}.options[{n}]")
        values = [o["value"] for o in options]
        assert len(values) == len(set(values)), f"{where}: option values repeat"
        for key in ("initial_option",):
            if key in element:
                assert element[key] in options, where
        for option in element.get("initial_options", []):
            assert option in options, where
        if "placeholder" in element:
            _plain(element["placeholder"], PLACEHOLDER, f"{where}.placeholder")
    elif kind == "plain_text_input":
        assert size(element.get("initial_value", "")) <= 3000, where
    else:
        raise AssertionError(f"{where}: unexpected element {kind}")


def _block(block: dict[str, Any], where: str, surface: str) -> None:
    Block.parse(block).validate_json()  # slack_sdk's own checks, on top of these
    kind = block["type"]
    if "block_id" in block:
        assert 0 < size(block["block_id"]) <= ID, where
    if kind == "section":
        assert "text" in block or "fields" in block, where
        if "text" in block:
            _text_object(block["text"], SECTION_TEXT, f"{where}.text")
        fields = block.get("fields", [])
        assert len(fields) <= FIELDS, where
        for n, item in enumerate(fields):
            _text_object(item, FIELD_TEXT, f"{where}.fields[{n}]")
    elif kind == "header":
        _plain(block["text"], HEADER_TEXT, f"{where}.text")
    elif kind == "context":
        assert 1 <= len(block["elements"]) <= CONTEXT_ELEMENTS, where
        for n, item in enumerate(block["elements"]):
            _text_object(item, CONTEXT_ELEMENT, f"{where}.elements[{n}]")
    elif kind == "actions":
        elements = block["elements"]
        assert 1 <= len(elements) <= ACTIONS_ELEMENTS, where
        ids = [e["action_id"] for e in elements]
        assert len(ids) == len(set(ids)), f"{where}: action_id must be unique within its block"
        for n, element in enumerate(elements):
            _element(element, f"{where}.elements[{n}]")
    elif kind == "input":
        assert surface == "modal", f"{where}: input blocks belong in modals"
        _plain(block["label"], INPUT_LABEL, f"{where}.label")
        _element(block["element"], f"{where}.element")
    elif kind != "divider":
        raise AssertionError(f"{where}: unexpected block {kind}")


def _blocks(blocks: list[dict[str, Any]], limit: int, surface: str) -> None:
    assert len(blocks) <= limit, f"{len(blocks)} blocks > {limit}"
    block_ids = [b["block_id"] for b in blocks if "block_id" in b]
    assert len(block_ids) == len(set(block_ids)), "block_id must be unique"
    for n, block in enumerate(blocks):
        _block(block, f"blocks[{n}]", surface)
    json.dumps(blocks)


def assert_message(out: dict[str, Any]) -> None:
    """chat.postMessage / postEphemeral / update / response_url keyword arguments."""
    assert size(out["text"]) <= FALLBACK_TEXT
    assert "<" not in out["text"] and ">" not in out["text"]
    _blocks(out["blocks"], MESSAGE_BLOCKS, "message")


def assert_view(view: dict[str, Any]) -> None:
    """A modal (views.open) or the App Home (views.publish)."""
    surface = view["type"]
    assert surface in ("modal", "home")
    View(**view).validate_json()
    if surface == "modal":
        for key in ("title", "submit", "close"):
            if key in view:
                _plain(view[key], VIEW_TITLE, key)
        assert 0 < size(view["callback_id"]) <= ID
        metadata = view.get("private_metadata", "")
        assert size(metadata) <= PRIVATE_METADATA
        if metadata:
            json.loads(metadata)  # cut JSON would not be read back
    assert len(view["blocks"]) > 0
    _blocks(view["blocks"], VIEW_BLOCKS, surface)


def assert_element(element: dict[str, Any]) -> None:
    _element(element, "element")


def assert_every_call(fake: Any) -> None:
    """Every message and view Scout sent a fake Slack (tests/fakes/slack_api.py) is within limits."""
    for call in fake.calls:
        if call.method.startswith("views."):
            assert_view(call.params["view"])
        elif call.method.startswith(("chat.post", "chat.update", "response_url")) and call.params.get("blocks"):
            assert_message({"text": call.params.get("text", ""), "blocks": call.params["blocks"]})
