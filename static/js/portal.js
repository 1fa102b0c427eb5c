/* Progressive enhancement only: every page works without this file.
   When a form comes back with errors, move the focus to the error summary so
   that keyboard and screen-reader users start at the list of what to fix. */
(function () {
  var summary = document.getElementById("error-summary");
  if (summary && typeof summary.focus === "function") {
    summary.focus();
  }
})();
