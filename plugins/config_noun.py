"""The `config` noun: `config list FILE` shows the jobs a job file defines.

No scheduler is contacted and nothing is validated: it reads the file, applies
`--bind`, and lists each job's key as the file spells it.
"""

from __future__ import annotations

from typing import Any

from aurora import options as opt
from aurora.command import CommandOption, Context, Noun, Verb
from aurora.hookspecs import hookimpl
from aurora.output import Result


class ListConfig(Verb):
    name = "list"
    help = "List the jobs a job file defines (no scheduler needed)."
    options = (opt.BIND, opt.READ_JSON,
               CommandOption("config_file", metavar="CONFIG_FILE", help="the job file"))

    def execute(self, context: Context) -> Result:
        from aurora.config.costbound import Budget
        from aurora.config.loader import job_keys, load, parse_bindings

        o = context.options
        with Budget(o.config_file).spend():
            config = load(o.config_file, read_json=o.read_json)
            keys = job_keys(config, parse_bindings(o.bindings))
        return Result(data={"jobs": keys}, text=f"jobs=[{', '.join(keys)}]\n",
                      rows=[{"job": k} for k in keys])


class ConfigNoun(Noun):
    name = "config"
    help = "Look inside job files."


@hookimpl
def register_nouns(cli: Any) -> None:
    cli.register_noun(ConfigNoun().with_verbs(ListConfig()))
