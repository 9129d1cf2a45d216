"""Typed commands (`/flag acme ...`, `@Scout pipeline`, console lines) routed to use cases."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from handlers import decide
from handlers.context import Scout
from handlers.errors import Answer, use_case
from handlers.flag import flag
from handlers.help import help_reply
from handlers.leads import leads
from handlers.pipeline import pipeline
from handlers.replies import Reply, error
from handlers.requests import Request, clean_text

_MONEY = re.compile(r"^\$?(\d+(?:\.\d+)?)\s*([kmb]?)$", re.IGNORECASE)
_SCALE = {"": 1, "k": 1e3, "m": 1e6, "b": 1e9}
_DIMENSION_KEYS = {
    "fit": "client_fit", "client_fit": "client_fit",
    "applicability": "service_applicability", "service_applicability": "service_applicability",
    "capability": "internal_capability", "internal_capability": "internal_capability",
    "position": "competitive_position", "competitive_position": "competitive_position",
}
_POSITIONAL = ("client_fit", "service_applicability", "internal_capability", "competitive_position")


def parse_money(raw: str) -> float:
    match = _MONEY.match(raw.replace(",", "").strip())
    if not match:
        raise Answer(error(f"\u201c{raw}\u201d is not an amount; write it like 120000, 120k or $1.2m."))
    return float(match.group(1)) * _SCALE[match.group(2).lower()]


def _split_id(args: str) -> tuple[str, str]:
    parts = args.strip().split(maxsplit=1)
    return (parts[0] if parts else ""), (parts[1] if len(parts) > 1 else "")


def _qualify(scout: Scout, request: Request, args: str) -> Reply:
    lead_id, rest = _split_id(args)
    ratings: dict[str, str] = {}
    value = stage = None
    positional = []
    for token in rest.split():
        key, sep, raw = token.partition("=")
        key = key.casefold()
        if not sep:
            positional.append(token)
        elif key in _DIMENSION_KEYS:
            ratings[_DIMENSION_KEYS[key]] = raw
        elif key == "value":
            value = parse_money(raw)
        elif key == "stage":
            stage = raw
        else:
            raise Answer(error(f"I don't understand \u201c{token}\u201d. Try /help."))
    if len(positional) > len(_POSITIONAL):
        raise Answer(error("Give at most four ratings: client fit, applicability, capability, position."))
    ratings.update(dict(zip(_POSITIONAL, positional, strict=False)))
    return decide.qualify(scout, request, lead_id, ratings, value, stage)


def _drop(scout: Scout, request: Request, args: str) -> Reply:
    lead_id, reason = _split_id(args)
    return decide.drop(scout, request, lead_id, reason)


def _stage(scout: Scout, request: Request, args: str) -> Reply:
    lead_id, rest = _split_id(args)
    stage, reason = _split_id(rest)
    if not stage:
        raise Answer(error("Which stage? e.g. /stage 12 proposed"))
    return decide.advance(scout, request, lead_id, stage, reason)


def _services(scout: Scout, request: Request, args: str) -> Reply:
    lead_id, rest = _split_id(args)
    return decide.set_services(scout, request, lead_id, re.split(r"[,\s]+", rest))


def _with_text(handler: Callable[[Scout, Request], Reply]) -> Callable[[Scout, Request, str], Reply]:
    return lambda scout, request, args: handler(scout, replace(request, text=args))


COMMANDS: dict[str, Callable[[Scout, Request, str], Reply]] = {
    "flag": _with_text(flag),
    "pipeline": _with_text(pipeline),
    "leads": _with_text(leads),
    "qualify": _qualify,
    "drop": _drop,
    "snooze": lambda scout, request, args: decide.snooze(scout, request, _split_id(args)[0]),
    "stage": _stage,
    "advance": _stage,
    "revive": lambda scout, request, args: decide.revive(scout, request, _split_id(args)[0]),
    "services": _services,
    "undo": lambda scout, request, args: decide.undo(scout, request, _split_id(args)[0] or None),
    "help": lambda scout, request, args: help_reply(scout, args),
}


@use_case
def run_command(scout: Scout, request: Request, line: str) -> Reply:
    """Run one typed command. The leading slash is optional, as in `@Scout flag ...`."""
    line = clean_text(line).strip()
    if not line:
        return help_reply(scout)
    word, _, args = line.partition(" ")
    name = word.lstrip("/").casefold()
    command = COMMANDS.get(name)
    if command is None:
        return error(f"I don't know the command \u201c{word[:40]}\u201d. Type /help to see what I can do.")
    return command(scout, request, args)
