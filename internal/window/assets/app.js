// The learner's window: steps, terminals, the swarm. Everything it talks to
// is this page's own server: the events (/api/events), the terminals
// (/term/NODE, WebSockets) and the visualizer's data (/api/viz/).
'use strict';

(() => {
  // xterm.js writes <style> elements; they carry the page's nonce, which
  // the Content-Security-Policy asks for.
  const nonce = document.querySelector('meta[name="csp-nonce"]').content;
  const create = document.createElement.bind(document);
  document.createElement = function (tag, opts) {
    const el = create(tag, opts);
    if (String(tag).toLowerCase() === 'style') {
      el.nonce = nonce;
      el.setAttribute('nonce', nonce);
    }
    return el;
  };
})();

const WORDS = {
  en: {
    steps: 'Steps', swarm: 'The swarm (visualizer)', notices: 'From your class',
    lab: l => `lab "${l}"`, position: (p, t) => `step ${p} of ${t}`, finished: 'Every step is done: the tutorial is finished.',
    typeIn: n => `Type in ${n}`, copy: 'Copy', copied: 'Copied',
    onHost: 'Type this in a terminal on your computer (the host), not in a node:',
    inNode: n => `in ${n}`, host: 'on the host', look: 'to look at, nothing to check',
    now: 'Now', tryThis: 'Try',
    noNodes: 'The lab has no nodes yet: start it with "swarmlab up --hands-on", then this page shows a terminal in every node.',
    stopped: n => `[${n} is stopped: this terminal comes back when it runs again]`,
    newShell: n => `[a new shell in ${n}]`, ended: 'the shell ended',
    lost: '[connection to swarmlab lost: trying again]',
    vizWait: 'The visualizer is not running yet: its step deploys it, then the swarm shows here.',
    noTasks: 'no tasks',
  },
  ja: {
    steps: 'ステップ', swarm: 'swarmの様子(visualizer)', notices: 'クラスからのお知らせ',
    lab: l => `環境 "${l}"`, position: (p, t) => `ステップ ${p}/${t}`, finished: '全ステップ完了です。お疲れさまでした。',
    typeIn: n => `${n}に入力`, copy: 'コピー', copied: 'コピーしました',
    onHost: 'これはノードではなく、お使いのコンピューター(ホストOS)のターミナルで入力します:',
    inNode: n => `${n}で`, host: 'ホストOSで', look: '確認のみ(チェックなし)',
    now: '現在', tryThis: '対処',
    noNodes: '環境にノードがまだありません。"swarmlab up --hands-on" で起動すると、各ノードのターミナルがここに表示されます。',
    stopped: n => `[${n}は停止しています。再び起動するとこのターミナルも戻ります]`,
    newShell: n => `[${n}の新しいシェル]`, ended: 'シェルが終了しました',
    lost: '[swarmlabとの接続が切れました。再接続します]',
    vizWait: 'visualizerはまだ起動していません。そのステップでデプロイすると、ここにswarmが表示されます。',
    noTasks: 'タスクなし',
  },
};
let W = WORDS.en;

const $ = id => document.getElementById(id);
function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

// ---- terminals ----

const terms = new Map(); // node name -> NodeTerm
let shown = null;
const encoder = new TextEncoder();

class NodeTerm {
  constructor(name) {
    this.name = name;
    this.state = 'closed';
    this.tab = el('button', 'closed');
    this.tab.setAttribute('role', 'tab');
    this.tab.dataset.node = name;
    this.tab.append(el('span', 'dot'), el('span', '', name));
    this.tab.addEventListener('click', () => show(name));
    $('tabs').append(this.tab);
    this.box = el('div', 'term');
    this.box.dataset.node = name;
    this.box.hidden = true;
    $('terms').append(this.box);
    this.term = new Terminal({
      cursorBlink: true, fontSize: 14, scrollback: 5000, allowProposedApi: false,
      // A cell exactly one line high clips the underscores of some
      // monospace fonts: 'swtest_api' would read 'swtest api'.
      lineHeight: 1.2,
      fontFamily: 'ui-monospace, "SFMono-Regular", Menlo, Consolas, "Noto Sans Mono CJK JP", monospace',
      theme: { background: '#1e1e1e' },
    });
    this.fit = new FitAddon.FitAddon();
    this.term.loadAddon(this.fit);
    // Opened when first shown: xterm.js measures its cells as it opens,
    // which a hidden element cannot give.
    this.opened = false;
    this.term.onData(d => this.keys(d));
    this.term.onResize(() => this.sendSize());
    this.delay = 500;
    this.connect();
  }

