"""A small firm for tests: stable whatever the shipped sample app.yaml says."""

from __future__ import annotations

from handlers.config import AppConfig, parse_config

FIRM = {
    "firm": "Test & Co",
    "people": [
        {"id": "maria", "name": "Maria Manager", "role": "manager", "slack": "UMARIA", "teams": "29:maria"},
        {"id": "lee", "name": "Lee Lead", "role": "lead", "slack": "ULEE", "teams": "29:lee",
         "timezone": "America/New_York"},
        {"id": "dan", "name": "Dan Delivery", "role": "delivery", "slack": "UDAN", "teams": "29:dan"},
        {"id": "tom", "name": "Tom Outsider", "role": "delivery", "slack": "UTOM", "teams": "29:tom"},
        {"id": "olga", "name": "Olga Lead", "role": "lead", "slack": "UOLGA", "teams": "29:olga"},
    ],
    "accounts": [
        {
            "id": "acme", "name": "Acme Corp", "aliases": ["acme corporation"],
            "slack_channel": "CACME", "teams_channel": "19:acme@thread.tacv2",
            "lead": "lee", "team": ["dan"], "timezone": "America/New_York", "monitoring": "suggest",
            "services": [
                {"id": "audit", "status": "provided", "annual_spend": 150000},
                {"id": "tax_compliance", "status": "provided", "annual_spend": 80000},
                {"id": "tax_planning", "status": "competitor", "annual_spend": 60000},
                {"id": "fractional_cfo", "status": "in_house", "annual_spend": 110000},
            ],
        },
        {
            "id": "globex", "name": "Globex", "slack_channel": "CGLOBEX", "lead": "olga",
            "monitoring": "auto",
            "services": [{"id": "security_audit", "status": "provided", "annual_spend": 40000}],
        },
        {
            "id": "initech", "name": "Initech", "slack_channel": "CINITECH", "lead": "olga",
            "monitoring": "off",
            "services": [{"id": "tax_compliance", "status": "competitor", "annual_spend": 20000}],
        },
    ],
    "services": [
        {"id": "tax_compliance", "name": "Tax compliance", "practice": "Tax",
         "terms": ["tax compliance", "tax return", "tax returns"], "next": ["tax_planning", "audit"]},
        {"id": "tax_planning", "name": "Tax planning", "practice": "Tax", "terms": ["tax planning"]},
        {"id": "audit", "name": "Audit", "practice": "Assurance", "terms": ["audit", "audits"]},
        {"id": "outsourced_accounting", "name": "Outsourced accounting", "practice": "Accounting",
         "terms": ["bookkeeping"], "needs": ["books are a mess"], "audit_conflict": True},
        {"id": "fractional_cfo", "name": "Fractional CFO", "practice": "Advisory",
         "terms": ["fractional cfo"], "next": ["outsourced_accounting"], "audit_conflict": True},
        {"id": "security_audit", "name": "Security audit", "practice": "Technology",
         "terms": ["security audit", "pen test"], "next": ["managed_security"]},
        {"id": "managed_security", "name": "Managed security", "practice": "Technology",
         "terms": ["managed security"], "needs": ["firewall alerts"]},
        {"id": "hr_consulting", "name": "HR consulting", "practice": "People",
         "terms": ["hr consulting"], "needs": ["payroll provider"], "audit_conflict": True},
    ],
    "triggers": [
        {"id": "funding_round", "name": "Funding round", "phrases": ["series b", "raised a round"],
         "suggests": ["audit", "fractional_cfo"]},
        {"id": "leadership_change", "name": "Leadership change", "phrases": ["new cfo", "new ceo"],
         "suggests": ["fractional_cfo"]},
    ],
}


def firm_config() -> AppConfig:
    return parse_config(FIRM, "tests/firm.py")
