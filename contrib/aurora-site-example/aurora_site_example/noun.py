"""A site noun with two verbs, and a verb added to the built-in `job` noun."""

from __future__ import annotations

import getpass
from typing import Any

from aurora.command import CommandOption, Context, Noun, Verb
from aurora.hookspecs import hookimpl
from aurora.jobkey import parse_job_key
from aurora.output import Result


class Clusters(Verb):
    name = "clusters"
    help = "List the clusters this machine knows, with their scheduler endpoints."

    def execute(self, context: Context) -> Result:
        rows = [{"cluster": name, "scheduler_uri": c.get("scheduler_uri") or "",
                 "zk": c.get("zk") or ""} for name, c in sorted(context.clusters.items())]
        return Result(data=rows, columns=["cluster", "scheduler_uri", "zk"])


class WhoAmI(Verb):
    name = "whoami"
    help = "Show who you are to a cluster and how you authenticate."
    options = (CommandOption("cluster", help="a cluster name"),)

    def execute(self, context: Context) -> Result:
        cluster = context.get_cluster(context.options.cluster)
        data = {"user": getpass.getuser(), "cluster": cluster.name,
                "auth_mechanism": cluster.get("auth_mechanism")}
        return Result(data=data, text=f"{data['user']} on {cluster.name} "
                                      f"({data['auth_mechanism']})\n")


class JobOwner(Verb):
    name = "owner"
    help = "Show who created a job (the owner recorded by the scheduler)."
    options = (CommandOption("jobspec", type=parse_job_key, metavar="CLUSTER/ROLE/ENV/NAME"),)

    def execute(self, context: Context) -> Result:
        from aurora.tasks import active_tasks

        key = context.options.jobspec
        tasks = active_tasks(context.scheduler(key.cluster), key)
        owners = sorted({t.assignedTask.task.owner.user for t in tasks
                         if t.assignedTask.task.owner})
        return Result(data={"job": str(key), "owners": owners},
                      text="".join(f"{o}\n" for o in owners) or "nobody\n",
                      exit_code=0 if owners else 6)


class SiteNoun(Noun):
    name = "site"
    help = "Things only our site has (example plugin)."


@hookimpl
def register_nouns(cli: Any) -> None:
    cli.register_noun(SiteNoun().with_verbs(Clusters(), WhoAmI()))


@hookimpl
def register_verbs(cli: Any) -> None:
    cli.add_verb("job", JobOwner())
