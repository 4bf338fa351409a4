/* payproc checkout demo page.
 *
 * The checkout in three steps (the seed's "checkout HTTP timing"):
 *   1. POST api/context with the amount: the server records the charge and
 *      answers the backend's public values and the charge's idempotency key;
 *   2. the processor's script (window.payprocTokenizers[backend], loaded from
 *      the context's script_urls) turns the card into a one-time token — the
 *      card number never reaches this server;
 *   3. POST api/checkout with the token in the backend's token field
 *      (context.token_field, e.g. "stripeToken") and the idempotency key.
 * URLs are relative so the app can be mounted under any prefix.
 */
(function () {
  "use strict";

  var $ = function (id) { return document.getElementById(id); };
  var context = null;   // GET api/context: backend, token_field, script_urls, values
  var prepared = null;  // the last POST api/context whose charge was not attempted yet
  var charge = null;    // the charge on the receipt

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

  function tokenize(preparedContext) {
    var testToken = $("test-token").value.trim();
    if (testToken) { return Promise.resolve({id: testToken}); }
    var tokenizer = window.payprocTokenizers && window.payprocTokenizers[context.backend];
    if (!tokenizer) {
      return Promise.reject(new Error("This page has no card form for backend \"" + context.backend +
                                      "\": use the developer test token field."));
    }
    return tokenizer(preparedContext, cardFields()).then(function (result) {
      if (result.error) { throw new Error(result.error.message); }
      return result.token;
    });
  }

  function prepare(amountMajor, currency) {
    var body = {amount_major: amountMajor, currency: currency};
    if (prepared && prepared.amount_major === amountMajor && prepared.currency === currency) {
      body.idempotency_key = prepared.data.idempotency_key;  // same payment: same charge
    }
    return api("POST", "api/context", body).then(function (r) {
      if (r.ok) { prepared = {amount_major: amountMajor, currency: currency, data: r.data}; }
      return r;
    });
  }

  function pay(event) {
    event.preventDefault();
    var button = $("pay-button");
    clearMessages("pay");
    busy(button, true);
    var amountMajor = $("amount").value.trim();
    var currency = $("currency").value;
    setStatus("pay-status", "Preparing the payment…");
    prepare(amountMajor, currency).then(function (r) {
      if (!r.ok) { throw new Error(r.data.message); }
      setStatus("pay-status", "Asking the processor for a card token…");
      return tokenize(r.data).then(function (token) {
        var body = {amount_major: amountMajor, currency: currency, idempotency_key: r.data.idempotency_key};
        body[r.data.token_field] = token.id;  // the name the backend expects (see DevTools)
        setStatus("pay-status", "Paying…");
        prepared = null;  // this charge is now attempted: a new payment gets a new key
        return api("POST", "api/checkout", body);
      });
    }).then(function (r) {
      if (r.status === 200) {
        setStatus("pay-status", "Paid " + r.data.display + ".", true);
        showReceipt(r.data);
      } else if (r.status === 202) {
        setStatus("pay-status", r.data.message || "The payment is in progress.");
        showReceipt(r.data.charge || r.data);
      } else {
        setStatus("pay-status", "");
        showError("pay-error", r.data.message || "The payment failed.");
      }
    }).catch(function (error) {
      setStatus("pay-status", "");
      showError("pay-error", error.message);
    }).then(function () {
      busy(button, false);
      return refreshLedger();
    });
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

  function init() {
    var now = new Date();
    $("card-exp").value = ("0" + (now.getMonth() + 1)).slice(-2) + "/" + String(now.getFullYear() + 1).slice(-2);
    $("pay-form").addEventListener("submit", pay);
    $("refund-button").addEventListener("click", refund);
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
      $("pay-button").disabled = false;
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
