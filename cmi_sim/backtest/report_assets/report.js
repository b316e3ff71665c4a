/* cmi-sim run report: draws the data inlined in #report-data (see cmi_sim/backtest/html_report.py). */
(function () {
  "use strict";
  const D = JSON.parse(document.getElementById("report-data").textContent);
  const $ = (id) => document.getElementById(id);
  const fmt = window.formatNumber;
  const S = D.summary || {};
  const E = D.events;
  const charts = [];

  function esc(text) {
    return String(text).replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
  }
  function isoMs(text) {  // "2026-02-28T14:30:00.000000000Z" -> ms (Date.parse wants at most 3 decimals)
    if (!text) return undefined;
    const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?Z?$/.exec(text);
    if (!m) return undefined;
    return Date.parse(m[1] + "Z") + (m[2] ? parseFloat(m[2]) * 1000 : 0);
  }
  function pad2(n) { return (n < 10 ? "0" : "") + n; }
  function clock(msValue) { const d = new Date(msValue); return pad2(d.getUTCHours()) + ":" + pad2(d.getUTCMinutes()) + ":" + pad2(d.getUTCSeconds()); }
  function money(v) { return v === null || v === undefined ? "—" : fmt(v); }
  function signedClass(v) { return v > 0 ? "up" : v < 0 ? "down" : ""; }

  const runFacts = (D.run && D.run.run) || {};
  const t0 = isoMs(runFacts.virtual_start) ?? (E && E.start) ?? undefined;
  const t1 = isoMs(runFacts.virtual_end || S.virtual_end) ?? (E && E.end) ?? undefined;
  function chart(canvas, options) {
    const c = new TimeChart(canvas, Object.assign({group: "run", xMin: t0, xMax: t1, yFormat: fmt}, options || {}));
    charts.push(c);
    return c;
  }

  // -- header ---------------------------------------------------------------------------------------
  $("title").textContent = D.title;
  const settings = (D.run && (D.run.spec || D.run.settings)) || {};
  $("subtitle").textContent = [D.user ? "account " + D.user : null, S.market ? S.market + " market" : null,
    runFacts.virtual_start ? runFacts.virtual_start.slice(0, 16).replace("T", " ") + " → " + (runFacts.virtual_end || "").slice(11, 16) + " UTC" : null,
    settings.seed !== undefined && settings.seed !== null ? "seed " + settings.seed : null].filter(Boolean).join("  ·  ");
  const ok = S.status === "ok" || S.status === "completed";
  $("status").textContent = (S.status || "unknown") + (S.settled ? " · settled" : S.status ? " · not settled" : "");
  $("status").className = "pill " + (ok ? "ok" : "bad");
  const kpis = [["total PnL", S.total_pnl, true], ["score", S.score], ["fills", S.fills], ["max drawdown", S.max_drawdown],
                ["sharpe", S.sharpe]];
  $("kpis").innerHTML = kpis.filter((k) => k[1] !== undefined && k[1] !== null).map(([label, v, colour]) =>
    '<div class="kpi"><div class="label">' + label + '</div><div class="value ' + (colour ? signedClass(v) : "") + '">' +
    (label === "score" ? Number(v).toFixed(4) : label === "sharpe" ? Number(v).toFixed(2) : fmt(v)) + "</div></div>").join("");

  const notes = [];
  for (const name of D.missing || []) notes.push(name + " is missing from this run directory: " +
    (name !== "events.jsonl" ? "no settings or statistics to show."
     : E ? "the market's prices are not drawn; the bot's fills, positions, PnL and equity come from the parquet tables."
     : "no prices, fills, positions or equity can be drawn."));
  if (E && !E.products.length) notes.push("events.jsonl holds no trades: the charts are empty.");
  $("notes").innerHTML = notes.map((n) => '<div class="note">' + esc(n) + "</div>").join("");

  // -- equity with drawdown -------------------------------------------------------------------------
  const equity = E ? E.equity.slice() : [];
  if (S.settled && S.total_pnl !== undefined && t1 !== undefined) equity.push([t1, S.total_pnl]);
  if (equity.length && t0 !== undefined && equity[0][0] > t0) equity.unshift([t0, 0]);
  let peak = -Infinity;
  const drawdown = equity.map(([t, v]) => { peak = Math.max(peak, v); return [t, v, peak]; });
  const equityChart = chart($("equity-chart"), {zeroLine: true, empty: E ? "the bot never held a position" : "no events.jsonl"});
  const equitySeries = [
    {type: "band", points: drawdown, color: "rgba(255,92,92,.22)"},
    {type: "step", name: "equity", points: equity, color: "#4aa3ff", width: 1.8, until: t1},
  ];
  equityChart.setSeries(equitySeries);

  // -- statistics -----------------------------------------------------------------------------------
  const LABELS = {status: "status", bot_outcome: "bot outcome", settled: "settled", total_pnl: "total PnL",
    score: "competition score", fills: "fills", volume: "volume traded", max_abs_position: "max |position|",
    max_drawdown: "max drawdown", rejections: "rejections", requests: "requests", rate_violations: "rate-rule violations",
    refused_requests: "refused hosts", blocked_network: "blocked sockets", session: "session", market: "market",
    user: "account", virtual_end: "virtual end", events_sha256: "events sha256"};
  const SKIP = new Set(["pnl", "settlement", "summary_version"]);
  function show(v) {
    if (v === null || v === undefined) return "—";
    if (typeof v === "number") return fmt(v);
    if (typeof v === "boolean") return v ? "yes" : "no";
    if (Array.isArray(v)) {
      if (!v.length) return "none";
      if (v.every((x) => typeof x !== "object" || x === null)) return v.join(", ");
      const first = v[0];
      const text = first.message || first.kind || first.error || JSON.stringify(first);
      return v.length + " (first: " + text + ")";
    }
    if (typeof v === "object") {
      const entries = Object.entries(v);
      return entries.length ? entries.map(([k, x]) => k + " " + (typeof x === "object" ? JSON.stringify(x) : show(x))).join(", ") : "none";
    }
    return String(v);
  }
  const keys = [...Object.keys(LABELS).filter((k) => k in S), ...Object.keys(S).filter((k) => !(k in LABELS) && !SKIP.has(k))];
  const timing = (D.run && D.run.timing) || {};
  const rows = keys.map((k) => [LABELS[k] || k.replace(/_/g, " "), k === "score" && typeof S[k] === "number" ? S[k].toFixed(4) : show(S[k])]);
  if (timing.wall_s !== undefined) rows.push(["wall time", timing.wall_s.toFixed(1) + " s (" + fmt(timing.speedup || 0) + "× real time)"]);
  const cut = (text) => text.length > 44 ? text.slice(0, 43) + "…" : text;  // the whole value on hover
  $("stats").innerHTML = rows.map(([k, v]) => "<tr><td>" + esc(k) + '</td><td title="' + esc(v) + '">' + esc(cut(v)) + "</td></tr>").join("") ||
    '<tr><td class="dim">no run.json: no statistics</td></tr>';

  // -- products -------------------------------------------------------------------------------------
  const settlement = D.settlement || {};
  const root = $("products");
  for (const symbol of D.products) {
    const trades = E ? E.trades[symbol] || [] : [];
    const fills = E ? E.fills[symbol] || [] : [];
    const fillCount = E && E.fillCounts ? E.fillCounts[symbol] || 0 : fills.length;
    const pos = E ? (E.positions[symbol] || []).slice() : [];
    if (pos.length && t0 !== undefined) pos.unshift([t0, 0]);
    const pnl = E ? E.pnl[symbol] || [] : [];
    const finalPos = pos.length ? pos[pos.length - 1][1] : 0;
    const productPnl = S.pnl ? S.pnl[symbol] : undefined;
    const div = document.createElement("div");
    div.className = "product";
    div.dataset.symbol = symbol;
    div.innerHTML = '<div class="product-head"><span class="sym">' + esc(symbol) + "</span>" +
      '<span class="fact">trades <b>' + (E && E.source !== "tables" ? fmt(E.tradeCounts[symbol] || 0) : "—") + "</b></span>" +
      '<span class="fact">bot fills <b>' + fmt(fillCount) + "</b>" + (fillCount > fills.length ? " (every " + Math.ceil(fillCount / fills.length) + "th marked)" : "") + "</span>" +
      '<span class="fact">final position <b>' + fmt(finalPos) + "</b></span>" +
      '<span class="fact">PnL <b class="' + signedClass(productPnl) + '">' + money(productPnl) + "</b></span>" +
      '<span class="fact">settles at <b>' + money(settlement[symbol]) + "</b></span></div>" +
      '<canvas class="price"></canvas><div class="sub-label">position</div><canvas class="pos"></canvas>' +
      '<div class="sub-label">PnL</div><canvas class="pnl"></canvas>';
    root.appendChild(div);
    chart(div.querySelector(".price"), {empty: "no trades"}).setSeries([
      {type: "step", name: "trade", points: trades, color: "#f5c542", width: 1.3, until: t1},
      {type: "markers", name: "fill", points: fills, upColor: "#26c281", downColor: "#ff5c5c", radius: 4},
    ]);
    chart(div.querySelector(".pos"), {zeroLine: true, empty: "no position"}).setSeries([
      {type: "area", points: pos, color: "rgba(177,140,255,.18)", base: 0},
      {type: "step", name: "position", points: pos, color: "#b18cff", width: 1.4, until: t1},
    ]);
    chart(div.querySelector(".pnl"), {zeroLine: true, empty: "no PnL"}).setSeries([
      {type: "line", name: "PnL", points: pnl, color: "#4aa3ff", width: 1.3},
    ]);
  }

  // -- settlement -----------------------------------------------------------------------------------
  if (Object.keys(settlement).length) {
    $("settlement").innerHTML = '<thead><tr><th>product</th><th class="num">settlement</th><th class="num">final position</th><th class="num">PnL</th></tr></thead><tbody>' +
      D.products.filter((p) => p in settlement).map((p) => {
        const pos = E && E.positions[p] && E.positions[p].length ? E.positions[p][E.positions[p].length - 1][1] : 0;
        const v = S.pnl ? S.pnl[p] : undefined;
        return "<tr><td>" + esc(p) + '</td><td class="num">' + money(settlement[p]) + '</td><td class="num">' + fmt(pos) +
          '</td><td class="num ' + signedClass(v) + '">' + money(v) + "</td></tr>";
      }).join("") + "</tbody>";
  } else {
    $("settlement").innerHTML = '<tr><td class="dim">Not settled: the run stopped at ' + esc(S.virtual_end || runFacts.virtual_end || "its end") +
      ", before the session's settlement. PnL is marked at the last trades.</td></tr>";
  }

  // -- leaderboard ----------------------------------------------------------------------------------
  function renderLeaderboard() {
    if (D.leaderboard && D.leaderboard.length) {
      $("market-toggle").hidden = true;
      const cols = [];
      for (const row of D.leaderboard) for (const k of Object.keys(row)) if (!cols.includes(k)) cols.push(k);
      $("leaderboard").innerHTML = "<thead><tr><th>#</th>" + cols.map((c) => "<th>" + esc(c) + "</th>").join("") + "</tr></thead><tbody>" +
        D.leaderboard.map((row, i) => "<tr><td class=\"num\">" + (i + 1) + "</td>" + cols.map((c) => {
          const v = row[c];
          return typeof v === "number" ? '<td class="num">' + (c === "score" ? v.toFixed(4) : fmt(v)) + "</td>" : "<td>" + esc(show(v)) + "</td>";
        }).join("") + "</tr>").join("") + "</tbody>";
      return;
    }
    const showMarket = $("show-market").checked;
    const rows = (D.accounts || []).filter((r) => showMarket || !r.market);
    $("leaderboard").innerHTML = '<thead><tr><th>#</th><th>account</th><th class="num">score</th><th class="num">PnL</th></tr></thead><tbody>' +
      (rows.map((r, i) => '<tr class="' + (r.account === D.user ? "me" : "") + (r.market ? " market" : "") + '"><td class="num">' + (i + 1) +
        "</td><td>" + esc(r.account) + '</td><td class="num">' + (r.score === null || r.score === undefined ? "—" : r.score.toFixed(4)) +
        '</td><td class="num ' + signedClass(r.pnl) + '">' + money(r.pnl) + "</td></tr>").join("") ||
       '<tr><td colspan="4" class="dim">no accounts\' PnL in result.json</td></tr>') + "</tbody>";
  }
  $("show-market").addEventListener("change", renderLeaderboard);
  renderLeaderboard();

  // -- the bot's log --------------------------------------------------------------------------------
  const logRows = [];
  let timed = 0;
  for (const [stream, info] of Object.entries(D.log || {})) {
    for (const [when, text] of info.lines) { logRows.push({stream: stream.replace("bot.", ""), when, text}); if (when !== null) timed++; }
  }
  // stdout and stderr interleave in time order when every line has its time.
  if (logRows.length && timed === logRows.length) logRows.sort((a, b) => a.when - b.when);
  function renderLog() {
    const needle = $("log-filter").value.toLowerCase();
    const shown = logRows.filter((r) => !needle || r.text.toLowerCase().includes(needle)).slice(0, 3000);
    $("log").innerHTML = shown.map((r) => '<tr class="' + (r.stream === "stderr" ? "err" : "") + '"' + (r.when !== null ? ' data-t="' + r.when + '"' : "") +
      '><td class="when">' + (r.when !== null ? clock(r.when) : "") + '</td><td class="stream">' + r.stream + '</td><td class="text">' + esc(r.text) + "</td></tr>").join("") ||
      '<tr><td class="dim">' + (logRows.length ? "no line matches" : "the bot printed nothing") + "</td></tr>";
  }
  $("log-note").textContent = logRows.length ? fmt(logRows.length) + " lines" + (timed ? ", " + fmt(timed) + " with a time (click one to zoom there)"
    : " without timestamps (print the time, or log with %(asctime)s, to place lines on the time axis)") : "";
  $("log-filter").addEventListener("input", renderLog);
  // The bot's timed lines as ticks under the equity curve (hover one to read it).
  const ticks = logRows.filter((r) => r.when !== null).map((r) => [r.when, r.text.length > 90 ? r.text.slice(0, 90) + "…" : r.text])
    .sort((x, y) => x[0] - y[0]);
  if (ticks.length) equityChart.setSeries(equitySeries.concat([{type: "ticks", name: "log", points: ticks, color: "rgba(177,140,255,.45)"}]));
  $("log").addEventListener("click", (e) => {
    const row = e.target.closest("tr[data-t]");
    if (!row) return;
    const t = parseFloat(row.dataset.t);
    document.querySelectorAll("#log tr.hit").forEach((r) => r.classList.remove("hit"));
    row.classList.add("hit");
    if (charts.length) charts[0].setView([t - 5 * 60e3, t + 5 * 60e3]);
    charts.forEach((c) => c.setMark(t));
  });
  renderLog();

  $("reset-zoom").addEventListener("click", () => { charts.forEach((c) => c.setMark(null)); if (charts.length) charts[0].setView(null); });
  window.reportCharts = charts;  // for tests and the console
  document.body.dataset.rendered = "yes";
})();
