"""The coordinator's venue: participants' requests, account ownership, stream frames, refused hosts."""

from __future__ import annotations

import json

from cmi_sim.arena.protocol import REFUSED, REPLY, STREAM
from cmi_sim.arena.venue import Venue
from cmi_sim.sessions import DEFAULT_SESSION, load_session


def login(venue: Venue, participant: int, username: str) -> tuple:
    body = json.dumps({"username": username, "password": "pw"}).encode()
    return venue.handle(participant, venue.now_ns, "POST", "http://x/api/user/authenticate", {}, body)


def test_an_account_belongs_to_the_first_participant_that_logs_into_it(tmp_path):
    venue = Venue(load_session(DEFAULT_SESSION), None, tmp_path / "events.jsonl", market=False)
    kind, status, headers, _ = login(venue, 0, "alice")
    assert (kind, status) == (REPLY, 200) and headers["Authorization"].startswith("Bearer ")
    assert login(venue, 0, "alice")[1] == 200  # logging in again is fine
    kind, status, _, body = login(venue, 1, "alice")
    assert status == 401 and b"another participant" in body
    assert login(venue, 1, "bob")[1] == 200
    assert venue.accounts_of(0) == ["alice"] and venue.accounts_of(1) == ["bob"]
    venue.close()


def test_frames_go_to_the_stream_of_the_participant_that_opened_it(tmp_path):
    venue = Venue(load_session(DEFAULT_SESSION), None, tmp_path / "events.jsonl", market=False)
    token = login(venue, 0, "alice")[2]["Authorization"]
    kind, status, _, stream_id = venue.handle(0, venue.now_ns, "GET", "http://x/api/market/stream",
                                              {"Authorization": token}, None)
    assert (kind, status) == (STREAM, 200)
    snapshot = venue.take_frames()
    assert [(p, s) for p, s, _ in snapshot] == [(0, stream_id)] and b"event: order" in snapshot[0][2]
    assert venue.take_frames() == []
    bob = login(venue, 1, "bob")[2]["Authorization"]
    order = json.dumps({"product": "TIDE_SPOT", "price": 1000, "side": "BUY", "volume": 2}).encode()
    assert venue.handle(1, venue.now_ns, "POST", "http://x/api/order", {"Authorization": bob}, order)[1] == 200
    frames = venue.take_frames()
    assert [(p, s) for p, s, _ in frames] == [(0, stream_id)] and b"TIDE_SPOT" in frames[0][2]
    venue.close_stream(stream_id, participant=1)  # not bob's: ignored
    assert venue.handle(1, venue.now_ns, "DELETE", "http://x/api/order?product=TIDE_SPOT&price=1000",
                        {"Authorization": bob}, None)[1] == 200
    assert venue.take_frames()
    venue.close_stream(stream_id, participant=0)
    venue.handle(1, venue.now_ns, "POST", "http://x/api/order", {"Authorization": bob}, order)
    assert venue.take_frames() == []
    venue.close()


def test_hosts_the_world_does_not_serve_are_refused(tmp_path):
    venue = Venue(load_session(DEFAULT_SESSION), None, tmp_path / "events.jsonl", market=False)
    assert venue.handle(0, venue.now_ns, "GET", "https://example.com/", {}, None)[0] == REFUSED
    kind, status, _, _ = venue.handle(0, venue.now_ns, "GET", "https://api.open-meteo.com/v1/forecast", {}, None)
    assert kind == REPLY and status in (200, 400)
    venue.close()


def test_the_bot_side_keepalive_is_the_servers():
    from cmi_sim.api.wire import KEEPALIVE
    from cmi_sim.arena import bot_side

    assert bot_side.KEEPALIVE == KEEPALIVE
