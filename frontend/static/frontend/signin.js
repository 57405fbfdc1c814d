/* Passkeys (WebAuthn) for the security page, the factor step and step-up. CSP-safe: no inline
 * code; the URLs and texts come from data- attributes. The server's options are JSON with
 * base64url fields (py_webauthn's options_to_json); the browser's answer goes back the same way. */
(function () {
  "use strict";

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  function fromB64url(value) {
    var b64 = value.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) b64 += "=";
    var raw = atob(b64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes.buffer;
  }

  function toB64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var raw = "";
    for (var i = 0; i < bytes.length; i++) raw += String.fromCharCode(bytes[i]);
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "Content-Type": "application/json" },
      body: body || "{}",
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) throw new Error(data.code || "error");
        return data;
      });
    });
  }

  function descriptors(list) {
    return (list || []).map(function (c) {
      return { type: c.type, id: fromB64url(c.id), transports: c.transports };
    });
  }

  function showError(box, text) {
    var error = box.querySelector("[data-passkey-error]");
    if (error) {
      error.textContent = text;
      error.hidden = false;
    }
  }

  function register(box) {
    if (!window.PublicKeyCredential) {
      showError(box, box.getAttribute("data-text-unsupported"));
      return;
    }
    var nameInput = box.querySelector("[data-passkey-name-input]");
    var name = nameInput ? nameInput.value : "";
    post(box.getAttribute("data-options-url"))
      .then(function (options) {
        options.challenge = fromB64url(options.challenge);
        options.user.id = fromB64url(options.user.id);
        options.excludeCredentials = descriptors(options.excludeCredentials);
        return navigator.credentials.create({ publicKey: options });
      })
      .then(function (credential) {
        var body = JSON.stringify({
          id: credential.id,
          rawId: toB64url(credential.rawId),
          type: credential.type,
          response: {
            clientDataJSON: toB64url(credential.response.clientDataJSON),
            attestationObject: toB64url(credential.response.attestationObject),
            transports: credential.response.getTransports ? credential.response.getTransports() : [],
          },
          clientExtensionResults: credential.getClientExtensionResults(),
        });
        var url = box.getAttribute("data-register-url") + "?name=" + encodeURIComponent(name);
        return post(url, body);
      })
      .then(function (data) {
        window.location.assign(data.next);
      })
      .catch(function () {
        showError(box, box.getAttribute("data-text-failed"));
      });
  }

  function authenticate(box) {
    post(box.getAttribute("data-options-url"))
      .then(function (options) {
        options.challenge = fromB64url(options.challenge);
        options.allowCredentials = descriptors(options.allowCredentials);
        return navigator.credentials.get({ publicKey: options });
      })
      .then(function (credential) {
        var response = credential.response;
        var body = JSON.stringify({
          id: credential.id,
          rawId: toB64url(credential.rawId),
          type: credential.type,
          response: {
            clientDataJSON: toB64url(response.clientDataJSON),
            authenticatorData: toB64url(response.authenticatorData),
            signature: toB64url(response.signature),
            userHandle: response.userHandle ? toB64url(response.userHandle) : null,
          },
          clientExtensionResults: credential.getClientExtensionResults(),
        });
        return post(box.getAttribute("data-verify-url"), body);
      })
      .then(function (data) {
        window.location.assign(data.next);
      })
      .catch(function () {
        showError(box, box.getAttribute("data-text-failed"));
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-passkey-register]").forEach(function (box) {
      var button = box.querySelector("[data-passkey-register-button]");
      if (button) button.addEventListener("click", function () { register(box); });
    });
    document.querySelectorAll("[data-passkey-auth]").forEach(function (box) {
      var button = box.querySelector("[data-passkey-auth-button]");
      if (button) button.addEventListener("click", function () { authenticate(box); });
    });
  });
})();
