// umbra web UI. Each page is a server-rendered shell; this script fetches the
// data from /api with the token kept in sessionStorage and draws it.
//
// Everything shown comes from intel, which is hostile input: text goes in
// only through textContent (el/svg below), attributes only through
// setAttribute, links only to our own relative paths (href). No innerHTML,
// no inline handlers, no eval: the CSP forbids them anyway.
'use strict';

(() => {
  const TOKEN_KEY = 'umbra_token';
  const SVGNS = 'http://www.w3.org/2000/svg';
  const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

  // ---- building DOM safely ----

  function el(tag, attrs, ...kids) {
    return build(document.createElement(tag), attrs, kids);
  }

  function svg(tag, attrs, ...kids) {
    return build(document.createElementNS(SVGNS, tag), attrs, kids);
  }

  function build(node, attrs, kids) {
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (/^on/i.test(k)) throw new Error('event handler attribute ' + k + ': use addEventListener');
      node.setAttribute(k, k === 'href' ? href(v) : String(v));
    }
    for (const kid of kids.flat(Infinity)) {
      if (kid === null || kid === undefined || kid === false) continue;
      node.append(kid instanceof Node ? kid : String(kid)); // strings become text nodes
    }
    return node;
  }

  // href accepts only paths into our own UI or API; anything else (a
  // javascript: or data: URL, another host, //host) becomes a dead link.
  function href(path) {
    const p = String(path);
    if (!/^\/(ui|api)\//.test(p) || p.includes('\\')) return '#';
    const u = new URL(p, location.origin);
    return u.origin === location.origin ? u.pathname + u.search : '#';
  }

  // path joins segments under /ui/ or /api/, each one URL-encoded.
  function path(base, ...segments) {
    return base + segments.map(encodeURIComponent).join('/');
  }

  // withQuery adds the non-empty params to p.
  function withQuery(p, params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
    const s = q.toString();
    return s ? p + '?' + s : p;
  }

  function replace(node, ...kids) {
    node.replaceChildren();
    return build(node, null, kids);
  }

  function status(msg, isError) {
    const s = document.getElementById('status');
    if (!s) return;
    s.hidden = !msg;
    s.className = isError ? 'error' : '';
    s.textContent = msg || '';
  }

  function list(items, fn) {
    return (items || []).map(fn);
  }

  function joinNodes(items, sep) {
    const out = [];
    (items || []).forEach((x, i) => { if (i) out.push(sep); out.push(x); });
    return out;
  }

  function actorLink(name) {
    return el('a', { href: path('/ui/actors/', name) }, name);
  }

  function fmtTime(t) {
    if (!t) return '';
    const d = new Date(t);
    return isNaN(d) ? String(t) : d.toISOString().replace('T', ' ').replace(/\.000Z$|Z$/, 'Z');
  }

  // kv draws any JSON value as nested lists, for responses whose shape the
  // page does not know field by field (stats, lookups, import summaries).
  function kv(v, depth = 0) {
    if (v === null || v === undefined) return el('span', { class: 'muted' }, '—');
    if (Array.isArray(v)) {
      if (!v.length) return el('span', { class: 'muted' }, 'none');
      if (v.every(x => typeof x !== 'object' || x === null)) return el('span', null, v.join(', '));
      return el('ol', { class: 'kv' }, v.slice(0, 200).map(x => el('li', null, kv(x, depth + 1))));
    }
    if (typeof v === 'object') {
      if (depth > 6) return el('span', null, JSON.stringify(v));
      return el('dl', { class: 'kv' }, Object.entries(v).map(([k, x]) => [el('dt', null, k), el('dd', null, kv(x, depth + 1))]));
    }
    return el('span', null, String(v));
  }

  // ---- the API ----

  function token() { return sessionStorage.getItem(TOKEN_KEY); }

  function toLogin() {
    sessionStorage.removeItem(TOKEN_KEY);
    location.assign('/ui/login');
  }

  class APIError extends Error {}

  async function api(p, opts = {}) {
    const tok = token();
    if (!tok) { toLogin(); throw new APIError('not logged in'); }
    const headers = Object.assign({ Authorization: 'Bearer ' + tok, Accept: 'application/json' }, opts.headers || {});
    const res = await fetch(p, { method: opts.method || 'GET', body: opts.body, headers, credentials: 'omit', cache: 'no-store' });
    if (res.status === 401) { toLogin(); throw new APIError('the token is no longer valid'); }
    if (!res.ok) {
      let detail = res.status + ' ' + res.statusText;
      try {
        const e = await res.json();
        const er = e.error || e;
        detail = [er.title, er.detail || er.description].filter(Boolean).join(': ') || detail;
      } catch (_) { /* not JSON */ }
      throw new APIError(detail);
    }
    if (opts.raw) return res;
    if (res.status === 204) return null;
    return res.json();
  }

  // guard runs an async page function and shows its failure.
  function guard(fn) {
    return (...args) => Promise.resolve(fn(...args)).catch(err => status(err.message || String(err), true));
  }

  // ---- charts ----

  function colorFor(keys) {
    const m = new Map();
    keys.forEach((k, i) => m.set(k, PALETTE[i % PALETTE.length]));
    return k => m.get(k) || '#999';
  }

  function legend(keys, color, linkFor) {
    return el('ul', { class: 'legend' }, keys.map(k => el('li', null,
      svg('svg', { width: 12, height: 12, 'aria-hidden': 'true' }, svg('rect', { width: 12, height: 12, fill: color(k) })),
      ' ', linkFor ? el('a', { href: linkFor(k) }, k) : k)));
  }

  // stackedBars draws a histogram ({buckets:[{start,counts}], keys}) as
  // stacked columns; each segment links to the matching alerts.
  function stackedBars(h, linkFor) {
    const W = 960, H = 260, L = 44, B = 28, T = 10;
    const buckets = (h.buckets || []).slice().sort((a, b) => new Date(a.start) - new Date(b.start));
    const keys = h.keys && h.keys.length ? h.keys : [...new Set(buckets.flatMap(b => Object.keys(b.counts || {})))];
    if (!buckets.length) return el('p', { class: 'muted' }, 'No alerts in this range.');
    const color = colorFor(keys);
    const totals = buckets.map(b => Object.values(b.counts || {}).reduce((s, n) => s + n, 0));
    const max = Math.max(1, ...totals);
    const bw = (W - L) / buckets.length;
    const y = n => (H - B) - (n / max) * (H - B - T);
    const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'bars', role: 'img', 'aria-label': 'alerts over time' },
      svg('line', { x1: L, y1: H - B, x2: W, y2: H - B, class: 'axis' }),
      svg('text', { x: L - 6, y: T + 4, 'text-anchor': 'end', class: 'tick' }, String(max)),
      svg('text', { x: L - 6, y: H - B, 'text-anchor': 'end', class: 'tick' }, '0'));
    buckets.forEach((b, i) => {
      let acc = 0;
      for (const k of keys) {
        const n = (b.counts || {})[k] || 0;
        if (!n) continue;
        const rect = svg('rect', { x: L + i * bw + 1, y: y(acc + n), width: Math.max(1, bw - 2), height: y(acc) - y(acc + n), fill: color(k) },
          svg('title', null, `${k}: ${n} (${fmtTime(b.start)})`));
        chart.append(linkFor ? svg('a', { href: linkFor(k, b) }, rect) : rect);
        acc += n;
      }
    });
    const every = Math.max(1, Math.ceil(buckets.length / 8));
    buckets.forEach((b, i) => {
      if (i % every) return;
      const label = fmtTime(b.start).slice(0, 16).replace(/ 00:00$/, ''); // day buckets show the date alone
      chart.append(svg('text', { x: L + i * bw + bw / 2, y: H - 8, 'text-anchor': 'middle', class: 'tick' }, label));
    });
    return el('div', null, chart, legend(keys, color, linkFor && (k => linkFor(k))));
  }

  // ---- pages ----

  const pages = {};

  pages.login = () => {
    const form = document.getElementById('login-form');
    form.addEventListener('submit', guard(async ev => {
      ev.preventDefault();
      const tok = form.elements.token.value.trim();
      const res = await fetch('/ui/login', {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token: tok }),
      });
      if (!res.ok) {
        status(res.status === 401 ? 'That token is not valid (wrong, expired or revoked).'
          : res.status === 429 ? 'Too many wrong tokens from here: wait a little and try again.' : 'Login failed: ' + res.status, true);
        return;
      }
      sessionStorage.setItem(TOKEN_KEY, tok);
      // A page that answered 401 shows this form in place: reload it.
      if (location.pathname === '/ui/login') location.assign('/ui/');
      else location.reload();
    }));
  };

  pages.dashboard = async () => {
    const q = new URLSearchParams(location.search);
    const since = q.get('since') || '', bucket = q.get('bucket') || '1d';
    const stats = await api('/api/stats');
    replace(document.getElementById('stats'), Object.entries(stats).map(([k, v]) => el('div', { class: 'card' }, el('h3', null, k), kv(v))));
    for (const by of ['actor', 'kind']) {
      const h = await api(withQuery('/api/alerts/histogram', { since, bucket, by }));
      replace(document.getElementById('by-' + by), stackedBars(h, (k, b) => {
        const p = { [by]: k, since };
        if (b) {
          p.since = new Date(b.start).toISOString();
          p.until = new Date(new Date(b.start).getTime() + (bucket === '1h' ? 3600e3 : 86400e3)).toISOString();
        }
        return withQuery('/ui/alerts', p);
      }));
    }
  };

  pages.alerts = async () => {
    const q = new URLSearchParams(location.search);
    const params = {};
    for (const k of ['since', 'until', 'actor', 'kind', 'q', 'cursor']) params[k] = q.get(k) || '';
    params.limit = q.get('limit') || '50';
    const res = await api(withQuery('/api/alerts', params));
    const alerts = res.alerts || res.items || [];
    const tbody = document.querySelector('#alerts tbody');
    replace(tbody, alerts.length ? alerts.map(a => el('tr', null,
      el('td', { class: 'nowrap' }, fmtTime(a.ts || a.time)),
      el('td', null, el('a', { href: withQuery('/ui/alerts', { ...params, cursor: '', kind: a.kind || a.indicator_type }) }, a.kind || a.indicator_type)),
      el('td', { class: 'value' }, el('a', { href: withQuery('/ui/graph', { root: a.indicator || a.matched }) }, a.indicator || a.matched)),
      el('td', null, a.where),
      el('td', { class: 'value' }, a.host || ''),
      el('td', null, joinNodes(list(a.actors, x => actorLink(x.name || x)), ', ')),
      el('td', null, a.sensor),
      el('td', null, (a.sources || []).join(', '))))
      : el('tr', null, el('td', { colspan: 8, class: 'muted' }, 'No alerts match.')));
    const pager = document.getElementById('pager');
    replace(pager,
      params.cursor ? el('a', { href: withQuery('/ui/alerts', { ...params, cursor: '' }) }, '« Newest') : null,
      ' ',
      res.next ? el('a', { href: withQuery('/ui/alerts', { ...params, cursor: res.next }), rel: 'next' }, 'Older »') : null);
  };

  pages.actors = async () => {
    const res = await api('/api/actors');
    const actors = res.actors || [];
    const tbody = document.querySelector('#actors tbody');
    const input = document.querySelector('#actor-filter input');
    const draw = () => {
      const f = input.value.trim().toLowerCase();
      const shown = actors.filter(a => !f || [a.name, ...(a.aliases || [])].some(n => String(n).toLowerCase().includes(f)));
      replace(tbody, shown.map(a => el('tr', null,
        el('td', null, actorLink(a.name)),
        el('td', { class: 'nowrap' }, a.kind),
        el('td', null, (a.aliases || []).join(', ')),
        el('td', null, joinNodes(list(a.members, m => actorLink(m.name || m)), ', ')),
        el('td', null, a.confidence ? String(a.confidence) : ''))));
    };
    input.form.addEventListener('submit', ev => ev.preventDefault());
    input.addEventListener('input', draw);
    draw();
  };

  function section(title, ...kids) {
    return el('section', null, el('h2', null, title), kids);
  }

  function sources(s) { return (s || []).join(', '); }

  // heatMap draws techniques as a grid of cells whose shade is the number
  // of sources that report the technique.
  function heatMap(techs) {
    const cols = 6, cw = 158, ch = 48;
    const count = t => (t.sources || []).length || 1;
    const sorted = techs.slice().sort((a, b) => count(b) - count(a) || String(a.external_id || a.id).localeCompare(String(b.external_id || b.id)));
    const max = Math.max(1, ...sorted.map(count));
    const rows = Math.ceil(sorted.length / cols);
    const g = svg('svg', { viewBox: `0 0 ${cols * cw} ${rows * ch}`, class: 'heat', role: 'img', 'aria-label': 'ATT&CK techniques' });
    sorted.forEach((t, i) => {
      const x = (i % cols) * cw, y = Math.floor(i / cols) * ch, n = count(t);
      const id = t.external_id || t.id || '';
      g.append(svg('g', null,
        svg('rect', { x: x + 1, y: y + 1, width: cw - 2, height: ch - 2, rx: 3, fill: '#c0392b', 'fill-opacity': (0.15 + 0.85 * n / max).toFixed(2) }),
        svg('text', { x: x + 6, y: y + 18, class: 'heat-id' }, id),
        svg('text', { x: x + 6, y: y + 36, class: 'heat-name' }, String(t.name || '').slice(0, 24)),
        svg('title', null, `${id} ${t.name || ''}: ${n} source(s): ${sources(t.sources)}`)));
    });
    return g;
  }

  // timeline draws dated events on one axis, with the list below it.
  function timeline(events) {
    const evs = events.filter(e => !isNaN(new Date(e.time))).sort((a, b) => new Date(a.time) - new Date(b.time));
    if (!evs.length) return el('p', { class: 'muted' }, 'No dated events.');
    const W = 960, H = 60, L = 20, R = 20;
    const t0 = new Date(evs[0].time).getTime(), t1 = Math.max(t0 + 1, new Date(evs[evs.length - 1].time).getTime());
    const x = t => L + (W - L - R) * (new Date(t).getTime() - t0) / (t1 - t0);
    const axis = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'timeline', role: 'img', 'aria-label': 'timeline' },
      svg('line', { x1: L, y1: 30, x2: W - R, y2: 30, class: 'axis' }),
      svg('text', { x: L, y: 54, class: 'tick' }, fmtTime(evs[0].time).slice(0, 10)),
      svg('text', { x: W - R, y: 54, 'text-anchor': 'end', class: 'tick' }, fmtTime(evs[evs.length - 1].time).slice(0, 10)),
      evs.map(e => svg('circle', { cx: x(e.time), cy: 30, r: 5, class: 'event' }, svg('title', null, `${fmtTime(e.time)} ${e.what || ''}`))));
    return [axis, el('ol', { class: 'events' }, evs.map(e => el('li', null, el('time', null, fmtTime(e.time)), ' ', e.what || '', e.ref ? el('span', { class: 'muted' }, ' ', e.ref) : null)))];
  }

  pages.actor = async () => {
    const name = document.body.dataset.name;
    const a = await api(path('/api/actors/', name));
    const root = document.getElementById('actor');
    document.getElementById('actor-name').textContent = a.name || name;
    document.title = (a.name || name) + ' · umbra';
    replace(document.getElementById('actor-links'), joinNodes([
      el('a', { href: withQuery('/ui/alerts', { actor: a.name }) }, 'Alerts'),
      el('a', { href: withQuery('/ui/graph', { root: a.name }) }, 'Infrastructure graph'),
      el('a', { href: withQuery('/ui/attribution', { of: 'actor', value: a.name }) }, 'Attribution'),
      el('a', { href: withQuery('/ui/hunts', { actor: a.name }) }, 'Hunt'),
      el('a', { href: withQuery('/ui/data', { actor: a.name }) }, 'Export')], ' · '));
    const kind = a.kind || (a.umbrella ? 'umbrella' : 'intrusion set');
    const aliases = a.aliases || [];
    const links = (ls, what) => ls && ls.length ? el('ul', null, ls.map(l => el('li', null, actorLink(l.name),
      l.confidence_words ? ` (${l.confidence_words})` : '', l.sources ? el('span', { class: 'muted' }, ' — ', sources(l.sources)) : null)))
      : el('p', { class: 'muted' }, 'No ' + what + '.');
    replace(root,
      el('p', { class: 'lede' }, kind,
        a.confidence ? ` · confidence ${a.confidence}${a.confidence_words ? ' (' + a.confidence_words + ')' : ''}` : '',
        a.first_seen ? ` · first seen ${a.first_seen}` : '', a.last_seen ? ` · last seen ${a.last_seen}` : '',
        a.resolved_from ? ` · found as “${a.resolved_from}”` : ''),
      a.description ? el('p', { class: 'description' }, a.description) : null,
      a.sources && a.sources.length ? el('p', { class: 'muted' }, 'Sources: ', sources(a.sources)) : null,
      section('Aliases and who uses them', aliases.length ? el('table', { class: 'list' },
        el('thead', null, el('tr', null, el('th', null, 'Name'), el('th', null, 'Kind'), el('th', null, 'Used by'))),
        el('tbody', null, aliases.map(al => el('tr', null, el('td', null, al.name), el('td', null, al.kind),
          el('td', null, joinNodes(list(al.used_by || al.users, u => el('span', null, u.source || u,
            u.since ? ` since ${u.since}` : '', u.until ? ` until ${u.until}` : '', u.note ? ` (${u.note})` : '')), '; '))))))
        : el('p', { class: 'muted' }, 'No aliases.')),
      section('Conflicts', (a.conflicts || []).length ? el('ul', null, a.conflicts.map(c => el('li', null,
        el('strong', null, c.name), ': ', joinNodes(list(c.claims, cl => el('span', null, actorLink(cl.actor), ` as ${cl.kind} by ${sources(cl.sources)}`)), '; '))))
        : el('p', { class: 'muted' }, 'No source attaches these names to another actor.')),
      section('Umbrella', links(a.umbrellas, 'umbrella')),
      section('Members', links(a.members, 'members')),
      section('ATT&CK techniques', (a.techniques || []).length ? heatMap(a.techniques) : el('p', { class: 'muted' }, 'No techniques.')),
      section('Targets', (a.targets || []).length ? el('ul', null, a.targets.map(t => el('li', null, t.name,
        t.relation ? el('span', { class: 'muted' }, ` ${t.relation}`) : null, t.sources ? el('span', { class: 'muted' }, ' — ', sources(t.sources)) : null)))
        : el('p', { class: 'muted' }, 'No targets.')),
      section('Timeline', timeline(a.timeline || [])),
      section('Evidence', (a.evidence || []).length ? el('ul', null, a.evidence.map(e => el('li', null,
        `${e.kind}: ${e.count}`, e.max_confidence ? ` (max confidence ${e.max_confidence})` : '',
        e.examples && e.examples.length ? el('span', { class: 'value' }, ' — ', e.examples.join(', ')) : null,
        el('span', { class: 'muted' }, ' — ', sources(e.sources)))))
        : el('p', { class: 'muted' }, 'No evidence.')));
  };

  // The graph explorer keeps every node fetched so far; clicking a node
  // fetches its neighbourhood and adds what is new around it.
  pages.graph = () => {
    const q = new URLSearchParams(location.search);
    const root = q.get('root');
    const depth = q.get('depth') || '1';
    const nodes = new Map(), edges = new Map();
    const box = document.getElementById('graph'), panel = document.getElementById('node');
    const kinds = [];
    let selected = null;

    const merge = (g, anchor) => {
      const fresh = (g.nodes || []).filter(n => !nodes.has(n.id));
      const center = anchor && (g.nodes || []).find(n => n.id === anchor.id);
      for (const n of fresh) {
        let x = +n.x, y = +n.y;
        if (anchor && center) { // place the new neighbourhood around the node clicked
          x = anchor.x + (x - center.x) * 0.4;
          y = anchor.y + (y - center.y) * 0.4;
        }
        nodes.set(n.id, { ...n, x: Math.min(990, Math.max(10, x)), y: Math.min(690, Math.max(10, y)) });
        if (!kinds.includes(n.kind)) kinds.push(n.kind);
      }
      for (const e of g.edges || []) edges.set(e.source + '\u0000' + e.target + '\u0000' + e.kind, e);
      return fresh.length;
    };

    const draw = () => {
      const color = colorFor(kinds);
      const s = svg('svg', { viewBox: '0 0 1000 700', class: 'graph-svg', role: 'img', 'aria-label': 'infrastructure graph' });
      for (const e of edges.values()) {
        const a = nodes.get(e.source), b = nodes.get(e.target);
        if (!a || !b) continue;
        s.append(svg('line', { x1: a.x, y1: a.y, x2: b.x, y2: b.y, class: 'edge', 'stroke-width': Math.min(4, 1 + (+e.weight || 0)) },
          svg('title', null, `${a.label} — ${e.kind} — ${b.label}`)));
      }
      for (const n of nodes.values()) {
        const g = svg('g', { class: 'node' + (selected === n.id ? ' selected' : ''), tabindex: 0, role: 'button', 'data-id': n.id, 'data-kind': n.kind },
          svg('circle', { cx: n.x, cy: n.y, r: n.id === root || n.label === root ? 11 : 8, fill: color(n.kind) }),
          svg('text', { x: n.x + 12, y: n.y + 4 }, String(n.label || n.id).slice(0, 40)),
          svg('title', null, `${n.kind}: ${n.label || n.id}`));
        g.addEventListener('click', guard(() => pivot(n)));
        g.addEventListener('keydown', ev => { if (ev.key === 'Enter') guard(pivot)(n); });
        s.append(g);
      }
      replace(box, s, legend(kinds, color));
    };

    // ring places nodes new to the graph on a circle around center, and
    // links each to it: the network memory's answers joining the graph.
    const ring = (found, center, kind) => {
      const fresh = found.filter(f => !nodes.has(f.id));
      fresh.forEach((f, i) => {
        const a = 2 * Math.PI * i / Math.max(1, fresh.length) + 0.3;
        nodes.set(f.id, { ...f, x: Math.min(990, Math.max(10, center.x + 80 * Math.cos(a))), y: Math.min(690, Math.max(10, center.y + 80 * Math.sin(a))) });
        if (!kinds.includes(f.kind)) kinds.push(f.kind);
      });
      for (const f of found) edges.set(center.id + '\u0000' + f.id + '\u0000' + kind, { source: center.id, target: f.id, kind, weight: 0 });
      return fresh.length;
    };

    // memory asks the network memory about a value: when it was seen, who
    // talked to it and, for an address, which names resolved to it.
    const memory = async (n, value) => {
      const fail = err => ({ error: err.message });
      const [seen, talked] = await Promise.all([
        api(withQuery('/api/pivots/seen', { value })).catch(fail),
        api(withQuery('/api/pivots/talked-to', { value })).catch(fail)]);
      panel.append(el('h3', null, 'In our traffic'), el('p', { id: 'seen' }, seen.error ? seen.error
        : seen.first ? `first ${fmtTime(seen.first)}, last ${fmtTime(seen.last)}, ${seen.events} event(s)` : 'never seen'));
      const contacts = talked.contacts || [];
      let added = ring(contacts.slice(0, 12).map(c => c.user
        ? { id: 'user:' + c.user, label: c.user, kind: 'user' }
        : { id: 'value:' + c.host, label: c.host, kind: 'host' }), n, 'talked-to');
      if (contacts.length) {
        panel.append(el('h3', null, `Talked to it (${contacts.length})`), el('ul', { id: 'talked-to' },
          contacts.slice(0, 50).map(c => el('li', null, el('span', { class: 'value' }, c.user || c.host),
            el('span', { class: 'muted' }, ` ${c.events} event(s), ${fmtTime(c.first)} to ${fmtTime(c.last)}`)))));
      }
      if (seen.type === 'ipv4' || seen.type === 'ipv6') {
        const res = await api(withQuery('/api/pivots/resolved-to', { ip: value })).catch(fail);
        const names = res.resolutions || [];
        added += ring(names.slice(0, 12).map(r => ({ id: 'value:' + r.domain, label: r.domain, kind: 'domain' })), n, 'resolved-to');
        if (names.length) panel.append(el('h3', null, 'Names that resolved to it'), el('ul', null, names.slice(0, 50).map(r => el('li', null,
          el('span', { class: 'value' }, r.domain), el('span', { class: 'muted' }, ` ${r.lookups} lookup(s) by ${r.client_count} host(s)`)))));
      }
      if (added) draw();
    };

    const pivot = async n => {
      selected = n.id;
      replace(panel, el('h2', null, n.label || n.id), el('p', { class: 'muted' }, n.kind), el('p', { class: 'value' }, n.id), el('p', null, 'Expanding…'));
      const value = n.label || n.id;
      const isValue = n.kind === 'indicator' || n.kind === 'host' || String(n.id).startsWith('value:');
      let added = 0;
      if (n.kind !== 'user') {
        added = merge(await api(withQuery('/api/graph', { root: n.id, depth: 1 })), n);
      }
      draw();
      panel.lastChild.textContent = added ? `Added ${added} node(s).` : 'No new neighbours.';
      panel.append(el('p', { class: 'links' }, joinNodes([
        n.kind === 'intrusion-set' || n.kind === 'umbrella' || n.kind === 'actor' ? actorLink(value) : null,
        el('a', { href: withQuery('/ui/alerts', { q: value }) }, 'Alerts'),
        isValue ? el('a', { href: withQuery('/ui/hunts', { indicator: value }) }, 'Hunt for it') : null,
        el('a', { href: withQuery('/ui/graph', { root: n.id }) }, 'Start here')].filter(Boolean), ' · ')));
      if (isValue) {
        await memory(n, value);
        const look = await api(withQuery('/api/lookup', { value })).catch(err => ({ error: err.message }));
        panel.append(el('h3', null, 'What umbra knows of ', value), kv(look));
      }
    };

    if (!root) {
      // Nothing asked yet: offer the umbrellas and groups to start from.
      return guard(async () => {
        const res = await api('/api/actors');
        const actors = (res.actors || []).slice().sort((a, b) => (b.kind === 'umbrella') - (a.kind === 'umbrella'));
        replace(box, el('p', { class: 'hint' }, 'Start from: ', joinNodes(actors.map(a =>
          el('a', { href: withQuery('/ui/graph', { root: a.name }) }, a.name)), ' · ')));
      })();
    }
    return guard(async () => {
      const g = await api(withQuery('/api/graph', { root, depth }));
      merge(g, null);
      if (!nodes.size) { replace(box, el('p', { class: 'muted' }, 'Nothing is linked to that.')); return; }
      draw();
    })();
  };

  pages.hunts = () => {
    const form = document.getElementById('hunt-form');
    const out = document.getElementById('hunt');
    const sleep = ms => new Promise(r => setTimeout(r, ms));

    // results shows the hunt's hits a page at a time, oldest activity first
    // as the API orders them, with a button for the next page.
    const results = async (id, cursor) => {
      const res = await api(withQuery(path('/api/hunts/', id) + '/results', { limit: 100, cursor }));
      const hits = res.hits || res.results || res.alerts || [];
      let table = document.getElementById('hunt-results');
      if (!table) {
        table = el('table', { class: 'list', id: 'hunt-results' },
          el('thead', null, el('tr', null, ['Time', 'Kind', 'Indicator', 'Actors', 'First seen', 'Intel added', 'Dwell'].map(h => el('th', null, h)))),
          el('tbody'));
        out.append(table);
      }
      const tbody = table.tBodies[0];
      if (!hits.length && !cursor) tbody.append(el('tr', null, el('td', { colspan: 7, class: 'muted' }, 'No hits.')));
      tbody.append(...hits.map(h => el('tr', null,
        el('td', { class: 'nowrap' }, fmtTime(h.ts || h.time)),
        el('td', null, h.kind || h.indicator_type),
        el('td', { class: 'value' }, el('a', { href: withQuery('/ui/graph', { root: h.indicator || h.matched }) }, h.indicator || h.matched)),
        el('td', null, joinNodes(list(h.actors, x => actorLink(x.name || x)), ', ')),
        el('td', null, fmtTime(h.first_seen)),
        el('td', null, fmtTime(h.intel_added)),
        el('td', null, h.dwell_seconds ? dwell(h.dwell_seconds) : ''))));
      document.getElementById('hunt-more')?.remove();
      if (res.next) {
        const more = el('button', { type: 'button', id: 'hunt-more' }, 'More results');
        more.addEventListener('click', guard(() => results(id, res.next)));
        out.append(more);
      }
    };

    const follow = async id => {
      replace(out, el('h2', null, 'Hunt ', id));
      const bar = el('progress', { max: 1, value: 0 });
      const text = el('span', null, 'starting…');
      out.append(el('p', { class: 'progress' }, bar, ' ', text));
      for (;;) {
        const h = await api(path('/api/hunts/', id));
        const p = h.progress || {};
        bar.max = Math.max(1, p.total || 0);
        bar.value = p.done || 0;
        text.textContent = `${h.state}: ${p.done || 0} of ${p.total || '?'} done, ${h.hits || 0} hit(s)`;
        if (h.state === 'failed') { status('The hunt failed: ' + (h.error || 'no reason given'), true); return; }
        if (h.state === 'done') break;
        await sleep(700);
      }
      out.setAttribute('data-state', 'done');
      await results(id);
      await listHunts();
    };

    const listHunts = async () => {
      const res = await api('/api/hunts');
      const hunts = res.hunts || res.items || [];
      replace(document.querySelector('#hunt-list tbody'), hunts.map(h => el('tr', null,
        el('td', null, el('a', { href: withQuery('/ui/hunts', { id: h.id }) }, h.id)),
        el('td', null, h.state),
        el('td', null, h.progress ? `${h.progress.done}/${h.progress.total}` : ''),
        el('td', null, String(h.hits || 0)))));
    };

    form.addEventListener('submit', guard(async ev => {
      ev.preventDefault();
      const body = {};
      for (const k of ['since', 'until', 'indicator', 'actor']) if (form.elements[k].value.trim()) body[k] = form.elements[k].value.trim();
      const res = await api('/api/hunts', { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
      history.replaceState(null, '', withQuery('/ui/hunts', { id: res.id }));
      await follow(res.id);
    }));
    const id = new URLSearchParams(location.search).get('id');
    return Promise.all([listHunts(), id ? follow(id) : null]);
  };

  function dwell(s) {
    const d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
    return d ? `${d}d ${h}h` : h ? `${h}h ${m}m` : `${m}m`;
  }

  // candidate draws one ranked actor with its confidence and the chain of
  // evidence behind it.
  function candidate(c, rank) {
    const words = c.words || c.confidence_words;
    return el('article', { class: 'candidate' },
      el('h3', null, rank ? `${rank}. ` : '', actorLink(c.actor)),
      el('p', null, el('meter', { min: 0, max: 100, value: c.confidence || 0, low: 34, high: 67, optimum: 100 }),
        ` confidence ${c.confidence}`, words ? ` (${words})` : ''),
      el('ol', { class: 'chain' }, list(c.evidence, e => el('li', null,
        el('span', { class: 'kind' }, e.kind), ' ', el('span', { class: 'value' }, e.value),
        e.via ? el('span', { class: 'muted' }, ' via ', e.via) : null,
        e.source ? el('span', { class: 'muted' }, ' from ', e.source) : null,
        e.weight !== undefined ? el('span', { class: 'muted' }, ` · weight ${(+e.weight).toFixed(2)}`) : null))));
  }

  // slips draws opsec-slip leads: sessions that reached a target straight
  // from an actor's operator netblock instead of through its proxies.
  function slips(leads) {
    if (!leads.length) return el('p', { class: 'muted' }, 'No opsec slips in the network memory.');
    return el('table', { class: 'list', id: 'slips' },
      el('thead', null, el('tr', null, ['First session', 'From', 'Netblock', 'To', 'Sessions', 'Actor', 'Confidence', 'Evidence'].map(h => el('th', null, h)))),
      el('tbody', null, leads.map(l => el('tr', null,
        el('td', { class: 'nowrap' }, fmtTime(l.time)),
        el('td', { class: 'value' }, el('a', { href: withQuery('/ui/graph', { root: l.source }) }, l.source)),
        el('td', null, el('span', { class: 'value' }, l.netblock), el('br'), el('span', { class: 'muted' }, [l.asn ? 'AS' + l.asn : '', l.org, l.country].filter(Boolean).join(' · '))),
        el('td', { class: 'value' }, l.target),
        el('td', null, String(l.sessions || '')),
        el('td', null, actorLink(l.actor)),
        el('td', null, `${l.confidence} (${l.confidence_words || ''})`),
        el('td', null, el('ol', { class: 'chain' }, list(l.evidence, e => el('li', null,
          el('span', { class: 'kind' }, e.kind), ' ', el('span', { class: 'value' }, e.value),
          e.source ? el('span', { class: 'muted' }, ' from ', e.source) : null))))))));
  }

  function subjectTitle(s) {
    return s ? `${s.type}: ${s.name || s.id}` : '';
  }

  pages.attribution = async () => {
    const q = new URLSearchParams(location.search);
    const of = q.get('of') || 'actor', value = q.get('value') || q.get('actor') || '';
    const out = document.getElementById('candidates');
    const opsec = api('/api/opsec').then(r => replace(document.getElementById('opsec'), slips(r.slips || [])))
      .catch(err => replace(document.getElementById('opsec'), el('p', { class: 'muted' }, err.message)));
    if (!value) {
      // The overview: every umbrella found, and every subject's ranked candidates.
      const res = await api('/api/attribution');
      replace(out,
        el('h2', null, 'Umbrellas'),
        (res.umbrellas || []).length ? res.umbrellas.map(u => el('section', { class: 'umbrella' },
          candidate({ actor: u.name, confidence: u.confidence, evidence: u.evidence }),
          el('p', null, 'Members: ', joinNodes(list(u.members, actorLink), ', ')))) : el('p', { class: 'muted' }, 'No umbrellas.'),
        el('h2', null, 'Attributions'),
        (res.attributions || []).length ? res.attributions.map(at => el('section', { class: 'subject' },
          el('h3', null, subjectTitle(at.subject)), list(at.candidates, (c, i) => candidate(c, i + 1)))) : el('p', { class: 'muted' }, 'Nothing to attribute.'));
    } else {
      const res = await api(withQuery('/api/attribution', { [of]: value }));
      const cands = res.candidates || [];
      replace(out,
        el('h2', null, 'Who is behind ', subjectTitle(res.subject) || value),
        cands.length ? cands.map((c, i) => candidate(c, i + 1)) : el('p', { class: 'muted' }, 'No candidate beyond the subject itself.'),
        res.attributed ? [el('h2', null, 'Attributed to it'), res.attributed.length ? el('ul', null, res.attributed.map(a => el('li', null,
          subjectTitle(a.subject), ' — ', el('meter', { min: 0, max: 100, value: a.confidence || 0 }), ` ${a.confidence} (${a.words || ''})`)))
          : el('p', { class: 'muted' }, 'Nothing.')] : null);
    }
    await opsec;
  };

  pages.data = () => {
    const imp = document.getElementById('import-form'), exp = document.getElementById('export-form');
    imp.addEventListener('submit', guard(async ev => {
      ev.preventDefault();
      const file = imp.elements.file.files[0];
      if (!file) return;
      const params = {};
      for (const k of ['format', 'source', 'tlp', 'actor', 'confidence', 'report']) params[k] = imp.elements[k].value.trim();
      const res = await api(withQuery('/api/import', params), { method: 'POST', body: file, headers: { 'Content-Type': 'application/octet-stream' } });
      replace(document.getElementById('import-result'), el('h3', null, 'Imported ', file.name), kv(res));
    }));
    exp.addEventListener('submit', guard(async ev => {
      ev.preventDefault();
      const params = {};
      for (const k of ['format', 'actor', 'tlp']) params[k] = exp.elements[k].value.trim();
      const res = await api(withQuery('/api/export', params), { raw: true });
      const blob = await res.blob();
      const m = /filename="?([^";]+)"?/.exec(res.headers.get('Content-Disposition') || '');
      const name = (m ? m[1] : 'umbra-export.' + params.format).replace(/[^\w.+-]/g, '_');
      const a = document.createElement('a');
      a.href = URL.createObjectURL(blob); // a blob: URL of our own response, never a URL from the data
      a.download = name;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 10000);
      replace(document.getElementById('export-result'), el('p', null, `Downloaded ${name} (${blob.size} bytes).`));
    }));
  };

  pages.notfound = () => {};

  // ---- start ----

  document.addEventListener('DOMContentLoaded', () => {
    const logout = document.getElementById('logout');
    if (logout) {
      logout.addEventListener('click', guard(async () => {
        await fetch('/ui/logout', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
        toLogin();
      }));
    }
    const page = document.body.dataset.page;
    if (page !== 'login' && !token()) { toLogin(); return; }
    const fn = pages[page];
    if (fn) guard(fn)();
  });
})();
