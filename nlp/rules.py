"""Scout's generic cue lexicons (nlp/rules.yaml), validated like app.yaml is."""

from __future__ import annotations

import hashlib
import json
import os
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

RULES_FILE = Path(__file__).with_name("rules.yaml")
ModifierKind = Literal["negated", "declined", "hypothetical", "historical", "other_party", "engaged"]


class PastYears(BaseModel):
    """Years written after one of `prefixes` ("in 2023"), from `first` to `last`: one range in
    the data rather than a phrase per year. `last` is a fixed year, not today's, so a remark
    reads the same whenever it is tagged."""

    model_config = ConfigDict(extra="forbid")

    prefixes: list[str]
    first: int
    last: int

    def phrases(self) -> list[str]:
        return [f"{prefix} {year}" for prefix in self.prefixes for year in range(self.first, self.last + 1)]


class ModifierCues(BaseModel):
    model_config = ConfigDict(extra="forbid")

    forward: list[str] = Field(default_factory=list)
    backward: list[str] = Field(default_factory=list)
    both: list[str] = Field(default_factory=list)
    scope: int = Field(gt=0, le=40)
    closers: list[str] = Field(default_factory=list, description="Words that end the modifier's reach.")
    not_after: list[str] = Field(
        default_factory=list, description="Words that, just before a cue, make it no modifier."
    )
    not_right_after: list[str] = Field(
        default_factory=list,
        description="Words that, right before a cue, make it no modifier (a quote: the client's own voice).",
    )
    past_years: PastYears | None = Field(
        default=None, description="'in <year>' for every year of a range, as cues of this kind."
    )
    closing: list[str] = Field(
        default_factory=list,
        description="Cues that close a remark ('not a client', 'just curious'): in a clause that names nothing "
        "they reach back to every clause before, across any terminator; beside a mention they are no cue.",
    )
    reaches_back: bool = Field(
        default=False,
        description="A backward cue in a clause that names nothing applies to the clause before a soft terminator.",
    )


class OwnPastWork(BaseModel):
    """"we <past verb>": the firm's own past work, as a modifier cue of `kind`."""

    model_config = ConfigDict(extra="forbid")

    kind: ModifierKind
    subjects: list[str]
    between: list[str] = Field(default_factory=list, description="Words allowed between subject and verb.")
    past_forms: list[str] = Field(default_factory=list, description="Past forms that do not end in -ed.")
    news_verbs: list[str] = Field(
        default_factory=list, description="Past verbs that bring news about the client ('we noticed'), not our work."
    )


class TopicWordRules(BaseModel):
    """When the catalog's single words may stand in for its phrases (nlp/topic_words.py)."""

    model_config = ConfigDict(extra="forbid")

    min_phrases: int = Field(default=2, ge=1, description="A word in fewer of one service's phrases is no evidence.")
    min_share: float = Field(
        default=0.6, gt=0, le=1, description="The share of the phrases holding a word that must be one service's."
    )
    min_words: int = Field(default=2, ge=1, description="Distinct words of one service a guess needs.")
    min_cues: int = Field(default=2, ge=1, description="Need or pain cues a remark needs before a guess.")
    generic: list[str] = Field(default_factory=list, description="Words never taken as a service's word.")
    not_after: list[str] = Field(default_factory=list, description="Words after which a word is no evidence ('no').")


class Rules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    need: list[str]
    pain: list[str]
    expand: list[str]
    modifiers: dict[ModifierKind, ModifierCues]
    terminators: list[str]
    soft_terminators: list[str] = Field(
        default_factory=list, description="Terminators that join two halves of one thought ('but')."
    )
    pseudo: list[str] = Field(default_factory=list, description="Phrases that look like modifiers and are not.")
    considering: list[str] = Field(
        default_factory=list,
        description="Words that make news a thought ('looked at a merger'): a refusal in the next clause reaches it.",
    )
    not_services: list[str] = Field(
        default_factory=list, description="Phrases holding a service word that never name a need for it."
    )
    not_triggers: list[str] = Field(
        default_factory=list, description="Phrases that read like news and are not; they drop a trigger they overlap."
    )
    own_past_work: OwnPastWork | None = None
    nearest_cue_margin: int | None = Field(
        default=None,
        ge=0,
        description="A cued topic whose every cue sits more than this many tokens nearer a stronger "
        "service in its clause is dropped; null turns the rule off.",
    )
    not_slips: list[str] = Field(
        default_factory=list, description="Words of their own one typing slip from a catalog word: they stay as typed."
    )
    topic_words: TopicWordRules | None = Field(default=None, description="null: no guesses from single words.")
    roles: list[str] = Field(default_factory=list)
    trigger_patterns: dict[str, list[list[dict[str, Any]]]] = Field(default_factory=dict)


# libyaml's loader where PyYAML was built with it: the rules file is parsed at every start-up,
# and the pure-Python parser took a third of the pipeline's load time.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
CACHE_ENV = "SCOUT_CACHE_DIR"  # where parsed rules are kept; set it empty to keep none


@cache
def load_rules(path: Path = RULES_FILE) -> Rules:
    return Rules.model_validate(_parsed_yaml(path.read_bytes()))


def cache_dir() -> Path | None:
    """$SCOUT_CACHE_DIR, else the user's cache directory (XDG), else none when set empty."""
    chosen = os.environ.get(CACHE_ENV)
    if chosen is not None:
        return Path(chosen) if chosen.strip() else None
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "scout"


def _parsed_yaml(raw: bytes) -> Any:
    """The YAML document in `raw`, kept as JSON under a hash of its bytes after the first parse.

    Even libyaml's loader builds each of the file's ~30,000 nodes in Python (0.17 s of the
    pipeline's load, most of it the trigger patterns); JSON of the same data loads in 3 ms.
    The key is the file's content, so an edited file is parsed afresh. A cache that cannot be
    read or written is no cache: the YAML is parsed, and nothing fails."""
    folder = cache_dir()
    cached = folder / f"rules-{hashlib.sha256(raw).hexdigest()[:32]}.json" if folder else None
    if cached is not None:
        try:
            return json.loads(cached.read_bytes())
        except (OSError, ValueError):
            pass
    data = yaml.load(raw.decode("utf-8"), Loader=_SAFE_LOADER)
    if cached is not None:
        _keep(cached, data)
    return data


def _keep(cached: Path, data: Any) -> None:
    """Write the cache whole or not at all (several processes may start at once), only if JSON
    gives the same data back (not a number key turned string), and drop older versions' files."""
    try:
        text = json.dumps(data)
        if json.loads(text) != data:
            return
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_name(f"{cached.stem}.{os.getpid()}.tmp")
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, cached)
        for old in cached.parent.glob("rules-*.json"):
            if old != cached:
                old.unlink(missing_ok=True)
    except (OSError, TypeError, ValueError):
        pass
