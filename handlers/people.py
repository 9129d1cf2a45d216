"""Who is asking, and what they may see: enforced here so every adapter gets it."""

from __future__ import annotations

from handlers.config import Account, AppConfig, Person
from handlers.requests import Request


def identify(config: AppConfig, request: Request) -> Person | None:
    """The person behind a request: by Slack or Teams id, or by person id on the console."""
    for person in config.people:
        if request.platform == "console" and person.id == request.user:
            return person
        if request.platform == "slack" and person.slack == request.user:
            return person
        if request.platform == "teams" and person.teams == request.user:
            return person
    return None


def may_see(person: Person, account: Account) -> bool:
    """An account's lead and team see that account; managers see every account that is not
    private. A private account is its team's alone, so no broader view (a manager's portfolio,
    the monthly report, escalations) ever carries its leads. The table is in docs/security.md."""
    if person.id in account.members:
        return True
    return person.role == "manager" and not account.private


def managers_of(config: AppConfig, account: Account) -> list[Person]:
    """The managers who may hear about this account's leads (escalations)."""
    return [p for p in config.people if p.role == "manager" and may_see(p, account)]


def shared_accounts(config: AppConfig) -> list[Account]:
    """Accounts whose leads may go into firm-wide reports: every account that is not private."""
    return [a for a in config.accounts if not a.private]


def visible_accounts(config: AppConfig, person: Person) -> list[Account]:
    return [a for a in config.accounts if may_see(person, a)]


def stranger_text() -> str:
    return (
        "Sorry, I don't know you yet, so I can't do that. "
        "Ask whoever runs Scout at your firm to add you to the people in app.yaml."
    )


def not_on_team_text(config: AppConfig, account: Account) -> str:
    return (
        f"Sorry, only the {account.name} account team and managers can see or change its "
        f"leads. {config.person_name(account.lead)} leads that account if you need access."
    )
