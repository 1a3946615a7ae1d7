"""`task logs` without ssh: reading the run listing and turning bytes into lines."""

from __future__ import annotations

import json
from types import SimpleNamespace

from aurora.plugins.task.logs import Printer, newest_runs


def test_newest_runs_takes_each_process_s_highest_run() -> None:
    listing = (b"100.5\tweb/0\x00300.25\tweb/1\x00200.0\tside car\tx/0\x00"
               b"50\tweb/notes\x00garbage\x00\x00")
    assert newest_runs(listing) == {"web": (300.25, 1), "side car\tx": (200.0, 0)}
    assert newest_runs(b"") == {}


def test_json_lines_survive_chunks_split_anywhere(capsys) -> None:
    printer = Printer(SimpleNamespace(output_format="json"), 2, "web", "stderr")
    data = "één\ntwo\n\nlast without newline".encode()
    for i in range(0, len(data), 3):           # splits inside a UTF-8 sequence too
        printer.feed(data[i:i + 3])
    printer.feed(b"", final=True)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["line"] for r in lines] == ["één", "two", "", "last without newline"]
    assert lines[0] == {"instance": 2, "process": "web", "stream": "stderr", "line": "één"}


def test_text_is_written_as_it_comes(capsys) -> None:
    printer = Printer(SimpleNamespace(output_format="text"), 0, "web", "stdout")
    printer.feed(b"par")
    assert capsys.readouterr().out == "par"
    printer.feed(b"tial\n\xff", final=True)
    assert capsys.readouterr().out == "tial\n\ufffd"
