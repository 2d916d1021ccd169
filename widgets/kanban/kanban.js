/* Kanban drag and drop (SortableJS): a card dropped in another column is saved as a move of the
 * grouping field, with the card's version. On a workflow's state field the server takes the
 * action that leads there; when that action needs fields or a comment, a dialog asks for them and
 * the drop is sent again. A refused move puts the card back and says why. */
(function () {
  "use strict";

  function say(status, text, bad) {
    status.textContent = text;
    status.hidden = !text;
    status.classList.toggle("bad", !!bad);
  }

  function ask(dialog, needs) {
    /* Resolve with {values, comment} once the user confirms, or null when cancelled. */
    var form = dialog.querySelector("form");
    var box = dialog.querySelector(".kanban-needs-fields");
    var comment = dialog.querySelector(".kanban-needs-comment");
    dialog.querySelector("h2").textContent = needs.label;
    box.textContent = "";
    (needs.fields || []).forEach(function (f) {
      var label = document.createElement("label");
      label.textContent = f.label;
      var input = document.createElement("input");
      input.className = "in";
      input.name = f.key;
      input.required = true;
      input.type = f.type === "date" ? "date" : (f.type === "integer" || f.type === "decimal" ? "number" : "text");
      label.appendChild(input);
      box.appendChild(label);
    });
    comment.hidden = !needs.comment;
    comment.querySelector("textarea").required = !!needs.comment;
    comment.querySelector("textarea").value = "";
    return new Promise(function (resolve) {
      dialog.addEventListener("close", function done() {
        dialog.removeEventListener("close", done);
        if (dialog.returnValue !== "ok") { resolve(null); return; }
        var values = {};
        (needs.fields || []).forEach(function (f) { values[f.key] = form.elements[f.key].value; });
        resolve({values: values, comment: needs.comment ? comment.querySelector("textarea").value : ""});
      });
      dialog.returnValue = "";
      dialog.showModal();
      var first = dialog.querySelector("input, textarea:not([hidden])");
      if (first) first.focus();
    });
  }

  function reason(body) {
    if (!body) return "×";
    var parts = [body.detail || body.title];
    Object.keys(body.errors || {}).forEach(function (k) {
      (body.errors[k] || []).forEach(function (m) { if (parts.indexOf(m) < 0 && (body.detail || "").indexOf(m) < 0) parts.push(m); });
    });
    return parts.join("；");
  }

  document.addEventListener("DOMContentLoaded", function () {
    var board = document.querySelector("[data-kanban][data-movable]");
    if (!board || !window.Sunmao || !window.Sortable) return;
    var entity = board.getAttribute("data-entity");
    var field = board.getAttribute("data-field");
    var status = document.querySelector(".kanban-status");
    var dialog = document.querySelector(".kanban-needs");

    function count(column, delta) {
      var n = column.closest(".kanban-col").querySelector(".kanban-count");
      if (n) n.textContent = String(parseInt(n.textContent, 10) + delta);
    }

    function move(event, extra) {
      var card = event.item;
      var body = {field: field, value: event.to.getAttribute("data-value"),
                  version: parseInt(card.getAttribute("data-version"), 10)};
      if (extra) { body.values = extra.values; body.comment = extra.comment; }
      card.setAttribute("aria-busy", "true");
      Sunmao.api("/app/" + entity + "/" + card.getAttribute("data-id") + "/move", {json: body}).then(function (r) {
        card.removeAttribute("aria-busy");
        if (r.ok) {
          card.setAttribute("data-version", String(r.body.version));
          count(event.from, -1);
          count(event.to, 1);
          say(status, "", false);
          return;
        }
        if (r.status === 422 && r.body && r.body.needs && dialog && !extra) {
          ask(dialog, r.body.needs).then(function (answer) {
            if (answer) { move(event, answer); } else { back(event); }
          });
          return;
        }
        back(event);
        say(status, reason(r.body), true);
      });
    }

    function back(event) {
      event.from.insertBefore(event.item, event.from.children[event.oldIndex] || null);
    }

    board.querySelectorAll(".kanban-cards").forEach(function (column) {
      window.Sortable.create(column, {
        group: "kanban", animation: 120, delay: 120, delayOnTouchOnly: true,
        onAdd: function (event) { say(status, "", false); move(event, null); }
      });
    });
  });
}());
