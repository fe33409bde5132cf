// IDX Web App: live updates without reloading. The page listens to /webapp/events (Server-Sent Events of
// the session's participants, filtered by its URM entities); on an event it fetches the same page again and
// swaps in the regions marked data-live-region, so what is shown is always what the server renders.
(() => {
  'use strict';
  for (const el of document.querySelectorAll('select[data-autosubmit]')) {
    el.addEventListener('change', () => el.form && el.form.requestSubmit());
  }
  const status = document.getElementById('live-status');
  if (!status || typeof EventSource === 'undefined') return;
  let timer = null;
  let refreshing = false;
  let again = false;
  const setStatus = (state, text) => {
    status.dataset.state = state;
    status.textContent = text;
  };
  const refresh = async () => {
    if (refreshing) {
      again = true;
      return;
    }
    refreshing = true;
    try {
      const regions = document.querySelectorAll('[data-live-region]');
      if (regions.length) {
        const res = await fetch(location.href, { headers: { accept: 'text/html' }, credentials: 'same-origin' });
        if (res.ok) {
          const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
          for (const region of regions) {
            const fresh = doc.getElementById(region.id);
            if (fresh && fresh.innerHTML !== region.innerHTML) region.innerHTML = fresh.innerHTML;
          }
        }
      }
      document.dispatchEvent(new CustomEvent('webapp:refresh'));
      setStatus('open', 'Live · updated');
    } finally {
      refreshing = false;
      if (again) {
        again = false;
        schedule();
      }
    }
  };
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, 150);
  };
  const source = new EventSource('/webapp/events');
  source.addEventListener('open', () => setStatus('open', 'Live'));
  source.addEventListener('error', () => setStatus('closed', 'Reconnecting…'));
  source.addEventListener('idx', schedule);
  source.addEventListener('count', schedule);
})();
