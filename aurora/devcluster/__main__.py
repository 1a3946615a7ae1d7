"""`aurora-devcluster start|stop|status|run`: the local scheduler's own command.

`run` serves in the foreground; `start` runs it in the background and returns
once it answers; `stop` ends it with SIGTERM (its tasks are killed and come
back on the next start). One scheduler per state dir, guarded by a lock on
the pid file.
"""

from __future__ import annotations

import argparse
import fcntl
import ipaddress
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from typing import Any

from aurora.devcluster.layout import RUN_DIRECTORY, default_state_dir, slave_root
from aurora.devcluster.pidfile import (
    DEFAULT_PORT,
    pid_file,
    process_start,
    read_pid_info,
    url_of,
)
from aurora.devcluster.privileges import DEFAULT_FALLBACK

DEFAULT_BIND = "127.0.0.1"
# Tasks' host (slaveHost): what `aurora task ssh` connects to. 127.0.0.1 is reachable
# whenever an sshd listens on loopback; "localhost" may resolve to ::1 first and the
# machine's name to an address no local sshd listens on.
DEFAULT_HOSTNAME = "127.0.0.1"
START_TIMEOUT = 20.0
STOP_TIMEOUT = 30.0


class Failure(Exception):
    """A one-line error for the user, with the exit status to use."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


USAGE_ERROR = 5      # the exit status `aurora` uses for a bad command line


class ArgumentParser(argparse.ArgumentParser):
    """argparse, but a bad command line exits 5 as it does for `aurora`, not 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(USAGE_ERROR, f"{self.prog}: error: {message}\n")


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a whole number above 0, got '{text}'")
    return value


