// Opora: the one-time link's page. The token is after '#' (never sent to a server by the browser
// on its own); the form sends it with the new password. Labels in the account's language (?lang).
"use strict";

(async () => {
  const params = new URLSearchParams(location.search);
  const lang = ["bg", "uk"].includes(params.get("lang")) ? params.get("lang") : null;
  const token = location.hash.slice(1);
  document.getElementById("token").value = token;
  document.getElementById("lang").value = lang || "";
  const error = params.get("error");
  const box = document.getElementById("error");
  if (error || !token) {
    box.hidden = false;
    box.textContent = error || "link";
  }
  if (!token) document.getElementById("form").querySelectorAll("input, button").forEach((e) => { e.disabled = true; });
  let data;
  try {
    const response = await fetch("/api/ui?page=password" + (lang ? "&lang=" + lang : ""),
      { credentials: "same-origin", cache: "no-store" });
    if (!response.ok) return;
    data = await response.json();
  } catch {
    return;
  }
  const ui = data.ui || {};
  const set = (id, key) => { if (ui[key]) document.getElementById(id).textContent = ui[key]; };
  document.documentElement.lang = data.language || lang || "bg";
  if (ui.password_title) document.title = ui.password_title;
  set("title", "staff_title");
  set("heading", "password_title");
  set("password-label", "new_password");
  set("repeat-label", "repeat_password");
  set("save", "save_password");
  if (!box.hidden) set("error", ["short", "repeat"].includes(error) ? error : "link");
})();
