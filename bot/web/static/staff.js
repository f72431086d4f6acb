// Opora staff view: open requests by queue; take, close, reply, note. Server text goes in through textContent.
"use strict";

const $ = (id) => document.getElementById(id);
const root = $("queues");
const toastBox = $("toast");

const LANG = "opora.staff.lang";
const SAVED_AFTER = "opora.staff.after";
const FETCH = { credentials: "same-origin", cache: "no-store" };

let lang = ["bg", "uk"].includes(localStorage.getItem(LANG)) ? localStorage.getItem(LANG) : null;
let ui = {};
let after = Number(sessionStorage.getItem(SAVED_AFTER)) || 0;
let lastData = null;
let loads = 0; // only the newest list load is drawn
let toastTimer = 0;
const drafts = new Map(); // "reply:5" / "note:5" -> text, so a re-render keeps what staff are typing

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = text;
  return node;
}

function withLang(path) {
  return lang ? path + (path.includes("?") ? "&" : "?") + "lang=" + lang : path;
}

class LoggedOut extends Error {}

let csrf = ""; // from the request list: proves that a change comes from this page

async function api(path, options = {}) {
  const headers = { ...(options.headers || {}), "X-CSRF-Token": csrf };
  const response = await fetch(withLang(path), { ...FETCH, ...options, headers });
  if (response.status === 401) {
    location.href = "/staff"; // shows the login page
    throw new LoggedOut();
  }
  let data = null;
  try {
    data = await response.json();
  } catch { /* not JSON */ }
  if (data && data.csrf) csrf = data.csrf;
  return { ok: response.ok, status: response.status, data: data || {} };
}

function toast(text, isError = false) {
  if (!text) return;
  toastBox.textContent = text;
  toastBox.classList.toggle("error", isError);
  toastBox.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { toastBox.hidden = true; }, isError ? 9000 : 6000);
}

// ---------- Labels ----------

async function loadUi() {
  try {
    const { ok, data } = await api("/staff/api/me"); // labels in the account's language, and who it is
    if (ok && data.ui) ui = data.ui;
    if (data.language) lang = lang || data.language;
    if (data.account && data.account.role === "admin") $("admin").hidden = false;
  } catch (error) {
    if (error instanceof LoggedOut) throw error;
  }
  document.documentElement.lang = lang || (/^(uk|ru)\b/i.test(navigator.language) ? "uk" : "bg");
  const set = (id, key) => { if (ui[key]) $(id).textContent = ui[key]; };
  if (ui.staff_title) document.title = ui.staff_title;
  set("title", "staff_title");
  set("refresh", "refresh");
  set("logout", "log_out");
  set("admin", "admin");
  if (ui.language) $("langs").setAttribute("aria-label", ui.language);
  for (const code of ["bg", "uk"]) $("lang-" + code).setAttribute("aria-pressed", String(lang === code));
}

// ---------- The list ----------

function fact(list, label, value) {
  if (value == null || value === "") return;
  list.append(el("dt", null, label || ""));
  const dd = el("dd");
  dd.append(value);
  list.append(dd);
}

function draftBox(kind, id, placeholder, rows) {
  const key = kind + ":" + id;
  const box = el("textarea", kind + "-text");
  box.rows = rows;
  box.dataset.draft = key;
  box.placeholder = placeholder || "";
  box.setAttribute("aria-label", placeholder || kind);
  box.value = drafts.get(key) || "";
  return box;
}

function actionButton(action, label, extra = "") {
  const node = el("button", (action + " " + extra).trim(), label || action);
  node.type = "button";
  node.dataset.action = action;
  return node;
}

