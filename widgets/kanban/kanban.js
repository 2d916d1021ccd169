/* Kanban drag and drop (SortableJS): a card dropped in another column is saved as an update of
 * the grouping field, with the card's version; a refused move puts the card back. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var board = document.querySelector("[data-kanban][data-movable]");
    if (!board || !window.Sortable) return;
    var entity = board.getAttribute("data-entity");
    var field = board.getAttribute("data-field");
    board.querySelectorAll(".kanban-cards").forEach(function (column) {
      window.Sortable.create(column, {
        group: "kanban", animation: 120, delay: 120, delayOnTouchOnly: true,
        onAdd: function (event) {
          var card = event.item;
          var value = event.to.getAttribute("data-value");
          Sunmao.api("/app/" + entity + "/" + card.getAttribute("data-id") + "/move",
            {json: {field: field, value: value, version: parseInt(card.getAttribute("data-version"), 10)}})
            .then(function (r) {
              if (r.ok) {
                card.setAttribute("data-version", String(r.body.version));
              } else {
                event.from.insertBefore(card, event.from.children[event.oldIndex] || null);
                window.alert((r.body && (r.body.detail || r.body.title)) || "×");
              }
            });
        }
      });
    });
  });
}());
