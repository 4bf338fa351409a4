/* payproc checkout page: adapters for the processors' own browser scripts.
 *
 * window.payprocAdapters[backend] = {
 *   mount(context, container, ownCard)  the processor's card form in the page (optional);
 *   pay(prepared, card)                 -> Promise of {token, fields} or {error: {message}};
 *   act(nextAction, charge, prepared)   -> Promise of {params} (post to api/complete),
 *                                          {closed: true} or {error: {message}}.
 * }
 * `prepared` is the POST api/context answer (values, idempotency_key…). The
 * card never reaches payproc's server: each processor's script collects it.
 * Exactly which calls of each real script are used is listed in
 * docs/checkout-page.md; the browser tests run these adapters against local
 * stand-ins of those calls.
 */
(function () {
  "use strict";

  var adapters = window.payprocAdapters = window.payprocAdapters || {};
  var CLOSED = "The payment window was closed; nothing was paid.";

  function failure(message) { return {error: {message: message}}; }

  /* Stripe.js v3: Stripe(publishableKey[, {stripeAccount}]), elements(),
   * elements.create("card"), card.mount(el), stripe.confirmCardPayment(
   * clientSecret, {payment_method: {card, billing_details}}) — 3-D Secure runs
   * inside it — and stripe.handleNextAction({clientSecret}) for an action the
   * server reports. The page posts the PaymentIntent id as stripeToken.
   * Stripe.js confirms only with an Element made by the same Stripe instance,
   * and an instance works on one account: a direct charge on a connected
   * account (STRIPE_PAYMENT_ACCOUNT in the page's context) needs the Element
   * mounted on that account from the start. */
  var stripe = {instance: null, card: null, account: null};
  adapters.stripe = {
    mount: function (context, container, ownCard) {
      if (typeof window.Stripe !== "function") { throw new Error("Stripe.js did not load."); }
      stripe.account = context.values.STRIPE_PAYMENT_ACCOUNT || null;
      stripe.instance = stripe.account ?
        window.Stripe(context.values.STRIPE_PUB_KEY, {stripeAccount: stripe.account}) :
        window.Stripe(context.values.STRIPE_PUB_KEY);
      stripe.card = stripe.instance.elements().create("card");
      stripe.card.mount(container);
      container.hidden = false;
      ownCard.hidden = true;
    },
    pay: function (prepared, card) {
      var secret = prepared.values.STRIPE_INTENT_SECRET;
      if (!secret) { return Promise.resolve(failure("The payment context has no PaymentIntent to confirm.")); }
      if ((prepared.values.STRIPE_ACCOUNT || null) !== stripe.account) {
        // Confirming on another account than the card form's cannot work
        // (Stripe.js refuses the Element): say so, confirm nothing.
        return Promise.resolve(failure("This payment is made on another Stripe account than the card form " +
                                       "was loaded for; reload the page and pay again."));
      }
      return stripe.instance.confirmCardPayment(secret, {
        payment_method: {card: stripe.card, billing_details: {name: card.name}}
      }).then(function (result) {
        if (result.error) { return failure(result.error.message); }
        return {token: result.paymentIntent.id, fields: {}};
      });
    },
    act: function (nextAction, charge, prepared) {
      var values = nextAction.values || {};
      var secret = values.client_secret || (prepared && prepared.values.STRIPE_INTENT_SECRET);
      return stripe.instance.handleNextAction({clientSecret: secret}).then(function (result) {
        if (result.error) { return failure(result.error.message); }
        return {params: {payment_intent: result.paymentIntent.id}};
      });
    }
  };

  /* Razorpay Checkout (checkout.razorpay.com/v1/checkout.js): new Razorpay(
   * {key, order_id, amount, currency, name, prefill, customer_id, handler,
   * modal: {ondismiss}}), rzp.on("payment.failed", fn), rzp.open(). OTP,
   * 3-D Secure and UPI happen inside Checkout; the handler's
   * razorpay_payment_id is the token, razorpay_order_id and
   * razorpay_signature go along (the server checks the signature). */
  adapters.razorpay = {
    pay: function (prepared) {
      if (typeof window.Razorpay !== "function") { return Promise.resolve(failure("Razorpay Checkout did not load.")); }
      var values = prepared.values;
      return new Promise(function (resolve) {
        var lastFailure = null;
        var options = {
          key: values.key, order_id: values.order_id, amount: values.amount, currency: values.currency,
          name: values.name, prefill: values.prefill || {},
          handler: function (response) {
            resolve({token: response.razorpay_payment_id, fields: {
              razorpay_order_id: response.razorpay_order_id, razorpay_signature: response.razorpay_signature}});
          },
          modal: {ondismiss: function () { resolve(failure(lastFailure || CLOSED)); }}
        };
        if (values.customer_id) { options.customer_id = values.customer_id; }
        var checkout = new window.Razorpay(options);
        checkout.on("payment.failed", function (response) {  // Checkout stays open: the customer may retry
          lastFailure = (response.error && response.error.description) || "The payment failed.";
        });
        checkout.open();
      });
    }
  };

  /* Flutterwave v3 inline (checkout.flutterwave.com/v3.js):
   * FlutterwaveCheckout({public_key, tx_ref, amount, currency,
   * payment_options, customer, callback, onclose}). No redirect_url is
   * passed, so Flutterwave calls `callback` (3-D Secure and OTP run in its
   * modal); the callback's transaction_id is the token (the server verifies
   * it by id and tx_ref). A hosted checkout (CHECKOUT="hosted") is a
   * redirect next action the page follows instead. */
  adapters.flutterwave = {
    pay: function (prepared) {
      if (typeof window.FlutterwaveCheckout !== "function") {
        return Promise.resolve(failure("Flutterwave Checkout did not load."));
      }
      var values = prepared.values;
      return new Promise(function (resolve) {
        var settled = false;
        var modal = window.FlutterwaveCheckout({
          public_key: values.public_key, tx_ref: values.tx_ref, amount: values.amount, currency: values.currency,
          payment_options: values.payment_options, customer: values.customer,
          callback: function (data) {
            settled = true;
            if (modal && typeof modal.close === "function") { modal.close(); }
            if (String(data.status) !== "successful" && String(data.status) !== "completed") {
              resolve(failure("The payment was not completed (" + data.status + ")."));
              return;
            }
            resolve({token: String(data.transaction_id), fields: {tx_ref: String(data.tx_ref || values.tx_ref)}});
          },
          onclose: function () { if (!settled) { settled = true; resolve(failure(CLOSED)); } }
        });
      });
    }
  };
})();