function requestCard(request) {
  const card = el("article", "request");
  card.dataset.id = request.id;
  card.dataset.status = request.status;

  const head = el("header", "request-head");
  head.append(el("h3", null, "№ " + request.id), el("span", "status status-" + request.status, request.status_label));
  card.append(head);

  const facts = el("dl", "facts");
  fact(facts, ui.topic, request.topic);
  fact(facts, ui.language, request.language);
  fact(facts, ui.received, request.created);
  if (request.phone) {
    const link = el("a", "tel", request.phone);
    link.href = "tel:" + request.phone.replace(/[^\d+]/g, "");
    fact(facts, ui.phone, link);
  }
  if (Array.isArray(request.location)) fact(facts, ui.location, request.location.join(", "));
  card.append(facts);
  if (request.unreachable) card.append(el("p", "warning", "⚠ " + (ui.unreachable || "")));

  const thread = el("ol", "thread");
  for (const message of request.messages || []) {
    const item = el("li", "author-" + message.author);
    const meta = el("div", "meta");
    meta.append(el("strong", null, ui["author_" + message.author] || message.author));
    if (message.when) meta.append(" · " + message.when);
    item.append(meta, el("div", "text", message.text));
    thread.append(item);
  }
  if (thread.childElementCount) card.append(thread);

  const actions = el("div", "actions");
  actions.append(actionButton("take", ui.take), actionButton("close", ui.close));
  card.append(actions);

  const answer = el("div", "answer");
  answer.append(draftBox("reply", request.id, ui.reply_placeholder, 3), actionButton("reply", ui.reply, "primary"));
  const note = el("div", "answer note-box");
  note.append(draftBox("note", request.id, ui.note_placeholder, 2), actionButton("note", ui.note));
  card.append(answer, note);
  return card;
}

function render(data) {
  // Keep the caret where staff are typing: the whole list is redrawn.
  const active = document.activeElement;
  const focused = active && active.dataset && active.dataset.draft
    ? { key: active.dataset.draft, start: active.selectionStart, end: active.selectionEnd } : null;

  const queues = Array.isArray(data.queues) ? data.queues : [];
  const sections = [];
  for (const queue of queues) {
    const requests = queue.requests || [];
    const section = el("section", "queue");
    section.dataset.queue = queue.id;
    const heading = el("h2", "queue-name", queue.name + " ");
    heading.append(el("span", "count", "(" + requests.length + ")"));
    section.append(heading);
    if (!requests.length) section.append(el("p", "empty", ui.no_requests));
    for (const request of requests) section.append(requestCard(request));
    sections.push(section);
  }
  if (!sections.length) sections.push(el("p", "empty", ui.no_requests));
  root.replaceChildren(...sections);
  root.setAttribute("aria-busy", "false");

  if (focused) {
    const box = root.querySelector(`textarea[data-draft="${focused.key}"]`);
    if (box) {
      box.focus({ preventScroll: true });
      box.setSelectionRange(focused.start, focused.end);
    }
  }
}

async function reload() {
  const mine = ++loads;
  try {
    const { ok, status, data } = await api("/staff/api/requests");
    if (mine !== loads) return;
    if (!ok) {
      toast(data.error || "HTTP " + status, true);
      return;
    }
    lastData = data;
    render(data);
  } catch (error) {
    if (!(error instanceof LoggedOut)) toast("⚠ " + error.message, true);
  }
}

async function act(card, action, trigger) {
  const id = card.dataset.id;
  const options = { method: "POST" };
  const key = action + ":" + id;
  if (action === "reply" || action === "note") {
    const box = card.querySelector("textarea." + action + "-text");
    options.headers = { "Content-Type": "application/json" };
    options.body = JSON.stringify({ text: box ? box.value : "" });
  }
  trigger.disabled = true;
  try {
    const { ok, status, data } = await api(`/staff/api/requests/${id}/${action}`, options);
    if (ok) {
      drafts.delete(key);
      const box = card.querySelector(`textarea[data-draft="${key}"]`);
      if (box && options.body) box.value = "";
      toast(data.message);
    } else {
      toast(data.error || "HTTP " + status, true);
    }
  } catch (error) {
    if (error instanceof LoggedOut) return;
    toast("⚠ " + error.message, true);
  } finally {
    trigger.disabled = false;
  }
  await reload();
}

// ---------- Offices to check: the facts people read, confirmed or corrected ----------

function replyBlock(reply, officeId) {
  const box = el("div", "office-reply");
  if (reply.title) box.append(el("strong", null, reply.title));
  box.append(el("p", "text", reply.text || ""));
  const buttons = el("div", "actions");
  for (const row of reply.buttons || []) {
    for (const button of row) {
      const node = el("button", "office-button", button.label);
      node.type = "button";
      node.dataset.office = officeId;
      node.dataset.payload = button.payload;
      buttons.append(node);
    }
  }
  if (buttons.childElementCount) box.append(buttons);
  return box;
}

