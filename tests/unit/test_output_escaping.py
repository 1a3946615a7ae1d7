"""Control characters from files, argv or a server never reach the terminal raw."""

from __future__ import annotations

from aurora.output import Result, emit_err, emit_error, escape_controls
from aurora.plugins.formats import render_table, render_text


def test_escape_controls_keeps_text_and_chosen_whitespace():
    assert escape_controls("plain é ü 日本") == "plain é ü 日本"
    assert escape_controls("a\x1b[2Jb\x07\x9b\udcff") == "a\\x1b[2Jb\\x07\\x9b\\udcff"
    assert escape_controls("one\ntwo\tx") == "one\ntwo\\tx"
    assert escape_controls("one\ntwo", keep="") == "one\\x0atwo"


def test_messages_on_stderr_are_escaped_and_errors_one_line(capsys):
    emit_err("Creating job \x1b]0;pwned\x07")
    emit_error("aurora: bad reply: \x1b[31mred\nsecond line\n")
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err
    assert err.splitlines() == ["Creating job \\x1b]0;pwned\\x07",
                                "aurora: bad reply: \\x1b[31mred\\x0asecond line"]


def test_text_and_table_output_escape_server_data():
    assert render_text(Result(text="task msg \x1b[2J\n")) == "task msg \\x1b[2J\n"
    assert render_text(Result(data={"message": "\x07bell"})) == "message: \\x07bell\n"
    table = render_table(["job"], [{"job": "a\x1b[31m"}], color=True)
    assert "a\\x1b[31m" in table and table.startswith("\x1b[1m")    # only our own bold


def test_text_in_pieces_is_escaped_and_written_in_batches_never_joined(monkeypatch):
    """A large job's status comes as one piece per task: written a batch at a time,
    escaped like whole text, and whole again for a plugin that reads `result.text`."""
    import io

    from aurora import output

    monkeypatch.setattr(output, "BATCH_CHARS", 10)
    pieces = ["task one \x1b[2J\n", "\ttwo\n", "", "three"]
    rendered = render_text(Result(text=pieces))
    assert not isinstance(rendered, str)
    batches = list(rendered)
    assert len(batches) == 2 and "".join(batches) == "task one \\x1b[2J\n\ttwo\nthree"
    stream = io.StringIO()
    output.emit(iter(batches), stream)
    assert stream.getvalue() == "task one \\x1b[2J\n\ttwo\nthree\n"    # the last newline
    result = Result(text=lambda: list(pieces))
    assert result.text_pieces == pieces and result.text == "".join(pieces)
    assert result.text_pieces == ["".join(pieces)]      # joined once, kept so
    assert list(output.batched([])) == [] and Result(text=[]).text == ""
