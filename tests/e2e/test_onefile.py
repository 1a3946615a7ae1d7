"""The one-file build for a site (contrib/build_onefile.py): the client, the site's
plugins and its clusters.json in one file that a bare interpreter runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT


@pytest.fixture(scope="module")
def onefile(tmp_path_factory: pytest.TempPathFactory, devcluster) -> Path:
    folder = tmp_path_factory.mktemp("onefile")
    clusters = folder / "clusters.json"
    clusters.write_text(json.dumps([devcluster.cluster_entry("west")]))
    toml = folder / "client.toml"
    toml.write_text("[devcluster]\nautostart = false\n")
    output = folder / "aurora.pyz"
    subprocess.run([sys.executable, str(ROOT / "contrib" / "build_onefile.py"), str(output),
                    "--plugin", str(ROOT / "contrib" / "aurora-site-example"),
                    "--clusters", str(clusters), "--client-toml", str(toml)],
                   check=True, capture_output=True, text=True, timeout=300)
    return output


def bare(onefile: Path, home: Path, *args: str) -> subprocess.CompletedProcess:
    """Run the file with an isolated interpreter: no site-packages, no PYTHONPATH, no
    virtualenv, an empty HOME; only the file itself."""
    home.mkdir(exist_ok=True)
    python = Path(sys.base_prefix) / "bin" / "python3"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "SHIV_ROOT": str(home / "shiv"),
           "AURORA_CONFIG_ROOT": str(home / "no-etc")}
    return subprocess.run([str(python), "-I", "-S", str(onefile), *args], env=env,
                          capture_output=True, text=True, timeout=120)


def test_a_bare_interpreter_runs_the_site_build(onefile, tmp_path):
    listed = bare(onefile, tmp_path / "home", "plugins", "list", "--write-json")
    assert listed.returncode == 0, listed.stderr
    plugins = {p["name"]: p for p in json.loads(listed.stdout)}
    assert plugins["site"]["status"] == "loaded"
    assert plugins["site-policy"]["distribution"] == "aurora-site-example"
    assert plugins["job"]["distribution"] == "aurora-client-v2"
    clusters = bare(onefile, tmp_path / "home", "site", "clusters", "--write-json")
    assert "west" in [row["cluster"] for row in json.loads(clusters.stdout)], clusters.stderr
    jobs = bare(onefile, tmp_path / "home", "job", "list", "west", "--write-json")
    assert jobs.returncode == 0 and isinstance(json.loads(jobs.stdout), list), jobs.stderr
