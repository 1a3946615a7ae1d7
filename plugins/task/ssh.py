"""`task ssh`: a shell (or one command) in an instance's sandbox, with port tunnels.

The session runs `ssh -t` on the task's host and the command exits with ssh's
exit status, so a remote command's status is passed through. In structured
output formats the remote command's output is captured into the document and
an interactive session's output goes to stderr, keeping stdout one document.
"""

from __future__ import annotations

import subprocess
from typing import Any

from aurora import options as opt
from aurora.command import CommandOption, Context, Verb
from aurora.errors import InvalidParameter
from aurora.output import Result, child_output
from aurora.plugins.task.sandbox import (
    EXECUTOR_SANDBOX,
    SSH_OPTIONS,
    SSH_USER,
    agent_layout,
    live_tasks,
    login,
    remote_command,
    split_options,
)


def tunnel_options(tunnels: list[str], task: Any) -> list[str]:
    """`-L PORT:HOST:TASKPORT` for each `PORT:NAME`, NAME being one of the task's ports."""
    assigned = task.assignedTask
    argv = []
    for tunnel in tunnels:
        port, _, name = tunnel.partition(":")
        if not port.isdigit() or not name:
            raise InvalidParameter(f"Could not parse tunnel: {tunnel}.  Must be of form "
                                   "PORT:NAME")
        if name not in (assigned.assignedPorts or {}):
            known = ", ".join(sorted(assigned.assignedPorts or {})) or "none"
            raise InvalidParameter(f"Task {assigned.taskId} has no port named {name}",
                                   hint=f"its ports are: {known}")
        argv += ["-L", f"{port}:{assigned.slaveHost}:{assigned.assignedPorts[name]}"]
    return argv


def write_pid(path: str, child: subprocess.Popen) -> None:
    """Write ssh's pid; when that fails, stop ssh before reporting it."""
    try:
        with open(path, "w") as out:
            out.write(f"{child.pid}\n")
    except OSError as exc:
        child.terminate()
        child.wait()
        raise InvalidParameter(f"cannot write the pid file {path}: {exc.strerror}",
                               hint="give -p a path in a folder you can write to") from None


def session_stdout(context: Context) -> Any:
    """Where ssh writes: the terminal in text mode; else captured for `-c`, or stderr."""
    if context.output_format == "text":
        return None
    return subprocess.PIPE if context.options.command else child_output()


def exit_status(returncode: int) -> int:
    """ssh's exit status; 128+N when a signal N ended it, as a shell reports it."""
    return 128 - returncode if returncode < 0 else returncode


class SshToTask(Verb):
    name = "ssh"
    changes_state = True
    help = "Open a shell, or run one command, in an instance's sandbox over ssh."
    options = (
        SSH_USER, SSH_OPTIONS, EXECUTOR_SANDBOX,
        CommandOption("-L", "--tunnels", action="append", default=[], metavar="PORT:NAME",
                      help="forward local PORT to the task's port NAME (repeatable)"),
        CommandOption("-c", "--command", default=None, metavar="CMD",
                      help="run CMD instead of an interactive shell"),
        CommandOption("-p", "--pid-file", default=None, metavar="FILE",
                      help="write the ssh process's id to FILE"),
        opt.INSTANCE_SPEC,
    )

    def execute(self, context: Context) -> Result:
        o = context.options
        key, instances = o.instance_spec
        if o.command and not instances:
            raise InvalidParameter("INSTANCE must be specified when --command option is given",
                                   hint=f"e.g. {key}/0")
        layout = agent_layout(context, key.cluster)
        ssh_options = split_options(o.ssh_options, "--ssh-options")
        tasks = live_tasks(context, key, instances)
        if not tasks:
            raise InvalidParameter(f"Job {o.instance_spec} not found",
                                   hint=f"see the job's tasks with: aurora job status {key}")
        task = tasks[0]
        argv = ["ssh", "-t", *ssh_options, *tunnel_options(o.tunnels, task),
                login(o.ssh_user, key, task),
                remote_command(layout, task, o.command or "bash", o.executor_sandbox)]
        try:
            child = subprocess.Popen(argv, stdout=session_stdout(context))
        except OSError as exc:
            raise InvalidParameter(f"cannot run ssh: {exc.strerror}",
                                   hint="install the OpenSSH client") from None
        if o.pid_file:
            write_pid(o.pid_file, child)
        output, _ = child.communicate()
        status = exit_status(child.returncode)
        assigned = task.assignedTask
        return Result(data={"instance": assigned.instanceId, "host": assigned.slaveHost,
                            "task_id": assigned.taskId, "exit_status": status,
                            "output": output.decode(errors="replace") if output else ""},
                      text="", exit_code=status)
