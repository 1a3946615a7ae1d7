"""The plain parts of the test kit (`aurora.testing`): a devcluster process, an isolated
user, running `aurora`. No pytest here, so benchmarks and scripts can use them too."""


from __future__ import annotations

import functools
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent
DEVCLUSTER_NAME = "devcluster"
# Never let a test's client start the machine's own devcluster (port 8081, ~/.aurora).
NO_AUTOSTART = "[devcluster]\nautostart = false\n"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def installed_command(script: str, module: str) -> list[str]:
    """The installed console script beside this interpreter, else `python -m module`."""
    path = BIN / script
    return [str(path)] if path.exists() else [sys.executable, "-m", module]


def tasks_change_user(executor: str = "process", args: tuple[str, ...] = ()) -> bool:
    """Whether a devcluster started by this process runs its tasks as other users."""
    return os.geteuid() == 0 and executor == "process" and "--run-tasks-as-root" not in args


@functools.cache
def session_folder() -> Path:
    """This session's enter-only (0711) folder for files tasks' users must reach;
    removed when the session ends."""
    import atexit
    import shutil
    import tempfile

    top = Path(tempfile.mkdtemp(prefix="aurora-tests-"))
    top.chmod(0o711)
    atexit.register(shutil.rmtree, top, ignore_errors=True)
    return top


_REACHABLE: dict[Path, Path] = {}


def reachable_state_dir(wanted: Path) -> Path:
    """A state dir the tasks' users can reach, standing for `wanted`.

    Run by root, the devcluster runs tasks as unprivileged users, who must enter
    every directory above their sandboxes; pytest's temporary folders
    (/tmp/pytest-of-root, mode 0700) are closed to them. So such a devcluster keeps
    its state in a folder of its own inside `session_folder()`. The same `wanted`
    gives the same folder (a test restarting a devcluster on its state).
    """
    if wanted not in _REACHABLE:
        import tempfile

        _REACHABLE[wanted] = Path(tempfile.mkdtemp(prefix=f"{wanted.name}-",
                                                   dir=session_folder()))
    return _REACHABLE[wanted]


@functools.cache
def task_python() -> str:
    """A Python that tasks can run: this one, unless tasks run as another user who cannot
    reach it (a Python under /root, say); then the first `python3` on their PATH."""
    if not tasks_change_user():
        return sys.executable
    from aurora.devcluster.privileges import TaskUser, closed_dir

    reachable = closed_dir(os.path.realpath(sys.executable), TaskUser.named("nobody")) is None
    return sys.executable if reachable else "python3"


@dataclass
class Devcluster:
    """One `aurora-devcluster` process on 127.0.0.1, driven through its command line."""

    state_dir: Path
    port: int = field(default_factory=free_port)
    executor: str = "process"
    args: tuple[str, ...] = ()       # extra options for every command (e.g. --zk ...)
    env: dict[str, str] | None = None
    # What its host offers: more than tests ask for, so that the machine's size never
    # keeps a test's task PENDING; a test of placement sets its own in `args`.
    offer: tuple[str, ...] = ("--cpus", "1000", "--ram-mb", "1000000", "--disk-mb", "1000000")

    def __post_init__(self) -> None:
        if tasks_change_user(self.executor, self.args):
            self.state_dir = reachable_state_dir(Path(self.state_dir))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self, action: str, *extra: str) -> Any:
        """Run `aurora-devcluster ACTION` for this cluster; the CompletedProcess."""
        import subprocess

        return subprocess.run(
            [*installed_command("aurora-devcluster", "aurora.devcluster"), action,
             "--port", str(self.port), "--state-dir", str(self.state_dir),
             "--executor", self.executor, *self.offer, *self.args, *extra],
            capture_output=True, text=True, timeout=60, env=self.env)

    def start(self) -> Devcluster:
        done = self.command("start")
        if done.returncode != 0:
            raise RuntimeError(f"aurora-devcluster start failed ({done.returncode}): "
                               f"{done.stderr}{done.stdout}")
        return self

    def stop(self) -> None:
        self.command("stop")

    def cluster_entry(self, name: str = DEVCLUSTER_NAME) -> dict[str, str]:
        """This cluster as a clusters.json entry."""
        return {"name": name, "scheduler_uri": self.url,
                "slave_root": str(Path(self.state_dir) / "agent"),
                "slave_run_directory": "latest"}


