"""The one parser for job keys, partial keys, globs and instance lists.

Forms accepted on the command line:

* job key            ``CLUSTER/ROLE/ENV/NAME``
* instance key       ``CLUSTER/ROLE/ENV/NAME[/INSTANCES]`` with INSTANCES like ``0-3,5,9``
* task instance      ``CLUSTER/ROLE/ENV/NAME/INSTANCE`` (exactly one instance)
* partial key        ``CLUSTER[/ROLE[/ENV[/NAME]]]``; missing parts and shell globs
  (``*``, ``?``, ``[...]``) in role, env and name match many jobs
* role key           ``CLUSTER/ROLE``

Every problem raises `InvalidParameter` (exit 6) naming the bad part and the form.
Instance ids are bounded (`MAX_INSTANCES`) and checked before any list of them is
built, so a typo such as ``0-9999999999999999999`` is an error, not a memory blow-up.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

from aurora.errors import InvalidParameter

# Thrift constant GOOD_IDENTIFIER_PATTERN (`^[\w\-.]+$`) as the JVM scheduler applies
# it: ASCII only, and the whole value (a trailing newline is not allowed, as a `$`
# match would); the scheduler also refuses a role, environment or name longer than this.
IDENTIFIER_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.")
MAX_IDENTIFIER_LENGTH = 255
_GLOB_CHARS = frozenset("*?[")


def is_identifier(value: str) -> bool:
    """Whether `value` matches the scheduler's identifier pattern."""
    return bool(value) and IDENTIFIER_CHARS.issuperset(value)


def _is_number(value: str) -> bool:
    return value.isascii() and value.isdigit()

# No scheduler runs jobs this large (Aurora's own default cap is 4,000 tasks per job);
# ids run from 0 to MAX_INSTANCES - 1, and one instance list names at most this many.
MAX_INSTANCES = 100_000

JOB_KEY_FORM = "CLUSTER/ROLE/ENV/NAME"
INSTANCE_KEY_FORM = "CLUSTER/ROLE/ENV/NAME[/INSTANCES]"
TASK_INSTANCE_FORM = "CLUSTER/ROLE/ENV/NAME/INSTANCE"
PARTIAL_KEY_FORM = "CLUSTER[/ROLE[/ENV[/NAME]]]"
ROLE_KEY_FORM = "CLUSTER/ROLE"


class JobKey(NamedTuple):
    """A fully specified job: the cluster is always part of the identity."""

    cluster: str
    role: str
    env: str
    name: str

    def __str__(self) -> str:
        return f"{self.cluster}/{self.role}/{self.env}/{self.name}"

    @property
    def path(self) -> str:
        """`role/env/name`, the job's path inside its cluster (web UI, errors)."""
        return f"{self.role}/{self.env}/{self.name}"


class InstanceKey(NamedTuple):
    """A job key plus an optional sorted list of instance ids (None = all)."""

    job: JobKey
    instances: tuple[int, ...] | None

    def __str__(self) -> str:
        if self.instances is None:
            return str(self.job)
        return f"{self.job}/{format_instances(self.instances)}"


class PartialKey(NamedTuple):
    """A job key pattern; each of role, env and name may be a shell glob."""

    cluster: str
    role: str = "*"
    env: str = "*"
    name: str = "*"

    def __str__(self) -> str:
        return f"{self.cluster}/{self.role}/{self.env}/{self.name}"

    @property
    def is_exact(self) -> bool:
        """True when the pattern names exactly one job (no glob anywhere)."""
        return not any(_is_glob(p) for p in (self.cluster, self.role, self.env, self.name))

    def as_job_key(self) -> JobKey:
        return JobKey(self.cluster, self.role, self.env, self.name)

    @property
    def fixed_role(self) -> str | None:
        """The role when it is not a glob (a scheduler can filter by it), else None."""
        return None if _is_glob(self.role) else self.role

    def matches(self, key: JobKey) -> bool:
        """Shell-style, case-sensitive match of every component."""
        import fnmatch

        return fnmatch.fnmatchcase(key.cluster, self.cluster) and self.path_matcher()(
            (key.role, key.env, key.name))

    def path_matcher(self) -> Callable[[tuple[str, str, str]], bool]:
        """A fast test of (role, env, name) against this pattern, for long job lists."""
        import fnmatch

        checks = [(i, re.compile(fnmatch.translate(p)).match)
                  for i, p in enumerate((self.role, self.env, self.name)) if p != "*"]
        if not checks:
            return lambda path: True
        return lambda path: all(match(path[i]) for i, match in checks)


