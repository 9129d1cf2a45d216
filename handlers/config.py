"""app.yaml: the firm's people, accounts, catalog and digest settings, validated at start-up.

A bad file must produce one clear message naming the file, the path of the bad key and
what was expected, so `load_config` turns every failure into a `ConfigError`.
"""

from __future__ import annotations

import datetime as dt
import difflib
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import AfterValidator, Field, NonNegativeInt, PositiveInt, ValidationError

from nlp.catalog import Catalog, ServiceDef, Strict, TriggerDef, WalletLine

Role = Literal["manager", "lead", "delivery"]
Monitoring = Literal["suggest", "auto", "off"]
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
# libyaml where PyYAML has it: app.yaml is read at every start-up.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_ID = r"^[a-z][a-z0-9_.-]*$"


class ConfigError(Exception):
    """app.yaml is missing or wrong; the message is meant for the person who edits it."""


def _check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown timezone {name!r} (expected an IANA name like Europe/London)") from exc
    return name


TimeZoneName = Annotated[str, AfterValidator(_check_timezone)]


class Person(Strict):
    id: str = Field(pattern=_ID)
    name: str = Field(min_length=1)
    role: Role
    slack: str | None = None
    teams: str | None = None
    email: str | None = None
    timezone: TimeZoneName = "UTC"


class Account(Strict):
    id: str = Field(pattern=_ID, max_length=40)
    name: str = Field(min_length=1)
    aliases: list[str] = Field(default_factory=list)
    slack_channel: str | None = None
    teams_channel: str | None = None
    lead: str
    team: list[str] = Field(default_factory=list)
    timezone: TimeZoneName = "UTC"
    monitoring: Monitoring = "off"
    # A confidential engagement (its channel is private): only its lead and team see its leads;
    # managers off the team, the portfolio and the monthly report never show them.
    private: bool = False
    services: list[WalletLine] = Field(default_factory=list)

    @property
    def members(self) -> set[str]:
        """Person ids who see and act on this account: its lead and its team."""
        return {self.lead, *self.team}

    def wallet_line(self, service_id: str) -> WalletLine | None:
        return next((w for w in self.services if w.id == service_id), None)


class WeeklyDigest(Strict):
    day: Weekday = "monday"
    time: dt.time = dt.time(9, 0)
    grace_hours: PositiveInt = 24
    stale_after: PositiveInt = 2
    escalate_after: PositiveInt = 4
    expire_after: PositiveInt = 8


class MonthlyDigest(Strict):
    day: Literal["first_working_day"] | Annotated[int, Field(ge=1, le=28)] = "first_working_day"
    time: dt.time = dt.time(9, 0)
    grace_hours: PositiveInt = 72
    timezone: TimeZoneName = "UTC"  # the managers' report is one for the firm, sent in this zone


class Digests(Strict):
    weekly: WeeklyDigest = WeeklyDigest()
    monthly: MonthlyDigest = MonthlyDigest()


class TaggerSettings(Strict):
    """The optional statistical second opinion for monitored channels (off unless a path is set)."""

    classifier: str | None = None
    classifier_threshold: float = Field(default=0.5, ge=0, le=1)


class AppConfig(Strict):
    firm: str = "Scout"
    people: list[Person] = Field(min_length=1)
    accounts: list[Account] = Field(default_factory=list)
    services: list[ServiceDef] = Field(min_length=1)
    triggers: list[TriggerDef] = Field(default_factory=list)
    digests: Digests = Digests()
    tagger: TaggerSettings = TaggerSettings()
    retention_days: NonNegativeInt | None = None

    @property
    def catalog(self) -> Catalog:
        return Catalog(services=self.services, triggers=self.triggers)

    def person(self, person_id: str) -> Person | None:
        return next((p for p in self.people if p.id == person_id), None)

    def account(self, account_id: str) -> Account | None:
        return next((a for a in self.accounts if a.id == account_id), None)

    def service(self, service_id: str) -> ServiceDef | None:
        return next((s for s in self.services if s.id == service_id), None)

    def service_name(self, service_id: str) -> str:
        service = self.service(service_id)
        return service.name if service else service_id

    def trigger_name(self, trigger_id: str) -> str:
        trigger = next((t for t in self.triggers if t.id == trigger_id), None)
        return trigger.name if trigger else trigger_id

    def person_name(self, person_id: str) -> str:
        person = self.person(person_id)
        return person.name if person else person_id


def _loc(parts: tuple[int | str, ...]) -> str:
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(top level)"


def _unknown(kind: str, value: str, known: list[str]) -> str:
    close = difflib.get_close_matches(value, known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown {kind} id {value!r}{hint}"


def _cross_check(config: AppConfig) -> list[str]:
    """Every id referenced anywhere must exist, and ids must be unique."""
    problems: list[str] = []
    people = [p.id for p in config.people]
    services = [s.id for s in config.services]
    for kind, ids in (
        ("people", people),
        ("services", services),
        ("accounts", [a.id for a in config.accounts]),
        ("triggers", [t.id for t in config.triggers]),
    ):
        for dup in sorted({i for i in ids if ids.count(i) > 1}):
            problems.append(f"{kind}: id {dup!r} is used more than once")
    for i, svc in enumerate(config.services):
        for j, nxt in enumerate(svc.next):
            if nxt not in services:
                problems.append(f"services[{i}].next[{j}]: {_unknown('service', nxt, services)}")
    for i, trig in enumerate(config.triggers):
        for j, sid in enumerate(trig.suggests):
            if sid not in services:
                problems.append(f"triggers[{i}].suggests[{j}]: {_unknown('service', sid, services)}")
    names: dict[str, str] = {}
    for i, acct in enumerate(config.accounts):
        if acct.lead not in people:
            problems.append(f"accounts[{i}].lead: {_unknown('person', acct.lead, people)}")
        for j, member in enumerate(acct.team):
            if member not in people:
                problems.append(f"accounts[{i}].team[{j}]: {_unknown('person', member, people)}")
        for j, line in enumerate(acct.services):
            if line.id not in services:
                problems.append(f"accounts[{i}].services[{j}].id: {_unknown('service', line.id, services)}")
        for name in (acct.id, acct.name, *acct.aliases):
            key = name.casefold()
            if key in names and names[key] != acct.id:
                problems.append(
                    f"accounts[{i}]: name or alias {name!r} is also used by account {names[key]!r}"
                )
            names.setdefault(key, acct.id)
    return problems


def parse_config(data: object, source: str = "app.yaml") -> AppConfig:
    """Validate already-parsed YAML data; raise ConfigError with every problem found."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping with people, accounts and services at the top level")
    try:
        config = AppConfig.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            lines.append(f"{_loc(err['loc'])}: {err['msg']} (got {err.get('input')!r:.60})")
        raise ConfigError(f"{source} is not valid:\n  " + "\n  ".join(lines)) from None
    problems = _cross_check(config)
    if problems:
        raise ConfigError(f"{source} is not valid:\n  " + "\n  ".join(problems))
    return config


def load_config(path: str | Path) -> AppConfig:
    """Read and validate app.yaml; every failure becomes a ConfigError naming the file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file (set SCOUT_CONFIG to your app.yaml)") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        data = yaml.load(text, Loader=_SAFE_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "malformed YAML"
        raise ConfigError(f"{path}: not valid YAML{where}: {problem}") from None
    return parse_config(data, str(path))
