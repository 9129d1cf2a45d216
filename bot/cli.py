"""The `scout` command. Every failure is one clear line and a non-zero exit, never a traceback."""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.app import SetupError, build_scout, config_path, open_database
from handlers.config import ConfigError, load_config
from handlers.records import RECORD_FIELDS, lead_records
from store.tables import Stage

log = logging.getLogger("scout")


def _cmd_demo(args: argparse.Namespace) -> int:
    from bot.demo import run_demo

    run_demo(load_config(config_path()), sys.stdout)
    return 0


def _cmd_console(args: argparse.Namespace) -> int:
    from bot.console import run_console

    scout = build_scout()
    if args.as_person and scout.config.person(args.as_person) is None:
        raise SetupError(f"no person {args.as_person!r} in {config_path()}")
    run_console(scout, args.as_person)
    return 0


def _tag_lines(texts: Sequence[str]) -> Sequence[str]:
    if texts:
        return [" ".join(texts)]
    return [line.rstrip("\n") for line in sys.stdin]


def _cmd_serve(args: argparse.Namespace) -> int:
    import asyncio

    from aiohttp import web

    from bot.delivery import platforms
    from bot.recovery import Recovery
    from bot.scheduler import DigestScheduler
    from bot.server import build_web_app, run_socket_mode
    from bot.settings import slack_settings, teams_settings
    from bot.slack_app import build_slack_app, inbox_sweep

    settings = slack_settings()
    teams_config = teams_settings()
    scout = build_scout()
    slack = build_slack_app(scout, settings)
    teams = None
    if teams_config is not None:
        from bot.teams_app import Teams

        teams = Teams(scout, teams_config)
        if teams_config.anonymous:
            log.warning("TEAMS IS UNAUTHENTICATED: MICROSOFT_APP_ID is not set, so /api/messages accepts "
                        "anyone (Bot Framework Emulator mode). Never run like this with real data; "
                        "SCOUT_ENV=production refuses it.")
    digests = DigestScheduler(scout, *platforms(os.environ, settings, teams.digests if teams else None))
    recovery = Recovery(scout, [inbox_sweep(scout, slack)])  # spooled flags, events left in the inbox
    background = [teams, digests, recovery] if teams else [digests, recovery]
    routes = [teams.add_route] if teams else []
    port = args.port or int(os.environ.get("PORT") or 3000)
    if settings.app_token:
        print("Scout is connecting to Slack in Socket Mode; health check on "
              f"http://{args.host}:{port}/healthz", file=sys.stderr)

        async def both() -> None:
            runner = web.AppRunner(build_web_app(scout, None, background, routes))
            await runner.setup()
            await web.TCPSite(runner, args.host, port).start()
            await run_socket_mode(slack, settings.app_token)

        asyncio.run(both())
        return 0
    print(f"Scout is listening on http://{args.host}:{port}/slack/events"
          + (" and /api/messages" if teams else ""), file=sys.stderr)
    web.run_app(build_web_app(scout, slack, background, routes), host=args.host, port=port, print=None)
    return 0


def _cmd_forget(args: argparse.Namespace) -> int:
    from handlers.privacy import forget

    scout = build_scout()
    if scout.config.person(args.person) is None:
        print(f"Note: {args.person!r} is not in {config_path()}; forgetting any remarks stored under that id.")
    removed, deleted = forget(scout, args.person)
    print(f"Forgot {removed} remark(s) by {args.person}; {deleted} lead(s) only they had flagged were deleted.")
    return 0


def _cmd_prune(args: argparse.Namespace) -> int:
    from handlers.privacy import prune

    scout = build_scout()
    deleted = prune(scout)  # event ids and old digest copies go whatever retention_days says
    if scout.config.retention_days is None:
        print("retention_days is not set in app.yaml: dropped leads are kept; old event ids and digest copies pruned.")
        return 0
    print(f"Deleted {deleted} lead(s) dropped more than {scout.config.retention_days} days ago.")
    return 0


def _cmd_teams_package(args: argparse.Namespace) -> int:
    from bot.teams_package import PackageError, write_package

    app_id = args.app_id or os.environ.get("MICROSOFT_APP_ID") or ""
    try:
        path = write_package(app_id, Path(args.out))
    except PackageError as exc:
        raise SetupError(f"{exc}; pass --app-id or set MICROSOFT_APP_ID") from None
    print(f"Wrote {path}: in Teams, Apps > Manage your apps > Upload an app, then add it to each account's team.")
    return 0


def _fixed_clock(text: str | None):  # noqa: ANN202 - a clock callable
    from datetime import UTC, datetime

    if not text:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise SetupError(f"--now {text!r} is not an ISO time like 2026-11-23T09:00 or 2026-11-23T09:00+01:00") from None
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    return lambda: when


