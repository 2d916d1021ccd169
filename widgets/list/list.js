/* The list page: ticked rows and what to do with them (a workflow action, assign, set a field,
 * print, export), the column chooser, and editing a cell in place.
 *
 * Everything is a call to the server, which checks each row through the record service or the
 * workflow: a refused row comes back with its reason and stays ticked, the others are updated in
 * place. Column choice and order go into the page's address (``cols=``), so a reload, a bookmark
 * and a saved view keep them. */
(function () {
  "use strict";

  function table() { return document.querySelector("table[data-list]"); }
  function bar() { return document.querySelector("[data-bulk-bar]"); }

  function ticked() {
    var t = table();
    return t ? Array.prototype.slice.call(t.querySelectorAll('tbody input[name="ids"]:checked')) : [];
  }

  function tickedIds() { return ticked().map(function (box) { return parseInt(box.value, 10); }); }

  function problem(r) {
    var b = r.body || {};
    var parts = [];
    Object.keys(b.errors || {}).forEach(function (k) { parts = parts.concat(b.errors[k]); });
    return parts.length ? parts.join("；") : (b.detail || b.title || String(r.status));
  }

  function say(html, ok) {
    var out = bar().querySelector("[data-bulk-result]");
    out.innerHTML = "";
    out.className = "bulk-result " + (ok ? "ok" : "error");
    html.forEach(function (node) { out.appendChild(node); });
  }

  function line(text, cls) {
    var p = document.createElement("div");
    p.textContent = text;
    if (cls) p.className = cls;
    return p;
  }

  function count() {
    var b = bar();
    if (b) b.querySelector("[data-bulk-count]").textContent = String(ticked().length);
  }

  /* -- the value input of "set field": follows the chosen field's type ---------------------------- */
  function fields() {
    var node = document.querySelector("[data-edit-fields]");
    return node ? JSON.parse(node.textContent) : [];
  }

  function words() {
    var w = document.querySelector("[data-yes]");
    return {yes: w ? w.getAttribute("data-yes") : "Yes", no: w ? w.getAttribute("data-no") : "No",
            empty: w ? w.getAttribute("data-empty") : ""};
  }

  function editor(f, value) {
    var input;
    if (f.type === "select" || f.type === "boolean") {
      input = document.createElement("select");
      var opts = f.type === "boolean" ? [["true", words().yes], ["false", words().no]] : f.options;
      [["", words().empty]].concat(opts).forEach(function (o) {
        var op = document.createElement("option");
        op.value = o[0];
        op.textContent = o[1];
        input.appendChild(op);
      });
    } else {
      input = document.createElement("input");
      input.type = {date: "date", datetime: "datetime-local", integer: "number", decimal: "text"}[f.type] || "text";
      if (f.type === "decimal") input.inputMode = "decimal";
    }
    input.value = value || "";
    input.setAttribute("aria-label", f.label);
    input.setAttribute("data-field-input", f.key);
    return input;
  }

  function value(input, f) {
    var v = input.value;
    if (v === "") return null;
    if (f.type === "boolean") return v === "true";
    if (f.type === "integer") return /^-?\d+$/.test(v) ? parseInt(v, 10) : v;
    return v;
  }

  function fieldOf(key) { return fields().filter(function (f) { return f.key === key; })[0]; }

  function showValueInput() {
    var b = bar();
    var pick = b && b.querySelector("[data-bulk-field]");
    if (!pick) return;
    var slot = b.querySelector("[data-bulk-value-slot]");
    slot.innerHTML = "";
    slot.appendChild(editor(fieldOf(pick.value), ""));
  }

  /* -- bulk operations ----------------------------------------------------------------------------- */
  function run(op) {
    var b = bar();
    var ids = tickedIds();
    if (!ids.length) { say([line(b.getAttribute("data-none"))], false); return; }
    var body = {op: op, ids: ids, view: b.getAttribute("data-view") || null};
    if (op === "transition") {
      body.action = b.querySelector("[data-bulk-action]").value;
      body.comment = b.querySelector("[data-bulk-comment]").value.trim() || null;
    } else if (op === "assign") {
      body.value = b.querySelector("[data-bulk-assignee]").value;
    } else {
      var f = fieldOf(b.querySelector("[data-bulk-field]").value);
      body.field = f.key;
      body.value = value(b.querySelector("[data-bulk-value-slot] [data-field-input]"), f);
    }
    Sunmao.api("/app/" + b.getAttribute("data-entity") + "/bulk", {json: body}).then(function (r) {
      if (!r.ok) { say([line(problem(r))], false); return; }
      var lines = [line(b.getAttribute("data-done").replace("{n}", r.body.done.length), "done")];
      if (r.body.refused.length) {
        lines.push(line(b.getAttribute("data-refused").replace("{n}", r.body.refused.length), "refused"));
        r.body.refused.forEach(function (x) {
          var row = line(x.name + "：" + x.reason, "refused-row");
          row.setAttribute("data-refused-id", String(x.id));
          lines.push(row);
        });
      }
      say(lines, !r.body.refused.length);
      if (r.body.done.length) refreshRows(r.body.done, r.body.refused);
    });
  }

  /* Rows that changed are read again from the page itself (same filters and columns) and swapped in
   * place; refused rows stay ticked so the user can act on them. */
  function refreshRows(done, refused) {
    fetch(window.location.href, {credentials: "same-origin"}).then(function (r) { return r.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        done.forEach(function (id) {
          var old = table().querySelector('tr[data-id="' + id + '"]');
          var now = fresh.querySelector('table[data-list] tr[data-id="' + id + '"]');
          if (old && now) {
            old.replaceWith(document.importNode(now, true));
          } else if (old) {
            old.remove();  // it no longer matches the list's filters
          }
        });
        refused.forEach(function (x) {
          var row = table().querySelector('tr[data-id="' + x.id + '"]');
          if (row) row.classList.add("refused");
        });
        count();
      });
  }

  function printSelected() {
    var b = bar();
    var ids = tickedIds();
    if (!ids.length) { say([line(b.getAttribute("data-none"))], false); return; }
    var key = b.querySelector("[data-bulk-print]").value;
    window.open("/app/" + b.getAttribute("data-entity") + "/print-selected" + (key ? "/" + key : "") +
                "?ids=" + ids.join(","), "_blank");
  }

  function exportSelected(button) {
    var ids = tickedIds();
    var link = document.querySelector('.page-head a[href*="/export.' + button.getAttribute("data-export-selected") + '"]');
    if (!ids.length) { if (bar()) say([line(bar().getAttribute("data-none"))], false); return; }
    var url = new URL(link.href, window.location.href);
    url.searchParams.set("ids", ids.join(","));
    window.location.href = url.toString();
  }

  /* -- columns: choose, order, apply --------------------------------------------------------------- */
  function move(button) {
    var li = button.closest("li");
    if (button.getAttribute("data-move") === "-1" && li.previousElementSibling) {
      li.parentNode.insertBefore(li, li.previousElementSibling);
    } else if (button.getAttribute("data-move") === "1" && li.nextElementSibling) {
      li.parentNode.insertBefore(li.nextElementSibling, li);
    }
    button.focus();
  }

  function applyColumns(button) {
    var panel = button.closest("[data-columns]");
    var keys = Array.prototype.slice.call(panel.querySelectorAll("li[data-col]"))
      .filter(function (li) { return li.querySelector("input").checked; })
      .map(function (li) { return li.getAttribute("data-col"); });
    var params = new URLSearchParams();
    JSON.parse(button.getAttribute("data-params")).forEach(function (kv) { params.append(kv[0], kv[1]); });
    params.set("cols", keys.join(","));
    var density = new URLSearchParams(window.location.search).get("density");
    if (density) params.set("density", density);
    window.location.search = "?" + params.toString();
  }

  /* -- edit in place ----------------------------------------------------------------------------- */
  function editing() { var t = table(); return t && t.classList.contains("editing"); }

  function openCell(td) {
    if (td.querySelector("[data-field-input]")) return;
    var f = fieldOf(td.getAttribute("data-edit"));
    if (!f) return;
    var input = editor(f, f.type === "datetime" ? (td.getAttribute("data-value") || "").slice(0, 16)
                                                 : td.getAttribute("data-value"));
    td.setAttribute("data-shown", td.innerHTML);
    td.innerHTML = "";
    td.classList.add("cell-editing");
    td.appendChild(input);
    var err = document.createElement("div");
    err.className = "cell-error";
    err.setAttribute("role", "alert");
    td.appendChild(err);
    input.focus();
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); saveCell(td, f, input); }
      if (event.key === "Escape") { event.preventDefault(); closeCell(td, null); }
    });
    if (input.tagName === "SELECT") input.addEventListener("change", function () { saveCell(td, f, input); });
  }

  function closeCell(td, text) {
    td.classList.remove("cell-editing", "has-error");
    td.innerHTML = text === null ? td.getAttribute("data-shown") : "";
    if (text !== null) td.textContent = text;
    td.removeAttribute("data-shown");
  }

  function saveCell(td, f, input) {
    var tr = td.closest("tr");
    var version = parseInt(tr.getAttribute("data-version"), 10);
    var body = {field: f.key, value: value(input, f), version: isNaN(version) ? null : version};
    Sunmao.api("/app/" + table().getAttribute("data-list") + "/" + tr.getAttribute("data-id") + "/cell", {json: body})
      .then(function (r) {
        if (r.ok) {
          tr.setAttribute("data-version", String(r.body.version));
          td.setAttribute("data-value", r.body.value === null ? "" : String(r.body.value));
          closeCell(td, r.body.text);
          td.classList.add("cell-saved");
          return;
        }
        td.classList.add("has-error");
        var b = r.body || {};
        var mine = (b.errors || {})[f.key];
        td.querySelector(".cell-error").textContent = mine ? mine.join("；") : problem(r);
        input.focus();
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var t = table();
    if (!t) return;
    showValueInput();
    count();
    // An editable cell: a double click (or a click in edit mode) edits it; a single click still opens
    // the record, a moment later, unless a second click makes it a double click.
    var pending = null;
    t.addEventListener("click", function (event) {
      if (event.target.closest('input[type="checkbox"]')) setTimeout(count, 0);
      var td = event.target.closest("td[data-edit]");
      if (!td || event.target.closest("a")) return;
      event.stopPropagation();
      if (td.classList.contains("cell-editing") || event.target.closest("input, select, button")) return;
      if (editing()) { openCell(td); return; }
      clearTimeout(pending);
      var href = td.closest("tr").getAttribute("data-href");
      pending = setTimeout(function () { window.location.href = href; }, 300);
    });
    t.addEventListener("dblclick", function (event) {
      var td = event.target.closest("td[data-edit]");
      if (!td) return;
      clearTimeout(pending);
      event.preventDefault();
      openCell(td);
    });
  });

  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-bulk-field]")) showValueInput();
    if (event.target.matches('table[data-list] input[type="checkbox"]')) count();
  });

  document.addEventListener("click", function (event) {
    var target = event.target;
    var runButton = target.closest("[data-bulk-run]");
    if (runButton) { run(runButton.getAttribute("data-bulk-run")); return; }
    if (target.closest("[data-bulk-print-run]")) { printSelected(); return; }
    var exp = target.closest("[data-export-selected]");
    if (exp) { exportSelected(exp); return; }
    var mover = target.closest("[data-move]");
    if (mover) { move(mover); return; }
    var apply = target.closest("[data-columns-apply]");
    if (apply) { applyColumns(apply); return; }
    var toggle = target.closest("[data-edit-toggle]");
    if (toggle) {
      var on = table().classList.toggle("editing");
      toggle.setAttribute("aria-pressed", on ? "true" : "false");
    }
  });
}());
