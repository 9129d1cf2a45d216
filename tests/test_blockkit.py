"""Block Kit rendering: user text is escaped everywhere and Slack's limits always hold."""

from __future__ import annotations

import json
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.blockkit import escape_mrkdwn, render_blocks
from handlers.replies import (
    Action,
    Field,
    LeadItem,
    Reply,
    Section,
    ServiceView,
    Table,
    TriggerView,
    error,
    refused,
    usage,
)
from tests.helpers.reply_strategies import ANY, SHORT, TEXT, buttons_for, replies
from tests.helpers.slack_limits import assert_element, assert_message, assert_view

EVIL = "<!channel> <@U123> <http://evil|click> & co"
ENTITY = re.compile(r"&(?!amp;|lt;|gt;)")


def size(text: str) -> int:
    """UTF-16 code units, the strictest way Slack might count."""
    return len(text.encode("utf-16-le")) // 2


def lead(lead_id: int = 12, text: str = "they need an audit", **kw) -> LeadItem:
    defaults = {
        "account": "acme",
        "account_name": "Acme Corp",
        "stage": "identified",
        "services": (ServiceView(id="audit", name="Audit", kind="cross-sell", evidence="need an audit"),),
        "triggers": (TriggerView(id="funding", name="Funding round", evidence="raised a B round"),),
        "flagged_by": ("Dan Delivery",),
        "age_days": 3,
        "value": 120_000.0,
        "notes": (),
        "actions": buttons_for(lead_id),
    }
    return LeadItem(id=lead_id, text=text, **{**defaults, **kw})


def mrkdwn_texts(out: dict) -> list[str]:
    """Every text Slack parses as mrkdwn: section text and fields, context elements, the fallback."""
    texts = [out["text"]]
    for block in out["blocks"]:
        if "text" in block and block["text"]["type"] == "mrkdwn":
            texts.append(block["text"]["text"])
        texts += [f["text"] for f in block.get("fields", [])]
        if block["type"] == "context":
            texts += [e["text"] for e in block["elements"] if e["type"] == "mrkdwn"]
    return texts


def buttons(out: dict) -> list[dict]:
    return [e for b in out["blocks"] if b["type"] == "actions" for e in b["elements"]]


def assert_within_slack_limits(out: dict) -> None:
    assert_message(out)


# -- escaping --------------------------------------------------------------------------------


def test_escape_mrkdwn_replaces_only_slacks_three_characters():
    assert escape_mrkdwn("<!channel> & <@U123> *bold* _x_") == "&lt;!channel&gt; &amp; &lt;@U123&gt; *bold* _x_"
    assert escape_mrkdwn("&amp;") == "&amp;amp;"
    assert escape_mrkdwn("") == ""


def test_user_text_in_title_lead_text_and_evidence_pings_nobody():
    item = lead(
        text=f"remark {EVIL}",
        account_name=f"Acme {EVIL}",
        services=(ServiceView(id="audit", name="Audit", kind="cross-sell", evidence=f"ev {EVIL}"),),
        triggers=(TriggerView(id="f", name="Funding", evidence=f"tr {EVIL}"),),
        notes=(f"note {EVIL}",),
        flagged_by=(f"Dan {EVIL}",),
    )
    reply = Reply(title=f"Title {EVIL}", text=f"Text {EVIL}", items=(item,), warnings=(f"warn {EVIL}",),
                  fields=(Field(label="Owner", value=f"val {EVIL}"),))
    out = render_blocks(reply)
    dumped = json.dumps(out)
    for raw in ("<!channel>", "<@U123>", "<http://evil|click>", "& co"):
        assert raw not in dumped
    lead_text = out["blocks"][-2]["text"]["text"]
    assert "remark &lt;!channel&gt; &lt;@U123&gt; &lt;http://evil|click&gt; &amp; co" in lead_text
    assert "ev &lt;!channel&gt;" in lead_text and "tr &lt;!channel&gt; &lt;@U123&gt;" in lead_text
    assert out["blocks"][0]["text"]["text"] == "*Title &lt;!channel&gt; &lt;@U123&gt; &lt;http://evil|click&gt; &amp; co*"
    assert out["text"].startswith("Title &lt;!channel&gt; &lt;@U123&gt; &lt;http://evil|click&gt; &amp; co: Text &lt;!channel&gt;")
    assert_within_slack_limits(out)


