"""Where the devcluster puts task sandboxes: the directory layout of a Mesos agent.

A client finds a task's sandbox the way it does on a real cluster, from the
cluster's `slave_root` and `slave_run_directory` in clusters.json:

    <slave_root>/slaves/<agent id>/frameworks/<framework id>/
        executors/thermos-<task id>/runs/<run id>/sandbox

with `runs/latest` a symbolic link to the newest run, as a Mesos agent keeps it.
This module is the only place that knows the layout; it imports nothing heavy
because the client reads the built-in devcluster's `slave_root` from it.
"""

from __future__ import annotations

import os

AGENT_ROOT = "agent"            # <state dir>/agent is the devcluster's slave_root
RUN_DIRECTORY = "latest"        # the devcluster's slave_run_directory
FRAMEWORK_ID = "devcluster-aurora"


ROOT_STATE_DIR = "/var/lib/aurora-devcluster"


def default_state_dir() -> str:
    """`$AURORA_DEVCLUSTER_STATE_DIR`, else `~/.aurora/devcluster`; for root,
    /var/lib/aurora-devcluster: root's tasks run as unprivileged users, who cannot
    enter a home such as /root (0700) to reach their sandboxes."""
    configured = os.environ.get("AURORA_DEVCLUSTER_STATE_DIR")
    if configured:
        return configured
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return ROOT_STATE_DIR
    return os.path.join(os.path.expanduser("~"), ".aurora", "devcluster")


def slave_root(state_dir: str) -> str:
    """The agent work directory of a devcluster with this state dir."""
    return os.path.join(state_dir, AGENT_ROOT)


def agent_id(hostname: str) -> str:
    """The agent id reported as a task's slaveId and used in its sandbox path."""
    return f"devcluster-{hostname}"


def executor_dir(state_dir: str, hostname: str, task_id: str) -> str:
    return os.path.join(slave_root(state_dir), "slaves", agent_id(hostname), "frameworks",
                        FRAMEWORK_ID, "executors", f"thermos-{task_id}")


def new_run_sandbox(state_dir: str, hostname: str, task_id: str) -> str:
    """Create a fresh run directory for a task, point `runs/latest` at it, return its sandbox."""
    runs = os.path.join(executor_dir(state_dir, hostname, task_id), "runs")
    import uuid  # only here: the client reads this module too, and never runs a task

    run_id = str(uuid.uuid4())
    sandbox = os.path.join(runs, run_id, "sandbox")
    os.makedirs(sandbox, exist_ok=True)
    latest = os.path.join(runs, RUN_DIRECTORY)
    tmp = f"{latest}.{run_id}"
    os.symlink(run_id, tmp)
    os.replace(tmp, latest)
    return sandbox
