/* payproc checkout page: adapters for the processors' own browser scripts.
 * Filled in below, one per backend: window.payprocAdapters[backend] =
 *   {mount(context, container, ownCard), pay(prepared, card), act(nextAction, charge, prepared)}.
 */
(function () {
  "use strict";
  window.payprocAdapters = window.payprocAdapters || {};
})();
