"""Reading job files: executing .aurora files, reading JSON ones, picking the job.

A .aurora file is Python run in a namespace that holds the schema and the
helpers (`namespace.py`), with `include()` resolving paths against the file
that calls it. Every failure becomes a `ConfigError` (exit 3) that names the
file and, where there is one, the line; a job file's own traceback is cut
down to the frames inside job files.
"""

from __future__ import annotations

import ast
import json
import os
import traceback
from dataclasses import dataclass, field
from typing import Any

from aurora.config.map_history import mark_sources
from aurora.errors import ConfigurationError
from aurora.jobkey import JobKey
from aurora.output import escape_controls, stdout_to_stderr


class ConfigError(ConfigurationError):
    """A job file problem; always exit 3 and nothing sent to the scheduler."""


@dataclass
class LoadedConfig:
    path: str
    jobs: list[Any]
    hooks: list[Any] = field(default_factory=list)


def _read(path: str) -> str:
    if os.path.isdir(path):
        raise ConfigError(f"Could not load resource {path}: is a directory",
                          hint="give the job file inside it")
    if not os.path.isfile(path):
        raise ConfigError(f"Could not load resource {path}: no such file",
                          hint="check the path of the job file")
    from aurora.config.costbound import check_size

    check_size(path)
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Could not load resource {path}: {exc}") from None


class _Executor:
    """Runs one top-level file and its includes in one shared namespace."""

    def __init__(self) -> None:
        from aurora.config.namespace import job_file_namespace

        self.namespace = job_file_namespace()
        self.namespace["include"] = self.include
        self.files: list[str] = []
        self.stack: list[str] = []

    def include(self, name: str) -> None:
        base = os.path.dirname(self.stack[-1]) if self.stack else os.getcwd()
        self.run(os.path.join(base, str(name)))

    def run(self, path: str) -> None:
        path = os.path.normpath(path)
        source = _read(path)
        try:
            code = _compiled(source, path)
        except SyntaxError as exc:
            where = f"{exc.filename or path}:{exc.lineno}" if exc.lineno else path
            raise ConfigError(f"{where}: invalid Python syntax: {exc.msg}",
                              hint=f"fix line {exc.lineno} of the job file") from None
        self.files.append(path)
        self.stack.append(path)
        try:
            exec(code, self.namespace)   # noqa: S102 - executing job files is the job
        finally:
            self.stack.pop()


def _compiled(source: str, path: str) -> Any:
    """The job file's code, its large dict displays and `dict(key=value, ...)` calls marked
    for the executor data's key order (`map_history`). A file with none compiles from
    its source as it is; so does one whose expressions nest deeper than compiling a
    syntax tree allows (then unmarked)."""
    try:
        tree = ast.parse(source, path)
        if mark_sources(tree):
            return compile(tree, path, "exec", dont_inherit=True)
    except RecursionError:
        pass
    return compile(source, path, "exec", dont_inherit=True)


def one_line(text: str, limit: int = 400) -> str:
    """Collapse a message (struct reprs span many lines) into one readable line."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _job_file_error(exc: BaseException, files: list[str]) -> ConfigError:
    """One line naming the innermost job-file frame of `exc`'s traceback."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename in files]
    if isinstance(exc, ConfigError):
        return exc
    text = one_line(f"{type(exc).__name__}: {exc}")
    if frames:
        last = frames[-1]
        where = f"{last.filename}:{last.lineno}"
        line = f" (in: {last.line.strip()})" if last.line else ""
        return ConfigError(f"{where}: {text}{line}")
    return ConfigError(f"{files[0] if files else 'job file'}: {text}")


def _exit_error(exc: SystemExit, files: list[str]) -> ConfigError:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename in files]
    where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else (
        files[0] if files else "job file")
    return ConfigError(f"{where}: the job file tried to exit (SystemExit({exc.code!r})); "
                       "a job file defines jobs and may not end the command",
                       hint="remove the exit(), quit(), sys.exit() or raise SystemExit")


def load_dsl(path: str) -> LoadedConfig:
    runner = _Executor()
    try:
        with stdout_to_stderr():
            runner.run(path)
    except ConfigurationError:     # ours (ConfigError, the size bound): already one line
        raise
    except SystemExit as exc:  # exit() in a job file must not end the command with its code
        raise _exit_error(exc, runner.files) from None
    except (KeyboardInterrupt, MemoryError):
        raise                   # Ctrl-C is 130; memory is the cost bound's to report
    except BaseException as exc:   # anything a job file raises (GeneratorExit too) is its error
        if type(exc).__name__ == "_OutOfTime":
            raise
        raise _job_file_error(exc, runner.files) from None
    jobs = runner.namespace.get("jobs")
    hooks = runner.namespace.get("hooks") or []
    if not isinstance(hooks, (list, tuple)):
        raise ConfigError(f"{path}: 'hooks' must be a list of hook objects, got "
                          f"{type(hooks).__name__}", hint="write hooks = [MyHooks(), ...]")
    return LoadedConfig(path, _job_list(path, jobs), list(hooks))


