"""Helpers job files use to build tasks: ordering, combining, option strings.

Each helper behaves as the upstream client's helper of the same name, so that
existing job files produce the same tasks.
"""

from __future__ import annotations

from typing import Any

from pystachio import Empty

from aurora.config.schema import GB, Constraint, Process, Resources, Task


def _process_name(item: Any) -> str:
    if isinstance(item, Process):
        return str(item.name().get()) if item.has_name() else ""
    if isinstance(item, str):
        return item
    raise ValueError(f"Unknown value for process order: {item!r}")


def order(*items: Any) -> list[Constraint]:
    """`order(a, b, c)`: a must finish before b starts, b before c."""
    return [Constraint(order=[_process_name(i) for i in items])]


class Units:
    """Arithmetic on task parts, used by `combine_tasks` and `concat_tasks`."""

    @staticmethod
    def safe_get(value: Any) -> Any:
        return 0 if value is Empty else value.get()

    @classmethod
    def _resources(cls, resources: list[Any], pick: Any) -> Resources:
        fields = ("cpu", "ram", "disk", "gpu")
        values: dict[str, list[Any]] = {f: [] for f in fields}
        for res in resources:
            for f in fields:
                values[f].append(cls.safe_get(getattr(res, f)()))
        return Resources(**{f: pick(v) if v else 0 for f, v in values.items()})

    @classmethod
    def resources_sum(cls, *resources: Any) -> Resources:
        return cls._resources([r for r in resources if r is not Empty], sum)

    @classmethod
    def resources_max(cls, *resources: Any) -> Resources:
        return cls._resources([r for r in resources if r is not Empty], max)

    @classmethod
    def finalization_wait_sum(cls, *waits: Any) -> int:
        return sum(cls.safe_get(w) for w in waits)

    @classmethod
    def finalization_wait_max(cls, *waits: Any) -> int:
        return max([cls.safe_get(w) for w in waits] or [0])

    @staticmethod
    def processes_merge(tasks: list[Task]) -> list[Process]:
        """Every task's processes once, in the order upstream's `list(set(...))` gave
        them under Python 2 (the executor data must match it byte for byte)."""
        return _distinct_in_py2_set_order([p for task in tasks for p in task.processes()])

    @staticmethod
    def constraints_merge(tasks: list[Task]) -> list[Constraint]:
        return _distinct_in_py2_set_order([c for task in tasks for c in task.constraints()])


def _distinct_in_py2_set_order(items: list[Any]) -> list[Any]:
    from aurora.config.py2order import set_order

    distinct: list[Any] = []
    for item in items:
        if item not in distinct:
            distinct.append(item)
    try:
        return set_order(distinct)
    except TypeError:       # a value Python 2 hashed otherwise (huge ints): first seen
        return distinct


def _task_resources(task: Task) -> Any:
    return task.resources() if task.has_resources() else Empty


def combine_tasks(*tasks: Task, **overrides: Any) -> Task:
    """All processes run side by side; resources add up."""
    if not tasks:
        return Task()
    base = tasks[-1]
    return base(processes=Units.processes_merge(list(tasks)),
                constraints=Units.constraints_merge(list(tasks)),
                resources=Units.resources_sum(*[_task_resources(t) for t in tasks]),
                finalization_wait=Units.finalization_wait_max(
                    *[t.finalization_wait() for t in tasks]))(**overrides)


def concat_tasks(*tasks: Task, **overrides: Any) -> Task:
    """Stages: every process of task k finishes before task k+1's processes start."""
    if not tasks:
        return Task()
    constraints = Units.constraints_merge(list(tasks))
    for first, second in zip(tasks, tasks[1:], strict=False):
        for p1 in first.processes():
            for p2 in second.processes():
                if p1 != p2:
                    constraints.extend(order(p1, p2))
    base = tasks[-1]
    return base(processes=Units.processes_merge(list(tasks)), constraints=constraints,
                resources=Units.resources_max(*[_task_resources(t) for t in tasks]),
                finalization_wait=Units.finalization_wait_sum(
                    *[t.finalization_wait() for t in tasks]))(**overrides)


def SequentialTask(*args: Any, **kwargs: Any) -> Task:  # noqa: N802 - name job files use
    """A Task whose processes run one after another, in list order."""
    fields: dict[str, Any] = {}
    for arg in args:        # a Task's own values, not their plain data: their classes stay
        fields.update({k: v for k, v in arg._schema_data.items() if v is not Empty}
                      if isinstance(arg, Task) else arg)
    task = Task(**fields, **kwargs)
    if task.constraints().get():
        raise ValueError("Cannot turn a Task with existing constraints into a SequentialTask!")
    return task(constraints=order(*task.processes()))


def SimpleTask(name: str, command: str) -> Task:  # noqa: N802 - name job files use
    """One process, modest resources: the smallest useful task."""
    return Task(name=name, processes=[Process(name=name, cmdline=command)],
                resources=Resources(cpu=1.0, ram=1 * GB, disk=1 * GB))


def _render_options(long_prefix: Any, *options: Any, **kw_options: Any) -> str:
    words: list[str] = []

    def add(name: str, value: Any) -> None:
        words.append(f"{long_prefix(name)}{name}")
        if value:
            words.append(str(value))

    for option in options:
        if isinstance(option, dict):
            for name, value in option.items():
                add(name, value)
        else:
            words.append(f"{long_prefix(str(option))}{option}")
    for name, value in kw_options.items():
        add(name, value)
    return " ".join(words)


def java_options(*options: Any, **kw_options: Any) -> str:
    """`-name value` options for a JVM command line."""
    return _render_options(lambda name: "-", *options, **kw_options)


def python_options(*options: Any, **kw_options: Any) -> str:
    """`-x` for one-letter names, `--name` for longer ones."""
    return _render_options(lambda name: "-" if len(name) == 1 else "--", *options, **kw_options)


class Options:
    java = staticmethod(java_options)
    python = staticmethod(python_options)


class Processes:
    order = staticmethod(order)


class Tasks:
    combine = staticmethod(combine_tasks)
    concat = staticmethod(concat_tasks)
    simple = staticmethod(SimpleTask)
    sequential = staticmethod(SequentialTask)
