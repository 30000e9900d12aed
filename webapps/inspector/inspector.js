/*
 * catalina_py inspector: the page's side (docs/inspector.md is the contract).
 *
 * Message flow
 * ------------
 * 1. The page opens a WebSocket to <context path>/live, e.g. /inspector/live
 *    (the context path is the first segment of the page's own path).
 * 2. The server sends JSON text messages, each with a "type":
 *      hello        once: the server's bounds, whether it records
 *                   -> the recording badge, <body data-ready="1">
 *      connections  twice a second while something changed
 *                   -> the Connections table (open ones, then closed ones)
 *      pipeline     once: the configured tree  -> the Pipeline boxes
 *      status       every second: counters     -> the numbers on the boxes
 *      events       for the watched connection only: all its events first
 *                   (reset: true), then the new ones as they happen
 *                   -> the Timeline and the WebSocket section
 * 3. Clicking a connection sends {"type": "watch", "connection": 7};
 *    "Stop watching" sends {"type": "watch", "connection": null}.
 * 4. When the socket closes, the page reconnects after 1 s, 2 s, 4 s, 8 s,
 *    then every 10 s. If a socket fails before it ever opened, the page asks
 *    api/connections once by plain HTTP and shows the answer (a 403 from the
 *    RemoteAddrValve, for example), so you can see why.
 *
 * Security: everything the server sends is put in the page with textContent
 * (never innerHTML), and no single text is longer than MAX_TEXT characters.
 */
'use strict';

/* ---- bounds of the page itself ------------------------------------- */

const MAX_TEXT = 4096;          // characters of any one text rendered
const MAX_DUMP_BYTES = 4096;    // bytes of any one hex dump
const MAX_EVENTS = 2000;        // timeline events kept in the DOM
const MAX_FRAMES = 2000;        // frame rows kept in the DOM
const MAX_CLOSED = 200;         // closed connections shown
const MAX_ITEMS = 200;          // items of one list inside an event's fields
const MAX_DEPTH = 6;            // nesting of objects inside an event's fields
const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 10000;

const CLOSE_CODES = {
  1000: 'normal closure', 1001: 'going away', 1002: 'protocol error',
  1003: 'unsupported data', 1005: 'no status code', 1006: 'abnormal closure',
  1007: 'invalid payload data', 1008: 'policy violation', 1009: 'message too big',
  1010: 'missing extension', 1011: 'internal error', 1012: 'service restart',
  1013: 'try again later', 1015: 'TLS handshake failure',
};

const KIND_EXPLAIN = {
  Server: 'StandardServer: the whole container, as conf/server.xml describes it.',
  Service: 'StandardService: its Connectors share one Engine.',
  Connector: 'Accepts sockets: its Endpoint reads the bytes, Http11Processor parses them.',
  Engine: 'StandardEngine: picks the Host named by the Host header.',
  Host: 'StandardHost: picks the Context from the start of the path.',
  Context: 'StandardContext: one web application, configured by its web.xml.',
  Wrapper: 'StandardWrapper: one servlet.',
};

/* ---- what the page knows ------------------------------------------- */

const state = {
  socket: null,
  retryDelay: RETRY_FIRST_MS,
  retryTimer: null,
  countdownTimer: null,
  explained: false,          // api/connections already asked for this failure
  watched: null,             // id of the watched connection, or null
  connections: new Map(),    // id -> CONNECTION of the last connections message
  hiddenEvents: 0,           // timeline events the page dropped from the DOM
  serverDropped: 0,          // events the server dropped (when it says so)
  hiddenFrames: 0,
  frameRows: 0,              // tr.frame rows in the DOM
  messageRows: 0,            // tr.message rows in the DOM
  hasHandshake: false,
  hasFrames: false,
  lastPongRow: null,         // the last pong row read from the client
  pendingRtt: null,          // an rtt that came before its pong row
  counterBoxes: new Map(),   // "Connector\0name" / "Context\0path" -> <dl class="counters">
  endpointBoxes: new Map(),  // "context\0path" -> <dl class="counters">
  lastStatus: null,
};

const eventOfItem = new WeakMap(); // <li class="event"> -> its EVENT

/* ---- small DOM helpers ---------------------------------------------- */

function $(id) {
  return document.getElementById(id);
}

/** Cut a text to MAX_TEXT characters, saying how much was left out. */
function capText(value, max = MAX_TEXT) {
  const s = String(value);
  if (s.length <= max) return s;
  return s.slice(0, max) + ' … (' + (s.length - max) + ' more characters not shown)';
}

/** Create an element; its text (if any) goes in with textContent, capped. */
function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = capText(text);
  return node;
}

function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
}

function isPlainObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/* ---- formatting ------------------------------------------------------ */

function fmtInt(n) {
  if (typeof n !== 'number' || !isFinite(n)) return n === null || n === undefined ? '' : String(n);
  return Number.isInteger(n) ? n.toLocaleString('en-US') : n.toFixed(3);
}

function fmtBytes(n) {
  if (typeof n !== 'number' || !isFinite(n)) return fmtInt(n);
  if (n < 10 * 1024) return fmtInt(n);
  if (n < 10 * 1024 * 1024) return (n / 1024).toFixed(1) + ' KiB';
  return (n / 1024 / 1024).toFixed(1) + ' MiB';
}

function fmtAge(seconds) {
  if (typeof seconds !== 'number' || !isFinite(seconds)) return '';
  if (seconds < 60) return seconds.toFixed(1) + ' s';
  if (seconds < 3600) return Math.floor(seconds / 60) + ' min ' + Math.floor(seconds % 60) + ' s';
  return Math.floor(seconds / 3600) + ' h ' + Math.floor((seconds % 3600) / 60) + ' min';
}

/** t is in seconds since the accept; the timeline shows milliseconds. */
function fmtT(t) {
  return typeof t === 'number' && isFinite(t) ? (t * 1000).toFixed(3) + ' ms' : '';
}

