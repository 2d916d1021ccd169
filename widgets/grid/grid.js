/* Editable child tables: add and remove rows, keep the row numbers, tell the form to recompute. */
(function () {
  "use strict";

  function renumber(grid) {
    grid.querySelectorAll("tbody tr[data-row]").forEach(function (tr, i) {
      var idx = tr.querySelector("td.idx");
      if (idx) idx.textContent = String(i + 1);
    });
    grid.dispatchEvent(new CustomEvent("sunmao:grid-changed", {bubbles: true}));
  }

  function addRow(grid, focus) {
    var template = grid.querySelector("template[data-row-template]");
    var row = template.content.firstElementChild.cloneNode(true);
    grid.querySelector("tbody").appendChild(row);
    grid.dispatchEvent(new CustomEvent("sunmao:row-added", {bubbles: true, detail: {row: row}}));
    renumber(grid);
    if (focus) {
      var first = row.querySelector("input:not([type=hidden]), select, textarea");
      if (first) first.focus();
    }
    return row;
  }

  window.SunmaoGrid = {addRow: addRow};

  document.addEventListener("click", function (event) {
    var add = event.target.closest("[data-add-row]");
    if (add) {
      addRow(add.closest("[data-grid]"), true);
      return;
    }
    var remove = event.target.closest("[data-remove-row]");
    if (remove) {
      var grid = remove.closest("[data-grid]");
      remove.closest("tr").remove();
      renumber(grid);
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-grid]").forEach(function (grid) {
      if (!grid.querySelector("tbody tr[data-row]")) addRow(grid, false);
    });
  });
}());
