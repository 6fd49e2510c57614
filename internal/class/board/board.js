// The class board: every learner by every step, pushed by the server
// (server-sent events). Every name, question and hint is inserted as text.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  let steps = [], learners = new Map(), cls = null, offset = 0;
  let lang = localStorage.getItem("swarmlab-board-lang") || "en";
  $("lang").value = lang;

  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    if (attrs) for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  const now = () => Date.now() + offset;
  function dur(ms) {
    if (!(ms > 0)) return "";
    const s = Math.floor(ms / 1000), m = Math.floor(s / 60), h = Math.floor(m / 60);
    if (h > 0) return h + "h" + String(m % 60).padStart(2, "0") + "m";
    if (m > 0) return m + "m" + String(s % 60).padStart(2, "0") + "s";
    return s + "s";
  }
  const t = (v) => (v ? Date.parse(v) : 0);
  const title = (st) => (lang === "ja" && st.ja ? st.ja : st.en);
  const stepById = (id) => steps.find((s) => s.id === id);

  // stuck: why a learner is stuck now, or "".
  function stuck(l) {
    if (!cls || l.left || l.finished || !l.current) return "";
    const since = now() - t(l.stepSince);
    if (l.hint && now() - t(l.hintSince) >= cls.hintStuckSec * 1000) return "same hint " + dur(now() - t(l.hintSince));
    if (l.stepSince && since >= cls.stuckAfterSec * 1000) return "no progress " + dur(since);
    return "";
  }

  function renderHead() {
    const hs = $("head-steps"), hc = $("head-counts");
    hs.replaceChildren();
    hc.replaceChildren();
    hs.appendChild(el("th", null, "Learner"));
    hc.appendChild(el("th", null, "at each step →"));
    const counts = {};
    for (const l of learners.values()) if (!l.left && l.current) counts[l.current] = (counts[l.current] || 0) + 1;
    for (const st of steps) {
      hs.appendChild(el("th", { class: "step" + (cls && cls.step === st.id ? " classstep" : ""), title: st.n + ". " + title(st) }, st.n));
      hc.appendChild(el("th", { class: "step count", title: title(st) }, counts[st.id] || ""));
    }
    for (const h of ["Step", "On it", "Hint now", "Stuck", "Hand"]) hs.appendChild(el("th", null, h));
    hc.appendChild(el("th", { colspan: "5" }));
  }

  function visible() {
    const f = $("filter").value.trim().toLowerCase();
    const onlyStuck = $("only-stuck").checked, onlyHands = $("only-hands").checked;
    let out = [...learners.values()].filter((l) => {
      if (onlyStuck && !stuck(l)) return false;
      if (onlyHands && !l.hand) return false;
      if (!f) return true;
      const st = stepById(l.current);
      return l.name.toLowerCase().includes(f) || (l.current || "").includes(f) || (st && title(st).toLowerCase().includes(f));
    });
    const by = $("sort").value;
    const pos = (l) => (l.finished ? 1e6 : l.position || 0);
    const cmp = {
      name: (a, b) => a.name.localeCompare(b.name),
      step: (a, b) => pos(a) - pos(b) || a.name.localeCompare(b.name),
      time: (a, b) => t(a.stepSince) - t(b.stepSince),
      stuck: (a, b) => (stuck(b) ? 1 : 0) - (stuck(a) ? 1 : 0) || t(a.stepSince) - t(b.stepSince),
      joined: (a, b) => a.id - b.id,
    }[by];
    return out.sort(cmp);
  }

  function renderRows() {
    const body = $("rows");
    const frag = document.createDocumentFragment();
    for (const l of visible()) {
      const why = stuck(l);
      const tr = el("tr", { "data-id": l.id, class: (l.left ? "left " : "") + (why ? "stuck-row" : "") });
      const name = el("td", { class: "name" });
      const a = el("a", { href: "learner.html?id=" + encodeURIComponent(l.id) }, l.name);
      name.appendChild(a);
      if (l.left) name.appendChild(el("span", { class: "muted" }, " (left)"));
      tr.appendChild(name);
      for (const s of steps) {
        const status = (l.steps && l.steps[s.id]) || "todo";
        const td = el("td", { class: "c" + (cls && cls.step === s.id ? " classstep" : ""), title: s.n + ". " + title(s) + ": " + status });
        td.appendChild(el("span", { class: "cell " + status }));
        tr.appendChild(td);
      }
      const st = stepById(l.current);
      tr.appendChild(el("td", { class: "current-step" }, l.finished ? "finished" : st ? st.n + ". " + title(st) : l.labState || "not started"));
      tr.appendChild(el("td", { class: "time" }, l.finished || !l.stepSince ? "" : dur(now() - t(l.stepSince))));
      tr.appendChild(el("td", { class: "hint", title: l.hint || "" }, l.hint || ""));
      tr.appendChild(el("td", { class: "stuck" }, why ? "⚠ " + why : ""));
      tr.appendChild(el("td", { class: "hand", title: l.hand ? l.hand.question : "" }, l.hand ? "raised" : ""));
      frag.appendChild(tr);
    }
    body.replaceChildren(frag);
  }

  function renderClass() {
    if (!cls) return;
    $("code").textContent = cls.code;
    $("thresholds").textContent = "Stuck: no progress for " + dur(cls.stuckAfterSec * 1000) + ", or the same hint for " + dur(cls.hintStuckSec * 1000) + ". Download point: " + cls.files + " file(s).";
    $("last-broadcast").textContent = cls.broadcast && cls.broadcast.text ? "Last broadcast: “" + cls.broadcast.text + "”" : "";
    const sel = $("class-step");
    if (sel.options.length !== steps.length + 1) {
      sel.replaceChildren(el("option", { value: "" }, "(none)"));
      for (const s of steps) sel.appendChild(el("option", { value: s.id }, s.n + ". " + title(s)));
    }
    if (document.activeElement !== sel) sel.value = cls.step || "";
    const ul = $("hands");
    ul.replaceChildren();
    for (const h of cls.hands) {
      const li = el("li");
      li.appendChild(el("b", null, h.name));
      li.appendChild(el("span", { class: "muted" }, " " + dur(now() - t(h.at)) + " ago: "));
      li.appendChild(el("span", { class: "q" }, h.question));
      const b = el("button", { type: "button", "data-hand": h.id }, "Answered");
      b.addEventListener("click", () => post("/api/teacher/answer", { hand: h.id }));
      li.appendChild(b);
      ul.appendChild(li);
    }
    $("hand-count").textContent = "(" + cls.hands.length + ")";
    $("hands-panel").hidden = cls.hands.length === 0;
  }

  function renderStats() {
    let n = 0, st = 0, fin = 0;
    for (const l of learners.values()) {
      if (l.left) continue;
      n++;
      if (stuck(l)) st++;
      if (l.finished) fin++;
    }
    $("stats").textContent = n + " learners · " + st + " stuck · " + fin + " finished · " + (cls ? cls.hands.length : 0) + " hands";
  }

  let pending = false;
  function render() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      renderClass();
      renderHead();
      renderRows();
      renderStats();
    });
  }

  async function post(path, body) {
    const r = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body), credentials: "same-origin" });
    if (!r.ok) alert(await r.text());
  }

  $("broadcast-form").addEventListener("submit", (e) => {
    e.preventDefault();
    post("/api/teacher/broadcast", { text: $("broadcast").value });
    $("broadcast").value = "";
  });
  $("step-form").addEventListener("submit", (e) => {
    e.preventDefault();
    post("/api/teacher/step", { step: $("class-step").value });
  });
  for (const id of ["sort", "filter", "only-stuck", "only-hands"]) $(id).addEventListener("input", render);
  $("lang").addEventListener("change", () => {
    lang = $("lang").value;
    localStorage.setItem("swarmlab-board-lang", lang);
    $("class-step").replaceChildren();
    render();
  });

  const es = new EventSource("/api/teacher/events");
  es.addEventListener("open", () => { $("conn").textContent = "live"; $("conn").className = "conn on"; });
  es.addEventListener("error", () => { $("conn").textContent = "reconnecting…"; $("conn").className = "conn off"; });
  es.addEventListener("board", (e) => {
    const b = JSON.parse(e.data);
    steps = b.steps;
    offset = Date.parse(b.serverTime) - Date.now();
    learners = new Map(b.learners.map((l) => [l.id, l]));
    cls = b.class;
    render();
  });
  es.addEventListener("learner", (e) => {
    const l = JSON.parse(e.data);
    learners.set(l.id, l);
    render();
  });
  es.addEventListener("class", (e) => {
    cls = JSON.parse(e.data);
    offset = Date.parse(cls.serverTime) - Date.now();
    render();
  });
  // Times on steps and stuck marks move with the clock.
  setInterval(render, 1000);
})();
