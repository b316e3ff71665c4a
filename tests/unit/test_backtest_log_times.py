"""The bot's output lines and the virtual time each was started at (`bot.log-times`)."""

from __future__ import annotations

import io

from cmi_sim.sandbox.log_times import TimedLines, read_line_times, times_of_lines


def test_lines_keep_their_text_and_get_the_time_their_first_character_was_written(tmp_path):
    now = [100]
    out, sink = io.StringIO(), io.StringIO()
    stream = TimedLines(out, "stdout", lambda: now[0], sink)
    stream.write("alpha\nbe")   # line 0 and the start of line 1 at t=100
    now[0] = 200
    stream.write("ta\n")        # the rest of line 1: still t=100
    stream.write("gamma\n")     # line 2 at t=200
    stream.write("delta\n")     # line 3: same time, no new entry
    now[0] = 300
    stream.write("")            # nothing written, nothing noted
    stream.write("\n\nend")     # lines 4, 5 and 6 at t=300
    assert out.getvalue() == "alpha\nbeta\ngamma\ndelta\n\n\nend"
    assert sink.getvalue().splitlines() == ["stdout 0 100", "stdout 2 200", "stdout 4 300"]
    path = tmp_path / "bot.log-times"
    path.write_text(sink.getvalue() + "stdout 9 oops\npartial")
    entries = read_line_times(path)["stdout"]
    assert entries == [(0, 100), (2, 200), (4, 300)]
    assert times_of_lines(7, entries) == [1e-4, 1e-4, 2e-4, 2e-4, 3e-4, 3e-4, 3e-4]


def test_the_wrapper_passes_other_attributes_through():
    out = io.StringIO()
    stream = TimedLines(out, "stderr", lambda: 0, io.StringIO())
    assert stream.getvalue() == "" and stream.writable()
    stream.flush()


def test_missing_times_file_reads_as_no_times(tmp_path):
    assert read_line_times(tmp_path / "nothing") == {}
    assert times_of_lines(2, []) == [None, None]
