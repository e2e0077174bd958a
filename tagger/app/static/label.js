// tagger label: keys and clicks become a decision, sent as JSON; the server renders the
// next article. Article text is never built into HTML here: the server escaped it.
"use strict";
(function () {
  const body = document.body;
  const csrf = document.querySelector('meta[name="csrf"]').content;
  const tab = body.dataset.tab;
  const annotator = body.dataset.annotator;
  const status = document.getElementById("status");
  const help = document.getElementById("help");
  const doc = document.getElementById("doc");
  const tagItems = Array.from(document.querySelectorAll(".tag"));
  const sentences = Array.from(document.querySelectorAll(".s"));
  let busy = false;

  const chosenData = document.getElementById("chosen");
  const start = chosenData ? JSON.parse(chosenData.textContent) : null;
  const state = {
    tags: new Set(start ? start.tags : []),
    byModel: new Set(start && !start.own ? start.tags : []),
    evidence: new Map(),     // tag -> Set of "start:end"
    fromModel: new Set(),    // "tag|start:end" suggested by the model, not yet touched
    noEvidence: new Set(start ? start.no_evidence : []),
    none: Boolean(start && start.none),
    active: null,
  };
  if (start) {
    for (const [tag, s, e] of start.evidence) {
      if (!state.evidence.has(tag)) state.evidence.set(tag, new Set());
      state.evidence.get(tag).add(s + ":" + e);
      if (!start.own) state.fromModel.add(tag + "|" + s + ":" + e);
    }
    state.active = start.tags.length ? start.tags[start.tags.length - 1] : null;
  }

  function say(text, ok) {
    status.textContent = text;
    status.className = ok ? "ok" : "";
  }

  function render() {
    for (const li of tagItems) {
      const tag = li.dataset.tag;
      const on = state.tags.has(tag);
      li.classList.toggle("chosen", on);
      li.classList.toggle("by-model", on && state.byModel.has(tag));
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
          if (!state.fromModel.has(tag + "|" + key)) model = false;
        }
      }
      const active = state.active && state.evidence.has(state.active)
        && state.evidence.get(state.active).has(key);
      s.classList.toggle("ev", any);
      s.classList.toggle("from-model", any && model);
      s.classList.toggle("ev-active", Boolean(active));
    }
    const noneLine = document.getElementById("none-line");
    if (noneLine) noneLine.hidden = !state.none;
  }

  function toggleTag(tag) {
    state.byModel.delete(tag);
    state.none = false;
    if (state.tags.has(tag)) {
      state.tags.delete(tag);
      if (state.active === tag) state.active = Array.from(state.tags).pop() || null;
    } else {
      state.tags.add(tag);
      state.active = tag;
    }
    say("");
    render();
  }

  function toggleEvidence(s) {
    if (!state.active) { say("Choose a tag first (1-9): a sentence is evidence for a tag."); return; }
    const tag = state.active, key = s.dataset.start + ":" + s.dataset.end;
    if (!state.evidence.has(tag)) state.evidence.set(tag, new Set());
    const set = state.evidence.get(tag);
    if (state.fromModel.has(tag + "|" + key)) { state.fromModel.delete(tag + "|" + key); set.delete(key); }
    else if (set.has(key)) set.delete(key);
    else { set.add(key); state.noEvidence.delete(tag); }
    state.byModel.delete(tag);
    say("");
    render();
  }

  async function post(path, payload) {
    const response = await fetch(path, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(Object.assign({ tab: tab, annotator: annotator }, payload)),
    });
    let data = {};
    try { data = await response.json(); } catch (e) { data = { error: "the server answered " + response.status }; }
    if (!response.ok) throw new Error(data.error || ("the server answered " + response.status));
    return data;
  }

  async function send(path, payload, done) {
    if (busy) return;
    busy = true;
    try {
      await post(path, payload);
      say(done, true);
      window.location.reload();
    } catch (e) {
      say(e.message);
      busy = false;
    }
  }

  function save() {
    if (!doc) return;
    const tags = tagItems.map(li => li.dataset.tag).filter(t => state.tags.has(t));
    if (!tags.length && !state.none) { say("No tag chosen: press 0 if you read it and no tag applies."); return; }
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
    send("/api/decide", { id: doc.dataset.id, answer: "saved", tags: tags, evidence: evidence,
      no_evidence: tags.filter(t => state.noEvidence.has(t)), none: state.none && !tags.length }, "saved");
  }

  function skip() { if (doc) send("/api/decide", { id: doc.dataset.id, answer: "skipped" }, "skipped"); }
  function undo() { send("/api/undo", {}, "undone"); }
  function none() { state.tags.clear(); state.byModel.clear(); state.active = null; state.none = true; say(""); render(); }
  function noEvidence() {
    if (!state.active) { say("Choose a tag first (1-9)."); return; }
    const t = state.active;
    if (state.noEvidence.has(t)) state.noEvidence.delete(t); else state.noEvidence.add(t);
    render();
  }
  function toggleHelp(show) { help.hidden = show === undefined ? !help.hidden : !show; }

  document.addEventListener("keydown", (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const k = ev.key;
    if (k === "?") { toggleHelp(); }
    else if (k === "Escape") { toggleHelp(false); }
    else if (/^[1-9]$/.test(k)) {
      const li = tagItems.find(x => x.dataset.key === k);
      if (li) toggleTag(li.dataset.tag);
    }
    else if (k === "0") { none(); }
    else if (k === "Enter") { save(); }
    else if (k === "s") { skip(); }
    else if (k === "u") { undo(); }
    else if (k === "n") { noEvidence(); }
    else if ((k === "e" || k === " ") && document.activeElement.classList.contains("s")) { toggleEvidence(document.activeElement); }
    else return;
    ev.preventDefault();
  });
  for (const s of sentences) s.addEventListener("click", () => toggleEvidence(s));
  for (const li of tagItems) {
    li.querySelector(".head").addEventListener("click", (ev) => { ev.preventDefault(); toggleTag(li.dataset.tag); });
    li.querySelector(".none-ev").addEventListener("click", (ev) => { ev.preventDefault(); state.active = li.dataset.tag; noEvidence(); });
  }
  const on = (id, fn) => { const b = document.getElementById(id); if (b) b.addEventListener("click", fn); };
  on("save", save); on("skip", skip); on("undo", undo); on("none", none);
  on("help-button", () => toggleHelp());
  render();
})();
