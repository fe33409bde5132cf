/**
 * The evidence report's stylesheet and script, inlined into report.html so the one file opens offline
 * from file:// (issue #11). The palette is the web pages' (src/web), so the report looks like the rest of
 * idx-sim; colours meet WCAG AA contrast, and every colour is doubled by a text label or symbol.
 */

export const REPORT_CSS = `
:root {
  --bg: #f4f6f9; --surface: #fff; --text: #1b2430; --muted: #4f5b6b; --border: #d5dbe3;
  --brand: #0b4f6c; --brand-soft: #e3f0f6; --accent: #0a5bb0;
  --ok: #1d6b3a; --ok-bg: #e3f4e8; --bad: #a4161a; --bad-bg: #fde4e4; --skip: #5d4a00; --skip-bg: #fbf0c9;
  --none-bg: #f0f2f5; --radius: 8px;
  --shadow: 0 1px 2px rgba(16,24,40,.06), 0 1px 3px rgba(16,24,40,.08);
  --mono: ui-monospace, SFMono-Regular, "DejaVu Sans Mono", Menlo, Consolas, monospace;
  color-scheme: light;
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text); font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif; }
a { color: var(--accent); }
:focus-visible { outline: 3px solid #f4a100; outline-offset: 2px; }
code, pre, .mono { font-family: var(--mono); font-size: .86em; }
h1 { font-size: 1.45rem; margin: 0; line-height: 1.25; }
h2 { font-size: 1.2rem; margin: 0 0 .75rem; }
h3 { font-size: 1rem; margin: 1.1rem 0 .5rem; }
p { margin: .25rem 0 .75rem; }
.skip-link { position: absolute; left: -9999px; top: 0; background: var(--surface); padding: .5rem 1rem; z-index: 10; }
.skip-link:focus { left: .5rem; top: .5rem; }
.sr-only { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden; clip: rect(0,0,0,0); white-space: nowrap; border: 0; }

.site-header { background: var(--brand); color: #fff; padding: 1rem 1.5rem; display: flex; flex-wrap: wrap; gap: .75rem 1.5rem; align-items: center; justify-content: space-between; }
.site-header .kicker { font-size: .8rem; letter-spacing: .06em; text-transform: uppercase; opacity: .9; margin: 0; }
.site-header .run-meta { margin: .2rem 0 0; font-size: .9rem; }
.verdict { font-weight: 700; font-size: 1.05rem; border-radius: 999px; padding: .35rem 1rem; background: #fff; border: 2px solid #fff; }
.verdict-passed { color: var(--ok); }
.verdict-failed { color: var(--bad); }
.verdict-note { color: var(--skip); font-weight: 600; font-size: .9rem; }
.site-nav { background: var(--surface); border-bottom: 1px solid var(--border); padding: 0 1rem; overflow-x: auto; position: sticky; top: 0; z-index: 5; }
.site-nav ul { list-style: none; margin: 0; padding: 0; display: flex; gap: .25rem; }
.site-nav a { display: block; padding: .6rem .75rem; text-decoration: none; color: var(--text); white-space: nowrap; border-bottom: 3px solid transparent; }
.site-nav a:hover { border-bottom-color: var(--brand); }
main { max-width: 1280px; margin: 0 auto; padding: 1.25rem 1.25rem 3rem; }
.panel { background: var(--surface); border: 1px solid var(--border); border-radius: var(--radius); box-shadow: var(--shadow); padding: 1.1rem 1.25rem; margin-bottom: 1.25rem; scroll-margin-top: 3.2rem; }
.panel > h2 { display: flex; align-items: baseline; gap: .6rem; flex-wrap: wrap; }
.panel .lead { color: var(--muted); margin-top: -.4rem; }

.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(130px, 1fr)); gap: .75rem; margin: 0 0 1rem; padding: 0; list-style: none; }
.card { border: 1px solid var(--border); border-radius: var(--radius); padding: .6rem .8rem; background: #fbfcfd; }
.card .value { display: block; font-size: 1.6rem; font-weight: 700; line-height: 1.2; }
.card .label { color: var(--muted); font-size: .85rem; }
.card.passed { border-left: 5px solid var(--ok); } .card.passed .value { color: var(--ok); }
.card.failed { border-left: 5px solid var(--bad); } .card.failed .value { color: var(--bad); }
.card.not-run { border-left: 5px solid #b08a00; } .card.not-run .value { color: var(--skip); }
.bar { display: block; width: 100%; height: 14px; border-radius: 7px; overflow: hidden; margin: .25rem 0 .4rem; }
.legend { display: flex; gap: 1rem; flex-wrap: wrap; font-size: .85rem; color: var(--muted); margin: 0; padding: 0; list-style: none; }
.swatch { display: inline-block; width: .8rem; height: .8rem; border-radius: 2px; margin-right: .3rem; vertical-align: -1px; }
.swatch.passed { background: var(--ok); } .swatch.failed { background: var(--bad); } .swatch.not-run { background: #c9a227; }

.grid-2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 1rem; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
caption { text-align: left; font-weight: 600; padding: 0 0 .4rem; }
th, td { text-align: left; vertical-align: top; padding: .4rem .55rem; border-bottom: 1px solid var(--border); }
thead th { background: #eef2f6; font-weight: 600; border-bottom: 2px solid #b7c0cc; }
tbody th { font-weight: 600; }
.table-wrap { position: relative; overflow-x: auto; border: 1px solid var(--border); border-radius: var(--radius); }
.table-wrap table { border: 0; }
.nowrap { white-space: nowrap; }

.badge { display: inline-block; border-radius: 999px; padding: .05rem .55rem; font-size: .8rem; font-weight: 600; white-space: nowrap; border: 1px solid transparent; }
.badge-passed { background: var(--ok-bg); color: var(--ok); border-color: #a9d8b8; }
.badge-failed { background: var(--bad-bg); color: var(--bad); border-color: #f1a9ab; }
.badge-not-run { background: var(--skip-bg); color: var(--skip); border-color: #e6cf7a; }
.badge-met { background: var(--ok-bg); color: var(--ok); }
.badge-unmet { background: var(--bad-bg); color: var(--bad); }
.badge-gap { background: var(--bad-bg); color: var(--bad); }
.badge-neutral { background: var(--none-bg); color: var(--muted); border-color: var(--border); }
.tag { display: inline-block; background: var(--brand-soft); color: var(--brand); border-radius: 4px; padding: 0 .4rem; font-size: .78rem; margin: 0 .2rem .2rem 0; }
.sev-critical, .sev-high { color: var(--bad); font-weight: 700; }

.failure-list { list-style: none; margin: 0; padding: 0; display: grid; gap: .6rem; }
.failure { border: 1px solid #f1a9ab; border-left: 6px solid var(--bad); background: #fff7f7; border-radius: var(--radius); padding: .6rem .8rem; }
.failure .where { font-weight: 600; }
.reason { white-space: pre-wrap; overflow-wrap: anywhere; margin: .3rem 0; font-family: var(--mono); font-size: .85rem; color: #5c0b0e; }

.heatmap td.cell { text-align: center; vertical-align: middle; white-space: nowrap; font-weight: 600; font-size: .85rem; }
.heatmap td.passed { background: var(--ok-bg); color: var(--ok); }
.heatmap td.failed { background: var(--bad-bg); color: var(--bad); }
.heatmap td.not-run { background: var(--skip-bg); color: var(--skip); }
.heatmap td.absent { color: #6b7685; font-weight: 400; }
.heatmap tbody th { white-space: nowrap; }
.heatmap thead th.participant { text-align: center; }
.heatmap tbody th .title { display: block; font-weight: 400; color: var(--muted); font-size: .8rem; white-space: normal; max-width: 22rem; }
.heatmap tfoot th, .heatmap tfoot td { background: #eef2f6; font-size: .82rem; text-align: center; }
.heatmap tfoot th { text-align: left; }

.toolbar { display: flex; flex-wrap: wrap; gap: .6rem 1.2rem; align-items: center; padding: .6rem .8rem; background: #eef2f6; border-radius: var(--radius); margin-bottom: .9rem; }
.toolbar label { display: inline-flex; align-items: center; gap: .35rem; font-size: .9rem; }
.toolbar select, .toolbar input[type=search] { font: inherit; padding: .25rem .4rem; border: 1px solid #8a96a6; border-radius: 4px; background: #fff; }
.toolbar button { font: inherit; font-size: .85rem; padding: .25rem .7rem; border: 1px solid #8a96a6; border-radius: 4px; background: #fff; cursor: pointer; }
.toolbar button:hover { background: var(--brand-soft); }
.toolbar .count { margin-left: auto; color: var(--muted); font-size: .85rem; }

.scenario { border: 1px solid var(--border); border-radius: var(--radius); margin-bottom: .8rem; background: #fff; scroll-margin-top: 3.2rem; }
.scenario.failed { border-left: 6px solid var(--bad); }
.scenario.passed { border-left: 6px solid var(--ok); }
.scenario.not-run { border-left: 6px solid #c9a227; }
.scenario > header { padding: .6rem .9rem; display: flex; flex-wrap: wrap; gap: .3rem .8rem; align-items: baseline; }
.scenario > header h3 { margin: 0; font-size: 1rem; }
.scenario > header .meta { color: var(--muted); font-size: .85rem; }
.scenario .refs { padding: 0 .9rem .5rem; font-size: .85rem; color: var(--muted); }
.scenario .not-run-reason { margin: 0 .9rem .6rem; padding: .4rem .6rem; background: var(--skip-bg); color: var(--skip); border-radius: 4px; }
.steps { list-style: none; margin: 0; padding: 0 .6rem .6rem; }
.step { border-top: 1px solid var(--border); scroll-margin-top: 3.2rem; }
.step > details > summary { cursor: pointer; padding: .45rem .3rem; display: flex; flex-wrap: wrap; gap: .25rem .7rem; align-items: baseline; list-style-position: inside; }
.step > details > summary::-webkit-details-marker { color: var(--muted); }
.step .idx { font-variant-numeric: tabular-nums; color: var(--muted); min-width: 1.6rem; }
.step .idx.phase { min-width: 0; }
.step .name { font-weight: 600; }
.step .action { font-family: var(--mono); font-size: .8rem; background: var(--none-bg); border-radius: 4px; padding: 0 .35rem; }
.step .phase { font-size: .75rem; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
.step .timing { margin-left: auto; color: var(--muted); font-size: .8rem; font-variant-numeric: tabular-nums; }
.step.failed > details > summary { background: #fff3f3; }
.step-body { padding: .2rem .6rem .8rem 2.2rem; }
.step-body .reason { background: var(--bad-bg); border-left: 4px solid var(--bad); padding: .5rem .7rem; border-radius: 4px; }
.assertions { list-style: none; padding: 0; margin: .3rem 0 .6rem; font-size: .88rem; }
.assertions li { padding: .1rem 0; overflow-wrap: anywhere; }
.assertions .ok { color: var(--ok); font-weight: 700; }
.assertions .ko { color: var(--bad); font-weight: 700; }
.assertions .vals { color: var(--muted); font-family: var(--mono); font-size: .8rem; }
.exchange { border: 1px solid var(--border); border-radius: 6px; margin: .5rem 0; }
.exchange > .line { padding: .35rem .6rem; background: #f7f9fb; border-bottom: 1px solid var(--border); display: flex; gap: .5rem .9rem; flex-wrap: wrap; font-size: .85rem; align-items: baseline; }
.exchange .method { font-weight: 700; font-family: var(--mono); }
.exchange .url { font-family: var(--mono); overflow-wrap: anywhere; }
.status-ok { color: var(--ok); font-weight: 700; } .status-bad { color: var(--bad); font-weight: 700; }
.io { display: grid; grid-template-columns: repeat(auto-fit, minmax(280px, 1fr)); gap: .5rem; padding: .5rem .6rem; }
.io h4 { margin: 0 0 .25rem; font-size: .8rem; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
pre.excerpt { margin: 0; background: #1e2733; color: #e8edf3; padding: .55rem .7rem; border-radius: 5px; max-height: 18rem; overflow: auto; white-space: pre-wrap; overflow-wrap: anywhere; font-size: .78rem; line-height: 1.45; }
dl.kv { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; margin: 0; font-size: .9rem; }
dl.kv dt { color: var(--muted); }
dl.kv dd { margin: 0; overflow-wrap: anywhere; }
.muted { color: var(--muted); }
footer.site-footer { text-align: center; color: var(--muted); font-size: .8rem; padding: 1rem; }
@media (max-width: 600px) {
  main { padding: .75rem .5rem 2rem; }
  .panel { padding: .8rem .75rem; }
  .step-body { padding-left: .6rem; }
  .step .timing { margin-left: 0; }
  dl.kv { grid-template-columns: 1fr; }
}
@media print {
  .site-nav, .toolbar { display: none; }
  .scenario[hidden] { display: block !important; }
  body { background: #fff; }
}
`;

