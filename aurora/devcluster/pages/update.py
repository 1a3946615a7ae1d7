"""`/scheduler/ROLE/ENV/JOB/update/ID`: an update's state, its progress by instance,
its batches, its events and its settings (the page `aurora update start` links to)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from aurora.api.idl import api, status_name
from aurora.devcluster.pages import reads
from aurora.devcluster.pages.markup import (
    Markup,
    escape,
    join,
    link,
    pairs,
    row,
    stamp,
    state,
    table,
)
from aurora.devcluster.pages.overview import update_label
from aurora.devcluster.pages.page import NotFound, Page, Section
from aurora.devcluster.updates import active_states

# phase of an instance in the update's work list -> (css class, label)
PHASES = {"todo": ("todo", "waiting"), "active": ("active", "in progress"),
          "done": ("done", "done"), "failed": ("failed", "failed"),
          "skip": ("skip", "left alone")}
BAR_ORDER = ("done", "failed", "active", "todo", "skip")


def view(handler: Any, parts: list[str]) -> Page:
    role, env, name, _, update_id = parts
    found = reads.update(handler.store, role, env, name, update_id)
    if found is None:
        raise NotFound(f"No update {update_id} of job {role}/{env}/{name} exists on this "
                       "devcluster.")
    u = found.update
    label = update_label(u.status)
    sections = [
        Section("state", "State", summary(found, label)),
        Section("progress", "Progress by instance", progress(found)),
        Section("batches", "Batches", batches(found)),
        Section("events", "Update events", events(found)),
        Section("instance-events", "Instance events", instance_events(found)),
        Section("settings", "Settings", settings(u.settings), live=False),
    ]
    return Page(f"Update {update_id}",
                [(role, ["scheduler", role]), (env, ["scheduler", role, env]),
                 (name, ["scheduler", role, env, name]),
                 (f"update {update_id[:8]}", ["scheduler", role, env, name, "update",
                                              update_id])],
                sections, live=True, poll_ms=1000 if u.status in active_states() else 5000)


def summary(found: reads.UpdateView, label: str) -> Markup:
    u = found.update
    phases = Counter(w[1] for w in found.work)
    changing = len(found.work) - phases.get("skip", 0)
    meta = join((f"{k}={v}" for k, v in (u.metadata or [])), "; ")
    return join([Markup('<dl class="update-state">'), pairs([
        ("state", Markup(f'<span id="update-status">{state(label)}</span>')),
        ("job", link(f"{u.role}/{u.env}/{u.name}", "scheduler", u.role, u.env, u.name)),
        ("started by", u.user or ""), ("started", stamp(u.created_ms)),
        ("last change", stamp(u.modified_ms)),
        ("instances done", Markup(f'<span id="update-done">{phases.get("done", 0)}</span> of '
                                  f'{changing}')),
        ("batches started", u.batch), ("metadata", meta)]), Markup("</dl>")])


def instance_title(found: reads.UpdateView, instance: int, phase: str) -> str:
    action = found.last_action.get(instance)
    status = found.task_status.get(instance)
    text = f"instance {instance}: {PHASES.get(phase, (phase, phase))[1]}"
    if action is not None:
        text += f", {api().JobUpdateAction._VALUES_TO_NAMES.get(action, action)}"
    if status is not None:
        text += f", task {status_name(status)}"
    return text


def progress(found: reads.UpdateView) -> Markup:
    """A bar of the instances by phase, then one cell per instance in its phase's colour."""
    phases = Counter(w[1] for w in found.work)
    total = max(1, len(found.work))
    bar = join(Markup(f'<span class="bar-{cls}" data-w="{100 * phases[p] / total:.2f}">'
                      f'</span>') for p in BAR_ORDER for cls in [PHASES[p][0]] if phases.get(p))
    legend = join((Markup(f'<span class="cell ph-{cls}"></span> {escape(label)} {phases[p]}')
                   for p in BAR_ORDER for cls, label in [PHASES[p]] if phases.get(p)), " · ")
    cells = join(Markup(f'<span class="cell ph-{PHASES.get(phase, ("todo",))[0]}" '
                        f'data-instance="{instance}" data-phase="{escape(phase)}" '
                        f'title="{escape(instance_title(found, instance, phase))}">'
                        f'{instance}</span>') for instance, phase, _, _ in found.work)
    return join([Markup(f'<div class="bar">{bar}</div><p class="legend">'), legend,
                 Markup(f'</p><div class="grid">{cells}</div>')])


