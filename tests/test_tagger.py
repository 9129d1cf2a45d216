"""The spaCy tagger: needs vs mentions, modifiers, inflections, wallet, serialisation."""

from __future__ import annotations

import pytest
import spacy

import nlp.components  # noqa: F401 - registers the factories spacy.load needs
from nlp.inflect import NormTable, cue_norm_table, inflections, norm_table, typos


def _tag(tagger, config, text, account="acme", **kw):
    return tagger.tag(text, config.account(account) if account else None, **kw)


@pytest.mark.parametrize(
    ("text", "services"),
    [
        ("they want help with tax planning", ["tax_planning"]),
        ("frustrated with their payroll provider again", ["hr_consulting"]),
        ("nobody is watching their firewall alerts at night", ["managed_security"]),
        ("their bookkeeping is a disaster", ["outsourced_accounting"]),
        ("their BOOKKEEPING is a disaster", ["outsourced_accounting"]),
        ("their bookeeping is a disaster", ["outsourced_accounting"]),  # a typo
        ("they asked whether we do pen tests", ["security_audit"]),  # plural
    ],
)
def test_needs_are_tagged(tagger, config, text, services):
    tags = _tag(tagger, config, text, account="globex")
    assert tags.lead is True
    assert tags.service_ids == services


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("they are not planning an audit this year", "negated"),
        ("they don't need tax planning", "negated"),
        ("we pitched managed security in the spring, they declined", "declined"),
        ("if they ever want a pen test we should talk", "hypothetical"),
        ("we did their tax planning back in 2019", "historical"),
        ("their competitor wants a pen test", "other_party"),
    ],
)
def test_modifiers_remove_the_lead_and_say_why(tagger, config, text, kind):
    tags = _tag(tagger, config, text, account=None)
    assert tags.lead is False
    assert kind in {m.kind for m in tags.modifiers}


def test_refusals_are_listed_as_negated(tagger, config):
    tags = _tag(tagger, config, "they declined the pen test")
    assert tags.negated == ["security_audit"]


def test_status_update_on_delivered_work_is_not_a_lead(tagger, config):
    tags = _tag(tagger, config, "audit fieldwork is behind, wraps up Thursday")
    assert tags.lead is False
    assert "engaged" in {m.kind for m in tags.modifiers}


def test_status_words_do_not_silence_a_service_another_firm_provides(tagger, config):
    # acme's wallet: tax planning is a competitor's; the draft is theirs, not ours.
    tags = _tag(tagger, config, "the tax planning draft from their advisor is a mess, they want someone better")
    assert tags.service_ids == ["tax_planning"]


def test_bare_mention_is_not_a_lead_unless_a_person_flagged_it(tagger, config):
    assert _tag(tagger, config, "the audit committee moved to 3pm").lead is False
    flagged = _tag(tagger, config, "pen test", flagged=True)
    assert flagged.service_ids == ["security_audit"]


def test_upsell_needs_an_expansion_cue(tagger, config):
    tags = _tag(tagger, config, "they'll need tax returns for two more entities")
    assert [(s.id, s.kind) for s in tags.services] == [("tax_compliance", "upsell")]


def test_modifier_stops_at_clause_boundary(tagger, config):
    tags = _tag(tagger, config, "they are not happy with anything, but they need a pen test", account="globex")
    assert tags.service_ids == ["security_audit"]


def test_trigger_only_remark_is_a_lead_with_suggestions(tagger, config):
    tags = _tag(tagger, config, "heads up, their CFO resigned on Friday")
    assert (tags.lead, tags.trigger_ids, tags.service_ids) == (True, ["leadership_change"], [])
    assert tags.suggested == ["fractional_cfo"]


def test_dates_and_amounts(tagger, config):
    tags = _tag(tagger, config, "budget approved for Q3, ~$300K for tax planning")
    assert tags.dates == ["for Q3"]
    assert [(a.text, a.value) for a in tags.amounts] == [("~$300K", 300000.0)]


