// A page that shows a form's errors puts the focus on their summary, so that a
// screen reader reads it and a keyboard user starts from its links.
(function () {
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
  }
})();
