// Opora web chat: the citizen's side. All server text is plain text and goes in through textContent.
"use strict";

const $ = (id) => document.getElementById(id);
const list = $("messages");
const scroller = $("scroller");
const box = $("text");
const sendButton = $("send");
const locateButton = $("locate");

const SAVED = "opora.transcript";
const SAVED_AFTER = "opora.after";
const KEEP = 400; // transcript entries kept in sessionStorage
const MAX_BODY = 256 * 1024; // the server refuses larger bodies
const PHONE = /\+\d[\d \-\u00a0]{6,}\d/g; // no \s: a number must not run across lines
const FETCH = { credentials: "same-origin", cache: "no-store" };

// Used only until /api/ui answers (or if it cannot).
let ui = {
  share_location: "📍", offline: "No connection. Trying again…", error: "Something went wrong.",
  location_unavailable: "Location unavailable.", too_long: "The message is too long.",
};
let language = null;
let csrf = null; // proves to the server that a change comes from this page (from /api/ui)
let transcript = readJson(SAVED, []); // [{me: text} | {bot: reply}]
let after = Number(sessionStorage.getItem(SAVED_AFTER)) || 0;
let pending = 0;
let queue = Promise.resolve(); // exchanges run one after another, so answers stay in order
let locating = false;

function readJson(key, fallback) {
  try {
    const value = JSON.parse(sessionStorage.getItem(key));
    return Array.isArray(value) ? value : fallback;
  } catch {
    return fallback;
  }
}

function save() {
  if (transcript.length > KEEP) transcript = transcript.slice(-KEEP);
  try {
    sessionStorage.setItem(SAVED, JSON.stringify(transcript));
    sessionStorage.setItem(SAVED_AFTER, String(after));
  } catch { /* storage full or disabled: the chat still works */ }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = text;
  return node;
}

function button(className, label) {
  const node = el("button", className, label);
  node.type = "button";
  return node;
}

// Text with international phone numbers as tel: links.
function linkify(parent, text) {
  let last = 0;
  for (const match of text.matchAll(PHONE)) {
    parent.append(text.slice(last, match.index));
    const link = el("a", "tel", match[0]);
    link.href = "tel:" + match[0].replace(/[^\d+]/g, "");
    parent.append(link);
    last = match.index + match[0].length;
  }
  parent.append(text.slice(last));
}

// ---------- Rendering ----------

function ownView(text) {
  const node = el("div", "msg me");
  node.append(el("div", "bubble", text));
  return node;
}

function botView(reply) {
  if (reply.type === "venue") {
    const node = el("div", "msg bot venue");
    const bubble = el("div", "bubble");
    bubble.append(el("div", "venue-title", "📍 " + (reply.title || "")));
    if (reply.address) bubble.append(el("div", "venue-address", reply.address));
    node.append(bubble);
    return node;
  }
  const node = el("div", reply.title ? "msg bot card" : "msg bot");
  if (reply.title || reply.text) {
    const bubble = el("div", "bubble");
    if (reply.title) bubble.append(el("h2", "card-title", reply.title));
    if (reply.text) {
      const text = el("div", "text");
      linkify(text, reply.text);
      bubble.append(text);
    }
    node.append(bubble);
  }
  if (reply.request === "location" && reply.request_label) {
    node.append(button("request-location", reply.request_label));
  }
  for (const row of reply.buttons || []) {
    const line = el("div", "choices");
    for (const choice of row) {
      const pill = button("choice", choice.label);
      pill.dataset.payload = choice.payload;
      if (typeof choice.pressed === "boolean") pill.setAttribute("aria-pressed", String(choice.pressed));
      line.append(pill);
    }
    if (line.childElementCount) node.append(line);
  }
  return node;
}

function view(entry) {
  return entry.me != null ? ownView(entry.me) : botView(entry.bot || {});
}

// Scroll to the end, but never past the top of the first new message (a long card is read from its title).
function reveal(first) {
  const bottom = scroller.scrollHeight - scroller.clientHeight;
  scroller.scrollTop = first ? Math.min(bottom, first.offsetTop - 12) : bottom;
}

function addOwn(text) {
  const entry = { me: text };
  transcript.push(entry);
  save();
  const node = ownView(text);
  list.append(node);
  reveal();
  return { entry, node };
}

function removeOwn(own) {
  if (!own) return;
  own.node.remove();
  transcript = transcript.filter((entry) => entry !== own.entry);
  save();
}

function addReplies(replies) {
  let first = null;
  for (const reply of replies) {
    transcript.push({ bot: reply });
    const node = botView(reply);
    list.append(node);
    first = first || node;
  }
  save();
  if (first) reveal(first);
}

function note(text) {
  if (!text) return;
  list.append(el("div", "sys-note", text));
  reveal();
}

function applyUi(data) {
  if (data.csrf) csrf = data.csrf;
  if (data.ui) ui = { ...ui, ...data.ui };
  if (data.language) language = data.language;
  document.documentElement.lang = language || guessLanguage();
  const set = (node, key) => { if (ui[key]) node.textContent = ui[key]; };
  if (ui.page_title) document.title = ui.page_title;
  set($("header"), "header");
  set(sendButton, "send");
  if (ui.placeholder) {
    box.placeholder = ui.placeholder;
    box.setAttribute("aria-label", ui.placeholder);
  }
  if (ui.share_location) {
    locateButton.title = ui.share_location;
    locateButton.setAttribute("aria-label", ui.share_location);
  }
  if (ui.language) $("langs").setAttribute("aria-label", ui.language);
  for (const code of ["bg", "uk"]) $("lang-" + code).setAttribute("aria-pressed", String(language === code));
}

