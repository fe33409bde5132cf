// Simulator console (issue #12): the little the pages do in the browser. Everything works without it;
// it only makes the simulated clock tick between page loads, tails the journal, and asks before
// destructive buttons. No framework, no build step; the CSP allows this file and nothing inline.
(function () {
  'use strict';
  const OFFSET_MS = 10 * 3600 * 1000; // market time, AEST (UTC+10, no daylight saving)

  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function marketText(ms) {
    const d = new Date(ms + OFFSET_MS);
    return d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate()) + ' ' +
      pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) + ':' + pad(d.getUTCSeconds());
  }

  // The simulated clock runs with real time unless frozen: tick every element that shows it.
  const clocks = Array.prototype.slice.call(document.querySelectorAll('[data-sim-clock]'));
  const loadedAt = performance.now();
  clocks.forEach(function (el) {
    if (el.getAttribute('data-frozen') === 'true') return;
    const base = Number(el.getAttribute('data-now'));
    const time = el.querySelector('.sim-clock-time');
    if (!time || !isFinite(base)) return;
    setInterval(function () { time.textContent = marketText(base + (performance.now() - loadedAt)); }, 1000);
  });

  // Ask before buttons that remove things.
  document.addEventListener('submit', function (e) {
    const button = e.submitter;
    const question = button && button.getAttribute('data-confirm');
    if (question && !window.confirm(question)) e.preventDefault();
  });

  // Journal live tail: fetch rows newer than the newest shown, every two seconds while the box is ticked.
  const tail = document.querySelector('[data-live-tail]');
  const rows = document.getElementById('journal-rows');
  const status = document.getElementById('live-status');
  if (tail && rows) {
    let timer = null;
    const newest = function () {
      const first = rows.querySelector('tr[data-id]');
      return first ? first.getAttribute('data-id') : '0';
    };
    const poll = function () {
      const url = tail.getAttribute('data-live-tail') + '&after=' + encodeURIComponent(newest());
      fetch(url, { credentials: 'same-origin', headers: { accept: 'text/html' } }).then(function (res) {
        if (res.redirected || !res.ok) throw new Error('signed out or refused (' + res.status + ')');
        return res.text();
      }).then(function (text) {
        if (!text.trim()) return;
        const template = document.createElement('template');
        template.innerHTML = text; // rows rendered by the server with every value escaped
        const count = template.content.querySelectorAll('tr').length;
        rows.insertBefore(template.content, rows.firstChild);
        const table = rows.closest('table');
        if (table) table.classList.remove('is-empty');
        const empty = document.querySelector('.journal-empty');
        if (empty) empty.hidden = true;
        if (status) status.textContent = count + ' new request' + (count === 1 ? '' : 's');
      }).catch(function (err) {
        tail.checked = false;
        stop();
        if (status) status.textContent = 'Live tail stopped: ' + err.message;
      });
    };
    const stop = function () { if (timer) clearInterval(timer); timer = null; };
    tail.addEventListener('change', function () {
      stop();
      if (tail.checked) { poll(); timer = setInterval(poll, 2000); if (status) status.textContent = 'Live tail on'; }
      else if (status) status.textContent = 'Live tail off';
    });
  }

  // The new-counterparty form: show only the fields of the chosen kind.
  const kind = document.getElementById('cp-kind');
  if (kind) {
    const sync = function () {
      const lnsp = kind.value === 'lnsp';
      Array.prototype.forEach.call(document.querySelectorAll('[data-for-kind]'), function (el) {
        el.hidden = el.getAttribute('data-for-kind') !== (lnsp ? 'lnsp' : 'sender');
      });
    };
    kind.addEventListener('change', sync);
    sync();
  }
})();
