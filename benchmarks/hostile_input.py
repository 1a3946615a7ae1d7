"""Hostile input: the checked-in corpus plus N generated command lines and job files.

Prints the inputs tried, the exit-code histogram and the failures (exit 20, a
traceback, a message longer than one line, a control character on the terminal;
target: none), and refreshes the "Hostile input" section of docs/reliability.md.
A sample of the corpus also runs through the real `aurora` executable.

    .venv/bin/python benchmarks/hostile_input.py [N] [--no-write]
"""

from __future__ import annotations

import collections
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.hostile import (  # noqa: E402
    Sandbox,
    aurora_executable,
    load_cases,
    run_generated,
)

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "reliability.md"
BEGIN, END = "<!-- hostile:begin -->", "<!-- hostile:end -->"
INTRO = ("# Reliability\n\nHow the client and the devcluster behave under faults and "
         "hostile input, measured by scripts in `benchmarks/`; each section is rewritten by "
         "the script named in it.\n")
MEANING = {0: "success", 3: "invalid configuration", 4: "command failed",
           5: "invalid command line", 6: "invalid parameter", 7: "network error",
           9: "timeout", 10: "scheduler error", 20: "unexpected error", 30: "auth",
           130: "interrupted"}


def measure(count: int) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        sandbox = Sandbox(Path(folder))
        cases = load_cases()
        started = time.perf_counter()
        corpus = [(list(c.argv), sandbox.run_inprocess(list(c.argv), c.config), c.codes)
                  for c in cases]
        generated = [(argv, outcome, None) for argv, outcome in run_generated(sandbox, count)]
        inprocess_seconds = time.perf_counter() - started
        started = time.perf_counter()
        sample = [(list(c.argv), sandbox.run(c, aurora_executable()), c.codes)
                  for c in cases[::5]]
        real_seconds = time.perf_counter() - started
    results = corpus + generated + sample
    failures = [(argv, outcome.problem(codes) if codes else outcome.problem())
                for argv, outcome, codes in results]
    return {"corpus": len(corpus), "generated": len(generated), "real": len(sample),
            "histogram": collections.Counter(int(o.code) for _, o, _ in results),
            "failures": [(a, p) for a, p in failures if p],
            "seconds": (inprocess_seconds, real_seconds)}


def section(figures: dict, count: int) -> str:
    total = figures["corpus"] + figures["generated"] + figures["real"]
    rows = "".join(f"| {code} | {MEANING.get(code, '?')} | {n} |\n"
                   for code, n in sorted(figures["histogram"].items()))
    return (f"{BEGIN}\n## Hostile input\n\nRegenerate with `.venv/bin/python "
            f"benchmarks/hostile_input.py {count}`. Inputs tried: {total} — the "
            f"{figures['corpus']} cases of `tests/fixtures/hostile/argv.txt` (command lines, "
            f"job files, clusters.json and client.toml files), {figures['generated']} "
            f"generated command lines each with a generated job file (seeded, so the same "
            f"every run), and {figures['real']} corpus cases again through the real `aurora` "
            f"executable.\n\nFailures (exit 20, a traceback, an error longer than one line, "
            f"or a control character reaching the terminal): {len(figures['failures'])} "
            f"(target 0).\n\n| exit | meaning | inputs |\n|---|---|---|\n{rows}{END}")


def write(text: str) -> None:
    current = DOC.read_text() if DOC.exists() else INTRO
    if BEGIN in current and END in current:
        current = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: text, current,
                         flags=re.S)
    else:
        current = current.rstrip("\n") + "\n\n" + text + "\n"
    DOC.write_text(current)


def main(argv: list[str]) -> int:
    count = int(next((a for a in argv if a.isdigit()), "2000"))
    figures = measure(count)
    inprocess, real = figures["seconds"]
    print(f"inputs tried: {figures['corpus']} corpus + {figures['generated']} generated "
          f"in-process ({inprocess:.1f} s), {figures['real']} through the real aurora "
          f"({real:.1f} s)")
    for code, n in sorted(figures["histogram"].items()):
        print(f"  exit {code:>3} ({MEANING.get(code, '?')}): {n}")
    failures = figures["failures"]
    for argv_, problem in failures[:20]:
        print(f"  FAIL {argv_!r}: {problem}")
    print(f"failures: {len(failures)} (target 0) -> {'OK' if not failures else 'FAIL'}")
    if "--no-write" not in argv:
        write(section(figures, count))
        print(f"wrote the Hostile input section of {DOC.relative_to(ROOT)}")
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
