// IDX Web App, Flow Control: each business function's queue count over (simulated) time against its
// Low / Warn / High watermarks, drawn with uPlot from /webapp/flow-control/data.json; redrawn on live updates.
(() => {
  'use strict';
  const charts = new Map();
  const AEST = 'Australia/Brisbane'; // AEST all year: the NEM's market time (spec §3)
  const css = getComputedStyle(document.documentElement);
  const color = (name, fallback) => (css.getPropertyValue(name) || fallback).trim();

  const seriesData = (bf, nowMs) => {
    const points = bf.series.length ? bf.series : [{ at: nowMs, messageCount: bf.messageCount }];
    const xs = points.map((p) => p.at / 1000);
    const ys = points.map((p) => p.messageCount);
    // Extend the line to now with the current count.
    if (xs[xs.length - 1] < nowMs / 1000) {
      xs.push(nowMs / 1000);
      ys.push(bf.messageCount);
    }
    if (xs.length === 1) {
      xs.unshift(xs[0] - 60);
      ys.unshift(ys[0]);
    }
    const w = bf.watermarks;
    return [xs, ys, xs.map(() => w.low), xs.map(() => w.warn), xs.map(() => w.high)];
  };

  const hhmm = uPlot.fmtDate('{HH}:{mm}');
  const dayTime = uPlot.fmtDate('{YYYY}-{MM}-{DD} {HH}:{mm}:{ss}');
  const draw = (el, bf, nowMs) => {
    const data = seriesData(bf, nowMs);
    const existing = charts.get(el.id);
    if (existing) {
      existing.setData(data);
      return;
    }
    const width = Math.max(280, el.clientWidth);
    const opts = {
      width,
      height: 260,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), AEST),
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(max, bf.watermarks.high) * 1.1] } },
      legend: { live: false },
      axes: [{ stroke: '#4f5b6b', grid: { stroke: '#e6eaef' }, values: (u, splits) => splits.map((s) => hhmm(uPlot.tzDate(new Date(s * 1000), AEST))) }, { stroke: '#4f5b6b', grid: { stroke: '#e6eaef' }, label: 'messages', size: 60 }],
      series: [
        { label: 'Time (AEST)', value: (u, v) => (v == null ? '' : dayTime(uPlot.tzDate(new Date(v * 1000), AEST))) },
        { label: 'Queue count', value: (u, v) => (v == null ? '' : String(v)), stroke: color('--brand', '#0b4f6c'), width: 2, fill: 'rgba(11,79,108,0.08)', paths: uPlot.paths.stepped({ align: 1 }) },
        { label: 'Low', stroke: '#1d6b3a', dash: [6, 4], width: 1.5, points: { show: false } },
        { label: 'Warn', stroke: '#b7791f', dash: [6, 4], width: 1.5, points: { show: false } },
        { label: 'High', stroke: '#a4161a', dash: [6, 4], width: 1.5, points: { show: false } },
      ],
    };
    const chart = new uPlot(opts, data, el);
    charts.set(el.id, chart);
    new ResizeObserver(() => chart.setSize({ width: Math.max(280, el.clientWidth), height: 260 })).observe(el);
  };

  const load = async () => {
    const res = await fetch('/webapp/flow-control/data.json', { headers: { accept: 'application/json' }, credentials: 'same-origin' });
    if (!res.ok) return;
    const state = await res.json();
    for (const bf of state.businessFunctions) {
      const el = document.getElementById(`chart-${bf.businessFunctionId}`);
      if (el) draw(el, bf, state.nowMs);
    }
  };
  document.addEventListener('webapp:refresh', load);
  load();
})();