  connect() {
    const q = `cols=${this.term.cols}&rows=${this.term.rows}`;
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const ws = new WebSocket(`${scheme}://${location.host}/term/${encodeURIComponent(this.name)}?${q}`);
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    ws.onopen = () => { this.delay = 500; this.sendSize(); };
    ws.onmessage = e => {
      if (typeof e.data === 'string') this.status(JSON.parse(e.data));
      else this.term.write(new Uint8Array(e.data));
    };
    ws.onclose = () => {
      if (this.ws !== ws || this.gone) return;
      if (this.state === 'connected') this.term.write('\r\n\x1b[33m' + W.lost + '\x1b[0m\r\n');
      this.setState('closed');
      setTimeout(() => this.connect(), this.delay);
      this.delay = Math.min(this.delay * 2, 5000);
    };
  }

  status(s) {
    if (s.type !== 'status') return;
    if (s.state === 'connected' && s.session > 1) this.term.write('\r\n\x1b[2m' + W.newShell(this.name) + '\x1b[0m\r\n');
    if (s.state === 'waiting' && this.state !== 'waiting') this.term.write('\r\n\x1b[33m' + W.stopped(this.name) + '\x1b[0m\r\n');
    this.setState(s.state);
  }

  setState(state) {
    this.state = state;
    this.tab.className = state;
    this.tab.title = state;
  }

  keys(s) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(encoder.encode(s));
  }

  sendSize() {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify({ type: 'resize', cols: this.term.cols, rows: this.term.rows }));
    }
  }

  // type puts a command on the prompt; the learner presses Enter.
  type(cmd) {
    show(this.name);
    this.keys(cmd);
    this.term.focus();
  }

  // text is what the terminal shows, for tests and the curious.
  text() {
    const b = this.term.buffer.active;
    const lines = [];
    for (let i = 0; i < b.length; i++) lines.push(b.getLine(i).translateToString(true));
    return lines.join('\n');
  }
}

function show(name) {
  const t = terms.get(name);
  if (!t) return;
  for (const [n, o] of terms) {
    o.box.hidden = n !== name;
    o.tab.setAttribute('aria-selected', String(n === name));
  }
  shown = t;
  if (!t.opened) {
    t.opened = true;
    t.term.open(t.box);
  }
  fitShown();
  t.term.focus();
}

function fitShown() {
  if (shown && !shown.box.hidden) {
    try { shown.fit.fit(); } catch (e) { /* not laid out yet */ }
  }
}
new ResizeObserver(fitShown).observe($('terms'));

function setNodes(ev) {
  const names = ev.nodes.map(n => n.name);
  $('no-nodes').hidden = names.length > 0;
  for (const n of ev.nodes) {
    if (!terms.has(n.name)) terms.set(n.name, new NodeTerm(n.name));
  }
  // Keep the tabs in the lab's order: managers, then workers.
  for (const n of names) $('tabs').append(terms.get(n).tab);
  if (!shown && names.length) show(names[0]);
}

// ---- steps ----

let lastCurrent = '';
const opened = new Set(); // steps the learner opened or closed by hand
const closed = new Set();

function mark(s) {
  switch (s.status) {
    case 'done': return '✓';
    case 'current': return s.hint ? '✗' : '▶';
    case 'shown': return '·';
    case 'unknown': return '?';
  }
  return '';
}

// nextSteps are the current step and the shown steps just before it, which
// the learner types first: they open by themselves.
function nextIDs(p) {
  const ids = new Set();
  if (!p.current) return ids;
  let i = p.position - 1;
  ids.add(p.steps[i].id);
  while (i > 0 && p.steps[i - 1].status === 'shown') ids.add(p.steps[--i].id);
  return ids;
}

function commandRow(s, cmd) {
  const row = el('div', 'cmd');
  row.append(el('code', '', cmd));
  const b = el('button');
  if (s.where === 'host') {
    b.textContent = W.copy;
    b.className = 'copy';
    b.addEventListener('click', () => {
      navigator.clipboard.writeText(cmd).then(() => {
        b.textContent = W.copied;
        setTimeout(() => { b.textContent = W.copy; }, 1500);
      });
    });
  } else {
    b.textContent = W.typeIn(s.where) + ' ⏎';
    b.className = 'type';
    b.dataset.node = s.where;
    b.addEventListener('click', () => {
      const t = terms.get(s.where);
      if (t) t.type(cmd);
    });
  }
  row.append(b);
  return row;
}

