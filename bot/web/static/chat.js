// Opora web chat: the citizen's side. All server text is plain text and goes in through textContent.
// The conversation is kept on the server for the session (GET /api/transcript), so a reopened tab
// shows it again. A message that could not be sent waits, and is sent again once the connection is
// back: each carries a key, so the server answers it once however often it arrives.
"use strict";

const $ = (id) => document.getElementById(id);
const list = $("messages");
const scroller = $("scroller");
const box = $("text");
const sendButton = $("send");
const locateButton = $("locate");

const MAX_BODY = 256 * 1024; // the server refuses larger bodies
const FETCH = { credentials: "same-origin", cache: "no-store" };
const RETRY_MAX = 10000; // ms between attempts to send again, at most

// Phone numbers in text, as tel: links: international (+380 66 024 6100), national (066 024 61 00,
// 0431 6 20 30) and short hotlines after a word that says so ("лінію 1545"). Never across lines (no
// \s), and never dates, years or times: those have dots, dashes or colons, or no phone word before.
const PHONE = new RegExp(
  [
    String.raw`\+\d[\d \-\u00a0()]{6,}\d`,
    String.raw`\(?0\d[\d \-\u00a0/()]{5,}\d`,
    String.raw`(?<=(?:лін[іи]\p{L}*|линия\p{L}*|hotline|тел\.|телефон\p{L}*|phone|номер\p{L}*):?[ \u00a0]+)\d{3,4}`,
  ].map((pattern) => String.raw`(?<![\d+])(?:${pattern})(?!\d)`).join("|"),
  "giu",
);
// A leading emoji and the space after it: decoration, hidden from screen readers.
const LEADING_EMOJI = /^([ \u00a0]*)((?:\p{Extended_Pictographic}|\p{Regional_Indicator})(?:[\uFE0E\uFE0F\u200D\u20E3]|\p{Emoji_Modifier}|\p{Extended_Pictographic}|\p{Regional_Indicator})*)([ \u00a0]+)/u;

// Used only until /api/ui answers (or if it cannot).
let ui = {
  share_location: "📍", offline: "No connection. Trying again…", error: "Something went wrong.",
  location_unavailable: "Location unavailable.", too_long: "The message is too long.",
};
let language = null;
let csrf = null; // proves to the server that a change comes from this page (from /api/ui)
let after = 0; // the newest inbox message shown
const waiting = []; // messages not answered yet, oldest first: {body, own, typed, payload, pressed}
let sending = false;
let offline = false;
let offlineNote = null;
let wake = null; // ends the wait before the next attempt (the connection is back)
let idlers = []; // resolved when every waiting message is answered

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = text;
  return node;
}

// `text`, its leading emoji (if more follows) in an aria-hidden span; the rest by `rest`.
function decorated(parent, text, rest = (node, t) => node.append(t)) {
  const match = text.match(LEADING_EMOJI);
  if (!match || match[0].length >= text.length) {
    rest(parent, text);
    return;
  }
  const emoji = el("span", "emoji", match[2]);
  emoji.setAttribute("aria-hidden", "true");
  parent.append(match[1], emoji, match[3]);
  rest(parent, text.slice(match[0].length));
}

function button(className, label) {
  const node = el("button", className);
  const text = el("span"); // one piece, so the emoji wraps with the words
  decorated(text, label);
  node.append(text);
  node.type = "button";
  return node;
}

function digits(phone) {
  return phone.replace(/[^\d+]/g, "");
}

