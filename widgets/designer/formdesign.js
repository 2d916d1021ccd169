/* The form editor: fields dragged from the palette into sections and columns (SortableJS),
 * section titles and columns, a field's span and help text, conditions that show or require it
 * (the form document's rules), and the live preview — the real form from the draft. */
(function () {
  "use strict";
  var D = window.Designer, W = D.W, setup = D.setup;
  var doc, entity, entityDoc = null, specs = {}, selected = null, preview;
  var address = setup.address;

  function save(summary) { D.changed(address, function () { return doc; }, summary); }
  function keyOf(item) { return typeof item === "string" ? item : item.field; }
  function fieldOf(key) { return (entity.fields || []).filter(function (f) { return f.key === key; })[0]; }
  function label(key) { var f = fieldOf(key); return f ? D.text(f.label) + " (" + key + ")" : key; }
  function placed() {
    var keys = [];
    doc.sections.forEach(function (s) { s.fields.forEach(function (i) { keys.push(keyOf(i)); }); });
    return keys;
  }
  function ruleFor(key, kind) {
    return (doc.rules || []).filter(function (r) { return r.fields.length === 1 && r.fields[0] === key && kind in r; })[0];
  }
  function inRules(key) { return (doc.rules || []).some(function (r) { return r.fields.indexOf(key) >= 0; }); }

  function item(key) {
    var spec = specs[key];
    var span = spec && typeof spec === "object" && spec.span ? spec.span : 1;
    var e = D.el("div", {"class": "dz-item span-" + span + (selected === key ? " on" : ""), "data-field": key,
                         tabindex: "0", role: "button"},
      [D.el("span", {text: label(key)}), inRules(key) ? D.el("span", {"class": "dz-rule-mark", text: "⚑", title: W.visible_when}) : null]);
    e.addEventListener("click", function () { choose(key); });
    return e;
  }

  /* The document's sections from the page, in the order the person arranged them. */
  function collect() {
    var boxes = document.querySelectorAll("[data-section]");
    doc.sections = Array.prototype.map.call(boxes, function (box) {
      var i = parseInt(box.getAttribute("data-section"), 10);
      var old = doc.sections[i] || {};
      var fields = Array.prototype.map.call(box.querySelectorAll(".dz-drop > [data-field]"), function (e) {
        var key = e.getAttribute("data-field");
        return specs[key] || key;
      });
      var out = {};
      if (old.label) out.label = old.label;
      out.columns = old.columns || 2;
      out.fields = fields;
      return out;
    }).filter(function (s) { return s.fields.length; });
    if (!doc.sections.length) doc.sections = [{columns: 2, fields: [entity.fields[0].key]}];
  }

  function drawPalette() {
    var box = document.querySelector("[data-dz-palette]");
    box.innerHTML = "";
    var used = placed();
    entity.fields.forEach(function (f) {
      var e = D.el("div", {"class": "dz-item" + (used.indexOf(f.key) >= 0 ? " placed" : ""), "data-field": f.key,
                           "data-search": (f.key + " " + D.text(f.label)).toLowerCase()}, [D.text(f.label)]);
      box.appendChild(e);
    });
    window.Sortable.create(box, {group: {name: "form", pull: "clone", put: false}, sort: false, filter: ".placed", forceFallback: true,
                                 animation: 100});
    filterPalette();
  }
  function filterPalette() {
    var q = (document.querySelector("[data-dz-palette-search]").value || "").trim().toLowerCase();
    document.querySelectorAll("[data-dz-palette] [data-field]").forEach(function (e) {
      e.hidden = q !== "" && e.getAttribute("data-search").indexOf(q) < 0;
    });
  }

  function drawSections() {
    var box = document.querySelector("[data-dz-sections]");
    box.innerHTML = "";
    specs = {};
    doc.sections.forEach(function (s, i) {
      s.fields.forEach(function (it) { specs[keyOf(it)] = it; });
      var zh = D.el("input", {type: "text", value: (s.label || {}).zh || "", placeholder: W.section_label + " · 中文",
                              "data-section-label": i + ".zh"});
      var en = D.el("input", {type: "text", value: (s.label || {}).en || "", placeholder: W.section_label + " · English",
                              "data-section-label": i + ".en"});
      function setLabel() {
        if (!zh.value && !en.value) delete s.label;
        else s.label = {zh: zh.value || en.value, en: en.value || zh.value};
        save({zh: "分区标题", en: "section title"});
      }
      zh.addEventListener("input", setLabel); en.addEventListener("input", setLabel);
      var cols = D.el("select", {"aria-label": W.columns_n, "data-section-columns": i}, [1, 2, 3, 4].map(function (n) {
        return D.el("option", {value: n, text: n + " " + W.columns_n, selected: n === (s.columns || 2)}); }));
      cols.addEventListener("change", function () { s.columns = parseInt(cols.value, 10); drop.className = "dz-drop cols-" + s.columns; save({zh: "分区列数", en: "section columns"}); });
      var drop = D.el("div", {"class": "dz-drop cols-" + (s.columns || 2), "data-drop": i},
                      s.fields.map(function (it) { return item(keyOf(it)); }));
      var remove = D.el("button", {"class": "x", type: "button", text: "×", title: W.remove, onclick: function () {
        doc.sections.splice(i, 1);
        if (!doc.sections.length) doc.sections = [{columns: 2, fields: s.fields}];
        save({zh: "删除分区", en: "removed a section"}); drawAll(); }});
      box.appendChild(D.el("section", {"class": "dz-section", "data-section": i}, [
        D.el("div", {"class": "dz-section-head"}, [zh, en, cols, remove]), drop]));
      window.Sortable.create(drop, {group: {name: "form", pull: true, put: true}, animation: 100, forceFallback: true,
        onAdd: function (e) {
          var key = e.item.getAttribute("data-field");
          if (e.pullMode === "clone") {  // from the palette: a chip of our own in its place
            var chip = item(key);
            e.item.replaceWith(chip);
          }
          changedLayout(key, e.pullMode === "clone");
        },
        onUpdate: function () { changedLayout(null, false); },
        onRemove: function () { changedLayout(null, false); }});
    });
  }

  function changedLayout(key, added) {
    collect();
    drawPalette();
    save(added ? {zh: "放置字段 " + key, en: "placed field " + key} : {zh: "调整表单布局", en: "rearranged the form"});
  }

  function drawAll() { drawSections(); drawPalette(); drawProps(); }

  // -- the selected field ------------------------------------------------------------------------
  function choose(key) {
    selected = key;
    document.querySelectorAll(".dz-drop [data-field]").forEach(function (e) {
      e.classList.toggle("on", e.getAttribute("data-field") === key); });
    drawProps();
  }

  function condition(kind, key) {
    var rule = ruleFor(key, kind);
    var expr = rule ? rule[kind] : null;
    var simple = null;
    if (expr && typeof expr === "object") {
      var op = Object.keys(expr)[0], args = expr[op];
      if ((op === "==" || op === "!=") && Array.isArray(args) && args[0] && args[0]["var"] !== undefined) {
        simple = {op: op, field: args[0]["var"], value: args[1]};
      } else if ((op === "!!" || op === "!") && args && (Array.isArray(args) ? args[0] : args)["var"] !== undefined) {
        simple = {op: op, field: (Array.isArray(args) ? args[0] : args)["var"], value: ""};
      }
    }
    var fieldSel = D.el("select", {"data-cond-field": kind}, [D.el("option", {value: "", text: W.always})].concat(
      entity.fields.filter(function (f) { return f.key !== key && f.type !== "table"; }).map(function (f) {
        return D.el("option", {value: f.key, text: D.text(f.label), selected: simple && simple.field === f.key}); })));
    var opSel = D.el("select", {"data-cond-op": kind}, [["==", W.op_eq], ["!=", W.op_ne], ["!!", W.op_set], ["!", W.op_unset]].map(function (o) {
      return D.el("option", {value: o[0], text: o[1], selected: simple && simple.op === o[0]}); }));
    var valueBox = D.el("span");
    function valueControl() {
      valueBox.innerHTML = "";
      var f = fieldOf(fieldSel.value);
      var current = simple ? simple.value : "";
      if (opSel.value === "!!" || opSel.value === "!") return null;
      var control;
      if (f && f.options) {
        control = D.el("select", {"data-cond-value": kind}, f.options.map(function (o) {
          return D.el("option", {value: o.value, text: D.text(o.label), selected: o.value === current}); }));
      } else if (f && f.type === "boolean") {
        control = D.el("select", {"data-cond-value": kind}, [["true", "✓"], ["false", "✗"]].map(function (o) {
          return D.el("option", {value: o[0], text: o[1], selected: String(current) === o[0]}); }));
      } else {
        control = D.el("input", {type: "text", value: current === undefined ? "" : current, "data-cond-value": kind});
      }
      control.addEventListener("change", apply);
      valueBox.appendChild(control);
      return control;
    }
    function apply() {
      doc.rules = (doc.rules || []).filter(function (r) { return !(r.fields.length === 1 && r.fields[0] === key && kind in r && Object.keys(r).length === 3); });
      var existing = ruleFor(key, kind);
      var f = fieldOf(fieldSel.value);
      if (!fieldSel.value) {
        if (existing) delete existing[kind];
        doc.rules = doc.rules.filter(function (r) { return Object.keys(r).length > 2; });
      } else {
        var valueInput = valueBox.querySelector("[data-cond-value]");
        var value = valueInput ? valueInput.value : null;
        if (f && f.type === "boolean") value = value === "true";
        if (f && (f.type === "integer" || f.type === "decimal") && value !== "" && !isNaN(Number(value))) value = Number(value);
        var v = {"var": fieldSel.value};
        var expr2 = opSel.value === "!!" || opSel.value === "!" ? {} : null;
        if (expr2) expr2[opSel.value] = [v]; else { expr2 = {}; expr2[opSel.value] = [v, value]; }
        if (existing) existing[kind] = expr2;
        else { var rule = {id: "r_" + key + "_" + kind, fields: [key]}; rule[kind] = expr2; doc.rules.push(rule); }
      }
      if (!doc.rules.length) delete doc.rules;
      save({zh: (kind === "visible" ? W.visible_when : W.required_when) + "：" + key, en: kind + " when: " + key});
      var chip = document.querySelector('.dz-drop [data-field="' + key + '"]');
      if (chip) chip.replaceWith(item(key));
    }
    fieldSel.addEventListener("change", function () { valueControl(); apply(); });
    opSel.addEventListener("change", function () { valueControl(); apply(); });
    valueControl();
    if (expr && !simple) {
      return D.el("div", {"class": "wide"}, [D.el("strong", {text: kind === "visible" ? W.visible_when : W.required_when}),
        D.formula(expr, D.ruleKeys(doc.entity), function (x) { if (x !== undefined) { rule[kind] = x; save({zh: "表单规则", en: "form rule"}); } })]);
    }
    return D.el("div", {"class": "wide dz-list-row", "data-cond": kind}, [
      D.el("strong", {text: (kind === "visible" ? W.visible_when : W.required_when) + "："}), fieldSel, opSel, valueBox]);
  }

  function drawProps() {
    var box = document.querySelector("[data-dz-item-props]");
    box.innerHTML = "";
    if (!selected || placed().indexOf(selected) < 0) { box.hidden = true; return; }
    box.hidden = false;
    var key = selected, spec = specs[key];
    var f = fieldOf(key) || {};
    var grid = D.el("div", {"class": "dz-form"});
    var span = D.el("select", {"data-dz-span": ""}, [1, 2, 3, 4].map(function (n) {
      return D.el("option", {value: n, text: n, selected: n === (typeof spec === "object" && spec.span || 1)}); }));
    span.addEventListener("change", function () {
      var n = parseInt(span.value, 10);
      var next = typeof spec === "object" ? spec : {field: key};
      if (n === 1) delete next.span; else next.span = n;
      specs[key] = Object.keys(next).length === 1 ? key : next;
      spec = specs[key];
      collect(); drawSections(); choose(key);
      save({zh: "字段宽度 " + key, en: "span of " + key});
    });
    grid.appendChild(D.el("label", {"class": "dz-l"}, [W.span, span]));
    if (entityDoc) {
      var full = entityDoc.fields.filter(function (x) { return x.key === key; })[0];
      ["zh", "en"].forEach(function (lang) {
        var help = D.el("input", {type: "text", value: ((full || {}).help || {})[lang] || "", "data-dz-help": lang});
        help.addEventListener("input", function () {
          var now = full.help || {};
          now[lang] = help.value;
          if (!now.zh && !now.en) delete full.help; else full.help = {zh: now.zh || now.en, en: now.en || now.zh};
          D.changed(entity.address, function () { return entityDoc; }, {zh: "帮助文字 " + key, en: "help text of " + key});
        });
        grid.appendChild(D.el("label", {"class": "dz-l"}, [W.help + " · " + (lang === "zh" ? "中文" : "English"), help]));
      });
    }
    grid.appendChild(condition("visible", key));
    grid.appendChild(condition("required", key));
    grid.appendChild(D.el("div", {"class": "wide"}, [D.el("button", {"class": "btn danger", type: "button", text: W.remove,
      onclick: function () {
        var chip = document.querySelector('.dz-drop [data-field="' + key + '"]');
        if (chip) chip.remove();
        doc.rules = (doc.rules || []).filter(function (r) { r.fields = r.fields.filter(function (k) { return k !== key; }); return r.fields.length; });
        if (!doc.rules.length) delete doc.rules;
        selected = null; changedLayout(key, false); drawProps();
      }})]));
    box.appendChild(D.el("h3", {text: D.text(f.label) + " (" + key + ")"}));
    box.appendChild(grid);
  }

  D.editor = {load: function (next, problems) {
    doc = next;
    entity = (setup.entities || []).filter(function (e) { return e.key === doc.entity; })[0] || {fields: []};
    document.querySelector("[data-dz-form-entity]").textContent = D.text(entity.label);
    ["zh", "en"].forEach(function (lang) {
      var e = document.querySelector('[data-dz-form-label="' + lang + '"]');
      e.value = (doc.label || {})[lang] || "";
    });
    drawAll();
    D.showProblems(document.querySelector("[data-dz-doc-problems]"), problems);
  }};

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelector("[data-dz-palette-search]").addEventListener("input", filterPalette);
    ["zh", "en"].forEach(function (lang) {
      var e = document.querySelector('[data-dz-form-label="' + lang + '"]');
      e.addEventListener("input", function () {
        var zh = document.querySelector('[data-dz-form-label="zh"]').value, en = document.querySelector('[data-dz-form-label="en"]').value;
        if (!zh && !en) delete doc.label; else doc.label = {zh: zh || en, en: en || zh};
        save({zh: "表单名称", en: "form title"});
      });
    });
    document.querySelector("[data-dz-add-section]").addEventListener("click", function () {
      var unplaced = entity.fields.filter(function (f) { return placed().indexOf(f.key) < 0; });
      if (!unplaced.length) return;
      doc.sections.push({label: {zh: "新分区", en: "New section"}, columns: 2, fields: [unplaced[0].key]});
      save({zh: "添加分区", en: "added a section"}); drawAll();
    });
    D.editor.load(setup.document, []);
    if (entity.address) D.api(D.docUrl(entity.address)).then(function (r) { if (r.ok) { entityDoc = r.body.document; drawProps(); } });
    D.trackProblems(address);
    preview = D.preview(function () { return "/designer/drafts/" + D.draft.id + "/preview/form/" + doc.entity; });
  });
}());
