"""The `quota` noun: what a role may use and what it uses (`get`), and `set` for admins."""

from __future__ import annotations

import math
import re
from typing import Any

from aurora.command import CommandOption, Context, Noun, Verb
from aurora.errors import InvalidParameter
from aurora.hookspecs import hookimpl
from aurora.jobkey import parse_role_key
from aurora.output import Result
from aurora.thrift_json import thrift_json, tidy_number

ROLE = CommandOption("role", metavar="CLUSTER/ROLE", type=parse_role_key,
                     help="the cluster and role")
SECTIONS = (("prodSharedConsumption", "Production shared pool resources consumed:"),
            ("prodDedicatedConsumption", "Production dedicated pool resources consumed:"),
            ("nonProdSharedConsumption", "Non-production shared pool resources consumed:"),
            ("nonProdDedicatedConsumption", "Non-production dedicated pool resources consumed:"))
MAX_SIZE_MB = 2**40      # 1 EiB: more is a typo, and the wire's 64-bit field overflows soon after
MAX_CPUS = 1_000_000
UNITS = {"": 1, "B": 1 / 2**20, "K": 1 / 1024, "KB": 1 / 1024, "M": 1, "MB": 1,
         "G": 1024, "GB": 1024, "T": 2**20, "TB": 2**20}


def resource_lines(aggregate: Any) -> list[str]:
    """CPU, RAM, Disk, Port, GPU lines of a ResourceAggregate, as `job status` shows them."""
    order = {"numCpus": 0, "ramMb": 1, "diskMb": 2, "namedPort": 3, "numGpus": 4}
    lines = []
    for resource in sorted(aggregate.resources or [], key=lambda r: min(
            order[f] for f in order if getattr(r, f) is not None)):
        if resource.numCpus is not None:
            lines.append(f"  CPU: {tidy_number(resource.numCpus)} core(s)")
        elif resource.ramMb is not None:
            lines.append(f"  RAM: {resource.ramMb} MB")
        elif resource.diskMb is not None:
            lines.append(f"  Disk: {resource.diskMb} MB")
        elif resource.namedPort is not None:
            lines.append(f"  Port: {resource.namedPort}")
        elif resource.numGpus is not None:
            lines.append(f"  GPU: {resource.numGpus} GPU(s)")
    return lines


QUOTA_COLUMNS = ["pool", "cpus", "ram_mb", "disk_mb", "gpus"]
RESOURCE_COLUMNS = {"numCpus": "cpus", "ramMb": "ram_mb", "diskMb": "disk_mb",
                    "numGpus": "gpus"}


def quota_row(pool: str, aggregate: Any) -> dict[str, Any]:
    """One table row: a pool (allocated, or where it is consumed) and its resources."""
    row: dict[str, Any] = {"pool": pool, "cpus": 0, "ram_mb": 0, "disk_mb": 0, "gpus": 0}
    for resource in aggregate.resources or []:
        for field, column in RESOURCE_COLUMNS.items():
            if getattr(resource, field) is not None:
                row[column] = tidy_number(getattr(resource, field))
    return row


class GetQuota(Verb):
    name = "get"
    help = "Show a role's quota and what its production and other jobs consume."
    options = (ROLE,)

    def execute(self, context: Context) -> Result:
        from aurora.api.client import Refusal

        cluster, role = context.options.role
        context.print_stderr(f"Getting quota for: {role}")
        result = context.scheduler(cluster).get_quota(
            role, refused=Refusal(f"Error retrieving quota for role {role}:"))
        lines = ["Allocated:", *resource_lines(result.quota)]
        rows = [quota_row("allocated", result.quota)]
        for field, title in SECTIONS:
            if getattr(result, field) is not None:
                lines += [title, *resource_lines(getattr(result, field))]
                rows.append(quota_row(field, getattr(result, field)))
        return Result(data=thrift_json(result), text="\n".join(lines) + "\n", rows=rows,
                      columns=QUOTA_COLUMNS)


def size_mb(text: str, what: str) -> int:
    """'4GB', '512MB', '1.5G' or a plain number of MB, as whole megabytes."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?B?|)\s*", text.upper())
    if not match or match.group(2) not in UNITS:
        raise InvalidParameter(f"invalid {what} size '{text}'",
                               hint="use a number with a unit, e.g. 512MB or 4GB")
    size = float(match.group(1)) * UNITS[match.group(2)]
    if not math.isfinite(size) or size > MAX_SIZE_MB:
        raise InvalidParameter(f"{what} size '{text}' is more than {MAX_SIZE_MB} MB (1 EiB)",
                               hint="check the number and its unit")
    return int(size)


class SetQuota(Verb):
    name = "set"
    changes_state = True
    help = "Set a role's quota (scheduler administrators only)."
    options = (ROLE,
               CommandOption("--cpus", type=float, required=True, metavar="N",
                             help="CPU cores"),
               CommandOption("--ram", required=True, metavar="SIZE", help="RAM, e.g. 16GB"),
               CommandOption("--disk", required=True, metavar="SIZE", help="disk, e.g. 100GB"))

    def execute(self, context: Context) -> Result:
        from aurora.api.client import Refusal
        from aurora.api.idl import api

        a = api()
        o = context.options
        cluster, role = o.role
        if not 0 <= o.cpus <= MAX_CPUS:     # also refuses nan and inf
            raise InvalidParameter(f"--cpus must be from 0 to {MAX_CPUS}, got {o.cpus:g}")
        ram, disk = size_mb(o.ram, "RAM"), size_mb(o.disk, "disk")
        quota = a.ResourceAggregate(resources={a.Resource(numCpus=o.cpus),
                                               a.Resource(ramMb=ram), a.Resource(diskMb=disk)})
        context.scheduler(cluster).call(
            "setQuota", role, quota, refused=Refusal(f"Error setting quota for role {role}:"))
        return Result(data={"role": role, "cpus": o.cpus, "ram_mb": ram, "disk_mb": disk},
                      text=f"Quota for {cluster}/{role} set to {o.cpus:g} CPU, {ram} MB RAM, "
                           f"{disk} MB disk\n")


class QuotaNoun(Noun):
    name = "quota"
    help = "See and set role quotas."


@hookimpl
def register_nouns(cli: Any) -> None:
    cli.register_noun(QuotaNoun().with_verbs(GetQuota(), SetQuota()))
