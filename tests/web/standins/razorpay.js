/* A stand-in for Razorpay Checkout (https://checkout.razorpay.com/v1/checkout.js):
 * new Razorpay(options), .on("payment.failed", fn), .open(). The modal it
 * opens offers what the customer may do: pay (OTP passed), fail the OTP
 * (Checkout reports payment.failed and stays open), close. */
(function () {
  "use strict";
  var standin = window.__standin = window.__standin || {mode: "pay", calls: []};

  function Razorpay(options) {
    standin.calls.push(["Razorpay", {key: options.key, order_id: options.order_id, amount: options.amount,
                                     currency: options.currency, has_handler: typeof options.handler === "function",
                                     has_ondismiss: Boolean(options.modal && options.modal.ondismiss)}]);
    this.options = options;
    this.handlers = {};
  }
  Razorpay.prototype.on = function (event, handler) {
    standin.calls.push(["on", event]);
    this.handlers[event] = handler;
  };
  Razorpay.prototype.open = function () {
    standin.calls.push(["open"]);
    var self = this;
    var modal = document.createElement("dialog");
    modal.setAttribute("aria-label", "Razorpay Checkout");
    function button(label, action) {
      var b = document.createElement("button");
      b.type = "button";
      b.textContent = label;
      b.addEventListener("click", action);
      modal.appendChild(b);
    }
    function close() { modal.close(); modal.remove(); }
    button("Pay with OTP", function () {
      close();
      self.options.handler({razorpay_payment_id: "pay_standin0001", razorpay_order_id: self.options.order_id,
                            razorpay_signature: "sig_from_razorpay"});
    });
    button("Wrong OTP", function () {
      if (self.handlers["payment.failed"]) {
        self.handlers["payment.failed"]({error: {code: "BAD_REQUEST_ERROR", description: "Payment failed: OTP was incorrect",
                                                 reason: "authentication_failed"}});
      }
    });
    button("Close", function () { close(); self.options.modal.ondismiss(); });
    document.body.appendChild(modal);
    modal.showModal();
  };
  window.Razorpay = Razorpay;
})();
