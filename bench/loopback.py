"""What the load benchmarks share: the tests' fake Slack Web API run as its own process on
loopback (so it never competes with the load generator's event loop), free ports, waiting for
a server to answer, and a process's memory from /proc.

    python bench/loopback.py fake-slack --port PORT

The fake also records when each response_url post arrives (CLOCK_MONOTONIC, which every process
on the machine shares), so a benchmark can tell how long the user waited for the real reply."""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def wait_http(url: str, process: subprocess.Popen, timeout: float = 60.0) -> None:
    """Poll `url` until it answers 200; fail early if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback only
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


def rss_mb(pid: int) -> dict[str, float]:
    """Resident memory now (VmRSS) and at its peak so far (VmHWM), in MB."""
    fields: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = round(int(value.split()[0]) / 1024, 1)
    return {"rss_mb": fields.get("VmRSS", 0.0), "peak_rss_mb": fields.get("VmHWM", 0.0)}


def get_json(url: str) -> dict:
    import json

    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback only
        return json.loads(response.read())


class FakeSlackProcess:
    """The fake Slack API in a child process; `url` ends with a slash, like the tests' fake."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://{LOOPBACK}:{self.port}/"
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "fake-slack", "--port", str(self.port)],
            cwd=ROOT, stdout=subprocess.DEVNULL,
        )
        wait_http(self.url + "stats", self.process, timeout=30)

    def stats(self) -> dict:
        """Calls per method, and how many response_url posts arrived."""
        return get_json(self.url + "stats")

    def arrivals(self, prefix: str) -> dict[str, float]:
        """Arrival time (monotonic) of each response_url post whose hook starts with `prefix`."""
        return get_json(self.url + f"arrivals?prefix={prefix}")

    def stop(self) -> None:
        stop(self.process)


def stop(process: subprocess.Popen, timeout: float = 10.0) -> None:
    """SIGTERM the child we started, then SIGKILL it if it does not go."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout)


def scout_env(database_url: str, fake: FakeSlackProcess, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a `scout` child process talking only to loopback."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MICROSOFT_", "DATABASE_URL"))}
    env.update({
        "SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": "bench-signing-secret",
        "SLACK_API_URL": fake.url + "api/", "SCOUT_TEAMS": "off", "DATABASE_URL": database_url,
        "SCOUT_LOG_LEVEL": "WARNING", **(extra or {}),
    })
    env.setdefault("SCOUT_CONFIG", str(ROOT / "app.yaml"))
    return env


def _serve_fake_slack(port: int) -> None:
    from aiohttp import web

    from tests.fakes.slack_api import FakeSlack

    class TimedFakeSlack(FakeSlack):
        """The tests' fake, remembering when each response_url post arrived, not its body."""

        def __init__(self) -> None:
            super().__init__()
            self.arrived: dict[str, float] = {}

        async def _response_url(self, request: web.Request) -> web.Response:
            self.arrived[request.match_info["hook"]] = time.monotonic()
            await request.read()
            return web.Response(text="ok")

    fake = TimedFakeSlack()
    fake.url = f"http://{LOOPBACK}:{port}/"
    app = fake.app()

    async def stats(_: web.Request) -> web.Response:
        methods = Counter(call.method for call in fake.calls)
        fake.calls.clear()  # keep memory flat over a long run; counts carry on below
        for method, count in methods.items():
            totals[method] += count
        return web.json_response({"api": dict(totals), "responses": len(fake.arrived)})

    async def arrivals(request: web.Request) -> web.Response:
        prefix = request.query.get("prefix", "")
        return web.json_response({k: v for k, v in fake.arrived.items() if k.startswith(prefix)})

    totals: Counter[str] = Counter()
    app.router.add_get("/stats", stats)
    app.router.add_get("/arrivals", arrivals)
    web.run_app(app, host=LOOPBACK, port=port, print=None, access_log=None)


def main() -> None:
    parser = argparse.ArgumentParser(description="loopback helpers for bench/")
    sub = parser.add_subparsers(dest="command", required=True)
    fake = sub.add_parser("fake-slack", help="run the fake Slack Web API on loopback")
    fake.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    if args.command == "fake-slack":
        _serve_fake_slack(args.port)


if __name__ == "__main__":
    main()
