/* Referral Hub page behaviour: dialogs, the "which desk?" guide buttons, printing, focus on
   errors. No inline scripts anywhere (CSP): every page loads this file. */
(function () {
  "use strict";

  var announcer = null;
  function announce(text) {
    announcer = announcer || document.getElementById("live-announcer");
    if (!announcer) return;
    announcer.textContent = "";
    window.setTimeout(function () { announcer.textContent = text; }, 50);
  }
  window.rhAnnounce = announce;

  var lastOpener = null;

  function openDialog(dialog, opener) {
    if (!dialog || dialog.open) return;
    lastOpener = opener || document.activeElement;
    dialog.showModal();
    var target = dialog.querySelector("[aria-invalid=true], .error-summary, input:not([type=hidden]), select, textarea");
    if (target) {
      if (target.classList.contains("error-summary")) target.setAttribute("tabindex", "-1");
      target.focus();
    }
  }

  document.addEventListener("click", function (event) {
    var opener = event.target.closest("[data-dialog-open]");
    if (opener) {
      openDialog(document.getElementById(opener.getAttribute("data-dialog-open")), opener);
      return;
    }
    var closer = event.target.closest("[data-dialog-close]");
    if (closer) {
      var dialog = closer.closest("dialog");
      if (dialog) dialog.close();
      return;
    }
    var choose = event.target.closest("[data-choose-desk]");
    if (choose) {
      var radio = document.querySelector('input[name="to_desk"][value="' + choose.getAttribute("data-choose-desk") + '"]');
      if (radio) {
        radio.checked = true;
        radio.dispatchEvent(new Event("change", { bubbles: true }));
        radio.focus();
        var label = document.querySelector('label[for="' + radio.id + '"]');
        announcer = announcer || document.getElementById("live-announcer");
        var template = (announcer && announcer.getAttribute("data-text-desk-chosen")) || "{desk}";
        announce(template.replace("{desk}", label ? label.textContent.trim() : ""));


      }
      return;
    }
    if (event.target.closest("[data-print]")) {
      window.print();
    }
  });

  document.addEventListener("close", function (event) {
    if (event.target.tagName === "DIALOG" && lastOpener && document.contains(lastOpener)) {
      lastOpener.focus();
      lastOpener = null;
    }
  }, true);

  // A desk note's box says who will read it: ticking 「送った職員に伝える」 changes the text.
  document.addEventListener("change", function (event) {
    var box = event.target.closest("input[data-share-note]");
    if (!box) return;
    var help = document.getElementById(box.getAttribute("data-share-note"));
    if (help) {
      help.textContent = box.getAttribute(box.checked ? "data-text-shared" : "data-text-private");
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var pending = document.querySelector("dialog[data-open-on-load]");
    if (pending) {
      openDialog(pending, document.querySelector('[data-dialog-open="' + pending.id + '"]'));
      return;
    }
    var summary = document.getElementById("error-summary");
    if (summary) summary.focus();
  });

  // The session ended (sign-out in another tab, timeout): a fragment request was redirected to
  // the sign-in page. Reload instead of pasting the sign-in form into the page.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var url = event.detail && event.detail.xhr && event.detail.xhr.responseURL;
    if (url && url.indexOf("/login/") !== -1) {
      event.detail.shouldSwap = false;
      window.location.reload();
    }
  });

  // A live refresh of a sheet that this user may no longer see (consent withdrawn, sheet moved
  // to another desk): load the page, which explains why.
  document.addEventListener("htmx:responseError", function (event) {
    var target = event.detail && event.detail.target;
    if (target && target.id === "sheet-live") window.location.reload();
  });
})();
