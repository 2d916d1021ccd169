/* Editable child tables that work like a spreadsheet.
 *
 * Rows: add and remove, keep the row numbers, tell the form to recompute.
 * Keys: Tab/Shift-Tab and the arrow keys move between cells (left/right once the caret is at the
 * edge of the text); Enter moves down and adds a row after the last one (it never submits the
 * form); Ctrl+D fills the cell from the one above; Ctrl+Delete removes the row.
 * Paste: a block copied from Excel or WPS (tab-separated lines) fills rows and columns from the
 * cell it is pasted into, adding rows as needed; a value a cell cannot take (not a number, no such
 * option, no matching record) is kept in the cell and marked there. A row nobody typed into is
 * not sent (the form skips it), so an extra empty row at the end costs nothing. */
(function () {
  "use strict";
  var EDITABLE = "input:not([type=hidden]):not([disabled]), select:not([disabled]), textarea:not([disabled])";

  function rowsOf(grid) { return Array.prototype.slice.call(grid.querySelectorAll("tbody tr[data-row]")); }

  function renumber(grid) {
    rowsOf(grid).forEach(function (tr, i) {
      var idx = tr.querySelector("td.idx");
      if (idx) idx.textContent = String(i + 1);
    });
    grid.dispatchEvent(new CustomEvent("sunmao:grid-changed", {bubbles: true}));
  }

  /* The editable cells of a row, in order: [td, the element a person types into]. */
  function cellsOf(tr) {
    var out = [];
    tr.querySelectorAll("td[data-cell]").forEach(function (td) {
      var el = td.querySelector(EDITABLE);
      if (el) out.push([td, el]);
    });
    return out;
  }

  function addRow(grid, focus) {
    var template = grid.querySelector("template[data-row-template]");
    var row = template.content.firstElementChild.cloneNode(true);
    grid.querySelector("tbody").appendChild(row);
    grid.dispatchEvent(new CustomEvent("sunmao:row-added", {bubbles: true, detail: {row: row}}));
    renumber(grid);
    if (focus) {
      var first = row.querySelector(EDITABLE);
      if (first) first.focus();
    }
    return row;
  }

  function removeRow(tr) {
    var grid = tr.closest("[data-grid]");
    tr.remove();
    if (!grid.querySelector("tbody tr[data-row]")) addRow(grid, false);
    renumber(grid);
  }

  function place(el) {
    var td = el.closest("td[data-cell]");
    var tr = el.closest("tr[data-row]");
    if (!td || !tr) return null;
    var cells = cellsOf(tr);
    var col = cells.findIndex(function (c) { return c[0] === td; });
    if (col < 0) return null;
    var grid = tr.closest("[data-grid]");
    return {grid: grid, tr: tr, row: rowsOf(grid).indexOf(tr), col: col, cells: cells};
  }

  function focusCell(tr, col) {
    var cells = cellsOf(tr);
    if (!cells.length) return;
    var el = cells[Math.max(0, Math.min(col, cells.length - 1))][1];
    el.focus();
    if (el.select && el.tagName === "INPUT") el.select();
  }

  function atEdge(el, key) {
    if (el.tagName !== "INPUT" || el.selectionStart === null || el.selectionStart === undefined) return true;
    if (el.selectionStart !== el.selectionEnd) return false;
    return key === "ArrowLeft" ? el.selectionStart === 0 : el.selectionEnd === el.value.length;
  }

  function fillDown(here) {
    if (here.row === 0) return;
    var above = cellsOf(rowsOf(here.grid)[here.row - 1])[here.col];
    var target = here.cells[here.col];
    if (!above) return;
    var link = target[0].querySelector("[data-link]");
    if (link) {
      var from = above[0].querySelector("[data-link]");
      var hidden = link.querySelector("[data-field]");
      hidden.value = from.querySelector("[data-field]").value;
      link.querySelector(".link-text").value = from.querySelector(".link-text").value;
      hidden.dispatchEvent(new Event("change", {bubbles: true}));
    } else {
      target[1].value = above[1].value;
      target[1].dispatchEvent(new Event("input", {bubbles: true}));
      target[1].dispatchEvent(new Event("change", {bubbles: true}));
    }
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.isComposing) return;  // handled already, or an IME composing
    var here = place(event.target);
    if (!here) return;
    var list = event.target.closest("[data-link]") && event.target.closest("[data-link]").querySelector(".link-list");
    if (list && !list.hidden && /^(Enter|ArrowUp|ArrowDown|Escape)$/.test(event.key)) return;  // the suggestions' keys
    var key = event.key;
    var rows = rowsOf(here.grid);
    if (key === "Enter" && !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      var next = rows[here.row + (event.shiftKey ? -1 : 1)];
      if (!next && !event.shiftKey) {
        addRow(here.grid, true);  // a new line starts at its first cell, as one types an order
      } else if (next) {
        focusCell(next, here.col);
      }
    } else if ((key === "ArrowDown" || key === "ArrowUp") && event.target.tagName !== "SELECT" &&
               !event.ctrlKey && !event.altKey) {
      var to = rows[here.row + (key === "ArrowDown" ? 1 : -1)];
      if (to) { event.preventDefault(); focusCell(to, here.col); }
    } else if ((key === "ArrowLeft" || key === "ArrowRight") && !event.shiftKey && atEdge(event.target, key)) {
      var col = here.col + (key === "ArrowRight" ? 1 : -1);
      if (col >= 0 && col < here.cells.length) { event.preventDefault(); focusCell(here.tr, col); }
    } else if (key === "Tab" && !event.shiftKey && here.col === here.cells.length - 1 && here.row === rows.length - 1 &&
               here.tr.querySelector("[data-touched]")) {
      event.preventDefault();  // Tab out of the last cell of a filled last row: a new row, like a sheet
      addRow(here.grid, true);
    } else if ((key === "Delete" || key === "Backspace") && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      var stay = rows[here.row + 1] || rows[here.row - 1];
      removeRow(here.tr);
      if (stay && stay.isConnected) focusCell(stay, here.col);
      else focusCell(rowsOf(here.grid)[0], here.col);
    } else if ((key === "d" || key === "D") && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      fillDown(here);
    }
  });

  /* -- paste a block ------------------------------------------------------------------------ */

  function parseBlock(text) {
    var lines = text.replace(/\r\n?/g, "\n").split("\n");
    while (lines.length && lines[lines.length - 1] === "") lines.pop();
    return lines.map(function (line) { return line.split("\t"); });
  }

  function markCell(td, message) {
    var slot = td.querySelector("[data-cell-error]");
    if (slot) slot.textContent = message || "";
    td.classList.toggle("has-error", !!message);
  }

  function en() { return window.Sunmao && Sunmao.lang === "en"; }

  function setCell(td, el, raw) {
    var value = raw.trim();
    markCell(td, "");
    var link = td.querySelector("[data-link]");
    if (link) {
      link.querySelector(".link-text").value = value;
      var hidden = link.querySelector("[data-field]");
      hidden.setAttribute("data-touched", "");
      if (!value) { hidden.value = ""; return null; }
      return window.SunmaoLink.resolve(link, value).then(function (found) {
        if (!found) markCell(td, en() ? "No single record matches “" + value + "”" : "找不到唯一匹配“" + value + "”的记录");
      });
      return;
    }
    var problem = "";
    if (el.tagName === "SELECT") {
      var option = Array.prototype.find.call(el.options, function (o) {
        return o.value === value || o.textContent.trim() === value;
      });
      el.value = option ? option.value : "";
      if (!option && value) problem = (en() ? "Not an option: " : "不是可选项：") + value;
    } else {
      el.value = value;
      var type = el.getAttribute("data-type");
      if ((type === "decimal" || type === "integer") && value && !/^-?[\d,，\s]*\.?\d*$/.test(value)) {
        problem = (en() ? "Not a number: " : "不是数字：") + value;
      }
    }
    el.setAttribute("data-touched", "");
    el.dispatchEvent(new Event("input", {bubbles: true}));  // (the form clears a cell's error on input)
    el.dispatchEvent(new Event("change", {bubbles: true}));
    markCell(td, problem);
  }

  document.addEventListener("paste", function (event) {
    var here = place(event.target);
    if (!here || !event.clipboardData) return;
    var text = event.clipboardData.getData("text/plain");
    if (!text || (text.indexOf("\t") < 0 && text.replace(/\r?\n$/, "").indexOf("\n") < 0)) return;  // one value: the browser pastes it
    event.preventDefault();
    var block = parseBlock(text);
    var rows = rowsOf(here.grid);
    var links = [], plain = [];
    block.forEach(function (values, i) {
      var tr = rows[here.row + i] || addRow(here.grid, false);
      var cells = cellsOf(tr);
      values.forEach(function (raw, j) {
        var cell = cells[here.col + j];
        if (cell) (cell[0].querySelector("[data-link]") ? links : plain).push([cell, raw]);
      });
    });
    // records first: picking one fills its row (a product's price), then the pasted values win
    pasting++;
    Promise.all(links.map(function (job) { return setCell(job[0][0], job[0][1], job[1]); })).then(function () {
      pasting--;
      plain.forEach(function (job) { setCell(job[0][0], job[0][1], job[1]); });
      here.grid.dispatchEvent(new CustomEvent("sunmao:grid-changed", {bubbles: true}));
    });
  });

  /* A record picked in a cell (a product): on to the next cell still empty (the quantity), since
   * what the pick fills in (price, unit, description) needs no typing. Not while pasting. */
  var pasting = 0;
  document.addEventListener("sunmao:link-picked", function (event) {
    if (pasting) return;
    var here = place(event.target.querySelector(".link-text") || event.target);
    if (!here) return;
    setTimeout(function () {  // after the form has filled the row
      var empty = here.cells.slice(here.col + 1).find(function (c) {
        return c[1].tagName !== "SELECT" && !c[0].querySelector("[data-link]") && !c[1].value;
      });
      if (empty) focusCell(here.tr, here.cells.indexOf(empty));
    }, 0);
  });

  window.SunmaoGrid = {addRow: addRow, removeRow: removeRow};

  document.addEventListener("click", function (event) {
    var add = event.target.closest("[data-add-row]");
    if (add) {
      addRow(add.closest("[data-grid]"), true);
      return;
    }
    var remove = event.target.closest("[data-remove-row]");
    if (remove) removeRow(remove.closest("tr"));
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-grid]").forEach(function (grid) {
      if (!grid.querySelector("tbody tr[data-row]")) addRow(grid, false);
    });
  });
}());
