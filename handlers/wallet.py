"""Wallet share and white space: what the client spends, and what the firm could still sell."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from handlers.config import Account, AppConfig


@dataclass(frozen=True)
class WalletShare:
    provided: float
    total: float

    @property
    def share(self) -> float | None:
        return self.provided / self.total if self.total else None

    def describe(self) -> str:
        if self.share is None:
            return "no wallet recorded"
        return f"{self.share:.0%} ({_k(self.provided)} of {_k(self.total)} a year)"


def _k(value: float) -> str:
    return f"${value / 1000:,.0f}K" if value >= 1000 else f"${value:,.0f}"


def wallet_share(account: Account) -> WalletShare:
    """Provided spend over the account's whole wallet, as the method defines it."""
    provided = sum(w.annual_spend for w in account.services if w.status == "provided")
    total = sum(w.annual_spend for w in account.services)
    return WalletShare(provided=provided, total=total)


def white_space(config: AppConfig, account: Account, lead_services: Iterable[str]) -> list[str]:
    """Catalog services with no wallet line on the account and no lead for them."""
    taken = {w.id for w in account.services} | set(lead_services)
    return [s.id for s in config.services if s.id not in taken]


def opportunities(account: Account) -> list[tuple[str, float, str]]:
    """Wallet lines the firm does not provide, biggest spend first: (service, spend, status)."""
    lines = [(w.id, w.annual_spend, w.status) for w in account.services if w.status != "provided"]
    return sorted(lines, key=lambda line: -line[1])
