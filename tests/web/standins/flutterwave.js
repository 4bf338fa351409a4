/* A stand-in for Flutterwave v3 inline (https://checkout.flutterwave.com/v3.js):
 * FlutterwaveCheckout(config) opens the modal and calls config.callback(data)
 * after the payment (3-D Secure answered in the modal), config.onclose()
 * when it closes; it returns an object with close(). */
(function () {
  "use strict";
  var standin = window.__standin = window.__standin || {mode: "pay", calls: []};

  window.FlutterwaveCheckout = function (config) {
    standin.calls.push(["FlutterwaveCheckout", {public_key: config.public_key, tx_ref: config.tx_ref,
                                               amount: config.amount, currency: config.currency,
                                               redirect_url: config.redirect_url || null}]);
    var modal = document.createElement("dialog");
    modal.setAttribute("aria-label", "Flutterwave Checkout");
    var api = {close: function () { standin.calls.push(["close"]); if (modal.open) { modal.close(); } modal.remove(); }};
    function button(label, action) {
      var b = document.createElement("button");
      b.type = "button";
      b.textContent = label;
      b.addEventListener("click", action);
      modal.appendChild(b);
    }
    button("Authenticate and pay", function () {
      config.callback({status: "successful", transaction_id: 4000123, tx_ref: config.tx_ref,
                       flw_ref: "FLW-MOCK-standin", amount: config.amount, currency: config.currency});
    });
    button("Fail authentication", function () {
      config.callback({status: "failed", transaction_id: 4000124, tx_ref: config.tx_ref});
    });
    button("Close", function () { api.close(); config.onclose(true); });
    document.body.appendChild(modal);
    modal.showModal();
    return api;
  };
})();
