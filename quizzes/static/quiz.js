// The student's quiz page: render the paper, save each answer as it changes, keep unsent answers in
// localStorage (a reload or a dropped connection loses nothing), count down, submit.
"use strict";
(function () {
  const cfg = JSON.parse(document.getElementById("dlgrade-config").textContent);
  const app = document.getElementById("app");
  const statusEl = document.getElementById("save-status");
  const timerEl = document.getElementById("timer");
  let state = null;
  let deadlineAt = 0;
  let timerHandle = null;
  let closed = false;
  let flushing = null;
  let retryHandle = null;
  let retryDelay = 1000;
  let lastRevision = 0;
  let submitting = false;
  const debounce = {};

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "text") node.textContent = v;
      else if (k === "html") node.innerHTML = v; // server-rendered: escaped Markdown, MathML
      else node.setAttribute(k, v);
    }
    for (const child of children || []) node.appendChild(child);
    return node;
  }

  function num(x) { return String(Math.round(x * 100) / 100); }

  function setStatus(kind, text) {
    statusEl.dataset.state = kind;
    statusEl.textContent = text;
  }

  async function api(path, body) {
    // The XSRF header goes with every request: behind JupyterHub, hub OAuth checks it on GETs from
    // scripts too.
    const options = { credentials: "same-origin", cache: "no-store", headers: { "X-XSRFToken": cfg.xsrf } };
    if (body !== undefined) {
      options.method = "POST";
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(cfg.api + path, options);
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    return { status: response.status, data: data };
  }

  // ---------------------------------------------------------------- the queue of unsent answers

  function queueKey() { return "dlgrade-quiz:" + cfg.quiz + ":" + cfg.user + ":" + state.attempt.number; }
  function loadQueue() {
    try { return JSON.parse(localStorage.getItem(queueKey()) || "{}"); } catch (e) { return {}; }
  }
  function storeQueue(queue) {
    try { localStorage.setItem(queueKey(), JSON.stringify(queue)); } catch (e) { /* private mode */ }
  }
  function nextRevision() {
    lastRevision = Math.max(lastRevision + 1, Date.now());
    return lastRevision;
  }

  function enqueue(qid, response) {
    const queue = loadQueue();
    queue[qid] = { question: qid, response: response, revision: nextRevision() };
    storeQueue(queue);
    setStatus("saving", "Saving\u2026");
  }

  function flush() {
    if (flushing) { flushing.again = true; return flushing.promise; }
    const run = { again: false };
    run.promise = (async function () {
      try {
        do {
          run.again = false;
          await sendQueued();
        } while (run.again && !closed);
      } finally {
        flushing = null;
      }
    })();
    flushing = run;
    return run.promise;
  }

  async function sendQueued() {
    if (!state || !state.attempt || closed) return;
    const entries = Object.values(loadQueue());
    for (const entry of entries) {
      let result;
      try {
        result = await api("/answer", {
          attempt: state.attempt.number, question: entry.question,
          response: entry.response, revision: entry.revision,
        });
      } catch (e) {
        setStatus("offline", "Offline: your answers are kept in this browser and sent when the connection is back");
        scheduleRetry();
        return;
      }
      if (result.status === 200) {
        const queue = loadQueue();
        if (queue[entry.question] && queue[entry.question].revision <= entry.revision) {
          delete queue[entry.question];
          storeQueue(queue);
        }
        if (typeof result.data.remaining_s === "number") setDeadline(result.data.remaining_s);
      } else if (result.status === 409) {
        closeAttempt(result.data && result.data.error);
        return;
      } else if (result.status >= 500 || result.status === 0) {
        setStatus("offline", "The server is not answering: your answers are kept and sent again soon");
        scheduleRetry();
        return;
      } else {
        const queue = loadQueue();
        delete queue[entry.question];
        storeQueue(queue);
        setStatus("error", "Not saved: " + ((result.data && result.data.error) || result.status));
        return;
      }
    }
    retryDelay = 1000;
    if (Object.keys(loadQueue()).length === 0) setStatus("saved", "All answers saved");
  }

  function scheduleRetry() {
    if (retryHandle) return;
    retryHandle = setTimeout(function () { retryHandle = null; flush(); }, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 10000);
  }
  window.addEventListener("online", function () { flush(); });

  function closeAttempt(message) {
    closed = true;
    setStatus("closed", message || "This attempt is closed");
    for (const input of app.querySelectorAll("input, select, textarea, button")) input.disabled = true;
    setTimeout(load, 300);
  }

  // ---------------------------------------------------------------- time

  function setDeadline(remaining) { deadlineAt = Date.now() + remaining * 1000; }

  function tick() {
    if (!state || state.status !== "open") { timerEl.textContent = ""; return; }
    const left = Math.max(0, Math.round((deadlineAt - Date.now()) / 1000));
    const m = Math.floor(left / 60), s = left % 60;
    timerEl.textContent = "Time left " + m + ":" + String(s).padStart(2, "0");
    timerEl.classList.toggle("low", left <= 30);
    if (left <= 0 && !submitting && !closed) {
      setStatus("closed", "Time is up: submitting your answers");
      for (const input of app.querySelectorAll("input, select, textarea")) input.disabled = true;
      submit();
    }
  }

  // ---------------------------------------------------------------- questions

  function questionInputs(q, index) {
    const name = "q-" + q.id;
    const box = el("section", { class: "question", "data-qid": q.id, "data-type": q.type, id: "question-" + q.id });
    const pts = q.points === 1 ? "1 point" : q.points + " points";
    box.appendChild(el("h2", {}, [
      el("span", { text: "Question " + (index + 1) + ": " + q.title + " " }),
      el("span", { class: "points", text: "(" + pts + ")" }),
    ]));
    box.appendChild(el("div", { class: "text", html: q.text_html }));
    // Every change goes to localStorage at once (a reload loses nothing); the request waits a little.
    const changed = function (delay) {
      enqueue(q.id, readResponse(q, box));
      clearTimeout(debounce[q.id]);
      debounce[q.id] = setTimeout(function () { delete debounce[q.id]; flush(); }, delay);
    };
    if (q.type === "single" || q.type === "multiple") {
      for (const choice of q.choices) {
        const input = el("input", { type: q.type === "single" ? "radio" : "checkbox", name: name, value: choice.id });
        input.addEventListener("change", function () { changed(0); });
        box.appendChild(el("label", {}, [input, el("span", { html: " " + choice.html })]));
      }
    } else if (q.type === "truefalse") {
      for (const value of ["true", "false"]) {
        const input = el("input", { type: "radio", name: name, value: value });
        input.addEventListener("change", function () { changed(0); });
        box.appendChild(el("label", {}, [input, el("span", { text: value === "true" ? " True" : " False" })]));
      }
    } else if (q.type === "numeric" || q.type === "short") {
      const input = el("input", { type: "text", name: name, autocomplete: "off", "aria-label": "Answer" });
      if (q.type === "numeric") input.setAttribute("inputmode", "decimal");
      input.addEventListener("input", function () { changed(500); });
      input.addEventListener("change", function () { changed(0); });
      box.appendChild(input);
    } else if (q.type === "essay") {
      const input = el("textarea", { name: name, "aria-label": "Answer" });
      input.addEventListener("input", function () { changed(800); });
      input.addEventListener("change", function () { changed(0); });
      box.appendChild(input);
    } else if (q.type === "matching") {
      q.left.forEach(function (left, i) {
        const select = el("select", { "data-left": left }, [el("option", { value: "", text: "\u2014" })]);
        q.options.forEach(function (option, k) {
          const label = q.option_labels ? q.option_labels[k] : option;
          select.appendChild(el("option", { value: option, text: label }));
        });
        select.addEventListener("change", function () { changed(0); });
        const shown = q.left_html ? el("span", { html: q.left_html[i] }) : el("span", { text: left });
        box.appendChild(el("div", { class: "matching-row" }, [shown, select]));
      });
    } else if (q.type === "ordering") {
      const list = el("ol", { class: "ordering" });
      q.items.forEach(function (item, i) {
        const html = q.items_html ? q.items_html[i] : null;
        list.appendChild(orderingItem(item, html, list, function () { changed(0); }));
      });
      box.appendChild(list);
    }
    return box;
  }

  function orderingItem(item, html, list, changed) {
    const li = el("li", { "data-item": item }, [html === null ? el("span", { text: item }) : el("span", { html: html })]);
    const up = el("button", { type: "button", "aria-label": "Move up", text: "\u2191" });
    const down = el("button", { type: "button", "aria-label": "Move down", text: "\u2193" });
    up.addEventListener("click", function () {
      if (li.previousElementSibling) { list.insertBefore(li, li.previousElementSibling); changed(); }
    });
    down.addEventListener("click", function () {
      if (li.nextElementSibling) { list.insertBefore(li.nextElementSibling, li); changed(); }
    });
    li.appendChild(up);
    li.appendChild(down);
    return li;
  }

  function readResponse(q, box) {
    if (q.type === "single" || q.type === "truefalse") {
      const picked = box.querySelector("input:checked");
      if (!picked) return null;
      return q.type === "truefalse" ? picked.value === "true" : picked.value;
    }
    if (q.type === "multiple") return Array.from(box.querySelectorAll("input:checked")).map(function (i) { return i.value; });
    if (q.type === "numeric" || q.type === "short") return box.querySelector("input").value.trim();
    if (q.type === "essay") return box.querySelector("textarea").value;
    if (q.type === "matching") {
      const out = {};
      for (const select of box.querySelectorAll("select")) if (select.value) out[select.dataset.left] = select.value;
      return out;
    }
    if (q.type === "ordering") return Array.from(box.querySelectorAll("li")).map(function (li) { return li.dataset.item; });
    return null;
  }

  function showResponse(q, box, value) {
    if (value === null || value === undefined) return;
    if (q.type === "single" || q.type === "truefalse" || q.type === "multiple") {
      const wanted = new Set((Array.isArray(value) ? value : [value]).map(String));
      for (const input of box.querySelectorAll("input")) input.checked = wanted.has(input.value);
    } else if (q.type === "numeric" || q.type === "short") {
      box.querySelector("input").value = String(value);
    } else if (q.type === "essay") {
      box.querySelector("textarea").value = String(value);
    } else if (q.type === "matching") {
      for (const select of box.querySelectorAll("select")) select.value = value[select.dataset.left] || "";
    } else if (q.type === "ordering" && Array.isArray(value)) {
      const list = box.querySelector("ol");
      const items = {};
      for (const li of list.querySelectorAll("li")) items[li.dataset.item] = li;
      for (const item of value) if (items[item]) list.appendChild(items[item]);
    }
  }

  // ---------------------------------------------------------------- screens

  function intro() {
    const quiz = state.quiz;
    const minutes = Math.round(quiz.time_limit_s / 6) / 10;
    const left = quiz.attempts - state.attempts_used;
    const start = el("button", { id: "start", type: "button", text: state.attempts_used ? "Start attempt " + (state.attempts_used + 1) : "Start the quiz" });
    start.addEventListener("click", async function () {
      start.disabled = true;
      const result = await api("/start", {}).catch(function () { return { status: 0 }; });
      if (result.status === 200) show(result.data);
      else { start.disabled = false; setStatus("error", (result.data && result.data.error) || "Cannot start: try again"); }
    });
    const nodes = [
      el("p", { text: quiz.questions + " question(s), " + minutes + " minute(s). Answers are saved as you go; the quiz closes by itself when the time is up." }),
      el("p", { text: left + " of " + quiz.attempts + " attempt(s) left." }),
    ];
    if (quiz.description_html) nodes.unshift(el("div", { html: quiz.description_html }));
    if (left > 0) nodes.push(start);
    return nodes;
  }

  function paperScreen() {
    const form = el("form", { id: "paper", novalidate: "" });
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    const queue = loadQueue();
    state.paper.questions.forEach(function (q, i) {
      const box = questionInputs(q, i);
      showResponse(q, box, state.responses[q.id]);
      if (queue[q.id]) showResponse(q, box, queue[q.id].response); // newer than the server's
      form.appendChild(box);
    });
    const send = el("button", { id: "submit", type: "button", text: "Submit answers" });
    send.addEventListener("click", function () { submit(); });
    form.appendChild(send);
    return [form];
  }

  function resultScreen() {
    const nodes = [el("p", { id: "submitted", class: "notice", text: "Your answers were submitted." })];
    const titles = {};
    for (const q of state.paper.questions) titles[q.id] = q.title;
    if (state.result) {
      const r = state.result;
      const box = el("div", { class: "result", id: "result" });
      const total = r.score === null ? "waiting for grading" : num(r.score) + " / " + num(r.max_score);
      box.appendChild(el("p", { class: "summary", id: "score", text: "Score: " + total }));
      for (const item of r.items) {
        const verdict = item.status === "graded" ? num(item.points) + " / " + num(item.max_points) : item.status;
        const div = el("div", { class: "item-result", "data-qid": item.question }, [
          el("div", {}, [el("span", { text: (titles[item.question] || item.question) + ": " }), el("span", { class: "verdict", text: verdict })]),
        ]);
        for (const html of item.feedback_html) div.appendChild(el("div", { class: "feedback", html: html }));
        box.appendChild(div);
      }
      nodes.push(box);
    } else if (state.result_note) {
      nodes.push(el("p", { id: "result-note", text: state.result_note }));
    }
    return nodes.concat(intro().slice(-1).filter(function (n) { return n.tagName === "BUTTON"; }));
  }

  function show(data) {
    state = data;
    closed = state.status !== "open";
    submitting = false;
    app.replaceChildren();
    app.setAttribute("aria-busy", "false");
    app.dataset.status = state.status;
    let nodes;
    if (state.status === "not-started") nodes = intro();
    else if (state.status === "open") nodes = paperScreen();
    else nodes = resultScreen();
    for (const node of nodes) app.appendChild(node);
    if (state.attempt && state.status === "open") {
      setDeadline(state.attempt.remaining_s);
      if (Object.keys(loadQueue()).length) flush(); else setStatus("saved", "All answers saved");
    } else if (state.status === "submitted") {
      setStatus("closed", "Submitted");
      try { localStorage.removeItem(queueKey()); } catch (e) { /* ignore */ }
    } else {
      setStatus("idle", "");
    }
    tick();
  }

  async function submit() {
    if (submitting || !state || !state.attempt) return;
    submitting = true;
    const button = document.getElementById("submit");
    if (button) button.disabled = true;
    for (const qid of Object.keys(debounce)) { clearTimeout(debounce[qid]); delete debounce[qid]; }
    while (!closed && Object.keys(loadQueue()).length) {
      await flush();
      if (Object.keys(loadQueue()).length && !closed) await new Promise(function (r) { setTimeout(r, 1000); });
    }
    let result;
    try {
      result = await api("/submit", { attempt: state.attempt.number });
    } catch (e) {
      submitting = false;
      if (button) button.disabled = false;
      setStatus("offline", "Offline: submit again when the connection is back (your answers are saved)");
      setTimeout(submit, 3000);
      return;
    }
    if (result.status === 200) show(result.data);
    else load();
  }

  async function load() {
    try {
      const result = await api("");
      if (result.status === 200) { show(result.data); return; }
      app.replaceChildren(el("p", { class: "notice", text: (result.data && result.data.error) || "Cannot load the quiz" }));
    } catch (e) {
      setStatus("offline", "Offline: retrying");
      setTimeout(load, 2000);
    }
  }

  timerHandle = setInterval(tick, 250);
  load();
})();