/**
 * Filters (failed only, by tag, by text), expand/collapse, and opening the scenario or step a link
 * points at. Plain DOM, no library; the report is fully readable without it.
 */
export const REPORT_JS = `
(function () {
  'use strict';
  var scenarios = Array.prototype.slice.call(document.querySelectorAll('article.scenario'));
  var failedOnly = document.getElementById('filter-failed');
  var tag = document.getElementById('filter-tag');
  var text = document.getElementById('filter-text');
  var count = document.getElementById('filter-count');
  function apply() {
    var wantTag = tag ? tag.value : '';
    var q = text ? text.value.trim().toLowerCase() : '';
    var shown = 0;
    scenarios.forEach(function (el) {
      var tags = (el.getAttribute('data-tags') || '').split(' ');
      var ok = (!failedOnly || !failedOnly.checked || el.getAttribute('data-outcome') === 'failed')
        && (!wantTag || tags.indexOf(wantTag) !== -1)
        && (!q || el.textContent.toLowerCase().indexOf(q) !== -1);
      el.hidden = !ok;
      if (ok) shown++;
    });
    if (count) count.textContent = 'Showing ' + shown + ' of ' + scenarios.length + ' scenarios';
  }
  [failedOnly, tag].forEach(function (c) { if (c) c.addEventListener('change', apply); });
  if (text) text.addEventListener('input', apply);
  function setAll(open) {
    scenarios.forEach(function (el) {
      if (el.hidden) return;
      Array.prototype.forEach.call(el.querySelectorAll('details'), function (d) { d.open = open; });
    });
  }
  var expand = document.getElementById('expand-all');
  var collapse = document.getElementById('collapse-all');
  if (expand) expand.addEventListener('click', function () { setAll(true); });
  if (collapse) collapse.addEventListener('click', function () { setAll(false); });
  function reveal() {
    var id = decodeURIComponent(location.hash.slice(1));
    var target = id && document.getElementById(id);
    if (!target) return;
    var s = target.closest('article.scenario');
    if (s && s.hidden) { if (failedOnly) failedOnly.checked = false; if (tag) tag.value = ''; if (text) text.value = ''; apply(); }
    for (var el = target; el; el = el.parentElement) { if (el.tagName === 'DETAILS') el.open = true; }
    var inner = target.querySelector && target.querySelector('details');
    if (inner) inner.open = true;
    target.scrollIntoView();
  }
  window.addEventListener('hashchange', reveal);
  apply();
  reveal();
})();
`;
