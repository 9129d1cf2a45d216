"""app.yaml: the shipped sample meets the contract, and bad files get one clear message."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from handlers.config import ConfigError, load_config, parse_config
from tests.firm import FIRM

ROOT = Path(__file__).resolve().parent.parent
SERVICE_IDS = ["tax_compliance", "tax_planning", "audit", "rd_tax_credits", "transfer_pricing", "transaction_advisory", "fractional_cfo", "outsourced_accounting", "financial_systems", "business_valuation", "succession_planning", "infrastructure_setup", "security_audit", "managed_security", "cloud_migration", "training_adoption", "technology_assessment", "implementation_services", "strategy_development", "execution_support", "organizational_design", "change_management", "process_improvement", "executive_coaching", "team_development", "hr_consulting"]
TRIGGER_IDS = ["funding_round", "leadership_change", "ma_activity", "geographic_expansion", "growth_milestone", "regulatory_change", "technology_implementation"]
PATHWAYS = [
    ("tax_compliance", "tax_planning"), ("tax_compliance", "audit"), ("audit", "transaction_advisory"),
    ("fractional_cfo", "outsourced_accounting"), ("business_valuation", "succession_planning"),
    ("infrastructure_setup", "security_audit"), ("security_audit", "managed_security"),
    ("cloud_migration", "training_adoption"), ("technology_assessment", "implementation_services"),
    ("strategy_development", "execution_support"), ("organizational_design", "change_management"),
    ("executive_coaching", "team_development"),
]


@pytest.fixture(scope="module")
def sample():
    return load_config(ROOT / "app.yaml")


def test_sample_firm_has_the_catalog_and_triggers(sample):
    assert sorted(s.id for s in sample.services) == sorted(SERVICE_IDS)
    assert sorted(t.id for t in sample.triggers) == sorted(TRIGGER_IDS)
    for source, target in PATHWAYS:
        assert target in sample.service(source).next, f"{source} -> {target}"


def test_sample_firm_people_and_accounts(sample):
    assert len(sample.accounts) >= 4
    assert len(sample.people) >= 8
    acme = sample.account("acme")
    assert acme.name == "Acme Corp"
    assert acme.monitoring == "suggest"
    roles = {p.role for p in sample.people}
    assert roles == {"manager", "lead", "delivery"}
    assert any(p.role == "delivery" and p.id not in acme.members for p in sample.people)
    assert all(a.services for a in sample.accounts)
    assert any(a.wallet_line("audit") and a.wallet_line("audit").status == "provided" for a in sample.accounts)


def _broken(mutate) -> dict:
    data = copy.deepcopy(FIRM)
    mutate(data)
    return data


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d["accounts"][0].update(lead="nobody"), "accounts[0].lead: unknown person id 'nobody'"),
        (lambda d: d["accounts"][0]["team"].append("danx"), "accounts[0].team[1]: unknown person id 'danx'; "
         "did you mean 'dan'?"),
        (lambda d: d["accounts"][1]["services"][0].update(id="sec_audit"),
         "accounts[1].services[0].id: unknown service id 'sec_audit'; did you mean 'security_audit'?"),
        (lambda d: d["services"][0]["next"].append("tax_plan"), "services[0].next[2]: unknown service id"),
        (lambda d: d["triggers"][0]["suggests"].append("nope"), "triggers[0].suggests[2]: unknown service id"),
        (lambda d: d["people"][0].update(role="boss"), "people[0].role: Input should be 'manager', 'lead' or"),
        (lambda d: d["accounts"][0].update(monitoring="loud"), "accounts[0].monitoring: Input should be"),
        (lambda d: d["accounts"][0]["services"][0].update(status="maybe"), "accounts[0].services[0].status"),
        (lambda d: d["accounts"][0].update(timezone="Mars/Base"), "unknown timezone 'Mars/Base'"),
        (lambda d: d["accounts"][0].update(moniter="auto"), "accounts[0].moniter: Extra inputs are not permitted"),
        (lambda d: d["people"].append(dict(d["people"][0])), "people: id 'maria' is used more than once"),
        (lambda d: d["accounts"][1].update(aliases=["Acme Corp"]),
         "name or alias 'Acme Corp' is also used by account 'acme'"),
    ],
)
def test_bad_config_names_the_path_and_what_was_expected(mutate, expected):
    with pytest.raises(ConfigError) as err:
        parse_config(_broken(mutate), "firm.yaml")
    message = str(err.value)
    assert message.startswith("firm.yaml is not valid:")
    assert expected in message


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "app.yaml")


def test_malformed_yaml_gives_the_line(tmp_path):
    path = tmp_path / "app.yaml"
    path.write_text("people:\n  - id: a\n    name: [unclosed\n")
    with pytest.raises(ConfigError, match=r"not valid YAML at line \d+"):
        load_config(path)


def test_top_level_must_be_a_mapping(tmp_path):
    path = tmp_path / "app.yaml"
    path.write_text("- just\n- a list\n")
    with pytest.raises(ConfigError, match="expected a mapping"):
        load_config(path)


def test_cli_reports_a_bad_config_in_one_line_without_traceback(tmp_path):
    path = tmp_path / "app.yaml"
    path.write_text(yaml.safe_dump(_broken(lambda d: d["accounts"][0].update(lead="nobody"))))
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "tag", "they need an audit"],
        capture_output=True, text=True, cwd=ROOT, env={"SCOUT_CONFIG": str(path), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(f"scout: {path} is not valid:")
    assert "accounts[0].lead: unknown person id 'nobody'" in result.stderr
