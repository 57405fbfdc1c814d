/* The live inbox: one WebSocket per tab to /ws/inbox/ (session cookie auth).
   - keeps the unread badges in the header current ({"type":"unread"} frames);
   - on sheet events, refreshes the list on list pages and the open sheet on its page (htmx);
   - reconnects with exponential backoff and catches up by sequence number, remembered in
     sessionStorage, so nothing that happened while the socket was down is missed.
   Frames carry ids, statuses and counts only; details are fetched through the pages. */
(function () {
  "use strict";

  var body = document.body;
  var path = body.getAttribute("data-inbox-socket");
  if (!path || !("WebSocket" in window)) return;

  var storageKey = "rh.inbox.seq." + (body.getAttribute("data-inbox-user") || "");
  // Texts come from the page (translated by Django), never from this file.
  function statusText(state) {
    var el = document.getElementById("live-status");
    return (el && el.getAttribute("data-text-" + state)) || "";
  }
  function announcement(eventType) {
    var el = document.getElementById("live-announcer");
    return (el && el.getAttribute("data-text-" + eventType.replace(".", "-"))) || "";
  }

  function readStored() {
    try { return parseInt(window.sessionStorage.getItem(storageKey) || "0", 10) || 0; }
    catch (e) { return 0; }
  }
  function store(seq) {
    try { window.sessionStorage.setItem(storageKey, String(seq)); } catch (e) { /* private mode */ }
  }

  // Seqs handled so far: every seq up to `seen`, plus those above it that came early (pushes
  // from two transactions can overtake each other). An event is handled once, however many
  // times it arrives (live, by catch-up, again after a reconnect).
  var seen = Math.max(parseInt(body.getAttribute("data-inbox-seq") || "0", 10) || 0, readStored());
  var early = {};
  var catchingUp = false;
  store(seen);

  function handled(seq) { return seq <= seen || early[seq] === true; }
  function advance() {
    while (early[seen + 1]) { delete early[seen + 1]; seen += 1; }
    Object.keys(early).forEach(function (seq) { if (+seq <= seen) delete early[seq]; });
    store(seen);
  }
  function mark(seq) {
    if (seq > seen) { early[seq] = true; advance(); }
  }
  function hasGap() { return Object.keys(early).length > 0; }
  function catchUp() {
    // One catch-up at a time: its caught_up frame covers every seq up to its last_seq.
    if (catchingUp || !socket || socket.readyState !== 1) return;
    catchingUp = true;
    socket.send(JSON.stringify({ type: "catch_up", since: seen }));
  }
  var socket = null;
  var attempts = 0;
  var retryTimer = null;
  var refreshTimer = null;
  var pendingSheets = {};
  var pendingList = false;
  var pendingAnnouncement = "";

  function setStatus(state) {
    var el = document.getElementById("live-status");
    if (!el || el.getAttribute("data-state") === state) return;
    el.setAttribute("data-state", state);
    var text = el.querySelector(".live-text");
    if (text) text.textContent = statusText(state);
    // Only a lost connection is worth interrupting a screen reader for.
    if (state === "offline" && window.rhAnnounce) window.rhAnnounce(statusText(state));

  }

  function updateBadges(counts) {
    Object.keys(counts).forEach(function (box) {
      var badges = document.querySelectorAll('[data-badge="' + box + '"]');
      for (var i = 0; i < badges.length; i++) {
        var count = badges[i].querySelector(".badge-count");
        if (count) count.textContent = String(counts[box]);
        badges[i].hidden = !counts[box];
      }
    });
  }

  function flush() {
    refreshTimer = null;
    if (pendingList && document.querySelector("[data-live-list]")) {
      body.dispatchEvent(new CustomEvent("rh:list-changed", { bubbles: true }));
    }
    Object.keys(pendingSheets).forEach(function (id) {
      if (document.querySelector('[data-live-sheet="' + id + '"]')) {
        body.dispatchEvent(new CustomEvent("rh:sheet-changed", { bubbles: true }));
      }
    });
    if (pendingAnnouncement && window.rhAnnounce) window.rhAnnounce(pendingAnnouncement);
    pendingSheets = {};
    pendingList = false;
    pendingAnnouncement = "";
  }

  function schedule(frame) {
    pendingList = true;
    if (frame.sheet) pendingSheets[frame.sheet] = true;
    pendingAnnouncement = announcement(frame.type) || pendingAnnouncement;

    // Several events in a burst (a catch-up) cause one refresh.
    if (!refreshTimer) refreshTimer = window.setTimeout(flush, 150);
  }

  function onFrame(frame) {
    if (!frame || typeof frame.type !== "string") return;
    if (frame.type === "hello") {
      if (typeof frame.last_seq === "number" && frame.last_seq > seen) catchUp();
      return;
    }
    if (frame.type === "unread") { updateBadges(frame.counts || {}); return; }
    if (frame.type === "caught_up") {
      catchingUp = false;
      if (typeof frame.last_seq === "number" && frame.last_seq > seen) seen = frame.last_seq;
      advance();
      if (hasGap()) catchUp(); // an event newer than the catch-up arrived early
      return;
    }
    if (typeof frame.seq === "number") {
      if (handled(frame.seq)) return; // a repeated seq: drop it (docs/operations/realtime.md)
      mark(frame.seq);
      if (hasGap()) catchUp(); // the gap rule: a seq skipped ahead, fetch the missing ones
      schedule(frame);
    }
  }

  function connect() {
    retryTimer = null;
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    setStatus(attempts ? "reconnecting" : "connecting");
    try {
      socket = new WebSocket(scheme + window.location.host + path);
    } catch (e) {
      retry();
      return;
    }
    socket.onopen = function () { attempts = 0; setStatus("live"); };
    socket.onmessage = function (message) {
      var frame;
      try { frame = JSON.parse(message.data); } catch (e) { return; }
      onFrame(frame);
    };
    socket.onclose = function (event) {
      socket = null;
      catchingUp = false;
      if (event.code === 4401) { credentialEnded(); return; }
      if (event.code === 4403) { setStatus("offline"); return; }
      retry();
    };
  }

  // 4401: this page's sign-in ended (signed out in another tab, password changed, token
  // revoked). Reload once, so the server sends the page to sign-in; if the reload itself meets
  // 4401 again within a minute, stay offline instead of looping.
  function credentialEnded() {
    var key = "referral-hub-4401-reload";
    var last = 0;
    try { last = Number(window.sessionStorage.getItem(key) || 0); } catch (e) { last = 0; }
    if (Date.now() - last < 60000) { setStatus("offline"); return; }
    try { window.sessionStorage.setItem(key, String(Date.now())); } catch (e) { /* private mode */ }
    window.location.reload();
  }

  function retry() {
    if (retryTimer) return;
    attempts += 1;
    setStatus("reconnecting");
    var delay = Math.min(30000, 1000 * Math.pow(2, attempts - 1));
    delay = delay / 2 + Math.random() * delay / 2;
    retryTimer = window.setTimeout(connect, delay);
  }

  window.addEventListener("pagehide", function () {
    if (socket) { socket.onclose = null; socket.close(1000); }
  });
  window.addEventListener("pageshow", function (event) {
    // Back/forward cache: the page comes back without its socket; the list may be stale too.
    if (event.persisted && !socket && !retryTimer) { connect(); pendingList = true; flush(); }
  });
  window.addEventListener("online", function () {
    if (!socket && retryTimer) { window.clearTimeout(retryTimer); retryTimer = null; connect(); }
  });

  connect();
})();
