"""One test per kind of tagger failure fixed, on remarks written for the test (not rows of the
labeled sets), with the shipped catalog and rules."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy
from spacy.matcher import Matcher

from handlers.config import load_config
from nlp import token_patterns
from nlp.clean import clean_markup
from nlp.rules import load_rules
from nlp.tagger import build_tagger

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def shipped():
    return build_tagger(load_config(ROOT / "app.yaml").catalog)


def _tag(tagger, text):
    return tagger.tag(text)


def test_a_subject_word_alone_is_no_need_and_scores_below_a_named_service(shipped):
    # "month-end" is a topic of outsourced accounting: silent alone, a weaker tag with a pain.
    assert _tag(shipped, "month-end is on the 3rd this time").lead is False
    weak = _tag(shipped, "month-end is a nightmare for them")
    named = _tag(shipped, "their bookkeeping is a nightmare")
    assert weak.service_ids == named.service_ids == ["outsourced_accounting"]
    assert weak.services[0].score < named.services[0].score


def test_cue_words_fold_their_inflections(shipped):
    # "kick off" is a status cue; "kicks off" must be one too.
    tags = _tag(shipped, "our security assessment for them kicks off on monday")
    assert tags.lead is False
    assert "engaged" in {m.kind for m in tags.modifiers}


def test_a_doubt_is_not_a_negation(shipped):
    # "'re not" overlaps the longer "not sure whether": a doubt about a need, not a refusal.
    tags = _tag(shipped, "they're not sure whether to move the file server to azure")
    assert tags.service_ids == ["cloud_migration"]
    assert tags.negated == []


def test_a_negation_does_not_reach_past_without(shipped):
    tags = _tag(shipped, "the bank won't extend the loan without audited financials")
    assert tags.service_ids == ["audit"]


def test_if_after_a_question_word_is_not_hypothetical(shipped):
    asked = _tag(shipped, "the owner asked me at lunch if we could look at their tax strategy")
    assert asked.service_ids == ["tax_planning"]
    wished = _tag(shipped, "if they ever want a tax strategy review we should talk")
    assert wished.lead is False
    assert "hypothetical" in {m.kind for m in wished.modifiers}


def test_the_auditor_as_messenger_names_no_audit_need(shipped):
    tags = _tag(shipped, "their auditors flagged that the reconciliations are months behind")
    assert "audit" not in tags.service_ids
    assert "outsourced_accounting" in tags.service_ids
    assert _tag(shipped, "the audit committee is worried about the timeline").lead is False


def test_today_after_a_past_purchase_is_not_historical(shipped):
    tags = _tag(shipped, "they bought hubspot two years ago and the sales team still refuses to use it")
    assert tags.service_ids == ["training_adoption"]


def test_a_date_word_before_a_status_cue_is_no_status_update(shipped):
    # "after kickoff" dates the pain; it is not news about our work.
    tags = _tag(shipped, "their projects keep stalling after kickoff and nobody owns the follow through")
    assert tags.service_ids == ["execution_support"]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("the owner likes his bookkeeper and wants to keep her", "declined"),
        ("they said the pen test is overkill for a company their size", "negated"),
        ("we're midway through the cloud migration, 30 of 50 servers moved", "engaged"),
        ("a sister company of theirs just raised a series b", "other_party"),
        ("might be worth mentioning our tax planning work if the sale happens", "hypothetical"),
    ],
)
def test_settled_states_and_other_parties_are_not_leads(shipped, text, kind):
    tags = _tag(shipped, text)
    assert tags.lead is False
    assert kind in {m.kind for m in tags.modifiers}


def test_a_bystander_company_is_another_party_for_triggers_too(shipped):
    tags = _tag(shipped, "their biggest customer was acquired last week")
    assert tags.lead is False
    assert tags.modifiers[0].kind == "other_party"


@pytest.mark.parametrize(
    ("text", "trigger"),
    [
        ("Initech is selling off the packaging division", "ma_activity"),
        ("they were bought by private equity in the spring", "ma_activity"),
        ("they opened a Dublin office last month", "geographic_expansion"),
        ("they're setting up a new sub in Singapore", "geographic_expansion"),
        ("the founder is handing the ceo role to the coo", "leadership_change"),
        ("Workday goes live at the end of the quarter", "technology_implementation"),
        ("the hris rollout starts in march", "technology_implementation"),
        ("they grew from 40 to 120 ppl in a year", "growth_milestone"),
        ("Hollow Creek bought a small HVAC contractor outright last month", "ma_activity"),
        ("their first out-of-state crew starts in Texas in may", "geographic_expansion"),
        ("they just passed 150 drivers", "growth_milestone"),
        ("Kestrel agreed to buy a small freight broker in Ohio", "ma_activity"),
        ("the minimum wage increase comes into effect in april", "regulatory_change"),
        ("their new Dutch sales office is open as of monday", "geographic_expansion"),
        ("Cedar lost their financial controller last week", "leadership_change"),
        ("the DORA rules are live for them from january", "regulatory_change"),
        ("Initech's ED retired in the summer and the role is still vacant", "leadership_change"),
        ("Globex is swapping Tally for NetSuite this spring", "technology_implementation"),
        ("Marta (COO) just resigned at Initech", "leadership_change"),
        ("the GM at O'Brien's Dairy retired over the summer", "leadership_change"),
        ("their finance manager has walked out mid-season", "leadership_change"),
        ("HR head left last week, nobody is handling work pass renewals", "leadership_change"),
    ],
)
def test_trigger_patterns_cover_their_phrase_families(shipped, text, trigger):
    assert _tag(shipped, text).trigger_ids == [trigger]


@pytest.mark.parametrize(
    "text",
    [
        "teams is so slow today",
        "need a receipt for the team dinner, who paid?",
        "requested access to the shared drive, please approve",
        "testing the new channel integration, ignore",
        "my vpn keeps dropping every 20 min",
        "the cfo is out this week, responses will be slow",
        "someone left a pizza box in the server room again",
        "my printer won't connect to the office wifi, can anyone check?",
        "the office wifi drops every afternoon, anyone else?",
        "the IT head left the call early, we will recap tomorrow",
        "the CFO left the call early",
        "the controller left the meeting before we got to Q3",
    ],
)
def test_everyday_words_of_a_service_do_not_make_chatter_a_lead(shipped, text):
    assert _tag(shipped, text).lead is False


def test_norms_fold_any_letter_case(shipped):
    vocab = shipped.nlp.vocab
    assert vocab["AUDITS"].norm_ == vocab["Audited"].norm_ == vocab["auditing"].norm_ == "audit"


def test_the_fast_path_says_what_the_pipeline_says(shipped):
    texts = [
        "they just raised a Series B and their books are a disaster",
        "nobody is watching their firewall alerts at night, ceo is worried",
        "lunch is here",
        "we pitched managed security in the spring, they declined",
    ]
    one_by_one = [shipped.tag(text).to_json() for text in texts]
    piped = [tags.to_json() for tags in shipped.tag_many(texts)]
    assert one_by_one == piped
    doc = shipped.nlp(clean_markup(texts[0]))
    assert {(s.label_, s.id_) for s in doc.spans["scout"]} >= {("TRIGGER", "funding_round")}


REMARKS = [
    "they raised money money round last week",
    "they raised a $20m growth round and are opening a second office in Denver",
    "new cfo starts monday, the old controller left",
    "revenue crossed 50 million this year, headcount hit 300 people",
    "they are moving to netsuite and rolling out salesforce",
    "Series - B closed, 3 new execs joined",
    "from 40 to 200 ppl and counting",
    " ".join(["Big"] * 60) + " Act and the EU AI act",  # long runs for "+" and "*"
    "they bought a big new shiny competitor, bought a competitor, bought the the the rival",
    "sessions move to Wed mornings, moving to Denver in May; 3 - new ERP",
    "",
]


# Flags the shipped patterns may not all use, so parity is checked for each.
EXTRA_PATTERNS = [
    [{"LOWER": {"IN": ["move", "moving"]}}, {"LOWER": "to"}, {"IS_TITLE": True, "IS_STOP": False}],
    [{"IS_STOP": True, "OP": "+"}, {"IS_UPPER": True}],
    [{"LIKE_NUM": True}, {"IS_PUNCT": True, "OP": "?"}, {"IS_ALPHA": True, "IS_STOP": False, "OP": "{1,2}"}],
]


def test_token_patterns_match_as_spacys_matcher_does():
    nlp = spacy.blank("en")
    shipped_patterns = [(tid, p) for tid, ps in load_rules().trigger_patterns.items() for p in ps]
    for trigger_id, pattern in shipped_patterns + [("extra", p) for p in EXTRA_PATTERNS]:
        matcher = Matcher(nlp.vocab, validate=True)
        matcher.add(trigger_id, [pattern])
        compiled = token_patterns.compile_pattern(pattern, nlp.vocab.strings)
        for text in REMARKS:
            doc = nlp(text)
            expected = sorted((start, end) for _, start, end in matcher(doc))
            assert token_patterns.match(compiled, token_patterns.doc_rows(doc)) == expected, (pattern, text)


# A pattern whose rarest word list is an ORTH one, the rest punctuation and stop words.
ORTH_ANCHORED = [{"ORTH": {"IN": ["Bill", "Law"]}}, {"LIKE_NUM": True}, {"LOWER": {"IN": [",", "is", "now"]}}]


def test_trigger_patterns_wake_only_where_they_can_match_and_lose_no_match():
    # The component runs a pattern only on remarks holding its anchor word (the rarest
    # required list, ORTH lists included) and its other required words: the same matches as
    # spaCy's Matcher over every pattern, on every remark (as sets: two patterns may find one span).
    nlp = spacy.blank("en")
    patterns = {tid: list(ps) for tid, ps in load_rules().trigger_patterns.items()}
    patterns["regulatory_change"] = [*patterns.get("regulatory_change", []), ORTH_ANCHORED]
    nlp.add_pipe("scout_trigger_patterns", config={"patterns": patterns})
    matcher = Matcher(nlp.vocab, validate=True)
    for trigger_id, trigger_patterns in patterns.items():
        matcher.add(trigger_id, trigger_patterns)
    texts = [*REMARKS, "Bill 96 is now in force in Quebec", "bill 96 is now in force", "Law 25, they said"]
    for text in texts:
        doc = nlp(text)
        expected = {(nlp.vocab.strings[m], s, e) for m, s, e in matcher(doc)}
        found = {(span.id_, span.start, span.end) for span in doc.spans.get("scout", [])}
        assert found == expected, text
    doc = nlp("Bill 96 is now in force")
    assert {s.text for s in doc.spans["scout"]} >= {"Bill 96 is"}


@pytest.mark.parametrize(
    "text",
    ["the survey is opening in The Hub app on monday", "the new store opens in Wed"],  # "Wed" is "We" + "d"
)
def test_a_capitalised_stop_word_is_no_place_name(shipped, text):
    assert "geographic_expansion" not in _tag(shipped, text).trigger_ids


def test_token_patterns_refuse_what_they_do_not_support():
    strings = spacy.blank("en").vocab.strings
    with pytest.raises(ValueError, match="not supported"):
        token_patterns.compile_pattern([{"LEMMA": "raise"}], strings)
    with pytest.raises(ValueError):
        token_patterns.compile_pattern([{"NOT_AN_ATTR": 1}], strings)


@pytest.mark.parametrize(
    "text",
    [
        "budget approved for Q3, ~$300K",
        "wrap it up by year-end",
        "wrap it up by year end please",
        "next yearly review is in march",
        "they closed last week",
        "this weekend is the cutover",
        "FY25 numbers are out, fyi",
        "kickoff on may 5th",
        "they may sign in 2027",
        "about EUR 2.5m and £120,000 and usd40",
        "nothing dated here at all",
    ],
)
def test_dates_and_amounts_are_skipped_only_where_none_can_be(shipped, text):
    from nlp.amounts import find_amounts, find_dates

    tags = shipped.tag(text)
    clean = clean_markup(text)
    assert (tags.dates, tags.amounts) == (find_dates(clean), find_amounts(clean))


def test_longest_span_wins_as_the_pairwise_rule_says():
    import random

    from nlp.components import _drop_contained

    def pairwise(spans):
        kept = []
        for span in sorted(spans, key=lambda s: (s[0], s[0] - s[1])):
            if any(k[0] <= span[0] and span[1] <= k[1] and (k[0], k[1]) != (span[0], span[1]) for k in kept):
                continue
            kept.append(span)
        return kept

    rng = random.Random(3)
    for _ in range(300):
        spans = []
        for _ in range(rng.randint(0, 12)):
            start = rng.randint(0, 15)
            spans.append((start, start + rng.randint(1, 4), rng.choice("AB"), rng.choice("xy")))
        assert _drop_contained(spans) == pairwise(spans)


def test_long_clauses_read_through_the_index_say_what_the_full_pass_says(shipped, monkeypatch):
    from nlp import components

    texts = [
        "they are frustrated with the audit and not happy with the tax planning, but they want a pen test",
        "if they ever want a pen test we should talk, the owner is fed up with the payroll provider",
        "we did their tax planning back in 2019 and they still need more tax returns for two more entities",
        "frustrated audit not " * 40,
    ]
    full = [shipped.tag(text).to_json() for text in texts]
    monkeypatch.setattr(components, "_FEW_CUES", -1)  # every clause through the index
    assert [shipped.tag(text).to_json() for text in texts] == full


def test_a_refusal_after_but_reaches_back_to_the_clause_it_answers(shipped):
    # The second half names nothing of its own, so its refusal is about the first half.
    refused = _tag(shipped, "they asked about a pen test but went with another vendor")
    assert refused.lead is False
    assert refused.negated == ["security_audit"]
    # A second half that names its own service keeps the refusal to itself.
    kept = _tag(shipped, "they passed on the audit but want help with tax planning")
    assert kept.service_ids == ["tax_planning"]
    # News about the client is not refused: the new CEO stays a trigger.
    news = _tag(shipped, "we offered coaching for the new ceo but the board passed")
    assert news.service_ids == [] and news.trigger_ids == ["leadership_change"]


@pytest.mark.parametrize(
    ("remark", "trigger"),
    [
        # the round named before its verb
        ("the bridge round finally closed last night", "funding_round"),
        # a "chief ... officer" title
        ("they appointed a chief revenue officer from a competitor", "leadership_change"),
        # a compound noun before the place ("a distribution hub", "its cold-storage division")
        ("they're opening a fulfilment hub in Leeds next spring", "geographic_expansion"),
        ("they are selling the meal-kit business to a rival", "ma_activity"),
        # a currency sign between the verb and the number
        ("sales hit $50M this quarter", "growth_milestone"),
        # "up from N a year ago" compares with today: no historical event
        ("headcount passed 400 people, up from 150 a year ago", "growth_milestone"),
        # newer roles: a hospital's chief nursing officer is a leader too
        ("their CNO just resigned and nobody is running the nursing units", "leadership_change"),
        # words between "closed" and "round"
        ("they closed a $40M growth round last week", "funding_round"),
        # round 8: money put in by investors, a system's cut-over
        ("investors put in another $12M at Globex last week", "funding_round"),
        ("Northwind cut over to NetSuite on the 1st", "technology_implementation"),
        # round 15: an outside hire, a hyphenated company name, a numbered new state, a new
        # office that opens, a system wanted in by a date, two systems compared
        ("Pellham Tools brought in their first outside CEO last month", "leadership_change"),
        ("the CFO at Harrow-Lane Foods walked out on Tuesday", "leadership_change"),
        ("Bexley Dental is opening in a third state next spring", "geographic_expansion"),
        ("their new Leeds office opens in June", "geographic_expansion"),
        ("Orrin Freight wants a WMS in by Q2", "technology_implementation"),
        ("Orrin Freight is comparing NetSuite vs Acumatica", "technology_implementation"),
    ],
)
def test_trigger_patterns_allow_the_common_word_orders(shipped, remark, trigger):
    assert _tag(shipped, remark).trigger_ids == [trigger]


def test_hyphenated_catalog_phrases_match_when_typed_with_spaces(shipped):
    assert _tag(shipped, "the board wants a 3 year plan and the ceo asked if we could help").service_ids == [
        "strategy_development"
    ]


def _phrase_lists():
    """Every phrase list of the shipped catalog and rules, by a name that says where it is."""
    config, rules = load_config(ROOT / "app.yaml"), load_rules()
    for service in config.catalog.services:
        yield f"{service.id}.terms", service.terms
        yield f"{service.id}.topics", service.topics
        yield f"{service.id}.needs", service.needs
    for trigger in config.catalog.triggers:
        yield f"{trigger.id}.phrases", trigger.phrases
    for key in ("need", "pain", "expand", "pseudo", "not_services"):
        yield key, getattr(rules, key)
    for kind, cues in rules.modifiers.items():
        for direction in ("forward", "backward", "both"):
            yield f"{kind}.{direction}", getattr(cues, direction)


def test_no_phrase_list_repeats_itself_or_spells_out_a_hyphen_variant():
    # spelling_variants adds "3 year plan" for "3-year-plan"; matching is case-insensitive
    repeats = {}
    for where, phrases in _phrase_lists():
        lowered = [p.lower() for p in phrases]
        hyphenated = {" ".join(p.replace("-", " ").split()) for p in lowered if "-" in p.strip("-")}
        extra = sorted({p for p in lowered if lowered.count(p) > 1} | {p for p in lowered if "-" not in p and p in hyphenated})
        if extra:
            repeats[where] = extra
    assert repeats == {}


@pytest.mark.parametrize(
    ("remark", "kind"),
    [
        # a decision to keep what they have is a refusal
        ("they priced out a move to AWS but decided to stay in their own data centre for now", "declined"),
        # "won't be needed" is a negation after the service, not a need
        ("the partner said a valuation won't be needed this year", "negated"),
        # an all-clear with an intensifier ("went really well")
        ("their annual audit went really well, clean opinion again", "negated"),
        # the firm's own report asked for by a client: no need of theirs
        ("could someone send globex a copy of our SOC 2 report, their procurement wants it", "other_party"),
    ],
)
def test_hard_negatives_stay_silent_and_say_why(shipped, remark, kind):
    tags = _tag(shipped, remark)
    assert tags.lead is False
    assert kind in {m.kind for m in tags.modifiers}


@pytest.mark.parametrize(
    ("remark", "service"),
    [
        # execution failure: a plan nobody owns, dates slipping
        ("the rollout plan exists but nobody is accountable for any of it and the dates are slipping", "execution_support"),
        # adoption failure: bought, unused, old habits
        ("they bought the new CRM in spring and nobody uses it, reps still log calls in spreadsheets", "training_adoption"),
        # process friction: approvals and hand-offs
        ("approvals for a simple PO take them weeks, too many sign-offs", "process_improvement"),
        # succession gap: no second in command
        ("owner is 68 with no number two and no plan for who takes over when he goes", "succession_planning"),
    ],
)
def test_need_families_without_the_catalog_name(shipped, remark, service):
    assert service in _tag(shipped, remark).service_ids


def test_nobody_internally_is_a_gap_not_another_party(shipped):
    tags = _tag(shipped, "they want to buy a competitor and nobody internally has ever run diligence")
    assert "transaction_advisory" in tags.service_ids


@pytest.mark.parametrize(
    ("remark", "kind"),
    [
        # status on work the firm does: progress, review, facilitation
        ("initech's soc 2 readiness work is 80% complete, two policies left", "engaged"),
        ("we're finalizing the R&D credit study for globex", "engaged"),
        ("the offsite we facilitated for their leadership team landed well", "engaged"),
        # refusals by a decision-maker
        ("the CEO vetoed the coaching idea", "declined"),
        # a need only under a condition, stated after it
        ("they'd only want a valuation if someone makes an offer", "hypothetical"),
        ("in theory a PMO would help but they won't pay for one", "hypothetical"),
        # satisfaction with what they have
        ("they already have an outsourced payroll provider and love it", "negated"),
        # the writer's own office, kit or old contacts
        ("the printer in our office keeps jamming, anyone know who to call?", "other_party"),
        ("I need a new monitor for the client site", "other_party"),
        ("my old manager's company is looking for a new ERP", "other_party"),
        # an all-clear about a go-live, however it is put
        ("the Globex ERP cutover went without a hitch, zero downtime", "negated"),
        # gossip is not news
        ("rumor is Initech might get bought, nobody has confirmed anything", "hypothetical"),
        # a relative's company is another party
        ("my nephew's startup needs a bookkeeper, anyone know one?", "other_party"),
        ("my dad's hardware store needs someone to do their books, any ideas?", "other_party"),
        # "no <thing>" and "a non-issue" clear the need they name
        ("they have no overseas entities, so transfer pricing is a non-issue for Cedar", "negated"),
        # our own deliverable, however it is put
        ("the SOC 2 report for Acme is issued, resent it to their CFO this morning", "engaged"),
        # the work went to someone else
        ("Globex went with another integrator for the HubSpot build, we lost that one", "declined"),
        # "no plans" refuses the news it names, a trigger included
        ("the owner at Cedar has no plans to sell the business, he told me twice", "negated"),
        # someone else already provides it
        ("globex already has their own pen test firm so we won't quote it", "declined"),
        # an all-clear: an error on their side, resolved
        ("the sales tax notice was just a clerical error on their side, already resolved", "negated"),
        # routine work done, and a brush-off
        ("q3 sales tax filed for Acme, all routine", "negated"),
        ("Northwind's bank recs are all reconciled and up to date, nothing to update", "negated"),
        ("maybe next year for the pen test, their budget's frozen", "declined"),
        # round 7: progress on our own work, and a contented client
        ("we're about 80% through the Initech audit, only the grant testing left", "engaged"),
        ("offered Globex help with the finance system, they said their accountant is on it and they're happy", "negated"),
        # round 8: a flat no, a condition that may never come, a sister organisation's news
        ("followed up on the org structure proposal with Globex, answer is no", "declined"),
        ("should Initech ever get big enough to need an audit, worth a chat then", "hypothetical"),
        ("Initech's sister charity hired a new ED, apparently she's great", "other_party"),
    ],
)
def test_more_hard_negatives_stay_silent_and_say_why(shipped, remark, kind):
    tags = _tag(shipped, remark)
    assert tags.lead is False
    assert kind in {m.kind for m in tags.modifiers}


def test_our_audit_team_is_the_messenger_not_the_need(shipped):
    tags = _tag(shipped, "the audit team flagged that their bookkeeping is a mess and they need help")
    assert tags.service_ids == ["outsourced_accounting"]


def test_a_request_to_fix_is_not_an_all_clear(shipped):
    # "fix" folds with "fixed"; only "got fixed", "was fixed" ... say the problem is gone.
    asked = _tag(shipped, "their month-end close takes 20 days and nobody there can fix it")
    assert asked.service_ids == ["outsourced_accounting"]
    assert _tag(shipped, "the vpn issue at their site got fixed yesterday").lead is False


def test_a_competitor_the_client_buys_is_no_other_party(shipped):
    tags = _tag(shipped, "they're in talks to acquire a small competitor and need someone to go through the target's books")
    assert tags.service_ids == ["transaction_advisory"]
    assert tags.trigger_ids == ["ma_activity"]
    # their competitor's own news is still another party's
    assert _tag(shipped, "their competitor just hired a new CEO").lead is False


@pytest.mark.parametrize(
    ("remark", "service"),
    [
        # a gap stated with a negation word is a pain, not a refusal
        ("the leadership team doesn't trust each other and meetings are a mess", "team_development"),
        ("the ERP vendor walked off the project halfway and nothing is integrated", "implementation_services"),
        # a requirement phrased as a condition
        ("the bank is making audited financials a condition of the new credit line", "audit"),
    ],
)
def test_gaps_and_conditions_with_negation_words_are_needs(shipped, remark, service):
    tags = _tag(shipped, remark)
    assert service in tags.service_ids
    assert tags.negated == []


@pytest.mark.parametrize(
    "remark",
    [
        "who on our side is the right person to ask about R&D credit methodology?",
        "anyone want to join the lunch and learn on change management?",
        "we need more people on the globex audit, it's short-staffed",
        "I'm looking for the deck we used for the succession planning pitch last year",
        "the acme team asked if we can move the process mapping workshop to next week",
    ],
)
def test_internal_firm_admin_naming_a_service_is_no_lead(shipped, remark):
    tags = _tag(shipped, remark)
    assert tags.lead is False
    assert "other_party" in {m.kind for m in tags.modifiers}


@pytest.mark.parametrize(
    ("remark", "service"),
    [
        # a system bought and never configured
        ("they licensed a new HRIS in the spring and nobody has set it up", "implementation_services"),
        # programmes with no owner
        ("there are nine cost projects running and none of them has a real owner", "execution_support"),
        # intercompany prices picked at will
        ("the dutch sub sells to the UK entity at whatever price finance picks", "transfer_pricing"),
        # the need named by its objects, not by the catalog's words
        ("Acme's founder wants to hand the reins to his daughter but nothing is written down", "succession_planning"),
        ("nobody at Acme is tracking any of the goals they set in january", "execution_support"),
        ("the ops managers at Globex have never been trained to manage a team", "team_development"),
        ("half their laptops have no endpoint protection and nobody watches the alerts", "managed_security"),
        ("the org chart at Northwind has two heads of sales who both think they run the team", "organizational_design"),
        # rounds 4-6 of the widening: the writers' symptoms, said another way
        ("the warehouse wifi at northwind is so spotty the scanners keep dropping", "infrastructure_setup"),
        ("half the managers don't know who actually decides on hiring anymore", "organizational_design"),
        ("the controller quit and there is nobody above the bookkeeper now", "fractional_cfo"),
        ("they run two ERPs and every report comes out of three systems", "financial_systems"),
        ("nobody actually owns the rollout and it'll stall like the last one", "execution_support"),
        # round 7
        ("the two owners at Globex want an independent figure for the shares before one buys the other out", "business_valuation"),
        ("nobody has ever tried to break in on purpose and their insurer is now asking", "security_audit"),
        ("the partners at Initech openly feud in every meeting and it is poisoning the whole team", "team_development"),
        ("the whole quoting process at Northwind lives in a web of spreadsheets", "process_improvement"),
        # round 8
        ("two suppliers have put Northwind on stop because their bills haven't been paid since spring", "outsourced_accounting"),
    ],
)
def test_more_need_families(shipped, remark, service):
    assert service in _tag(shipped, remark).service_ids


@pytest.mark.parametrize(
    ("remark", "kept", "dropped"),
    [
        # "want to move everything to" is the need; "hardware" is only when it must happen
        ("they want to move everything to azure before the hardware gives out", "cloud_migration", "infrastructure_setup"),
        # "asked for" belongs to the pen test; the cyber policy is what the insurer renews
        ("the insurer asked for a penetration test before renewing the cyber policy", "security_audit", "hr_consulting"),
    ],
)
def test_a_need_cue_belongs_to_the_nearest_stronger_service_in_its_clause(shipped, remark, kept, dropped):
    ids = _tag(shipped, remark).service_ids
    assert kept in ids
    assert dropped not in ids


def test_a_topic_with_its_own_cue_is_still_a_need(shipped):
    # No stronger service competes for the cue: the topic keeps it.
    assert _tag(shipped, "the old hardware keeps dying on them").service_ids == ["infrastructure_setup"]


def test_a_stronger_service_far_from_the_topics_cue_does_not_take_it(shipped):
    # "is a disaster" sits by quickbooks; the bookkeeper's need phrase, a clause-length away,
    # has its own cue, so each service keeps its own (the rule once compared distances only).
    remark = (
        "their quickbooks setup is a disaster, no classes or locations so they can't get a P&L by store, "
        "and the bookkeeper is 3 months behind on entries"
    )
    assert sorted(_tag(shipped, remark).service_ids) == ["financial_systems", "outsourced_accounting"]


def test_we_with_any_past_verb_is_our_own_work_done(shipped):
    # No phrase lists "we migrated": the subject "we" and a past verb make it our work, done.
    tags = _tag(shipped, "we migrated their file server to azure last spring")
    assert tags.lead is False
    assert ("historical", "we migrated") in {(m.kind, m.cue) for m in tags.modifiers}


@pytest.mark.parametrize(
    ("remark", "service"),
    [
        # a verb that brings news about the client is not our work
        ("we noticed their firewall has no monitoring at all", "managed_security"),
        # a passive "we were asked" is a request, not a past verb of ours
        ("we were asked to help with their sales tax filings", "tax_compliance"),
        # "now" closes the past: what follows is today's need
        ("we migrated their email last year and now they want help moving the erp to the cloud", "cloud_migration"),
    ],
)
def test_we_with_a_past_verb_leaves_news_and_requests_alone(shipped, remark, service):
    assert service in _tag(shipped, remark).service_ids


def test_any_past_year_is_historical_and_a_later_one_is_not(shipped):
    # "in <year>" for the whole range in rules.yaml, not a phrase per year.
    past = _tag(shipped, "we talked about their netsuite go-live in 2024 over lunch")
    assert past.lead is False
    assert ("historical", "in 2024") in {(m.kind, m.cue) for m in past.modifiers}
    ahead = _tag(shipped, "their netsuite go-live in 2027 will need extra hands")
    assert ahead.trigger_ids == ["technology_implementation"]
    assert "historical" not in {m.kind for m in ahead.modifiers}


def test_the_nearest_cue_rule_is_data_and_can_be_turned_off():
    from nlp.tagger import Tagger

    catalog = load_config(ROOT / "app.yaml").catalog
    off = Tagger(catalog, load_rules().model_copy(update={"nearest_cue_margin": None}))
    remark = "they want to move everything to azure before the hardware gives out"
    assert off.tag(remark).service_ids == ["cloud_migration", "infrastructure_setup"]


def test_another_party_ends_where_the_client_takes_over(shipped):
    # the customer demands it; the need ("get SOC 2 ready") is the client's own
    tags = _tag(shipped, "Cedar's biggest customer is telling them to get SOC 2 ready and they have no idea where to start")
    assert tags.service_ids == ["security_audit"]


def test_nah_refuses_what_came_before_it_not_what_follows(shipped):
    reply = _tag(shipped, "pitched them an HRIS rollout, nah")
    assert reply.lead is False
    assert "declined" in {m.kind for m in reply.modifiers}
    assert _tag(shipped, "nah, they really need someone to run the month-end close").service_ids == [
        "outsourced_accounting"
    ]


def test_a_doubt_with_if_is_not_a_refusal(shipped):
    # "not sure if they're covered" doubts the cover; the need for someone on call stands
    tags = _tag(shipped, "not sure if Initech is covered for incident response, they want someone on call for alerts")
    assert tags.service_ids == ["managed_security"]
    assert "declined" not in {m.kind for m in tags.modifiers}


def test_a_product_name_that_is_also_a_word_needs_its_product_context(shipped):
    # "Ramp" the expense tool, not "ramp up production"
    assert _tag(shipped, "they are struggling to ramp up production before the holidays").service_ids == []
    assert "financial_systems" in _tag(shipped, "their ramp cards never reconcile with the GL and it's a mess").service_ids


def test_a_short_word_with_two_senses_takes_the_one_its_remark_is_about(shipped):
    # "AP" among scanners and a warehouse is an access point, not accounts payable
    tags = _tag(shipped, "the scanners drop every afternoon, probably AP density in the warehouse, they want a redesign")
    assert tags.service_ids == ["infrastructure_setup"]
    # "got a $30k" penalty is a tax notice, not a funding round
    tags = _tag(shipped, "the owner got a $30k penalty notice from the state for late filings")
    assert tags.service_ids == ["tax_compliance"]
    assert tags.trigger_ids == []


def test_someone_to_break_in_is_a_security_test_not_a_network_build(shipped):
    # "their network" is the target of the test, not a network to set up (round 8).
    tags = _tag(shipped, "Initech wants someone to try to hack their network before the cyber insurance renews")
    assert tags.service_ids == ["security_audit"]


def test_a_closing_disclaimer_reaches_back_across_a_full_stop(shipped):
    # rounds 12-13: "not a client, just curious" after the need takes it back...
    asked = "Halvorsen Dental wants a pen test before their insurance renewal"
    assert _tag(shipped, asked).service_ids == ["security_audit"]
    assert _tag(shipped, asked + ". not a client btw, just curious").lead is False
    assert _tag(shipped, "their payroll provider is a nightmare. nope, they're very happy with it actually").lead is False
    # ...but next to a mention of its own it is no disclaimer of what came before
    tags = _tag(shipped, "he said he's just curious but they clearly want a pen test before the renewal")
    assert tags.service_ids == ["security_audit"]


def test_a_what_if_that_runs_into_the_news_is_no_news(shipped):
    assert _tag(shipped, "Keller Tool is expanding into Mexico next year").trigger_ids == ["geographic_expansion"]
    assert _tag(shipped, "should Keller Tool ever expand into Mexico we could help with the setup").lead is False


def test_a_round_still_to_come_is_no_funding_round(shipped):
    tags = _tag(shipped, "before the series B they want their books tidy enough for diligence")
    assert tags.trigger_ids == []
    assert "outsourced_accounting" in tags.service_ids


def test_an_aside_in_brackets_does_not_end_the_clause(shipped):
    # "their competitor (Tessera?)": the "?" closes the aside, the competitor still raised the round
    assert _tag(shipped, "Tessera just raised a Series B").trigger_ids == ["funding_round"]
    assert _tag(shipped, "their competitor (Tessera?) just raised a Series B").lead is False


def test_the_client_quoted_in_its_own_words_is_not_another_party(shipped):
    tags = _tag(shipped, '"our benefits are a joke" said the new CHRO at Lindell')
    assert tags.service_ids == ["hr_consulting"]
    assert tags.trigger_ids == ["leadership_change"]


def test_a_word_of_its_own_one_slip_from_a_catalog_word_stays_itself(shipped):
    # "Beach" is not a slip of "breach" (not_slips); "bookeeping" still is one of "bookkeeping"
    assert _tag(shipped, "Bells Beach Brewing asked about replacing their laptops").service_ids == ["infrastructure_setup"]
    assert _tag(shipped, "their bookeeping is a disaster").service_ids == ["outsourced_accounting"]


def test_a_purpose_clause_is_no_negation(shipped):
    # "so he doesnt hand it all to the IRS" says what he wants, it negates nothing
    text = "Jorgensen had a huge year and wants to know what he can do before year end so he doesnt hand it all to the IRS"
    assert _tag(shipped, text).service_ids == ["tax_planning"]


def test_plain_needs_name_a_service_by_its_catalog_words(shipped):
    # no catalog phrase, but "salaries" and "hire" are hr_consulting's words, beside two need cues
    text = "Brookfield Dental lost three hygienists this quarter and wants someone to benchmark salaries and redo how they hire"
    tags = _tag(shipped, text)
    assert tags.service_ids == ["hr_consulting"]
    assert tags.services[0].evidence == "salaries and redo how they hire"
    assert tags.services[0].score < _tag(shipped, "their payroll provider is a nightmare").services[0].score
    # the same words as our own past work, as a what-if, or in a question about our own firm are no guess
    past = "we benchmarked Brookfield Dental's salaries and redid how they hire back in 2022, they still love it"
    assert _tag(shipped, past).lead is False
    what_if = "Brookfield Dental might want someone to benchmark salaries and redo how they hire if they ever grow"
    assert _tag(shipped, what_if).lead is False
    assert _tag(shipped, "quick q, who benchmarks salaries for how we hire our own grads? nobody seems to know").lead is False
    # and a service the remark names outright is the only one
    assert _tag(shipped, text + ". their bookkeeping is a mess too").service_ids == ["outsourced_accounting"]


def test_trigger_families_of_round_15_keep_their_modifiers(shipped):
    assert _tag(shipped, "Orrin Freight's competitor brought in an outside CEO").lead is False
    assert _tag(shipped, "if Bexley Dental ever ends up opening in a third state we should talk").lead is False
    assert _tag(shipped, "Orrin Freight consolidated onto HubSpot back in 2019").lead is False


def test_routine_work_our_own_teams_and_a_polite_no_are_no_leads(shipped):
    # "as usual": a status update on routine work; "not something they want": a refusal that
    # closes the remark; "our payroll team": the firm's own team, not the client's payroll
    assert _tag(shipped, "Halden's monthly bookkeeping closed on the 4th as usual").lead is False
    polite_no = "Halden said their tax planning is done by the group's advisors, not something they want from us"
    assert _tag(shipped, polite_no).lead is False
    assert _tag(shipped, "Our payroll team needs Halden's timesheets by the 25th, please chase").lead is False
    # the same services with a need are still leads
    assert _tag(shipped, "Halden's bookkeeping is three months behind and they want help").service_ids == [
        "outsourced_accounting"
    ]
    assert _tag(shipped, "Halden's tax planning is a mess and they want help").service_ids == ["tax_planning"]


def test_a_question_mark_in_a_bracketed_aside_asks_nothing_of_the_clause_before(shipped):
    text = "they want someone to benchmark salaries and redo how they hire. Brookfield (the Leeds one?) lost three hygienists"
    assert _tag(shipped, text).service_ids == ["hr_consulting"]
    # a real question is still no cue's clause
    assert _tag(shipped, "do they want someone to benchmark salaries and redo how they hire? nobody knows").lead is False


@pytest.mark.parametrize(
    ("remark", "trigger", "not_trigger"),
    [
        # an opening verb, a few words, a kind of site, then where
        ("Brightwater is opening a small distribution warehouse in Leeds next spring", "geographic_expansion", None),
        ("they opened depots in Reno and Boise last quarter", "geographic_expansion", None),
        # sites planned by count; sites bought by count are the deal
        ("plan is 8 stores in Perth by the end of next year", "geographic_expansion", None),
        ("Harlow Foods is buying two restaurants in Bristol", "ma_activity", "geographic_expansion"),
        ("they're looking at buying 4 more salons from the founder", "ma_activity", None),
        # a stake sold is a deal; an investor taking one is a round
        ("the family is selling their 30% stake to the founder", "ma_activity", None),
        ("Penrose Capital took a minority stake last month", "funding_round", "ma_activity"),
        # a split into companies is a deal; into divisions, a reorg
        ("Elmwood is splitting into two companies next year", "ma_activity", None),
        ("Elmwood is splitting into two divisions next year", None, "ma_activity"),
        ("Cleanwave raised SGD 3m from angels", "funding_round", None),
        ("Northwind just cracked $50m", "growth_milestone", None),
        # owners staying on in their roles refuse nothing
        ("Ridgeway is merging with Tessera, both founders staying on", "ma_activity", None),
        # a new or changed rule of any name; obligations a client grows into are not one
        ("the new EU deforestation rules are going to hit Brightwater's sourcing", "regulatory_change", None),
        ("payroll tax rules changing from July and they have staff in 3 states", "regulatory_change", None),
        ("they passed 50 staff so a pile of new HR obligations apply", None, "regulatory_change"),
        # a role ended by others, a person now in the role
        ("the CFO at Greystone got replaced last month", "leadership_change", None),
        ("the founder stepped back and Priya is now CEO", "leadership_change", None),
        # a size that doubled to a figure or went from one figure to another; profits jumping is tax talk
        ("revenue at Tallis doubled to $12m this year", "growth_milestone", None),
        ("headcount going from 80 to 200 by June", "growth_milestone", None),
        ("profits jumped this year so the owner wants to talk about tax", None, "growth_milestone"),
        # a mine is a place, not a friend of mine
        ("Outback Catering won the mine camp contract, headcount going from 120 to 300", "growth_milestone", None),
    ],
)
def test_trigger_shapes_of_session_13(shipped, remark, trigger, not_trigger):
    ids = _tag(shipped, remark).trigger_ids
    if trigger is not None:
        assert trigger in ids
    if not_trigger is not None:
        assert not_trigger not in ids


@pytest.mark.parametrize(
    "remark",
    [
        "Brightwater thought about a second office in Lyon but they dropped the idea, too expensive",
        "their board looked at a merger with the Leeds group but voted it down last week",
    ],
)
def test_news_that_was_only_a_thought_is_refused_by_the_next_clause(shipped, remark):
    tags = _tag(shipped, remark)
    assert tags.lead is False
    assert "declined" in {m.kind for m in tags.modifiers}


def test_news_said_plainly_or_only_considered_stays_news(shipped):
    assert "ma_activity" in _tag(shipped, "the board is looking at a merger with Tessera").trigger_ids
    assert "funding_round" in _tag(shipped, "they closed a Series B but declined our offer of a CFO").trigger_ids
