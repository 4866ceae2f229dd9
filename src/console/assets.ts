/**
 * The console's only two assets, served from its own path so the Content-Security-Policy can
 * be `script-src 'self'; style-src 'self'` (no inline script or style anywhere).
 */

/** The stylesheet: light and dark (prefers-color-scheme), readable from 400 px wide. */
export const CONSOLE_CSS = `
:root { --bg: #f6f7f9; --panel: #fff; --fg: #1d2330; --muted: #5b6475; --line: #dde1e7; --accent: #2f6fde;
  --plan: #8d98ac; --warn: #c98a12; --bad: #d64545; --good: #2e8b57; color-scheme: light dark; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #11151c; --panel: #1a2029; --fg: #e4e8ef; --muted: #a3adbd; --line: #2e3744; --accent: #6ea0ff;
    --plan: #8591a5; --warn: #f2b441; --bad: #ff7070; --good: #5fd08f; }
}
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, sans-serif; margin: 0; color: var(--fg); background: var(--bg); }
header { display: flex; flex-wrap: wrap; gap: 6px 18px; align-items: baseline; padding: 10px 16px; border-bottom: 1px solid var(--line); background: var(--panel); }
header strong { font-size: 17px; }
nav a { margin-right: 12px; }
a { color: var(--accent); }
main { padding: 12px 16px 40px; max-width: 1200px; }
h1 { font-size: 20px; margin: 8px 0; } h2 { font-size: 16px; margin: 22px 0 8px; }
section, figure.chart { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; margin: 0 0 14px; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 480px), 1fr)); gap: 14px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; }
.muted, .empty, .legend { color: var(--muted); }
.pre { white-space: pre-wrap; overflow-wrap: anywhere; }
.badge { display: inline-block; padding: 0 7px; border-radius: 10px; border: 1px solid var(--line); font-size: 13px; }
.state-enabled, .healthy, .on { color: var(--good); } .state-disabled, .off { color: var(--muted); }
.warning { color: var(--warn); } .critical, .error { color: var(--bad); }
figure.chart { margin: 0 0 14px; } figcaption { font-weight: 600; margin-bottom: 4px; }
svg { width: 100%; max-width: 640px; height: auto; display: block; } svg.gauge { width: 164px; display: inline-block; vertical-align: middle; }
svg text { font-size: 13px; fill: var(--muted); }
.axis { stroke: var(--line); stroke-width: 1.5; }
.plan { fill: none; stroke: var(--plan); stroke-dasharray: 6 4; stroke-width: 2; }
.actual, .values { fill: none; stroke: var(--accent); stroke-width: 2.5; }
.threshold { stroke: var(--warn); stroke-width: 2; stroke-dasharray: 6 3; }
.hold { fill: var(--warn); } .rollback { fill: var(--bad); }
.bar, .actual-bar { fill: var(--accent); } .plan-bar { fill: var(--plan); } .track { fill: var(--line); }
.swatch { display: inline-block; width: 18px; height: 3px; vertical-align: middle; }
.swatch.plan { background: var(--plan); } .swatch.actual { background: var(--accent); }
form.action, form.explorer { display: flex; flex-wrap: wrap; gap: 8px; align-items: end; margin: 8px 0; }
label { display: flex; flex-direction: column; font-size: 13px; color: var(--muted); }
input, select, button { font: inherit; padding: 4px 8px; border: 1px solid var(--line); border-radius: 6px; background: var(--bg); color: var(--fg); }
button { background: var(--accent); color: #fff; border-color: var(--accent); cursor: pointer; }
button.danger { background: var(--bad); border-color: var(--bad); }
.notice { padding: 8px 12px; border-radius: 6px; border: 1px solid var(--line); background: var(--panel); }
.notice.refused { border-color: var(--bad); }
#live-status { font-size: 13px; color: var(--muted); }
#live-status.connected::before { content: "● "; color: var(--good); }
#live-status.disconnected::before { content: "● "; color: var(--bad); }
@media (max-width: 520px) { body { font-size: 14px; } main { padding: 8px; } th, td { padding: 4px; } }
`;

/**
 * The console's script: follows the server's event stream and, on any change, re-fetches the
 * page and swaps in its live regions (elements with `data-live` and an id), leaving forms the
 * reader is typing into alone. Changes are batched so a busy writer costs one refresh per 250 ms.
 */
export const CONSOLE_JS = `
(function () {
  'use strict';
  var root = document.documentElement;
  var base = root.getAttribute('data-base') || '';
  var status = document.getElementById('live-status');
  var timer = null, running = false, again = false, down = false, changes = 0;
  function localTimes(scope) {
    var times = scope.querySelectorAll('time[datetime]');
    for (var i = 0; i < times.length; i++) {
      var d = new Date(times[i].getAttribute('datetime'));
      if (!isNaN(d)) { times[i].title = times[i].textContent; times[i].textContent = d.toLocaleString(); }
    }
  }
  function setStatus(text, cls) { if (status) { status.textContent = text; status.className = cls; } }
  function refresh() {
    if (running) { again = true; return; }
    running = true;
    fetch(location.href, { credentials: 'same-origin', headers: { 'x-phasegate-live': '1' } })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(new Error('HTTP ' + response.status)); })
      .then(function (text) {
        var fresh = new DOMParser().parseFromString(text, 'text/html');
        var regions = document.querySelectorAll('[data-live][id]');
        for (var i = 0; i < regions.length; i++) {
          var next = fresh.getElementById(regions[i].id);
          if (next) { regions[i].replaceWith(document.importNode(next, true)); }
        }
        localTimes(document);
        root.setAttribute('data-refreshed', String(changes));
        setStatus('live · updated ' + new Date().toLocaleTimeString(), 'connected');
      })
      .catch(function (error) { setStatus('live · refresh failed: ' + error.message, 'disconnected'); })
      .then(function () { running = false; if (again) { again = false; schedule(); } });
  }
  function schedule() { if (timer === null) timer = setTimeout(function () { timer = null; refresh(); }, 250); }
  localTimes(document);
  if (typeof EventSource === 'function') {
    var source = new EventSource(base + '/events');
    source.addEventListener('change', function () { changes++; schedule(); });
    source.addEventListener('flag', function () { changes++; schedule(); });
    source.addEventListener('open', function () { setStatus('live', 'connected'); if (down) { down = false; schedule(); } });
    source.addEventListener('error', function () { down = true; setStatus('live · reconnecting…', 'disconnected'); });
  }
})();
`;
