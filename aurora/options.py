"""Options shared by several nouns (job, cron, quota, update, task, sla, config): names,
defaults and meanings as upstream, declared once so every noun spells them alike."""

from __future__ import annotations

from aurora.command import CommandOption
from aurora.jobkey import parse_instance_key, parse_job_key, parse_partial_key

JOBSPEC = CommandOption("jobspec", metavar="CLUSTER/ROLE/ENV/NAME", type=parse_job_key,
                        help="the job's key")
INSTANCE_SPEC = CommandOption("instance_spec", metavar="CLUSTER/ROLE/ENV/NAME[/INSTANCES]",
                              type=parse_instance_key,
                              help="a job key, optionally with instances such as 0-3,5")
PARTIAL_JOBSPEC = CommandOption("jobspec", metavar="CLUSTER[/ROLE[/ENV[/NAME]]]",
                                type=parse_partial_key,
                                help="a job key; missing parts and shell globs match many jobs")
CONFIG_FILE = CommandOption("config_file", metavar="CONFIG_FILE", help="the job file")
BIND = CommandOption("--bind", dest="bindings", action="append", default=[],
                     metavar="NAME=VALUE", help="bind a {{NAME}} in the job file (repeatable)")
READ_JSON = CommandOption("--read-json", action="store_true", default=False,
                          help="the job file is JSON, not the .aurora DSL")
OPEN_BROWSER = CommandOption("--open-browser", action="store_true", default=False,
                             help="open the job's page in a web browser")
CONFIG = CommandOption("--config", metavar="FILE", default=None,
                       help="job file loaded only to check it before acting")
BATCH_SIZE = CommandOption("--batch-size", type=int, default=1, metavar="N",
                           help="instances per batch (default 1)")
MAX_TOTAL_FAILURES = CommandOption("--max-total-failures", type=int, default=0, metavar="N",
                                   help="failures tolerated before giving up (default 0)")
STRICT = CommandOption("--strict", action="store_true", default=False,
                       help="fail when a requested instance is not active")
MESSAGE = CommandOption("-m", "--message", default=None, metavar="TEXT",
                        help="a message recorded with the action")
WAIT_UNTIL = CommandOption("--wait-until", choices=["PENDING", "RUNNING", "FINISHED"],
                           default="PENDING",
                           help="wait until every new task reaches this state (default: "
                                "PENDING, i.e. do not wait)")
