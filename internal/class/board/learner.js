// One learner's detail: fetched again every two seconds. Text only.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const id = new URLSearchParams(location.search).get("id");
  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    if (attrs) for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  const time = (v) => (v ? new Date(v).toLocaleTimeString() : "");
  function facts(dl, pairs) {
    dl.replaceChildren();
    for (const [k, v] of pairs) {
      dl.appendChild(el("dt", null, k));
      dl.appendChild(el("dd", null, v === undefined || v === "" ? "—" : v));
    }
  }
  async function load() {
    const r = await fetch("/api/teacher/learner/" + encodeURIComponent(id), { credentials: "same-origin" });
    if (!r.ok) {
      $("name").textContent = await r.text();
      return;
    }
    const d = await r.json();
    const l = d.learner, steps = d.steps;
    // The titles in the board's language (its Titles choice, kept in this origin's storage).
    const ja = localStorage.getItem("swarmlab-board-lang") === "ja";
    const name = (s) => (ja && s.ja ? s.ja : s.en);
    const title = (sid) => { const s = steps.find((x) => x.id === sid); return s ? s.n + ". " + name(s) : sid || ""; };
    $("name").textContent = l.name;
    document.title = "swarmlab class: " + l.name;
    $("status").textContent = (l.left ? "left at " + time(l.left) : "joined " + time(l.joined)) + " · last seen " + (time(l.lastSeen) || "never") + " · " + l.ticks + " ticks";
    facts($("facts"), [
      ["Step", l.finished ? "finished" : title(l.current)],
      ["On it since", time(l.stepSince)],
      ["Hint now", l.hint || ""],
      ["Hint since", l.hint ? time(l.hintSince) : ""],
      ["Lab", l.labState || ""],
      ["Lab message", l.message || ""],
      ["Hand", l.hand ? "✋ " + l.hand.question : ""],
    ]);
    const strip = $("strip");
    strip.replaceChildren();
    for (const s of steps) {
      const st = (l.steps && l.steps[s.id]) || "todo";
      strip.appendChild(el("span", { class: st, title: s.n + ". " + name(s) + ": " + st }, s.n));
    }
    const sm = l.summary;
    facts($("lab"), sm ? [["Nodes", sm.ready + " ready of " + sm.nodes], ["Services", (sm.services || []).join(", ")]] : [["Nodes", "not sent yet"]]);
    const v = $("verify");
    v.replaceChildren();
    if (l.verify) {
      v.appendChild(el("div", null, time(l.verify.at) + ": " + (l.verify.ok ? "all checks pass" : "failed")));
      const ul = el("ul");
      for (const f of l.verify.failed || []) ul.appendChild(el("li", null, f));
      v.appendChild(ul);
    } else v.textContent = "none sent";
    const hints = $("hints");
    hints.replaceChildren();
    for (const h of l.hints || []) hints.appendChild(el("li", null, time(h.at) + " · " + title(h.step) + " · " + h.hint));
    const hands = $("hands");
    hands.replaceChildren();
    for (const h of d.hands || []) hands.appendChild(el("li", null, time(h.at) + " · " + h.question + (h.answered ? " (answered " + time(h.answered) + ")" : " (open)")));
    const ticks = $("ticks");
    ticks.replaceChildren();
    for (const t of d.ticks || []) ticks.appendChild(el("li", null, time(t.at) + " · " + (t.current ? title(t.current) : "—") + " · " + t.done + " done" + (t.hint ? " · hint: " + t.hint : "")));
  }
  load();
  setInterval(load, 2000);
})();
