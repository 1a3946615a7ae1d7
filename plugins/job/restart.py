"""`job restart`: a client-driven rolling restart, batch by batch, as upstream.

Each batch is restarted with restartShards, then watched: an instance is
healthy once the same new task has been RUNNING for `--watch-secs`; it fails
when its task changes again, or when it is not RUNNING within
`--restart-threshold` seconds (upstream waits forever). Failed instances are
retried at the end of the queue until the failure limits are reached.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from aurora import options as opt
from aurora.command import CommandOption, Context, Verb
from aurora.config.aurora_config import AuroraJobKey
from aurora.durations import seconds_option
from aurora.errors import CommandFailure, InvalidParameter
from aurora.job_file_hooks import hooked
from aurora.jobkey import JobKey, format_instances
from aurora.jobs import hooks_config, thrift_key
from aurora.output import Result, StatusLine, emit_err, stamped
from aurora.tasks import active_instances_or_raise, active_tasks
from aurora.weblinks import job_page, open_in_browser

FIRST_POLL_SECONDS = 0.1     # replacements are often RUNNING within moments


class Progress:
    """What the restart shows on stderr. On a terminal: one line redrawn at least every
    second, with the time so far, the instances restarted, and what the batch waits
    for; otherwise a line as each batch starts and one as it ends."""

    def __init__(self, total: int, watch_secs: float, threshold: float,
                 line: StatusLine | None = None):
        self.total, self.watch_secs, self.threshold = total, watch_secs, threshold
        self.line = line or StatusLine()
        self.done = 0
        self.batch: list[int] = []
        self.batch_started = 0.0
        self.running_since: dict[int, float] = {}   # instance -> first seen RUNNING anew
        self.finished: set[int] = set()              # healthy or failed, in this batch

    def starting(self, batch: list[int]) -> None:
        """A batch begins (off a terminal, say what it waits for: it can take minutes)."""
        self.batch, self.batch_started = batch, self.line.clock()
        self.running_since, self.finished = {}, set()
        if self.line.tty:
            self.line.show(self.render())
        else:
            self.line.note(f"Restarting instances {batch}; watching them stay RUNNING "
                           f"for {self.watch_secs}s")

    def watched(self, running_since: dict[int, float], finished: set[int]) -> None:
        """What the last poll saw; redrawn at once on a terminal."""
        self.running_since, self.finished = dict(running_since), set(finished)
        if self.line.tty and len(self.finished) < len(self.batch):   # else `update` draws
            self.line.show(self.render())

    def pause(self, seconds: float) -> None:
        self.line.wait(seconds, self.render)

    def render(self) -> str:
        text = stamped(self.line.elapsed(), f"{self.done}/{self.total} restarted")
        waiting = self.waiting_for(self.line.clock())
        return f"{text}, batch {format_instances(self.batch)}: {waiting}" if waiting else text

    def waiting_for(self, now: float) -> str:
        """The instance the batch waits for longest: one not yet RUNNING anew, else the
        one watched the shortest."""
        left = [i for i in self.batch if i not in self.finished]
        if not left:
            return ""
        starting = [i for i in left if i not in self.running_since]
        if starting:
            waited = int(now - self.batch_started)
            return (f"instance {starting[0]} not RUNNING yet "
                    f"({waited}/{self.threshold:g} s allowed)")
        instance = max(left, key=lambda i: self.running_since[i])
        secs = min(int(now - self.running_since[instance]), int(self.watch_secs))
        return f"instance {instance} RUNNING, watching {secs}/{self.watch_secs:g} s"

    def update(self, done: list[int], batch: list[int]) -> None:
        self.done = len(done)
        self.batch, self.finished = [], set()
        if self.line.tty:
            self.line.show(self.render())
        else:
            self.line.note(f"Restarted instances {batch} ({len(done)}/{self.total})")

    def close(self) -> None:
        self.line.close()


class Watcher:
    def __init__(self, context: Context, key: JobKey, progress: Progress):
        self.context = context
        self.key = key
        self.progress = progress
        o = context.options
        self.watch_secs = o.watch_secs
        self.interval = o.healthcheck_interval_seconds
        self.threshold = o.restart_threshold

    def watch(self, batch: list[int], old_ids: dict[int, str]) -> list[int]:
        """Ids of `batch` that did not come back healthy."""
        from aurora.api.idl import api

        s = api().ScheduleStatus
        client = self.context.scheduler(self.key.cluster)
        query = api().TaskQuery(jobKeys=[thrift_key(self.key)], statuses={s.RUNNING},
                                instanceIds=set(batch))
        started = time.monotonic()
        delay = min(FIRST_POLL_SECONDS, self.interval)
        first_seen: dict[int, tuple[str, float]] = {}
        healthy: set[int] = set()
        failed: set[int] = set()
        while len(healthy) + len(failed) < len(batch):
            running = {t.assignedTask.instanceId: t.assignedTask.taskId
                       for t in client.get_tasks_without_configs(query)}
            now = time.monotonic()
            for instance in batch:
                if instance in healthy or instance in failed:
                    continue
                task_id = running.get(instance)
                if task_id is None or task_id == old_ids.get(instance):
                    if instance in first_seen or now - started > self.threshold:
                        failed.add(instance)      # went away, or never came back
                    continue
                seen_id, since = first_seen.setdefault(instance, (task_id, now))
                if seen_id != task_id:
                    failed.add(instance)          # restarted again: not healthy
                elif now - since >= self.watch_secs:
                    healthy.add(instance)
            self.progress.watched({i: since for i, (_, since) in first_seen.items()},
                                  healthy | failed)
            if len(healthy) + len(failed) < len(batch):
                self.progress.pause(delay)    # soon after the batch, then backing off
                delay = min(delay * 2, self.interval)
        return sorted(failed)


@dataclass
class RestartSettings:
    """What restart hooks get as their third argument (upstream's attribute names)."""
    batch_size: int
    restart_threshold: int
    watch_secs: int
    max_per_instance_failures: int
    max_total_failures: int
    health_check_interval_seconds: float


class RestartJob(Verb):
    name = "restart"
    changes_state = True
    help = "Restart the instances of a job in batches, watching each batch come back."
    options = (opt.BATCH_SIZE, opt.BIND, opt.OPEN_BROWSER, opt.CONFIG,
               CommandOption("--force", action="store_true", default=False,
                             help="accepted for compatibility; has no effect"),
               CommandOption("--healthcheck-interval-seconds", type=float, default=3,
                             metavar="N", help="seconds between health polls (default 3)"),
               opt.READ_JSON, opt.MAX_TOTAL_FAILURES, opt.STRICT,
               CommandOption("--watch-secs", type=seconds_option("--watch-secs"), default=30,
                             metavar="N", help="seconds an instance must stay RUNNING "
                                               "(default 30; 2m, 1h3m10s also work)"),
               CommandOption("--max-per-instance-failures", type=int, default=0, metavar="N",
                             help="restart failures tolerated per instance (default 0)"),
               CommandOption("--restart-threshold", type=seconds_option("--restart-threshold"),
                             default=120, metavar="N",
                             help="seconds an instance may take to run again (default 120)"),
               opt.INSTANCE_SPEC)

    def execute(self, context: Context) -> Result:
        o = context.options
        key: JobKey = o.instance_spec.job
        if o.max_total_failures < 0:
            raise InvalidParameter(f"--max-total-failures must be 0 or more, got "
                                   f"{o.max_total_failures}")
        if o.batch_size <= 0:
            raise InvalidParameter(f"--batch-size must be positive, got {o.batch_size}")
        requested = o.instance_spec.instances
        if requested is not None and o.strict:
            active_instances_or_raise(context.scheduler(key.cluster), key, requested)
        config = hooks_config(context, key)
        tasks = {t.assignedTask.instanceId: t.assignedTask.taskId
                 for t in active_tasks(context.scheduler(key.cluster), key)}
        if not tasks:
            raise InvalidParameter(f"No active instances found in job {key}; nothing to restart",
                                   hint=f"check the job key, e.g. aurora job status {key}")
        queue = sorted(tasks) if requested is None else [i for i in requested if i in tasks]
        settings = RestartSettings(o.batch_size, o.restart_threshold, o.watch_secs,
                                   o.max_per_instance_failures, o.max_total_failures,
                                   o.healthcheck_interval_seconds)
        restarted: list[int] = []

        def restart() -> object:
            done, response = self.rolling_restart(context, key, queue, tasks)
            restarted.extend(done)
            return response
        job_key = AuroraJobKey.of(key)
        shards = list(requested) if requested is not None else None
        hooked(context, config, job_key, "restart", (job_key, shards, settings),
               {"config": config}, restart)
        if o.open_browser:
            open_in_browser(job_page(context, key))
        return Result(data={"job": str(key), "restarted": restarted},
                      text=f"Job {key} restarted successfully\n")

    def rolling_restart(self, context: Context, key: JobKey, queue: list[int],
                        old_ids: dict[int, str]) -> tuple[list[int], object]:
        """Restart `queue` batch by batch: (instances back healthy, last restartShards Response)."""
        o = context.options
        client = context.scheduler(key.cluster)
        progress = Progress(len(set(queue)), o.watch_secs, o.restart_threshold)
        watcher = Watcher(context, key, progress)
        failures: dict[int, int] = {}
        done: list[int] = []
        batch: list[int] = []
        from aurora.api.idl import api

        response = api().Response(responseCode=api().ResponseCode.OK)   # nothing to restart
        try:
            while queue:
                batch, queue = queue[:o.batch_size], queue[o.batch_size:]
                progress.starting(batch)
                response = client.restart_shards(thrift_key(key), set(batch))
                failed = watcher.watch(batch, old_ids)
                done += [i for i in batch if i not in failed]
                progress.update(done, [i for i in batch if i not in failed])
                for instance in failed:
                    failures[instance] = failures.get(instance, 0) + 1
                    if failures[instance] <= o.max_per_instance_failures:
                        queue.append(instance)
                exceeded = [i for i, n in failures.items() if n > o.max_per_instance_failures]
                if len(exceeded) > o.max_total_failures:
                    raise CommandFailure(
                        f"Restart of {key} stopped: instances {sorted(exceeded)} did not come "
                        f"back healthy", hint=f"restarted so far: {sorted(done)}")
        except KeyboardInterrupt:
            progress.close()
            waiting = sorted(set(queue) - set(done) - set(batch))
            emit_err(f"Restart interrupted: restarted {sorted(done) or 'none'}; "
                     f"restarting (not yet watched healthy) {sorted(batch) or 'none'}; "
                     f"not restarted {waiting or 'none'}")
            raise
        finally:
            progress.close()
        return sorted(done), response
