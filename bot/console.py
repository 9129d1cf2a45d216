"""The console adapter: type Slack's commands in a terminal, see the replies as text."""

from __future__ import annotations

import sys
from typing import TextIO

from bot.render_text import render_text
from handlers.commands import run_command
from handlers.context import Scout
from handlers.monitor import channel_message
from handlers.requests import Request

BANNER = (
    "Scout console. Type commands as in Slack (/flag acme ..., /pipeline acme, /leads, /help).\n"
    "/as PERSON switches who you are; /post ACCOUNT text says something in an account channel; /quit leaves."
)


def default_person(scout: Scout) -> str:
    manager = next((p for p in scout.config.people if p.role == "manager"), scout.config.people[0])
    return manager.id


class Console:
    """One person at a keyboard, speaking through the same handlers as the chat adapters."""

    def __init__(self, scout: Scout, person: str | None = None) -> None:
        self.scout = scout
        self.person = person or default_person(scout)

    def request(self, text: str = "", channel: str | None = None) -> Request:
        return Request(platform="console", user=self.person, text=text, channel=channel, source="console")

    def post(self, account_id: str, text: str) -> str:
        """A message in an account's channel, as monitoring hears it."""
        account = self.scout.config.account(account_id)
        if account is None:
            return f"! No account {account_id!r}."
        channel = account.slack_channel or account.teams_channel or f"console:{account.id}"
        reply = channel_message(self.scout, self.request(text, channel=channel))
        return render_text(reply)

    def handle(self, line: str) -> str | None:
        """The text to show for one input line; None means the user asked to leave."""
        line = line.strip()
        word, _, rest = line.partition(" ")
        if word in ("/quit", "/exit"):
            return None
        if word == "/as":
            if self.scout.config.person(rest.strip()) is None:
                known = ", ".join(p.id for p in self.scout.config.people)
                return f"! No person {rest.strip()!r}. People: {known}"
            self.person = rest.strip()
            return f"You are now {self.scout.config.person_name(self.person)}."
        if word == "/post":
            account_id, _, text = rest.partition(" ")
            return self.post(account_id, text)
        if not line:
            return ""
        return render_text(run_command(self.scout, self.request(), line))



def _read_line(stdin: TextIO, prompt: str | None) -> str | None:
    if prompt is None:
        line = stdin.readline()
        return line or None
    try:
        return input(prompt)
    except EOFError:
        return None


def run_console(scout: Scout, person: str | None, stdin: TextIO = sys.stdin, out: TextIO = sys.stdout) -> None:
    """The REPL: a prompt at a terminal, plain line-by-line processing when piped."""
    console = Console(scout, person)
    interactive = stdin.isatty()
    if interactive:
        out.write(BANNER + "\n")
    while (line := _read_line(stdin, f"{console.person}> " if interactive else None)) is not None:
        shown = console.handle(line)
        if shown is None:
            return
        if shown:
            out.write(shown + "\n")
            out.flush()
