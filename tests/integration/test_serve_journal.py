"""`cmi-sim serve --journal DIR` survives kill -9 (issue 19): a real server subprocess is killed with
SIGKILL mid-flow and restarted on the same journal; accounts, tokens, open orders, positions, cash, the
tape and the order-id sequence come back, and clients go on."""

from __future__ import annotations

import subprocess
import sys
import threading

import requests
from serve_process import ServeProcess

JSON = {"Content-Type": "application/json"}


def _login(url: str, name: str, password: str = "pw") -> requests.Response:
    return requests.post(f"{url}/api/user/authenticate", json={"username": name, "password": password}, timeout=10)


def _order(url: str, token: str, side: str, price: float, volume: int, product: str = "TIDE_SPOT") -> dict:
    reply = requests.post(f"{url}/api/order", headers={"Authorization": token}, timeout=10,
                          json={"product": product, "price": price, "side": side, "volume": volume})
    assert reply.status_code == 200, reply.text
    return reply.json()


def _view(url: str, token: str) -> dict:
    headers = {"Authorization": token}
    return {name: requests.get(f"{url}{path}", headers=headers, timeout=10).json() for name, path in (
        ("orders", "/api/order/current-user"), ("positions", "/api/position/current-user"),
        ("profit", "/api/profit/current-user"), ("trades", "/api/trade"),
        ("book", "/api/product/TIDE_SPOT/order-book/current-user"))}


def test_a_journal_survives_kill_9_with_open_orders_positions_and_tokens(tmp_path):
    journal = tmp_path / "journal"
    first = ServeProcess("--journal", str(journal), "--rate-limit", "off")
    try:
        url = first.url
        alice, bob = _login(url, "alice").headers["Authorization"], _login(url, "bob").headers["Authorization"]
        ids = set()
        ids.add(_order(url, alice, "BUY", 100, 10)["id"])
        ids.add(_order(url, bob, "SELL", 100, 4)["id"])  # alice +4, bob -4
        ids.add(_order(url, alice, "BUY", 90, 3, "WX_SPOT")["id"])
        ids.add(_order(url, bob, "SELL", 120, 2)["id"])

        # Flow from other clients while the kill lands: whatever was acknowledged must survive.
        acknowledged: list[str] = []
        stop = threading.Event()

        def flow() -> None:
            token = _login(url, "carol").headers["Authorization"]
            price = 50
            while not stop.is_set():
                try:
                    acknowledged.append(_order(url, token, "BUY", price, 1, "LON_ETF")["id"])
                except (requests.RequestException, ValueError, AssertionError):  # the kill landed
                    return
                price = 50 + (price - 49) % 40

        worker = threading.Thread(target=flow)
        worker.start()
        while len(acknowledged) < 50:
            worker.join(0.05)
        before = {"alice": _view(url, alice), "bob": _view(url, bob)}
        first.kill9()
        stop.set()
        worker.join(10)
    finally:
        first.stop()

    second = ServeProcess("--journal", str(journal), "--rate-limit", "off")
    try:
        url = second.url
        assert any("journal:" in line and "restored" in line for line in second.lines), second.lines
        after = {"alice": _view(url, alice), "bob": _view(url, bob)}  # the old tokens still work
        assert after == before
        assert [p["netPosition"] for p in after["alice"]["positions"]] == [4]
        assert len(after["alice"]["orders"]) == 2 and len(after["bob"]["orders"]) == 1
        carol = _login(url, "carol").headers["Authorization"]  # re-authentication works too
        assert _login(url, "carol", "wrong").status_code == 401
        carol_orders = {o["id"] for o in requests.get(f"{url}/api/order/current-user", timeout=10,
                                                      headers={"Authorization": carol}).json()}
        assert set(acknowledged) <= carol_orders  # every acknowledged order survived the kill
        new = _order(url, alice, "SELL", 100, 1, "WX_SUM")["id"]
        assert new not in ids | carol_orders  # the id sequence goes on
        assert new[:24] == next(iter(ids))[:24]  # under the journal's own prefix
        order_id = after["alice"]["orders"][0]["id"]
        cancel = requests.delete(f"{url}/api/order/{order_id}", headers={"Authorization": alice}, timeout=10)
        assert cancel.status_code == 200  # an order from before the kill is still cancellable by its id
    finally:
        second.stop()

    size = (journal / "events.jsonl").stat().st_size
    third = subprocess.run([sys.executable, "-m", "cmi_sim", "serve", "--port", "0", "--journal", str(journal),
                            "--rate-limit", "off", "--position-limit", "5"], capture_output=True, text=True,
                           timeout=60)
    assert third.returncode == 1  # other rules: refused with a clear error, the journal untouched
    assert third.stderr.startswith("cmi-sim: error:") and "other settings (rules)" in third.stderr
    assert (journal / "events.jsonl").stat().st_size == size


def test_order_ids_never_repeat_across_runs_without_a_journal():
    ids = []
    for _ in range(2):
        server = ServeProcess()
        try:
            token = _login(server.url, "alice").headers["Authorization"]
            ids.append(_order(server.url, token, "BUY", 10, 1)["id"])
        finally:
            server.stop()
    assert ids[0] != ids[1] and ids[0][:24] != ids[1][:24]