function officeCard(office) {
  const card = el("article", "request office");
  card.dataset.office = office.id;
  card.append(replyBlock(office.question, office.id));
  const answer = el("div", "answer");
  answer.append(draftBox("office", office.id, ui.correction_placeholder, 2));
  const send = el("button", "primary office-send", ui.send_correction || "OK");
  send.type = "button";
  send.dataset.office = office.id;
  answer.append(send);
  card.append(answer, el("div", "office-answers"));
  return card;
}

async function loadOffices() {
  const box = $("offices");
  if (!box) return;
  try {
    const { ok, data } = await api("/staff/api/offices");
    if (!ok) return;
    const offices = data.offices || [];
    const section = [];
    if (offices.length) section.push(el("h2", "queue-name", ui.offices || ""));
    for (const office of offices) section.push(officeCard(office));
    box.replaceChildren(...section);
  } catch (error) {
    if (!(error instanceof LoggedOut)) toast("⚠ " + error.message, true);
  }
}

async function answerOffice(id, body, trigger) {
  trigger.disabled = true;
  try {
    const { ok, status, data } = await api("/staff/api/offices/" + id, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    if (!ok) {
      toast(data.error || "HTTP " + status, true);
      return;
    }
    const card = document.querySelector(`article.office[data-office="${id}"] .office-answers`);
    if (card) card.replaceChildren(...(data.replies || []).map((reply) => replyBlock(reply, id)));
    if (body.text != null) drafts.delete("office:" + id);
    if (body.payload && /^sv:(ok|save):/.test(body.payload)) {
      toast((data.replies || [{}])[0].text);
      await loadOffices();
    }
  } catch (error) {
    if (!(error instanceof LoggedOut)) toast("⚠ " + error.message, true);
  } finally {
    trigger.disabled = false;
  }
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-office]");
  if (!button) return;
  const id = button.dataset.office;
  if (button.dataset.payload) {
    answerOffice(id, { payload: button.dataset.payload }, button);
  } else {
    const box = document.querySelector(`textarea[data-draft="office:${id}"]`);
    answerOffice(id, { text: box ? box.value : "" }, button);
  }
});
document.addEventListener("input", (event) => {
  const key = event.target.dataset && event.target.dataset.draft;
  if (key && key.startsWith("office:")) drafts.set(key, event.target.value);
});

// New requests and citizens' messages reach the staff chat's inbox.
async function poll() {
  for (;;) {
    const started = Date.now();
    try {
      const { ok, data } = await api("/staff/api/inbox?after=" + after);
      if (!ok) throw new Error("HTTP");
      const messages = data.messages || [];
      for (const message of messages) {
        after = Math.max(after, Number(message.id) || 0);
        const first = (message.replies || [])[0] || {};
        toast(first.title || (first.text || "").split("\n")[0]);
      }
      if (messages.length) {
        sessionStorage.setItem(SAVED_AFTER, String(after));
        await reload();
      } else if (Date.now() - started < 1000) {
        await sleep(3000);
      }
    } catch (error) {
      if (error instanceof LoggedOut) return;
      await sleep(3000);
    }
  }
}

// ---------- Wiring ----------

root.addEventListener("input", (event) => {
  const key = event.target.dataset && event.target.dataset.draft;
  if (key) drafts.set(key, event.target.value);
});
root.addEventListener("click", (event) => {
  const trigger = event.target.closest("button[data-action]");
  const card = trigger && trigger.closest("article.request");
  if (card) act(card, trigger.dataset.action, trigger);
});
$("refresh").addEventListener("click", () => { reload(); loadOffices(); });
for (const code of ["bg", "uk"]) {
  $("lang-" + code).addEventListener("click", async () => {
    lang = code;
    localStorage.setItem(LANG, code);
    await loadUi();
    if (lastData) render(lastData); // new labels at once; the list's own texts follow
    await reload();
    await loadOffices();
  });
}

(async () => {
  try {
    await loadUi();
  } catch {
    return; // logged out
  }
  await reload();
  loadOffices();
  poll();
})();