function renderSteps(p) {
  $('lab').textContent = W.lab(p.lab);
  $('position').textContent = p.finished ? W.finished : (p.position ? W.position(p.position, p.total) : '');
  $('message').textContent = p.message || '';
  if (p.current !== lastCurrent) {
    // A new step to do: the open ones follow it.
    opened.clear();
    closed.clear();
  }
  const next = nextIDs(p);
  const list = $('step-list');
  list.replaceChildren();
  let currentEl = null;
  for (const s of p.steps) {
    const li = el('li', `step ${s.status}${s.hint ? ' has-hint' : ''}`);
    li.dataset.id = s.id;
    const d = el('details');
    d.open = opened.has(s.id) || (next.has(s.id) && !closed.has(s.id));
    const sum = el('summary');
    // Only the learner's clicks count: setting open fires 'toggle' too.
    sum.addEventListener('click', () => {
      const opening = !d.open;
      (opening ? opened : closed).add(s.id);
      (opening ? closed : opened).delete(s.id);
    });
    sum.append(el('span', 'mark', mark(s)), el('span', 'n', String(s.n)), el('span', 'title', s.title),
      el('span', 'where', s.where === 'host' ? W.host : W.inNode(s.where)));
    d.append(sum);
    const body = el('div', 'body');
    if (s.where === 'host') body.append(el('p', 'onhost', W.onHost));
    if (s.status === 'shown') body.append(el('p', 'note', '(' + W.look + ')'));
    for (const c of s.commands || []) body.append(commandRow(s, c));
    if (s.note) body.append(el('p', 'note', s.note));
    if (s.detail) body.append(el('p', 'detail', W.now + ': ' + s.detail));
    if (s.hint) body.append(el('p', 'hint', W.tryThis + ': ' + s.hint));
    d.append(body);
    li.append(d);
    list.append(li);
    if (s.status === 'current') currentEl = li;
  }
  if (p.current !== lastCurrent) {
    lastCurrent = p.current;
    if (currentEl) currentEl.scrollIntoView({ block: 'center' });
  }
}

// ---- notices ----

function renderNotices(list) {
  $('notices').hidden = list.length === 0;
  const ul = $('notice-list');
  ul.replaceChildren();
  for (const n of list) {
    const li = el('li');
    const at = new Date(n.at);
    if (at.getFullYear() > 2000) li.append(el('time', '', at.toLocaleTimeString()));
    li.append(document.createTextNode((n.from ? n.from + ': ' : '') + n.text));
    ul.append(li);
  }
}

// ---- the swarm ----

function renderSwarm(st) {
  const box = $('viz-nodes');
  box.replaceChildren();
  const nodes = (st.nodes || []).slice().sort((a, b) =>
    (a.role === b.role ? 0 : a.role === 'manager' ? -1 : 1) || a.hostname.localeCompare(b.hostname));
  for (const n of nodes) {
    const col = el('div', 'vnode' + (n.status === 'ready' ? '' : ' down'));
    const h = el('h3', '', n.hostname);
    h.append(el('small', '', `${n.role}${n.leader ? ' ★' : ''} · ${n.status}`));
    col.append(h);
    const tasks = (st.tasks || []).filter(t => (t.nodeId === n.id || t.node === n.hostname) && t.desiredState === 'running');
    for (const t of tasks) {
      const c = el('div', 'task' + (t.state === 'running' ? '' : ' starting'), `${t.service}${t.slot ? '.' + t.slot : ''}`);
      c.style.background = `hsl(${t.hue}, 70%, 80%)`;
      c.title = `${t.image} — ${t.state}`;
      col.append(c);
    }
    if (!tasks.length) col.append(el('div', 'vempty', W.noTasks));
    box.append(col);
  }
  if (st.error && !nodes.length) box.append(el('p', 'vempty', st.error));
}

function followSwarm() {
  const es = new EventSource('/api/viz/events');
  es.addEventListener('state', e => renderSwarm(JSON.parse(e.data)));
  es.onerror = () => {
    if (es.readyState === EventSource.CLOSED) {
      $('viz-nodes').replaceChildren(el('p', 'vempty', W.vizWait));
      setTimeout(followSwarm, 3000);
    }
  };
}

// ---- start ----

async function start() {
  const cfg = await (await fetch('/api/config')).json();
  W = WORDS[cfg.lang] || WORDS.en;
  $('lab').textContent = W.lab(cfg.lab);
  $('steps-title').textContent = W.steps;
  $('viz-title').textContent = W.swarm;
  $('notices-title').textContent = W.notices;
  $('no-nodes').textContent = W.noNodes;
  $('steps').hidden = !cfg.steps;
  $('viz').hidden = !cfg.visualizer;
  const es = new EventSource('/api/events');
  es.addEventListener('nodes', e => setNodes(JSON.parse(e.data)));
  es.addEventListener('progress', e => renderSteps(JSON.parse(e.data)));
  es.addEventListener('notices', e => renderNotices(JSON.parse(e.data)));
  if (cfg.visualizer) followSwarm();
}

window.swarmlab = { terms, show };
start();
