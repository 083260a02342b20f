/* Progressive enhancement of long choices (templates/_forms.html); the pages work without it.
   - <select data-filter="time zones">: a text box above the list keeps the options whose label or
     value contains every typed word ("bangkok" finds "Bangkok — Thailand (UTC+7)"), and selects
     the first of them when the chosen one is filtered out.
   - <fieldset data-choice-list>: a text box hides the checkboxes that do not match, the group
     buttons ("Select the ASEAN member states") tick whole groups, and the count follows. */
(function () {
  "use strict";

  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function matcher(query) {
    var words = fold(query).split(/[\s,/]+/).filter(Boolean);
    return function (text) {
      var folded = fold(text);
      return words.every(function (w) { return folded.indexOf(w) !== -1; });
    };
  }

  function filterBox(id, labelText, hintId) {
    var wrap = document.createElement("div");
    wrap.className = "choice-filter";
    var label = document.createElement("label");
    label.className = "field__label";
    label.htmlFor = id;
    label.textContent = labelText;
    var input = document.createElement("input");
    input.type = "search";
    input.id = id;
    input.className = "field__input";
    input.autocomplete = "off";
    if (hintId) { input.setAttribute("aria-describedby", hintId); }
    // Enter in the filter must not submit the form around it
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); }
    });
    wrap.appendChild(label);
    wrap.appendChild(input);
    return { wrap: wrap, input: input };
  }

  function status(id) {
    var p = document.createElement("p");
    p.id = id;
    p.className = "visually-hidden";
    p.setAttribute("role", "status");
    return p;
  }

  function enhanceSelect(select) {
    var noun = select.getAttribute("data-filter") || "choices";
    // The label avoids the words of the form's other labels ("City"): it names the list it searches.
    var hint = document.getElementById(select.id + "-hint");
    var box = filterBox(select.id + "-filter", "Search the " + noun, (hint ? hint.id + " " : "") + select.id + "-found");
    var found = status(select.id + "-found");
    var original = select.cloneNode(true);
    select.parentNode.insertBefore(box.wrap, select);
    select.parentNode.insertBefore(found, select.nextSibling);

    box.input.addEventListener("input", function () {
      var matches = matcher(box.input.value);
      var current = select.value;
      var count = 0;
      var keep = false;
      select.replaceChildren();
      Array.prototype.forEach.call(original.children, function (node) {
        if (node.tagName === "OPTGROUP") {
          var group = node.cloneNode(false);
          Array.prototype.forEach.call(node.children, function (option) {
            if (matches(option.textContent + " " + option.value)) {
              group.appendChild(option.cloneNode(true));
              count += 1;
              keep = keep || option.value === current;
            }
          });
          if (group.children.length) { select.appendChild(group); }
        } else if (node.value === "" || matches(node.textContent + " " + node.value)) {
          select.appendChild(node.cloneNode(true));
          if (node.value !== "") {
            count += 1;
            keep = keep || node.value === current;
          }
        }
      });
      // typing chooses: the first match replaces the empty choice or a choice filtered out
      if (keep || !box.input.value.trim() || (count === 0 && current === "")) {
        select.value = current;
      } else {
        var first = Array.prototype.find.call(select.options, function (o) { return o.value !== ""; });
        if (first) { select.value = first.value; }
      }
      var chosen = select.options[select.selectedIndex];
      found.textContent = count === 0 ? "No " + noun + " match."
        : count + (count === 1 ? " match" : " matches") + "; chosen: " + (chosen ? chosen.textContent : "none") + ".";
    });
  }

  function enhanceChoiceList(list) {
    var boxes = Array.prototype.slice.call(list.querySelectorAll("input[type=checkbox]"));
    var counter = list.querySelector("[data-choice-count]");
    var actions = list.querySelector("[data-choice-actions]");
    var legend = list.querySelector("legend");
    var noun = legend ? legend.textContent.trim().toLowerCase() : "choices";

    function labelOf(box) {
      var label = list.querySelector("label[for='" + box.id + "']");
      return label ? label.textContent.trim() : box.value;
    }

    function recount() {
      var chosen = boxes.filter(function (b) { return b.checked; });
      var text = chosen.length + " of " + boxes.length + " selected";
      if (chosen.length && chosen.length <= 5) { text += ": " + chosen.map(labelOf).join(", "); }
      counter.textContent = text;
    }

    list.addEventListener("change", recount);
    if (actions) {
      actions.hidden = false;
      actions.addEventListener("click", function (event) {
        var button = event.target.closest("button[data-choose]");
        if (!button) { return; }
        var values = button.getAttribute("data-choose").split(" ").filter(Boolean);
        boxes.forEach(function (b) {
          if (!values.length) { b.checked = false; } else if (values.indexOf(b.value) !== -1) { b.checked = true; }
        });
        recount();
      });
    }
    if (boxes.length > 8) {
      var box = filterBox(list.id + "-filter", "Filter the " + noun, null);
      var shown = status(list.id + "-shown");
      var anchor = actions ? actions.nextSibling : counter.nextSibling;
      list.insertBefore(box.wrap, anchor);
      list.insertBefore(shown, box.wrap.nextSibling);
      box.input.addEventListener("input", function () {
        var matches = matcher(box.input.value);
        var count = 0;
        boxes.forEach(function (b) {
          var visible = matches(labelOf(b) + " " + b.value);
          b.closest("li").hidden = !visible;
          count += visible ? 1 : 0;
        });
        Array.prototype.forEach.call(list.querySelectorAll(".choice-list__group"), function (group) {
          group.hidden = !group.querySelector("li:not([hidden])");
        });
        shown.textContent = count + " of " + boxes.length + " shown.";
      });
    }
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("select[data-filter]"), enhanceSelect);
    Array.prototype.forEach.call(document.querySelectorAll("[data-choice-list]"), enhanceChoiceList);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