def test_table_cells_and_section_titles_are_escaped_too():
    table = Table(columns=("Account", "Value"), rows=((EVIL, "$1K"),))
    out = render_blocks(Reply(title="Pipeline", sections=(Section(title=f"By {EVIL}", table=table),)))
    dumped = json.dumps(out)
    assert "<!channel>" not in dumped and "&lt;!channel&gt;" in dumped
    assert_within_slack_limits(out)


# -- a lead and its buttons ------------------------------------------------------------------


def test_lead_section_layout():
    item = lead(
        services=(
            ServiceView(id="audit", name="Audit", kind="cross-sell"),
            ServiceView(id="tax", name="Tax planning", kind="upsell", conflict=True),
        ),
        notes=("auditor independence: check before pursuing",),
        text="line one\nline two",
    )
    section, actions = render_blocks(Reply(title="Leads", items=(item,)))["blocks"][1:]
    text = section["text"]["text"]
    lines = text.splitlines()
    assert lines[0] == "*#12* · _identified_ · Acme Corp"
    assert lines[1:3] == ["&gt; line one", "&gt; line two"]
    assert "Audit _(cross-sell)_" in text
    assert "Tax planning _(upsell)_ :warning:" in text
    assert "*Triggers:* Funding round — “raised a B round”" in text
    assert "Flagged by Dan Delivery · 3d ago · $120K" in text
    assert lines[-1] == "_Note:_ auditor independence: check before pursuing"
    assert actions["type"] == "actions"


def test_buttons_keep_their_labels_and_carry_the_lead_id():
    out = render_blocks(Reply(title="Leads", items=(lead(7), lead(8))))
    got = [(b["text"]["text"], b["value"], b["action_id"], b.get("style")) for b in buttons(out)]
    assert got == [
        ("Qualify", "7", "scout_qualify_7", "primary"),
        ("Drop", "7", "scout_drop_7", "danger"),
        ("Snooze", "7", "scout_snooze_7", None),
        ("Qualify", "8", "scout_qualify_8", "primary"),
        ("Drop", "8", "scout_drop_8", "danger"),
        ("Snooze", "8", "scout_snooze_8", None),
    ]
    assert all(b["text"] == {"type": "plain_text", "text": b["text"]["text"]} for b in buttons(out))
    assert "style" not in buttons(out)[2]


def test_action_ids_are_unique_across_the_message():
    reply = Reply(
        title="Digest",
        items=tuple(lead(i) for i in range(1, 6)),
        sections=(Section(title="More", items=tuple(lead(i) for i in range(6, 9))),),
        actions=(Action(id="flag_message", label="Flag it", value="1700000000.000100", style="primary"),
                 Action(id="not_a_lead", label="Not a lead")),
    )
    out = render_blocks(reply)
    ids = [b["action_id"] for b in buttons(out)]
    assert len(ids) == 8 * 3 + 2 == len(set(ids))
    assert ids[-2:] == ["scout_flag_message_1700000000.000100", "scout_not_a_lead_"]
    assert "value" not in buttons(out)[-1]  # no empty value for Slack to refuse
    assert out["blocks"][-1]["type"] == "actions"
    assert_within_slack_limits(out)


def test_a_repeated_button_in_one_block_is_shown_once():
    item = lead(3, actions=(*buttons_for(3), Action(id="drop", label="Drop", value="3")))
    out = render_blocks(Reply(title="x", items=(item,)))
    assert [b["text"]["text"] for b in buttons(out)] == ["Qualify", "Drop", "Snooze"]
    assert_within_slack_limits(out)