function isPhone(found) {
  const count = digits(found).replace("+", "").length;
  if (found.startsWith("+")) return count >= 8 && count <= 15;
  if (/^\(?0/.test(found)) return count >= 9 && count <= 12;
  return true; // a short number after a phone word
}

// Text with phone numbers as tel: links.
function linkify(parent, text) {
  let last = 0;
  for (const match of text.matchAll(PHONE)) {
    if (!isPhone(match[0])) continue;
    parent.append(text.slice(last, match.index));
    const link = el("a", "tel", match[0]);
    link.href = "tel:" + digits(match[0]);
    parent.append(link);
    last = match.index + match[0].length;
  }
  parent.append(text.slice(last));
}

// Each line: its leading emoji hidden from screen readers, its phone numbers as links.
function lines(parent, text) {
  text.split("\n").forEach((line, index) => {
    if (index) parent.append("\n");
    decorated(parent, line, linkify);
  });
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
    const title = el("div", "venue-title");
    decorated(title, "📍 " + (reply.title || ""));
    bubble.append(title);
    if (reply.address) bubble.append(el("div", "venue-address", reply.address));
    node.append(bubble);
    return node;
  }
  const node = el("div", reply.title ? "msg bot card" : "msg bot");
  if (reply.title || reply.text) {
    const bubble = el("div", "bubble");
    if (reply.title) {
      const title = el("h2", "card-title");
      decorated(title, reply.title);
      bubble.append(title);
    }
    if (reply.text) {
      const text = el("div", "text");
      lines(text, reply.text);
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

// Scroll to the end, but never past the top of the first new message (a long card is read from its title).
function reveal(first) {
  const bottom = scroller.scrollHeight - scroller.clientHeight;
  scroller.scrollTop = first ? Math.min(bottom, first.offsetTop - 12) : bottom;
}

function addOwn(text) {
  const node = ownView(text);
  list.append(node);
  reveal();
  return node;
}

function addReplies(replies) {
  const added = replies.map(botView);
  list.append(...added);
  if (added.length) reveal(added[0]);
  return added;
}

// A button pressed from the keyboard hands the focus on to the answer's first button, so the next
// choice is a Tab away, not behind all the old ones. (Not to the text box: on a phone that would
// open the keyboard over the answer.)
function focusOn(added, pressed) {
  if (!pressed || !pressed.classList.contains("choice") || document.activeElement !== pressed) return;
  const next = added.map((node) => node.querySelector("button")).find(Boolean);
  if (next) next.focus({ preventScroll: true });
}

function note(text) {
  if (!text) return null;
  const node = el("div", "sys-note", text);
  list.append(node);
  reveal();
  return node;
}

// One notice while the connection is away, however many things failed; gone when it is back.
function wentOffline() {
  offline = true;
  if (!offlineNote || !offlineNote.isConnected) offlineNote = note(ui.offline);
  setBusy();
}

function backOnline() {
  if (!offline) return;
  offline = false;
  if (offlineNote) offlineNote.remove();
  offlineNote = null;
  if (wake) wake();
  setBusy();
}

function applyUi(data) {
  if (data.csrf) csrf = data.csrf;
  if (data.ui) ui = { ...ui, ...data.ui };
  if (data.language) language = data.language;
  document.documentElement.lang = language || guessLanguage();
  if (ui.page_title) document.title = ui.page_title;
  if (ui.header) {
    // "Opora: social services in …": on a narrow screen only the name before the colon is shown.
    const colon = ui.header.indexOf(":");
    $("brand").textContent = colon > 0 ? ui.header.slice(0, colon) : ui.header;
    $("tagline").textContent = colon > 0 ? ui.header.slice(colon) : "";
  }
  if (ui.send) {
    $("send-label").textContent = ui.send;
    sendButton.setAttribute("aria-label", ui.send);
  }
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

// While an answer is awaited the box is read-only (not disabled: the phone keyboard stays open).
// Without a connection it stays usable: what is written then waits with the rest.
function setBusy() {
  const busy = waiting.length > 0 && !offline;
  box.readOnly = busy;
  sendButton.disabled = busy;
  locateButton.disabled = busy;
  $("composer").setAttribute("aria-busy", String(busy));
}

function newKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// Send one message after those before it. `shown` is the person's bubble (null for none), `typed`
// the text to give back if the server refuses it.
function post(content, shown, typed = null, source = null) {
  const said = content.text != null ? (shown == null ? { quiet: true } : {}) : { said: shown };
  const body = JSON.stringify({ ...content, ...said, key: newKey(), language: navigator.language || "" });
  if (new Blob([body]).size > MAX_BODY) {
    giveBack(typed);
    note(ui.too_long);
    return;
  }
  const pressed = document.activeElement;
  const from = source ? source.closest(".msg") : null;
  waiting.push({ body, own: shown ? addOwn(shown) : null, typed, payload: content.payload, pressed, source, from });
  setBusy();
  if (!sending) drain();
}

async function drain() {
  sending = true;
  let tries = 0;
  while (waiting.length) {
    const message = waiting[0];
    if (await deliver(message)) {
      waiting.shift();
      tries = 0;
      setBusy();
    } else {
      if (message.own) message.own.classList.add("unsent");
      wentOffline();
      await retryWait(tries++);
    }
  }
  sending = false;
  setBusy();
  for (const resolve of idlers) resolve();
  idlers = [];
}

// Until the connection is back (the browser says so, or the inbox answers), or a while at most.
function retryWait(tries) {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      window.removeEventListener("online", done);
      wake = null;
      resolve();
    };
    const timer = setTimeout(done, Math.min(1000 * 2 ** tries, RETRY_MAX));
    window.addEventListener("online", done);
    wake = done;
  });
}

function idle() {
  return waiting.length ? new Promise((resolve) => idlers.push(resolve)) : Promise.resolve();
}

// One attempt: true when it is done with (answered, or refused), false to try again later.
async function deliver(message) {
  let response;
  try {
    response = await send(message.body);
    if (response.status === 403 && (await refreshCsrf())) response = await send(message.body); // a new session
  } catch {
    return false; // no connection
  }
  if (response.status === 409) return false; // still being answered, from an earlier attempt
  backOnline();
  if (message.own) message.own.classList.remove("unsent");
  let data = null;
  try {
    data = await response.json();
  } catch { /* not JSON: a proxy's error page, say */ }
  if (!response.ok || !data || !Array.isArray(data.replies)) {
    if (message.own) message.own.remove();
    giveBack(message.typed);
    note((data && data.error) || ui.error);
    return true;
  }
  if (message.payload === "forget:yes") list.replaceChildren(); // they asked to delete everything: the screen too
  focusOn(addReplies(redrawn(message, data.replies)), message.pressed);
  applyUi(data);
  return true;
}

// An answer that replaces the message whose button was pressed redraws it where it is, without the
// person's bubble; the focus stays on the same button. The other replies follow as usual.
function redrawn(message, replies) {
  const old = message.from;
  if (!replies.length || !replies[0].replaces || !old || !old.isConnected) return replies;
  const buttons = Array.from(old.querySelectorAll("button"));
  const at = buttons.indexOf(message.source);
  const hadFocus = document.activeElement === message.source;
  const fresh = botView(replies[0]);
  old.replaceWith(fresh);
  if (message.own) message.own.remove();
  const same = fresh.querySelectorAll("button")[at];
  if (hadFocus && same) same.focus({ preventScroll: true });
  return replies.slice(1);
}

function giveBack(typed) {
  if (typed && !box.value.trim()) {
    box.value = typed;
    grow();
  }
}

function sendText() {
  const text = box.value;
  if (box.readOnly || !text.trim()) return;
  box.value = "";
  grow();
  post({ text }, text, text);
}

// `source`: the button pressed, whose message an answer may redraw in place (a list of toggles).
function press(payload, label, source = null) {
  post({ payload }, label || payload, null, source);
}

function locationBubble() {
  const label = ui.share_location || "📍";
  return label.startsWith("📍") ? label : "📍 " + label;
}

let locating = false;
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
  for (;;) {
    const started = Date.now();
    try {
      const response = await fetch("/api/inbox?after=" + after, FETCH);
      if (!response.ok) throw new Error("HTTP " + response.status);
      const messages = (await response.json()).messages || [];
      backOnline();
      if (messages.length) {
        await idle(); // let an answer being awaited come first
        for (const message of messages) {
          after = Math.max(after, Number(message.id) || 0);
          addReplies(message.replies || []);
        }
      } else if (Date.now() - started < 1000) {
        await sleep(3000); // an instant empty answer (no session yet): do not spin
      }
    } catch {
      wentOffline();
      await Promise.race([sleep(3000), new Promise((resolve) => window.addEventListener("online", resolve, { once: true }))]);
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
  if (target.classList.contains("choice")) press(target.dataset.payload, target.textContent, target);
  else if (target.classList.contains("request-location")) shareLocation();
});

function send(body) {
  return fetch("/api/messages", {
    ...FETCH, method: "POST", headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf || "" }, body,
  });
}

async function getJson(path) {
  try {
    const response = await fetch(path, FETCH);
    return response.ok ? await response.json() : null;
  } catch {
    return null;
  }
}

async function refreshCsrf() {
  const data = await getJson("/api/ui?page=chat");
  if (data) applyUi(data);
  return Boolean(data);
}

// The conversation so far, from the server: what the person said, and the answers.
function showTranscript(entries) {
  for (const entry of entries) {
    if (entry.said) list.append(ownView(entry.said));
    for (const reply of entry.replies || []) list.append(botView(reply));
  }
  reveal();
}

async function start() {
  const [data, saved] = await Promise.all([getJson("/api/ui?page=chat"), getJson("/api/transcript")]);
  if (data) applyUi(data);
  else document.documentElement.lang = guessLanguage();
  const entries = (saved && saved.entries) || [];
  showTranscript(entries);
  if (!entries.length && !(data && data.language)) post({ text: "/start" }, null);
  poll();
}

start();
