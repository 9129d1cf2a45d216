"""`/help`: what Scout does and how to use it, in the words of the platform's commands."""

from __future__ import annotations

from handlers.context import Scout
from handlers.replies import Field, Reply, Section, Table

COMMANDS = (
    ("/flag ACCOUNT remark", "Flag something you heard as a cross-sell lead (account optional in its channel)."),
    ("/pipeline [ACCOUNT]", "Open leads by stage, wallet share and white space; without an account, your portfolio."),
    ("/leads [ACCOUNT | mine]", "Open leads on your accounts, or the ones you flagged."),
    ("/qualify N [fit=H applicability=M capability=H position=L value=120k stage=S]",
     "Score lead N High/Medium/Low on the four dimensions and move it on."),
    ("/drop N reason", "Drop lead N, with a reason."),
    ("/snooze N", "Hide lead N until the next weekly digest."),
    ("/stage N STAGE", "Move lead N to a stage: exploring, proposed, negotiating, won, lost..."),
    ("/revive N", "Bring a dropped lead back."),
    ("/services N id,id", "Correct the services a lead is about."),
    ("/undo [N]", "Undo your last change (on lead N)."),
    ("/help services", "The firm's service catalog and its ids."),
)


def help_reply(scout: Scout, topic: str = "") -> Reply:
    if topic.strip().casefold() in ("services", "catalog"):
        rows = tuple((s.id, s.name, s.practice) for s in scout.config.services)
        return Reply(
            title="Service catalog",
            sections=(Section(title="Services", table=Table(columns=("Id", "Service", "Practice"), rows=rows)),),
        )
    return Reply(
        title="Scout helps your delivery team turn what they hear into cross-sell leads",
        text=(
            "Heard a client mention a new need, a frustration with another provider, a new CFO "
            "or a funding round? Flag it, and the account team gets it in their weekly digest."
        ),
        fields=tuple(Field(cmd, what) for cmd, what in COMMANDS),
    )