def megabytes(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 1024 * 1024:      # also refuses nan and inf
        raise argparse.ArgumentTypeError(f"expected megabytes from 0 up, got '{text}'")
    return value


def amount(text: str) -> float:
    """A resource amount the host offers: a finite number from 0 up."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):      # also refuses nan
        raise argparse.ArgumentTypeError(f"expected a number from 0 up, got '{text}'")
    return value


def attribute(text: str) -> tuple[str, str]:
    name, equals, value = text.partition("=")
    if not equals or not name.strip() or not value.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got '{text}'")
    return name.strip(), value.strip()


def parser() -> argparse.ArgumentParser:
    p = ArgumentParser(prog="aurora-devcluster",
                       description="A local Aurora scheduler for development and tests.")
    p.add_argument("action", choices=["start", "stop", "status", "run", "hash-password"],
                   help="start in the background, stop, show status, run in the foreground, "
                        "or hash a password (read from stdin) for a --users file")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help="HTTP port (default 8081)")
    p.add_argument("--bind", default=DEFAULT_BIND,
                   help="address to listen on (default 127.0.0.1)")
    p.add_argument("--allow-remote", action="store_true",
                   help="allow a --bind address other than loopback")
    p.add_argument("--state-dir", default=None,
                   help="where state, sandboxes and logs live (default "
                        "$AURORA_DEVCLUSTER_STATE_DIR, else ~/.aurora/devcluster; for root "
                        "/var/lib/aurora-devcluster)")
    p.add_argument("--executor", choices=["process", "simulate"], default="process",
                   help="run tasks as local processes, or only simulate them")
    p.add_argument("--cluster-name", default="devcluster",
                   help="cluster name the scheduler reports (default devcluster)")
    p.add_argument("--hostname", default=DEFAULT_HOSTNAME,
                   help="the agent host name tasks report, which `aurora task ssh` connects "
                        f"to (default {DEFAULT_HOSTNAME})")
    p.add_argument("--attribute", type=attribute, action="append", default=[],
                   metavar="NAME=VALUE",
                   help="a host attribute for constraints (repeatable; default host=HOSTNAME "
                        "and rack=devcluster)")
    for flag, what in (("--cpus", "CPUs (default: this machine's)"),
                       ("--ram-mb", "RAM in MB (default: this machine's memory)"),
                       ("--disk-mb", "disk in MB (default: free space of the state dir)"),
                       ("--gpus", "GPUs (default 0)")):
        p.add_argument(flag, type=amount, default=None, metavar="N",
                       help=f"what the host offers its tasks: {what}")
    p.add_argument("--zk", metavar="HOST:PORT[,HOST:PORT]",
                   help="announce in a ZooKeeper ServerSet and contend for leadership")
    p.add_argument("--zk-path", default="/aurora/scheduler",
                   help="ServerSet path (default /aurora/scheduler)")
    p.add_argument("--users", metavar="FILE",
                   help="require HTTP Basic auth; users, password hashes, roles, admin flags")
    p.add_argument("--kerberos-keytab", metavar="FILE",
                   help="also accept Kerberos (SPNEGO) for HTTP/<host> from this keytab "
                        "(needs the kerberos extra)")
    p.add_argument("--cron-clock-speed", type=float, default=1.0, metavar="FACTOR",
                   help="run the cron clock FACTOR times faster than real time (for tests)")
    p.add_argument("--max-tasks-per-job", type=positive_int, default=None, metavar="N",
                   help="refuse jobs that would have more than N tasks (default 10000)")
    p.add_argument("--reply-cache-mb", type=megabytes, default=32, metavar="MB",
                   help="memory for replies to repeated identical reads (default 32; "
                        "0 turns the cache off, as on a real scheduler)")
    p.add_argument("--task-user", default=DEFAULT_FALLBACK, metavar="USER",
                   help="when run as root: the user tasks run as when no user is named like "
                        f"their job's role (default {DEFAULT_FALLBACK}); never root")
    p.add_argument("--run-tasks-as-root", action="store_true",
                   help="when run as root: run every task as root, as the devcluster itself "
                        "(unsafe: a job's processes and health checks then own the machine)")
    p.add_argument("-v", "--verbose", action="store_true", help="log every request")
    return p


def check_bind(args: argparse.Namespace) -> None:
    try:
        loopback = ipaddress.ip_address(args.bind).is_loopback
    except ValueError:
        loopback = args.bind == "localhost"
    if not loopback and not args.allow_remote:
        raise Failure(f"refusing to listen on {args.bind}: the devcluster runs commands for "
                      "anyone who can reach it; add --allow-remote if you mean it", USAGE_ERROR)


def state_lock(args: argparse.Namespace) -> Any:
    """The state directory's lock file; held now unless leadership decides (--zk)."""
    lock = open(os.path.join(args.state_dir, "devcluster.lock"), "w")
    if not args.zk:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise Failure(f"another devcluster already uses {args.state_dir}; stop it with: "
                          f"aurora-devcluster stop --state-dir {args.state_dir}") from None
    return lock


def set_authenticator(server: Any, args: argparse.Namespace) -> None:
    """Basic users (--users) and Kerberos (--kerberos-keytab) for the HTTP front."""
    from aurora.devcluster.auth import Authenticator, load_users

    if args.kerberos_keytab:
        os.environ["KRB5_KTNAME"] = os.path.abspath(args.kerberos_keytab)
    try:
        users = load_users(args.users) if args.users else {}
        server.authenticator = Authenticator(users, kerberos=bool(args.kerberos_keytab))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        server.server_close()
        raise Failure(f"cannot read the users file {args.users}: {exc}") from None


def task_users(args: argparse.Namespace) -> Any:
    """Who tasks run as; as root, also opens the state dir to them (enter only) and checks
    that they can reach the sandboxes, failing with the directory that stops them."""
    from aurora.devcluster.privileges import UserPolicy, closed_dir

    try:
        users = UserPolicy(args.task_user, args.run_tasks_as_root)
    except ValueError as exc:
        raise Failure(str(exc), USAGE_ERROR) from None
    if users.drops and args.executor == "process":
        closed = closed_dir(os.path.dirname(args.state_dir), users.fallback)
        if closed:
            raise Failure(f"tasks run as {users.fallback.name}, who cannot enter {closed} "
                          f"to reach their sandboxes in {args.state_dir}; choose a --state-dir "
                          f"it can reach, or let it in: chmod o+x {closed}")
        os.chmod(args.state_dir, 0o711)
    return users


def host_of(args: argparse.Namespace) -> Any:
    """The agent host tasks are placed on: its attributes and what it offers."""
    from aurora.devcluster.placement import machine_host

    return machine_host(args.hostname, args.state_dir, args.attribute, args.cpus,
                        args.ram_mb, args.disk_mb, args.gpus or 0)


def describe_host(host: Any) -> str:
    """What the host offers and its attributes, in one line (for `status`)."""
    attributes = ", ".join(f"{name}={value}" for name in sorted(host.attributes)
                           for value in sorted(host.attributes[name]))
    return (f"{host.cpus:g} CPUs, {host.ram_mb:.0f} MB RAM, {host.disk_mb:.0f} MB disk, "
            f"{host.gpus:g} GPUs; attributes {attributes}")


def run(args: argparse.Namespace) -> int:
    from aurora.devcluster.engine import Engine
    from aurora.devcluster.executor import make_executor
    from aurora.devcluster.handler import MAX_TASKS_PER_JOB, SchedulerHandler
    from aurora.devcluster.server import DevclusterHttpServer
    from aurora.devcluster.store import Store

    check_bind(args)
    private_dir(args.state_dir)
    lock = state_lock(args)
    store = Store(os.path.join(args.state_dir, "state.db"))
    executor = make_executor(args.executor, args.state_dir, task_users(args))
    host = host_of(args)
    engine = Engine(store, executor, hostname=args.hostname,
                    cron_clock_speed=args.cron_clock_speed, host=host)
    handler = SchedulerHandler(store, engine, cluster_name=args.cluster_name,
                               max_tasks_per_job=args.max_tasks_per_job or MAX_TASKS_PER_JOB)
    try:
        server = DevclusterHttpServer((args.bind, args.port), handler,
                                      reply_cache_bytes=int(args.reply_cache_mb * 1024 * 1024))
    except OSError as exc:
        raise Failure(f"cannot listen on {args.bind}:{args.port} ({exc.strerror}); "
                      "choose another --port or stop what uses it") from None
    if args.users or args.kerberos_keytab:
        set_authenticator(server, args)
    port = server.server_address[1]
    info = {"pid": os.getpid(), "started": process_start(os.getpid()), "port": port,
            "bind": args.bind, "executor": args.executor,
            "state_dir": args.state_dir, "zk": args.zk, "hostname": args.hostname,
            "offer": describe_host(host)}
    own_pid_file = pid_file(args.state_dir, port if args.zk else None)
    with open(own_pid_file + ".tmp", "w") as f:
        json.dump(info, f)
    os.replace(own_pid_file + ".tmp", own_pid_file)

    def on_signal(signum: int, frame: Any) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    leadership = None
    if args.zk:
        from aurora.devcluster.leader import Leadership

        def lead() -> None:
            fcntl.flock(lock, fcntl.LOCK_EX)     # the previous leader's lock dies with it
            engine.start()
        host = args.bind if args.bind not in ("0.0.0.0", "::") else "127.0.0.1"
        leadership = server.leadership = Leadership(args.zk, args.zk_path, host, port, lead)
        try:
            leadership.start()
        except Exception as exc:
            server.server_close()
            os.unlink(own_pid_file)
            raise Failure(f"cannot reach ZooKeeper at {args.zk}: {exc}") from None
    else:
        engine.start()
    import gc

    gc.freeze()     # what start-up built is never garbage: later collections skip it
    gc.set_threshold(50_000, 20, 20)    # replies of 100,000 tasks are large and acyclic
    logging.getLogger("aurora.devcluster").info(
        "devcluster %s serving %s (executor %s, state %s)", args.cluster_name, url_of(info),
        args.executor, args.state_dir)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        engine.stop()             # tasks stopped while we still lead: no standby adopts
        if leadership is not None:   # them half-killed
            leadership.stop()
        store.close()
        try:
            os.unlink(own_pid_file)
        except OSError:
            pass
    return 0


def host_arguments(args: argparse.Namespace) -> list[str]:
    """The host's attributes and offer, as options for `run`."""
    command = []
    for name, value in args.attribute:
        command += ["--attribute", f"{name}={value}"]
    for flag in ("cpus", "ram_mb", "disk_mb", "gpus"):
        if getattr(args, flag) is not None:
            command += [f"--{flag.replace('_', '-')}", repr(getattr(args, flag))]
    return command


def run_command(args: argparse.Namespace) -> list[str]:
    """The `aurora-devcluster run` command line that `start` puts in the background."""
    command = [sys.executable, "-m", "aurora.devcluster", "run", "--port", str(args.port),
               "--bind", args.bind, "--state-dir", args.state_dir, "--executor", args.executor,
               "--cluster-name", args.cluster_name, "--hostname", args.hostname,
               "--cron-clock-speed", str(args.cron_clock_speed),
               "--reply-cache-mb", str(args.reply_cache_mb)]
    if args.allow_remote:
        command.append("--allow-remote")
    if args.task_user != DEFAULT_FALLBACK:
        command += ["--task-user", args.task_user]
    if args.run_tasks_as_root:
        command.append("--run-tasks-as-root")
    if args.verbose:
        command.append("--verbose")
    if args.max_tasks_per_job:
        command += ["--max-tasks-per-job", str(args.max_tasks_per_job)]
    if args.zk:
        command += ["--zk", args.zk, "--zk-path", args.zk_path]
    command += host_arguments(args)
    if args.users:
        command += ["--users", os.path.abspath(args.users)]
    if args.kerberos_keytab:
        command += ["--kerberos-keytab", os.path.abspath(args.kerberos_keytab)]
    return command


def start(args: argparse.Namespace) -> int:
    check_bind(args)
    port = args.port if args.zk else None
    info = read_pid_info(args.state_dir, port)
    if info and healthy(url_of(info)):
        print(f"devcluster already running at {url_of(info)} (pid {info['pid']})")
        return 0
    if info:
        raise Failure(f"devcluster pid {info['pid']} holds {args.state_dir} but does not answer "
                      f"at {url_of(info)}; stop it with: {stop_command(args)}")
    private_dir(args.state_dir)
    if args.executor == "process":
        task_users(args)        # its one-line refusal here, not in the log
    log_path = os.path.join(args.state_dir, "devcluster.log")
    command = run_command(args)
    with open(log_path, "ab") as log:
        child = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                 start_new_session=True, close_fds=True)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise Failure(f"devcluster did not start: {last_line(log_path)} "
                          f"(full log: {log_path})")
        info = read_pid_info(args.state_dir, port)
        if info and info["pid"] == child.pid and healthy(url_of(info)):
            print(f"devcluster started at {url_of(info)} (pid {child.pid}, log {log_path}); "
                  f"stop it with: {stop_command(args)}")
            return 0
        time.sleep(0.05)
    child.terminate()
    raise Failure(f"devcluster did not answer within {START_TIMEOUT:.0f}s (log: {log_path})")


