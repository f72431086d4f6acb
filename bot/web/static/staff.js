// Opora staff workplace: a list of requests (filter, search, oldest first) and one request's detail
// (conversation, notes, ready answers, history; take, release, transfer, reply, note, close, reopen).
// Words come from the server in the staff member's language; server text goes in through textContent.
"use strict";

const $ = (id) => document.getElementById(id);
const listBox = $("list");
const detailBox = $("detail");
const workplace = $("workplace");

const LANG = "opora.staff.lang";
const FILTERS = "opora.staff.filters";
const SAVED_AFTER = "opora.staff.after";
const FETCH = { credentials: "same-origin", cache: "no-store" };
const UNDO_SECONDS = 15; // how long a close can be undone from its message (Reopen stays after)
const REFRESH_SECONDS = 60; // ages and overdue marks move on even when nothing arrives

// The account's language, unless changed with the BG/UA buttons in this tab: a choice made on a shared
// computer does not follow the next colleague who logs in there.
let lang = ["bg", "uk"].includes(sessionStorage.getItem(LANG)) ? sessionStorage.getItem(LANG) : null;
let ui = {};
let me = null;
let after = Number(sessionStorage.getItem(SAVED_AFTER)) || 0;
let lastList = null;
let lastDetail = null;
let loads = 0; // only the newest list load is drawn
let detailLoads = 0;
let toastTimer = 0;
let toastUndo = null;
let seen = null; // ids of the requests seen on this page, and the overdue ones: to tell staff what is new
const seenOverdue = new Set();
// "reply:5" / "note:5" -> text, so a redraw keeps what staff are typing, and a sign-in after the
// session ended (the account's password reset, its time up) gives it back in this tab.
const drafts = new (class extends Map {
  constructor() {
    super(Object.entries(JSON.parse(sessionStorage.getItem("opora.staff.drafts") || "{}")));
  }
  set(key, value) { super.set(key, value); this.save(); return this; }
  delete(key) { const had = super.delete(key); this.save(); return had; }
  save() { sessionStorage.setItem("opora.staff.drafts", JSON.stringify(Object.fromEntries(this))); }
})();
let confirming = null; // the request whose close is being confirmed: a redraw keeps the question

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = text;
  return node;
}

function fill(template, n) {
  return (template || "").replace("%(n)s", String(n));
}

function withLang(path) {
  return lang ? path + (path.includes("?") ? "&" : "?") + "lang=" + lang : path;
}

class LoggedOut extends Error {}

let csrf = ""; // from the list (and /staff/api/me): proves that a change comes from this page

async function api(path, options = {}) {
  const headers = { ...(options.headers || {}), "X-CSRF-Token": csrf };
  const response = await fetch(withLang(path), { ...FETCH, ...options, headers });
  if (response.status === 401) {
    location.href = "/staff/login"; // the login page itself: /staff could come from the cache and ask again
    throw new LoggedOut();
  }
  let data = null;
  try {
    data = await response.json();
  } catch { /* not JSON */ }
  if (data && data.csrf) csrf = data.csrf;
  return { ok: response.ok, status: response.status, data: data || {} };
}

// ---------- Messages: in the header, read out, with Undo where a change can be undone ----------

function toast(text, { error = false, undo = null } = {}) {
  if (!text) return;
  const box = $("toast");
  $("toast-text").textContent = text;
  box.classList.toggle("error", error);
  toastUndo = undo;
  $("toast-undo").hidden = !undo;
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(hideToast, (undo ? UNDO_SECONDS : error ? 12 : 8) * 1000);
}

function hideToast() {
  $("toast").hidden = true;
  toastUndo = null;
}

// ---------- Labels ----------

async function loadMe() {
  // Who is logged in, in their language, with the page's words (none with the shared token).
  me = null;
  try {
    const { ok, data } = await api("/staff/api/me");
    if (ok && data.account) {
      me = data.account;
      if (data.ui) ui = data.ui;
      lang = lang || data.language || null;
      $("admin").hidden = me.role !== "admin";
    }
  } catch (error) {
    if (error instanceof LoggedOut) throw error;
  }
}

