"""`task logs`: a process's stdout or stderr from an instance's sandbox, over ssh.

Thermos keeps each run of a process in `.logs/PROCESS/RUN/stdout|stderr` under the
task's sandbox, so the logs are read where `task ssh` would land, on a Mesos agent
and on the devcluster alike. Two ssh sessions: one lists the processes' newest runs
(the process defaults to the last to start), one prints the file, and with `-f`
keeps printing what is appended, moving on to a new run when the process starts
again. The remote side is POSIX sh, coreutils and GNU find: what agents have.
"""

from __future__ import annotations

import codecs
import json
import shlex
import signal
import subprocess
from dataclasses import dataclass
from typing import Any

from aurora.command import CommandOption, Context, Verb
from aurora.errors import CommandFailure, InvalidParameter
from aurora.jobkey import JobKey, parse_instance_key
from aurora.output import Result, emit_err, emit_now
from aurora.plugins.task.sandbox import (
    SSH_EXIT_UNREACHABLE,
    SSH_OPTIONS,
    SSH_USER,
    agent_layout,
    live_tasks,
    login,
    sandbox_path,
    split_options,
)

NO_SANDBOX = 3          # the remote `cd` into the sandbox failed
CHUNK = 1 << 16

# Each run folder with its modification time, which is when the run started (its
# stdout and stderr are created then, and nothing else is created in it later).
LIST_RUNS = r"find .logs -mindepth 2 -maxdepth 2 -type d -printf '%T@\t%P\0' 2>/dev/null; exit 0"

# $1 process, $2 stdout|stderr, $3 lines ('' for all), $4 1 to follow. Bytes are
# counted, not lines, so nothing is printed twice or lost between two looks; the
# loop ends when the ssh session that started it is gone (its parent, sshd).
FOLLOW = r"""
d=".logs/$1"
latest() { ls "$d" 2>/dev/null | grep -E '^[0-9]+$' | sort -n | tail -n 1; }
size_of() { if [ -f "$1" ]; then wc -c < "$1"; else echo 0; fi; }
run=$(latest); f="$d/$run/$2"; size=$(size_of "$f")
if [ "$size" -gt 0 ]; then
  if [ -z "$3" ]; then head -c "$size" "$f"; else head -c "$size" "$f" | tail -n "$3"; fi
fi
[ "$4" = 1 ] || exit 0
off=$size
while kill -0 "$PPID" 2>/dev/null || [ -d "/proc/$PPID" ]; do
  new=$(latest); size=$(size_of "$f")
  if [ "$size" -gt "$off" ]; then
    tail -c "+$((off + 1))" "$f" | head -c "$((size - off))"; off=$size
  fi
  if [ "$new" != "$run" ]; then
    [ -f "$f" ] && tail -c "+$((off + 1))" "$f"
    run=$new; f="$d/$run/$2"; off=0
    echo "aurora: process $1 started again (run $run)" >&2
    continue
  fi
  sleep 1
done
"""


def line_count(text: str) -> int:
    if not text.isdigit() or not text.isascii():
        raise InvalidParameter(f"invalid --lines '{text}'",
                               hint="give the number of last lines to show, e.g. -n 100")
    return int(text)


@dataclass
class Target:
    """The one task whose logs are read, and how to reach its sandbox."""

    task: Any
    ssh: list[str]          # ssh ... user@host, without the remote command
    sandbox: str

    @property
    def instance(self) -> int:
        return int(self.task.assignedTask.instanceId)

    @property
    def host(self) -> str:
        return str(self.task.assignedTask.slaveHost)

    def command(self, script: str) -> list[str]:
        return [*self.ssh, f"cd {self.sandbox} || exit {NO_SANDBOX}; {script}"]

    def failure(self, returncode: int) -> CommandFailure:
        if returncode == SSH_EXIT_UNREACHABLE:
            return CommandFailure(f"could not reach {self.host} over ssh for instance "
                                  f"{self.instance} (ssh exited 255)",
                                  hint="check --ssh-options and -l, or try: aurora task ssh")
        if returncode == NO_SANDBOX:
            return CommandFailure(f"the sandbox of instance {self.instance} was not found "
                                  f"on {self.host}",
                                  hint="check slave_root and slave_run_directory in "
                                       "clusters.json")
        return CommandFailure(f"reading the logs of instance {self.instance} on {self.host} "
                              f"failed (exit status {returncode})")


def one_task(context: Context, key: JobKey, instances: Any, spec: Any) -> Any:
    """The instance asked for, or the job's only live one."""
    if instances and len(instances) > 1:
        raise InvalidParameter(f"task logs reads one instance, not {spec}",
                               hint=f"name one, e.g. {key}/{min(instances)}")
    tasks = live_tasks(context, key, instances)
    if not tasks:
        raise InvalidParameter(f"Job {spec} not found",
                               hint=f"see the job's tasks with: aurora job status {key}")
    if len(tasks) > 1:
        raise InvalidParameter(f"{key} has {len(tasks)} live instances; task logs reads one",
                               hint=f"name it, e.g. {key}/{tasks[0].assignedTask.instanceId}")
    return tasks[0]


