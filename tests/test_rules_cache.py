"""The parsed-rules cache: nlp/rules.yaml is parsed once per version of the file, and a cache
that is missing, broken or unwritable changes nothing but the load time."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from nlp.rules import CACHE_ENV, RULES_FILE, _parsed_yaml, cache_dir, load_rules

RULES_YAML = b"need:\n  - could do with\npain: [fed up with]\n"


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(CACHE_ENV, str(folder))
    return folder


def cache_file(folder: Path, raw: bytes) -> Path:
    return folder / f"rules-{hashlib.sha256(raw).hexdigest()[:32]}.json"


def test_the_first_parse_writes_the_data_as_json_under_the_files_hash(cache):
    assert _parsed_yaml(RULES_YAML) == {"need": ["could do with"], "pain": ["fed up with"]}
    assert json.loads(cache_file(cache, RULES_YAML).read_text()) == {"need": ["could do with"], "pain": ["fed up with"]}
    assert [p.name for p in cache.iterdir()] == [cache_file(cache, RULES_YAML).name]  # no temp file left


def test_a_later_parse_reads_the_cache_not_the_yaml(cache):
    cache.mkdir()
    cache_file(cache, RULES_YAML).write_text(json.dumps({"need": ["from the cache"]}))
    assert _parsed_yaml(RULES_YAML) == {"need": ["from the cache"]}


def test_an_edited_file_is_parsed_afresh_and_the_old_versions_cache_goes(cache):
    _parsed_yaml(RULES_YAML)
    edited = RULES_YAML + b"expand: [another entity]\n"
    assert _parsed_yaml(edited)["expand"] == ["another entity"]
    assert [p.name for p in cache.iterdir()] == [cache_file(cache, edited).name]


def test_a_broken_cache_file_is_parsed_around_and_replaced(cache):
    cache.mkdir()
    cache_file(cache, RULES_YAML).write_text('{"need": ["cut off')
    assert _parsed_yaml(RULES_YAML) == {"need": ["could do with"], "pain": ["fed up with"]}
    assert json.loads(cache_file(cache, RULES_YAML).read_text())["pain"] == ["fed up with"]


def test_an_unwritable_cache_directory_still_loads_the_rules(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the cache directory would go")
    monkeypatch.setenv(CACHE_ENV, str(blocker / "scout"))
    assert _parsed_yaml(RULES_YAML)["need"] == ["could do with"]


def test_data_json_would_change_is_not_cached(cache):
    assert _parsed_yaml(b"1: a number key\n") == {1: "a number key"}
    assert not cache.exists()


def test_an_empty_setting_keeps_no_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_ENV, "")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_dir() is None
    assert _parsed_yaml(RULES_YAML)["pain"] == ["fed up with"]
    assert list(tmp_path.iterdir()) == []


def test_without_a_setting_the_cache_is_the_users(tmp_path, monkeypatch):
    monkeypatch.delenv(CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_dir() == tmp_path / "scout"


def test_the_shipped_rules_read_the_same_from_the_cache(cache):
    parsed = load_rules.__wrapped__(RULES_FILE)
    assert cache_file(cache, RULES_FILE.read_bytes()).exists()
    assert load_rules.__wrapped__(RULES_FILE) == parsed
