"""Hypothesis strategies for neutral replies: any text anywhere, markup injections, many leads,
fields, tables and buttons, for every renderer's property tests."""

from __future__ import annotations

from hypothesis import strategies as st

from handlers.replies import Action, Field, LeadItem, Reply, Section, ServiceView, Table, TriggerView


def buttons_for(lead_id: int) -> tuple[Action, ...]:
    value = str(lead_id)
    return (
        Action(id="qualify", label="Qualify", value=value, style="primary"),
        Action(id="drop", label="Drop", value=value, style="danger"),
        Action(id="snooze", label="Snooze", value=value),
    )


TEXT = st.text(max_size=4000)
SHORT = st.text(max_size=200)
NASTY = st.lists(st.sampled_from(["<!channel>", "<@U123>", "<http://evil|click>", "&", "&amp;", "<", ">", "\n",
                                  "*", "_", "```", "😀", " ", "a" * 500]), max_size=40).map("".join)
ANY = st.one_of(TEXT, NASTY)


@st.composite
def replies(draw) -> Reply:
    item = LeadItem(
        id=draw(st.integers(0, 10**9)),
        account="acme",
        account_name=draw(st.one_of(SHORT, NASTY)),
        text=draw(ANY),
        stage=draw(st.sampled_from(["identified", "qualified", ""])),
        services=tuple(
            ServiceView(id="s", name=draw(SHORT), kind="cross-sell", evidence=draw(ANY), conflict=draw(st.booleans()))
            for _ in range(draw(st.integers(0, 3)))
        ),
        triggers=tuple(TriggerView(id="t", name=draw(SHORT), evidence=draw(ANY)) for _ in range(draw(st.integers(0, 2)))),
        flagged_by=(draw(SHORT),),
        age_days=draw(st.integers(0, 10_000)),
        value=draw(st.none() | st.floats(0, 1e12)),
        notes=tuple(draw(st.lists(SHORT, max_size=3))),
        actions=buttons_for(1),
    )
    count = draw(st.integers(0, 40))
    items = tuple(LeadItem(**{**item.__dict__, "id": i}) for i in range(count))
    fields = tuple(Field(label=draw(SHORT), value=draw(ANY)) for _ in range(draw(st.integers(0, 14))))
    table = Table(columns=("A", "B"), rows=tuple((draw(SHORT), draw(SHORT)) for _ in range(draw(st.integers(0, 5)))))
    return Reply(
        title=draw(ANY),
        kind=draw(st.sampled_from(["ok", "info", "usage", "error", "refused"])),
        text=draw(ANY),
        fields=fields,
        items=items[: count // 2],
        sections=(Section(title=draw(ANY), text=draw(ANY), fields=fields[:3], items=items[count // 2 :], table=table),),
        warnings=tuple(draw(st.lists(ANY, max_size=3))),
        actions=(Action(id="flag_message", label="Flag it", value=draw(SHORT)),),
    )


