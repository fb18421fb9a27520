// The instructor's page: every student's progress, refreshed every few seconds, and the CSV.
"use strict";
(function () {
  const cfg = JSON.parse(document.getElementById("dlgrade-config").textContent);
  const body = document.querySelector("#progress tbody");
  const summary = document.getElementById("summary");
  const updated = document.getElementById("updated");
  document.getElementById("csv").setAttribute("href", cfg.api + "/results.csv");

  function cell(text) {
    const td = document.createElement("td");
    td.textContent = text === null || text === undefined ? "" : String(text);
    return td;
  }
  function clock(iso) { return iso ? iso.slice(11, 19) : ""; }
  function left(seconds) {
    if (seconds === null || seconds === undefined) return "";
    const s = Math.round(seconds);
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }

  function render(data) {
    const rows = data.students.map(function (s) {
      const tr = document.createElement("tr");
      tr.dataset.student = s.student_id;
      tr.dataset.status = s.status;
      const score = s.score === null ? "" : Math.round(s.score * 100) / 100 + " / " + s.max_score;
      for (const value of [s.student_id, s.attempt, s.answered + " / " + s.questions, s.status,
                           left(s.remaining_s), score, clock(s.started_at), clock(s.submitted_at)]) {
        tr.appendChild(cell(value));
      }
      return tr;
    });
    body.replaceChildren.apply(body, rows);
    const mean = data.mean_score === null ? "" : ", mean score " + data.mean_score;
    summary.textContent = data.started + " started, " + data.submitted + " submitted" + mean;
    updated.textContent = "Updated " + new Date().toLocaleTimeString();
  }

  async function poll() {
    try {
      const response = await fetch(cfg.api + "/progress", {
        credentials: "same-origin",
        cache: "no-store",
        headers: { "X-XSRFToken": cfg.xsrf },
      });
      const data = await response.json();
      if (response.ok) render(data);
      else updated.textContent = data.error || "Error " + response.status;
    } catch (e) {
      updated.textContent = "Offline: retrying";
    }
    setTimeout(poll, cfg.poll_s * 1000);
  }
  poll();
})();
