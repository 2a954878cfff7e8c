// Names the time chosen next to the button (booking/_slot_action.html), so that
// the person sees what the button will book without scrolling back up.
(function () {
  var action = document.querySelector(".slot-action");
  var times = document.querySelector(".slot-times");
  if (!action || !times) {
    return;
  }
  var chosen = action.querySelector(".slot-action__chosen");
  function show(input) {
    chosen.textContent =
      action.dataset.chosenWords + " " + times.dataset.day + ", " +
      input.dataset.time + " — " + input.dataset.site;
  }
  times.addEventListener("change", function (event) {
    if (event.target.name === "slot") {
      show(event.target);
    }
  });
  var checked = times.querySelector("input[name=slot]:checked");
  if (checked) {
    show(checked);
  }
})();
