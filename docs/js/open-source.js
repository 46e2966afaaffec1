// Pages that show the engine's own source through mkdocstrings (show_source: true, only
// "Inside the engine" and "Adding an op") want it read, but mkdocstrings folds it away by
// default: unfold it.  The API reference pages do not show source, so they are unaffected.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("details.mkdocstrings-source").forEach(function (d) {
    d.open = true;
  });
});
