"""Faults on the wire: how often the scheduler acted, and what the command said.

Runs the real `aurora` through a fault-injecting proxy (tests/support/faultproxy.py)
in front of a simulated devcluster that logs every call it answers. Each fault is
injected after the scheduler executed the call. Prints a table (fault, command,
times the scheduler executed the write, exit code, verdict) and rewrites the
"Faults on the wire" section of docs/reliability.md between its markers.

    .venv/bin/python benchmarks/faults.py [--no-docs] [--client-path DIR]

`--client-path DIR` runs another checkout's client instead (`python -m aurora`
with DIR first on PYTHONPATH and its `plugins/` copied to `DIR/aurora/plugins`),
e.g. an export of an older commit, to compare; the docs are then left alone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.devcluster import Devcluster  # noqa: E402
from tests.support.faultproxy import FaultProxy, executed  # noqa: E402

BIN = Path(sys.executable).parent
SERVICE = str(ROOT / "tests" / "fixtures" / "jobs" / "service.aurora")
CRON = str(ROOT / "tests" / "fixtures" / "jobs" / "cron.aurora")
PREFIX = "devcluster/www-data/test"
DOC = ROOT / "docs" / "reliability.md"
BEGIN, END = "<!-- faults:begin -->", "<!-- faults:end -->"
FAULTS = {
    "drop": "connection closed after the scheduler acted, no answer",
    "502": "HTTP 502 after the scheduler acted (every time)",
    "other-method": "a valid reply to another method (getQuota)",
    "wrong-seqid": "a reply with another sequence id",
    "drip": "the answer dripped one byte every 0.5 s, `--timeout 3`",
}
COMMANDS = ("job create", "job add", "job kill", "quota set", "cron schedule",
            "cron deschedule")


class User:
    """A throwaway HOME whose `devcluster` is either the real one or the proxy."""

    def __init__(self, folder: Path, cluster: Devcluster, client_path: str | None = None):
        self.folder, self.cluster, self.client_path = folder, cluster, client_path
        (folder / "home" / ".aurora").mkdir(parents=True)
        (folder / "home" / ".aurora" / "client.toml").write_text(
            "[devcluster]\nautostart = false\n")

    def run(self, url: str, *args: str) -> subprocess.CompletedProcess:
        (self.folder / "clusters.json").write_text(
            json.dumps([{"name": "devcluster", "scheduler_uri": url}]))
        env = {k: v for k, v in os.environ.items() if not k.startswith("AURORA_")}
        env.update(HOME=str(self.folder / "home"), AURORA_CONFIG_ROOT=str(self.folder),
                   XDG_CACHE_HOME=str(self.folder / "cache"))
        command = [str(BIN / "aurora")]
        if self.client_path:
            env["PYTHONPATH"] = self.client_path
            command = [sys.executable, "-m", "aurora"]
        return subprocess.run([*command, *args], capture_output=True, text=True, env=env,
                              timeout=300, cwd=self.folder)     # not this checkout

    def prepare(self, verb: str, name: str) -> tuple[list[str], str]:
        """argv of `verb` on job `name` (created first when the verb needs it) and its write."""
        key = f"{PREFIX}/{name}"
        create = ["job", "create", key, SERVICE, "--bind", f"job={name}"]
        if verb == "job create":
            return [*create, "--bind", "count=1"], "createJob"
        if verb in ("job add", "job kill"):
            done = self.run(self.cluster.url, *create, "--bind", "count=2")
            assert done.returncode == 0, done.stderr
            if verb == "job add":
                return ["job", "add", f"{key}/0", "1"], "addInstances"
            return ["job", "kill", f"{key}/1"], "killTasks"
        if verb == "quota set":
            return ["quota", "set", "devcluster/www-data", "--cpus", "4", "--ram", "2GB",
                    "--disk", "2GB"], "setQuota"
        if verb == "cron deschedule":
            done = self.run(self.cluster.url, "cron", "schedule", f"{PREFIX}/nightly", CRON)
            assert done.returncode == 0, done.stderr
            return ["cron", "deschedule", f"{PREFIX}/nightly"], "descheduleCronJob"
        return ["cron", "schedule", f"{PREFIX}/nightly", CRON], "scheduleCronJob"


def measure(user: User, fault: str, verb: str, serial: int) -> dict:
    name = f"f{serial}-{verb.split()[-1]}"
    argv, method = user.prepare(verb, name)
    log = user.cluster.state_dir / "devcluster.log"
    timeout = ["--timeout", "3"] if fault == "drip" else []
    with FaultProxy(user.cluster.url, {method: fault}) as proxy:
        before = executed(log)
        started = time.monotonic()
        done = user.run(proxy.url, *timeout, *argv)
        took = time.monotonic() - started
        ran = (executed(log) - before)[method]
    return {"fault": fault, "command": verb, "method": method, "executed": ran,
            "exit": done.returncode, "seconds": took, "ok": ran <= 1 and done.returncode != 20
            and "Traceback" not in done.stderr}


def table(rows: list[dict]) -> str:
    lines = ["| fault | command | write | executed by the scheduler | exit code | seconds |",
             "|---|---|---|---|---|---|"]
    lines += [f"| {r['fault']} | `aurora {r['command']}` | {r['method']} | {r['executed']} | "
              f"{r['exit']} | {r['seconds']:.1f} |" for r in rows]
    return "\n".join(lines)


def section(rows: list[dict]) -> str:
    faults = "\n".join(f"* `{name}`: {text}" for name, text in FAULTS.items())
    worst = max(r["executed"] for r in rows)
    return f"""{BEGIN}
## Faults on the wire

Regenerate with `.venv/bin/python benchmarks/faults.py`. The real `aurora` talks to
a devcluster through a proxy that injects one fault into the command's write,
after the scheduler executed it; the executions are counted from the
devcluster's own log of answered calls.

{faults}

{table(rows)}

Most executions of one write in any run: {worst} (target: at most 1). Exit 7 is
"outcome unknown" (the message names the command that shows the truth), 9 the
same after the deadline; `quota set` and `cron deschedule` exit 0 because a
read proves the state asked for (the quota set, no cron template left).

The client before this change (commit 582c1fc, run with `--client-path`, all
but `cron deschedule`):
after `drop` every write executed twice; after `502` six times, over 16 s,
exit 7; `other-method` and `wrong-seqid` replies were taken as success (exit
0); `drip` held every command about 80 s and then exited 0.
{END}"""


def write_doc(text: str) -> None:
    current = DOC.read_text() if DOC.exists() else "# Reliability\n"
    if BEGIN in current and END in current:
        head, rest = current.split(BEGIN, 1)
        current = head + text + rest.split(END, 1)[1]
    else:
        current = current.rstrip("\n") + "\n\n" + text + "\n"
    DOC.write_text(current)


def main() -> int:
    client_path = sys.argv[sys.argv.index("--client-path") + 1] \
        if "--client-path" in sys.argv else None
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        cluster = Devcluster(Path(folder) / "state", executor="simulate",
                             args=("--verbose",)).start()
        try:
            user = User(Path(folder) / "user", cluster, client_path)
            for fault in FAULTS:
                for verb in COMMANDS:
                    rows.append(measure(user, fault, verb, len(rows)))
        finally:
            cluster.stop()
    print(table(rows))
    worst = max(r["executed"] for r in rows)
    verdict = "PASS" if all(r["ok"] for r in rows) else "FAIL"
    print(f"\nmost executions of one write: {worst}; target: at most 1; verdict: {verdict}")
    if "--no-docs" not in sys.argv and not client_path:
        write_doc(section(rows))
        print(f"updated {DOC.relative_to(ROOT)}")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
