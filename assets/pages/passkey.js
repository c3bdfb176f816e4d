// The passkey ceremonies of the hosted pages (WebAuthn): sign-in on the login page (a button,
// and conditional UI — the browser's autofill offers passkeys in the username field — where
// the browser has it), the passkey in place of a one-time code on the second-factor page, and
// "Add a passkey" on {issuer}/account/passkeys. The server issues
// the options and checks everything; this script only carries bytes between the two.
// Allowed by the page's CSP nonce; no other script runs on the hosted pages.
"use strict";
(function () {
  function enc(buf) {
    const bytes = new Uint8Array(buf);
    let s = "";
    for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function dec(s) {
    const b = atob(s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4));
    const out = new Uint8Array(b.length);
    for (let i = 0; i < b.length; i++) out[i] = b.charCodeAt(i);
    return out.buffer;
  }
  function creds(list) {
    return (list || []).map(function (c) {
      return { type: c.type, id: dec(c.id), transports: c.transports };
    });
  }
  async function post(url, csrf, body) {
    const r = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body || {}),
    });
    const json = await r.json().catch(function () { return {}; });
    if (!r.ok) throw new Error(json.error_description || "request failed (" + r.status + ")");
    return json;
  }
  function show(el, text) {
    if (!el) return;
    el.textContent = text;
    el.hidden = !text;
  }
  const supported = !!(window.PublicKeyCredential && navigator.credentials);

  // --- Sign-in (login page) ------------------------------------------------------------------
  const signIn = document.getElementById("passkey-sign-in");
  if (signIn && supported) {
    const form = document.getElementById("passkey-form");
    const error = document.getElementById("passkey-error");
    const csrf = form.elements.csrf.value;
    let pending = null;
    // One submission per page: a conditional request that completes while the button's
    // request runs must not post a second answer (the first one ends the sign-in page).
    let submitted = false;
    signIn.hidden = false;

    async function run(conditional) {
      const opts = await post(signIn.dataset.options, csrf);
      const pk = opts.publicKey;
      const publicKey = {
        challenge: dec(pk.challenge),
        rpId: pk.rpId,
        timeout: pk.timeout,
        allowCredentials: creds(pk.allowCredentials),
        userVerification: pk.userVerification,
      };
      const request = { publicKey: publicKey };
      if (conditional) {
        pending = new AbortController();
        request.mediation = "conditional";
        request.signal = pending.signal;
      }
      const cred = await navigator.credentials.get(request);
      if (!cred || submitted) return;
      submitted = true;
      const r = cred.response;
      form.elements.challenge_id.value = opts.challenge_id;
      form.elements.credential.value = JSON.stringify({
        id: cred.id,
        rawId: enc(cred.rawId),
        type: cred.type,
        response: {
          clientDataJSON: enc(r.clientDataJSON),
          authenticatorData: enc(r.authenticatorData),
          signature: enc(r.signature),
          userHandle: r.userHandle ? enc(r.userHandle) : null,
        },
      });
      form.submit();
    }

    document.getElementById("passkey-button").addEventListener("click", function () {
      if (submitted) return;
      if (pending) pending.abort();
      pending = null;
      show(error, "");
      run(false).catch(function (e) {
        if (e && e.name !== "AbortError") show(error, e.message || String(e));
      });
    });

    // Conditional UI only where a field offers passkeys in its autofill (the login page, not
    // the second-factor page, where the button asks for one of the user's own passkeys).
    const autofill = document.querySelector('input[autocomplete~="webauthn"]');
    if (autofill && PublicKeyCredential.isConditionalMediationAvailable) {
      PublicKeyCredential.isConditionalMediationAvailable().then(function (yes) {
        if (yes) run(true).catch(function () { /* dismissed or superseded by the button */ });
      });
    }
  }

  // --- Registration (account page) -------------------------------------------------------------
  const add = document.getElementById("passkey-add");
  if (add) {
    const error = document.getElementById("passkey-error");
    add.hidden = false;
    const button = document.getElementById("passkey-add-button");
    if (!supported) {
      button.disabled = true;
      show(error, add.dataset.unsupported);
    }
    button.addEventListener("click", async function () {
      show(error, "");
      button.disabled = true;
      try {
        const opts = await post(add.dataset.options, add.dataset.csrf);
        const pk = opts.publicKey;
        const cred = await navigator.credentials.create({
          publicKey: {
            rp: pk.rp,
            user: { id: dec(pk.user.id), name: pk.user.name, displayName: pk.user.displayName },
            challenge: dec(pk.challenge),
            pubKeyCredParams: pk.pubKeyCredParams,
            timeout: pk.timeout,
            excludeCredentials: creds(pk.excludeCredentials),
            authenticatorSelection: pk.authenticatorSelection,
            attestation: pk.attestation,
          },
        });
        const r = cred.response;
        await post(add.dataset.register, add.dataset.csrf, {
          challenge_id: opts.challenge_id,
          name: document.getElementById("passkey-name").value,
          credential: {
            id: cred.id,
            rawId: enc(cred.rawId),
            type: cred.type,
            response: {
              clientDataJSON: enc(r.clientDataJSON),
              attestationObject: enc(r.attestationObject),
              transports: r.getTransports ? r.getTransports() : [],
            },
          },
        });
        window.location.reload();
      } catch (e) {
        show(error, e.message || String(e));
        button.disabled = false;
      }
    });
  }
})();
