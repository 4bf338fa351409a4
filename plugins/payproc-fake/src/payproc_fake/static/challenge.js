/* The fake processor's challenge page: send the form to the return URL given
 * in the page's query (only an http(s) URL), with the challenge id. */
(function () {
  "use strict";
  var query = new URLSearchParams(window.location.search);
  var back = query.get("return_url") || "";
  if (!/^https?:\/\//.test(back)) {
    document.body.textContent = "This challenge has no return URL.";
    return;
  }
  var form = document.getElementById("challenge-form");
  form.action = back;
  document.getElementById("challenge").value = query.get("challenge") || "";
  var cancel = document.getElementById("cancel");
  cancel.href = back + (back.indexOf("?") < 0 ? "?" : "&") + "challenge=" + encodeURIComponent(query.get("challenge") || "");
})();
