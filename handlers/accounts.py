"""Finding the account a command is about: by id, name or alias, or from the channel."""

from __future__ import annotations

import difflib

from handlers.config import Account, AppConfig, Person
from handlers.people import may_see


def _names(account: Account) -> list[str]:
    return [account.id, account.name, *account.aliases]


def find_account(config: AppConfig, word: str) -> Account | None:
    key = word.strip().casefold()
    return next(
        (a for a in config.accounts if key in (n.casefold() for n in _names(a))), None
    )


def account_for_channel(config: AppConfig, channel: str | None) -> Account | None:
    if not channel:
        return None
    return next(
        (a for a in config.accounts if channel in (a.slack_channel, a.teams_channel)), None
    )


def split_account(config: AppConfig, text: str) -> tuple[Account | None, str]:
    """The account named at the start of `text` (longest name first) and the rest."""
    folded = text.casefold()
    candidates = sorted(
        ((name, a) for a in config.accounts for name in _names(a)), key=lambda p: -len(p[0])
    )
    for name, account in candidates:
        key = name.casefold()
        if folded.startswith(key) and (len(folded) == len(key) or not folded[len(key)].isalnum()):
            return account, text[len(key):].lstrip(" \t:,-")
    return None, text


def known_to(config: AppConfig, person: Person | None) -> list[Account]:
    """The accounts a person may learn exist: every one but the `private` accounts they are not
    on, whose very names are confidential (docs/security.md)."""
    return [a for a in config.accounts if not a.private or (person is not None and may_see(person, a))]


def closest_accounts(config: AppConfig, word: str, limit: int = 3, person: Person | None = None) -> list[Account]:
    """Accounts whose id, name or alias looks like `word`, for "Did you mean ...?"."""
    by_name = {n.casefold(): a for a in known_to(config, person) for n in _names(a)}
    matches = difflib.get_close_matches(word.casefold(), list(by_name), n=limit * 2, cutoff=0.6)
    found: list[Account] = []
    for match in matches:
        if by_name[match] not in found:
            found.append(by_name[match])
    return found[:limit]


def did_you_mean(config: AppConfig, word: str, person: Person | None = None) -> str:
    close = closest_accounts(config, word, person=person)
    if not close:
        ids = ", ".join(a.id for a in known_to(config, person))
        return f"I don't know an account called \u201c{word}\u201d. Accounts: {ids}."
    names = " or ".join(f"{a.name} ({a.id})" for a in close)
    return f"I don't know an account called \u201c{word}\u201d. Did you mean {names}?"