def test_oversized_button_parts_are_cut_to_slacks_limits():
    action = Action(id="flag_message", label="L" * 200, value="v" * 5000)
    out = render_blocks(Reply(title="x", actions=(action,)))
    (button,) = buttons(out)
    assert len(button["text"]["text"]) == 75 and button["text"]["text"].endswith("…")
    assert len(button["value"]) == 255
    assert len(button["action_id"]) <= 255 and button["action_id"].startswith("scout_flag_message_")
    assert_within_slack_limits(out)


def test_thirty_buttons_split_into_actions_blocks_of_at_most_25():
    actions = tuple(Action(id="pick", label=f"#{i}", value=str(i)) for i in range(30))
    out = render_blocks(Reply(title="x", actions=actions))
    assert [len(b["elements"]) for b in out["blocks"] if b["type"] == "actions"] == [25, 5]
    assert_within_slack_limits(out)


# -- limits ----------------------------------------------------------------------------------


def test_eighty_leads_stay_within_fifty_blocks_with_a_note_on_the_rest():
    reply = Reply(title="Open leads", items=tuple(lead(i) for i in range(1, 81)),
                  actions=(Action(id="refresh", label="Refresh"),))
    out = render_blocks(reply)
    blocks = out["blocks"]
    assert len(blocks) <= 50
    shown = [b for b in blocks if b["type"] == "section" and b["text"]["text"].startswith("*#")]
    assert len(shown) == 23  # title + 23 x (lead + buttons) + note + reply actions = 49; a 24th would need 51
    note = blocks[-2]
    assert note == {"type": "context", "elements": [{"type": "mrkdwn", "text": "…and 57 more; see /leads"}]}
    assert blocks[-1]["elements"][0]["text"]["text"] == "Refresh"
    # no lead is shown without its buttons
    assert blocks[-3]["type"] == "actions" and blocks[-3]["elements"][0]["value"] == "23"
    assert_within_slack_limits(out)


def test_many_fields_are_split_ten_to_a_section():
    fields = tuple(Field(label=f"F{i}", value=str(i)) for i in range(23))
    out = render_blocks(Reply(title="x", fields=fields))
    assert [len(b["fields"]) for b in out["blocks"] if "fields" in b] == [10, 10, 3]
    assert out["blocks"][1]["fields"][0] == {"type": "mrkdwn", "text": "*F0*\n0"}
    assert_within_slack_limits(out)


def test_a_huge_field_value_is_trimmed_to_2000():
    out = render_blocks(Reply(title="x", fields=(Field(label="Remark", value="&" * 5000),)))
    (field,) = out["blocks"][1]["fields"]
    assert size(field["text"]) <= 2000 and field["text"].endswith("(trimmed)")
    assert_within_slack_limits(out)


def test_a_40000_character_remark_is_trimmed_to_fit_a_section():
    out = render_blocks(Reply(title="Lead #1", items=(lead(1, text="word & " * 5715),)))
    text = out["blocks"][1]["text"]["text"]
    assert len("word & " * 5715) >= 40_000
    assert size(text) <= 3000
    assert "… (trimmed)" in text
    assert "Flagged by Dan Delivery" in text  # the remark gives way, not the lead's facts
    assert_within_slack_limits(out)


def test_a_remark_of_angle_brackets_or_emoji_is_trimmed_without_breaking_entities():
    for remark in ("<" * 40_000, "a>" * 20_000, "😀" * 40_000, "x\n" * 20_000):
        out = render_blocks(Reply(title=remark, text=remark, items=(lead(1, text=remark, account_name=remark),)))
        assert_within_slack_limits(out)
        assert "(trimmed)" in out["blocks"][-2]["text"]["text"]


def test_a_blank_remark_is_left_out_rather_than_quoted():
    out = render_blocks(Reply(title="x", text="\n" * 40_000, items=(lead(1, text="\n \n" * 10_000),)))
    assert [b["type"] for b in out["blocks"]] == ["section", "section", "actions"]
    assert "&gt;" not in out["blocks"][1]["text"]["text"]
    assert_within_slack_limits(out)


