"""What verbs hand back, and the one place that writes to stdout and stderr.

Verbs never print results. They return a `Result`: machine data (for json and
the other structured formats), optional human text, optional rows and columns
for tables, and the exit code. A formatter plugin turns it into text; `emit`
writes that text. Everything else a command shows on stdout or stderr also goes
through a function here (tests/unit/test_core_shape.py checks it).
"""

from __future__ import annotations

import io
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, redirect_stdout
from typing import Any, TextIO


class Result:
    """The outcome of a verb, the same whatever the output format.

    data       the JSON-compatible value; its shape per verb is documented in
               docs/output.md.
    text       the human rendering (the verb's one renderer): a str, or a list of
               str pieces for output too large to join (a large job's status;
               `text` joins them for whoever asks, `text_pieces` does not);
               None: the text format shows `data` plainly, or the table when
               `columns` is set.
    rows       flat records for table and csv output when `data` nests (one row
               per task of `job status`); None: `data`'s records are the rows.
    columns    the column order of the rows (and, without `text`, a table is the
               human rendering).
    exit_code  the process exit status this result stands for.
    streamed   the verb already wrote its output as it came (`task logs`, see
               `emit_now`): no format renders anything more.

    `data`, `text` and `rows` may each be given as a function of no arguments,
    called once when a format first needs it: `job status` builds the JSON of
    10,000 tasks only when JSON, YAML, a table or a hook asks for it.
    """

    def __init__(self, data: Any = None,
                 text: str | list[str] | Callable[[], str | list[str]] | None = None,
                 rows: Any = None, columns: Sequence[str] | None = None,
                 exit_code: int = 0, streamed: bool = False):
        self._data, self._text, self._rows = data, text, rows
        self.columns = columns
        self.exit_code = exit_code
        self.streamed = streamed

    @property
    def data(self) -> Any:
        if callable(self._data):
            self._data = self._data()
        return self._data

    @property
    def text(self) -> str | None:
        """The human rendering whole (text given in pieces is joined, once, for whoever
        asks for it so: a plugin's own format, say)."""
        pieces = self.text_pieces
        if pieces is not None and not isinstance(self._text, str):
            self._text = "".join(pieces)
        return self._text       # type: ignore[return-value]

    @property
    def text_pieces(self) -> list[str] | None:
        """The human rendering as the verb gave it, whole (one piece) or in pieces: the
        text format writes pieces a batch at a time, never joining them all."""
        if callable(self._text):
            self._text = self._text()
        if self._text is None:
            return None
        return [self._text] if isinstance(self._text, str) else self._text

    @property
    def rows(self) -> list[dict[str, Any]] | None:
        if callable(self._rows):
            self._rows = self._rows()
        return self._rows

    def records(self) -> list[Any]:
        """What table and csv show, one record per row: `rows`, else `data` as a list."""
        data = self.rows if self.rows is not None else self.data
        return data if isinstance(data, list) else [] if data is None else [data]

    def __repr__(self) -> str:
        return f"Result(exit_code={self.exit_code}, columns={self.columns!r})"


def use_color(stream: TextIO | None = None) -> bool:
    """Colour only on a terminal (stdout unless told), never when NO_COLOR is set
    (no-color.org)."""
    stream = stream or sys.stdout
    if "NO_COLOR" in os.environ:
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def emit(text: str | Iterable[str], stream: TextIO | None = None) -> None:
    """Write rendered output; adds the final newline when it is missing. Output that
    comes in pieces (an iterable of str) is written as it comes, in batches."""
    stream = stream or sys.stdout
    if not isinstance(text, str):
        _emit_pieces(text, stream)
        return
    if not text:
        return
    stream.write(text if text.endswith("\n") else text + "\n")
    stream.flush()


def emit_now(text: str) -> None:
    """Output that streams (a followed log): written as given and flushed at once, so
    a reader sees each piece when it arrives."""
    if text:
        sys.stdout.write(text)
        sys.stdout.flush()


BATCH_CHARS = 1 << 20


def _emit_pieces(pieces: Iterable[str], stream: TextIO) -> None:
    last = ""
    for batch in batched(pieces):
        stream.write(batch)
        last = batch
    if last and not last.endswith("\n"):
        stream.write("\n")
    stream.flush()


def batched(pieces: Iterable[str], size: int | None = None) -> Iterator[str]:
    """`pieces` joined into strings of about `size` (BATCH_CHARS) characters: few
    enough writes, and never one string of a whole large output."""
    size = size or BATCH_CHARS
    batch: list[str] = []
    held = 0
    for piece in pieces:
        batch.append(piece)
        held += len(piece)
        if held >= size:
            yield "".join(batch)
            batch.clear()
            held = 0
    if held:
        yield "".join(batch)


def escape_controls(text: str, keep: str = "\n") -> str:
    """Control characters (ESC, BEL, CR, C1, ...) as visible escapes, so that bytes from
    a server or a file can never move the cursor or retitle the terminal."""
    if text.isprintable() or _printable_apart_from(text, keep):
        return text
    return "".join(c if c.isprintable() or c in keep else _escaped(c) for c in text)


def _printable_apart_from(text: str, keep: str) -> bool:
    """True when only `keep` characters stop `text` being printable; checked in
    slices, in C, so that 10,000 task blocks are not walked character by character."""
    if not keep:
        return False
    drop = dict.fromkeys(map(ord, keep))
    step = 1 << 20
    return all(text[i:i + step].translate(drop).isprintable()
               for i in range(0, len(text), step))