def _is_glob(part: str) -> bool:
    return any(c in _GLOB_CHARS for c in part)


def _bad(text: str, problem: str, form: str) -> InvalidParameter:
    return InvalidParameter(f"invalid job key '{text}': {problem}", hint=f"expected {form}")


def _check_identifier(text: str, what: str, value: str, form: str, allow_glob: bool) -> None:
    if not value:
        raise _bad(text, f"the {what} is empty", form)
    if allow_glob and _is_glob(value):
        stripped = re.sub(r"[*?\[\]!]", "", value)
        if stripped and not is_identifier(stripped):
            raise _bad(text, f"{what} pattern '{value}' has characters other than "
                             "letters, digits, '_', '-', '.' and globs", form)
        return
    problem = identifier_problem(what, value)
    if problem:
        raise _bad(text, problem, form)


def identifier_problem(what: str, value: str) -> str | None:
    """Why `value` cannot be a job's role, environment or name (`what`), or None: the
    scheduler's identifier rule, for job keys typed and job files alike."""
    if not is_identifier(value):
        return f"{what} '{value}' may only contain letters, digits, '_', '-' and '.'"
    if len(value) > MAX_IDENTIFIER_LENGTH:
        return (f"{what} '{value[:40]}...' is {len(value)} characters long; at most "
                f"{MAX_IDENTIFIER_LENGTH} are allowed")
    if value in (".", ".."):        # the scheduler allows them; as a path part they are not one
        return f"{what} '{value}' cannot be used: '.' and '..' name folders in every path"
    return None


def _split(text: str, form: str) -> list[str]:
    if not text:
        raise InvalidParameter("the job key is empty", hint=f"expected {form}")
    return text.split("/")


def _validated_job_key(text: str, parts: list[str], form: str) -> JobKey:
    cluster, role, env, name = parts
    if not cluster:
        raise _bad(text, "the cluster is empty", form)
    for what, value in (("role", role), ("environment", env), ("name", name)):
        _check_identifier(text, what, value, form, allow_glob=False)
    return JobKey(cluster, role, env, name)


def parse_job_key(text: str) -> JobKey:
    """Parse `CLUSTER/ROLE/ENV/NAME`."""
    parts = _split(text, JOB_KEY_FORM)
    if len(parts) != 4:
        raise _bad(text, f"it has {len(parts)} part(s) instead of 4", JOB_KEY_FORM)
    return _validated_job_key(text, parts, JOB_KEY_FORM)


def parse_instance_key(text: str) -> InstanceKey:
    """Parse `CLUSTER/ROLE/ENV/NAME[/INSTANCES]`; an empty INSTANCES means all, as upstream."""
    parts = _split(text, INSTANCE_KEY_FORM)
    if len(parts) not in (4, 5):
        raise _bad(text, f"it has {len(parts)} part(s) instead of 4 or 5", INSTANCE_KEY_FORM)
    job = _validated_job_key(text, parts[:4], INSTANCE_KEY_FORM)
    instances = parse_instances(parts[4]) if len(parts) == 5 else None
    return InstanceKey(job, instances)


def parse_task_instance(text: str) -> tuple[JobKey, int]:
    """Parse `CLUSTER/ROLE/ENV/NAME/INSTANCE` with exactly one instance id."""
    parts = _split(text, TASK_INSTANCE_FORM)
    if len(parts) != 5:
        raise _bad(text, f"it has {len(parts)} part(s) instead of 5", TASK_INSTANCE_FORM)
    job = _validated_job_key(text, parts[:4], TASK_INSTANCE_FORM)
    if not _is_number(parts[4]):
        raise _bad(text, f"instance '{parts[4]}' is not a non-negative integer",
                   TASK_INSTANCE_FORM)
    return job, _instance_id(parts[4])


def parse_partial_key(text: str) -> PartialKey:
    """Parse `CLUSTER[/ROLE[/ENV[/NAME]]]`; missing parts match everything."""
    parts = _split(text, PARTIAL_KEY_FORM)
    if len(parts) > 4:
        raise _bad(text, f"it has {len(parts)} parts, at most 4 are allowed", PARTIAL_KEY_FORM)
    if not parts[0]:
        raise _bad(text, "the cluster is empty", PARTIAL_KEY_FORM)
    parts += ["*"] * (4 - len(parts))
    for what, value in zip(("role", "environment", "name"), parts[1:], strict=True):
        _check_identifier(text, what, value, PARTIAL_KEY_FORM, allow_glob=True)
    return PartialKey(*parts)