async function loadUi() {
  if (!me) {
    try {
      const { ok, data } = await api("/api/ui?page=staff");
      if (ok && data.ui) ui = data.ui;
    } catch (error) {
      if (error instanceof LoggedOut) throw error;
    }
  }
  document.documentElement.lang = lang || (/^(uk|ru)\b/i.test(navigator.language) ? "uk" : "bg");
  const set = (id, key) => { if (ui[key]) $(id).textContent = ui[key]; };
  if (ui.staff_title) document.title = ui.staff_title;
  set("title", "staff_title");
  set("refresh", "refresh");
  set("logout", "log_out");
  set("admin", "admin");
  set("list-title", "requests");
  set("l-queue", "queue");
  set("l-show", "show");
  for (const view of ["open", "mine", "closed", "all"]) set("l-view-" + view, "view_" + view);
  set("l-search", "search");
  if (ui.search) $("f-q").placeholder = ui.search;
  set("search-button", "search_button");
  set("l-sort", "sort");
  set("o-oldest", "sort_oldest");
  set("o-newest", "sort_newest");
  set("toast-undo", "undo");
  if (ui.hide) $("toast-hide").setAttribute("aria-label", ui.hide);
  if (ui.language) $("langs").setAttribute("aria-label", ui.language);
  if (ui.filters) $("filters").setAttribute("aria-label", ui.filters);
  for (const code of ["bg", "uk"]) $("lang-" + code).setAttribute("aria-pressed", String(lang === code));
  $("me").textContent = me && me.name ? me.name : "";
  queueChoices();
}

// ---------- Filters ----------

function filters() {
  const form = $("filters");
  return {
    queue: $("f-queue").value,
    status: (form.querySelector("input[name=status]:checked") || {}).value || "open",
    q: $("f-q").value.trim(),
    sort: $("f-sort").value,
  };
}

function restoreFilters() {
  let saved = {};
  try {
    saved = JSON.parse(sessionStorage.getItem(FILTERS) || "{}");
  } catch { /* none */ }
  const radio = $("filters").querySelector(`input[name=status][value="${saved.status}"]`);
  if (radio) radio.checked = true;
  if (saved.q) $("f-q").value = saved.q;
  if (saved.sort) $("f-sort").value = saved.sort;
  return saved.queue || "";
}

function queueChoices(chosen) {
  const select = $("f-queue");
  const keep = chosen != null ? chosen : select.value;
  if (!lastList) { // not loaded yet: the saved choice stands until the list names the queues
    const option = el("option", null, ui.all_queues || "—");
    option.value = keep || "";
    select.replaceChildren(option);
    return;
  }
  const queues = lastList.queues || [];
  const options = [el("option", null, ui.all_queues || "—")];
  options[0].value = "";
  for (const queue of queues) {
    const option = el("option", null, queue.name + (queue.open ? " (" + queue.open + ")" : ""));
    option.value = queue.id;
    options.push(option);
  }
  select.replaceChildren(...options);
  select.value = queues.some((q) => q.id === keep) ? keep : "";
  // One queue: nothing to choose.
  select.closest("label").hidden = queues.length < 2;
}

// ---------- The list ----------

function rowNode(request) {
  const item = el("li", "row" + (request.overdue ? " overdue" : ""));
  item.dataset.id = request.id;
  const link = el("a", "row-link");
  link.href = "#" + request.id;
  if (String(request.id) === selected()) link.setAttribute("aria-current", "true");
  const top = el("span", "row-top");
  top.append(el("strong", "number", "№ " + request.id));
  if (request.overdue) top.append(el("span", "badge overdue-mark", ui.overdue || "!"));
  top.append(el("span", "status status-" + request.status, request.status_label));
  if (request.follow_up) top.append(el("span", "badge follow-up", ui.follow_up || "✉"));
  link.append(top, el("span", "row-topic", request.topic));
  if (request.words) link.append(el("span", "row-words", "«" + request.words + "»"));
  const meta = [request.language];
  if (request.town) meta.push(request.town);
  if (request.age) meta.push("⏳ " + request.age);
  if (request.closed) meta.push((ui.closed_at || "") + ": " + request.closed);
  if (request.taken_by) meta.push("🙋 " + request.taken_by);
  if (!$("f-queue").value && lastList && lastList.queues.length > 1) meta.push(request.queue_name);
  link.append(el("span", "row-meta", meta.join(" · ")));
  item.append(link);
  return item;
}

