/* A stand-in for Stripe.js v3 (https://js.stripe.com/v3/), served by the
 * browser tests in its place: the calls payproc's adapter uses, with
 * Stripe's documented answers. window.__standin.mode picks the card's
 * behaviour: "pay", "challenge" (a 3-D Secure page the test answers). */
(function () {
  "use strict";
  var standin = window.__standin = window.__standin || {mode: "pay", calls: []};

  function challenge() {
    return new Promise(function (resolve) {
      var frame = document.createElement("dialog");
      frame.setAttribute("aria-label", "3D Secure 2 Test Page");
      ["Complete authentication", "Fail authentication", "Close"].forEach(function (label) {
        var button = document.createElement("button");
        button.type = "button";
        button.textContent = label;
        button.addEventListener("click", function () { frame.close(); frame.remove(); resolve(label); });
        frame.appendChild(button);
      });
      document.body.appendChild(frame);
      frame.showModal();
    });
  }

  function outcome(secret) {
    var id = String(secret).split("_secret_")[0];
    var paid = {paymentIntent: {id: id, object: "payment_intent", status: "succeeded"}};
    if (standin.mode !== "challenge") { return Promise.resolve(paid); }
    return challenge().then(function (answer) {
      if (answer === "Complete authentication") { return paid; }
      return {error: {type: "card_error", code: "payment_intent_authentication_failure",
                      message: "We are unable to authenticate your payment method. Please choose a different " +
                               "payment method and try again.", payment_intent: {id: id, status: "requires_payment_method"}}};
    });
  }

  /* Like Stripe.js, an Element confirms only through the Stripe instance
   * that created it (otherwise an IntegrationError is thrown at once). */
  window.Stripe = function (key, options) {
    standin.calls.push(["Stripe", key, options || null]);
    var instance = {
      elements: function () {
        standin.calls.push(["elements"]);
        return {create: function (type) {
          standin.calls.push(["elements.create", type]);
          return {__stripe: instance, mount: function (container) {
            standin.calls.push(["element.mount"]);
            var input = document.createElement("input");
            input.setAttribute("aria-label", "Card details (Stripe)");
            container.appendChild(input);
          }};
        }};
      },
      confirmCardPayment: function (secret, data) {
        var card = data && data.payment_method && data.payment_method.card;
        if (card && card.__stripe !== instance) {
          throw new Error("IntegrationError: Please use the same instance of `Stripe` you used to create " +
                          "this Element to confirm the PaymentIntent.");
        }
        standin.calls.push(["confirmCardPayment", secret, Boolean(card)]);
        return outcome(secret);
      },
      handleNextAction: function (options) {
        standin.calls.push(["handleNextAction", options.clientSecret]);
        return outcome(options.clientSecret);
      }
    };
    return instance;
  };
})();