def _escaped(char: str) -> str:
    code = ord(char)
    if char == "\t":
        return "\\t"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def emit_err(message: str) -> None:
    """Human progress and warnings: always stderr, so stdout stays parseable.

    Every message to the user passes here, so this is where control characters
    are escaped (newlines between lines of one message are kept).
    """
    sys.stderr.write(escape_controls(message.rstrip("\n")) + "\n")
    sys.stderr.flush()


def emit_error(message: str) -> None:
    """An error: one line, whatever the message holds (embedded newlines escaped)."""
    emit_err(escape_controls(message.rstrip("\n"), keep=""))
def elapsed_text(seconds: float) -> str:
    """A duration as a person reads it on a progress line: 7s, 1m05s, 2h03m09s."""
    whole = max(int(seconds), 0)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m{secs:02d}s"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def stamped(elapsed: float, text: str) -> str:
    """A progress line's text after the time waited so far: `[1m05s] text`."""
    return f"[{elapsed_text(elapsed)}] {text}"


class StatusLine:
    """Live progress on stderr: one line redrawn in place on a terminal; off a
    terminal each `show` whose text changed is a plain line of its own.

    `elapsed()` is the time since the line was made, and `wait` sleeps while
    redrawing the line every second on a terminal, so that time is seen passing
    even while the scheduler is polled less often."""

    TICK = 1.0      # seconds between redraws while waiting on a terminal

    def __init__(self, stream: TextIO | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.stream = stream or sys.stderr
        isatty = getattr(self.stream, "isatty", None)
        self.tty = bool(isatty and isatty())
        self.shown = ""
        self.clock, self.sleep = clock, sleep
        self.started = clock()

    def elapsed(self) -> float:
        return self.clock() - self.started

    def wait(self, seconds: float, redraw: Callable[[], str] | None = None) -> None:
        """Sleep `seconds`; on a terminal, show `redraw()` at least every TICK meanwhile."""
        end = self.clock() + max(seconds, 0)
        while True:
            left = end - self.clock()
            if left <= 0:
                return
            self.sleep(min(left, self.TICK) if self.tty and redraw else left)
            if self.tty and redraw:
                self.show(redraw())

    def show(self, text: str) -> None:
        if text == self.shown:
            return
        if self.tty:
            text = text[:self.width() - 1]   # a wrapped line could not be redrawn in place
            pad = " " * max(len(self.shown) - len(text), 0)
            self.stream.write(f"\r{text}{pad}")
            self.stream.flush()
        else:
            emit(text, self.stream)
        self.shown = text

    def width(self) -> int:
        try:
            return os.get_terminal_size(self.stream.fileno()).columns or 80
        except (AttributeError, OSError, ValueError):
            return 80

    def note(self, text: str) -> None:
        """A line that stays (an event), printed above the live line on a terminal."""
        if self.tty:
            if self.shown:
                self.stream.write("\r" + " " * len(self.shown) + "\r")
            emit(text, self.stream)
            if self.shown:
                self.stream.write(self.shown)
                self.stream.flush()
        else:
            emit(text, self.stream)

    def close(self) -> None:
        """End the live line so that whatever follows starts on a line of its own."""
        if self.tty and self.shown:
            self.stream.write("\n")
            self.stream.flush()
        self.shown = ""


def write_err(text: str) -> None:
    """Text on stderr exactly as given, flushed: argparse's usage, a traceback asked for
    with --traceback, a progress bar redrawn in place."""
    sys.stderr.write(text)
    sys.stderr.flush()


def stderr_is_tty() -> bool:
    """Whether stderr is a terminal (progress may be redrawn in place, prompts asked)."""
    return sys.stderr.isatty()


def child_output() -> TextIO:
    """Where a child process (ssh) writes when its output is not the command's result."""
    return sys.stderr


def debug_log(level: int) -> None:
    """Python logging on stderr (-v): the client's own loggers (`aurora...`) at `level`,
    other libraries' from INFO up (their debug lines say nothing about the command)."""
    import logging

    logging.basicConfig(stream=sys.stderr, level=max(level, logging.INFO),
                        format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("aurora").setLevel(level)


def silence_stdout() -> None:
    """The reader of stdout went away (`aurora job list | head`): drop what is left."""
    try:
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives until the process ends
    except OSError:
        pass


class _ToStderr(io.TextIOBase):
    """What a job file sees as sys.stdout: writes go to stderr, close() closes nothing."""

    def __init__(self, target: Any):
        self.target = target

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        return self.target.write(text)

    def flush(self) -> None:
        self.target.flush()

    def close(self) -> None:
        self.flush()


@contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """While a job file runs, whatever it prints (print(), os.write(1), a child process)
    goes to stderr: the user still sees it, and stdout holds only the command's result
    (`--write-json` stays parseable)."""
    sys.stdout.flush()
    try:
        saved = os.dup(1)
        os.dup2(2, 1)
    except OSError:        # no usable descriptors (embedded use): Python-level only
        saved = None
    try:
        with redirect_stdout(_ToStderr(sys.stderr)):
            yield
    finally:
        sys.stderr.flush()
        if saved is not None:
            os.dup2(saved, 1)
            os.close(saved)