def stop_command(args: argparse.Namespace) -> str:
    """The stop command for the devcluster these arguments started (same port, state dir)."""
    import shlex

    command = ["aurora-devcluster", "stop"]
    if args.port != DEFAULT_PORT:
        command += ["--port", str(args.port)]
    if args.state_dir != default_state_dir():
        command += ["--state-dir", args.state_dir]
    return shlex.join(command)


def last_line(path: str) -> str:
    try:
        with open(path, errors="replace") as f:
            lines = [line.strip() for line in f if line.strip()]
        return lines[-1] if lines else "no output"
    except OSError:
        return "no log"


def healthy(url: str) -> bool:
    try:
        direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))   # loopback
        with direct.open(f"{url}/health", timeout=1) as answer:
            return answer.status == 200
    except OSError:
        return False


def other_instances(state_dir: str) -> list[str]:
    """Ports of ZooKeeper-mode instances on this state dir (their own pid files)."""
    try:
        names = os.listdir(state_dir)
    except OSError:
        return []
    return sorted(n[len("devcluster-"):-len(".pid")] for n in names
                  if n.startswith("devcluster-") and n.endswith(".pid"))


def stop(args: argparse.Namespace) -> int:
    port = args.port if args.port != DEFAULT_PORT else None
    info = read_pid_info(args.state_dir, port)
    if not info:
        ports = other_instances(args.state_dir)
        if ports and not port:
            raise Failure(f"several devclusters share {args.state_dir} (ports "
                          f"{', '.join(ports)}); say which with --port", USAGE_ERROR)
        print("devcluster is not running")
        return 0
    os.kill(info["pid"], signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    while time.monotonic() < deadline:
        if not os.path.exists(f"/proc/{info['pid']}"):
            print(f"devcluster stopped (pid {info['pid']})")
            return 0
        time.sleep(0.05)
    raise Failure(f"devcluster (pid {info['pid']}) did not stop within {STOP_TIMEOUT:.0f}s; "
                  f"kill it with: kill -9 {info['pid']}")


def status(args: argparse.Namespace) -> int:
    info = read_pid_info(args.state_dir, args.port if args.port != DEFAULT_PORT else None)
    if not info:
        print(f"devcluster is not running (state dir {args.state_dir})")
        return 3
    print(f"devcluster running at {url_of(info)} (pid {info['pid']}, executor "
          f"{info.get('executor')}, state dir {args.state_dir})")
    print(f"tasks run on host {info.get('hostname', DEFAULT_HOSTNAME)}; slave_root "
          f"{slave_root(args.state_dir)}, slave_run_directory {RUN_DIRECTORY}")
    if info.get("offer"):
        print(f"the host offers {info['offer']}")
    return 0


def hash_password_command(args: argparse.Namespace) -> int:
    from aurora.devcluster.auth import hash_password

    password = sys.stdin.readline().rstrip("\n")
    if not password:
        raise Failure("give the password on standard input", USAGE_ERROR)
    print(hash_password(password))
    return 0


def private_dir(path: str) -> None:
    """Create `path` (and parents) readable by its owner only, whatever the umask was;
    an existing one is tightened to 0700 too: task output and state may hold secrets."""
    os.makedirs(path, mode=0o700, exist_ok=True)
    os.chmod(path, 0o700)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    from aurora.api.thrift_seam import install

    problem = install()          # the thrift tricks (aurora/api/thrift_seam.py)
    if problem is not None:
        print(f"aurora-devcluster: {problem}", file=sys.stderr)
        return 3
    args.state_dir = os.path.abspath(args.state_dir or default_state_dir())
    os.umask(0o077)     # state, logs, sandboxes and the tasks' own files: owner only
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not args.verbose:      # kazoo retries loudly; our own messages say what matters
        logging.getLogger("aurora.devcluster.kazoo").setLevel(logging.ERROR)
    try:
        return {"run": run, "start": start, "stop": stop, "status": status,
                "hash-password": hash_password_command}[args.action](args)
    except Failure as exc:
        print(f"aurora-devcluster: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
