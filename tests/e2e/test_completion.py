"""Shell completion: candidates from the real aurora, and the bash and zsh scripts running."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import BIN, FIXTURES
from tests.support.debian import ensure_package

SERVICE = str(FIXTURES / "jobs" / "service.aurora")


def complete(home, *words: str) -> list[str]:
    done = home.run("completion", "complete", "--cword", str(len(words) - 1), "--", *words)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_nouns_verbs_options_clusters_and_job_keys(dev_home):
    assert {"job", "cron", "quota", "help"} <= set(complete(dev_home, ""))
    assert complete(dev_home, "jo") == ["job"]
    assert complete(dev_home, "job", "kil") == ["kill", "killall"]
    assert complete(dev_home, "--write-json", "job", "st") == ["status"]
    assert "--batch-size" in complete(dev_home, "job", "kill", "--b")
    assert "--output-format" in complete(dev_home, "job", "kill", "--o")
    assert complete(dev_home, "job", "status", "dev") == ["devcluster/"]
    # a verb option that takes a value, before the key (and global ones among them)
    assert complete(dev_home, "job", "create", "--bind", "a=b", "dev") == ["devcluster/"]
    assert complete(dev_home, "job", "create", "--bind", "a=b", "-v", "--timeout", "5",
                    "dev") == ["devcluster/"]
    key = "devcluster/www-data/test/completed"
    assert dev_home.run("job", "create", key, SERVICE, "--bind", "job=completed", "--bind",
                        "count=1").returncode == 0
    assert "devcluster/www-data/" in complete(dev_home, "job", "status", "devcluster/")
    assert complete(dev_home, "job", "status", "devcluster/www-data/test/compl") == [key]
    assert complete(dev_home, "job", "create", key, "") == []     # a file: the shell's job
    dev_home.run("job", "killall", key)


def test_unreachable_scheduler_completes_nothing_quickly(home):
    home.write_clusters([{"name": "gone", "scheduler_uri": "http://127.0.0.1:9"}])
    assert complete(home, "job", "status", "gone/") == []


def shell_env(home) -> dict[str, str]:
    return home.env(PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")


def test_bash_script(dev_home):
    script = dev_home.run("completion", "bash").stdout
    probe = (script + "\nCOMP_WORDS=(aurora job st); COMP_CWORD=2; _aurora; "
             'printf "%s\\n" "${COMPREPLY[@]}"\n')
    done = subprocess.run(["bash", "-c", probe], capture_output=True, text=True,
                          env=shell_env(dev_home))
    assert done.stdout.split() == ["status"], done.stderr


def test_zsh_script(dev_home, tmp_path):
    try:
        zsh = ensure_package("zsh", "zsh")
    except RuntimeError as exc:
        pytest.fail(str(exc))
    script = tmp_path / "_aurora.zsh"
    script.write_text(dev_home.run("completion", "zsh").stdout)
    assert subprocess.run([zsh, "-n", str(script)]).returncode == 0
    probe = (f"source {script}\ncompadd() {{ print -l -- \"$@\" }}\n_files() {{ print FILES }}\n"
             "words=(aurora job st); CURRENT=3; _aurora\n"
             "words=(aurora job status dev); CURRENT=4; _aurora\n")
    done = subprocess.run([zsh, "-f", "-c", probe], capture_output=True, text=True,
                          env=shell_env(dev_home))
    lines = done.stdout.split()
    assert lines == ["--", "status", "-S", "", "--", "devcluster/"] or \
        lines == ["--", "status", "-S", "--", "devcluster/"], (done.stdout, done.stderr)
    assert Path(zsh).exists()
