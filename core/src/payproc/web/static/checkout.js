/* payproc checkout demo page.
 *
 * The checkout in three steps (the seed's "checkout HTTP timing"):
 *   1. POST api/context with the amount: the server records the charge and
 *      answers the backend's public values and the charge's idempotency key;
 *   2. the processor's script turns the card into a one-time token (or pays
 *      with it, 3-D Secure included) — the card number never reaches this
 *      server. The page uses the backend's adapter (static/adapters.js:
 *      window.payprocAdapters[backend]) or, for a backend that ships its own
 *      script, window.payprocTokenizers[backend];
 *   3. POST api/checkout with the token in the backend's token field
 *      (context.token_field, e.g. "stripeToken") and the idempotency key.
 *      When the answer is "requires_action", the adapter (or a redirect) lets
 *      the customer act and the page posts api/complete; an answer that is
 *      still in progress is polled (GET api/checkout/<key>), never paid again.
 *
 * One purchase = one idempotency key, until the shopper presses "New
 * purchase" (after a paid purchase) or the processor refused the card (the
 * charge failed: nothing was taken, a retry is a new charge). A double click,
 * a second Pay or a lost answer re-uses the key, so the server charges once.
 * The key is kept in the page's address (?purchase=<key>, replacing the
 * history entry): a reload, the Back button or a second tab on that address
 * shows that purchase again instead of starting another.
 * URLs are relative so the app can be mounted under any prefix.
 */
