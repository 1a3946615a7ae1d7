"""`job open`: the scheduler page of a cluster, role, environment or job."""

from __future__ import annotations

from aurora.command import CommandOption, Context, Verb
from aurora.jobkey import parse_page_key
from aurora.output import Result
from aurora.weblinks import job_url, open_in_browser


class OpenJob(Verb):
    name = "open"
    help = "Show (and open in a browser, when there is one) the scheduler page of a job."
    options = (CommandOption("key", metavar="CLUSTER[/ROLE[/ENV[/NAME]]]",
                             help="what to open: a cluster, role, environment or job"),)

    def execute(self, context: Context) -> Result:
        cluster, role, env, name = parse_page_key(context.options.key)
        url = job_url(context, cluster, role, env, name)
        opened = open_in_browser(url)
        return Result(data={"url": url, "opened": opened}, text=f"{url}\n")
