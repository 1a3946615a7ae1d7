"""`task scp`: copy files to and from task sandboxes with the real `scp`.

A path is remote when written `CLUSTER/ROLE/ENV/NAME/INSTANCE:PATH`; a relative
PATH is taken inside the instance's sandbox, an absolute one as it is, and `~`
is refused (it would name the login user's home, not the sandbox). A path
starting with `/`, `./` or `../` is always local, so a local name containing
`:` can be written `./name:with:colons`.
"""

from __future__ import annotations

import os
import subprocess
from typing import TYPE_CHECKING

from aurora.command import CommandOption, Context, Verb
from aurora.errors import InvalidParameter
from aurora.jobkey import TASK_INSTANCE_FORM, parse_task_instance
from aurora.output import Result
from aurora.plugins.task.sandbox import (
    EXECUTOR_SANDBOX,
    SSH_USER,
    agent_layout,
    live_tasks,
    login,
    sandbox_path,
    split_options,
)

if TYPE_CHECKING:
    from aurora.jobkey import JobKey

EXPLICITLY_LOCAL = ("/", "./", "../")
SCP_FLAGS_FOR_SSH = {"-P": "-p", "-i": "-i", "-o": "-o", "-F": "-F", "-J": "-J", "-c": "-c"}
SCP_FLAGS_WITH_VALUE = frozenset("cDFiJlloPSX")


def ssh_options_of(scp_options: list[str]) -> list[str]:
    """The connection options among scp's (port, identity, -o ...), spelled for ssh."""
    argv, words = [], iter(scp_options)
    for word in words:
        flag = word[:2]
        if word.startswith("-") and len(word) >= 2 and word[1] in SCP_FLAGS_WITH_VALUE:
            value = word[2:] or next(words, "")
            if flag in SCP_FLAGS_FOR_SSH:
                argv += [SCP_FLAGS_FOR_SSH[flag], value]
        elif word in ("-4", "-6", "-C"):
            argv.append(word)
    return argv


def real_directory(target: str, directory: str, scp_options: list[str]) -> str:
    """Expand the wildcards of a remote directory on its host (`ssh ... cd DIR && pwd`).

    scp expands wildcards in remote sources but no longer in a remote
    destination (OpenSSH 9 quotes it), so an upload needs the real path.
    """
    done = subprocess.run(["ssh", "-n", "-q", *ssh_options_of(scp_options), target,
                           f"cd {directory} && pwd"], capture_output=True, text=True)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or len(lines) != 1:
        detail = (done.stderr.strip().splitlines() or [f"ssh exited {done.returncode}"])[-1]
        raise InvalidParameter(f"cannot find the sandbox {directory} on {target}: {detail}",
                               hint="check --scp-options and that the task is still running")
    return lines[0]


def split_remote(path: str) -> tuple[JobKey, int, str] | None:
    """(job, instance, path) for `KEY/INSTANCE:PATH`, None for a local path."""
    if ":" not in path or path.startswith(EXPLICITLY_LOCAL):
        return None
    spec, _, remote = path.partition(":")
    try:
        job, instance = parse_task_instance(spec)
    except InvalidParameter as exc:
        raise InvalidParameter(
            f"'{path}' is neither a local path nor {TASK_INSTANCE_FORM}:PATH ({exc.message})",
            hint=f"write a local file whose name contains ':' as ./{path}") from None
    return job, instance, remote


def checked_path(path: str) -> str:
    """The normalised path; `~` refused (it names the login user's home, not the sandbox)."""
    path = os.path.normpath(path) if path else "."
    if path == "~" or path.startswith("~/"):
        raise InvalidParameter(f"Command does not support tilde expansion for path: {path}",
                               hint="give a path relative to the sandbox, or an absolute one")
    return path


class CopyFiles(Verb):
    name = "scp"
    changes_state = True
    help = "Copy files to or from task sandboxes (paths as CLUSTER/ROLE/ENV/NAME/INSTANCE:PATH)."
    options = (
        CommandOption("--scp-options", default=None, metavar="OPTIONS",
                      help="options for scp, e.g. \"-P 2222 -i ~/.ssh/key\""),
        SSH_USER, EXECUTOR_SANDBOX,
        CommandOption("source", nargs="+", metavar="SOURCE",
                      help="local paths or CLUSTER/ROLE/ENV/NAME/INSTANCE:PATH"),
        CommandOption("dest", metavar="DEST", help="where to copy to, local or remote"),
    )

    def execute(self, context: Context) -> Result:
        o = context.options
        scp_options = split_options(o.scp_options, "--scp-options")
        given = [*o.source, o.dest]
        remotes = [split_remote(path) for path in given]
        paths = [self.remote(context, r, scp_options if i == len(given) - 1 else None)
                 if r else p for i, (p, r) in enumerate(zip(given, remotes, strict=True))]
        argv = ["scp", *scp_options, *paths]
        try:
            status = subprocess.run(argv).returncode
        except OSError as exc:
            raise InvalidParameter(f"cannot run scp: {exc.strerror}",
                                   hint="install the OpenSSH client") from None
        status = 128 - status if status < 0 else status
        return Result(data={"sources": paths[:-1], "destination": paths[-1],
                            "exit_status": status}, text="", exit_code=status)

    @staticmethod
    def remote(context: Context, remote: tuple[JobKey, int, str],
               expand_with: list[str] | None) -> str:
        """A remote path as scp takes it: `user@host:path`; relative ones in the sandbox.

        For a destination (`expand_with` = the scp options) the sandbox's wildcards
        are expanded on the host first.
        """
        job, instance, inside = remote
        path = checked_path(inside)
        layout = agent_layout(context, job.cluster)
        tasks = live_tasks(context, job, [instance])
        if not tasks:
            raise InvalidParameter(f"Job or instance {job}/{instance} not found",
                                   hint=f"see the job's tasks with: aurora job status {job}")
        o = context.options
        target = login(o.ssh_user, job, tasks[0])
        if not os.path.isabs(path):
            sandbox = sandbox_path(layout, tasks[0].assignedTask.taskId, o.executor_sandbox)
            if expand_with is not None:
                sandbox = real_directory(target, sandbox, expand_with)
            path = f"{sandbox}/{path}"
        return f"{target}:{path}"
