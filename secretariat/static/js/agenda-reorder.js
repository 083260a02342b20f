/* Drag and drop, and its keyboard equivalent, to reorder and re-nest the items of an agenda draft.

   A progressive enhancement over the forms that work without it: each item's edit page moves it with
   buttons (up, down, in, out, to a number), which also stay the single-pointer alternative to dragging
   (WCAG 2.2, 2.5.7). A drop posts the same "move to number" form the edit page has, then puts the
   agenda the server answers in place of the old one, without loading the page again.

   Keyboard: the "Move" button of an item picks it up; the arrow keys move it (up, down, right to make it
   a sub-item of the item above, left to move it out a level); Enter or Space drops it, Escape puts it back.
   Every step is announced in a live region. */
(function () {
  "use strict";

  var list = document.querySelector("ol.agenda[data-reorder]");
  if (!list || !window.fetch || !window.DOMParser) {
    return;
  }
  var MAX_DEPTH = 3;
  var holder = list.closest("[data-csrf]");
  if (!holder) {
    return;
  }
  var token = holder.getAttribute("data-csrf");
  var picked = null; // the item being moved with the keyboard
  var before = null; // the list's order and levels when it was picked up, to put back on Escape
  var dragged = null;

  var sheet = document.createElement("link");
  sheet.rel = "stylesheet";
  sheet.href = document.currentScript ? document.currentScript.src.replace(/js\/agenda-reorder\.js.*$/, "css/agenda-reorder.css") : "";
  document.head.appendChild(sheet);

  var help = document.createElement("p");
  help.id = "reorder-help";
  help.className = "reorder-help";
  help.textContent = "To reorder: drag an item, or press its Move button, then the arrow keys " +
    "(up and down; right to make it a sub-item of the item above; left to move it out a level), " +
    "and Enter to drop it or Escape to cancel. Each item's Edit page has the same moves as buttons.";
  var live = document.createElement("p");
  live.className = "visually-hidden";
  live.setAttribute("aria-live", "assertive");
  live.id = "reorder-status";
  list.parentNode.insertBefore(help, list);
  list.parentNode.insertBefore(live, list);

  function say(text) {
    live.textContent = "";
    window.setTimeout(function () { live.textContent = text; }, 50);
  }

  function rows() { return Array.prototype.slice.call(list.children); }
  function depthOf(li) { var m = /agenda-item--depth-(\d)/.exec(li.className); return m ? Number(m[1]) : 1; }
  function setDepth(li, depth) {
    li.className = li.className.replace(/agenda-item--depth-\d/, "agenda-item--depth-" + depth);
  }
  function titleOf(li) { return li.querySelector(".agenda-item__title").textContent.trim(); }
  function numberSpan(li) { return li.querySelector(".agenda-item__number"); }

  /* The item and its sub-items: the rows from it to the next one at its level or above. */
  function block(li) {
    var all = rows(), start = all.indexOf(li), depth = depthOf(li), end = start + 1;
    while (end < all.length && depthOf(all[end]) > depth) { end += 1; }
    return all.slice(start, end);
  }
  function height(li) {
    var depth = depthOf(li);
    return block(li).reduce(function (most, row) { return Math.max(most, depthOf(row) - depth + 1); }, 1);
  }
  function previousSibling(li) {
    var all = rows(), depth = depthOf(li);
    for (var i = all.indexOf(li) - 1; i >= 0; i -= 1) {
      if (depthOf(all[i]) < depth) { return null; }
      if (depthOf(all[i]) === depth) { return all[i]; }
    }
    return null;
  }
  function nextSibling(li) {
    var rest = rows().slice(rows().indexOf(li) + block(li).length);
    if (rest.length && depthOf(rest[0]) === depthOf(li)) { return rest[0]; }
    return null;
  }
  function parentOf(li) {
    var all = rows(), depth = depthOf(li);
    for (var i = all.indexOf(li) - 1; i >= 0; i -= 1) {
      if (depthOf(all[i]) < depth) { return all[i]; }
    }
    return null;
  }
  function insertBlock(moving, reference) { // before reference, or at the end when it is null
    moving.forEach(function (row) { list.insertBefore(row, reference); });
  }
  function shift(moving, by) { moving.forEach(function (row) { setDepth(row, depthOf(row) + by); }); }

  /* Numbers as the agenda would show them now (1, 2, 2.1 …), written into the rows while moving. */
  function renumber() {
    var counters = [];
    rows().forEach(function (row) {
      var depth = depthOf(row);
      counters = counters.slice(0, depth);
      while (counters.length < depth) { counters.push(0); }
      counters[depth - 1] += 1;
      numberSpan(row).textContent = counters.join(".");
    });
  }
  function where(li) { return "“" + titleOf(li) + "” is now at " + numberSpan(li).textContent; }

  /* The target the server's move form expects: the new parent by its number before the move, then the place. */
  function target(li) {
    var parent = parentOf(li), depth = depthOf(li), index = 1;
    var all = rows();
    for (var i = all.indexOf(li) - 1; i >= 0 && all[i] !== parent; i -= 1) {
      if (depthOf(all[i]) === depth) { index += 1; }
    }
    return (parent ? parent.getAttribute("data-number") + "." : "") + index;
  }

  function step(key) {
    var li = picked, moving = block(li), other;
    if (key === "ArrowUp") {
      other = previousSibling(li);
      if (!other) { return say("“" + titleOf(li) + "” is already the first at its level."); }
      insertBlock(moving, other);
    } else if (key === "ArrowDown") {
      other = nextSibling(li);
      if (!other) { return say("“" + titleOf(li) + "” is already the last at its level."); }
      insertBlock(moving, block(other).slice(-1)[0].nextElementSibling);
    } else if (key === "ArrowRight") {
      if (!previousSibling(li)) { return say("No item above “" + titleOf(li) + "” at its level to go under."); }
      if (depthOf(li) + height(li) > MAX_DEPTH) { return say("Sub-items can go " + MAX_DEPTH + " levels deep at most."); }
      shift(moving, 1);
    } else if (key === "ArrowLeft") {
      other = parentOf(li);
      if (!other) { return say("“" + titleOf(li) + "” is already at the top level."); }
      var after = block(other).slice(-1)[0].nextElementSibling;
      insertBlock(moving, after);
      shift(moving, -1);
    }
    renumber();
    li.querySelector(".reorder-handle").focus();
    say(where(li) + ". Enter to drop it there, Escape to cancel.");
  }

  function snapshot() { return rows().map(function (row) { return [row, depthOf(row)]; }); }
  function restore(saved) {
    saved.forEach(function (pair) { setDepth(pair[0], pair[1]); list.appendChild(pair[0]); });
    renumber();
  }

  function pick(li) {
    picked = li;
    before = snapshot();
    li.classList.add("agenda-item--picked");
    li.querySelector(".reorder-handle").setAttribute("aria-pressed", "true");
    say("Picked up “" + titleOf(li) + "”, item " + numberSpan(li).textContent +
      ". Arrow keys move it, Enter drops it, Escape cancels.");
  }
  function release() {
    if (!picked) { return; }
    picked.classList.remove("agenda-item--picked");
    picked.querySelector(".reorder-handle").setAttribute("aria-pressed", "false");
    picked = null;
  }
  function cancel() {
    var li = picked;
    release();
    restore(before);
    li.querySelector(".reorder-handle").focus();
    say("Move cancelled: “" + titleOf(li) + "” is back at " + numberSpan(li).textContent + ".");
  }

  /* Saves the move the rows now show, as the edit page's "move to number" form would. */
  function save(li, saved) {
    var to = target(li), id = li.id;
    if (to === li.getAttribute("data-number")) {
      restore(saved);
      return say("“" + titleOf(li) + "” did not move.");
    }
    var body = new FormData();
    body.append("csrf_token", token);
    body.append("action", "position");
    body.append("target", to);
    var url = li.querySelector(".item-controls a").getAttribute("href").replace(/\/edit$/, "/move");
    say("Saving…");
    fetch(url, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.text();
      })
      .then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var fresh = page.querySelector("ol.agenda");
        var message = page.querySelector(".flashes");
        if (!fresh) { throw new Error("no agenda in the answer"); }
        list.innerHTML = fresh.innerHTML;
        enhance();
        var moved = document.getElementById(id);
        if (moved) { moved.querySelector(".reorder-handle").focus(); }
        say(message ? message.textContent.trim() : "Saved.");
      })
      .catch(function () {
        restore(saved);
        say("The move could not be saved. Reload the page and try again, or use the item's Edit page.");
      });
  }

  function onHandleClick(event) {
    var li = event.currentTarget.closest("li");
    if (picked === li) {
      var saved = before;
      release();
      save(li, saved);
    } else {
      if (picked) { cancel(); }
      pick(li);
    }
  }
  function onKey(event) {
    if (!picked || event.currentTarget.closest("li") !== picked) { return; }
    if (event.key === "Escape") {
      event.preventDefault();
      cancel();
    } else if (["ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight"].indexOf(event.key) >= 0) {
      event.preventDefault();
      step(event.key);
    }
  }

  /* Mouse: drop on the upper half of an item to go before it, on the lower half to go after it (and its
     sub-items), and on its lower right part to become its first sub-item. */
  function placeOf(event, li) {
    var box = li.getBoundingClientRect();
    if (event.clientY < box.top + box.height / 2) { return "before"; }
    return event.clientX > box.left + 64 && depthOf(li) < MAX_DEPTH ? "under" : "after";
  }
  function clearMarks() {
    rows().forEach(function (row) { row.classList.remove("drop-before", "drop-after", "drop-under"); });
  }
  function onDragOver(event) {
    var li = event.currentTarget;
    if (!dragged || block(dragged).indexOf(li) >= 0) { return; }
    event.preventDefault();
    clearMarks();
    li.classList.add("drop-" + placeOf(event, li));
  }
  function onDrop(event) {
    var li = event.currentTarget;
    if (!dragged || block(dragged).indexOf(li) >= 0) { return; }
    event.preventDefault();
    clearMarks();
    var place = placeOf(event, li), moving = block(dragged), saved = snapshot();
    var depth = place === "under" ? depthOf(li) + 1 : depthOf(li);
    if (depth + height(dragged) - 1 > MAX_DEPTH) {
      return say("Sub-items can go " + MAX_DEPTH + " levels deep at most.");
    }
    var reference = place === "before" ? li : (place === "under" ? li.nextElementSibling : block(li).slice(-1)[0].nextElementSibling);
    insertBlock(moving, reference);
    shift(moving, depth - depthOf(dragged));
    renumber();
    save(dragged, saved);
  }

  function enhance() {
    rows().forEach(function (li) {
      var number = numberSpan(li).textContent.trim();
      li.setAttribute("data-number", number);
      var handle = document.createElement("button");
      handle.type = "button";
      handle.className = "reorder-handle";
      handle.setAttribute("aria-pressed", "false");
      handle.setAttribute("aria-describedby", "reorder-help");
      var grip = document.createElement("span");
      grip.setAttribute("aria-hidden", "true");
      grip.textContent = "⠿";
      var name = document.createElement("span");
      name.className = "visually-hidden";
      name.textContent = "Move item " + number;
      handle.appendChild(grip);
      handle.appendChild(name);
      handle.addEventListener("click", onHandleClick);
      handle.addEventListener("keydown", onKey);
      li.draggable = true; // Chromium starts no drag from a button: the item itself is what the mouse drags
      li.querySelector(".agenda-item__head").insertBefore(handle, numberSpan(li));
      li.addEventListener("dragstart", function (event) {
        dragged = li;
        event.dataTransfer.effectAllowed = "move";
        event.dataTransfer.setData("text/plain", titleOf(li));
        li.classList.add("agenda-item--picked");
      });
      li.addEventListener("dragend", function () {
        li.classList.remove("agenda-item--picked");
        clearMarks();
        dragged = null;
      });
      li.addEventListener("dragover", onDragOver);
      li.addEventListener("drop", onDrop);
    });
  }

  enhance();
}());
