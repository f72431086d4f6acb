// Opora staff login: the labels in the staff's language, and why the last try failed (?error=wrong|wait|disabled).
"use strict";

(async () => {
  const stored = localStorage.getItem("opora.staff.lang");
  const lang = stored === "bg" || stored === "uk" ? stored : null;
  const error = new URLSearchParams(location.search).get("error");
  const box = document.getElementById("error");
  if (error) box.hidden = false;
  let data;
  try {
    const response = await fetch("/api/ui?page=staff" + (lang ? "&lang=" + lang : ""),
      { credentials: "same-origin", cache: "no-store" });
    if (!response.ok) return;
    data = await response.json();
  } catch {
    return; // the English labels in the page stay
  }
  const ui = data.ui || {};
  const set = (id, key) => { if (ui[key]) document.getElementById(id).textContent = ui[key]; };
  document.documentElement.lang = data.language || lang || (/^(uk|ru)\b/i.test(navigator.language) ? "uk" : "bg");
  if (ui.staff_title) document.title = ui.staff_title;
  set("title", "staff_title");
  set("name-label", "name_label");
  set("password-label", "password_label");
  set("log-in", "log_in");
  set("error", { wait: "wait_login", disabled: "disabled_login" }[error] || "wrong_login");
})();
