"""Where clusters.json and client.toml are looked for: the one list, stdlib only, so the
command index's fingerprint (`index.py`) and the readers (`clusters.py`,
`settings.py`) never disagree."""

from __future__ import annotations

import os

SITE_DEFAULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "site_defaults")


def config_dirs() -> list[str]:
    """Directories searched for clusters.json and client.toml, later ones winning: the
    site defaults a one-file build carries (`contrib/build_onefile.py`), the site's
    (`$AURORA_CONFIG_ROOT` or /etc/aurora), then the user's (~/.aurora)."""
    system = os.environ.get("AURORA_CONFIG_ROOT") or "/etc/aurora"
    dirs = [system, os.path.join(os.path.expanduser("~"), ".aurora")]
    return [SITE_DEFAULTS, *dirs] if os.path.isdir(SITE_DEFAULTS) else dirs
