"""`/flag` ack latency under load: signed slash commands over loopback HTTP to a real
`scout serve` (a child process; SQLite in a temporary directory, and PostgreSQL with
--postgres URL), open-loop at rising rates, and the same load against a bare Bolt app on the
same server stack (aiohttp + AsyncApp) whose /flag listener only acks: the floor.

    python bench/ack.py [--rates 50,100,200] [--duration 30] [--postgres URL] [--json]

Open loop: request i of a phase is due at start + i/rate and is sent then, whoever is still
waiting; its ack time is counted from when it was due, so a server (or a load generator) that
falls behind shows up in the figures instead of slowing the load down. Each phase sends exactly
rate x duration requests and gives up on a request after 10 s (an error). Slack's response_url
is the fake Slack API's, in its own process, which records when each reply arrived: "reply"
is the time from due to the real answer reaching the user. Peak RSS of `scout serve` (tagger
loaded) is read from /proc when it is idle and after all phases. Everything is on 127.0.0.1."""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.loopback import LOOPBACK, FakeSlackProcess, free_port, rss_mb, scout_env, stop, wait_http  # noqa: E402

SECRET = "bench-signing-secret"
REQUEST_TIMEOUT_S = 10.0
USERS = ["U05SAM0001", "U05AISHA01", "U05JORDAN1", "U05LUCAS01", "U05MEI0001", "U05TOM0001"]
ACCOUNTS = ["acme", "globex", "initech", "northwind", "cedar"]


def remarks() -> list[str]:
    """The development set's remarks: what consultants write, leads and not."""
    lines = (ROOT / "tests/data/dev.jsonl").read_text().splitlines()
    return [json.loads(line)["text"] for line in lines if line.strip()]


@dataclass
class Target:
    name: str
    url: str  # the Request URL, .../slack/events
    process: subprocess.Popen


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, round(q * (len(sorted_values) - 1)))]


def summary_ms(values: list[float]) -> dict[str, float]:
    values = sorted(values)
    return {"p50_ms": round(percentile(values, 0.5) * 1000, 1), "p99_ms": round(percentile(values, 0.99) * 1000, 1),
            "max_ms": round((values[-1] if values else 0.0) * 1000, 1)}


async def phase(target: Target, fake: FakeSlackProcess, rate: int, duration: float, texts: list[str],
                tag: str) -> dict:
    """Send rate x duration signed /flag requests on schedule; wait (bounded) for the replies."""
    from aiohttp import ClientSession, ClientTimeout, TCPConnector
    from slack_sdk.signature import SignatureVerifier

    signer = SignatureVerifier(SECRET)
    count = max(1, int(rate * duration))
    acks: list[float] = []
    errors: dict[str, int] = {}
    due_at: dict[str, float] = {}
    lag = 0.0

    async def one(session: ClientSession, i: int, due: float) -> None:
        hook = f"{tag}-{i}"
        form = {"token": "x", "team_id": "T1", "channel_id": "CGENERAL", "user_id": USERS[i % len(USERS)],
                "command": "/flag", "text": f"{ACCOUNTS[i % len(ACCOUNTS)]} {texts[i % len(texts)]}",
                "response_url": fake.url + f"response/{hook}", "trigger_id": f"trig.{i}"}
        body = urlencode(form)
        ts = str(int(time.time()))
        headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": ts,
                   "X-Slack-Signature": signer.generate_signature(timestamp=ts, body=body)}
        try:
            async with session.post(target.url, data=body.encode(), headers=headers) as response:
                await response.read()
                status = response.status
        except (TimeoutError, OSError) as exc:
            errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
            return
        if status != 200:
            errors[f"HTTP {status}"] = errors.get(f"HTTP {status}", 0) + 1
            return
        acks.append(time.monotonic() - due)
        due_at[hook] = due

    connector = TCPConnector(limit=1000)
    async with ClientSession(connector=connector, timeout=ClientTimeout(total=REQUEST_TIMEOUT_S)) as session:
        start = time.monotonic() + 0.05
        tasks = []
        for i in range(count):
            due = start + i / rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                lag = max(lag, -delay)
            tasks.append(asyncio.create_task(one(session, i, due)))
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=REQUEST_TIMEOUT_S + 5)
    result = {"target": target.name, "rate": rate, "sent": count, "acked": len(acks),
              "errors": sum(errors.values()), "error_kinds": errors, "ack": summary_ms(acks),
              "generator_lag_ms": round(lag * 1000, 1)}
    if target.name != "floor":
        result.update(await replies(fake, tag, due_at))
    return result


async def replies(fake: FakeSlackProcess, tag: str, due_at: dict[str, float], timeout: float = 120.0) -> dict:
    """Wait until every acked /flag has had its reply posted to response_url (bounded)."""
    deadline = time.monotonic() + timeout
    arrived: dict[str, float] = {}
    while time.monotonic() < deadline:
        arrived = await asyncio.to_thread(fake.arrivals, tag + "-")
        if len(arrived) >= len(due_at):
            break
        await asyncio.sleep(0.5)
    waits = [arrived[hook] - due for hook, due in due_at.items() if hook in arrived]
    # how fast the server filed and answered: replies over the time from the first request
    # being due to the last reply arriving (below the rate when the replies fell behind)
    span = max((arrived[h] for h in due_at if h in arrived), default=0.0) - min(due_at.values(), default=0.0)
    return {"replied": len(waits), "reply": summary_ms(waits),
            "replies_per_s": round(len(waits) / span, 1) if span > 0 else 0.0}