function renderList(data) {
  const requests = Array.isArray(data.requests) ? data.requests : [];
  const rows = requests.map(rowNode);
  if (!rows.length) rows.push(el("li", "empty", ui.nothing_found || ""));
  listBox.replaceChildren(...rows);
  listBox.setAttribute("aria-busy", "false");
  $("summary").textContent = data.summary || "";
  queueChoices();
}

function tellWhatIsNew(data) {
  // New requests and newly overdue ones, in the staff member's words. Seen once is not new again
  // (a closed request reopened, a filter changed back).
  const view = filters();
  if (view.status !== "open" || view.q) return;
  const requests = data.requests || [];
  if (seen) {
    const fresh = requests.filter((r) => !seen.has(r.id));
    const late = requests.filter((r) => r.overdue && !seenOverdue.has(r.id));
    if (fresh.length) toast(fresh.map((r) => fill(ui.new_request, r.id)).join("\n"));
    else if (late.length) toast(late.map((r) => fill(ui.overdue_now, r.id)).join("\n"));
  } else {
    seen = new Set();
  }
  for (const r of requests) {
    seen.add(r.id);
    if (r.overdue) seenOverdue.add(r.id);
  }
}

async function loadList() {
  const mine = ++loads;
  const view = filters();
  sessionStorage.setItem(FILTERS, JSON.stringify(view));
  const query = new URLSearchParams(view);
  try {
    const { ok, status, data } = await api("/staff/api/requests?" + query);
    if (mine !== loads) return;
    if (!ok) {
      if (status === 400 && view.queue && !lastList) { // a saved queue no longer theirs: all of them
        queueChoices("");
        await loadList();
        return;
      }
      toast(data.error || "HTTP " + status, { error: true });
      return;
    }
    lastList = data;
    renderList(data);
    tellWhatIsNew(data);
  } catch (error) {
    if (!(error instanceof LoggedOut)) toast("⚠ " + error.message, { error: true });
  }
}

// ---------- A request ----------