function fmtClock(at) {
  if (typeof at !== 'number' || !isFinite(at)) return '';
  const d = new Date(at * 1000);
  const pad = (n, w = 2) => String(n).padStart(w, '0');
  return pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds()) + '.' + pad(d.getMilliseconds(), 3);
}

function shortClass(name) {
  const s = String(name || '');
  const dot = s.lastIndexOf('.');
  return dot >= 0 ? s.slice(dot + 1) : s;
}

/* ---- the live socket ------------------------------------------------- */

/** The first segment of the page's path: /inspector for /inspector/index.html. */
function contextPath() {
  const first = location.pathname.split('/')[1] || '';
  return first ? '/' + first : '';
}

function liveUrl() {
  return (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + contextPath() + '/live';
}

function setLiveBadge(kind, text) {
  const badge = $('live-badge');
  badge.dataset.state = kind;
  badge.textContent = text;
}

function setRecording(on) {
  if (on === undefined) return;
  const badge = $('recording-badge');
  badge.dataset.recording = on ? 'true' : 'false';
  badge.textContent = on ? 'recording' : 'not recording';
}

function connect() {
  state.retryTimer = null;
  setLiveBadge('connecting', 'connecting…');
  let socket;
  try {
    socket = new WebSocket(liveUrl());
  } catch (err) {
    // A bad URL (the page opened from a file, say) throws at once.
    onSocketGone(false);
    return;
  }
  let opened = false;
  state.socket = socket;
  socket.onopen = () => {
    opened = true;
    state.retryDelay = RETRY_FIRST_MS;
    state.explained = false;
    $('connect-error').hidden = true;
    setLiveBadge('open', 'live');
    if (state.watched !== null) sendWatch(state.watched);
  };
  socket.onmessage = (e) => onMessage(e.data);
  socket.onerror = () => { /* a close event follows; handled there */ };
  socket.onclose = () => {
    if (state.socket !== socket) return;
    state.socket = null;
    onSocketGone(opened);
  };
}

function onSocketGone(wasOpen) {
  if (!wasOpen && !state.explained) {
    state.explained = true;
    explainFailure();
  }
  scheduleReconnect();
}

/** Wait 1 s, 2 s, 4 s, 8 s, then 10 s between attempts; the badge counts down. */
function scheduleReconnect() {
  const delay = state.retryDelay;
  state.retryDelay = Math.min(delay * 2, RETRY_MAX_MS);
  let left = Math.round(delay / 1000);
  const show = () => setLiveBadge('closed', 'offline, retrying in ' + left + ' s');
  show();
  clearInterval(state.countdownTimer);
  state.countdownTimer = setInterval(() => {
    left -= 1;
    if (left > 0) show(); else clearInterval(state.countdownTimer);
  }, 1000);
  state.retryTimer = setTimeout(connect, delay);
}

function send(message) {
  const socket = state.socket;
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
}

function sendWatch(id) {
  send({ type: 'watch', connection: id });
}

/** The socket never opened: ask the JSON API by plain HTTP and show its answer. */
function explainFailure() {
  const box = $('connect-error');
  box.hidden = false;
  $('connect-error-text').textContent = 'Asking api/connections by plain HTTP to see why…';
  $('connect-error-status').textContent = '';
  $('connect-error-body').textContent = '';
  $('connect-error-hint').textContent = '';
  fetch('api/connections', { cache: 'no-store', credentials: 'same-origin', headers: { Accept: 'application/json' } })
    .then((response) => response.text().then((body) => showHttpAnswer(response, body)))
    .catch((err) => {
      $('connect-error-text').textContent = 'The plain HTTP request to api/connections failed as well:';
      $('connect-error-status').textContent = capText(err && err.message ? err.message : err);
      $('connect-error-hint').textContent = 'Is the server running, and is this page served by it (not opened as a file)?';
    });
}

function showHttpAnswer(response, body) {
  $('connect-error-text').textContent = 'The server answered the plain HTTP request to api/connections with:';
  $('connect-error-status').textContent = 'HTTP ' + response.status + (response.statusText ? ' ' + response.statusText : '');
  $('connect-error-body').textContent = capText(body);
  let hint = '';
  if (response.status === 403) {
    hint = 'The RemoteAddrValve of the inspector\'s context refused your address. Widen its allow ' +
      'attribute in webapps/inspector/META-INF/context.xml or conf/Catalina/localhost/inspector.xml.';
  } else if (response.status === 404) {
    hint = 'Is the inspector webapp deployed, and its servlets mapped?';
  } else if (response.ok) {
    hint = 'The API answers, so only the WebSocket failed (a proxy that does not pass the Upgrade ' +
      'header?). The Connections table below shows this one answer; the page keeps retrying the socket.';
    try {
      renderConnections(JSON.parse(body));
    } catch (err) {
      /* not JSON: the body above says what it is */
    }
  }
  $('connect-error-hint').textContent = hint;
}

/* ---- dispatching the server's messages ------------------------------ */

const HANDLERS = {
  hello: onHello,
  connections: renderConnections,
  pipeline: onPipeline,
  status: onStatus,
  events: onEvents,
};

function onMessage(raw) {
  let message;
  try {
    message = JSON.parse(raw);
  } catch (err) {
    console.warn('inspector: a message that is not JSON', err);
    return;
  }
  if (!isPlainObject(message)) return;
  const handler = HANDLERS[message.type];
  if (!handler) return;
  try {
    handler(message);
  } catch (err) {
    console.error('inspector: could not show a "' + message.type + '" message', err);
  }
}

function onHello(message) {
  setRecording(message.recording);
  showBounds(message.bounds);
  document.body.dataset.ready = '1';
}

function showBounds(bounds) {
  const p = $('bounds');
  if (!isPlainObject(bounds)) { p.textContent = ''; return; }
  const parts = Object.keys(bounds).map((k) => k.replace(/_/g, ' ') + ': ' + fmtInt(bounds[k]));
  p.textContent = capText('Bounds kept by the server: ' + parts.join(', ') + '.');
}

/* ---- panel a: connections ------------------------------------------- */

function renderConnections(message) {
  setRecording(message.recording);
  const open = Array.isArray(message.open) ? message.open : [];
  const closed = (Array.isArray(message.closed) ? message.closed : []).slice(0, MAX_CLOSED);
  state.connections = new Map();
  for (const conn of open.concat(closed)) {
    if (isPlainObject(conn)) state.connections.set(conn.id, conn);
  }
  fillConnectionRows($('open-connections'), open, false,
    'No open connections right now: open a page of the container (/examples/, say) in another tab.');
  fillConnectionRows($('closed-connections'), closed, true, 'None closed yet.');
  $('open-count').textContent = String(open.length);
  $('closed-count').textContent = String(closed.length);
  showWatchInfo();
}

function fillConnectionRows(tbody, list, closed, emptyText) {
  const rows = document.createDocumentFragment();
  for (const conn of list) {
    if (isPlainObject(conn)) rows.appendChild(connectionRow(conn, closed));
  }
  if (!rows.firstChild) {
    const tr = el('tr', 'empty');
    const td = el('td', '', emptyText);
    td.colSpan = 9;
    tr.appendChild(td);
    rows.appendChild(tr);
  }
  clear(tbody);
  tbody.appendChild(rows);
}

function connectionRow(conn, closed) {
  const tr = el('tr', closed ? 'conn closed' : 'conn');
  tr.dataset.connectionId = String(conn.id);
  tr.tabIndex = 0;
  if (conn.id === state.watched) {
    tr.classList.add('watched');
    tr.setAttribute('aria-selected', 'true');
  }
  const idCell = el('td', 'num', '#' + conn.id);
  if (conn.recorded === false) {
    const mark = el('span', 'no-timeline', '∅');
    mark.title = 'Accepted while nobody was recording: no timeline';
    idCell.appendChild(mark);
  }
  const stateCell = el('td');
  stateCell.appendChild(statePill(conn.state));
  if (conn.close_reason) stateCell.appendChild(el('span', 'close-reason', conn.close_reason));
  tr.append(
    idCell,
    el('td', '', conn.connector),
    el('td', 'mono', conn.client),
    stateCell,
    el('td', 'num', fmtInt(conn.requests)),
    el('td', 'num', fmtBytes(conn.bytes_in)),
    el('td', 'num', fmtBytes(conn.bytes_out)),
    el('td', 'num', fmtAge(conn.age)),
    el('td', 'last-request', conn.last_request || ''),
  );
  return tr;
}

function statePill(value) {
  const text = value === null || value === undefined ? '' : String(value);
  const pill = el('span', 'pill', text);
  pill.dataset.state = text;
  return pill;
}

function onConnectionsClick(e) {
  const tr = e.target.closest('tr.conn');
  if (tr) watchConnection(rowId(tr));
}

function onConnectionsKey(e) {
  if (e.key !== 'Enter' && e.key !== ' ') return;
  const tr = e.target.closest('tr.conn');
  if (!tr) return;
  e.preventDefault();
  watchConnection(rowId(tr));
}

function rowId(tr) {
  const raw = tr.dataset.connectionId;
  const n = Number(raw);
  return Number.isFinite(n) ? n : raw;
}

function highlightWatched() {
  for (const tr of document.querySelectorAll('#connections tr.conn')) {
    const on = state.watched !== null && rowId(tr) === state.watched;
    tr.classList.toggle('watched', on);
    if (on) tr.setAttribute('aria-selected', 'true'); else tr.removeAttribute('aria-selected');
  }
}

/* ---- choosing the watched connection -------------------------------- */

function watchConnection(id) {
  state.watched = id;
  resetWatchView();
  highlightWatched();
  showWatchInfo();
  sendWatch(id);
}

function unwatch() {
  state.watched = null;
  resetWatchView();
  highlightWatched();
  showWatchInfo();
  sendWatch(null);
}

function showWatchInfo() {
  const info = $('watch-info');
  $('unwatch').hidden = state.watched === null;
  if (state.watched === null) {
    info.textContent = 'No connection watched: click a row in the Connections table.';
    return;
  }
  const conn = state.connections.get(state.watched);
  let text = 'Watching connection #' + state.watched;
  if (conn) {
    text += ' from ' + (conn.client || '?') + ' on ' + (conn.connector || '?') + ', ' + (conn.state || '');
    if (conn.recorded === false) text += '. It was accepted while nobody was recording, so it has no timeline.';
  }
  info.textContent = capText(text);
}

/** Empty the timeline and the WebSocket section (a new connection, or reset). */
function resetWatchView() {
  clear($('timeline'));
  state.hiddenEvents = 0;
  state.serverDropped = 0;
  showDroppedEvents();
  clear($('handshake-checks'));
  clear($('handshake-result'));
  clear($('accept-steps'));
  $('accept-block').hidden = true;
  clear($('frame-rows'));
  state.hiddenFrames = 0;
  state.frameRows = 0;
  state.messageRows = 0;
  showDroppedFrames();
  state.hasHandshake = false;
  state.hasFrames = false;
  state.lastPongRow = null;
  state.pendingRtt = null;
  showWebSocketPanel();
}

/* ---- panel b: the timeline ------------------------------------------ */

function onEvents(message) {
  if (state.watched === null || String(message.connection) !== String(state.watched)) return;
  if (message.reset) resetWatchView();
  if (typeof message.dropped === 'number') state.serverDropped = message.dropped;
  const events = Array.isArray(message.events) ? message.events : [];
  const list = $('timeline');
  const atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 4;
  const items = document.createDocumentFragment();
  for (const ev of events.slice(-MAX_EVENTS)) {
    if (!isPlainObject(ev)) continue;
    items.appendChild(eventItem(ev));
    showWebSocketEvent(ev);
  }
  state.hiddenEvents += Math.max(0, events.length - MAX_EVENTS);
  list.appendChild(items);
  trimTimeline(list);
  showDroppedEvents();
  showWebSocketPanel();
  if (atBottom && !message.reset) list.scrollTop = list.scrollHeight;
}

function eventItem(ev) {
  const li = el('li', 'event');
  li.dataset.event = String(ev.event || '');
  li.dataset.step = String(ev.step || '');
  if (ev.seq !== undefined) li.dataset.seq = String(ev.seq);
  const head = el('button', 'event-head');
  head.type = 'button';
  head.setAttribute('aria-expanded', 'false');
  head.append(
    el('span', 't', fmtT(ev.t)),
    el('b', 'component', ev.component || ''),
    el('span', 'step', ev.step || ''),
    el('span', 'summary', ev.summary || ev.event || ''),
  );
  head.title = String(ev.event || '');
  li.appendChild(head);
  eventOfItem.set(li, ev);
  return li;
}

/** Keep at most MAX_EVENTS events in the DOM: the oldest go first. */
function trimTimeline(list) {
  while (list.children.length > MAX_EVENTS) {
    list.removeChild(list.firstElementChild);
    state.hiddenEvents += 1;
  }
}

function showDroppedEvents() {
  const note = $('timeline-dropped');
  const n = state.hiddenEvents + state.serverDropped;
  note.hidden = n === 0;
  let text = fmtInt(n) + ' earlier events not shown';
  if (state.serverDropped) text += ' (the server keeps only the last events of each connection)';
  note.textContent = n ? text + '.' : '';
}

function onTimelineClick(e) {
  const head = e.target.closest('.event-head');
  if (head) toggleEvent(head.parentElement);
}

/** Show or hide an event's fields; the table is built the first time. */
function toggleEvent(li) {
  let body = li.querySelector('.event-fields');
  if (!body) {
    body = renderEventFields(eventOfItem.get(li) || {});
    li.appendChild(body);
  } else {
    body.hidden = !body.hidden;
  }
  li.classList.toggle('expanded', !body.hidden);
  li.firstElementChild.setAttribute('aria-expanded', body.hidden ? 'false' : 'true');
}

function renderEventFields(ev) {
  const box = el('div', 'event-fields');
  const meta = [String(ev.event || '')];
  if (ev.seq !== undefined) meta.push('seq ' + ev.seq);
  if (ev.at !== undefined) meta.push('at ' + fmtClock(ev.at));
  box.appendChild(el('p', 'event-meta', meta.join(' · ')));
  const fields = ev.fields;
  if (!isPlainObject(fields) || Object.keys(fields).length === 0) {
    box.appendChild(el('p', 'muted', 'No fields.'));
  } else {
    box.appendChild(keyValueTable(fields, 0));
  }
  return box;
}

function keyValueTable(obj, depth) {
  const table = el('table', 'fields');
  const body = el('tbody');
  const keys = Object.keys(obj);
  for (const key of keys.slice(0, MAX_ITEMS)) {
    const tr = el('tr');
    const td = el('td');
    td.appendChild(renderValue(obj[key], depth + 1));
    tr.append(el('th', '', key), td);
    body.appendChild(tr);
  }
  if (keys.length > MAX_ITEMS) {
    const tr = el('tr');
    const td = el('td', 'more', (keys.length - MAX_ITEMS) + ' more fields not shown');
    td.colSpan = 2;
    tr.appendChild(td);
    body.appendChild(tr);
  }
  table.appendChild(body);
  return table;
}

/** One field's value, whatever its JSON type. */
function renderValue(value, depth) {
  if (value === null || value === undefined) return el('span', 'v-null', 'null');
  if (typeof value === 'boolean') return el('span', 'v-bool', value ? 'true' : 'false');
  if (typeof value === 'number') return el('span', 'v-num', String(value));
  if (typeof value === 'string') return el('span', 'v-str', value);
  if (depth > MAX_DEPTH) return el('span', 'v-str', safeJson(value));
  if (isByteField(value)) return hexDump(value);
  if (Array.isArray(value)) return renderArray(value, depth);
  if (isPlainObject(value)) {
    return Object.keys(value).length ? keyValueTable(value, depth) : el('span', 'v-null', '{}');
  }
  return el('span', 'v-str', String(value));
}

function safeJson(value) {
  try { return JSON.stringify(value); } catch (err) { return String(value); }
}

function isPrimitive(v) {
  return v === null || ['string', 'number', 'boolean'].includes(typeof v);
}

/** Headers come as [[name, value], ...]: shown as a two-column table. */
function renderArray(list, depth) {
  if (list.length === 0) return el('span', 'v-null', '(none)');
  const shown = list.slice(0, MAX_ITEMS);
  const more = list.length - shown.length;
  let node;
  if (shown.every((it) => Array.isArray(it) && it.length === 2 && isPrimitive(it[0]) && isPrimitive(it[1]))) {
    node = el('table', 'fields');
    const body = el('tbody');
    for (const [k, v] of shown) {
      const tr = el('tr');
      tr.append(el('th', '', String(k)), el('td', 'v-str', v === null ? '' : String(v)));
      body.appendChild(tr);
    }
    node.appendChild(body);
  } else if (shown.every(isPrimitive)) {
    node = el('span', 'v-str', shown.map(String).join(', '));
  } else {
    node = el('ol', 'fields-list');
    for (const item of shown) {
      const li = el('li');
      li.appendChild(renderValue(item, depth + 1));
      node.appendChild(li);
    }
  }
  if (more <= 0) return node;
  const wrap = el('div');
  wrap.append(node, el('span', 'more', more + ' more items not shown'));
  return wrap;
}

/* ---- hex dumps ------------------------------------------------------- */

/** {length, hex, text, truncated}: the shape of every byte field. */
function isByteField(v) {
  return isPlainObject(v) && typeof v.length === 'number' && ('hex' in v || 'text' in v);
}

function hexTokens(hex) {
  if (typeof hex !== 'string') return [];
  let tokens = hex.trim().split(/\s+/).filter(Boolean);
  if (tokens.length === 1 && tokens[0].length > 2) tokens = tokens[0].match(/../g) || [];
  return tokens.slice(0, MAX_DUMP_BYTES);
}

/** The byte as text the way the server does it: printable ASCII, else ".". */
function byteAsText(token) {
  const code = parseInt(token, 16);
  return code >= 0x20 && code < 0x7f ? String.fromCharCode(code) : '.';
}

function hexDump(bytes) {
  const wrap = el('div', 'bytes');
  const tokens = hexTokens(bytes.hex);
  const serverText = typeof bytes.text === 'string' ? bytes.text : '';
  const shown = tokens.length || Math.min(serverText.length, MAX_DUMP_BYTES);
  let note = fmtInt(bytes.length) + ' bytes';
  if (bytes.truncated || shown < bytes.length) note = 'showing ' + fmtInt(shown) + ' of ' + fmtInt(bytes.length) + ' bytes';
  wrap.appendChild(el('p', 'bytes-note', note));
  if (shown === 0) return wrap;

  // With hex: three aligned columns. The text column is the server's text
  // when it has one character per byte, otherwise rebuilt from the hex.
  const perByteText = serverText.length >= tokens.length ? serverText : tokens.map(byteAsText).join('');
  const offsets = [];
  const hexLines = [];
  const textLines = [];
  if (tokens.length) {
    for (let i = 0; i < tokens.length; i += 16) {
      const line = tokens.slice(i, i + 16);
      offsets.push(i.toString(16).padStart(8, '0'));
      const left = line.slice(0, 8).join(' ');
      const right = line.slice(8).join(' ');
      hexLines.push((right ? left + '  ' + right : left).padEnd(48, ' '));
      textLines.push(perByteText.slice(i, i + 16));
    }
  } else {
    // Only text was sent: 16 characters a line, no hex column.
    const text = serverText.slice(0, MAX_DUMP_BYTES);
    for (let i = 0; i < text.length; i += 16) {
      offsets.push(i.toString(16).padStart(8, '0'));
      textLines.push(text.slice(i, i + 16));
    }
  }
  const dump = el('div', 'dump');
  const offsetCol = el('pre', 'offsets');
  offsetCol.textContent = offsets.join('\n');
  dump.appendChild(offsetCol);
  if (hexLines.length) {
    const hexCol = el('pre', 'hex');
    hexCol.textContent = hexLines.join('\n');
    dump.appendChild(hexCol);
  }
  const textCol = el('pre', 'ascii');
  textCol.textContent = textLines.join('\n');
  dump.appendChild(textCol);
  wrap.appendChild(dump);
  return wrap;
}

/* ---- panel c: WebSocket --------------------------------------------- */

function showWebSocketEvent(ev) {
  const f = isPlainObject(ev.fields) ? ev.fields : {};
  switch (ev.event) {
    case 'HandshakeCheck': addHandshakeCheck(f); break;
    case 'HandshakeAccepted': showHandshakeAccepted(f); break;
    case 'HandshakeRefused': showHandshakeRefused(f); break;
    case 'WebSocketOpened': showWebSocketOpened(f); break;
    case 'FrameReceived': addFrameRow(ev, f, 'in'); break;
    case 'FrameSent': addFrameRow(ev, f, 'out'); break;
    case 'MessageReceived': addMessageRow(f, 'in'); break;
    case 'MessageSent': addMessageRow(f, 'out'); break;
    case 'PongReceived': attachRtt(f.rtt); break;
    case 'WebSocketClosed': addClosedRow(f); break;
    default: break;
  }
}

function showWebSocketPanel() {
  $('websocket-panel').hidden = !(state.hasHandshake || state.hasFrames);
  $('handshake').hidden = !state.hasHandshake;
  $('frames-block').hidden = !state.hasFrames;
}

function addHandshakeCheck(f) {
  state.hasHandshake = true;
  const passed = f.passed === true;
  const li = el('li', 'check');
  li.dataset.passed = passed ? 'true' : 'false';
  li.append(
    el('span', 'mark', passed ? '✓' : '✗'),
    el('b', 'check-name', f.check || ''),
    el('span', 'detail', f.detail || ''),
  );
  $('handshake-checks').appendChild(li);
}

function showHandshakeAccepted(f) {
  state.hasHandshake = true;
  let text = 'Accepted: endpoint ' + (f.endpoint || '?') + ' at ' + (f.path || '?');
  if (f.subprotocol) text += ', subprotocol ' + f.subprotocol;
  if (f.extensions) text += ', extensions ' + f.extensions;
  $('handshake-result').appendChild(el('p', 'accepted', text));
  const steps = Array.isArray(f.accept_steps) ? f.accept_steps : [];
  const list = $('accept-steps');
  clear(list);
  for (const step of steps.slice(0, MAX_ITEMS)) {
    if (!isPlainObject(step)) continue;
    const li = el('li');
    li.append(el('span', 'label', step.label || ''), el('code', 'value', step.value === undefined ? '' : step.value));
    list.appendChild(li);
  }
  $('accept-block').hidden = list.children.length === 0;
}

function showHandshakeRefused(f) {
  state.hasHandshake = true;
  const box = el('div', 'refused');
  box.appendChild(el('p', '', 'Refused with ' + (f.status || '?') + (f.reason ? ' ' + f.reason : '')));
  if (f.check) box.appendChild(el('p', '', 'Check: ' + f.check));
  if (f.compared !== undefined && f.compared !== '' && f.compared !== null) {
    const p = el('p', '', 'Compared: ');
    p.appendChild(typeof f.compared === 'string' ? el('code', '', f.compared) : renderValue(f.compared, 1));
    box.appendChild(p);
  }
  $('handshake-result').appendChild(box);
}

function showWebSocketOpened(f) {
  state.hasHandshake = true;
  const text = 'WsSession ' + (f.session_id || '?') + ' opened on endpoint ' + (f.endpoint || '?');
  $('handshake-result').appendChild(el('p', 'opened', text));
}

function bitCell(value) {
  const on = value === true || value === 1;
  return el('td', on ? 'bit-on' : 'bit-off', on ? '1' : '0');
}

function countCell(value) {
  return el('td', 'num', value === undefined || value === null ? '' : fmtInt(value));
}

function addFrameRow(ev, f, direction) {
  state.hasFrames = true;
  const tr = el('tr', 'frame');
  tr.dataset.direction = direction;
  tr.dataset.opcode = String(f.opcode || '');
  if (ev.seq !== undefined) tr.dataset.seq = String(ev.seq);
  const dir = el('td', 'dir', direction === 'in' ? '↓ in' : '↑ out');
  dir.title = direction === 'in' ? 'read from the client by WsFrameServer' : 'sent by WsRemoteEndpoint';
  tr.append(
    dir,
    bitCell(f.fin), bitCell(f.rsv1), bitCell(f.rsv2), bitCell(f.rsv3),
    el('td', 'opcode', f.opcode || ''),
    el('td', '', f.masked ? 'yes' : 'no'),
    el('td', 'mono', f.mask_key || '—'),
    countCell(f.length),
    countCell(f.compressed),
    countCell(f.uncompressed),
    payloadCell(f.payload),
  );
  if (f.rtt !== undefined && f.rtt !== null) addRttBadge(tr, f.rtt);
  if (direction === 'in' && f.opcode === 'pong' && !tr.querySelector('.rtt')) {
    state.lastPongRow = tr;
    if (state.pendingRtt !== null) {
      addRttBadge(tr, state.pendingRtt);
      state.pendingRtt = null;
      state.lastPongRow = null;
    }
  }
  $('frame-rows').appendChild(tr);
  state.frameRows += 1;
  trimFrames();
}

function payloadCell(payload) {
  const td = el('td', 'payload');
  if (isByteField(payload)) {
    td.textContent = capText(payload.text || '');
    const shown = (payload.text || '').length;
    if (payload.truncated || shown < payload.length) {
      td.appendChild(el('span', 'payload-note', ' … (' + fmtInt(payload.length) + ' bytes)'));
    }
    td.title = fmtInt(payload.length) + ' bytes';
  } else if (payload !== undefined && payload !== null) {
    td.textContent = capText(typeof payload === 'string' ? payload : safeJson(payload));
  }
  return td;
}

function addRttBadge(tr, rtt) {
  if (typeof rtt !== 'number') return;
  tr.querySelector('td.payload').appendChild(el('span', 'rtt', 'rtt ' + (rtt * 1000).toFixed(3) + ' ms'));
}

/** PongReceived comes as its own event: its rtt goes on the pong's row. */
function attachRtt(rtt) {
  if (typeof rtt !== 'number') return;
  const row = state.lastPongRow;
  if (row && row.isConnected && !row.querySelector('.rtt')) {
    addRttBadge(row, rtt);
    state.lastPongRow = null;
  } else {
    state.pendingRtt = rtt;
  }
}

/**
 * A message as the endpoint sees it (reassembled from its frames, inflated
 * when permessage-deflate compressed it): one row spanning the table, so
 * the text of a compressed frame can be read below its wire bytes.
 */
function addMessageRow(f, direction) {
  state.hasFrames = true;
  const tr = el('tr', 'message');
  tr.dataset.direction = direction;
  tr.dataset.kind = String(f.kind || '');
  const parts = [(direction === 'in' ? 'message in' : 'message out') + ' (' + (f.kind || '?') + ')'];
  if (typeof f.length === 'number') parts.push(fmtInt(f.length) + ' bytes');
  if (typeof f.wire_length === 'number') parts.push(fmtInt(f.wire_length) + ' on the wire');
  if (f.compressed === true) parts.push('compressed by permessage-deflate');
  if (typeof f.uncompressed === 'number') parts.push(fmtInt(f.uncompressed) + ' uncompressed');
  const td = el('td', 'payload');
  td.colSpan = 12;
  td.appendChild(el('span', 'message-label', parts.join(', ') + ': '));
  const payload = payloadCell(f.payload);
  while (payload.firstChild) td.appendChild(payload.firstChild);
  tr.appendChild(td);
  $('frame-rows').appendChild(tr);
  state.messageRows += 1;
  trimMessages();
}

/** Message rows are bounded like frame rows. */
function trimMessages() {
  const body = $('frame-rows');
  while (state.messageRows > MAX_FRAMES) {
    body.removeChild(body.querySelector('tr.message'));
    state.messageRows -= 1;
  }
}

function addClosedRow(f) {
  state.hasFrames = true;
  const who = {
    server: 'the server started the closing handshake',
    client: 'the client started the closing handshake',
    abnormal: 'abnormal: the connection ended without a closing handshake',
  }[f.initiator] || ('started by ' + (f.initiator || '?'));
  const name = CLOSE_CODES[f.code];
  let text = 'WebSocket closed: code ' + (f.code === undefined || f.code === null ? '—' : f.code);
  if (name) text += ' (' + name + ')';
  text += ', reason ' + (f.reason ? '"' + f.reason + '"' : '(none)') + '; ' + who + '.';
  const tr = el('tr', 'ws-closed');
  tr.dataset.initiator = String(f.initiator || '');
  const td = el('td', '', text);
  td.colSpan = 12;
  tr.appendChild(td);
  $('frame-rows').appendChild(tr);
}

function trimFrames() {
  const body = $('frame-rows');
  while (state.frameRows > MAX_FRAMES) {
    body.removeChild(body.querySelector('tr.frame'));
    state.frameRows -= 1;
    state.hiddenFrames += 1;
  }
  showDroppedFrames();
}

function showDroppedFrames() {
  const note = $('frames-dropped');
  note.hidden = state.hiddenFrames === 0;
  note.textContent = state.hiddenFrames ? fmtInt(state.hiddenFrames) + ' earlier frames not shown.' : '';
}

/* ---- panel d: the pipeline ------------------------------------------ */

function onPipeline(message) {
  const root = $('pipeline');
  clear(root);
  state.counterBoxes = new Map();
  state.endpointBoxes = new Map();
  if (!isPlainObject(message.tree)) {
    root.appendChild(el('p', 'muted', 'The server sent no pipeline.'));
    return;
  }
  root.appendChild(renderNode(message.tree, 0));
  if (state.lastStatus) applyStatus(state.lastStatus);
}

/** "/" and "" both name the ROOT context. */
function normPath(p) {
  const s = p === null || p === undefined ? '' : String(p);
  return s === '/' ? '' : s;
}

function boxKey(kind, name) {
  return kind + '\u0000' + (kind === 'Context' ? normPath(name) : String(name));
}

function renderNode(node, depth) {
  const kind = String(node.kind || '');
  const name = node.name === null || node.name === undefined ? '' : String(node.name);
  const box = el('div', 'box');
  box.dataset.kind = kind;
  box.dataset.name = name;

  const head = el('div', 'box-head');
  head.append(el('span', 'kind', kind), el('span', 'name', name || (kind === 'Context' ? '(ROOT)' : '')));
  if (node.class) head.appendChild(el('span', 'class', shortClass(node.class)));
  box.appendChild(head);
  if (KIND_EXPLAIN[kind] && kind !== 'Wrapper') box.appendChild(el('p', 'box-explain', KIND_EXPLAIN[kind]));
  if (kind === 'Wrapper') box.title = KIND_EXPLAIN.Wrapper;

  if (isPlainObject(node.attributes) && Object.keys(node.attributes).length) {
    box.appendChild(attributesBlock(node.attributes));
  }
  if (Array.isArray(node.valves) && node.valves.length) box.appendChild(valveChips(node.valves));
  if (Array.isArray(node.mappings) && node.mappings.length) box.appendChild(mappingChips(node.mappings));

  const counters = el('dl', 'counters');
  box.appendChild(counters);
  if (isPlainObject(node.counters)) setCounters(counters, node.counters);
  registerCounters(kind, node, counters);

  if (kind === 'Context') {
    if (Array.isArray(node.filters) && node.filters.length) box.appendChild(filterList(node.filters));
    if (Array.isArray(node.endpoints) && node.endpoints.length) box.appendChild(endpointList(name, node.endpoints));
  }
  if (Array.isArray(node.children) && node.children.length) {
    for (const group of groupByKind(node.children)) {
      const children = el('div', 'children');
      children.dataset.childKind = group.kind;
      for (const child of group.nodes) children.appendChild(renderNode(child, depth + 1));
      box.appendChild(children);
    }
  }
  return box;
}

function registerCounters(kind, node, counters) {
  state.counterBoxes.set(boxKey(kind, node.name), counters);
  const attrs = isPlainObject(node.attributes) ? node.attributes : {};
  if (kind === 'Context' && attrs.path !== undefined) state.counterBoxes.set(boxKey(kind, attrs.path), counters);
}

/** Connectors side by side, the Engine below them; Wrappers as a grid. */
function groupByKind(children) {
  const groups = [];
  const byKind = new Map();
  for (const child of children) {
    if (!isPlainObject(child)) continue;
    const kind = String(child.kind || '');
    if (!byKind.has(kind)) {
      const group = { kind, nodes: [] };
      byKind.set(kind, group);
      groups.push(group);
    }
    byKind.get(kind).nodes.push(child);
  }
  return groups;
}

function attributesBlock(attributes) {
  const details = el('details', 'attrs');
  const keys = Object.keys(attributes);
  details.appendChild(el('summary', '', 'attributes (' + keys.length + ')'));
  const dl = el('dl', 'kv');
  for (const key of keys.slice(0, MAX_ITEMS)) {
    const v = attributes[key];
    dl.append(el('dt', '', key), el('dd', '', isPrimitive(v) ? String(v) : safeJson(v)));
  }
  details.appendChild(dl);
  return details;
}

function valveChips(valves) {
  const row = el('div', 'chips');
  row.appendChild(el('span', 'chips-label', 'Valves:'));
  for (const valve of valves.slice(0, MAX_ITEMS)) {
    const cls = isPlainObject(valve) ? valve.class : valve;
    const chip = el('span', 'chip valve', shortClass(cls));
    let title = String(cls || '');
    if (isPlainObject(valve) && isPlainObject(valve.attributes)) {
      for (const [k, v] of Object.entries(valve.attributes)) title += '\n' + k + '=' + (isPrimitive(v) ? v : safeJson(v));
    }
    chip.title = capText(title);
    row.appendChild(chip);
  }
  return row;
}

function mappingChips(mappings) {
  const row = el('div', 'chips');
  row.appendChild(el('span', 'chips-label', 'Mapped to:'));
  for (const m of mappings.slice(0, MAX_ITEMS)) row.appendChild(el('span', 'chip mapping', isPrimitive(m) ? String(m) : safeJson(m)));
  return row;
}

function joinList(v) {
  return Array.isArray(v) ? v.map(String).join(', ') : (v === undefined || v === null ? '' : String(v));
}

function filterList(filters) {
  const block = el('div', 'filters');
  block.appendChild(el('h4', '', 'Filters'));
  const ul = el('ul');
  for (const f of filters.slice(0, MAX_ITEMS)) {
    if (!isPlainObject(f)) continue;
    const li = el('li', 'filter');
    li.dataset.name = String(f.name || '');
    li.appendChild(el('b', '', f.name || ''));
    if (f.class) li.appendChild(el('span', 'f-class', shortClass(f.class)));
    const on = [];
    if (joinList(f.url_patterns)) on.push('URLs ' + joinList(f.url_patterns));
    if (joinList(f.servlet_names)) on.push('servlets ' + joinList(f.servlet_names));
    if (on.length) li.appendChild(el('span', 'f-on', 'on ' + on.join('; ')));
    ul.appendChild(li);
  }
  block.appendChild(ul);
  return block;
}

function endpointList(contextName, endpoints) {
  const block = el('div', 'endpoints');
  block.appendChild(el('h4', '', 'WebSocket endpoints'));
  for (const ep of endpoints.slice(0, MAX_ITEMS)) {
    if (!isPlainObject(ep)) continue;
    const box = el('div', 'endpoint');
    box.dataset.context = contextName;
    box.dataset.path = String(ep.path || '');
    box.append(el('span', 'e-path', ep.path || ''), el('span', 'e-class', shortClass(ep.class)));
    const counters = el('dl', 'counters');
    setCounters(counters, endpointCounters(ep));
    box.appendChild(counters);
    state.endpointBoxes.set(normPath(contextName) + '\u0000' + String(ep.path || ''), counters);
    block.appendChild(box);
  }
  return block;
}

/** An endpoint's counters: its "counters" and any number beside them (sessions_open). */
function endpointCounters(ep) {
  const counters = {};
  for (const [k, v] of Object.entries(ep)) {
    if (typeof v === 'number') counters[k] = v;
  }
  return Object.assign(counters, isPlainObject(ep.counters) ? ep.counters : {});
}

/* ---- counters from status messages ---------------------------------- */

const NAME_KEYS = ['name', 'connector', 'path', 'context', 'context_path', 'kind', 'host', 'class'];

function onStatus(message) {
  state.lastStatus = message;
  setRecording(message.recording);
  applyStatus(message);
}

/**
 * The contract lists the counters, not the message's exact shape: accept
 * {connectors, contexts, endpoints (or websocket)} at the top or under "status", each
 * either a list of objects naming themselves or an object keyed by name.
 */
function applyStatus(message) {
  const s = isPlainObject(message.status) ? message.status : message;
  for (const [name, counters] of namedEntries(s.connectors, ['name', 'connector'])) {
    const dl = state.counterBoxes.get(boxKey('Connector', name));
    if (dl) setCounters(dl, counters);
  }
  for (const [path, counters] of namedEntries(s.contexts, ['path', 'context_path', 'context', 'name'])) {
    const dl = state.counterBoxes.get(boxKey('Context', path));
    if (dl) setCounters(dl, counters);
  }
  for (const { context, path, counters } of endpointEntries(s.endpoints || s.websocket)) {
    const dl = findEndpointCounters(context, path);
    if (dl) setCounters(dl, counters);
  }
}

/** [name, counters] pairs from a list or an object keyed by name. */
function namedEntries(collection, nameKeys) {
  if (Array.isArray(collection)) {
    return collection.filter(isPlainObject).map((item) => {
      const key = nameKeys.find((k) => item[k] !== undefined);
      return [key ? item[key] : '', isPlainObject(item.counters) ? item.counters : item];
    });
  }
  if (isPlainObject(collection)) return Object.entries(collection).filter(([, v]) => isPlainObject(v));
  return [];
}

/** Endpoints by context and path: a list, {"/ctx": {"/path": {...}}} or {"/ctx /path": {...}}. */
function endpointEntries(collection) {
  const out = [];
  if (Array.isArray(collection)) {
    for (const item of collection.filter(isPlainObject)) {
      const context = item.context !== undefined ? item.context : item.context_path;
      out.push({ context, path: item.path, counters: isPlainObject(item.counters) ? item.counters : item });
    }
  } else if (isPlainObject(collection)) {
    for (const [key, value] of Object.entries(collection)) {
      if (!isPlainObject(value)) continue;
      if (looksLikeEndpointCounters(value)) {
        const space = key.indexOf(' ');
        if (space > 0) out.push({ context: key.slice(0, space), path: key.slice(space + 1), counters: value });
        else out.push({ context: null, path: key, counters: value });
      } else {
        for (const [path, counters] of Object.entries(value)) {
          if (isPlainObject(counters)) out.push({ context: key, path, counters });
        }
      }
    }
  }
  return out;
}

function looksLikeEndpointCounters(v) {
  return ['sessions_open', 'sessions_total', 'messages_in', 'messages_out', 'close_codes'].some((k) => k in v);
}

/** With no context given, the path may be the full one: context path + endpoint path. */
function findEndpointCounters(context, path) {
  if (context !== null && context !== undefined) {
    return state.endpointBoxes.get(normPath(context) + '\u0000' + String(path));
  }
  for (const [key, dl] of state.endpointBoxes) {
    const [ctx, epPath] = key.split('\u0000');
    if (epPath === String(path) || ctx + epPath === String(path)) return dl;
  }
  return null;
}

function fmtCounter(key, value) {
  if (isPlainObject(value)) {
    const parts = Object.entries(value).map(([k, v]) => k + ': ' + fmtInt(v));
    return parts.length ? parts.join(', ') : '—';
  }
  if (key.startsWith('bytes')) return fmtBytes(value);
  return fmtInt(value);
}

/** Update a <dl class="counters"> in place; a changed value flashes briefly. */
function setCounters(dl, counters) {
  const existing = new Map();
  for (const dd of dl.querySelectorAll('dd')) existing.set(dd.dataset.counter, dd);
  for (const key of Object.keys(counters).slice(0, MAX_ITEMS)) {
    if (NAME_KEYS.includes(key) || key === 'counters') continue;
    const text = capText(fmtCounter(key, counters[key]));
    let dd = existing.get(key);
    if (!dd) {
      dd = el('dd');
      dd.dataset.counter = key;
      dl.append(el('dt', '', key.replace(/_/g, ' ')), dd);
      dd.textContent = text;
      continue;
    }
    if (dd.textContent !== text) {
      dd.textContent = text;
      flash(dd);
    }
  }
}

function flash(node) {
  node.classList.add('changed');
  setTimeout(() => node.classList.remove('changed'), 60);
}

/* ---- start ------------------------------------------------------------ */

function start() {
  const table = $('connections');
  table.addEventListener('click', onConnectionsClick);
  table.addEventListener('keydown', onConnectionsKey);
  $('timeline').addEventListener('click', onTimelineClick);
  $('unwatch').addEventListener('click', unwatch);
  connect();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
