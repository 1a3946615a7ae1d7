"""Build one executable file holding the client, a site's plugin packages and its defaults.

    python3 contrib/build_onefile.py OUTPUT [--plugin DIR ...] [--clusters FILE]
                                     [--client-toml FILE] [--python "/usr/bin/env python3"]

The file is a shiv zipapp: it runs on any machine with the same Python version and
platform, with nothing else installed and no virtualenv. On first run it unpacks
itself once into ~/.shiv (or $SHIV_ROOT), which is how the compiled parts of
thriftpy2 load; later runs reuse that copy. `--clusters` and `--client-toml` are
carried as the site's defaults: the client reads them before /etc/aurora and
~/.aurora, which may still add to or override them (docs/plugins.md, "Shipping a
one-file client").
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def stage(target: Path, plugins: list[Path]) -> None:
    """pip-install the client, the plugins and everything they need into `target`."""
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet",
                    "--disable-pip-version-check", "--target", str(target), str(ROOT),
                    *map(str, plugins)], check=True)


def add_defaults(target: Path, clusters: Path | None, client_toml: Path | None) -> None:
    defaults = target / "aurora" / "site_defaults"
    for source, name in ((clusters, "clusters.json"), (client_toml, "client.toml")):
        if source is not None:
            defaults.mkdir(exist_ok=True)
            shutil.copyfile(source, defaults / name)


def build(output: Path, plugins: list[Path], clusters: Path | None,
          client_toml: Path | None, python: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        site = Path(folder) / "site-packages"
        stage(site, plugins)
        add_defaults(site, clusters, client_toml)
        built = Path(folder) / output.name        # moved into place only when whole
        subprocess.run([sys.executable, "-m", "shiv", "--site-packages", str(site),
                        "--entry-point", "aurora.__main__:console", "--python", python,
                        "--output-file", str(built), "--reproducible"], check=True)
        shutil.move(str(built), str(output))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("output", type=Path)
    parser.add_argument("--plugin", type=Path, action="append", default=[],
                        help="a plugin package's folder (repeatable)")
    parser.add_argument("--clusters", type=Path, help="the site's clusters.json")
    parser.add_argument("--client-toml", type=Path, help="the site's client.toml")
    parser.add_argument("--python", default="/usr/bin/env python3",
                        help="the interpreter line of the file")
    args = parser.parse_args()
    for given in [*args.plugin, args.clusters, args.client_toml]:
        if given is not None and not given.exists():
            print(f"build_onefile: {given} does not exist; give an existing path",
                  file=sys.stderr)
            return 3
    try:
        build(args.output, args.plugin, args.clusters, args.client_toml, args.python)
    except subprocess.CalledProcessError as exc:
        print(f"build_onefile: {exc.cmd[2]} failed (exit {exc.returncode}); see its output "
              "above", file=sys.stderr)       # both steps run `python -m pip|shiv`
        return 1
    print(f"built {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