function selected() {
  const id = location.hash.replace(/^#/, "");
  return /^\d{1,10}$/.test(id) ? id : "";
}

function fact(list, label, value) {
  if (value == null || value === "") return;
  list.append(el("dt", null, label || ""));
  const dd = el("dd");
  dd.append(value);
  list.append(dd);
}

function draftBox(kind, id, label, rows) {
  const key = kind + ":" + id;
  const box = el("textarea", kind + "-text");
  box.rows = rows;
  box.dataset.draft = key;
  box.placeholder = label || "";
  box.setAttribute("aria-label", label || kind);
  box.maxLength = 4000;
  box.value = drafts.get(key) || "";
  return box;
}

function actionButton(action, label, extra = "") {
  const node = el("button", (action + " " + extra).trim(), label || action);
  node.type = "button";
  node.dataset.action = action;
  return node;
}

function thread(messages) {
  const list = el("ol", "thread");
  for (const message of messages || []) {
    const item = el("li", "author-" + message.author);
    const meta = el("div", "meta");
    meta.append(el("strong", null, ui["author_" + message.author] || message.author));
    if (message.by) meta.append(" · " + message.by);
    if (message.when) meta.append(" · " + message.when);
    item.append(meta, message.text == null ? el("div", "text erased", ui.erased || "") : el("div", "text", message.text));
    list.append(item);
  }
  return list;
}

function history(events) {
  const list = el("ol", "history");
  for (const event of events || []) {
    const item = el("li");
    item.append(el("span", "when", event.when), " ", el("span", "what", event.what));
    if (event.by) item.append(" (", el("strong", null, event.by), ")"); // "поето (Мария Петрова)", as in chats
    list.append(item);
  }
  return list;
}

function detailNode(request) {
  const card = el("article", "request");
  card.dataset.id = request.id;
  card.dataset.status = request.status;

  const back = el("a", "back button-link", ui.to_list || "←");
  back.href = "#";
  card.append(back);

  const head = el("header", "request-head");
  const title = el("h2", null, "№ " + request.id);
  title.id = "detail-title";
  title.tabIndex = -1;
  head.append(title);
  if (request.overdue) head.append(el("span", "badge overdue-mark", ui.overdue || "!"));
  head.append(el("span", "status status-" + request.status, request.status_label));
  card.append(head);

  const facts = el("dl", "facts");
  fact(facts, ui.topic, request.topic);
  fact(facts, ui.queue, request.queue_name);
  fact(facts, ui.language, request.language);
  fact(facts, ui.town, request.town);
  fact(facts, ui.received, request.created);
  fact(facts, ui.waiting, request.age);
  fact(facts, ui.taken_by, request.taken_by);
  fact(facts, ui.closed_at, request.closed);
  if (request.phone) {
    const link = el("a", "tel", request.phone);
    link.href = "tel:" + request.phone.replace(/[^\d+]/g, "");
    fact(facts, ui.phone, link);
  }
  if (Array.isArray(request.location)) fact(facts, ui.location, request.location.join(", "));
  card.append(facts);
  if (request.unreachable) card.append(el("p", "warning", "⚠ " + (ui.unreachable || "")));

  const open = request.status !== "closed";
  const actions = el("div", "actions");
  if (request.status === "received") actions.append(actionButton("take", ui.take, "primary"));
  if (open && request.can_release) actions.append(actionButton("release", ui.release));
  if (open) actions.append(actionButton("close", ui.close, "danger"));
  if (!open && request.can_reopen) actions.append(actionButton("reopen", ui.reopen, "primary"));
  card.append(actions);

  const confirm = el("div", "confirm");
  confirm.hidden = !(open && confirming === String(request.id));
  actions.hidden = !confirm.hidden;
  confirm.setAttribute("role", "group");
  const question = el("p", null, fill(ui.confirm_close, request.id));
  question.id = "confirm-close-" + request.id;
  confirm.setAttribute("aria-labelledby", question.id);
  confirm.append(question, actionButton("close-yes", ui.yes_close, "danger-filled"), actionButton("close-no", ui.cancel));
  card.append(confirm);

  card.append(el("h3", null, ui.conversation || ""), thread(request.messages));

  if (open) {
    const answer = el("div", "answer");
    if ((request.canned || []).length) {
      const label = el("label", "field");
      label.append(el("span", null, ui.canned || ""));
      const select = el("select", "canned");
      const first = el("option", null, ui.canned_choose || "…");
      first.value = "";
      select.append(first);
      request.canned.forEach((canned, k) => {
        const option = el("option", null, canned.label);
        option.value = String(k);
        select.append(option);
      });
      label.append(select);
      answer.append(label);
    }
    answer.append(draftBox("reply", request.id, ui.reply_placeholder, 4), actionButton("reply", ui.reply, "primary"));
    card.append(answer);
  }
  const note = el("div", "answer note-box");
  note.append(draftBox("note", request.id, ui.note_placeholder, 2), actionButton("note", ui.note));
  card.append(note);

  if (open && request.can_transfer && (request.queues || []).length) {
    const move = el("div", "transfer");
    const label = el("label", "field");
    label.append(el("span", null, ui.transfer_to || ""));
    const select = el("select", "transfer-queue");
    for (const queue of request.queues) {
      // a queue nobody works in yet: said before the request goes there and waits unseen
      const option = el("option", null, queue.staffed ? queue.name : queue.name + " — " + (ui.unstaffed || ""));
      option.value = queue.id;
      select.append(option);
    }
    label.append(select);
    move.append(label, actionButton("transfer", ui.transfer));
    card.append(move);
  }

  if ((request.events || []).length) card.append(el("h3", null, ui.history || ""), history(request.events));
  return card;
}

function renderDetail(request, focus) {
  // A redraw (something new arrived) keeps the caret where staff are typing, and the focus on
  // the button they were on.
  const active = document.activeElement;
  const inside = active && detailBox.contains(active) && active.dataset ? active.dataset : {};
  const caret = inside.draft ? { start: active.selectionStart, end: active.selectionEnd } : null;
  detailBox.replaceChildren(detailNode(request));
  workplace.classList.add("showing");
  const again = inside.draft ? detailBox.querySelector(`textarea[data-draft="${inside.draft}"]`)
    : inside.action ? detailBox.querySelector(`button[data-action="${inside.action}"]`) : null;
  if (again && !again.closest("[hidden]")) {
    again.focus({ preventScroll: true });
    if (caret) again.setSelectionRange(caret.start, caret.end);
  } else if (focus || inside.action) { // the button pressed is gone (Take, Close): back to the heading
    $("detail-title").focus({ preventScroll: !focus });
  }
}

function noDetail() {
  lastDetail = null;
  detailBox.replaceChildren(el("p", "empty choose", ui.choose || ""));
  workplace.classList.remove("showing");
}

async function loadDetail(focus = false) {
  const id = selected();
  const mine = ++detailLoads;
  if (!id) {
    noDetail();
    return;
  }
  try {
    const { ok, status, data } = await api("/staff/api/requests/" + id);
    if (mine !== detailLoads) return;
    if (!ok) {
      toast(data.error || "HTTP " + status, { error: true });
      noDetail();
      return;
    }
    lastDetail = data;
    renderDetail(data, focus);
  } catch (error) {
    if (!(error instanceof LoggedOut)) toast("⚠ " + error.message, { error: true });
  }
}

async function post(id, action, body) {
  const options = { method: "POST" };
  if (body) {
    options.headers = { "Content-Type": "application/json" };
    options.body = JSON.stringify(body);
  }
  return api(`/staff/api/requests/${id}/${action}`, options);
}

async function act(card, action, trigger) {
  const id = card.dataset.id;
  if (action === "close") { // asked first: closing tells the citizen
    confirming = id;
    card.querySelector(".actions").hidden = true;
    const confirm = card.querySelector(".confirm");
    confirm.hidden = false;
    confirm.querySelector("button.close-yes").focus();
    return;
  }
  if (action === "close-no") {
    confirming = null;
    card.querySelector(".confirm").hidden = true;
    card.querySelector(".actions").hidden = false;
    card.querySelector("button.close").focus();
    return;
  }
  const sent = action === "close-yes" ? "close" : action;
  if (sent === "close") confirming = null;
  let body = null;
  const key = sent + ":" + id;
  if (sent === "reply" || sent === "note") {
    const box = card.querySelector("textarea." + sent + "-text");
    body = { text: box ? box.value : "" };
  } else if (sent === "transfer") {
    body = { queue: card.querySelector("select.transfer-queue").value };
  }
  trigger.disabled = true;
  try {
    const { ok, status, data } = await post(id, sent, body);
    if (ok) {
      drafts.delete(key);
      const box = card.querySelector(`textarea[data-draft="${key}"]`);
      if (box) box.value = "";
      const undo = sent === "close" && data.undo ? () => reopen(id) : null;
      toast(data.message, { undo });
      if (sent === "transfer") location.hash = ""; // no longer one of this queue's
    } else {
      toast(data.error || "HTTP " + status, { error: true });
    }
  } catch (error) {
    if (error instanceof LoggedOut) return;
    toast("⚠ " + error.message, { error: true });
  } finally {
    trigger.disabled = false;
  }
  await Promise.all([loadList(), loadDetail()]);
}

async function reopen(id) {
  hideToast();
  try {
    const { ok, status, data } = await post(id, "reopen");
    toast(ok ? data.message : data.error || "HTTP " + status, { error: !ok });
  } catch (error) {
    if (!(error instanceof LoggedOut)) toast("⚠ " + error.message, { error: true });
  }
  await Promise.all([loadList(), loadDetail()]);
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
    // Folded under the requests: asked now and then, answered when there is time.
    $("offices-title").textContent = (ui.offices || "") + " (" + offices.length + ")";
    $("offices-box").hidden = !offices.length;
    box.replaceChildren(...offices.map(officeCard));
  } catch (error) {
    if (!(error instanceof LoggedOut)) toast("⚠ " + error.message, { error: true });
  }
}

