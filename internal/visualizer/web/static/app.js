// swarm visualizer page: plain JavaScript, no build step, no dependencies.
// The server pushes the whole state over Server-Sent Events whenever it
// changes; this script redraws from it and keeps "time in state" ticking.
"use strict";

(function () {
  const base = document.documentElement.dataset.base || "";
  const $ = (id) => document.getElementById(id);
  const filterBox = $("filter");

  let state = null;
  let clockOffset = 0; // server time minus browser time, in ms
  let seen = null; // task ids already drawn, to animate only new cards
  let lastMessage = Date.now();
  let heartbeatMs = 15000;
  let everOpen = false;
  let es = null;

  // --- small helpers -------------------------------------------------------

  // h builds an element; text goes through textContent so names coming from
  // the swarm can never inject markup.
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") el.className = v;
      else if (k === "hue") el.style.setProperty("--hue", String(v));
      else if (k.startsWith("data-") || k === "id" || k === "title" || k === "role") el.setAttribute(k, v === true ? "" : String(v));
      else el[k] = v;
    }
    for (const c of children.flat()) {
      if (c === undefined || c === null || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }

  function stateClass(s) {
    switch (s) {
      case "running": return "s-green";
      case "new": case "allocated": case "pending": case "assigned":
      case "accepted": case "preparing": case "ready": case "starting": return "s-yellow";
      case "failed": case "rejected": case "orphaned": return "s-red";
      default: return "s-grey"; // shutdown, complete, remove
    }
  }
  const finishedStates = new Set(["complete", "shutdown", "failed", "rejected", "remove", "orphaned"]);

  function age(since) {
    const t = Date.parse(since);
    if (!t || t < 0) return "";
    let s = Math.max(0, Math.floor((Date.now() + clockOffset - t) / 1000));
    if (s < 60) return s + "s";
    let m = Math.floor(s / 60);
    if (m < 60) return m + "m " + (s % 60) + "s";
    let hr = Math.floor(m / 60);
    if (hr < 48) return hr + "h " + (m % 60) + "m";
    return Math.floor(hr / 24) + "d";
  }

  function bytes(n) {
    if (!n) return "";
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return (n >= 10 || i === 0 ? n.toFixed(0) : n.toFixed(1)) + " " + units[i];
  }

  function hashHue(name) { // same FNV-1a as the server, for tasks of unknown services
    let x = 0x811c9dc5;
    for (const b of new TextEncoder().encode(name)) { x ^= b; x = Math.imul(x, 0x01000193) >>> 0; }
    return x % 360;
  }

  // --- filter, kept in the URL so a filtered view can be shared ----------

  function currentFilter() { return filterBox.value.trim().toLowerCase(); }

  function matches(t, q) {
    if (!q) return true;
    return [t.service, t.image, t.node].some((v) => (v || "").toLowerCase().includes(q));
  }

  function syncURL() {
    const u = new URL(location.href);
    const q = filterBox.value.trim();
    if (q) u.searchParams.set("filter", q); else u.searchParams.delete("filter");
    history.replaceState(null, "", u);
  }

  function applyFilter() {
    const q = currentFilter();
    let shown = 0;
    document.querySelectorAll("article.task").forEach((el) => {
      const hit = !q || ["service", "image", "node"].some((k) => (el.dataset[k] || "").toLowerCase().includes(q));
      el.classList.toggle("hidden", !hit);
      if (hit) shown++;
    });
    document.querySelectorAll("[data-summary-service]").forEach((el) => {
      const name = el.dataset.summaryService.toLowerCase();
      const img = (el.dataset.image || "").toLowerCase();
      el.classList.toggle("dim", !!q && !name.includes(q) && !img.includes(q));
    });
    document.body.dataset.shown = String(shown);
  }

  filterBox.value = new URLSearchParams(location.search).get("filter") || "";
  filterBox.addEventListener("input", () => { syncURL(); applyFilter(); });
  document.addEventListener("keydown", (e) => {
    if (e.key === "/" && document.activeElement !== filterBox) { e.preventDefault(); filterBox.focus(); }
    if (e.key === "Escape" && document.activeElement === filterBox) { filterBox.value = ""; syncURL(); applyFilter(); }
  });

  // --- rendering -----------------------------------------------------------

  function taskCard(t, svcHue, nodeDown, fresh) {
    const finished = finishedStates.has(t.state);
    const leaving = !finished && finishedStates.has(t.desiredState);
    const classes = ["task"];
    if (finished) classes.push("finished");
    if (leaving) classes.push("leaving");
    if (fresh) classes.push("enter");
    const slot = t.slot ? "." + t.slot : "";
    return h("article", {
      class: classes.join(" "),
      hue: svcHue,
      "data-task": t.id,
      "data-service": t.service,
      "data-state": t.state,
      "data-desired-state": t.desiredState,
      "data-node": t.node || "",
      "data-image": t.image,
      "data-slot": t.slot || 0,
      title: t.service + slot + " · " + t.id.slice(0, 12) + (leaving ? " · will shut down" + (nodeDown ? " when its node returns" : "") : ""),
    },
      h("div", { class: "row" },
        h("span", { class: "svc" }, t.service),
        slot && h("span", { class: "slot" }, slot),
        h("span", { class: "pill state " + stateClass(t.state) }, t.state + (leaving ? " → " + t.desiredState : ""))),
      h("div", { class: "row" },
        h("span", { class: "img mono" }, t.image),
        h("span", { class: "age", "data-since": t.since }, age(t.since))),
      t.error && h("div", { class: "err" }, t.error));
  }

  function nodeColumn(n, tasks, hues, fresh) {
    const down = n.status !== "ready";
    const status = n.status === "ready" ? "ready" : n.status === "unknown" ? "unknown" : "down";
    const meta = [];
    if (n.engine) meta.push(h("span", { title: "Docker engine version" }, "Docker " + n.engine));
    if (n.cpus) meta.push(h("span", {}, (Math.round(n.cpus * 10) / 10) + " CPU"));
    if (n.memoryBytes) meta.push(h("span", {}, bytes(n.memoryBytes)));
    if (n.addr) meta.push(h("span", { class: "mono" }, n.addr));
    const labels = Object.entries(n.labels || {}).sort();
    return h("section", {
      class: "node",
      "data-node": n.hostname,
      "data-status": status,
      "data-role": n.role,
      "data-availability": n.availability,
      "data-leader": n.leader ? "true" : undefined,
    },
      h("div", { class: "node-head" },
        h("div", { class: "node-title" },
          h("h2", {}, n.hostname),
          h("span", { class: "badge " + (n.leader ? "leader" : n.role), title: n.leader ? "manager, raft leader" : "" }, n.leader ? "★ leader" : n.role),
          h("span", { class: "badge " + (down ? "down" : "ready"), "data-badge": "status" }, down ? n.status.toUpperCase() : "ready"),
          n.availability !== "active" && h("span", { class: "badge " + n.availability, "data-badge": "availability" }, n.availability)),
        h("div", { class: "node-meta" }, meta),
        n.message && down && h("div", { class: "node-msg" }, n.message),
        labels.length > 0 && h("div", { class: "labels" }, labels.map(([k, v]) => h("span", { class: "label mono" }, v ? k + "=" + v : k)))),
      h("div", { class: "tasks" },
        tasks.length ? tasks.map((t) => taskCard(t, hues[t.service] ?? hashHue(t.service), down, fresh(t))) : h("div", { class: "none" }, "no tasks")));
  }

  function render() {
    if (!state) return;
    const hues = {};
    for (const s of state.services) hues[s.name] = s.hue;

    // Summary bar.
    $("services").replaceChildren(...state.services.map((s) => {
      const ok = s.running >= s.desired;
      return h("span", { class: "chip", hue: s.hue, "data-summary-service": s.name, "data-image": s.image, title: s.image + (s.ports ? " · " + s.ports.join(", ") : "") },
        h("span", { class: "dot" }),
        h("b", {}, s.name),
        h("span", { class: "num " + (ok ? "ok" : "short"), "data-replicas": s.running + "/" + s.desired }, s.running + "/" + s.desired),
        h("span", { class: "tag" }, s.mode + (s.update && s.update !== "completed" ? " · " + s.update : "")),
        s.ports && h("span", { class: "tag mono" }, s.ports.join(" ")));
    }));
    $("networks").replaceChildren(...state.networks.map((n) =>
      h("span", { class: "chip net", "data-network": n.name, title: n.ingress ? "routing mesh" : "overlay network" },
        h("span", { class: "net-icon" }), h("b", {}, n.name), n.subnet && h("span", { class: "tag mono" }, n.subnet), n.ingress && h("span", { class: "tag" }, "ingress"))));

    // Node columns; tasks waiting for a node get a column of their own.
    const byNode = new Map(state.nodes.map((n) => [n.id, []]));
    const waiting = [];
    for (const t of state.tasks) (byNode.get(t.nodeId) || waiting).push(t);
    const first = seen === null;
    const nextSeen = new Set(state.tasks.map((t) => t.id));
    const fresh = (t) => !first && !seen.has(t.id);
    const cols = state.nodes.map((n) => nodeColumn(n, byNode.get(n.id), hues, fresh));
    if (waiting.length) {
      cols.push(h("section", { class: "node unassigned", id: "unassigned" },
        h("div", { class: "node-head" }, h("div", { class: "node-title" }, h("h2", {}, "waiting for a node"), h("span", { class: "badge pause" }, String(waiting.length))),
          h("div", { class: "node-meta" }, "no node can run these tasks yet")),
        h("div", { class: "tasks" }, waiting.map((t) => taskCard(t, hues[t.service] ?? hashHue(t.service), false, fresh(t))))));
    }
    $("nodes").replaceChildren(...cols);
    seen = nextSeen;

    const ready = state.nodes.filter((n) => n.status === "ready").length;
    const running = state.tasks.filter((t) => t.state === "running" && t.desiredState === "running").length;
    $("counts").textContent = `${state.nodes.length} node${state.nodes.length === 1 ? "" : "s"} · ${ready} ready · ${state.services.length} service${state.services.length === 1 ? "" : "s"} · ${running} running task${running === 1 ? "" : "s"}`;

    const empty = $("empty");
    empty.hidden = state.nodes.length > 0;
    empty.textContent = state.error ? "" : "No swarm nodes yet.";

    const dk = $("docker");
    if (state.error) {
      dk.hidden = false;
      dk.dataset.state = "error";
      dk.replaceChildren("Cannot read the swarm: " + state.error,
        h("small", {}, state.nodes.length ? "Showing the last known state. Retrying…" : "Retrying…"));
    } else {
      dk.hidden = true;
      dk.dataset.state = "ok";
      dk.replaceChildren();
    }
    renderTutorial(state.tutorial);
    updateStale();
    applyFilter();
    document.body.dataset.updated = String(Date.now());
  }

  // --- the hands-on tutorial's panel ----------------------------------------

  const marks = { done: "✓", current: "▶", shown: "·", unknown: "?", todo: "" };
  const tutorialBox = $("tutorial");
  // Open unless the learner closed it; remembered across reloads.
  tutorialBox.open = localStorage.getItem("swarmlab.tutorial.closed") !== "1";
  tutorialBox.addEventListener("toggle", () => {
    try { localStorage.setItem("swarmlab.tutorial.closed", tutorialBox.open ? "0" : "1"); } catch (_) { /* private mode */ }
  });

  // The few words of the panel, in the language the learner chose.
  const words = {
    en: { title: "Tutorial", step: (n, m) => `step ${n} of ${m}: `, steps: (d, m) => `${d} of ${m} steps done`, next: "Next", host: "on the host", on: (n) => "on " + n, try: "Try: ", all: "Every step is done.", updated: ["updated ", " ago by swarmlab tutorial"] },
    ja: { title: "チュートリアル", step: (n, m) => `ステップ ${n}/${m}: `, steps: (d, m) => `${d}/${m} ステップ完了`, next: "次", host: "ホストOSで", on: (n) => n + "で", try: "対処: ", all: "全ステップ完了です。", updated: ["", "前に swarmlab tutorial が更新"] },
  };

  function renderTutorial(t) {
    if (!t || !Array.isArray(t.steps) || !t.steps.length) {
      tutorialBox.hidden = true;
      return;
    }
    tutorialBox.hidden = false;
    const w = words[t.lang] || words.en;
    const steps = t.steps;
    const cur = steps.findIndex((s) => s.status === "current");
    const done = steps.filter((s) => s.status === "done").length;
    const checked = steps.filter((s) => s.status !== "shown").length;
    $("tutorial-head").replaceChildren(w.title + " ",
      h("small", { "data-tutorial-count": done + "/" + checked },
        (cur >= 0 ? w.step(cur + 1, steps.length) + steps[cur].title : w.steps(done, checked))));
    const list = h("ol", { class: "tsteps" }, steps.map((s, i) => h("li", { "data-step": s.id, "data-status": s.status, "data-hint": s.hint ? true : undefined },
      h("span", { class: "mk" }, s.status === "current" && s.hint ? "✗" : (marks[s.status] ?? "")),
      h("span", {}, (i + 1) + ". " + s.title))));
    const next = cur >= 0 ? steps[cur] : null;
    const when = Date.parse(t.at);
    $("tutorial-body").replaceChildren(list, h("div", { class: "tnext" },
      next && h("h3", {}, w.next + (next.where ? " (" + (next.where === "host" ? w.host : w.on(next.where)) + ")" : "") + ": " + next.title),
      next && next.commands && next.commands.length > 0 && h("pre", { class: "mono" }, next.commands.join("\n")),
      next && next.detail && h("p", {}, next.detail),
      next && next.hint && h("p", { class: "hint" }, w.try + next.hint),
      t.message && h("p", {}, t.message),
      !next && !t.message && h("p", {}, w.all),
      when > 0 && h("p", { class: "at" }, w.updated[0], h("span", { class: "age", "data-since": t.at }, age(t.at)), w.updated[1])));
  }

  function tick() {
    document.querySelectorAll(".age[data-since]").forEach((el) => { el.textContent = age(el.dataset.since); });
  }
  setInterval(tick, 1000);

  // --- connection ----------------------------------------------------------

  function setConn(s) {
    const live = $("live");
    live.dataset.state = s;
    live.querySelector("b").textContent = s === "open" ? "live" : s === "lost" ? "offline" : "connecting";
    const c = $("conn");
    const prev = c.dataset.state;
    c.dataset.state = s;
    if (s === "open") {
      // Say so briefly after an outage, so the learner knows it recovered.
      if (prev === "lost") {
        c.hidden = false;
        c.textContent = "Reconnected to the visualizer.";
        setTimeout(() => { if (c.dataset.state === "open") c.hidden = true; }, 2500);
      } else {
        c.hidden = true;
      }
    } else if (s === "lost") {
      c.hidden = false;
      c.replaceChildren("Connection to the visualizer lost — reconnecting…",
        h("small", {}, "What you see may be out of date."));
    } else if (!everOpen) {
      c.hidden = true; // first load: the header dot says "connecting"
    }
    updateStale();
  }

  function updateStale() {
    const lost = $("conn").dataset.state === "lost";
    document.body.classList.toggle("stale", lost || !!(state && state.error));
  }

  function connect() {
    if (es) es.close();
    es = new EventSource(base + "/api/events");
    es.addEventListener("open", () => { everOpen = true; lastMessage = Date.now(); setConn("open"); });
    es.addEventListener("hello", (e) => {
      lastMessage = Date.now();
      try { heartbeatMs = JSON.parse(e.data).heartbeatMs || heartbeatMs; } catch (_) { /* keep default */ }
    });
    es.addEventListener("ping", (e) => {
      lastMessage = Date.now();
      try { clockOffset = Date.parse(JSON.parse(e.data).time) - Date.now(); } catch (_) { /* keep offset */ }
    });
    es.addEventListener("state", (e) => {
      lastMessage = Date.now();
      if ($("conn").dataset.state !== "open") setConn("open");
      state = JSON.parse(e.data);
      if (state.time) clockOffset = Date.parse(state.time) - Date.now();
      render();
    });
    es.addEventListener("error", () => {
      // EventSource retries by itself while CONNECTING; if it gave up
      // (CLOSED), start again ourselves.
      setConn(everOpen ? "lost" : "connecting");
      if (es.readyState === EventSource.CLOSED) setTimeout(connect, 2000);
    });
  }

  // A stream that went silent (a proxy or a sleeping laptop) gets no error
  // event; treat a missed heartbeat as a lost connection.
  setInterval(() => {
    if (Date.now() - lastMessage > heartbeatMs * 2 + 5000) {
      setConn("lost");
      lastMessage = Date.now();
      connect();
    }
  }, 2000);

  connect();
})();
