/* payproc-fake's browser "tokenizer": what a processor's JavaScript does
 * (Stripe.js createToken, Razorpay Checkout...), offline.
 *
 * The page hands it the card as typed; it checks the fields like a real
 * processor's script would and answers a test token chosen from the card
 * number. The number never leaves the browser: only the token is posted to
 * the application's server. Test numbers (any future expiry, any 3-digit CVC):
 *
 *   4242 4242 4242 4242  -> tok_visa                (paid)
 *   4000 0000 0000 0002  -> tok_decline             ("Your card was declined.")
 *   4000 0000 0000 0069  -> tok_expired
 *   4000 0000 0000 9995  -> tok_insufficient_funds
 *   4000 0000 0000 0119  -> tok_processor_error
 *   4000 0000 0000 0259  -> tok_timeout             (outcome unknown, settled later)
 *   4000 0027 6000 3184  -> tok_3ds                 (3-D Secure-like challenge: the code is asked here)
 *   4000 0000 0000 3220  -> tok_3ds_redirect        (the same, on the challenge page: a redirect)
 *   any other valid number -> tok_visa
 *
 * API (a Promise, like Stripe.js):
 *   PayprocFake.createToken(publishableKey, {number, exp_month, exp_year, cvc, name})
 *     -> {token: {id, card: {last4, brand, exp_month, exp_year, name}}}  or  {error: {code, message}}
 * and the page-side adapter payproc.web's checkout page looks up:
 *   window.payprocTokenizers.fake(context, card) -> the same Promise.
 *
 * Customer action ("script" next action of a challenged charge): the page
 * calls window.payprocActions.fake(nextAction), which asks the customer for
 * the challenge's one-time code in a dialog and answers
 *   {params: {challenge, otp}}  (posted to api/complete; the server asks the
 *   processor, which checks the code)  or  {closed: true}  (dialog closed).
 */
(function () {
  "use strict";

  var TOKENS = {
    "4242424242424242": "tok_visa",
    "4000000000000002": "tok_decline",
    "4000000000000069": "tok_expired",
    "4000000000009995": "tok_insufficient_funds",
    "4000000000000119": "tok_processor_error",
    "4000000000000259": "tok_timeout",
    "4000002760003184": "tok_3ds",
    "4000000000003220": "tok_3ds_redirect"
  };

  function luhnOk(digits) {
    var total = 0;
    for (var i = 0; i < digits.length; i++) {
      var value = +digits.charAt(digits.length - 1 - i);
      if (i % 2) { value *= 2; if (value > 9) { value -= 9; } }
      total += value;
    }
    return total % 10 === 0;
  }

  function fail(code, message) {
    return Promise.resolve({error: {code: code, message: message}});
  }

  function createToken(publishableKey, card) {
    if (!publishableKey || String(publishableKey).indexOf("pk_") !== 0) {
      return fail("invalid_key", "Invalid publishable key: the payment context gave none.");
    }
    card = card || {};
    var digits = String(card.number || "").replace(/[\s-]/g, "");
    if (!/^\d{13,19}$/.test(digits) || !luhnOk(digits)) {
      return fail("incorrect_number", "Your card number is incorrect.");
    }
    var month = parseInt(card.exp_month, 10);
    var year = parseInt(card.exp_year, 10);
    if (year < 100) { year += 2000; }
    if (!(month >= 1 && month <= 12)) {
      return fail("invalid_expiry_month", "Your card's expiration month is invalid.");
    }
    var now = new Date();
    if (!(year > now.getFullYear() || (year === now.getFullYear() && month >= now.getMonth() + 1))) {
      return fail("invalid_expiry_year", "Your card's expiration date is in the past.");
    }
    if (!/^\d{3,4}$/.test(String(card.cvc || ""))) {
      return fail("incorrect_cvc", "Your card's security code is incomplete.");
    }
    var token = TOKENS[digits] || "tok_visa";
    return Promise.resolve({
      token: {
        id: token,
        card: {last4: digits.slice(-4), brand: digits.charAt(0) === "4" ? "visa" : "unknown",
               exp_month: month, exp_year: year, name: card.name || ""}
      }
    });
  }

  function element(tag, properties) {
    var node = document.createElement(tag);
    Object.keys(properties).forEach(function (name) { node[name] = properties[name]; });
    return node;
  }

  function askCode(nextAction) {
    var values = (nextAction && nextAction.values) || {};
    return new Promise(function (resolve) {
      var dialog = element("dialog", {id: "fake-challenge"});
      dialog.setAttribute("aria-labelledby", "fake-challenge-title");
      var input = element("input", {id: "fake-challenge-code", inputMode: "numeric", autocomplete: "one-time-code"});
      var confirm = element("button", {type: "button", textContent: "Confirm"});
      var cancel = element("button", {type: "button", textContent: "Cancel"});
      [element("h2", {id: "fake-challenge-title", textContent: "Confirm the payment with your bank"}),
       element("label", {htmlFor: "fake-challenge-code", textContent: "Authentication code"}), input,
       element("p", {className: "help", textContent: values.test_otp_hint || ""}), confirm, cancel
      ].forEach(function (child) { dialog.appendChild(child); });
      document.body.appendChild(dialog);
      function done(result) { dialog.close(); dialog.remove(); resolve(result); }
      confirm.addEventListener("click", function () {
        done({params: {challenge: String(values.challenge || ""), otp: input.value.trim()}});
      });
      cancel.addEventListener("click", function () { done({closed: true}); });
      dialog.addEventListener("cancel", function (event) { event.preventDefault(); done({closed: true}); });
      dialog.showModal();
      input.focus();
    });
  }

  window.PayprocFake = {createToken: createToken, askCode: askCode};
  window.payprocActions = window.payprocActions || {};
  window.payprocActions.fake = askCode;
  window.payprocTokenizers = window.payprocTokenizers || {};
  window.payprocTokenizers.fake = function (context, card) {
    return createToken(context.values && context.values.FAKE_PUB_KEY, card);
  };
})();