def newest_runs(listing: bytes) -> dict[str, tuple[float, int]]:
    """`find`'s `TIME\\tPROCESS/RUN\\0` records → process: (start of newest run, run)."""
    runs: dict[str, tuple[float, int]] = {}
    for record in listing.decode(errors="replace").split("\0"):
        stamp, _, path = record.partition("\t")
        process, _, run = path.rpartition("/")
        try:
            started, number = float(stamp), int(run)
        except ValueError:
            continue
        if process and number >= runs.get(process, (0.0, -1))[1]:
            runs[process] = (started, number)
    return runs


def choose_process(runs: dict[str, tuple[float, int]], asked: str | None,
                   target: Target) -> str:
    """The process asked for, else the last to start (naming the others on stderr)."""
    if not runs:
        raise CommandFailure(f"instance {target.instance} has no process logs yet",
                             hint="its processes have not started; see: aurora job status")
    by_start = sorted(runs, key=lambda p: runs[p][0], reverse=True)
    if asked is not None:
        if asked not in runs:
            raise InvalidParameter(f"instance {target.instance} has no process named {asked}",
                                   hint=f"its processes: {', '.join(sorted(runs))}")
        return asked
    if len(by_start) > 1:
        emit_err(f"aurora: showing process {by_start[0]}, the last to start; also: "
                 f"{', '.join(by_start[1:])} (choose one with --process)")
    return by_start[0]


class Printer:
    """What the remote `cat`/`tail` sends, written as it arrives: as is in text, else
    one JSON object per line."""

    def __init__(self, context: Context, instance: int, process: str, stream: str):
        self.json = context.output_format != "text"
        self.record = {"instance": instance, "process": process, "stream": stream}
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.partial = ""

    def feed(self, data: bytes, final: bool = False) -> None:
        text = self.decoder.decode(data, final)
        if not self.json:
            emit_now(text)
            return
        lines = (self.partial + text).split("\n")
        self.partial = "" if final else lines.pop()
        emit_now("".join(json.dumps({**self.record, "line": line}) + "\n"
                         for line in lines if line or not final))


def stream(target: Target, script: str, printer: Printer) -> int:
    """Run the remote script, printing its stdout as it comes; ssh's exit status."""
    try:
        child = subprocess.Popen(target.command(script), stdin=subprocess.DEVNULL,
                                 stdout=subprocess.PIPE)
    except OSError as exc:
        raise CommandFailure(f"cannot run ssh: {exc.strerror}",
                             hint="install the OpenSSH client") from None
    try:
        assert child.stdout is not None
        while data := child.stdout.read1(CHUNK):
            printer.feed(data)
        printer.feed(b"", final=True)
        if child.wait() == -signal.SIGINT:     # Ctrl-C reached ssh before us
            raise KeyboardInterrupt
        return child.returncode
    finally:
        if child.poll() is None:        # Ctrl-C: end the session, which ends the loop
            child.terminate()
            child.wait()


class TaskLogs(Verb):
    name = "logs"
    help = "Show, or follow, the stdout or stderr of a process in an instance's sandbox."
    options = (
        CommandOption("--process", default=None, metavar="NAME",
                      help="the process (default: the only one, or the last to start)"),
        CommandOption("--stderr", action="store_true", default=False,
                      help="show stderr instead of stdout"),
        CommandOption("-f", "--follow", action="store_true", default=False,
                      help="keep printing new output, also after the process starts again, "
                           "until Ctrl-C"),
        CommandOption("-n", "--lines", type=line_count, default=None, metavar="LINES",
                      help="only the last LINES lines (default: all)"),
        SSH_USER, SSH_OPTIONS,
        CommandOption("instance_spec", metavar="CLUSTER/ROLE/ENV/NAME[/INSTANCE]",
                      type=parse_instance_key,
                      help="the instance (may be left out when the job has only one)"),
    )

    def execute(self, context: Context) -> Result:
        o = context.options
        key, instances = o.instance_spec
        layout = agent_layout(context, key.cluster)
        ssh_options = split_options(o.ssh_options, "--ssh-options")
        task = one_task(context, key, instances, o.instance_spec)
        target = Target(task, ["ssh", "-q", *ssh_options, login(o.ssh_user, key, task)],
                        sandbox_path(layout, task.assignedTask.taskId, False))
        listing = subprocess.run(target.command(LIST_RUNS), stdin=subprocess.DEVNULL,
                                 stdout=subprocess.PIPE, check=False)
        if listing.returncode != 0 and not listing.stdout:
            raise target.failure(listing.returncode)
        process = choose_process(newest_runs(listing.stdout), o.process, target)
        name = "stderr" if o.stderr else "stdout"
        args = [process, name, "" if o.lines is None else str(o.lines), "1" if o.follow else "0"]
        script = f"exec sh -c {shlex.quote(FOLLOW)} logs {shlex.join(args)}"
        status = stream(target, script, Printer(context, target.instance, process, name))
        if status != 0:
            raise target.failure(status)
        return Result(streamed=True)