@dataclass
class AuroraRun:
    """What one run of `aurora` did."""

    args: list[str]
    exit_code: int
    stdout: str
    stderr: str

    @property
    def returncode(self) -> int:
        return self.exit_code

    @property
    def json(self) -> Any:
        """stdout parsed as JSON (ask for it with `--write-json` or `--output-format json`)."""
        import json

        try:
            return json.loads(self.stdout)
        except ValueError as exc:
            raise AssertionError(f"`aurora {' '.join(self.args)}` printed no JSON ({exc}); "
                                 f"exit {self.exit_code}, stderr: {self.stderr}") from None


def isolated_env(root: Path, state_dir: Path, **extra: str) -> dict[str, str]:
    """This process's environment as an isolated user under `root`: no AURORA_*, PYTEST_*,
    NO_COLOR or proxy (*_PROXY) variables; HOME, caches and the site config root
    ($AURORA_CONFIG_ROOT) under `root`; an autostarted devcluster's state in `state_dir`."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AURORA_", "PYTEST_")) and k != "NO_COLOR"
           and not k.lower().endswith("_proxy")}
    env.update(HOME=str(root / "home"), XDG_CACHE_HOME=str(root / "cache"),
               AURORA_CONFIG_ROOT=str(root / "etc-aurora"), COLUMNS="100",
               AURORA_DEVCLUSTER_STATE_DIR=str(state_dir))
    env.update(extra)
    return env


@dataclass
class AuroraHome:
    """An isolated user: HOME, the site config root ($AURORA_CONFIG_ROOT), caches."""

    root: Path
    python_path: list[str] = field(default_factory=list)

    @property
    def config_root(self) -> Path:
        return self.root / "etc-aurora"

    @property
    def user_dir(self) -> Path:
        return self.root / "home" / ".aurora"

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of `aurora` run as this user (see `isolated_env`)."""
        env = isolated_env(self.root, reachable_state_dir(self.root / "state"))
        if self.python_path:
            env["PYTHONPATH"] = os.pathsep.join(
                [*self.python_path, *filter(None, [os.environ.get("PYTHONPATH")])])
        env.update(extra)
        return env

    def write_clusters(self, clusters: list[dict[str, Any]], user: bool = False) -> Path:
        """Write clusters.json for the site (default) or the user."""
        import json

        return self._write("clusters.json", json.dumps(clusters, indent=2), user)

    def write_client_config(self, text: str, user: bool = False) -> Path:
        """Write client.toml for the site (default) or the user. The site's file keeps
        `[devcluster] autostart = false` unless `text` has a [devcluster] table."""
        if not user and "[devcluster]" not in text:
            text = f"{text.rstrip()}\n\n{NO_AUTOSTART}"
        return self._write("client.toml", text, user)

    def _write(self, name: str, text: str, user: bool) -> Path:
        target = (self.user_dir if user else self.config_root) / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        return target


@dataclass
class AuroraRunner:
    """Runs the installed `aurora` as `home`; call it with the command's arguments."""

    home: AuroraHome
    command: list[str] = field(
        default_factory=lambda: installed_command("aurora", "aurora"))

    def __call__(self, *args: str, env: dict[str, str] | None = None, input: str | None = None,
                 cwd: str | Path | None = None, timeout: float = 120) -> AuroraRun:
        import subprocess

        done = subprocess.run([*self.command, *args], capture_output=True, text=True,
                              env=env or self.home.env(), input=input, cwd=cwd,
                              timeout=timeout, stdin=None if input else subprocess.DEVNULL)
        return AuroraRun(list(args), done.returncode, done.stdout, done.stderr)


def pip_install(package: Path, target: Path, build_isolation: bool = False) -> None:
    """`pip install --no-deps --target TARGET PACKAGE`, failing with pip's own words."""
    import subprocess

    isolation = [] if build_isolation else ["--no-build-isolation"]
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", *isolation,
         "--disable-pip-version-check", "--target", str(target), str(package)],
        capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"pip could not install {package}: {done.stderr.strip()}")
