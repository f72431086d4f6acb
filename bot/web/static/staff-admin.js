// Opora staff accounts (admins only): list, add, disable/enable, a new one-time link, queues.
// Server text goes in through textContent.
"use strict";

const $ = (id) => document.getElementById(id);
const FETCH = { credentials: "same-origin", cache: "no-store" };
const LANG_NAMES = { bg: "Български", uk: "Українська" };
const stored = localStorage.getItem("opora.staff.lang");
const lang = ["bg", "uk"].includes(stored) ? stored : null;
let ui = {};
let csrf = "";
let queues = [];

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = text;
  return node;
}

async function api(path, body) {
  const url = path + (lang ? (path.includes("?") ? "&" : "?") + "lang=" + lang : "");
  const options = body === undefined ? FETCH : {
    ...FETCH, method: "POST", body: JSON.stringify(body),
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
  };
  const response = await fetch(url, options);
  if (response.status === 401 || response.status === 403 && body === undefined) {
    location.href = "/staff";
    throw new Error("logged out");
  }
  const data = await response.json().catch(() => ({}));
  if (data.csrf) csrf = data.csrf;
  return { ok: response.ok, data };
}

function showError(text) {
  $("error").textContent = text || "";
  $("error").hidden = !text;
}

function showLink(name, link) {
  $("link-text").textContent = (ui.link_for || "%(name)s:").replace("%(name)s", name);
  $("link-url").value = link;
  $("link").hidden = false;
  $("link-url").focus();
  $("link-url").select();
}

function queueBoxes(container, chosen, prefix) {
  for (const queue of queues) {
    const label = el("label", "queue-choice");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.value = queue.id;
    box.name = prefix;
    box.checked = chosen.includes(queue.id);
    label.append(box, " ", queue.name);
    container.append(label);
  }
}

const checked = (container) => [...container.querySelectorAll("input[type=checkbox]:checked")].map((b) => b.value);

async function change(action, body, done) {
  showError("");
  const { ok, data } = await api("/staff/api/accounts/" + action, body);
  if (!ok) return showError(data.error || "?");
  if (data.link) showLink(data.name, data.link);
  if (done) done();
  await load();
}

function render(accounts) {
  const root = $("accounts");
  root.replaceChildren();
  for (const account of accounts) {
    const card = el("article", "request account state-" + account.state.replace(" ", "-"));
    const head = el("div", "request-head");
    head.append(el("h3", null, account.name), el("span", "status", ui["state_" + account.state] || account.state));
    const facts = el("dl", "facts");
    facts.append(el("dt", null, ui.role), el("dd", null, ui["role_" + account.role] || account.role));
    facts.append(el("dt", null, ui.account_language), el("dd", null, LANG_NAMES[account.language] || account.language));
    const boxes = el("fieldset", "account-queues");
    boxes.append(el("legend", null, ui.queues));
    queueBoxes(boxes, account.queues, "queues-" + account.id);
    const actions = el("div", "actions");
    const button = (label, handler, className) => {
      const b = el("button", className || null, label);
      b.type = "button";
      b.addEventListener("click", handler);
      actions.append(b);
    };
    button(ui.save_queues, () => change("queues", { name: account.name, queues: checked(boxes) }), "primary");
    button(ui.invite, () => change("invite", { name: account.name }));
    if (account.state === "disabled") button(ui.enable, () => change("enable", { name: account.name }));
    else button(ui.disable, () => change("disable", { name: account.name }));
    card.append(head, facts, boxes, actions);
    root.append(card);
  }
  root.setAttribute("aria-busy", "false");
}

async function load() {
  const { ok, data } = await api("/staff/api/accounts");
  if (!ok) return;
  queues = data.queues || [];
  render(data.accounts || []);
  const fieldset = $("add-queues");
  if (!fieldset.querySelector("input")) queueBoxes(fieldset, [], "add-queues");
  if (!$("add-role").options.length) {
    for (const role of data.roles) $("add-role").append(new Option(ui["role_" + role] || role, role));
    for (const code of data.languages) $("add-language").append(new Option(LANG_NAMES[code] || code, code));
    $("add-language").value = document.documentElement.lang;
  }
}

$("add").addEventListener("submit", (event) => {
  event.preventDefault();
  change("add", {
    name: $("add-name").value,
    role: $("add-role").value,
    language: $("add-language").value,
    queues: checked($("add-queues")),
  }, () => {
    $("add-name").value = "";
    for (const box of $("add-queues").querySelectorAll("input")) box.checked = false;
  });
});
$("copy").addEventListener("click", async () => {
  $("link-url").select();
  try {
    await navigator.clipboard.writeText($("link-url").value);
  } catch { /* selected: Ctrl+C works */ }
});

(async () => {
  const { ok, data } = await api("/staff/api/me");
  if (!ok) return;
  ui = data.ui || {};
  document.documentElement.lang = data.language || "bg";
  const set = (id, key) => { if (ui[key]) $(id).textContent = ui[key]; };
  if (ui.admin_title) document.title = ui.admin_title;
  set("title", "admin_title");
  set("back", "back");
  set("logout", "log_out");
  set("add-title", "add_account");
  set("add-name-label", "name");
  set("add-role-label", "role");
  set("add-language-label", "account_language");
  set("add-queues-label", "queues");
  set("add-button", "add");
  set("copy", "copy");
  await load();
})();
