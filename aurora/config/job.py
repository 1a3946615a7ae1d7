"""The one way commands get a job from a file: load, pick, bind, validate, convert."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aurora.config.loader import ConfigError, load, one_line, parse_bindings, pick
from aurora.errors import AuroraError
from aurora.jobkey import JobKey


@dataclass
class JobConfig:
    path: str
    job: Any            # the bound pystachio Job
    thrift: Any         # the JobConfiguration sent to the scheduler
    hooks: list[Any]

    @property
    def instances(self) -> int:
        return int(self.thrift.instanceCount)


def fits_the_wire(path: str, thrift: Any) -> Any:
    """`thrift`, once it is known to encode: a number too big for its field
    (ram = 2**70*MB) is the job file's error (exit 3), not a failed call."""
    from thriftpy2.thrift import TException

    from aurora.api.idl import serialize

    try:
        serialize(thrift)
    except (TException, OverflowError, ValueError, TypeError) as exc:
        raise ConfigError(f"{path}: a value does not fit its field: {one_line(str(exc))}",
                          hint="check the sizes and counts in the job file") from None
    return thrift


def load_job(path: str, key: JobKey, bindings: list[str] | None = None,
             read_json: bool = False, tiers: Any | Callable[[], Any] | None = None,
             warn: Callable[[str], None] | None = None,
             docker_registry: str | None = None) -> JobConfig:
    """Everything between a job file on disk and the JobConfiguration to submit.

    `tiers` may be a callable: the scheduler is then asked only once the file
    has loaded and the job is picked, so file errors never wait on the network
    (upstream reads the file first too).
    """
    from aurora.config.convert import backfill_tier, to_thrift
    from aurora.config.costbound import Budget
    from aurora.config.docker import bind_docker_images, image_references

    budget = Budget(path)           # the scheduler's and the registry's time not counted
    warn = warn or (lambda message: None)
    try:
        with budget.spend():
            config = load(path, read_json=read_json)
            job = pick(config, key, parse_bindings(bindings or []))
            images = image_references(job)
        job = bind_docker_images(job, docker_registry, images)
        if job.has_production() and job.production().get() is True and not job.has_tier():
            warn(f"{path}: job {key.name}: 'production' is deprecated; set tier = "
                 "'preferred' instead")
        with budget.spend():
            checked = convert_job(path, job, warn)    # input errors before any scheduler call
        backfilled = backfill_tier(job, tiers() if callable(tiers) else tiers)
        with budget.spend():
            thrift = checked if backfilled is job else to_thrift(backfilled)
        job = backfilled
    except (AuroraError, MemoryError):   # ours, with their own exit code (tier RPC's too)
        raise
    except Exception as exc:   # pystachio and conversion errors: one line, exit 3
        raise _invalid(path, exc) from None
    return JobConfig(path, job, thrift, config.hooks)


def _invalid(path: str, exc: Exception) -> ConfigError:
    return ConfigError(f"{path}: The configuration was invalid: "
                       f"{one_line(f'{type(exc).__name__}: {exc}')}")


def convert_job(path: str, job: Any, warn: Callable[[str], None] | None = None) -> Any:
    """Validate a picked, bound job and convert it to the JobConfiguration to send."""
    from aurora.config.convert import to_thrift
    from aurora.config.validate import validate

    try:
        validate(path, job, warn or (lambda message: None))
        return fits_the_wire(path, to_thrift(job))
    except AuroraError:
        raise
    except Exception as exc:   # pystachio and conversion errors: one line, exit 3
        raise _invalid(path, exc) from None