function guessLanguage() {
  return /^(uk|ru)\b/i.test(navigator.language || "") ? "uk" : "bg";
}

// ---------- Talking to the server ----------

function setBusy() {
  const busy = pending > 0;
  box.readOnly = busy; // readOnly, not disabled: the phone keyboard stays open
  sendButton.disabled = busy;
  locateButton.disabled = busy;
  $("composer").setAttribute("aria-busy", String(busy));
}

// Queue one message; `shown` is the person's bubble (null for none), `typed` the text to give back on failure.
function post(content, shown, typed = null) {
  pending++;
  setBusy();
  queue = queue.then(() => exchange(content, shown, typed)).finally(() => {
    pending--;
    setBusy();
  });
  return queue;
}

async function exchange(content, shown, typed) {
  const body = JSON.stringify({ ...content, language: navigator.language || "" });
  if (new Blob([body]).size > MAX_BODY) {
    giveBack(typed);
    note(ui.too_long);
    return;
  }
  const own = shown ? addOwn(shown) : null;
  let response;
  try {
    response = await send(body);
    if (response.status === 403 && await refreshCsrf()) response = await send(body); // a new session
  } catch {
    removeOwn(own);
    giveBack(typed);
    note(ui.offline);
    return;
  }
  let data = null;
  try {
    data = await response.json();
  } catch { /* not JSON: a proxy's error page, say */ }
  if (!response.ok || !data || !Array.isArray(data.replies)) {
    removeOwn(own);
    giveBack(typed);
    note((data && data.error) || ui.error);
    return;
  }
  if (content.payload === "forget:yes") forgetTranscript(); // they asked to delete everything: the screen too
  addReplies(data.replies);
  applyUi(data);
}

function giveBack(typed) {
  if (typed && !box.value.trim()) {
    box.value = typed;
    grow();
  }
}

function forgetTranscript() {
  transcript = [];
  list.replaceChildren();
  save();
}

function sendText() {
  const text = box.value;
  if (pending || !text.trim()) return;
  box.value = "";
  grow();
  post({ text }, text, text);
}

function press(payload, label) {
  post({ payload }, label || payload);
}

function locationBubble() {
  const label = ui.share_location || "📍";
  return label.startsWith("📍") ? label : "📍 " + label;
}

function shareLocation() {
  if (locating) return;
  if (!navigator.geolocation) {
    note(ui.location_unavailable);
    return;
  }
  locating = true;
  navigator.geolocation.getCurrentPosition(
    (position) => {
      locating = false;
      const { latitude, longitude } = position.coords;
      post({ location: { latitude, longitude } }, locationBubble());
    },
    () => {
      locating = false;
      note(ui.location_unavailable);
    },
    { enableHighAccuracy: false, timeout: 20000, maximumAge: 300000 },
  );
}

// Later messages (staff answers) by long poll, forever.
async function poll() {
  let offline = false;
  for (;;) {
    const started = Date.now();
    try {
      const response = await fetch("/api/inbox?after=" + after, FETCH);
      if (!response.ok) throw new Error("HTTP " + response.status);
      const messages = (await response.json()).messages || [];
      offline = false;
      if (messages.length) {
        await queue; // let an answer being awaited come first
        for (const message of messages) {
          after = Math.max(after, Number(message.id) || 0);
          addReplies(message.replies || []);
        }
        save();
      } else if (Date.now() - started < 1000) {
        await sleep(3000); // an instant empty answer (no session yet): do not spin
      }
    } catch {
      if (!offline) note(ui.offline);
      offline = true;
      await sleep(3000);
    }
  }
}

// ---------- Wiring ----------

function grow() {
  box.style.height = "auto";
  box.style.height = Math.min(box.scrollHeight + 4, 9 * 18) + "px";
}

$("composer").addEventListener("submit", (event) => {
  event.preventDefault();
  sendText();
});
box.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    sendText();
  }
});
box.addEventListener("input", grow);
locateButton.addEventListener("click", shareLocation);
$("lang-bg").addEventListener("click", () => press("lang:bg", "BG"));
$("lang-uk").addEventListener("click", () => press("lang:uk", "UA"));
list.addEventListener("click", (event) => {
  const target = event.target.closest("button");
  if (!target) return;
  if (target.classList.contains("choice")) press(target.dataset.payload, target.textContent);
  else if (target.classList.contains("request-location")) shareLocation();
});

function send(body) {
  return fetch("/api/messages", {
    ...FETCH, method: "POST", headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf || "" }, body,
  });
}

async function refreshCsrf() {
  try {
    const response = await fetch("/api/ui?page=chat", FETCH);
    if (!response.ok) return false;
    applyUi(await response.json());
    return true;
  } catch {
    return false;
  }
}

async function start() {
  for (const entry of transcript) list.append(view(entry));
  reveal();
  let data = null;
  try {
    const response = await fetch("/api/ui?page=chat", FETCH);
    if (response.ok) data = await response.json();
  } catch { /* the first message will show what is wrong */ }
  if (data) applyUi(data);
  else document.documentElement.lang = guessLanguage();
  if (!transcript.length && !(data && data.language)) post({ text: "/start" }, null);
  poll();
}

start();
