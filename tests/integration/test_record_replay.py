"""Record a served session over real HTTP + SSE, then replay it; the recorder under restarts and kills."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from cmi_sim.api.app import create_app
from cmi_sim.api.server import ExchangeServer
from cmi_sim.api.service import ExchangeService
from cmi_sim.engine import BUY, SELL
from cmi_sim.exchange import Accounts, Exchange, ExchangeRules
from cmi_sim.market.live import SessionClock, drive_market
from cmi_sim.products import cmi_products
from cmi_sim.sessions import load_session
from cmi_sim.simulation import Simulation
from replay import RecordingWriter, read_recording
from replay.reader import gap_intervals
from replay.recorder import Recorder

REPO = Path(__file__).resolve().parents[2]
SYNTHETIC = REPO / "cmi_sim" / "sessions" / "builtin" / "synthetic" / "session.toml"


def wait_for(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def record(url: str, out: Path, speed: float = 1.0, **kwargs) -> tuple[Recorder, RecordingWriter]:
    writer = RecordingWriter(out, url, "rec", time.time_ns(), speed=speed, flush_interval_s=0.2)
    recorder = Recorder(url, "rec", "pw", writer, rest_interval_s=0.3, **kwargs)
    recorder.start()
    return recorder, writer


def replay_session(tmp_path: Path, recording: Path, fill_model: str = "queue") -> Path:
    """The synthetic session's manifest (same world, so same settlement), its market replaced by the
    recording."""
    text = SYNTHETIC.read_text().replace('name = "synthetic"', 'name = "replayed"')
    head, _, tail = text.partition("[market]")
    rules = tail[tail.index("[rules]"):]
    directory = tmp_path / "session"
    directory.mkdir()
    (directory / "session.toml").write_text(
        f'{head}[market]\nkind = "replay"\nrecording = "{recording}"\n\n[market.params]\n'
        f'fill_model = "{fill_model}"\n\n{rules}')
    return directory


def test_a_recorded_session_replays_to_the_same_books_and_tape(tmp_path):
    session = load_session("synthetic")
    clock = SessionClock(session.open_ns, speed=60)
    live = Simulation(session, clock, accounts=Accounts(rng=random.Random(1)))

    async def market() -> None:
        await drive_market(live.market_step, clock)

    server = ExchangeServer(create_app(live.service), background=[market])
    url = server.start_in_thread()
    recorder, writer = record(url, tmp_path / "rec", speed=60)
    try:
        wait_for(lambda: recorder.status.trades > 20 and sum(recorder.status.books.values()) > 200)
        time.sleep(2.0)  # a few simulated minutes
    finally:
        recorder.stop()
        writer.close(time.time_ns())
        server.stop()
    recording = read_recording(tmp_path / "rec")
    assert recording.gaps.empty and len(recording.products) == 8

    sim = Simulation(load_session(replay_session(tmp_path, tmp_path / "rec")), clock=lambda: 0)
    seen = []
    sim.market.on_book = lambda product, ts: seen.append((product, sim.exchange.depth(product)))
    wake = sim.market_step(sim.session.open_ns)
    while wake is not None:
        wake = sim.market_step(wake)

    books = recording.books.sort_values("ts", kind="stable")
    expected = [(b.product, [[lv.price, lv.volume] for lv in d.bids], [[lv.price, lv.volume] for lv in d.asks])
                for b, (_, d) in zip(books.itertuples(), seen)]
    assert len(seen) == len(books)
    assert [(b.product, b.bids, b.asks) for b in books.itertuples()] == expected
    tape = [(t.ts, t.product, t.buyer, t.seller, t.volume, t.price) for t in sim.exchange.tape.trades]
    assert tape == [tuple(row) for row in recording.trades[["ts", "product", "buyer", "seller", "volume",
                                                            "price"]].itertuples(index=False)]
    assert sim.market.describe()["fill_model"] == "queue"


def start_plain(port: int = 0) -> tuple[ExchangeServer, Exchange, str]:
    exchange = Exchange(cmi_products(), ExchangeRules(rate_limit="off"))
    server = ExchangeServer(create_app(ExchangeService(exchange, time.time_ns)), port=port)
    return server, exchange, server.start_in_thread()


def trade_once(server: ExchangeServer, exchange: Exchange, price: int) -> None:
    server.call(lambda: exchange.place(time.time_ns(), "maker", "TIDE_SPOT", SELL, price, 2))
    server.call(lambda: exchange.place(time.time_ns(), "taker", "TIDE_SPOT", BUY, price, 1))


def test_the_recorder_survives_a_server_restart(tmp_path):
    server, exchange, url = start_plain()
    port = server.port
    recorder, writer = record(url, tmp_path / "rec", backoff_s=(0.05, 0.2))
    try:
        wait_for(lambda: recorder.status.stream_connected)
        trade_once(server, exchange, 101)
        wait_for(lambda: recorder.status.trades == 1)
        books_before = sum(recorder.status.books.values())
        server.stop()
        wait_for(lambda: recorder.status.gaps >= 1)
        server, exchange, _ = start_plain(port)
        wait_for(lambda: recorder.status.stream_connected)
        trade_once(server, exchange, 102)
        wait_for(lambda: recorder.status.trades == 2)
    finally:
        recorder.stop()
        writer.close(time.time_ns())
        server.stop()
    rec = read_recording(tmp_path / "rec")
    stream_gaps = [gap for gap in gap_intervals(rec.gaps) if gap[0] == "stream"]
    assert len(stream_gaps) == 1 and stream_gaps[0][2] is not None
    start, end = stream_gaps[0][1], stream_gaps[0][2]
    before = rec.books[rec.books.recv_ns < start]
    assert len(before) == books_before and 101 in {p for asks in before.asks for p, _ in asks}
    assert (rec.books.recv_ns > end).any()
    assert rec.trades.price.tolist() == [101, 102]


def test_a_killed_recorder_leaves_everything_up_to_its_last_flush(tmp_path, clean_env):
    server, exchange, url = start_plain()
    out = tmp_path / "rec"
    process = subprocess.Popen([sys.executable, "-m", "cmi_sim", "record", "--url", url, "--username", "rec",
                                "--password", "pw", "--out", str(out)], env=clean_env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: (out / "books.jsonl").exists() and (out / "books.jsonl").stat().st_size > 0, 20)
        trade_once(server, exchange, 107)
        time.sleep(2.5)  # past the next flush (at most a second) and the next trade poll
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        server.stop()
    rec = read_recording(out)
    assert not rec.manifest["complete"]
    assert 107 in {p for asks in rec.books.asks for p, _ in asks}
    assert rec.trades.price.tolist() == [107]


def test_ctrl_c_stops_the_recorder_cleanly(tmp_path, clean_env):
    server, exchange, url = start_plain()
    out = tmp_path / "rec"
    process = subprocess.Popen([sys.executable, "-m", "cmi_sim", "record", "--url", url, "--username", "rec",
                                "--password", "pw", "--out", str(out)], env=clean_env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: (out / "books.jsonl").exists() and (out / "books.jsonl").stat().st_size > 0, 20)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        server.stop()
    assert process.returncode == 0, err
    assert "books 8" in err
    assert read_recording(out).manifest["complete"]
