// Irreversible actions ask first. A button with data-confirm="ID" opens the <dialog id="ID"> that
// says what will happen and to whom; "go on" sends the form with confirmed=yes, as the confirmation
// page does without JavaScript. The button pressed is kept (requestSubmit), with its name and value.
(function () {
  "use strict";
  if (typeof HTMLDialogElement !== "function") {
    return; // the server's confirmation page asks instead
  }
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var form = event.target;
    if (!button || !button.hasAttribute("data-confirm") || form.querySelector("input[name=confirmed]")) {
      return;
    }
    var dialog = document.getElementById(button.getAttribute("data-confirm"));
    if (!dialog) {
      return;
    }
    event.preventDefault();
    dialog.returnValue = "";
    dialog.addEventListener(
      "close",
      function () {
        if (dialog.returnValue !== "confirm") {
          button.focus();
          return;
        }
        var input = document.createElement("input");
        input.type = "hidden";
        input.name = "confirmed";
        input.value = "yes";
        input.setAttribute("data-confirm-added", "");
        form.appendChild(input);
        form.requestSubmit(button);
      },
      { once: true }
    );
    dialog.showModal();
  });
  // Back to a page kept in the browser's cache: its forms ask again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("input[data-confirm-added]").forEach(function (input) {
      input.remove();
    });
  });
})();