def _cmd_digest(args: argparse.Namespace) -> int:
    from bot.delivery import platforms
    from bot.outbox import DRAIN_BATCH, drain
    from bot.render_text import render_text
    from handlers import digest_run

    clock = _fixed_clock(args.now)
    scout = build_scout(clock=clock) if clock else build_scout()
    if args.dry_run:
        preview = digest_run.preview_weekly if args.cadence == "weekly" else digest_run.preview_monthly
        replies = preview(scout)
        for reply in replies:
            print(render_text(reply) + "\n")
        if not replies:
            print(f"No {args.cadence} digest has anything to act on.")
        return 0
    renderers, senders = platforms(os.environ)
    if not senders:
        raise SetupError("no platform to send digests to: set SLACK_BOT_TOKEN (see README, Slack), or use --dry-run")
    run = digest_run.run_weekly if args.cadence == "weekly" else digest_run.run_monthly
    report = run(scout, renderers, grace=False)
    sent = failed = 0
    while True:  # one drain sends at most a batch; a firm with hundreds of accounts queues more
        batch = drain(scout.db, senders, scout.now, DRAIN_BATCH)
        sent, failed = sent + batch[0], failed + batch[1]
        if sum(batch) < DRAIN_BATCH:  # nothing due is left (a failed message waits for its retry)
            break
    for line in report.lines():
        print(line)
    print(f"Sent {sent} message(s)" + (f"; {failed} failed and will be retried by `scout serve`" if failed else "."))
    return 0


def _cmd_tag(args: argparse.Namespace) -> int:
    from nlp.tagger import build_tagger

    config = load_config(config_path())
    account = None
    if args.account:
        account = config.account(args.account)
        if account is None:
            raise SetupError(f"no account {args.account!r} in {config_path()}")
    tagger = build_tagger(config.catalog)
    for text in _tag_lines(args.text):
        tags = tagger.tag(text, account)
        if args.json:
            print(json.dumps(tags.to_json(), ensure_ascii=False))
            continue
        verdict = f"lead ({tags.score:.2f})" if tags.lead else f"not a lead ({tags.score:.2f})"
        parts = [verdict]
        if tags.services:
            parts.append("services: " + ", ".join(f"{s.id} [{s.kind}] \u201c{s.evidence}\u201d" for s in tags.services))
        if tags.triggers:
            parts.append("triggers: " + ", ".join(f"{t.id} \u201c{t.evidence}\u201d" for t in tags.triggers))
        if tags.negated:
            parts.append("negated: " + ", ".join(tags.negated))
        print("; ".join(parts))
    return 0


def _labeled_rows(path: str) -> list[dict]:
    from nlp.evaluate import read_rows

    try:
        return read_rows(Path(path))
    except OSError as exc:
        raise SetupError(f"{path}: cannot be read ({exc.strerror})") from None
    except ValueError as exc:
        raise SetupError(str(exc)) from None


def _cmd_eval(args: argparse.Namespace) -> int:
    from nlp.evaluate import evaluate, format_report
    from nlp.tagger import build_tagger

    config = load_config(config_path())
    rows = _labeled_rows(args.file)
    tagger = build_tagger(config.catalog)

    def tag(row: dict):  # noqa: ANN202
        return tagger.tag(row["text"], config.account(row.get("account") or args.account or ""))

    report = evaluate(rows, tag, worst=args.worst)
    print(json.dumps(report.to_json(), indent=2) if args.json else format_report(report))
    return 0


def _cmd_train(args: argparse.Namespace) -> int:
    from nlp.statistical import train_classifier

    count = train_classifier(_labeled_rows(args.file), Path(args.out), epochs=args.epochs)
    print(f"Trained on {count} remarks; saved to {args.out}. Set tagger.classifier in app.yaml to use it.")
    return 0


def _cmd_leads(args: argparse.Namespace) -> int:
    scout = build_scout()
    if args.account and scout.config.account(args.account) is None:
        raise SetupError(f"no account {args.account!r} in {config_path()}")
    records = lead_records(scout, args.account, args.stage)
    if args.json:
        print(json.dumps(records, ensure_ascii=False, indent=2))
        return 0
    if not records:
        print("No leads.")
    for r in records:
        services = ",".join(r["services"]) or "-"
        print(f"#{r['id']:<5} {r['account']:<12} {r['stage']:<12} {services:<30} {r['text'][:60]}")
    return 0


def _csv_safe(value: object) -> str:
    """Lists joined; cells a spreadsheet would run as a formula get a leading quote."""
    text = ";".join(value) if isinstance(value, list) else "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _cmd_export(args: argparse.Namespace) -> int:
    scout = build_scout()
    writer = csv.writer(sys.stdout)
    writer.writerow(RECORD_FIELDS)
    for record in lead_records(scout):
        writer.writerow([_csv_safe(record[f]) for f in RECORD_FIELDS])
    return 0


