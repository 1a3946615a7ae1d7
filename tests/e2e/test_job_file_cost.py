"""Job files whose cost has no bound end in one line, exit 3, within seconds.

Each run here is also held to 4 GB of address space and 60 s by the test itself,
so that a regression fails the test instead of exhausting the machine.
"""

from __future__ import annotations

import resource
import subprocess
import time

import pytest

from tests.conftest import aurora_bin

TASK = ("Task(name='t', processes=[p], resources=Resources(cpu=0.1, ram=16*MB, disk=16*MB))")
JOB = ("jobs = [Job(cluster='devcluster', role='www-data', environment='prod', name='hello', "
       f"task={TASK})]\n")


def doubling(levels: int) -> str:
    binds = ", ".join(f"a{i}='{{{{a{i + 1}}}}}{{{{a{i + 1}}}}}'" for i in range(levels))
    return (f"p = Process(name='p', cmdline='{{{{a0}}}}')\n"
            f"p = p.bind({binds}, a{levels}='x')\n" + JOB)


def ports(count: int) -> str:
    refs = " ".join(f"{{{{thermos.ports[p{i}]}}}}" for i in range(count))
    return f"p = Process(name='p', cmdline='echo {refs}')\n" + JOB


FILES = {
    "doubling-bind-30": doubling(30),
    "ports-2000": ports(2000),
    "generator-exit": "raise GeneratorExit('bye')\n",
    "custom-base-exception": "class Boom(BaseException):\n    pass\nraise Boom('x')\n",
    "nested-parentheses": "x = " + "[" * 200_000 + "]" * 200_000 + "\n",
    "nested-dicts": "d = {}\n" + "d = {'k': d}\n" * 100_000 + "s = repr(d)\n" + ports(1),
    "twenty-megabytes": "x = 1\n" * (20 * 1024 * 1024 // 6),
}


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (4 * 1024 ** 3, 4 * 1024 ** 3))


@pytest.mark.parametrize("name", sorted(FILES))
def test_a_costly_job_file_is_exit_3_in_seconds(home, tmp_path, name):
    job_file = tmp_path / f"{name}.aurora"
    job_file.write_text(FILES[name])
    started = time.monotonic()
    done = subprocess.run([aurora_bin(), "job", "inspect", "devcluster/www-data/prod/hello",
                           str(job_file)], capture_output=True, text=True, env=home.env(),
                          timeout=60, preexec_fn=_limited)
    took = time.monotonic() - started
    assert done.returncode == 3, (done.returncode, done.stderr[-500:])
    line = done.stderr.strip()
    assert "\n" not in line and "Traceback" not in line, line[-500:]
    assert str(job_file) in line or f"{name}.aurora" in line, line
    assert took < 20, f"took {took:.1f} s"
