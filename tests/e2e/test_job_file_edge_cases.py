"""Templating edge cases through the real `aurora` (`job inspect --raw` shows the thrift)."""

from __future__ import annotations

import json

from tests.conftest import FIXTURES

JOBS = FIXTURES / "jobs"


def test_port_name_template_by_bind_and_nested_reference_refused(dev_home):
    shown = dev_home.run("job", "inspect", "--raw", "devcluster/www-data/test/cli",
                         str(JOBS / "port_template.aurora"), "--bind", "pname=http")
    assert shown.returncode == 0, shown.stderr
    resources = json.loads(shown.stdout)["taskConfig"]["resources"]
    assert sorted(r["namedPort"] for r in resources if "namedPort" in r) == ["admin", "http"]
    nested = dev_home.run("job", "inspect", "devcluster/www-data/test/nested",
                          str(JOBS / "nested_template.aurora"))
    assert nested.returncode == 3 and "Traceback" not in nested.stderr
    assert ("job nested: Task is invalid: Unexpected unbound refs: a[31337]. Make sure you "
            "are not nesting template variables." in nested.stderr)