def test_trimming_never_splits_an_escape_sequence():
    for n in range(2985, 3005):
        out = render_blocks(Reply(title="x", text="a" * n + "&" * 50))
        text = out["blocks"][1]["text"]["text"]
        assert size(text) <= 3000
        assert not ENTITY.search(text)


def test_a_table_renders_padded_inside_code_fences():
    table = Table(columns=("Stage", "Leads", "Value"),
                  rows=(("identified", "3", "$120K"), ("qualified", "12", "$1.2M")))
    out = render_blocks(Reply(title="Pipeline", sections=(Section(title="Acme Corp", table=table),)))
    title, block = out["blocks"][1:]
    assert title["text"]["text"] == "*Acme Corp*"
    assert block["text"]["text"] == (
        "```\n"
        "Stage       Leads  Value\n"
        "----------  -----  -----\n"
        "identified  3      $120K\n"
        "qualified   12     $1.2M\n"
        "```"
    )
    assert_within_slack_limits(out)


def test_a_long_table_keeps_its_fences_and_says_how_many_rows_are_hidden():
    table = Table(columns=("Account", "Note"), rows=tuple((f"acct{i}", "x" * 50) for i in range(500)))
    out = render_blocks(Reply(title="Pipeline", sections=(Section(title="All", table=table),)))
    text = out["blocks"][-1]["text"]["text"]
    assert text.startswith("```\n") and text.endswith("more rows (trimmed)\n```")
    assert_within_slack_limits(out)


# -- fallback text, kinds, silence ----------------------------------------------------------


def test_fallback_text_is_the_title_and_text():
    out = render_blocks(Reply(title="Lead #1 flagged on Acme Corp", text="Thanks, Dan.\nWe'll take it from here."))
    assert out["text"] == "Lead #1 flagged on Acme Corp: Thanks, Dan. We'll take it from here."


def test_fallback_text_counts_leads_when_there_is_no_text():
    out = render_blocks(Reply(title="Your leads", items=(lead(1), lead(2))))
    assert out["text"] == "Your leads: 2 leads"


def test_fallback_text_is_escaped_and_capped():
    out = render_blocks(Reply(title="<!here>", text="&" * 10_000))
    assert out["text"].startswith("&lt;!here&gt;: &amp;")
    assert size(out["text"]) <= 3000 and out["text"].endswith("(trimmed)")
    assert_within_slack_limits(out)


def test_kinds_get_their_icon_in_the_title_line():
    assert render_blocks(error("boom"))["blocks"][0]["text"]["text"] == ":warning: *Sorry*"
    assert render_blocks(refused("no"))["blocks"][0]["text"]["text"] == ":no_entry: *Not allowed*"
    assert render_blocks(usage("Usage", "/flag ..."))["blocks"][0]["text"]["text"] == ":information_source: *Usage*"
    assert render_blocks(Reply(title="Done"))["blocks"][0]["text"]["text"] == "*Done*"
    assert render_blocks(error("boom"))["text"] == ":warning: Sorry: boom"


def test_warnings_render_as_context():
    out = render_blocks(Reply(title="Flagged", warnings=("Auditor independence: check first",)))
    assert out["blocks"][1] == {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": ":warning: Auditor independence: check first"}],
    }


def test_silent_replies_render_nothing():
    assert render_blocks(Reply(title="x", text="y", items=(lead(),), meta={"silent": "1"})) == {"text": "", "blocks": []}


def test_an_empty_reply_still_gives_slack_a_fallback():
    out = render_blocks(Reply(title="  "))
    assert out == {"text": "Scout", "blocks": []}


# -- properties ------------------------------------------------------------------------------

@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(reply=replies())
def test_any_reply_respects_slacks_limits_and_escapes_everything(reply):
    assert_within_slack_limits(render_blocks(reply))