def test_inflections_fold_to_the_base_word():
    assert {"audits", "audited", "auditing", "auditor", "auditors"} <= inflections("audit")
    assert {"companies"} <= inflections("company")
    table = norm_table(["tax", "audit", "payroll"])
    assert table["taxes"] == "tax"
    assert "taxis" not in table
    assert table["payrol"] == table["paryoll"] == "payroll"


def test_norm_table_keeps_slips_as_hashes_and_gives_the_same_bases():
    plain = norm_table(["bookkeeping", "payroll", "audit"])
    table = NormTable.of(plain)
    assert dict(table) == plain and len(table) == len(plain)
    assert table["bookeeping"] == table["bookkeeing"] == "bookkeeping"
    assert table["audits"] == "audit"
    assert "bookkeepings" not in typos("bookkeeping") and table.get("bookkeepings") == "bookkeeping"
    assert table.get("payment") is None and "zzzzzzzz" not in table
    # a form given by hand that is no inflection or slip of its base is kept too
    assert NormTable.of({"hmrc": "tax", "taxes": "tax"}) == {"hmrc": "tax", "taxes": "tax"}


def test_the_lean_norm_table_is_the_plain_one(config):
    """for_words never holds the slips as strings; it must fold exactly what the dict does."""
    words = {w.lower() for s in config.catalog.services for p in (s.name, *s.terms, *s.topics) for w in p.split()}
    cues = ["kicks off", "planning", "left", "audits", "bookkeping"]
    table = NormTable.for_words(words, under=cue_norm_table(cues))
    assert dict(table) == {**cue_norm_table(cues), **norm_table(words)}


def test_a_slip_hash_that_hits_folds_only_a_real_slip():
    table = NormTable.of({"bookeeping": "bookkeeping"})
    # the same hash for a word that is no slip of the base: the check refuses it
    table._hashes[0] = hash("lunchtime")
    assert table.get("lunchtime") is None


@pytest.mark.parametrize("pattern", ["payroll provider", "dont have a controller", "r&d credit", "go-live", "3-year plan", "new CFO"])
def test_span_ruler_keys_phrases_as_spacy_does(pattern):
    texts = [f"they {pattern} soon", f"they {pattern.replace('-', ' ')} soon", "They DONT have a controller"]
    rulers = []
    for factory in ("span_ruler", "scout_span_ruler"):
        nlp = spacy.blank("en")
        nlp.add_pipe("scout_norms").add(norm_table(["controller", "provider"]))
        ruler = nlp.add_pipe(factory, config={"spans_key": "ruler", "phrase_matcher_attr": "NORM", "validate": False})
        ruler.add_patterns([{"label": "P", "pattern": pattern, "id": "x"}])
        docs = [nlp(text) for text in texts]
        rulers.append([[(s.start, s.end, s.label_, s.id_) for s in doc.spans.get("ruler", [])] for doc in docs])
    assert rulers[0] == rulers[1]
    assert rulers[1][0], "the phrase matches its own text"


def test_pipeline_round_trips_through_disk(tagger, tmp_path):
    text = "their bookeeping is a disaster and they raised a series b"
    doc = tagger.nlp(text)
    before = [(s.label_, s.id_, s.text) for s in doc.spans["scout"]]
    tagger.nlp.to_disk(tmp_path / "pipeline")
    loaded = spacy.load(tmp_path / "pipeline")
    doc = loaded(text)
    after = [(s.label_, s.id_, s.text) for s in doc.spans["scout"]]
    assert after == before
    assert loaded.pipe_names == ["scout_norms", "span_ruler", "scout_trigger_patterns", "scout_context", "scout_topic_words"]
    assert loaded.get_pipe("scout_topic_words").words == tagger.nlp.get_pipe("scout_topic_words").words
    guessed = "nobody files their returns and the tax office keeps writing, they need help"
    assert loaded(guessed).user_data["scout_guess"] == tagger.nlp(guessed).user_data["scout_guess"] == ("tax_compliance", 3, 7)
