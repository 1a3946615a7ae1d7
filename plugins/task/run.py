"""`task run`: one shell command in the sandbox of every instance, over ssh.

Each instance's output is captured whole and shown as `HOST:  line` when its
session ends, so parallel sessions (`-t N`) never interleave within a line or
within an instance's output. Beyond upstream, every instance's exit status is
reported and the command fails when any instance failed or was unreachable.
"""

from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any

from aurora import options as opt
from aurora.command import CommandOption, Context, Verb
from aurora.errors import ExitCode, InvalidParameter
from aurora.jobkey import format_instances
from aurora.output import Result
from aurora.plugins.task.sandbox import (
    EXECUTOR_SANDBOX,
    SSH_EXIT_UNREACHABLE,
    SSH_OPTIONS,
    SSH_USER,
    agent_layout,
    live_tasks,
    login,
    remote_command,
    split_options,
)

MOST_NAMED = 10     # failed instances named in the error line before "and N more"


def thread_count(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise InvalidParameter(f"invalid --threads '{text}'",
                               hint="give the number of parallel ssh sessions, at least 1")
    return int(text)


@dataclass
class Session:
    """One instance's ssh session and, once it ended, what it printed and its status."""

    instance: int
    host: str
    task_id: str
    argv: list[str]
    exit_status: int | None = None
    output: str = ""

    @property
    def unreachable(self) -> bool:
        return self.exit_status == SSH_EXIT_UNREACHABLE

    def run(self) -> Session:
        try:
            done = subprocess.run(self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT)
        except OSError as exc:
            self.exit_status, self.output = SSH_EXIT_UNREACHABLE, f"cannot run ssh: {exc}\n"
            return self
        self.exit_status = done.returncode
        self.output = done.stdout.decode(errors="replace")
        return self

    def lines(self) -> str:
        return "".join(f"{self.host}:  {line}\n" for line in self.output.splitlines())

    def record(self) -> dict[str, Any]:
        return {"instance": self.instance, "host": self.host, "task_id": self.task_id,
                "exit_status": self.exit_status, "unreachable": self.unreachable,
                "output": self.output}


def run_all(sessions: list[Session], threads: int) -> list[Session]:
    """Run the sessions, at most `threads` at a time; the result is in completion order."""
    if threads == 1:
        return [s.run() for s in sessions]
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return [f.result() for f in as_completed(pool.submit(s.run) for s in sessions)]


def status_summary(sessions: list[Session]) -> str:
    """`exit status by instance: 0 on 0-1; 1 on 2; unreachable on 5`."""
    groups: dict[str, list[int]] = {}
    for s in sorted(sessions, key=lambda s: (s.unreachable, s.exit_status or 0)):
        label = "unreachable" if s.unreachable else str(s.exit_status)
        groups.setdefault(label, []).append(s.instance)
    parts = [f"{label} on {format_instances(ids)}" for label, ids in groups.items()]
    return "task run: exit status by instance: " + "; ".join(parts)


def failure_line(failed: list[Session], total: int) -> str:
    def one(s: Session) -> str:
        if s.unreachable:
            return f"instance {s.instance} on {s.host} was unreachable (ssh exited 255)"
        return f"instance {s.instance} on {s.host} exited {s.exit_status}"
    named = "; ".join(one(s) for s in failed[:MOST_NAMED])
    more = f"; and {len(failed) - MOST_NAMED} more" if len(failed) > MOST_NAMED else ""
    return (f"aurora: error: the command failed on {len(failed)} of {total} instance(s): "
            f"{named}{more}")


class RunCommand(Verb):
    name = "run"
    changes_state = True
    help = "Run a shell command in the sandbox of each instance of a job, over ssh."
    options = (
        CommandOption("-t", "--threads", type=thread_count, default=1, metavar="N",
                      help="ssh sessions run in parallel (default 1)"),
        SSH_USER, SSH_OPTIONS, EXECUTOR_SANDBOX, opt.INSTANCE_SPEC,
        CommandOption("cmd", metavar="CMD",
                      help="the command; {{thermos.task_id}}, {{thermos.ports[NAME]}} and "
                           "{{mesos.instance}} are filled in per instance"),
    )

    def execute(self, context: Context) -> Result:
        o = context.options
        key, instances = o.instance_spec
        layout = agent_layout(context, key.cluster)
        ssh_options = split_options(o.ssh_options, "--ssh-options")
        tasks = live_tasks(context, key, instances)
        if not tasks:
            raise InvalidParameter(f"No live instances of {o.instance_spec}",
                                   hint=f"see the job's tasks with: aurora job status {key}")
        sessions = [Session(t.assignedTask.instanceId, t.assignedTask.slaveHost,
                            t.assignedTask.taskId,
                            ["ssh", "-n", "-q", *ssh_options, login(o.ssh_user, key, t),
                             remote_command(layout, t, o.cmd, o.executor_sandbox)])
                    for t in tasks]
        finished = run_all(sessions, o.threads)
        context.print_stderr(status_summary(finished))
        failed = sorted((s for s in finished if s.exit_status != 0), key=lambda s: s.instance)
        if failed:
            context.print_stderr(failure_line(failed, len(finished)))
        return Result(data=[s.record() for s in sorted(finished, key=lambda s: s.instance)],
                      text="".join(s.lines() for s in finished),
                      columns=("instance", "host", "exit_status", "unreachable", "task_id"),
                      exit_code=ExitCode.COMMAND_FAILURE if failed else ExitCode.OK)