(function () {
  "use strict";

  var $ = function (id) { return document.getElementById(id); };
  var POLL_MS = 1000;
  var SETTLED = {done: true, failed: true, expired: true, disputed: true, lost: true};
  // A purchase in one of these states keeps its key: Pay cannot start another.
  var LOCKED = {created: true, requires_action: true, done: true, disputed: true, lost: true};
  var PAID = {done: true, disputed: true, lost: true};
  var context = null;   // GET api/context: backend, token_field, script_urls, values
  var purchase = null;  // {amountMajor, currency, key, prepared, state}: the purchase on the page
  var charge = null;    // the charge on the receipt
  var polling = null;

  function api(method, path, body) {
    var options = {method: method, headers: {"Accept": "application/json"}, credentials: "same-origin"};
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(path, options).then(function (response) {
      return response.json().catch(function () {
        return {error: "bad_response", message: "The server answered " + response.status + " without JSON."};
      }).then(function (data) { return {status: response.status, ok: response.ok, data: data}; });
    }, function () {
      return {status: 0, ok: false, data: {error: "network", message: "The server could not be reached."}};
    });
  }

  function loadScript(url) {
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = url;
      script.onload = resolve;
      script.onerror = function () { reject(new Error("Could not load the processor script " + url)); };
      document.head.appendChild(script);
    });
  }

  function showError(id, message) {
    var box = $(id);
    box.textContent = message;
    box.hidden = false;
  }

  function clearMessages(prefix) {
    $(prefix + "-error").hidden = true;
    $(prefix + "-error").textContent = "";
    $(prefix + "-status").textContent = "";
    $(prefix + "-status").className = "status";
  }

  function setStatus(id, message, ok) {
    $(id).textContent = message;
    $(id).className = ok ? "status ok" : "status";
  }

  function busy(button, on) {
    button.disabled = on;
    button.setAttribute("aria-busy", on ? "true" : "false");
  }

  /* The form follows the purchase: while one is attempted and not known to
   * have failed, neither the amount nor Pay can start another. */
  function lockForm() {
    var locked = Boolean(purchase && LOCKED[purchase.state]);
    $("amount").disabled = locked;
    $("currency").disabled = locked;
    // Waiting for the customer's confirmation: Pay confirms this purchase again.
    $("pay-button").disabled = (locked && purchase.state !== "requires_action") || !context;
    $("new-purchase").hidden = !(purchase && PAID[purchase.state]);
  }

  function showReceipt(data) {
    charge = data;
    $("receipt").hidden = false;
    $("r-id").textContent = "#" + data.id;
    $("r-state").textContent = data.state;
    $("r-amount").textContent = data.display;
    $("r-refunded").textContent = data.refunded_display;
    var receipt = data.receipt || {};
    $("r-card").textContent = receipt.last4
      ? (receipt.brand || "card") + " ending in " + receipt.last4 + (receipt.exp_date ? ", expires " + receipt.exp_date.slice(0, 7) : "")
      : "—";
    $("r-key").textContent = data.processor_key || "—";
    $("refund-button").hidden = !(data.state === "done" && data.amount_refunded < data.amount);
    clearMessages("refund");
    $("receipt-title").focus();
  }

  function cell(row, text, className) {
    var td = document.createElement("td");
    td.textContent = text;
    if (className) { td.className = className; }
    row.appendChild(td);
  }

  function refreshLedger() {
    return api("GET", "api/ledger").then(function (r) {
      if (!r.ok) { $("books").textContent = r.data.message || "The ledger could not be read."; return; }
      var books = r.data;
      $("books").textContent = books.balanced ? "The books balance." : "The books do not balance: " + books.problems.join("; ");
      var balances = $("balances").tBodies[0];
      balances.textContent = "";
      books.balances.forEach(function (b) {
        var row = balances.insertRow();
        cell(row, b.profile); cell(row, b.account); cell(row, b.display, "num");
      });
      var entries = $("entries").tBodies[0];
      entries.textContent = "";
      books.entries.forEach(function (e) {
        var row = entries.insertRow();
        cell(row, String(e.id)); cell(row, e.orig); cell(row, e.dest); cell(row, e.display, "num"); cell(row, e.descr);
      });
      document.body.dataset.ledgerRows = String(books.entries.length);
    });
  }

  function cardFields() {
    var exp = $("card-exp").value.split("/");
    return {
      number: $("card-number").value,
      exp_month: (exp[0] || "").trim(),
      exp_year: (exp[1] || "").trim(),
      cvc: $("card-cvc").value,
      name: $("card-name").value
    };
  }

  function adapter() {
    var adapters = window.payprocAdapters || {};
    return adapters[context.backend] || null;
  }

  /* The token (and other browser fields) for the prepared charge, from the
   * adapter, the backend's own tokenizer or the developer's test token. */
  function tokenize(preparedContext) {
    var testToken = $("test-token").value.trim();
    if (testToken) { return Promise.resolve({token: testToken, fields: {}}); }
    var own = adapter();
    if (own && own.pay) {
      return own.pay(preparedContext, cardFields()).then(function (result) {
        if (result.error) { throw new Error(result.error.message); }
        return {token: result.token, fields: result.fields || {}};
      });
    }
    var tokenizer = window.payprocTokenizers && window.payprocTokenizers[context.backend];
    if (!tokenizer) {
      return Promise.reject(new Error("This page has no card form for backend \"" + context.backend +
                                      "\": use the developer test token field."));
    }
    return tokenizer(preparedContext, cardFields()).then(function (result) {
      if (result.error) { throw new Error(result.error.message); }
      return {token: result.token.id, fields: {}};
    });
  }

  /* The purchase's key in the address (no new history entry), or none. */
  function remember(key) {
    var url = window.location.pathname + (key ? "?" + new URLSearchParams({purchase: key}).toString() : "");
    window.history.replaceState(null, "", url);
  }

  function prepare(amountMajor, currency) {
    var body = {amount_major: amountMajor, currency: currency};
    if (purchase && purchase.amountMajor === amountMajor && purchase.currency === currency) {
      body.idempotency_key = purchase.key;  // same purchase: same charge
    }
    return api("POST", "api/context", body).then(function (r) {
      if (r.ok) {
        purchase = {amountMajor: amountMajor, currency: currency, key: r.data.idempotency_key,
                    prepared: r.data, state: null};
        remember(purchase.key);
      }
      return r;
    });
  }

  function track(data) {
    if (data && data.state && purchase) { purchase.state = data.state; }
    lockForm();
  }

  /* Show where the charge stands; returns a Promise that ends when the
   * purchase is settled or waits for the customer. */
  function answer(r) {
    var data = r.data.charge || r.data;
    if (r.status === 200 && data.state === "done") {
      track(data);
      setStatus("pay-status", "Paid " + data.display + ".", true);
      showReceipt(data);
      return Promise.resolve();
    }
    if (data && data.state === "requires_action") {
      track(data);
      showReceipt(data);
      return act(data);
    }
    if (r.status === 202 || r.status === 0 || (data && data.state === "created")) {
      if (data && data.id) { track(data); showReceipt(data); }
      else if (purchase) { purchase.state = "created"; lockForm(); }
      setStatus("pay-status", r.data.message || "The payment is in progress; its outcome is shown here when known.");
      return poll();
    }
    if (data && data.state) { track(data); }
    if (data && data.id && LOCKED[data.state]) { showReceipt(data); }
    setStatus("pay-status", "");
    showError("pay-error", r.data.message || "The payment failed.");
    return Promise.resolve();
  }

  /* The customer must act (3-D Secure, OTP, a redirect to the processor). */
  function act(data) {
    var next = data.next_action || {};
    if (next.kind === "redirect" && next.url) {
      setStatus("pay-status", "Taking you to the processor to confirm the payment…");
      window.location.assign(next.url);
      return new Promise(function () {});  // the page is leaving
    }
    purchase.acts = (purchase.acts || 0) + 1;
    if (purchase.acts > 3) {
      setStatus("pay-status", "");
      showError("pay-error", "The processor still waits for your confirmation; this page stops asking.");
      return Promise.resolve();
    }
    var own = adapter();
    var handler = (own && own.act) || (window.payprocActions && window.payprocActions[context.backend]);
    if (!handler) {
      setStatus("pay-status", "");
      showError("pay-error", "The processor asks the customer to confirm the payment, and this page cannot " +
                "show its confirmation for backend \"" + context.backend + "\".");
      return poll();
    }
    setStatus("pay-status", "Confirm the payment with your bank…");
    return Promise.resolve(handler(next, data, purchase.prepared)).then(function (result) {
      if (result && result.closed) {  // the customer closed the processor's window: nothing was confirmed
        setStatus("pay-status", "");
        showError("pay-error", "The payment was not confirmed. Press Pay to confirm it.");
        return;
      }
      if (result && result.error) {
        setStatus("pay-status", "");
        showError("pay-error", result.error.message || "The confirmation failed.");
        return complete({});
      }
      return complete(result && result.params ? result.params : {});
    });
  }

  function complete(params) {
    setStatus("pay-status", "Checking the payment with the processor…");
    return api("POST", "api/complete", {idempotency_key: purchase.key, params: params}).then(answer);
  }

  function poll() {
    if (!purchase) { return Promise.resolve(); }
    var key = purchase.key;
    return new Promise(function (resolve) {
      function again() {
        api("GET", "api/checkout/" + encodeURIComponent(key)).then(function (r) {
          if (!purchase || purchase.key !== key) { resolve(); return; }
          if (r.ok && r.data.state === "awaiting") {
            // The server never saw the attempt (the post was lost on the
            // way): nothing was charged, and Pay pays this purchase, same key.
            purchase.state = "awaiting";
            setStatus("pay-status", "");
            showError("pay-error", "The payment did not reach the server; nothing was charged. Press Pay to pay.");
            lockForm();
            resolve();
            return;
          }
          if (r.ok && r.data.state && (SETTLED[r.data.state] || r.data.state === "requires_action")) {
            resolve(answer({status: r.data.state === "done" ? 200 : 402, ok: r.data.state === "done",
                            data: r.data.state === "failed" ? {charge: r.data, message: failedMessage(r.data)} : r.data}));
            return;
          }
          polling = window.setTimeout(again, POLL_MS);
        });
      }
      polling = window.setTimeout(again, POLL_MS);
    });
  }

  function failedMessage(data) {
    return data.state === "expired" ? "The payment was not completed in time; nothing was charged."
      : "The payment failed" + (data.failure_code ? " (" + data.failure_code + ")" : "") + "; nothing was charged.";
  }

  function pay(event) {
    event.preventDefault();
    var button = $("pay-button");
    if (button.disabled) { return; }  // a second click on a purchase in progress does nothing
    clearMessages("pay");
    busy(button, true);
    var amountMajor = $("amount").value.trim();
    var currency = $("currency").value;
    if (purchase && (purchase.state === "failed" || purchase.state === "expired")) {
      purchase = null;  // nothing was taken: a retry is a new charge
    }
    if (purchase && purchase.state === "requires_action" && charge) {
      purchase.acts = 0;  // the shopper asked again
      act(charge).catch(function (error) { showError("pay-error", error.message); }).then(function () {
        button.setAttribute("aria-busy", "false");
        lockForm();
        return refreshLedger();
      });
      return;
    }
    setStatus("pay-status", "Preparing the payment…");
    prepare(amountMajor, currency).then(function (r) {
      if (!r.ok) { throw new Error(r.data.message); }
      var hosted = r.data.next_action;
      if (hosted && hosted.kind === "redirect" && hosted.url) {  // a hosted checkout: pay there, come back
        setStatus("pay-status", "Taking you to the processor's payment page…");
        window.location.assign(hosted.url);
        return new Promise(function () {});
      }
      setStatus("pay-status", "Asking the processor for a card token…");
      return tokenize(r.data).then(function (paid) {
        var body = {amount_major: amountMajor, currency: currency, idempotency_key: r.data.idempotency_key};
        Object.keys(paid.fields).forEach(function (name) { body[name] = paid.fields[name]; });
        body[r.data.token_field] = paid.token;  // the name the backend expects (see DevTools)
        setStatus("pay-status", "Paying…");
        purchase.state = "created";  // attempted: this key is the purchase until it is settled
        lockForm();
        return api("POST", "api/checkout", body);
      });
    }).then(answer).catch(function (error) {
      setStatus("pay-status", "");
      showError("pay-error", error.message);
    }).then(function () {
      button.setAttribute("aria-busy", "false");
      lockForm();
      return refreshLedger();
    });
  }

  function newPurchase() {
    if (polling) { window.clearTimeout(polling); polling = null; }
    purchase = null;
    remember(null);
    charge = null;
    $("receipt").hidden = true;
    clearMessages("pay");
    lockForm();
    $("amount").focus();
  }

  function refund() {
    if (!charge) { return; }
    var button = $("refund-button");
    clearMessages("refund");
    busy(button, true);
    api("POST", "api/charges/" + charge.id + "/refunds", {}).then(function (r) {
      if (r.status === 201) {
        showReceipt(r.data.charge);
        setStatus("refund-status", "Refunded " + r.data.refund.display + ".", true);
      } else if (r.status === 202) {
        setStatus("refund-status", r.data.message);
      } else {
        showError("refund-error", r.data.message || "The refund failed.");
      }
    }).then(function () {
      busy(button, false);
      return refreshLedger();
    });
  }

  /* The address names a purchase (…/?purchase=<key>): back from a redirect
   * (the return endpoint already asked the processor), a reload, the Back
   * button, a second tab. Show where it stands and go on from there: a
   * purchase in progress is polled, one waiting for the customer's
   * confirmation or not attempted yet is paid by Pay under the same key.
   * Resolves once it is shown (the polling goes on by itself). */
  function resume() {
    var key = new URLSearchParams(window.location.search).get("purchase");
    if (!key) { return Promise.resolve(); }
    return api("GET", "api/checkout/" + encodeURIComponent(key)).then(function (r) {
      if (!r.ok) { remember(null); showError("pay-error", r.data.message || "That purchase is unknown."); return; }
      var amountMajor = String(r.data.display || "").split(" ")[0];
      purchase = {amountMajor: amountMajor, currency: r.data.currency, key: key, prepared: null, state: r.data.state};
      $("currency").value = r.data.currency;
      $("amount").value = amountMajor;
      if (r.data.state === "awaiting") { lockForm(); return; }  // not attempted: Pay pays it
      if (r.data.state === "requires_action") {
        // Not sent back to the processor by itself (a Back from its page
        // would land here and leave again): Pay confirms it.
        track(r.data);
        showReceipt(r.data);
        showError("pay-error", "The payment waits for your confirmation. Press Pay to confirm it.");
        return;
      }
      answer({status: r.data.state === "done" ? 200 : (SETTLED[r.data.state] ? 402 : 202), ok: true,
              data: r.data.state === "failed" || r.data.state === "expired"
                ? {charge: r.data, message: failedMessage(r.data)} : r.data}).then(function () {
        lockForm();
        return refreshLedger();
      });
    });
  }

  function init() {
    var now = new Date();
    $("card-exp").value = ("0" + (now.getMonth() + 1)).slice(-2) + "/" + String(now.getFullYear() + 1).slice(-2);
    $("pay-form").addEventListener("submit", pay);
    $("refund-button").addEventListener("click", refund);
    $("new-purchase").addEventListener("click", newPurchase);
    // Restored from the back/forward cache, the page would show a moment
    // long gone: load it again, the address names the purchase.
    window.addEventListener("pageshow", function (event) { if (event.persisted) { window.location.reload(); } });
    api("GET", "api/context").then(function (r) {
      if (!r.ok) { throw new Error(r.data.message || "The payment context could not be loaded."); }
      context = r.data;
      $("backend-info").textContent = "Backend: " + context.backend + " · the token is posted as \"" +
        context.token_field + "\"" + (context.customer ? " · paying as " + context.customer : "");
      $("token-field-name").textContent = context.token_field;
      return context.script_urls.reduce(function (chain, url) {
        return chain.then(function () { return loadScript(url); });
      }, Promise.resolve());
    }).then(function () {
      var own = adapter();
      if (own && own.mount) { return own.mount(context, $("processor-card"), $("own-card")); }
    }).then(function () {
      lockForm();
      return resume();
    }).then(function () {
      lockForm();
      document.body.dataset.ready = "true";
    }).catch(function (error) {
      $("backend-info").textContent = "";
      showError("pay-error", error.message);
    });
    refreshLedger();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
