"""Start-up of small commands, as ratios to `python3 -c pass` measured interleaved.

Targets: `aurora --version`, `aurora help`, verb help (`aurora help job create`,
`aurora job create --help`) and a mistyped noun (`aurora jbo status`) <= 2.5x;
`aurora job status` of a 1-instance job on a simulated devcluster <= 5x (the
architecture keeps pluggy, argparse and thriftpy2 on every command's path;
kubectl measures 5.5x on this machine). Every command runs from a non-editable install
in the benchmark virtualenv (see common.py), with a warm command index.

Reference lines have no target: importing only what the fixed architecture
puts on every command's path (pluggy, argparse, socket, json), which is the
floor under any command that runs a verb; and `job status` with each thrift
trick switched off in turn (`$AURORA_THRIFT_TRICKS`, see
aurora/api/thrift_seam.py), which shows what each trick pays.

    python3 benchmarks/startup.py [--runs N]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import clean_env, devcluster, finish, in_bench_venv, ratios  # noqa: E402

FLOOR = "floor: import pluggy, argparse, socket, json"
STATUS = "aurora job status, 1 instance"
TRICKS = ("lazy_import", "idl_snapshot", "slim_views")
WITHOUT = {f"  ... without {trick}": ",".join(t for t in TRICKS if t != trick)
           for trick in TRICKS}
WITHOUT["  ... without any thrift trick"] = "none"
TARGETS: dict[str, float | None] = {
    "aurora --version": 2.5, "aurora help": 2.5, "aurora help job create": 2.5,
    "aurora job create --help": 2.5, "aurora jbo status (mistyped noun)": 2.5,
    STATUS: 5.0, FLOOR: None, **{name: None for name in WITHOUT}}


def main() -> int:
    in_bench_venv()
    from tests.support.jobs import job, process

    runs = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 15
    aurora = str(Path(sys.executable).parent / "aurora")
    with tempfile.TemporaryDirectory() as home:
        env = clean_env(home)
        with devcluster(home) as cluster:
            cluster.client().create_job(job("small", [process("p", "true")], service=True))
            subjects = {
                "aurora --version": [aurora, "--version"],
                "aurora help": [aurora, "help"],
                "aurora help job create": [aurora, "help", "job", "create"],
                "aurora job create --help": [aurora, "job", "create", "--help"],
                "aurora jbo status (mistyped noun)": [aurora, "jbo", "status"],
                STATUS: [aurora, "job", "status", "devcluster/www-data/test/small"],
                FLOOR: [sys.executable, "-c", "import pluggy, argparse, socket, json"],
            }
            subjects.update({name: subjects[STATUS] for name in WITHOUT})
            envs = {name: {"AURORA_THRIFT_TRICKS": kept} for name, kept in WITHOUT.items()}
            ratios(subjects, TARGETS, env, runs=runs, check=False, envs=envs)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