def start_scout(database_url: str, fake: FakeSlackProcess, log: Path) -> Target:
    """`scout serve` with its log in `log`: the benchmark counts its ERROR lines."""
    port = free_port()
    with log.open("ab") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve", "--host", LOOPBACK, "--port", str(port)],
            cwd=ROOT, env=scout_env(database_url, fake), stdout=subprocess.DEVNULL, stderr=sink,
        )
    wait_http(f"http://{LOOPBACK}:{port}/healthz", process)
    return Target("scout", f"http://{LOOPBACK}:{port}/slack/events", process)


def start_floor(fake: FakeSlackProcess) -> Target:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "floor", "--port", str(port), "--api-url", fake.url + "api/"],
        cwd=ROOT, stdout=subprocess.DEVNULL,
    )
    wait_http(f"http://{LOOPBACK}:{port}/healthz", process)
    return Target("floor", f"http://{LOOPBACK}:{port}/slack/events", process)


def serve_floor(port: int, api_url: str) -> None:
    """The floor: Bolt's AsyncApp on aiohttp, request URL adapted as bot/server.py does it,
    the same signature check and client, and a /flag listener that only acks."""
    from aiohttp import web
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    bolt = AsyncApp(signing_secret=SECRET, client=AsyncWebClient(token="xoxb-bench", base_url=api_url), name="floor")

    @bolt.command("/flag")
    async def flag(ack) -> None:  # noqa: ANN001
        await ack()

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_post("/slack/events", events)
    app.router.add_get("/healthz", healthz)
    web.run_app(app, host=LOOPBACK, port=port, print=None, access_log=None)


def fresh_database(backend: str, postgres: str | None, tmp: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp}/ack.db"
    from bench.pipeline import fresh_postgres
    from store.migrate import upgrade

    db = fresh_postgres(postgres or "")
    upgrade(db.engine)
    db.dispose()
    return postgres or ""


async def run(args: argparse.Namespace) -> list[dict]:
    rates = [int(r) for r in args.rates.split(",")]
    texts = remarks()
    backends = ["sqlite"] + (["postgresql"] if args.postgres else [])
    fake = FakeSlackProcess()
    floor = start_floor(fake)
    results: list[dict] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for backend in backends:
                log = Path(tmp) / f"serve-{backend}.log"
                scout = start_scout(fresh_database(backend, args.postgres, tmp), fake, log)
                try:
                    await phase(scout, fake, 20, 1, texts, f"{backend}-warm")  # Bolt's auth.test, first imports
                    memory = {"idle": rss_mb(scout.process.pid)}
                    for rate in rates:
                        for target in (floor, scout):
                            tag = f"{backend}-{target.name}-{rate}"
                            result = await phase(target, fake, rate, args.duration, texts, tag)
                            result["backend"] = backend
                            results.append(result)
                            print(_line(result), file=sys.stderr)
                            await asyncio.sleep(2)  # let the other server's background work settle
                    memory["after_load"] = rss_mb(scout.process.pid)
                    logged = log.read_text(errors="replace").splitlines()
                    errors = sum(line.startswith(("ERROR", "CRITICAL")) for line in logged)
                    results.append({"target": "scout", "backend": backend, "memory": memory,
                                    "server_errors_logged": errors})
                    print(f"{backend} scout serve memory: {memory}; {errors} ERROR line(s) in its log",
                          file=sys.stderr)
                finally:
                    stop(scout.process)
    finally:
        stop(floor.process)
        fake.stop()
    return results


def _line(r: dict) -> str:
    reply = (f"  replied {r['replied']}/{r['acked']} reply p50 {r['reply']['p50_ms']} p99 {r['reply']['p99_ms']}"
             f" ({r['replies_per_s']}/s)") if "reply" in r else ""
    return (f"{r['backend']:<10} {r['target']:<5} {r['rate']:>4}/s sent {r['sent']:>5} errors {r['errors']:>3} "
            f"ack p50 {r['ack']['p50_ms']:>7} p99 {r['ack']['p99_ms']:>7} max {r['ack']['max_ms']:>7} ms"
            f"  lag {r['generator_lag_ms']} ms{reply}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    floor = sub.add_parser("floor", help="(internal) run the ack-only Bolt app")
    floor.add_argument("--port", type=int, required=True)
    floor.add_argument("--api-url", required=True)
    parser.add_argument("--rates", default="50,100,200", help="requests per second, comma-separated")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per rate")
    parser.add_argument("--postgres", metavar="URL", help="also measure on this (scratch) PostgreSQL database")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.command == "floor":
        serve_floor(args.port, args.api_url)
        return
    results = asyncio.run(run(args))
    if args.json:
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
