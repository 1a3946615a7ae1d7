"""'did you mean ...?': the one way a misspelt name is answered with the closest known one.

Used for nouns, verbs, options, client.toml sections and clusters.json keys. Cheap
to import: difflib is loaded only when a name is misspelt.
"""

from __future__ import annotations

TYPE_CHECKING = False       # typing is not imported on the fast path
if TYPE_CHECKING:
    from collections.abc import Iterable


def did_you_mean(word: str, choices: Iterable[str], shape: str = "'{}'",
                 cutoff: float = 0.6) -> str | None:
    """"did you mean X?" for the choice closest to `word` (shown through `shape`), or None.

    Options are compared by their names: the dashes they share are no likeness.
    """
    import difflib

    names = {choice.lstrip("-") if word.startswith("-") else choice: choice
             for choice in choices}
    key = word.lstrip("-") if word.startswith("-") else word
    match = difflib.get_close_matches(key, list(names), n=1, cutoff=cutoff)
    return f"did you mean {shape.format(names[match[0]])}?" if match else None
