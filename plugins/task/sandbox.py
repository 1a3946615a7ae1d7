"""What `task run`, `task ssh` and `task scp` share: finding tasks and their sandboxes.

A task's sandbox is found the way the upstream client finds it on a Mesos
agent, from the cluster's `slave_root` and `slave_run_directory`:
`<slave_root>/slaves/*/frameworks/*/executors/thermos-<task id>/runs/<run dir>/sandbox`
(without `/sandbox` for the executor's own directory). The `*` are left for the
remote shell to expand. Commands are templated with the task's id, ports and
instance before they are sent.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from aurora.command import CommandOption
from aurora.errors import ConfigurationError, InvalidParameter

if TYPE_CHECKING:
    from aurora.clusters import Cluster
    from aurora.command import Context
    from aurora.jobkey import JobKey

SSH_EXIT_UNREACHABLE = 255   # what ssh exits with when it could not run the command at all

EXECUTOR_SANDBOX = CommandOption(
    "--executor-sandbox", action="store_true", default=False,
    help="use the executor's directory instead of the task's sandbox inside it")
SSH_USER = CommandOption("-l", "--ssh-user", default=None, metavar="USER",
                         help="log in as USER (default: the job's role)")
SSH_OPTIONS = CommandOption("--ssh-options", default=None, metavar="OPTIONS",
                            help="options for ssh, e.g. \"-p 2222 -i ~/.ssh/key\"")


def agent_layout(context: Context, cluster_name: str) -> tuple[str, str]:
    """(slave_root, slave_run_directory) of the cluster; exit 3 when either is missing."""
    cluster: Cluster = context.get_cluster(cluster_name)
    missing = [f for f in ("slave_root", "slave_run_directory") if not cluster.get(f)]
    if missing:
        raise ConfigurationError(
            f"cluster {cluster_name} has no {' and no '.join(missing)} in clusters.json, so "
            "task sandboxes cannot be found",
            hint="add them to its entry, e.g. \"slave_root\": \"/var/lib/mesos\", "
                 "\"slave_run_directory\": \"latest\"")
    return cluster["slave_root"], cluster["slave_run_directory"]


def sandbox_path(layout: tuple[str, str], task_id: str, executor_sandbox: bool) -> str:
    """The remote directory of a task (the `*` are expanded by the remote shell)."""
    slave_root, run_directory = layout
    path = (f"{slave_root.rstrip('/')}/slaves/*/frameworks/*/executors/thermos-{task_id}"
            f"/runs/{run_directory}")
    return path if executor_sandbox else f"{path}/sandbox"


def templated(text: str, task: Any) -> str:
    """Fill {{thermos.task_id}}, {{thermos.ports[NAME]}}, {{mesos.instance}}; keep the rest."""
    from pystachio import Environment, String
    from pystachio.naming import Ref

    from aurora.config.schema import MesosContext, ThermosContext

    assigned = task.assignedTask
    scope = Environment(
        thermos=ThermosContext(task_id=assigned.taskId, ports=assigned.assignedPorts or {}),
        mesos=MesosContext(instance=assigned.instanceId))
    try:
        return (String(text) % scope).get()
    except Ref.InvalidRefError as exc:
        raise InvalidParameter(f"the command has a template reference that is not a name: "
                               f"{{{{{exc}}}}}",
                               hint="write references as {{thermos.task_id}}, without spaces"
                               ) from None


def remote_command(layout: tuple[str, str], task: Any, command: str,
                   executor_sandbox: bool) -> str:
    """`cd <sandbox>;<command>`, templated for this task."""
    sandbox = sandbox_path(layout, task.assignedTask.taskId, executor_sandbox)
    return templated(f"cd {sandbox};{command}", task)


def split_options(text: str | None, flag: str) -> list[str]:
    try:
        return shlex.split(text or "")
    except ValueError as exc:
        raise InvalidParameter(f"{flag} '{text}' cannot be split into words: {exc}",
                               hint="check its quotes") from None


def live_tasks(context: Context, key: JobKey, instances: Iterable[int] | None) -> list[Any]:
    """The job's LIVE tasks (all instances when `instances` is None), by instance id."""
    from aurora.api.client import Refusal
    from aurora.api.idl import api
    from aurora.jobs import thrift_key
    from aurora.tasks import state_sets

    query = api().TaskQuery(jobKeys=[thrift_key(key)], statuses=set(state_sets()["LIVE"]),
                            instanceIds=set(instances) if instances else None)
    tasks = context.scheduler(key.cluster).get_tasks_status(
        query, refused=Refusal("Unable to get information about instance:"))
    return sorted(tasks, key=lambda t: t.assignedTask.instanceId)


def login(user: str | None, key: JobKey, task: Any) -> str:
    """`user@host` for a task: the given user, else the job's role, as upstream."""
    return f"{user or key.role}@{task.assignedTask.slaveHost}"