def _cmd_db(args: argparse.Namespace) -> int:
    from store.migrate import current_revision, head_revision

    db = open_database(auto_upgrade=True)
    print(f"Database schema is at revision {current_revision(db.engine)} (head {head_revision()}).")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="scout",
        description="Scout turns what delivery staff hear on client accounts into a cross-sell pipeline.",
        epilog="Config: SCOUT_CONFIG (default ./app.yaml). Database: DATABASE_URL (default sqlite:///scout.db).",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("demo", help="replay a scripted week offline and print the pipeline and digest").set_defaults(
        run=_cmd_demo
    )
    c = sub.add_parser("console", help="type Slack's commands in a terminal")
    c.add_argument("--as", dest="as_person", metavar="PERSON", help="person id from app.yaml (default: a manager)")
    c.set_defaults(run=_cmd_console)
    sv = sub.add_parser("serve", help="run the Slack app (HTTP on /slack/events, or Socket Mode with SLACK_APP_TOKEN)")
    sv.add_argument("--host", default="0.0.0.0")
    sv.add_argument("--port", type=int, help="default: $PORT or 3000")
    sv.set_defaults(run=_cmd_serve)
    dg = sub.add_parser("digest", help="run the weekly or monthly digest once (sends nothing twice per period)")
    dg.add_argument("cadence", choices=["weekly", "monthly"])
    dg.add_argument("--now", metavar="ISO-TIME", help="pretend it is this time; UTC unless an offset is given")
    dg.add_argument("--dry-run", action="store_true", help="print the digests as text and send nothing")
    dg.set_defaults(run=_cmd_digest)
    fg = sub.add_parser("forget", help="remove a person's flagged remarks (a privacy request)")
    fg.add_argument("--person", required=True, metavar="ID", help="person id from app.yaml")
    fg.set_defaults(run=_cmd_forget)
    sub.add_parser("prune", help="delete dropped leads older than retention_days (serve does it daily)").set_defaults(
        run=_cmd_prune
    )
    tp = sub.add_parser("teams-package", help="write the Teams app package (zip) to sideload")
    tp.add_argument("--app-id", metavar="GUID", help="the bot's Microsoft App ID (default: $MICROSOFT_APP_ID)")
    tp.add_argument("--out", default="scout-teams.zip", metavar="FILE")
    tp.set_defaults(run=_cmd_teams_package)
    t = sub.add_parser("tag", help="tag remarks (arguments, or one per line of standard input)")
    t.add_argument("--account", metavar="ID", help="tag with this account's wallet")
    t.add_argument("--json", action="store_true", help="one JSON object per input line")
    t.add_argument("text", nargs="*")
    t.set_defaults(run=_cmd_tag)
    ev = sub.add_parser("eval", help="score the tagger on a labeled JSONL file")
    ev.add_argument("file", help='one {"text", "services": [...], "triggers": [...]} object per line')
    ev.add_argument("--account", metavar="ID", help="tag with this account's wallet (a row's own \"account\" wins)")
    ev.add_argument("--worst", type=int, default=10, metavar="N", help="how many worst misses to list")
    ev.add_argument("--json", action="store_true", help="the scores as JSON")
    ev.set_defaults(run=_cmd_eval)
    tr = sub.add_parser("train", help="train the optional statistical second opinion for monitored channels")
    tr.add_argument("file", help="labeled JSONL, as for eval")
    tr.add_argument("--out", required=True, metavar="DIR", help="where to save the model")
    tr.add_argument("--epochs", type=int, default=12)
    tr.set_defaults(run=_cmd_train)
    ls = sub.add_parser("leads", help="list leads")
    ls.add_argument("--account", metavar="ID")
    ls.add_argument("--stage", choices=[s.value for s in Stage])
    ls.add_argument("--json", action="store_true", help="a JSON array of lead objects")
    ls.set_defaults(run=_cmd_leads)
    e = sub.add_parser("export", help="the pipeline as CSV for a CRM import")
    e.add_argument("--format", choices=["csv"], default="csv")
    e.set_defaults(run=_cmd_export)
    d = sub.add_parser("db", help="database maintenance")
    d.add_argument("action", choices=["upgrade"])
    d.set_defaults(run=_cmd_db)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    level = os.environ.get("SCOUT_LOG_LEVEL", "WARNING").upper()
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except (ConfigError, SetupError) as exc:
        print(f"scout: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        log.debug("unexpected failure", exc_info=True)
        print(f"scout: unexpected error ({type(exc).__name__}); set SCOUT_LOG_LEVEL=DEBUG for details", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
