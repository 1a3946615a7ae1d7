"""Habits from kubectl and nomad (issue 28 item 7): `-o FORMAT` and lengths of time
such as `1h3m10s` wherever an option takes seconds; garbage is one line, exit 6."""

from __future__ import annotations

import json

from tests.e2e.test_sla_noun import KEY, sla_home  # noqa: F401 - the fixture


def test_o_before_the_noun_and_after_the_verb(sla_home):  # noqa: F811
    for argv in (("-o", "json", "sla", "get-task-up-count", KEY),
                 ("-ojson", "sla", "get-task-up-count", KEY),
                 ("sla", "get-task-up-count", KEY, "-o", "json")):
        done = sla_home.run(*argv)
        assert done.returncode == 0, (argv, done.stderr)
        assert json.loads(done.stdout)["instances"] == 5
    yaml = sla_home.run("sla", "get-task-up-count", KEY, "-o", "yaml")
    assert yaml.stdout.startswith("job: ")
    unknown = sla_home.run("-o", "xml", "sla", "get-task-up-count", KEY)
    assert unknown.returncode == 5 and "unknown output format 'xml'" in unknown.stderr


def test_compound_durations(sla_home):  # noqa: F811
    done = sla_home.run("sla", "get-task-up-count", "--durations", "1h3m10s,90,2m", KEY,
                        "-o", "json")
    assert done.returncode == 0, done.stderr
    assert [r["duration_seconds"] for r in json.loads(done.stdout)["up_counts"]] == \
        [90, 120, 3790]
    for bad in ("1h3x", "soon", "1m1h"):
        refused = sla_home.run("sla", "get-task-up-count", "--durations", bad, KEY)
        assert refused.returncode == 6, refused.stderr
        assert f"invalid duration '{bad}'" in refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1


def test_restart_seconds_options_take_lengths_of_time(home):
    home.write_clusters([{"name": "nowhere", "scheduler_uri": "http://127.0.0.1:9"}])
    for flag in ("--watch-secs", "--restart-threshold"):
        refused = home.run("job", "restart", "nowhere/r/e/n", flag, "a while")
        assert refused.returncode == 6, refused.stderr
        assert f"invalid {flag} 'a while'; give a length of time, e.g. 90, 90s, 2m, " \
            "1h3m10s or 7d" in refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1


def test_a_value_beginning_with_a_dash_stays_the_option_s_value(home, tmp_path):
    """`-o` is now an option of every verb: `--ssh-options "-o X"` must still be ssh's
    options (and `--ssh-options "-p 2222"` not task ssh's own -p), as getopt reads them."""
    home.write_clusters([{"name": "bare", "scheduler_uri": "http://127.0.0.1:9"}])
    for argv in (("task", "run", "bare/r/e/n", "true", "--ssh-options", "-o ConnectTimeout=1"),
                 ("task", "ssh", "bare/r/e/n/0", "--ssh-options", "-p 2222 -o X=1"),
                 ("task", "logs", "bare/r/e/n/0", "--ssh-options", "-oBatchMode=yes")):
        done = home.run(*argv)
        assert done.returncode == 3, (argv, done.stderr)    # parsed: the agent layout is next
        assert "cluster bare has no slave_root" in done.stderr
