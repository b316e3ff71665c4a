/* cmi-sim live dashboard: renders the market-wide frames of /dashboard/stream (one JSON frame per change,
   the same for every viewer). A logged-in viewer also reads their own orders from /dashboard/own. */
(function () {
  "use strict";
  const LADDER_ROWS = 5;          // levels shown per side in a card
  const OWN_REFRESH_MS = 1000;    // at most this often: a logged-in viewer's own orders
  const state = {products: [], history: {}, selected: null, own: null, token: sessionStorage.getItem("cmi-token"),
                 user: sessionStorage.getItem("cmi-user"), lastOwn: 0, frame: null, seenTrades: 0, charts: {}};
  const $ = (id) => document.getElementById(id);
  const fmt = window.formatNumber;
  const ms = (ns) => ns / 1e6;

  function esc(text) {
    return String(text).replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
  }
  function pad2(n) { return (n < 10 ? "0" : "") + n; }
  function hhmmss(ns) { const d = new Date(ms(ns)); return pad2(d.getUTCHours()) + ":" + pad2(d.getUTCMinutes()) + ":" + pad2(d.getUTCSeconds()); }
  function dayTime(ns) {
    const d = new Date(ms(ns));
    return d.toISOString().slice(0, 10) + " " + pad2(d.getUTCHours()) + ":" + pad2(d.getUTCMinutes());
  }
  function signed(v) { return (v > 0 ? "+" : "") + fmt(v); }

  // -- the eight cards ----------------------------------------------------------------------------
  function buildCards(products) {
    const root = $("books");
    root.innerHTML = "";
    for (const p of products) {
      const card = document.createElement("article");
      card.className = "book";
      card.dataset.symbol = p.symbol;
      card.innerHTML =
        '<div class="book-head"><span class="sym">' + esc(p.symbol) + '</span><span class="last">—</span><span class="chg"></span></div>' +
        '<canvas class="spark"></canvas>' +
        '<table class="ladder"><thead><tr><th>mine</th><th>bid</th><th>price</th><th>ask</th><th>mine</th></tr></thead><tbody></tbody></table>' +
        '<div class="book-foot"><span class="mid"></span><span class="depth"></span></div>';
      card.addEventListener("click", () => select(p.symbol));
      root.appendChild(card);
      state.charts[p.symbol] = new TimeChart(card.querySelector("canvas"), {axes: false, interactive: false});
    }
    if (!state.selected && products.length) select(products[0].symbol);
  }

  function ownAt(symbol, side, price) {
    const own = state.own && state.own.orders[symbol];
    const v = own && own[side][String(price)];
    return v ? fmt(v) : "";
  }

  function renderCard(p) {
    const card = document.querySelector('.book[data-symbol="' + p.symbol + '"]');
    if (!card) return;
    const last = card.querySelector(".last"), chg = card.querySelector(".chg");
    last.textContent = p.last === null ? "—" : fmt(p.last);
    if (p.last !== null && p.start) {
      const change = (p.last - p.start) / p.start * 100;
      chg.textContent = (change >= 0 ? "+" : "") + change.toFixed(2) + "%";
      chg.className = "chg " + (change >= 0 ? "up" : "down");
    } else { chg.textContent = ""; }
    const asks = p.asks.slice(0, LADDER_ROWS), bids = p.bids.slice(0, LADDER_ROWS);
    const maxVol = Math.max(1, ...asks.map((l) => l[1]), ...bids.map((l) => l[1]));
    const rows = [];
    for (let i = LADDER_ROWS - 1; i >= 0; i--) {
      const l = asks[i];
      if (!l) { rows.push('<tr class="empty"><td></td><td></td><td></td><td></td><td></td></tr>'); continue; }
      const mine = ownAt(p.symbol, "SELL", l[0]);
      rows.push('<tr class="level ask' + (mine ? " mine" : "") + '"><td></td><td></td><td class="price">' + fmt(l[0]) +
        '</td><td class="vol-ask" style="background-size:' + (l[1] / maxVol * 100).toFixed(1) + '% 100%">' + fmt(l[1]) +
        '</td><td class="own own-ask">' + mine + "</td></tr>");
    }
    const spread = asks.length && bids.length ? fmt(asks[0][0] - bids[0][0]) : "—";
    rows.push('<tr class="spread"><td colspan="5">spread ' + spread + "</td></tr>");
    for (let i = 0; i < LADDER_ROWS; i++) {
      const l = bids[i];
      if (!l) { rows.push('<tr class="empty"><td></td><td></td><td></td><td></td><td></td></tr>'); continue; }
      const mine = ownAt(p.symbol, "BUY", l[0]);
      rows.push('<tr class="level bid' + (mine ? " mine" : "") + '"><td class="own own-bid">' + mine + '</td><td class="vol-bid" style="background-size:' +
        (l[1] / maxVol * 100).toFixed(1) + '% 100%">' + fmt(l[1]) + '</td><td class="price">' + fmt(l[0]) + "</td><td></td><td></td></tr>");
    }
    card.querySelector("tbody").innerHTML = rows.join("");
    const mid = asks.length && bids.length ? (asks[0][0] + bids[0][0]) / 2 : null;
    card.querySelector(".mid").textContent = mid === null ? "one-sided" : "mid " + fmt(mid);
    card.querySelector(".depth").textContent = "depth " + fmt(p.bidDepth) + " / " + fmt(p.askDepth);
    const settled = state.frame && state.frame.settlement && state.frame.settlement[p.symbol];
    if (settled !== undefined && settled !== null) card.querySelector(".mid").textContent = "settled at " + fmt(settled);
    const pos = state.own && state.own.positions[p.symbol];
    if (pos) card.querySelector(".mid").textContent += "  ·  you " + signed(pos);
  }

  // -- charts -------------------------------------------------------------------------------------
  function seriesOf(symbol) {
    const h = state.history[symbol] || [];
    const now = state.frame ? ms(state.frame.now) : undefined;  // lines run on to the present
    return [
      {type: "band", points: h.map((q) => [ms(q[0]), q[1], q[2]]), color: "rgba(74,163,255,.10)"},
      {type: "step", name: "bid", points: h.map((q) => [ms(q[0]), q[1]]), color: "#26c281", width: 1.1, until: now},
      {type: "step", name: "ask", points: h.map((q) => [ms(q[0]), q[2]]), color: "#ff5c5c", width: 1.1, until: now},
      {type: "step", name: "last", points: h.map((q) => [ms(q[0]), q[3]]), color: "#f5c542", width: 1.8, until: now},
    ];
  }
  function drawCharts() {
    const now = ms(state.frame.now);
    for (const [symbol, spark] of Object.entries(state.charts)) {
      spark.opt.xMax = now;
      spark.setSeries(seriesOf(symbol).slice(1));
    }
    if (state.selected) { state.big.opt.xMax = now; state.big.setSeries(seriesOf(state.selected)); }
  }
  function select(symbol) {
    state.selected = symbol;
    document.querySelectorAll(".book").forEach((c) => c.classList.toggle("selected", c.dataset.symbol === symbol));
    $("chart-title").textContent = symbol + " — price";
    state.big.setView(null);
    state.big.setSeries(seriesOf(symbol));
  }

  // -- header, trades, leaderboard ----------------------------------------------------------------
  function renderHeader(f) {
    $("clock-time").textContent = hhmmss(f.now);
    $("clock-date").textContent = new Date(ms(f.now)).toISOString().slice(0, 10) + " · session clock (UTC)";
    const [open, close] = f.hours || [null, null];
    let status = "open", cls = "pill-open";
    if (f.settlement) { status = "settled"; cls = "pill-settled"; }
    else if (!f.open) {
      status = open !== null && f.now < open ? "pre-open" : "closed"; cls = "pill-closed";
    }
    $("status").textContent = status;
    $("status").className = "pill " + cls;
    $("hours").textContent = (open === null ? "always" : dayTime(open)) + " → " + (close === null ? "no close" : dayTime(close));
    const progress = open !== null && close !== null ? Math.min(1, Math.max(0, (f.now - open) / (close - open))) : 0;
    $("progress-bar").style.width = (progress * 100).toFixed(2) + "%";
    $("speed").textContent = fmt(f.speed) + "×";
    $("trade-count").textContent = fmt(f.tradeCount);
  }

  function renderTrades(f) {
    const fresh = f.tradeCount - state.seenTrades;
    state.seenTrades = f.tradeCount;
    const me = state.user;
    $("trades").querySelector("tbody").innerHTML = f.trades.map((t, i) => {
      const mine = me && (t[4] === me || t[5] === me);
      return '<tr class="' + (i < fresh && fresh < f.trades.length ? "fresh" : "") + (mine ? " me" : "") + '"><td class="num">' + hhmmss(t[0]) +
        "</td><td>" + esc(t[1]) + '</td><td class="num">' + fmt(t[2]) + '</td><td class="num">' + fmt(t[3]) +
        "</td><td class=\"who\">" + esc(t[4]) + "</td><td class=\"who\">" + esc(t[5]) + "</td></tr>";
    }).join("") || '<tr><td colspan="6" class="dim">no trades yet</td></tr>';
  }

  function showPnl(value) {
    $("whoami-pnl").textContent = fmt(value);
    $("whoami-pnl").className = value >= 0 ? "up" : "down";
  }

  function renderLeaderboard(f) {
    const mine = state.user && f.leaderboard.find((r) => r.account === state.user && !r.market);
    if (mine && state.token) showPnl(mine.pnl);  // the frame is fresher than the last /dashboard/own
    const showMarket = $("show-market").checked;
    const rows = f.leaderboard.filter((r) => showMarket || !r.market);
    $("leaderboard").querySelector("tbody").innerHTML = rows.map((r, i) => {
      const chips = Object.entries(r.positions).filter(([, v]) => v).map(([s, v]) =>
        '<span class="chip ' + (v > 0 ? "long" : "short") + '">' + esc(s) + " " + signed(v) + "</span>").join("");
      const cls = (r.account === state.user ? "me" : "") + (r.market ? " market" : "");
      return '<tr class="' + cls + '"><td class="num">' + (i + 1) + "</td><td>" + esc(r.account) +
        '</td><td class="num">' + (r.score === null ? "—" : r.score.toFixed(4)) + '</td><td class="num ' + (r.pnl >= 0 ? "up" : "down") + '">' + fmt(r.pnl) +
        '</td><td class="chips">' + (chips || '<span class="dim">flat</span>') + "</td></tr>";
    }).join("") || '<tr><td colspan="5" class="dim">' + (f.leaderboard.length ? "only market accounts have traded" : "nobody has traded yet") + "</td></tr>";
  }

  // -- the stream ---------------------------------------------------------------------------------
  function onFrame(f) {
    if (f.snapshot || !state.products.length) {
      state.history = {};
      if (state.products.map((p) => p.symbol).join() !== f.products.map((p) => p.symbol).join()) buildCards(f.products);
    }
    state.products = f.products;
    state.frame = f;
    for (const [symbol, points] of Object.entries(f.points || {})) {
      const h = state.history[symbol] = state.history[symbol] || [];
      for (const q of points) h.push(q);
    }
    renderHeader(f);
    f.products.forEach(renderCard);
    drawCharts();
    renderTrades(f);
    renderLeaderboard(f);
    refreshOwn();
  }

  function connect() {
    const source = new EventSource("/dashboard/stream");
    source.onopen = () => { $("conn").className = "conn conn-on"; $("conn-text").textContent = "live"; };
    source.onmessage = (e) => onFrame(JSON.parse(e.data));
    source.onerror = () => { $("conn").className = "conn conn-off"; $("conn-text").textContent = "reconnecting"; };
  }

  // -- a logged-in viewer -------------------------------------------------------------------------
  function refreshOwn(force) {
    if (!state.token) return;
    const now = Date.now();
    if (!force && now - state.lastOwn < OWN_REFRESH_MS) return;
    state.lastOwn = now;
    fetch("/dashboard/own", {headers: {Authorization: state.token}}).then((r) => {
      if (r.status === 401) { logout(); return null; }
      return r.json();
    }).then((own) => {
      if (!own) return;
      state.own = own;
      showPnl(own.totalPnl);
      state.products.forEach(renderCard);
    }).catch(() => {});
  }
  function showAccount() {
    const inside = Boolean(state.token);
    $("login").hidden = inside;
    $("whoami").hidden = !inside;
    $("whoami-name").textContent = state.user || "";
  }
  function logout() {
    state.token = state.user = state.own = null;
    sessionStorage.removeItem("cmi-token"); sessionStorage.removeItem("cmi-user");
    showAccount();
    state.products.forEach(renderCard);
  }
  $("login").addEventListener("submit", (e) => {
    e.preventDefault();
    const username = $("login-user").value.trim(), password = $("login-pass").value;
    $("login-error").textContent = "";
    fetch("/api/user/authenticate", {method: "POST", headers: {"Content-Type": "application/json"},
                                     body: JSON.stringify({username, password})})
      .then((r) => r.json().then((body) => ({r, body})))
      .then(({r, body}) => {
        if (!r.ok) { $("login-error").textContent = body.message || "login failed"; return; }
        state.token = r.headers.get("Authorization"); state.user = username;
        sessionStorage.setItem("cmi-token", state.token); sessionStorage.setItem("cmi-user", username);
        showAccount(); refreshOwn(true);
      }).catch(() => { $("login-error").textContent = "the exchange did not answer"; });
  });
  $("logout").addEventListener("click", logout);
  $("show-market").addEventListener("change", () => state.frame && renderLeaderboard(state.frame));

  state.big = new TimeChart($("big-chart"), {yFormat: fmt});
  showAccount();
  connect();
})();
