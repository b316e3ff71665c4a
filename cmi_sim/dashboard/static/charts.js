/* cmi-sim charts: small time-series charts on <canvas>, with zoom (wheel), pan (drag), reset (double-click)
   and a crosshair. Shared by the live dashboard and the offline run report; no dependencies.

   const chart = new TimeChart(canvas, {yFormat, group});
   chart.setSeries([{type: "step" | "line", points: [[t, y], ...], color, width, name},
                    {type: "band", points: [[t, lo, hi], ...], color},          // filled between lo and hi
                    {type: "area", points: [[t, y], ...], color, base: 0},       // filled down to base
                    {type: "markers", points: [[t, y, up, label], ...], color, upColor, downColor, name},
                    {type: "ticks", points: [[t, label], ...], color, name}]);               // moments along the bottom
   Times are milliseconds since the epoch (UTC). Charts in one `group` share their time window. */
(function () {
  "use strict";
  const GROUPS = {};
  const THEME = {grid: "rgba(125,138,154,.14)", axis: "#7d8a9a", cross: "rgba(215,222,232,.45)",
                 font: "10px ui-monospace, DejaVu Sans Mono, monospace", tipBg: "rgba(18,24,32,.92)"};

  function pad2(n) { return (n < 10 ? "0" : "") + n; }
  function timeLabel(ms, span) {
    const d = new Date(ms);
    const hm = pad2(d.getUTCHours()) + ":" + pad2(d.getUTCMinutes());
    return span < 10 * 60e3 ? hm + ":" + pad2(d.getUTCSeconds()) : hm;
  }
  function niceStep(range, count) {
    const raw = range / Math.max(1, count);
    const mag = Math.pow(10, Math.floor(Math.log10(raw || 1)));
    const norm = raw / mag;
    return (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
  }
  const TIME_STEPS = [1e3, 5e3, 15e3, 30e3, 60e3, 300e3, 900e3, 1800e3, 3600e3, 7200e3, 10800e3, 21600e3, 43200e3, 86400e3];
  function defaultFormat(v) {
    const a = Math.abs(v);
    if (a < 1e-9) return "0";
    return v.toLocaleString("en-US", {maximumFractionDigits: a >= 100 ? 0 : a >= 1 ? 2 : 4});
  }
  function lowerIndex(points, t) {  // first index with points[i][0] >= t
    let lo = 0, hi = points.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (points[mid][0] < t) lo = mid + 1; else hi = mid; }
    return lo;
  }

  class TimeChart {
    constructor(canvas, options) {
      this.canvas = canvas;
      this.opt = Object.assign({yFormat: defaultFormat, padLeft: 58, padRight: 10, padTop: 8, padBottom: 18,
                                interactive: true, axes: true, zeroLine: false}, options || {});
      this.series = [];
      this.view = null;  // [t0, t1] when zoomed, else null (everything)
      this.hover = null;
      this.group = this.opt.group ? (GROUPS[this.opt.group] = GROUPS[this.opt.group] || []) : null;
      if (this.group) this.group.push(this);
      if (this.opt.interactive) this._listen();
      if (typeof ResizeObserver !== "undefined") new ResizeObserver(() => this.draw()).observe(canvas);
    }

    setSeries(series) { this.series = series; this.draw(); }
    setMark(t) { this.mark = t; this.draw(); }

    extent() {
      let t0 = Infinity, t1 = -Infinity;
      for (const s of this.series) {
        if (!s.points.length) continue;
        t0 = Math.min(t0, s.points[0][0]);
        t1 = Math.max(t1, s.points[s.points.length - 1][0]);
      }
      if (this.opt.xMin !== undefined) t0 = Math.min(t0, this.opt.xMin);
      if (this.opt.xMax !== undefined) t1 = Math.max(t1, this.opt.xMax);
      if (!isFinite(t0)) return null;
      if (t1 <= t0) t1 = t0 + 1000;
      return [t0, t1];
    }

    window() { return this.view || this.extent(); }

    setView(view, fromGroup) {
      this.view = view;
      this.draw();
      if (this.group && !fromGroup) for (const other of this.group) if (other !== this) other.setView(view, true);
    }

    _listen() {
      const c = this.canvas;
      let drag = null;
      c.addEventListener("wheel", (e) => {
        const w = this.window(); if (!w) return;
        e.preventDefault();
        const frac = this._frac(e.offsetX);
        const t = w[0] + frac * (w[1] - w[0]);
        const k = e.deltaY > 0 ? 1.25 : 0.8;
        const full = this.extent();
        let t0 = t - (t - w[0]) * k, t1 = t + (w[1] - t) * k;
        if (t1 - t0 >= full[1] - full[0]) { this.setView(null); return; }
        this.setView([t0, t1]);
      }, {passive: false});
      c.addEventListener("mousedown", (e) => { const w = this.window(); if (w) drag = {x: e.offsetX, w: w}; });
      window.addEventListener("mouseup", () => { drag = null; });
      c.addEventListener("mousemove", (e) => {
        if (drag) {
          const plotW = this._plotWidth();
          const dt = (e.offsetX - drag.x) / plotW * (drag.w[1] - drag.w[0]);
          this.setView([drag.w[0] - dt, drag.w[1] - dt]);
        }
        this.hover = e.offsetX; this.draw();
      });
      c.addEventListener("mouseleave", () => { this.hover = null; this.draw(); });
      c.addEventListener("dblclick", () => this.setView(null));
    }

    _plotWidth() { return Math.max(1, this.canvas.clientWidth - this.opt.padLeft - this.opt.padRight); }
    _frac(x) { return Math.min(1, Math.max(0, (x - this.opt.padLeft) / this._plotWidth())); }

    draw() {
      const c = this.canvas, o = this.opt;
      const cssW = c.clientWidth, cssH = c.clientHeight;
      if (!cssW || !cssH) return;
      const dpr = window.devicePixelRatio || 1;
      if (c.width !== Math.round(cssW * dpr) || c.height !== Math.round(cssH * dpr)) {
        c.width = Math.round(cssW * dpr); c.height = Math.round(cssH * dpr);
      }
      const g = c.getContext("2d");
      g.setTransform(dpr, 0, 0, dpr, 0, 0);
      g.clearRect(0, 0, cssW, cssH);
      const w = this.window();
      const L = o.axes ? o.padLeft : 2, R = o.axes ? o.padRight : 2, T = o.axes ? o.padTop : 3, B = o.axes ? o.padBottom : 3;
      const pw = cssW - L - R, ph = cssH - T - B;
      if (!w) {
        if (o.axes) { g.fillStyle = THEME.axis; g.font = THEME.font; g.fillText(o.empty || "no data yet", L + 8, T + 14); }
        return;
      }
      // y range over the visible window
      let y0 = Infinity, y1 = -Infinity;
      const see = (v) => { if (v !== null && v !== undefined && isFinite(v)) { if (v < y0) y0 = v; if (v > y1) y1 = v; } };
      for (const s of this.series) {
        const pts = s.points; if (!pts.length || s.type === "ticks") continue;
        const a = Math.max(0, lowerIndex(pts, w[0]) - 1), b = Math.min(pts.length, lowerIndex(pts, w[1]) + 1);
        for (let i = a; i < b; i++) { for (let j = 1; j < (s.type === "band" ? 3 : 2); j++) see(pts[i][j]); }
        if (s.type === "area") see(s.base || 0);
      }
      if (o.zeroLine) see(0);
      if (!isFinite(y0)) { y0 = 0; y1 = 1; }
      if (y1 === y0) { y0 -= 1; y1 += 1; }
      const margin = (y1 - y0) * 0.06; y0 -= margin; y1 += margin;
      const X = (t) => L + (t - w[0]) / (w[1] - w[0]) * pw;
      const Y = (v) => T + (1 - (v - y0) / (y1 - y0)) * ph;
      this._scale = {X, Y, w, L, pw, T, ph};

      if (o.axes) {  // grid and labels
        g.font = THEME.font; g.lineWidth = 1;
        const ys = niceStep(y1 - y0, Math.max(2, Math.floor(ph / 38)));
        g.textAlign = "right"; g.textBaseline = "middle";
        for (let v = Math.ceil(y0 / ys) * ys; v <= y1; v += ys) {
          const label = o.yFormat(v);
          // A step finer than the format shows (half ticks of a price) would print a rounded, misplaced label.
          const shown = Number(String(label).replace(/,/g, ""));
          if (Number.isFinite(shown) && Math.abs(shown - v) > ys * 1e-3) continue;
          const y = Math.round(Y(v)) + 0.5;
          g.strokeStyle = THEME.grid; g.beginPath(); g.moveTo(L, y); g.lineTo(L + pw, y); g.stroke();
          g.fillStyle = THEME.axis; g.fillText(label, L - 6, y);
        }
        const span = w[1] - w[0];
        const want = span / Math.max(2, Math.floor(pw / 90));
        const ts = TIME_STEPS.find((s) => s >= want) || TIME_STEPS[TIME_STEPS.length - 1];
        g.textAlign = "center"; g.textBaseline = "top";
        for (let t = Math.ceil(w[0] / ts) * ts; t <= w[1]; t += ts) {
          const x = Math.round(X(t)) + 0.5;
          g.strokeStyle = THEME.grid; g.beginPath(); g.moveTo(x, T); g.lineTo(x, T + ph); g.stroke();
          const label = timeLabel(t, span), half = g.measureText(label).width / 2;
          g.fillStyle = THEME.axis; g.fillText(label, Math.min(Math.max(x, L + half), L + pw + R - half - 1), T + ph + 4);
        }
      }
      g.save();
      g.beginPath(); g.rect(L, T, pw, ph); g.clip();
      if (o.zeroLine && y0 < 0 && y1 > 0) {
        g.strokeStyle = "rgba(215,222,232,.35)"; g.setLineDash([3, 3]); g.beginPath();
        g.moveTo(L, Y(0)); g.lineTo(L + pw, Y(0)); g.stroke(); g.setLineDash([]);
      }
      for (const s of this.series) this._drawSeries(g, s, w, X, Y);
      if (this.mark !== undefined && this.mark !== null) {  // a time picked elsewhere (a log line)
        g.strokeStyle = "#b18cff"; g.setLineDash([4, 3]); g.beginPath();
        g.moveTo(X(this.mark), T); g.lineTo(X(this.mark), T + ph); g.stroke(); g.setLineDash([]);
      }
      g.restore();
      if (this.hover !== null && o.axes) this._drawCrosshair(g, w, X, Y, T, ph, cssW);
    }

    _visible(pts, w) {
      return [Math.max(0, lowerIndex(pts, w[0]) - 1), Math.min(pts.length, lowerIndex(pts, w[1]) + 1)];
    }

    _drawSeries(g, s, w, X, Y) {
      const pts = s.points; if (!pts.length) return;
      const [a, b] = this._visible(pts, w);
      if (s.type === "band" || s.type === "area") {
        g.fillStyle = s.color; g.beginPath();
        let started = false;
        const top = [], bottom = [];
        for (let i = a; i < b; i++) {
          const p = pts[i], next = i + 1 < pts.length ? pts[i + 1][0] : w[1];
          const lo = s.type === "band" ? p[1] : (s.base || 0), hi = s.type === "band" ? p[2] : p[1];
          if (lo === null || hi === null || lo === undefined || hi === undefined) continue;
          top.push([X(p[0]), Y(hi)], [X(Math.min(next, w[1])), Y(hi)]);
          bottom.push([X(p[0]), Y(lo)], [X(Math.min(next, w[1])), Y(lo)]);
        }
        if (!top.length) return;
        for (const [x, y] of top) { if (!started) { g.moveTo(x, y); started = true; } else g.lineTo(x, y); }
        for (let i = bottom.length - 1; i >= 0; i--) g.lineTo(bottom[i][0], bottom[i][1]);
        g.closePath(); g.fill();
        return;
      }
      if (s.type === "ticks") {  // short strokes along the bottom edge: moments, not values
        const {T, ph} = this._scale;
        g.strokeStyle = s.color; g.lineWidth = 1; g.beginPath();
        for (let i = a; i < b; i++) { const x = Math.round(X(pts[i][0])) + 0.5; g.moveTo(x, T + ph - 7); g.lineTo(x, T + ph); }
        g.stroke();
        return;
      }
      if (s.type === "markers") {
        const r = s.radius || 3.5;
        for (let i = a; i < b; i++) {
          const p = pts[i]; const x = X(p[0]), y = Y(p[1]);
          g.fillStyle = p[2] === undefined ? s.color : (p[2] ? s.upColor : s.downColor);
          g.beginPath();
          if (p[2] === undefined) g.arc(x, y, r, 0, 2 * Math.PI);
          else if (p[2]) { g.moveTo(x, y - r - 1); g.lineTo(x + r, y + r - 1); g.lineTo(x - r, y + r - 1); }
          else { g.moveTo(x, y + r + 1); g.lineTo(x + r, y - r + 1); g.lineTo(x - r, y - r + 1); }
          g.closePath(); g.fill();
        }
        return;
      }
      g.strokeStyle = s.color; g.lineWidth = s.width || 1.4; g.lineJoin = "round";
      g.beginPath();
      let pen = false, lastY = null;
      for (let i = a; i < b; i++) {
        const p = pts[i];
        if (p[1] === null || p[1] === undefined) { pen = false; continue; }
        const x = X(p[0]), y = Y(p[1]);
        if (!pen) { g.moveTo(x, y); pen = true; }
        else if (s.type === "step") { g.lineTo(x, lastY); g.lineTo(x, y); }
        else g.lineTo(x, y);
        lastY = y;
      }
      if (s.type === "step" && pen && s.extend !== false) {
        const lastT = pts[b - 1][0];
        if (lastT < w[1]) g.lineTo(X(Math.min(w[1], s.until || lastT)), lastY);
      }
      g.stroke();
    }

    _drawCrosshair(g, w, X, Y, T, ph, cssW) {
      const t = w[0] + this._frac(this.hover) * (w[1] - w[0]);
      const x = X(t);
      g.strokeStyle = THEME.cross; g.lineWidth = 1; g.beginPath(); g.moveTo(x, T); g.lineTo(x, T + ph); g.stroke();
      const lines = [timeLabel(t, 0)];
      for (const s of this.series) {
        if (!s.name || !s.points.length) continue;
        const i = lowerIndex(s.points, t + 1e-6) - 1;
        if (i < 0) continue;
        const p = s.points[i];
        if ((s.type === "markers" || s.type === "ticks") && Math.abs(X(p[0]) - x) > 6) continue;
        if (s.type === "ticks") { lines.push(s.name + "  " + p[1]); continue; }
        const v = s.type === "band" ? (p[1] !== null && p[2] !== null ? this.opt.yFormat(p[1]) + " / " + this.opt.yFormat(p[2]) : "—")
                                    : (p[1] === null ? "—" : this.opt.yFormat(p[1]));
        lines.push(s.name + "  " + v + (s.type === "markers" && p[3] ? "  " + p[3] : ""));
      }
      g.font = THEME.font;
      const width = Math.max(...lines.map((l) => g.measureText(l).width)) + 12;
      const left = x + 10 + width > cssW ? x - 10 - width : x + 10;
      g.fillStyle = THEME.tipBg; g.fillRect(left, T + 4, width, lines.length * 13 + 6);
      g.fillStyle = "#d7dee8"; g.textAlign = "left"; g.textBaseline = "top";
      lines.forEach((l, i) => g.fillText(l, left + 6, T + 7 + i * 13));
    }
  }

  window.TimeChart = TimeChart;
  window.formatNumber = defaultFormat;
})();