def _job_list(path: str, jobs: Any) -> list[Any]:
    from aurora.config.schema import Job

    if jobs is None:
        return []
    if not isinstance(jobs, (list, tuple)):
        raise ConfigError(f"{path}: 'jobs' must be a list of Job objects, got "
                          f"{type(jobs).__name__}", hint="write jobs = [Job(...), ...]")
    for index, job in enumerate(jobs):
        if not isinstance(job, Job):
            raise ConfigError(f"{path}: jobs[{index}] is a {type(job).__name__}, not a Job",
                              hint="every entry of jobs must be a Job or Service")
    return list(jobs)


def load_json(path: str) -> LoadedConfig:
    from aurora.config.schema import Job

    try:
        document = json.loads(_read(path))
    except (ValueError, RecursionError) as exc:
        raise ConfigError(f"{path}: not valid JSON: {exc}",
                          hint="--read-json expects a JSON job file") from None
    if not isinstance(document, dict):
        raise ConfigError(f"{path}: a JSON job file holds an object, got "
                          f"{type(document).__name__}")
    entries = document["jobs"] if "jobs" in document else [document]
    if not isinstance(entries, list):
        raise ConfigError(f"{path}: 'jobs' must be a list")
    jobs = []
    for index, entry in enumerate(entries):
        try:
            jobs.append(Job(json.loads(json.dumps(entry))))
        except AttributeError as exc:
            raise ConfigError(f"{path}: jobs[{index}]: Unknown schema attribute "
                              f"{str(exc).split()[-1]}") from None
        except Exception as exc:   # noqa: BLE001 - any schema failure is the file's error
            raise ConfigError(f"{path}: jobs[{index}]: "
                              f"{one_line(f'{type(exc).__name__}: {exc}')}") from None
    return LoadedConfig(path, jobs)


def load(path: str, read_json: bool = False) -> LoadedConfig:
    """Read a job file (DSL, or JSON with `read_json`)."""
    return load_json(path) if read_json else load_dsl(path)


# -- bindings and selection ------------------------------------------------------------
ALIASES = {"mesos.role": "{{role}}", "mesos.cluster": "{{cluster}}",
           "thermos.user": "{{role}}"}


def parse_bindings(pairs: list[str]) -> dict[str, str]:
    """`--bind name=value` pairs; the later of two bindings of a name wins."""
    bindings: dict[str, str] = {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"--bind {pair!r} is not of the form name=value",
                              hint="e.g. --bind version=1.2")
        bindings[name.strip()] = value
    return bindings


def bind(job: Any, bindings: dict[str, str]) -> Any:
    """`--bind` values first, then the deprecated aliases, which therefore win.

    Upstream binds the aliases last, so `--bind thermos.user=bob` cannot hide the
    job's real role from `{{thermos.user}}` (nor `mesos.cluster` its cluster).
    """
    bound = job.bind(bindings) if bindings else job
    return bound.bind(ALIASES)


def field_value(struct: Any, name: str) -> Any:
    """The plain value of a pystachio struct's field (`job.name()` → 'hello')."""
    attr = getattr(struct, name)()
    return attr.get() if hasattr(attr, "get") else attr


def _text(value: Any) -> str:
    return str(value.get()) if hasattr(value, "get") else str(value)


def key_of(job: Any) -> str:
    parts = []
    for field_name in ("cluster", "role", "environment", "name"):
        attr = getattr(job, field_name)()
        present = getattr(job, f"has_{field_name}")()
        parts.append(_text(attr.interpolate()[0]) if present else "{MISSING}")
    return "/".join(parts)


def job_keys(config: LoadedConfig, bindings: dict[str, str]) -> list[str]:
    """Each job's key as the file spells it after `bindings` (`config list`)."""
    try:
        return [key_of(bind(job, bindings)) for job in config.jobs]
    except Exception as exc:   # pystachio type and binding errors are the file's
        raise ConfigError(f"{config.path}: {one_line(f'{type(exc).__name__}: {exc}')}",
                          hint="check the job's fields and the --bind names") from None


def pick(config: LoadedConfig, key: JobKey, bindings: dict[str, str]) -> Any:
    """The one job in `config` whose cluster/role/environment/name match `key`."""
    if not config.jobs:
        raise ConfigError(f"{config.path}: No job defined in this config!",
                          hint="a job file must define jobs = [Job(...)]")
    bound = [bind(job, bindings) for job in config.jobs]
    keys = [key_of(job) for job in bound]
    wanted = f"{key.cluster}/{key.role}/{key.env}/{key.name}"
    matches = [job for job, k in zip(bound, keys, strict=True) if k == wanted]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise ConfigError(f"{config.path}: Multiple jobs match {wanted}, please disambiguate",
                          hint="give every job in the file a distinct key")
    raise ConfigError(f"{config.path}: Could not find job {wanted}",
                      hint=f"jobs in this file: {escape_controls(', '.join(keys), keep='')}")
