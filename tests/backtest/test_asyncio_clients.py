"""asyncio in virtual time and the other HTTP clients (aiohttp, httpx, urllib.request) answered in-process."""

from __future__ import annotations


def test_asyncio_primitives_take_exactly_their_virtual_durations(run_bot) -> None:
    result = run_bot("asyncio_basics.py", duration_s=60)
    assert result["status"] == "ok", result.stderr
    assert result.lines() == [
        "start 0.000",
        "gather ['a', 'b']",
        "after-gather 2.500",
        "wait_for-timeout 5.500",
        "timeout-cm 7.000",
        "task task",
        "loop.time 0.500000",
        "executor 9.750",
        "thread thread-loop",
        "end 9.750",
    ]


EXPECTED_CLIENTS = [
    "  0.001 aiohttp post 200 {\"side\": \"BUY\"}",
    "  0.002 aiohttp gather [200, 200, 200] 2",
    "  0.003 aiohttp 503 503",
    "  1.000 aiohttp event 1",
    "  2.000 aiohttp event 2",
    "  2.001 aiohttp refused ClientOSError True",
    "  2.002 httpx async post 200 tok",
    "  3.000 httpx async event 3",
    "  3.000 httpx async refused network is disabled: no route for https://api.example.org/x",
    "  3.001 httpx sync get 200 {'a': ['b']}",
    "  4.000 httpx sync event 4",
    "  4.001 urllib post 200 {\"u\": 1}",
    "  4.002 urllib 503 503",
    "  5.000 urllib event 5",
    "  5.000 done",
]


def test_aiohttp_httpx_and_urllib_are_answered_in_process_deterministically(run_bot) -> None:
    first = run_bot("clients.py", duration_s=60)
    assert first["status"] == "ok", first.stderr
    assert first.lines() == EXPECTED_CLIENTS
    # aiohttp retries an idempotent request once on a broken connection: two refusals for one get
    assert [r["url"] for r in first["refused"]] == ["https://api.example.org/x"] * 3
    assert first["transport"]["n_streams"] == 4
    assert first["blocked"] == []
    second = run_bot("clients.py", duration_s=60)
    assert second.lines() == first.lines()
    assert second["refused"] == first["refused"]
    assert second["virtual_end_ns"] == first["virtual_end_ns"]


def test_an_endless_asyncio_bot_is_interrupted_at_the_end_like_ctrl_c(run_bot) -> None:
    result = run_bot("asyncio_forever.py", duration_s=10)
    assert result["status"] == "ok", result.stderr
    assert result.lines() == [
        "main cancelled after 9 ticks at 1772280010.0",  # asyncio.run cancels the main task on the interrupt
        "main interrupted at 1772280010.0",
    ]
    assert result["bot"]["outcome"] == "returned"