def batches(found: reads.UpdateView) -> Markup:
    """Instances started together (they share the task floor their action began at)."""
    groups: dict[int, list[tuple[int, str]]] = {}
    for instance, phase, _, floor in found.work:
        if phase != "todo" and phase != "skip" and floor:
            groups.setdefault(floor, []).append((instance, phase))
    rows = []
    for number, floor in enumerate(sorted(groups), 1):
        members = groups[floor]
        done = Counter(phase for _, phase in members)
        rows.append(row(number, join((str(i) for i, _ in members), ", "),
                        join((f"{PHASES[p][1]} {n}" for p, n in sorted(done.items())), ", ")))
    waiting = sum(1 for w in found.work if w[1] == "todo")
    tail = Markup(f'<p class="legend">{waiting} instance(s) not started yet.</p>')
    return join([table(["batch", "instances", "instances by phase"], rows,
                       "No batch started yet."), tail])


def events(found: reads.UpdateView) -> Markup:
    rows = [row(stamp(ts), state(update_label(status)), user or "", message or "")
            for ts, status, user, message in reversed(found.events)]
    return table(["time", "state", "by", "message"], rows, "No events.")


def instance_events(found: reads.UpdateView) -> Markup:
    names = api().JobUpdateAction._VALUES_TO_NAMES
    rows = [row(stamp(ts), instance, state(names.get(action, str(action))), message or "")
            for instance, ts, action, message in found.instance_events]
    shown = table(["time", "instance", "action", "message"], rows, "No instance events yet.")
    if found.instance_events_total > len(rows):
        shown = join([shown, Markup(f'<p class="legend">newest {len(rows)} of '
                                    f'{found.instance_events_total}</p>')])
    return shown


def settings(s: Any) -> Markup:
    """The update's settings as the client sent them."""
    strategy = ""
    if s.updateStrategy is not None:
        st = s.updateStrategy
        if st.queueStrategy is not None:
            strategy = f"queue of {st.queueStrategy.groupSize}"
        elif st.batchStrategy is not None:
            strategy = (f"batches of {st.batchStrategy.groupSize}" +
                        (", pause after each" if st.batchStrategy.autopauseAfterBatch else ""))
        elif st.varBatchStrategy is not None:
            strategy = ("batches of " + ", ".join(map(str, st.varBatchStrategy.groupSizes or []))
                        + (", pause after each" if st.varBatchStrategy.autopauseAfterBatch
                           else ""))
    only = ", ".join(f"{r.first}-{r.last}" for r in sorted(
        s.updateOnlyTheseInstances or (), key=lambda r: r.first))
    return join([Markup("<dl>"), pairs([
        ("group size", s.updateGroupSize), ("strategy", strategy or "default"),
        ("max failures per instance", s.maxPerInstanceFailures),
        ("max failed instances", s.maxFailedInstances),
        ("min time running (ms)", s.minWaitInInstanceRunningMs),
        ("roll back on failure", "yes" if s.rollbackOnFailure else "no"),
        ("wait for batch completion", "yes" if s.waitForBatchCompletion else "no"),
        ("pulse required every (ms)", s.blockIfNoPulsesAfterMs or ""),
        ("SLA aware", "yes" if s.slaAware else "no"),
        ("only these instances", only or "all")]), Markup("</dl>")])
