// The import page's progress, updated every two seconds; the page reloads itself
// once the job has moved on (preview ready, import done). Without JavaScript the
// page says the same on each reload ("Mettre à jour la page").
(function () {
  "use strict";
  var box = document.getElementById("import-progress");
  if (!box) {
    return;
  }
  var bar = document.getElementById("import-bar");
  var lines = document.getElementById("import-lines");
  var status = document.getElementById("import-status");
  var lastStatus = null;

  function poll() {
    fetch(box.dataset.stateUrl, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      })
      .then(function (state) {
        if (!state.working || (lastStatus && state.status !== lastStatus)) {
          window.location.reload();
          return;
        }
        lastStatus = state.status;
        bar.value = state.percent;
        bar.textContent = state.percent + " %";
        status.textContent = state.words;
        if (state.total) {
          lines.textContent = box.dataset.lines
            .replace("%(done)s", state.done)
            .replace("%(total)s", state.total);
        }
        window.setTimeout(poll, 2000);
      })
      .catch(function () {
        window.setTimeout(poll, 5000);
      });
  }

  window.setTimeout(poll, 1000);
})();
