"""aurora-client-v2: a plugin-based command-line client for Apache Aurora.

This module stays import-free on purpose: `aurora --version` and the help fast
path read `__version__` without pulling in anything else.
"""

__version__ = "0.2.0"
