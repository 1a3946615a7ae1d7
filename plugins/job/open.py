"""`job open`: the scheduler page of a cluster, role, environment or job."""

from __future__ import annotations

from aurora.command import CommandOption, Context, Verb
from aurora.errors import InvalidParameter
from aurora.jobs import job_url, open_in_browser
from aurora.output import Result


class OpenJob(Verb):
    name = "open"
    help = "Show (and open in a browser, when there is one) the scheduler page of a job."
    options = (CommandOption("key", metavar="CLUSTER[/ROLE[/ENV[/NAME]]]",
                             help="what to open: a cluster, role, environment or job"),)

    def execute(self, context: Context) -> Result:
        parts = context.options.key.split("/")
        if len(parts) > 4 or not parts[0]:
            raise InvalidParameter(f"invalid key '{context.options.key}'",
                                   hint="expected CLUSTER[/ROLE[/ENV[/NAME]]]")
        parts += [""] * (4 - len(parts))
        cluster, role, env, name = parts
        if (env and not role) or (name and not env):
            raise InvalidParameter(f"invalid key '{context.options.key}': a part is empty",
                                   hint="If env specified, must specify role (and likewise "
                                        "name needs env)")
        url = job_url(context, cluster, role, env, name)
        opened = open_in_browser(url)
        return Result(data={"url": url, "opened": opened}, text=f"{url}\n")
