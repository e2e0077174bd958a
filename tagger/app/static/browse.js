// tagger browse: keyboard navigation, filter forms (the CSP forbids form submission, so
// they become links), and the correction buttons (POST with the page's CSRF token).
(function () {
  "use strict";
  const csrf = document.querySelector('meta[name="csrf"]').content;
  const status = document.getElementById("status");

  function say(text, error) {
    if (!status) return;
    status.textContent = text;
    status.className = error ? "error" : "";
  }

  document.querySelectorAll("form").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      const params = new URLSearchParams();
      new FormData(form).forEach(function (value, key) { if (value !== "") params.append(key, value); });
      window.location.assign("/list" + (params.toString() ? "?" + params.toString() : ""));
    });
  });

  async function correct(button) {
    const doc = document.getElementById("doc");
    say("saving…");
    try {
      const response = await fetch("/api/correct", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify({ id: doc.dataset.id, tag: button.dataset.tag, kind: button.dataset.kind }),
      });
      const body = await response.json();
      if (!response.ok) { say("Not stored: " + body.error, true); return; }
      const tags = body.saved.tags.length ? body.saved.tags.join(", ") : "no tag";
      say("Stored: " + button.dataset.tag + " marked " + button.dataset.kind + "; your label is now " + tags + ".");
      const mine = document.getElementById("mine");
      if (mine) mine.textContent = "Your label in force: " + tags + ".";
      // the tag is now the other way round: the same button reverses the correction
      const kind = button.dataset.kind === "wrong" ? "missing" : "wrong";
      button.dataset.kind = kind;
      button.textContent = kind + " tag";
    } catch (error) {
      say("Not stored: the server did not answer (" + error + ")", true);
    }
  }
  document.querySelectorAll("button.correct").forEach(function (b) {
    b.addEventListener("click", function () { correct(b); });
  });

  const results = Array.from(document.querySelectorAll("#results a.result"));
  let current = -1;
  function move(step) {
    if (!results.length) return;
    if (current >= 0) results[current].parentElement.classList.remove("current");
    current = Math.max(0, Math.min(results.length - 1, current + step));
    results[current].parentElement.classList.add("current");
    results[current].focus();
  }

  document.addEventListener("keydown", function (event) {
    const t = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (t && (t.tagName === "INPUT" || t.tagName === "SELECT" || t.tagName === "TEXTAREA")) {
      if (event.key === "Escape") t.blur();
      return;
    }
    const go = function (id) { const a = document.getElementById(id); if (a) window.location.assign(a.href); };
    if (event.key === "/") { event.preventDefault(); document.getElementById("q").focus(); }
    else if (event.key === "j") move(1);
    else if (event.key === "k") move(-1);
    else if (event.key === "n") go("next");
    else if (event.key === "p") go("prev");
    else if (event.key === "b") window.history.back();
    else if (event.key === "?") { const h = document.getElementById("help"); h.hidden = !h.hidden; }
    else if (/^[1-9]$/.test(event.key)) {
      const rows = document.querySelectorAll("table.doctags tbody tr");
      const row = rows[Number(event.key) - 1];
      const button = row && row.querySelector("button.correct");
      if (button) button.focus();
    }
  });
})();
