/* The form engine: live formulas and form rules (the same JSONLogic as the server, through
 * json-logic-js and sunmao-rules.js), collecting values as the API expects them, saving with one
 * JSON call, and showing the server's problem+json errors next to each field.
 *
 * Defaults that depend on other fields (an A customer's order is urgent; a line's special
 * processes come from its product; a foreign order's exchange rate from the rate table) follow
 * those fields until the user sets the value: the server computes them (one preview call when a
 * field they read changes), and a value the user never touched is not sent, so the server's own
 * default decides on save — in the browser and on every other path alike. */
(function () {
  "use strict";
  var form, meta, numberFormat = {}, previewTimer = null, previewSeq = 0;
  var writing = 0;  // > 0 while the form itself sets a value: its events are not the user's

  function fmt(value, scale) {
    if (value === null || value === undefined || value === "" || (typeof value === "number" && !isFinite(value))) {
      return "";
    }
    if (typeof value === "boolean") return value ? (Sunmao.lang === "en" ? "Yes" : "是") : (Sunmao.lang === "en" ? "No" : "否");
    if (typeof value === "number" || (typeof value === "string" && /^-?\d+(\.\d+)?$/.test(value))) {
      var key = String(scale);
      if (!numberFormat[key]) {
        var digits = scale === "" || scale === null || scale === undefined ? undefined : Number(scale);
        numberFormat[key] = new Intl.NumberFormat(Sunmao.lang === "en" ? "en" : "zh-CN",
          digits === undefined ? {} : {minimumFractionDigits: digits, maximumFractionDigits: digits});
      }
      return numberFormat[key].format(Number(value));
    }
    return String(value);
  }

  function read(el) {
    var type = el.getAttribute("data-type");
    if (type === "boolean") return el.checked;
    if (type === "multiselect") {
      return Array.prototype.map.call(el.querySelectorAll("input:checked"), function (c) { return c.value; });
    }
    var v = (el.value || "").trim();
    if (v === "") return null;
    if (type === "decimal") return v.replace(/[,，\s]/g, "");
    if (type === "integer") return /^-?\d+$/.test(v) ? parseInt(v, 10) : v;
    if (type === "link") return /^\d+$/.test(v) ? parseInt(v, 10) : v;
    if (type === "datetime") return v + ":00" + (meta.tz_offset || "+08:00");
    return v;
  }

  function write(el, value) {
    writing++;
    try {
      put(el, value);
    } finally {
      writing--;
    }
  }

  function put(el, value) {
    var type = el.getAttribute("data-type");
    if (type === "boolean") { el.checked = !!value; return; }
    if (type === "multiselect") {
      var wanted = Array.isArray(value) ? value : [];
      el.querySelectorAll("input[type=checkbox]").forEach(function (c) { c.checked = wanted.indexOf(c.value) >= 0; });
      if (el.querySelector("input")) el.querySelector("input").dispatchEvent(new Event("change", {bubbles: true}));
      return;
    }
    el.value = value === null || value === undefined ? "" : String(value);
  }

  function inGrid(el) { return el.closest("[data-grid]"); }

  function wrapOf(el) { return el.closest("[data-field-wrap]"); }

  function usable(el) {
    var wrap = wrapOf(el);
    return !(wrap && wrap.hidden) && !el.disabled && !el.hasAttribute("data-locked");
  }

  function rowValues(tr, forSubmit) {
    var row = {};
    tr.querySelectorAll("[data-field][data-input]").forEach(function (el) {
      row[el.getAttribute("data-field")] = read(el);
    });
    var id = tr.getAttribute("data-row-id");
    if (forSubmit && id) row.id = parseInt(id, 10);
    return row;
  }

  function safeApply(logic, data) {
    try {
      var result = jsonLogic.apply(logic, data);
      return typeof result === "number" && !isFinite(result) ? null : result;
    } catch (e) {
      return null;
    }
  }

  function computeRow(tr, grid) {
    var row = rowValues(tr, false);
    (grid.formulas || []).forEach(function (pair) {
      var key = pair[0];
      row[key] = safeApply(pair[1], row);
      var out = tr.querySelector('[data-computed="' + key + '"]');
      if (out) out.textContent = fmt(row[key], out.getAttribute("data-scale"));
    });
    return row;
  }

  /* The record as the rules see it: every top-level value, grid rows with their computed cells. */
  function snapshot() {
    var data = {};
    form.querySelectorAll("[data-field][data-input]").forEach(function (el) {
      if (!inGrid(el)) data[el.getAttribute("data-field")] = read(el);
    });
    form.querySelectorAll("[data-grid]").forEach(function (box) {
      var key = box.getAttribute("data-grid");
      var grid = meta.grids[key] || {};
      data[key] = Array.prototype.map.call(box.querySelectorAll("tbody tr[data-row]"), function (tr) {
        return computeRow(tr, grid);
      });
    });
    (meta.formulas || []).forEach(function (pair) {
      var key = pair[0];
      data[key] = safeApply(pair[1], data);
      var out = form.querySelector('[data-computed="' + key + '"]:not([data-grid] *)');
      if (out) out.textContent = fmt(data[key], out.getAttribute("data-scale"));
    });
    return data;
  }

  function applyRules(data) {
    (meta.rules || []).forEach(function (rule) {
      var visible = rule.visible === undefined ? true : !!safeApply(rule.visible, data);
      var required = rule.required === undefined ? null : !!safeApply(rule.required, data);
      var locked = rule.read_only === undefined ? null : !!safeApply(rule.read_only, data);
      rule.fields.forEach(function (key) {
        var wrap = form.querySelector('[data-field-wrap="' + key + '"]');
        if (!wrap) return;
        wrap.hidden = !visible;
        if (required !== null) wrap.classList.toggle("is-required", required);
        if (locked !== null) {
          wrap.querySelectorAll("input, select, textarea").forEach(function (el) {
            el.disabled = locked;
            if (locked) el.setAttribute("data-locked", ""); else el.removeAttribute("data-locked");
          });
        }
      });
    });
  }

  function refresh() {
    applyRules(snapshot());
  }

  /* A field whose default follows other fields and that the user has not set: the server's to fill. */
  function following(el, follow) {
    return !!(follow && follow[el.getAttribute("data-field")]) && !el.hasAttribute("data-touched");
  }

  function collect() {
    var values = {};
    form.querySelectorAll("[data-field][data-input]").forEach(function (el) {
      if (inGrid(el) || !usable(el)) return;
      if (following(el, meta.follow)) return;
      values[el.getAttribute("data-field")] = read(el);
    });
    form.querySelectorAll("[data-grid]").forEach(function (box) {
      var wrap = wrapOf(box);
      if (wrap && wrap.hidden) return;
      var follow = (meta.grids[box.getAttribute("data-grid")] || {}).follow;
      // a new row nobody typed into (the grid's spare row at the end) is not a line
      var rows = Array.prototype.filter.call(box.querySelectorAll("tbody tr[data-row]"), function (tr) {
        return tr.getAttribute("data-row-id") || tr.querySelector("[data-touched]");
      });
      box._sent = rows;  // what lines[i] of an answer (errors, preview) refers to
      values[box.getAttribute("data-grid")] = rows.map(function (tr) {
          var row = rowValues(tr, true);
          tr.querySelectorAll("[data-field][data-input]").forEach(function (el) {
            if (following(el, follow)) delete row[el.getAttribute("data-field")];
          });
          return row;
        });
    });
    return values;
  }

  function reads(follow, key) {
    return Object.keys(follow || {}).some(function (target) { return follow[target].indexOf(key) >= 0; });
  }

  /* Ask the server for the defaults of the fields still following others, and show them. */
  function preview() {
    var seq = ++previewSeq;
    Sunmao.api(meta.preview, {json: {values: collect(), id: meta.id}}).then(function (r) {
      if (seq !== previewSeq || !r.ok || !r.body || !r.body.values) return;
      var values = r.body.values;
      form.querySelectorAll("[data-field][data-input]").forEach(function (el) {
        if (!inGrid(el) && following(el, meta.follow)) write(el, values[el.getAttribute("data-field")]);
      });
      form.querySelectorAll("[data-grid]").forEach(function (box) {
        var key = box.getAttribute("data-grid");
        var follow = (meta.grids[key] || {}).follow;
        var rows = values[key] || [];
        (box._sent || []).forEach(function (tr, i) {
          tr.querySelectorAll("[data-field][data-input]").forEach(function (el) {
            if (rows[i] && following(el, follow)) write(el, rows[i][el.getAttribute("data-field")]);
          });
        });
      });
      refresh();
    }).catch(function () { /* offline: the server fills the defaults on save */ });
  }

  /* The user changed ``el``: it is theirs now; defaults that read it are asked for again. */
  function touched(el) {
    var field = el && el.closest("[data-field][data-input]");
    if (!field) return;
    field.setAttribute("data-touched", "");
    var key = field.getAttribute("data-field");
    var box = field.closest("[data-grid]");
    var follow = box ? (meta.grids[box.getAttribute("data-grid")] || {}).follow : meta.follow;
    // a default of the row that reads this cell, or a default of the record that reads this field or grid
    if (reads(follow, key) || reads(meta.follow, box ? box.getAttribute("data-grid") : key)) {
      clearTimeout(previewTimer);
      previewTimer = setTimeout(preview, 200);
    }
  }

  function clearErrors() {
    form.querySelectorAll(".field-error").forEach(function (el) { el.textContent = ""; });
    form.querySelectorAll(".has-error").forEach(function (el) { el.classList.remove("has-error"); });
    var top = form.querySelector("[data-form-error]");
    top.hidden = true;
    top.textContent = "";
  }

  function errorSlot(path) {
    var direct = form.querySelector('[data-error-for="' + CSS.escape(path) + '"]');
    if (direct) return direct;
    var m = /^([a-z][a-z0-9_]*)\[(\d+)\]\.([a-z][a-z0-9_]*)/.exec(path);
    if (m) {
      var box = form.querySelector('[data-grid="' + m[1] + '"]');
      var rows = box && box._sent ? box._sent : form.querySelectorAll('[data-grid="' + m[1] + '"] tbody tr[data-row]');
      var tr = rows[parseInt(m[2], 10)];
      if (tr) return tr.querySelector('[data-cell-error="' + m[3] + '"]');
    }
    m = /^([a-z][a-z0-9_]*)(\[\d+\])?$/.exec(path);
    if (m) return form.querySelector('[data-error-for="' + m[1] + '"]');
    return null;
  }

  function showProblem(body) {
    var top = form.querySelector("[data-form-error]");
    var loose = [];
    var first = null;
    Object.keys(body.errors || {}).forEach(function (path) {
      var messages = body.errors[path].join(" ");
      var slot = errorSlot(path);
      if (slot) {
        slot.textContent = (slot.textContent ? slot.textContent + " " : "") + messages;
        var holder = slot.closest("[data-field-wrap], td");
        if (holder) holder.classList.add("has-error");
        first = first || slot;
      } else {
        loose.push(messages);
      }
    });
    var title = document.createElement("strong");
    title.textContent = body.detail || meta.failed || body.title || "";
    top.appendChild(title);
    loose.forEach(function (text) {
      var div = document.createElement("div");
      div.textContent = text;
      top.appendChild(div);
    });
    top.hidden = false;
    (first || top).scrollIntoView({block: "center", behavior: "smooth"});
  }

  function fill(box, item) {
    var hidden = box.querySelector("[data-field]");
    var key = hidden.getAttribute("data-field");
    var tr = box.closest("tr[data-row]");
    var map, scope;
    if (tr) {
      var gridKey = box.closest("[data-grid]").getAttribute("data-grid");
      map = ((meta.grids[gridKey] || {}).fill || {})[key];
      scope = tr;
    } else {
      map = (meta.fill || {})[key];
      scope = form;
    }
    Object.keys(map || {}).forEach(function (target) {
      var el = scope.querySelector('[data-field="' + target + '"][data-input]');
      if (el && item[map[target]] !== undefined) write(el, item[map[target]]);
    });
  }

  function init() {
    form = document.querySelector("[data-form]");
    var source = document.getElementById("form-meta");
    if (!form || !source) return;
    meta = JSON.parse(source.textContent);
    if (window.SunmaoRules && window.jsonLogic) SunmaoRules.install(jsonLogic, {timeZone: meta.time_zone || "Asia/Shanghai"});
    (meta.given || []).forEach(function (key) {
      var el = form.querySelector('[data-field="' + key + '"][data-input]');
      if (el) el.setAttribute("data-touched", "");
    });
    form.addEventListener("change", function (event) { if (!writing) touched(event.target); });
    form.addEventListener("input", function (event) {
      if (!writing) touched(event.target);
      var holder = event.target.closest("[data-field-wrap], td");
      if (holder && holder.classList.contains("has-error")) {
        holder.classList.remove("has-error");
        holder.querySelectorAll(".field-error").forEach(function (el) { el.textContent = ""; });
      }
      refresh();
    });
    form.addEventListener("change", refresh);
    form.addEventListener("sunmao:grid-changed", refresh);
    form.addEventListener("sunmao:row-added", function (event) {
      var defaults = (meta.grids[event.target.getAttribute("data-grid")] || {}).defaults || {};
      Object.keys(defaults).forEach(function (key) {
        var el = event.detail.row.querySelector('[data-field="' + key + '"][data-input]');
        if (el) write(el, defaults[key]);
      });
    });
    form.addEventListener("sunmao:link-picked", function (event) {
      fill(event.target, event.detail.item);
      touched(event.target.querySelector("[data-field]"));
      refresh();
    });

    document.addEventListener("keydown", function (event) {
      if ((event.ctrlKey || event.metaKey) && (event.key === "s" || event.key === "S")) {
        event.preventDefault();  // Ctrl+S saves, as in every editor
        if (!form.querySelector("[data-save]").disabled) form.requestSubmit();
      }
    });

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      clearErrors();
      var button = form.querySelector("[data-save]");
      var status = form.querySelector("[data-form-status]");
      button.disabled = true;
      status.textContent = meta.saving;
      Sunmao.api(meta.submit, {json: {values: collect(), version: meta.version}}).then(function (r) {
        if (r.ok && r.body && r.body.redirect) {
          window.location.href = r.body.redirect;
          return;
        }
        button.disabled = false;
        status.textContent = "";
        showProblem(r.body || {});
      }).catch(function () {
        button.disabled = false;
        status.textContent = meta.offline;
      });
    });
    refresh();
  }

  document.addEventListener("DOMContentLoaded", init);
}());