@settings(max_examples=300, deadline=None)
@given(text=ANY)
def test_any_text_anywhere_is_escaped_and_fits(text):
    item = lead(1, text=text, account_name=text,
                services=(ServiceView(id="s", name=text, kind=text, evidence=text),))
    reply = Reply(title=text, text=text, fields=(Field(label=text, value=text),), items=(item,), warnings=(text,))
    out = render_blocks(reply)
    assert_within_slack_limits(out)
    assert [b["text"]["text"] for b in buttons(out)] == ["Qualify", "Drop", "Snooze"]


# -- every renderer, against the one validator ---------------------------------------------------


def _firm_with(names: list[str]):
    """The test firm with extra accounts and services whose names are any text."""
    from handlers.config import parse_config
    from tests.firm import FIRM

    extra_accounts = [{"id": f"a{i}", "name": f"{name} ({i})", "lead": "lee"} for i, name in enumerate(names)]
    extra_services = [{"id": f"s{i}", "name": name or f"S{i}", "practice": "X", "terms": [f"term{i}"]}
                      for i, name in enumerate(names)]
    return parse_config({**FIRM, "accounts": [*FIRM["accounts"], *extra_accounts],
                         "services": [*FIRM["services"], *extra_services]})


METADATA = st.dictionaries(st.sampled_from(["response_url", "channel", "ts", "home", "ephemeral"]),
                           st.one_of(st.text(max_size=2000), st.booleans(), st.none()), max_size=5)
RATING = st.sampled_from([None, "High", "Medium", "Low", "junk"])
LEAD_ID = st.integers(0, 10**12)


@settings(max_examples=60, deadline=None)
@given(lead_id=LEAD_ID, fit=RATING, position=RATING, metadata=METADATA)
def test_the_qualify_modal_always_fits(lead_id, fit, position, metadata):
    from bot.slack_modals import qualify_modal

    view = qualify_modal(lead_id, {"client_fit": fit, "competitive_position": position}, metadata)
    assert_view(view)
    assert json.loads(view["private_metadata"])["lead_id"] == lead_id


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=ANY, guess=st.one_of(SHORT, TEXT), names=st.lists(SHORT, max_size=120), metadata=METADATA)
def test_the_flag_modal_always_fits(text, guess, names, metadata):
    from bot.slack_modals import flag_modal

    config = _firm_with(names)
    assert_view(flag_modal(config, text, "acme", guess, metadata))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lead_id=LEAD_ID, names=st.lists(SHORT, max_size=120), metadata=METADATA, data=st.data())
def test_the_services_modal_always_fits(lead_id, names, metadata, data):
    from bot.slack_modals import services_modal

    config = _firm_with(names)
    current = data.draw(st.lists(st.sampled_from([s.id for s in config.services]), max_size=5))
    assert_view(services_modal(config, lead_id, current, metadata))


def test_the_drop_reason_picker_fits():
    from bot.slack_modals import drop_reason_picker

    assert_element(drop_reason_picker(10**12))


def test_a_40000_character_message_prefills_the_flag_modal_trimmed_to_3000():
    from bot.slack_modals import flag_modal

    view = flag_modal(_firm_with([]), "x" * 40_000, None, "", {"channel": "C1", "ts": "1.2"})
    assert len(view["blocks"][1]["element"]["initial_value"]) == 3000
    assert_view(view)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(reply=replies(), outcome=replies(), picker=st.booleans())
def test_replacing_a_lead_in_any_message_keeps_it_within_limits(reply, outcome, picker):
    from bot.blockkit import replace_lead
    from bot.slack_modals import drop_reason_picker

    blocks = render_blocks(reply)["blocks"]
    replaced = replace_lead(blocks, outcome, drop_reason_picker(1) if picker else None)
    if replaced is not None:
        assert_message({"text": "x", "blocks": replaced})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(home=replies(), outcome=st.none() | replies())
def test_the_app_home_with_an_outcome_on_top_fits_a_home_view(home, outcome):
    from bot.blockkit import home_view

    assert_view(home_view(home, outcome))
