/* Idle timeout on shared counter PCs: one minute before SESSION_IDLE_MINUTES without a request,
 * show a warning with a 「続ける」 button (at once when the timeout itself is a minute or less);
 * at the limit go to the login page (the server has ended the session by then: the status
 * request itself finds it idle). Another tab's activity counts: the server's remaining time is
 * asked before warning. CSP-safe: settings from data- attributes (data-idle-seconds may be
 * under 60: SESSION_IDLE_MINUTES accepts a fraction). */
(function () {
  "use strict";

  var WARN_BEFORE = 60; // seconds
  var box, timer;

  // Seconds from a fresh request until the warning is due (0: warn at once).
  function untilWarning() {
    return Math.max(0, Number(box.getAttribute("data-idle-seconds")) - WARN_BEFORE);
  }

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  function schedule(seconds) {
    window.clearTimeout(timer);
    timer = window.setTimeout(check, Math.max(1, seconds) * 1000);
  }

  function signOut() {
    window.location.assign(box.getAttribute("data-login-url") + "?idle=1");
  }

  // inbox.js reloads the page once when its socket closes with 4401 unless it did so in the
  // last minute (this key). Ending the session for idleness closes the socket too; while the
  // final check runs, claim that reload so the page goes to /login/?idle=1 instead.
  var RELOAD_KEY = "referral-hub-4401-reload";

  function holdInboxReload(on) {
    try {
      if (on) window.sessionStorage.setItem(RELOAD_KEY, String(Date.now()));
      else window.sessionStorage.removeItem(RELOAD_KEY);
    } catch (e) { /* private mode */ }
  }

  function check() {
    var final = !box.hidden;
    if (final) holdInboxReload(true);
    fetch(box.getAttribute("data-status-url"), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var remaining = data.remaining || 0;
        if (remaining <= 0) return signOut();
        if (final) holdInboxReload(false);
        if (remaining <= WARN_BEFORE) {
          box.hidden = false;
          schedule(remaining);
        } else {
          box.hidden = true;
          schedule(remaining - WARN_BEFORE);
        }
      })
      .catch(function () { schedule(30); });
  }

  function keepAlive() {
    fetch(box.getAttribute("data-keepalive-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken() },
    }).then(function () {
      holdInboxReload(false);
      box.hidden = true;
      schedule(untilWarning());
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    box = document.getElementById("idle-warning");
    if (!box) return;
    var button = box.querySelector("[data-idle-continue]");
    if (button) button.addEventListener("click", keepAlive);
    schedule(untilWarning());
  });
})();
