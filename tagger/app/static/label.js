// tagger label: keys and clicks become a decision, sent as JSON; the server renders the
// next article. Article text is never built into HTML here: the server escaped it, and what
// this script shows from the API (history, search, stats) goes in as text.
// The model's proposal is a layer apart: nothing of it is chosen until the annotator
// accepts it (a, Shift+digit, or a click on its chip); tags accepted unchanged are sent
// in "accepted". The keys are declared once, in tagger/app/keys.py, read from the page.
"use strict";
(function () {
  const body = document.body;
  const csrf = document.querySelector('meta[name="csrf"]').content;
  let tab = body.dataset.tab;  // issued by the server (POST /api/tab), never made up here
  const annotator = body.dataset.annotator;
  const status = document.getElementById("status");
  const doc = document.getElementById("doc");
  const tagItems = Array.from(document.querySelectorAll(".tag"));
  const sentences = Array.from(document.querySelectorAll(".s"));
  const readJSON = (id, empty) => { const el = document.getElementById(id); return el ? JSON.parse(el.textContent) : empty; };
  const KEYS = readJSON("keys", []);
  const start = readJSON("chosen", null);
  const proposal = (start && start.proposal) || { tags: [], evidence: [] };
  const address = () => "tab=" + encodeURIComponent(tab) + "&annotator=" + encodeURIComponent(annotator);
  let busy = false, leaving = false, toastTimer = null, jumpAt = -1;

  const state = {
    tags: new Set(start ? start.tags : []),
    evidence: new Map(),      // tag -> Set of "start:end"
    noEvidence: new Set(start ? start.no_evidence : []),
    accepted: new Set(start ? start.accepted : []),  // the model's proposal, taken unchanged
    none: Boolean(start && start.none),
    active: null,
  };
  if (start) {
    for (const [tag, s, e] of start.evidence) evidenceOf(tag).add(s + ":" + e);
    state.active = start.tags.length ? start.tags[start.tags.length - 1] : null;
  }
  const proposed = new Map(proposal.tags.map(t => [t, []]));
  for (const [tag, s, e] of proposal.evidence) proposed.get(tag).push(s + ":" + e);

  function evidenceOf(tag) {
    if (!state.evidence.has(tag)) state.evidence.set(tag, new Set());
    return state.evidence.get(tag);
  }

  // -- feedback: a toast just above the action bar, where the eyes are -----------------
  function say(text, kind) {
    clearTimeout(toastTimer);
    status.textContent = text;
    status.className = kind || "";
    status.hidden = !text;
    if (text) toastTimer = setTimeout(() => { status.hidden = true; }, kind === "ok" || kind === "info" ? 3500 : 9000);
  }

  function render() {
    for (const li of tagItems) {
      const tag = li.dataset.tag;
      const on = state.tags.has(tag);
      li.classList.toggle("chosen", on);
      li.classList.toggle("accepted", on && state.accepted.has(tag));
      li.classList.toggle("active", on && state.active === tag);
      li.querySelector(".pick").checked = on;
      li.querySelector(".noev").checked = state.noEvidence.has(tag);
      const n = state.evidence.has(tag) ? state.evidence.get(tag).size : 0;
      const count = li.querySelector(".count");
      count.textContent = n ? n + " evidence sentence" + (n > 1 ? "s" : "")
        : state.noEvidence.has(tag) ? "no evidence sentence" : "needs evidence: click a sentence";
      count.classList.toggle("missing", on && !n && !state.noEvidence.has(tag));
    }
    for (const s of sentences) {
      const key = s.dataset.start + ":" + s.dataset.end;
      let any = false, model = true;
      for (const tag of state.tags) {
        if (state.evidence.has(tag) && state.evidence.get(tag).has(key)) {
          any = true;
          if (!state.accepted.has(tag)) model = false;
        }
      }
      s.classList.toggle("ev", any);
      s.classList.toggle("from-model", any && model);
      s.classList.toggle("ev-active", Boolean(state.active && state.evidence.has(state.active)
        && state.evidence.get(state.active).has(key)));
    }
    for (const m of document.querySelectorAll("mark.kw")) {
      m.classList.toggle("kw-active", Boolean(state.active) && m.dataset.kw.split(" ").includes(state.active));
    }
    const noneLine = document.getElementById("none-line");
    if (noneLine) noneLine.hidden = !state.none;
  }

  // -- the annotator's own choice -----------------------------------------------------
  function tagOfDigit(d) { const li = tagItems.find(x => x.dataset.key === d); return li ? li.dataset.tag : null; }

  function toggle(digit) {
    const tag = tagOfDigit(digit);
    if (!tag) { say("No tag has the key " + digit + ".", "info"); return; }
    toggleTag(tag);
  }

  // one way to choose or drop a tag, by its key or a click (tags 10 and on have no key)
  function toggleTag(tag) {
    state.none = false;
    state.accepted.delete(tag);
    if (state.tags.has(tag)) {
      state.tags.delete(tag);
      state.evidence.delete(tag);
      state.noEvidence.delete(tag);
      if (state.active === tag) state.active = Array.from(state.tags).pop() || null;
      say(tag + ": removed", "info");
    } else {
      state.tags.add(tag);
      state.active = tag;
      say(tag + ": added; now click its evidence sentence (or j/k and e), or press n", "info");
    }
    render();
  }

  function acceptTag(tag, quiet) {
    if (!proposed.has(tag)) { say("The model does not propose " + tag + ".", "info"); return false; }
    state.none = false;
    state.tags.add(tag);
    state.evidence.set(tag, new Set(proposed.get(tag)));
    if (proposed.get(tag).length) state.noEvidence.delete(tag); else state.noEvidence.add(tag);
    state.accepted.add(tag);
    state.active = tag;
    if (!quiet) say(tag + ": the model's proposal accepted", "info");
    render();
    return true;
  }

  function acceptDigit(digit) { const tag = tagOfDigit(digit); if (tag) acceptTag(tag); }

  function acceptAll() {
    if (!doc) return;
    if (!proposal.tags.length) { say("The model proposes no tag here: press 0 if you agree that none applies.", "info"); return; }
    for (const tag of proposal.tags) acceptTag(tag, true);
    say("Accepted the model's proposal: " + proposal.tags.join(", ") + ". Enter saves it.", "info");
  }

  function toggleEvidence(s) {
    if (!state.active) { say("Choose a tag first (1-9, or accept one): a sentence is evidence for a tag."); return; }
    const tag = state.active, key = s.dataset.start + ":" + s.dataset.end, set = evidenceOf(tag);
    if (set.has(key)) set.delete(key); else { set.add(key); state.noEvidence.delete(tag); }
    state.accepted.delete(tag);  // changed: the annotator's own now
    say(tag + ": evidence " + (set.has(key) ? "marked" : "unmarked"), "info");
    render();
  }

  function noEvidence() {
    if (!state.active) { say("Choose a tag first (1-9)."); return; }
    const t = state.active;
    if (state.noEvidence.has(t)) state.noEvidence.delete(t); else state.noEvidence.add(t);
    state.accepted.delete(t);
    render();
  }

  function none() {
    if (!doc) return;
    state.tags.clear(); state.evidence.clear(); state.accepted.clear(); state.noEvidence.clear();
    state.active = null; state.none = true;
    say("Read: no tag applies. Enter saves it.", "info");
    render();
  }

  // -- talking to the server ----------------------------------------------------------
  async function call(path, payload) {
    const init = payload === undefined ? { credentials: "same-origin" } : {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(Object.assign(tab ? { tab: tab, annotator: annotator } : { annotator: annotator }, payload)),
    };
    const response = await fetch(path, init);
    let data = {};
    try { data = await response.json(); } catch (e) { data = { error: "the server answered " + response.status }; }
    if (!response.ok) throw new Error(data.error || ("the server answered " + response.status));
    return data;
  }

  function go(url, toast) {
    leaving = true;  // the server moved this tab's claim: the page must not release it
    if (toast) sessionStorage.setItem("tagger-toast", toast);
    window.location.assign(url);
  }

  async function send(path, payload, toast) {
    if (busy) return;
    busy = true;
    try {
      const data = await call(path, payload);
      go("/?" + address(), typeof toast === "function" ? toast(data) : toast);
    } catch (e) {
      say(e.message);
      busy = false;
    }
  }

  function save() {
    if (!doc) return;
    const tags = tagItems.map(li => li.dataset.tag).filter(t => state.tags.has(t));
    if (!tags.length && !state.none) {
      say("Nothing stored: you have chosen nothing yet. " + (proposal.tags.length
        ? "Press a to accept the model's proposal (" + proposal.tags.join(", ") + "), 1-9 to choose tags, "
        : "Press 1-9 to choose tags, ") + "or 0 if no tag applies.");
      return;
    }
    const missing = tags.filter(t => !state.noEvidence.has(t) && !(state.evidence.get(t) || new Set()).size);
    if (missing.length) {
      say(missing[0] + " has no evidence: click the sentence that earns it, or press n (no evidence sentence).");
      state.active = missing[0];
      render();
      return;
    }
    const evidence = [];
    for (const t of tags) for (const key of (state.evidence.get(t) || [])) {
      const [s, e] = key.split(":").map(Number);
      evidence.push({ tag: t, start: s, end: e });
    }
    const accepted = tags.filter(t => state.accepted.has(t));
    send("/api/decide", { id: doc.dataset.id, answer: "saved", tags: tags, evidence: evidence,
      accepted: accepted, no_evidence: tags.filter(t => state.noEvidence.has(t)),
      none: state.none && !tags.length },
    "Saved " + doc.dataset.id + ": " + (tags.length ? tags.map(t => t + (state.accepted.has(t) ? " (model's, accepted)" : "")).join(", ") : "no tag applies"));
  }

  function skip() { if (doc) send("/api/decide", { id: doc.dataset.id, answer: "skipped" }, "Skipped " + doc.dataset.id); }
  function undo() {
    send("/api/undo", {}, data => data.undone ? "Undone: your " + data.undone.answer + " decision on " + data.undone.id + " (shown again)" : "Nothing to undo");
  }

  // -- moving through a long article --------------------------------------------------
  function focusSentence(s) {
    s.focus({ preventScroll: true });
    s.scrollIntoView({ block: "center" });
  }

  function step(by) {
    if (!sentences.length) return;
    const at = sentences.indexOf(document.activeElement);
    const next = at < 0 ? (by > 0 ? 0 : sentences.length - 1) : Math.min(sentences.length - 1, Math.max(0, at + by));
    focusSentence(sentences[next]);
  }

  function jump() {
    const shown = sentences.filter(s => s.dataset.model);
    if (!shown.length) { say("The model found no evidence sentence here.", "info"); return; }
    let target = null;
    if (state.active) {
      const mine = shown.filter(s => s.dataset.model.split(" ").includes(state.active));
      if (mine.length) target = mine[(mine.indexOf(document.activeElement) + 1) % mine.length];
    }
    if (!target) { jumpAt = (jumpAt + 1) % shown.length; target = shown[jumpAt]; }
    for (const s of sentences) s.classList.remove("jumped");
    target.classList.add("jumped");
    focusSentence(target);
    say("The model's evidence for " + target.dataset.model.split(" ").join(", "), "info");
  }

  function definitions(open) {
    const all = Array.from(document.querySelectorAll("details.def"));
    const show = open === undefined ? !all.some(d => d.open) : open;
    for (const d of all) d.open = show;
    if (open === undefined) localStorage.setItem("tagger-definitions", show ? "open" : "closed");
  }

  // -- panels: history, search, stats, help ------------------------------------------
  const panels = ["history", "stats", "help"].map(id => document.getElementById(id));
  function show(panel, on) {
    for (const p of panels) if (p !== panel) p.hidden = true;
    panel.hidden = on === undefined ? !panel.hidden : !on;
    return !panel.hidden;
  }

  function open(id) { go("/doc/" + encodeURIComponent(id) + "?" + address()); }

  function fill(list, rows, line) {
    list.textContent = "";
    rows.forEach((row, n) => {
      const li = document.createElement("li");
      li.dataset.id = row.id;
      line(li, row);
      li.classList.toggle("selected", n === 0);
      li.addEventListener("click", () => open(row.id));
      list.appendChild(li);
    });
  }

  function line(li, main, sub, accepted) {
    li.appendChild(document.createTextNode(main));
    const s = document.createElement("span");
    s.className = "sub";
    s.textContent = sub;
    if (accepted) { const a = document.createElement("span"); a.className = "acc"; a.textContent = accepted; s.appendChild(a); }
    li.appendChild(s);
  }

  async function history() {
    const panel = document.getElementById("history");
    if (!show(panel)) return;
    const list = document.getElementById("history-list");
    list.textContent = "loading…";
    try {
      const data = await call("/api/history?annotator=" + encodeURIComponent(annotator) + "&limit=30");
      fill(list, data.decisions, (li, d) => {
        const what = d.answer === "skipped" ? "skipped" : d.tags.length ? d.tags.join(", ") : "no tag applies";
        line(li, d.title || d.id, "#" + d.seq + " · " + d.id + " · " + what,
          d.accepted && d.accepted.length ? " · model's accepted: " + d.accepted.join(", ") : "");
      });
      if (!data.decisions.length) list.textContent = "No decisions yet.";
    } catch (e) { list.textContent = "The history could not be read: " + e.message; }
  }

  let searchTimer = null, searched = "";
  async function search() {
    const input = document.getElementById("search"), list = document.getElementById("search-results");
    const q = input.value.trim();
    if (q === searched) return;
    searched = q;
    if (!q) { list.hidden = true; return; }
    try {
      const data = await call("/api/search?q=" + encodeURIComponent(q) + "&annotator=" + encodeURIComponent(annotator) + "&limit=20");
      if (input.value.trim() !== q) return;
      fill(list, data.results, (li, r) => line(li, r.title || r.id, r.id + (r.labelled ? " · labelled" : "") + " · " + (r.snippet || "")));
      if (!data.results.length) { const li = document.createElement("li"); li.textContent = "No article holds these words."; list.appendChild(li); }
      list.hidden = false;
    } catch (e) { say(e.message); }
  }

  function move(list, by) {
    const items = Array.from(list.querySelectorAll("li[data-id]"));
    if (!items.length) return;
    const at = items.findIndex(li => li.classList.contains("selected"));
    const next = Math.min(items.length - 1, Math.max(0, at + by));
    items.forEach((li, n) => li.classList.toggle("selected", n === next));
    items[next].scrollIntoView({ block: "nearest" });
  }

  function chosenIn(list) { const li = list.querySelector("li.selected[data-id]"); if (li) open(li.dataset.id); }

  async function stats() {
    const panel = document.getElementById("stats");
    if (!show(panel)) return;
    const box = document.getElementById("stats-body");
    box.textContent = "reading…";
    try {
      const data = await call("/api/stats?annotator=" + encodeURIComponent(annotator));
      box.textContent = "";
      const p = data.progress || {};
      const share = data.accepted_share;
      const head = document.createElement("p");
      head.id = "stats-summary";
      head.textContent = (p.labelled !== undefined ? p.labelled + " labelled, " + p.remaining + " to go. " : "")
        + "Model's proposals accepted unchanged: " + (share === null || share === undefined ? "none yet" : Math.round(share * 100) + "% of the tags you gave") + ". "
        + "Articles labelled by two or more annotators: " + (data.overlap_docs || 0) + ".";
      box.appendChild(head);
      const table = document.createElement("table");
      const row = (cells, tag) => { const tr = document.createElement("tr"); for (const c of cells) { const td = document.createElement(tag); td.textContent = c; tr.appendChild(td); } table.appendChild(tr); };
      const kappa = k => k === null || k === undefined ? "–" : k.toFixed(2);
      row(["tag", "annotators agree (kappa)", "you and the model (kappa)"], "th");
      for (const [tag, k] of Object.entries(data.kappa || {})) row([tag, kappa(k), kappa((data.model_kappa || {})[tag])], "td");
      box.appendChild(table);
      const note = document.createElement("p");
      note.className = "hint";
      note.textContent = "Cohen's kappa: 1 is full agreement, 0 what chance gives; – where there is nothing to compare yet.";
      box.appendChild(note);
    } catch (e) { box.textContent = "The statistics could not be read: " + e.message; }
  }

  // -- keys, from the registry ----------------------------------------------------------
  const ACTIONS = {
    toggle: toggle, "accept-tag": acceptDigit, "accept-all": acceptAll, none: none, save: save,
    skip: skip, undo: undo, "next-sentence": () => step(1), "previous-sentence": () => step(-1),
    evidence: () => { const s = document.activeElement; if (s && s.classList.contains("s")) toggleEvidence(s); else say("Go to a sentence first (j/k) or click it.", "info"); },
    "no-evidence": noEvidence, jump: jump, definitions: () => definitions(), history: history,
    search: () => document.getElementById("search").focus(),
    help: () => show(document.getElementById("help")),
    close: () => { for (const p of panels) p.hidden = true; document.getElementById("search-results").hidden = true; },
  };
  for (const k of KEYS) if (!ACTIONS[k.action]) console.error("no action for key", k.action);

  function binding(ev) {
    if (ev.shiftKey && /^Digit[1-9]$/.test(ev.code)) {
      const k = KEYS.find(x => x.shift && x.digit);
      return k && [k, ev.code.slice(5)];
    }
    const k = KEYS.find(x => !x.shift && x.keys.includes(ev.key));
    return k && [k, ev.key];
  }

  function inSearch(ev) {
    const list = document.getElementById("search-results");
    if (ev.key === "Escape") { ev.target.blur(); list.hidden = true; }
    else if (ev.key === "ArrowDown") move(list, 1);
    else if (ev.key === "ArrowUp") move(list, -1);
    else if (ev.key === "Enter") { search().then(() => chosenIn(list)); }
    else return;
    ev.preventDefault();
  }

  document.addEventListener("keydown", (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (ev.target.id === "search") { inSearch(ev); return; }
    const historyPanel = document.getElementById("history");
    if (!historyPanel.hidden && ["ArrowDown", "ArrowUp", "Enter"].includes(ev.key)) {
      const list = document.getElementById("history-list");
      if (ev.key === "Enter") chosenIn(list); else move(list, ev.key === "ArrowDown" ? 1 : -1);
      ev.preventDefault();
      return;
    }
    const found = binding(ev);
    if (!found) return;
    ev.preventDefault();
    const [k, pressed] = found;
    ACTIONS[k.action](k.digit ? pressed : undefined);
  });

  // -- clicks ---------------------------------------------------------------------------
  for (const s of sentences) s.addEventListener("click", () => { s.focus({ preventScroll: true }); toggleEvidence(s); });
  for (const li of tagItems) {
    li.querySelector(".own").addEventListener("click", (ev) => { ev.preventDefault(); toggleTag(li.dataset.tag); });
    const chip = li.querySelector(".proposal");
    if (chip) chip.addEventListener("click", () => acceptTag(li.dataset.tag));
    li.querySelector(".none-ev").addEventListener("click", (ev) => { ev.preventDefault(); state.active = li.dataset.tag; noEvidence(); });
  }
  const on = (id, fn) => { const b = document.getElementById(id); if (b) b.addEventListener("click", () => fn()); };
  on("save", save); on("skip", skip); on("undo", undo); on("none", none); on("accept", acceptAll);
  on("history-button", history); on("stats-button", stats);
  on("help-button", () => show(document.getElementById("help")));
  const searchInput = document.getElementById("search");
  searchInput.addEventListener("input", () => { clearTimeout(searchTimer); searchTimer = setTimeout(search, 250); });
  document.getElementById("search-form").addEventListener("submit", (ev) => ev.preventDefault());

  // -- the claim: kept while the tab is open, freed the moment it closes ----------------
  if (doc) {
    let warned = false;
    setInterval(() => call("/api/heartbeat", { id: doc.dataset.id }).then(data => {
      if (data.held !== doc.dataset.id && !warned) {  // null: the claim lapsed and another tab has it
        warned = true;
        say("This tab's hold on the article lapsed and another tab has it now; it may be labelled twice.", "info");
      }
    }).catch(() => {}), 5000);  // a missed beat is retried by the next one
    window.addEventListener("pagehide", () => {
      if (leaving) return;
      fetch("/api/release", { method: "POST", keepalive: true, credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify({ tab: tab, annotator: annotator, id: doc.dataset.id }) });
    });
  }

  // -- the claim: a GET changes nothing, so a page with nothing to show asks by POST -----
  // (a tab id first, when it has none), then reloads to show what its tab now holds.
  async function claim(want) {
    const tries = Number(sessionStorage.getItem("tagger-claims") || 0);
    const settle = (done) => {  // nothing more will load here
      const claiming = document.getElementById("claiming"), empty = document.getElementById("empty");
      if (claiming) claiming.hidden = true;
      if (done && empty) empty.hidden = false;
      body.dataset.settled = "1";
    };
    if (tries >= 3) { sessionStorage.removeItem("tagger-claims"); say("The server gave this tab no article; reload to try again."); settle(); return; }
    try {
      if (!tab) tab = (await call("/api/tab", {})).tab;
      if (want === "next") {
        const data = await call("/api/next", {});
        if (!data.document) { settle(true); return; }  // the queue is done: this page says so
        sessionStorage.setItem("tagger-claims", String(tries + 1));
        go("/?" + address());
      } else {
        await call("/api/open", { id: want });
        sessionStorage.setItem("tagger-claims", String(tries + 1));
        go("/doc/" + encodeURIComponent(want) + "?" + address());
      }
    } catch (e) { say(e.message); settle(); }
  }
  if (!body.dataset.want) { sessionStorage.removeItem("tagger-claims"); body.dataset.settled = "1"; }
  else claim(body.dataset.want);

  // -- start ----------------------------------------------------------------------------
  const wide = window.innerWidth >= 1000 && window.innerHeight >= 950;
  const pref = localStorage.getItem("tagger-definitions");
  definitions(pref ? pref === "open" : wide);
  const pending = sessionStorage.getItem("tagger-toast");
  if (pending) { sessionStorage.removeItem("tagger-toast"); say(pending, "ok"); }
  render();
})();