def parse_page_key(text: str) -> tuple[str, str, str, str]:
    """Parse `CLUSTER[/ROLE[/ENV[/NAME]]]` naming a scheduler web page; missing parts are
    "", and a part may be given only when the ones before it are."""
    parts = text.split("/")
    if len(parts) > 4 or not parts[0]:
        raise InvalidParameter(f"invalid key '{text}'", hint=f"expected {PARTIAL_KEY_FORM}")
    cluster, role, env, name = parts + [""] * (4 - len(parts))
    if (env and not role) or (name and not env):
        raise InvalidParameter(f"invalid key '{text}': a part is empty",
                               hint="If env specified, must specify role (and likewise "
                                    "name needs env)")
    return cluster, role, env, name


def key_parts(text: str) -> list[str]:
    """The parts of a key as typed so far, unchecked (completion offers the next one)."""
    return text.split("/")


def parse_role_key(text: str) -> tuple[str, str]:
    """Parse `CLUSTER/ROLE`."""
    parts = _split(text, ROLE_KEY_FORM)
    if len(parts) != 2 or not parts[0]:
        raise InvalidParameter(f"invalid role '{text}'", hint=f"expected {ROLE_KEY_FORM}")
    _check_identifier(text, "role", parts[1], ROLE_KEY_FORM, allow_glob=False)
    return parts[0], parts[1]


def _instance_id(digits: str) -> int:
    """An instance id from ASCII digits, refused above the bound before int() sees it."""
    value = int(digits) if len(digits) <= len(str(MAX_INSTANCES)) + 2 else MAX_INSTANCES
    if value >= MAX_INSTANCES:
        shown = digits if len(digits) <= 24 else f"{digits[:20]}...({len(digits)} digits)"
        raise InvalidParameter(
            f"invalid instance '{shown}': instance ids run from 0 to {MAX_INSTANCES - 1}",
            hint=f"a job has at most {MAX_INSTANCES} instances")
    return value


def check_instance_count(count: int, what: str = "instance count") -> int:
    """`count` new or listed instances, within 1..MAX_INSTANCES (exit 6 otherwise)."""
    if count <= 0:
        raise InvalidParameter(f"{what} must be positive, got {count}")
    if count > MAX_INSTANCES:
        raise InvalidParameter(f"{what} {count} is more than {MAX_INSTANCES}, the most "
                               "instances a job may have", hint="ask for fewer instances")
    return count


def _range(item: str, text: str) -> range:
    """One `N` or `N-M` item as a range (nothing is listed yet)."""
    bounds = [b.strip() for b in item.split("-")]
    if len(bounds) > 2 or not all(_is_number(b) for b in bounds):
        raise InvalidParameter(
            f"invalid instance list '{text}': '{item}' is not a number or a range",
            hint="use ids and ranges such as 0-3,5,9",
        )
    start, end = _instance_id(bounds[0]), _instance_id(bounds[-1])
    if start > end:
        raise InvalidParameter(
            f"invalid instance range '{item}': the start is greater than the end",
            hint=f"write it as {end}-{start}",
        )
    return range(start, end + 1)


def parse_instances(text: str) -> tuple[int, ...] | None:
    """Parse `0-3,5,9` into sorted unique ids; the empty string means all (None).

    Every bound is checked against MAX_INSTANCES and overlapping ranges are
    merged first, so at most MAX_INSTANCES ids are ever built.
    """
    if text == "":
        return None
    items = text.split(",")
    if len(items) > MAX_INSTANCES:
        raise InvalidParameter(f"invalid instance list: more than {MAX_INSTANCES} items",
                               hint=f"a job has at most {MAX_INSTANCES} instances")
    merged: list[list[int]] = []      # overlapping ranges joined before any id is listed
    for span in sorted((_range(item, text) for item in items), key=lambda r: r.start):
        if merged and span.start <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], span.stop - 1)
        else:
            merged.append([span.start, span.stop - 1])
    return tuple(i for start, end in merged for i in range(start, end + 1))


def format_instances(ids: tuple[int, ...] | list[int]) -> str:
    """Render ids compactly as ranges: (0, 1, 2, 5) -> '0-2,5'."""
    return ",".join(f"{a}" if a == b else f"{a}-{b}" for a, b in instance_ranges(ids))


def instance_ranges(ids: tuple[int, ...] | list[int]) -> list[tuple[int, int]]:
    """Group ids into maximal closed ranges of consecutive numbers."""
    ranges: list[tuple[int, int]] = []
    for i in sorted(set(ids)):
        if ranges and ranges[-1][1] == i - 1:
            ranges[-1] = (ranges[-1][0], i)
        else:
            ranges.append((i, i))
    return ranges