async function answerOffice(id, body, trigger) {
  trigger.disabled = true;
  try {
    const { ok, status, data } = await api("/staff/api/offices/" + id, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    if (!ok) {
      toast(data.error || "HTTP " + status, { error: true });
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
    if (!(error instanceof LoggedOut)) toast("⚠ " + error.message, { error: true });
  } finally {
    trigger.disabled = false;
  }
}

$("offices").addEventListener("click", (event) => {
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

// New requests and citizens' messages reach the staff chat's inbox: the list and the open
// request are drawn again, and what is new is told in the page's own words.
async function poll() {
  for (;;) {
    const started = Date.now();
    try {
      const { ok, data } = await api("/staff/api/inbox?after=" + after);
      if (!ok) throw new Error("HTTP");
      const messages = data.messages || [];
      for (const message of messages) after = Math.max(after, Number(message.id) || 0);
      if (messages.length) {
        sessionStorage.setItem(SAVED_AFTER, String(after));
        await Promise.all([loadList(), loadDetail()]);
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

document.addEventListener("input", (event) => {
  const key = event.target.dataset && event.target.dataset.draft;
  if (key) drafts.set(key, event.target.value);
});
detailBox.addEventListener("click", (event) => {
  const trigger = event.target.closest("button[data-action]");
  const card = trigger && trigger.closest("article.request");
  if (card) act(card, trigger.dataset.action, trigger);
});
detailBox.addEventListener("change", (event) => {
  const select = event.target.closest("select.canned");
  if (!select || select.value === "" || !lastDetail) return;
  const canned = lastDetail.canned[Number(select.value)];
  const box = detailBox.querySelector("textarea.reply-text");
  if (canned && box) { // into the reply box, to be read and changed before it is sent
    box.value = box.value.trim() ? box.value.trimEnd() + "\n\n" + canned.text : canned.text;
    drafts.set(box.dataset.draft, box.value);
    box.focus();
  }
  select.value = "";
});
$("filters").addEventListener("submit", (event) => {
  event.preventDefault();
  loadList();
});
$("filters").addEventListener("change", (event) => {
  if (event.target.id !== "f-q") loadList();
});
$("toast-undo").addEventListener("click", () => { if (toastUndo) toastUndo(); });
$("toast-hide").addEventListener("click", hideToast);
$("refresh").addEventListener("click", () => { loadList(); loadDetail(); loadOffices(); });
window.addEventListener("hashchange", async () => {
  const back = !selected() && lastDetail;
  const id = lastDetail && lastDetail.id;
  await loadDetail(true);
  if (lastList) renderList(lastList);
  if (back) {
    const link = listBox.querySelector(`li[data-id="${id}"] a`);
    if (link) link.focus();
  }
});
for (const code of ["bg", "uk"]) {
  $("lang-" + code).addEventListener("click", async () => {
    lang = code;
    sessionStorage.setItem(LANG, code);
    await loadMe();
    await loadUi();
    await Promise.all([loadList(), loadDetail(), loadOffices()]);
  });
}

(async () => {
  try {
    await loadMe();
    const queue = restoreFilters();
    await loadUi();
    queueChoices(queue);
  } catch {
    return; // logged out
  }
  await Promise.all([loadList(), loadDetail()]);
  loadOffices();
  poll();
  setInterval(() => { loadList(); }, REFRESH_SECONDS * 1000);
})();
