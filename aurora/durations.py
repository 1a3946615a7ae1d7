"""The one parser for lengths of time given on the command line.

`90`, `90s`, `2m`, `1h3m10s` and `7d` all mean a whole number of seconds: units
d, h, m, s in that order, each at most once, or plain seconds. `sla
get-task-up-count --durations` and the seconds options of `job restart` read
them here, so every option spells a length of time alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from aurora.errors import InvalidParameter

UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_COMPOUND = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")
EXAMPLES = "e.g. 90, 90s, 2m, 1h3m10s or 7d"


def seconds(text: str) -> int | None:
    """Whole seconds of `90`, `2m`, `1h3m10s`...; None when `text` is not such a length."""
    text = text.strip()
    if text.isdigit():          # isdigit also takes other scripts' digits: int() agrees
        return int(text) if text.isascii() else None
    match = _COMPOUND.fullmatch(text)
    if not text or not match:
        return None
    counts = zip(match.groups(), UNIT_SECONDS.values(), strict=True)
    return sum(int(n) * size for n, size in counts if n)


def seconds_option(flag: str, minimum: int = 0) -> Callable[[str], int]:
    """An argparse `type` for a seconds option: a length of time, at least `minimum`;
    anything else is one line and exit 6."""
    def parse(text: str) -> int:
        value = seconds(text)
        if value is None or value < minimum:
            least = f" of at least {minimum} s" if minimum else ""
            raise InvalidParameter(f"invalid {flag} '{text}'",
                                   hint=f"give a length of time{least}, {EXAMPLES}")
        return value
    parse.__name__ = flag.lstrip("-").replace("-", "_")     # argparse names it in errors
    return parse
