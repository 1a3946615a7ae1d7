"""The hostile-input corpus (tests/fixtures/hostile) and the ways of running it.

`argv.txt` lists one case per line::

    CODES | [@CONFIG_DIR |] ARGUMENTS

CODES are the exit codes the case may end with (e.g. `3` or `3,7`); ARGUMENTS are
split like a shell would (shlex), then backslash escapes are decoded, so `\\x1b`
is an ESC and `\\udcff` an undecodable argv byte. `{jobs}` is the corpus's job-file
folder. `@NAME` installs `configs/NAME/clusters.json` and/or `client.toml` as the
user's files, over a site config whose `devcluster` points at a closed port with
no retries and no autostart, so nothing waits on a network.

Whatever the case, the run must end in a documented exit code other than 20,
with no traceback on either stream.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import json
import os
import random
import shlex
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "hostile"
DOCUMENTED = frozenset({0, 3, 4, 5, 6, 7, 9, 10, 30, 130})


@dataclass(frozen=True)
class Case:
    line: int
    codes: frozenset[int]
    config: str | None
    argv: tuple[str, ...]

    def __str__(self) -> str:
        where = f"@{self.config} " if self.config else ""
        return f"argv.txt:{self.line}: {where}{shlex.join(self.argv)[:120]}"


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str

    def problem(self, allowed: frozenset[int] = DOCUMENTED - {20}) -> str | None:
        """Why this outcome is not acceptable, or None."""
        if self.code not in allowed:
            return f"exit {self.code} (allowed: {sorted(allowed)}): {self.stderr[-300:]!r}"
        if "Traceback" in self.stdout or "Traceback" in self.stderr:
            return f"a traceback was printed: {self.stderr[-300:]!r}"
        ours = [line for line in self.stderr.splitlines() if line.startswith("aurora")]
        if len(ours) > 1:        # a job file's own output may come before it
            return f"the error is not one line: {self.stderr[-300:]!r}"
        if any(c in self.stderr for c in "\x1b\x07\x9b"):
            return f"a control character reached the terminal: {self.stderr[-300:]!r}"
        return None


def _decode(token: str) -> str:
    return codecs.decode(token.encode("latin-1", "backslashreplace"), "unicode_escape")


def load_cases() -> list[Case]:
    cases = []
    for number, raw in enumerate((CORPUS / "argv.txt").read_text().splitlines(), 1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        parts = [p.strip() for p in raw.split(" | ", 2)]
        codes = frozenset(int(c) for c in parts[0].split(","))
        config = parts[1][1:] if len(parts) == 3 else None
        words = shlex.split(parts[-1].replace("{jobs}", str(CORPUS / "jobs")))
        cases.append(Case(number, codes, config, tuple(_decode(w) for w in words)))
    return cases


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]     # nothing listens once the socket is closed


class Sandbox:
    """An isolated HOME and config root for running cases."""

    def __init__(self, root: Path):
        self.root = root
        self.site = root / "etc-aurora"
        self.user = root / "home" / ".aurora"
        self.site.mkdir(parents=True, exist_ok=True)
        self.user.mkdir(parents=True, exist_ok=True)
        (self.site / "clusters.json").write_text(json.dumps(
            [{"name": "devcluster", "scheduler_uri": f"http://127.0.0.1:{closed_port()}"}]))
        (self.site / "client.toml").write_text(
            "[devcluster]\nautostart = false\n[scheduler]\nretries = 0\nconnect_timeout = 2\n"
            "timeout = 5\n")

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("AURORA_", "PYTEST_")) and k != "NO_COLOR"}
        env.update(HOME=str(self.root / "home"), XDG_CACHE_HOME=str(self.root / "cache"),
                   AURORA_CONFIG_ROOT=str(self.site), COLUMNS="100")
        return env

    def use_config(self, name: str | None) -> None:
        """The user's clusters.json and client.toml as the corpus entry `name` has them:
        regular files copied, symlinks (to /dev/zero, to themselves) and folders made anew."""
        for file in ("clusters.json", "client.toml"):
            target = self.user / file
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            elif os.path.lexists(target):
                target.unlink()
            source = CORPUS / "configs" / name / file if name else None
            if source is None or not os.path.lexists(source):
                continue
            if source.is_symlink():
                os.symlink(os.readlink(source), target)
            elif source.is_dir():
                target.mkdir()
            else:
                shutil.copyfile(source, target)

    def run(self, case: Case, aurora: str, timeout: float = 60) -> Outcome:
        """The real installed `aurora`, as a subprocess."""
        self.use_config(case.config)
        done = subprocess.run([aurora, *case.argv], capture_output=True, env=self.env(),
                              timeout=timeout, cwd=self.root, stdin=subprocess.DEVNULL)
        return Outcome(done.returncode, done.stdout.decode("utf-8", "replace"),
                       done.stderr.decode("utf-8", "replace"))

    def run_inprocess(self, argv: list[str], config: str | None = None) -> Outcome:
        """`aurora.cli.run` in this process (for many generated inputs)."""
        from aurora import cli
        from aurora.context import ClientContext

        self.use_config(config)
        saved_env, saved_cwd = dict(os.environ), os.getcwd()
        out, err = io.StringIO(), io.StringIO()
        os.environ.clear()
        os.environ.update(self.env())
        os.chdir(self.root)
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    code = cli.run(list(argv), ClientContext)
                except SystemExit as exc:      # must never happen; reported as a failure
                    code = -1
                    err.write(f"SystemExit({exc.code!r}) escaped cli.run\n")
        finally:
            os.chdir(saved_cwd)
            os.environ.clear()
            os.environ.update(saved_env)
        return Outcome(code, out.getvalue(), err.getvalue())


def aurora_executable() -> str:
    return str(Path(sys.executable).parent / "aurora")


# -- generated inputs (benchmarks/hostile_input.py) -----------------------------------
KEY = "devcluster/www-data/prod/h"
PLAUSIBLE = ("job create KEY FILE", "job status KEY", "job kill KEY/0-3", "job killall KEY",
             "job restart KEY/0-3 --batch-size 2", "job list devcluster/www-data",
             "job diff KEY FILE", "job inspect KEY FILE", "job open KEY", "job add KEY/0 2",
             "cron schedule KEY FILE", "cron show KEY", "cron deschedule KEY",
             "quota get devcluster/www-data",
             "quota set devcluster/www-data --cpus 1 --ram 1GB --disk 1GB",
             "config list FILE", "config list FILE --bind a=b",
             "completion complete --cword 2 -- job status dev", "plugins list", "help job")
HOSTILE_WORDS = ("", "-", "--", "/", "//", "nan", "inf", "-inf", "1e309", "-0", "0x10",
                 "9" * 30, "9" * 5000, "-" + "9" * 30, "\x1b[31m", "\x07", "\x9b", "\udcff",
                 "\u202e", "é", "{{x}}", "{{x}}=y", "=y", "a=", "*", "?", "[", "%s%n",
                 "../../etc/passwd", "/dev/null", "/dev/zero", "devcluster",
                 "devcluster/www-data", "devcluster/www-data/prod/h",
                 "devcluster/www-data/prod/h/0-9999999999", "devcluster/www-data/prod/h/0",
                 "devcluster/*/*/*", "--timeout", "--connect-timeout", "--cword", "--bind",
                 "--batch-size", "--cpus", "--ram", "--disk", "--read-json", "--write-json",
                 "--output-format", "yaml", "csv", "table", "-v", "--traceback", "-h")
FRAGMENTS = ("raise SystemExit(0)", "exit()", "quit()", "import sys; sys.exit(3)",
             "print('noise')", "import os; os.write(1, b'raw\\n')", "hooks = 5",
             "hooks = [None]", "jobs = 5", "jobs = [5]", "x = 1 +", "\x00", "\x1b[2J",
             "def f(): return f()\nf()", "import sys; sys.stdout.close()",
             "jobs = [Job(name={'a': 1})]", "raise MemoryError()", "include('nothing')")
TEMPLATE_JOB = ("jobs = [Job(cluster='devcluster', role='www-data', environment='prod', "
                "name='h', instances={instances}, task=Task(name='t', processes=[Process("
                "name='p', cmdline='echo hi')], resources=Resources(cpu={cpu}, ram={ram}*MB, "
                "disk={disk}*MB)))]")
NUMBERS = ("0", "-1", "1", "2**70", "2**31", "10**12", "float('nan')", "1e309", "'x'", "None",
           "[1]", "{}", "True")


def generated_job(rng: random.Random) -> str:
    """A job file: the template with hostile numbers, plus or minus hostile fragments."""
    text = TEMPLATE_JOB.format(**{k: rng.choice(NUMBERS) for k in
                                  ("instances", "cpu", "ram", "disk")})
    lines = [text] + [rng.choice(FRAGMENTS) for _ in range(rng.randint(0, 2))]
    rng.shuffle(lines)
    joined = "\n".join(lines) + "\n"
    if rng.random() < 0.2:       # truncated mid-way
        joined = joined[:rng.randint(0, len(joined))]
    return joined


def generated_argv(rng: random.Random, job_file: str) -> list[str]:
    """A plausible command line with one to three words replaced, inserted or appended."""
    argv = rng.choice(PLAUSIBLE).replace("KEY", KEY).replace("FILE", job_file).split()
    for _ in range(rng.randint(1, 2)):
        word, how = rng.choice(HOSTILE_WORDS), rng.random()
        where = rng.randrange(2, len(argv) + 1) if rng.random() < 0.9 else rng.randrange(2)
        if how < 0.45 and where < len(argv):
            argv[where] = word
        elif how < 0.8 and where < len(argv):
            argv[where] = argv[where] + word        # e.g. a key with control characters
        elif how < 0.9:
            argv.insert(where, word)
        else:
            argv += [rng.choice(HOSTILE_WORDS[-12:]), word]    # an option with a bad value
    return argv


def run_generated(sandbox: Sandbox, count: int, seed: int = 11) -> list[tuple[list[str], Outcome]]:
    rng = random.Random(seed)
    job_file = str(sandbox.root / "generated.aurora")
    results = []
    for _ in range(count):
        Path(job_file).write_text(generated_job(rng), errors="surrogateescape")
        argv = generated_argv(rng, job_file)
        results.append((argv, sandbox.run_inprocess(argv)))
    return results


def main() -> int:
    """Run every corpus case in this one process; print one JSON line per case.

    `python -m tests.support.hostile` is the batch the tests use for the whole corpus
    (one interpreter start instead of one per case).
    """
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        sandbox = Sandbox(Path(folder))
        for case in load_cases():
            outcome = sandbox.run_inprocess(list(case.argv), case.config)
            sys.__stdout__.write(json.dumps({"case": str(case), "code": outcome.code,
                                             "problem": outcome.problem(case.codes)}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
