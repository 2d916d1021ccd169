/* The view editor: a list's columns, filters and sort; a kanban's group field and card fields; a
 * calendar's and a Gantt chart's date fields — previewed on the real data by the real screens. */
(function () {
  "use strict";
  var D = window.Designer, W = D.W, setup = D.setup;
  var doc, entity;
  var address = setup.address;
  var SYSTEM = [["name", "编号", "Number"], ["created_at", "创建时间", "Created"], ["updated_at", "更新时间", "Updated"]];
  var OPS = ["eq", "ne", "lt", "le", "gt", "ge", "in", "like", "is_null"];

  function save(summary) { D.changed(address, function () { return doc; }, summary); }
  function fields(pred) {
    var out = SYSTEM.map(function (s) { return {key: s[0], type: s[0] === "name" ? "string" : "datetime", label: {zh: s[1], en: s[2]}}; });
    return out.concat(entity.fields).filter(pred || function () { return true; });
  }
  function picker(value, pred, attrs, onChange, blank) {
    var sel = D.el("select", attrs || {}, (blank ? [D.el("option", {value: "", text: "—"})] : []).concat(
      fields(pred).map(function (f) { return D.el("option", {value: f.key, text: D.text(f.label) + " (" + f.key + ")", selected: f.key === value}); })));
    sel.addEventListener("change", function () { onChange(sel.value); });
    return sel;
  }
  var isDate = function (f) { return f.type === "date" || f.type === "datetime" || f.result_type === "date"; };
  var isSelect = function (f) { return f.type === "select"; };
  var listable = function (f) { return ["table", "json"].indexOf(f.type) < 0; };

  function head() {
    var box = document.querySelector("[data-dz-view-head]");
    box.innerHTML = "";
    ["zh", "en"].forEach(function (lang) {
      var input = D.el("input", {type: "text", value: (doc.label || {})[lang] || "", "data-dz-view-label": lang});
      input.addEventListener("input", function () { doc.label = doc.label || {}; doc.label[lang] = input.value; save({zh: "视图名称", en: "view name"}); });
      box.appendChild(D.el("label", {"class": "dz-l"}, [W.name + " · " + (lang === "zh" ? "中文" : "English"), input]));
    });
    var type = D.el("select", {"data-dz-view-type": ""}, ["list", "kanban", "calendar", "gantt"].map(function (t) {
      return D.el("option", {value: t, text: W["type_" + t], selected: doc.type === t}); }));
    type.addEventListener("change", function () { changeType(type.value); });
    box.appendChild(D.el("label", {"class": "dz-l"}, [W.view_type, type]));
    if (doc.type === "list") {
      var def = D.el("input", {type: "checkbox", checked: !!doc["default"]});
      def.addEventListener("change", function () { if (def.checked) doc["default"] = true; else delete doc["default"]; save({zh: "默认列表", en: "main list"}); });
      box.appendChild(D.el("label", {"class": "dz-check"}, [def, W.default_list]));
    }
  }

  function changeType(type) {
    ["kanban", "calendar", "gantt", "default"].forEach(function (k) { delete doc[k]; });
    doc.type = type;
    var dates = entity.fields.filter(isDate), selects = entity.fields.filter(isSelect);
    if (type === "kanban") doc.kanban = {group_by: (selects[0] || {}).key || ""};
    if (type === "calendar") doc.calendar = {date_field: (dates[0] || {}).key || ""};
    if (type === "gantt") doc.gantt = {start_field: (dates[0] || {}).key || "", end_field: (dates[1] || dates[0] || {}).key || ""};
    save({zh: "视图类型：" + W["type_" + type], en: "view type: " + type});
    draw();
  }

  function chipList(values, pred, max, onChange, attrs) {
    var box = D.el("div", attrs || {});
    function draw2() {
      box.innerHTML = "";
      var row = D.el("div", {"class": "dz-palette"}, values.map(function (k, i) {
        var f = fields().filter(function (x) { return x.key === k; })[0];
        return D.el("span", {"class": "dz-item", "data-column": k}, [f ? D.text(f.label) : k,
          D.el("button", {"class": "x", type: "button", text: "×", title: W.remove, onclick: function () { values.splice(i, 1); onChange(); draw2(); }})]);
      }));
      box.appendChild(row);
      window.Sortable.create(row, {animation: 100, onEnd: function (e) {
        values.splice(e.newIndex, 0, values.splice(e.oldIndex, 1)[0]); onChange(); draw2(); }});
      if (!max || values.length < max) {
        box.appendChild(picker("", function (f) { return pred(f) && values.indexOf(f.key) < 0; }, {"data-dz-add-column": ""},
          function (k) { if (k) { values.push(k); onChange(); draw2(); } }, true));
      }
    }
    draw2();
    return box;
  }

  function draw() {
    head();
    var t = doc.type;
    document.querySelectorAll("[data-dz-view-part]").forEach(function (c) {
      var part = c.getAttribute("data-dz-view-part");
      c.hidden = part === "columns" ? t !== "list" : part !== t;
    });
    var cols = document.querySelector("[data-dz-columns]");
    cols.innerHTML = "";
    var columns = doc.columns || [];
    cols.appendChild(chipList(columns, listable, 0, function () {
      if (columns.length) doc.columns = columns; else delete doc.columns;
      save({zh: "列", en: "columns"});
    }));
    if (t === "kanban") {
      var k = document.querySelector("[data-dz-kanban]");
      k.innerHTML = "";
      k.appendChild(D.el("label", {"class": "dz-l"}, [W.group_by, picker(doc.kanban.group_by, isSelect, {"data-dz-group-by": ""}, function (v) {
        doc.kanban.group_by = v; save({zh: "分组字段", en: "group by"}); })]));
      var card = doc.kanban.card || [];
      k.appendChild(D.el("div", {"class": "dz-l wide"}, [W.card_fields, chipList(card, listable, 4, function () {
        if (card.length) doc.kanban.card = card; else delete doc.kanban.card;
        save({zh: "卡片字段", en: "card fields"}); })]));
    }
    if (t === "calendar") {
      var c = document.querySelector("[data-dz-calendar]");
      c.innerHTML = "";
      c.appendChild(D.el("label", {"class": "dz-l"}, [W.date_field, picker(doc.calendar.date_field, isDate, {"data-dz-date-field": ""}, function (v) {
        doc.calendar.date_field = v; save({zh: "日期字段", en: "date field"}); })]));
    }
    if (t === "gantt") {
      var g = document.querySelector("[data-dz-gantt]");
      g.innerHTML = "";
      [["start_field", W.start_field, isDate], ["end_field", W.end_field, isDate], ["color_by", W.color_by, isSelect]].forEach(function (p) {
        g.appendChild(D.el("label", {"class": "dz-l"}, [p[1], picker(doc.gantt[p[0]], function (f) { return p[2](f) && f.type !== "datetime"; },
          {"data-dz-gantt": p[0]}, function (v) {
            if (v) doc.gantt[p[0]] = v; else delete doc.gantt[p[0]];
            save({zh: p[1], en: p[0]}); }, p[0] === "color_by")]));
      });
    }
    filters(); sorts();
  }

  function filters() {
    var box = document.querySelector("[data-dz-filters]");
    box.innerHTML = "";
    var list = doc.filters || [];
    function changed() { if (list.length) doc.filters = list; else delete doc.filters; save({zh: "筛选", en: "filters"}); }
    list.forEach(function (flt, i) {
      var op = D.el("select", {}, OPS.map(function (o) { return D.el("option", {value: o, text: o, selected: o === flt.op}); }));
      op.addEventListener("change", function () { flt.op = op.value; changed(); });
      var value = D.el("input", {type: "text", value: String(flt.value), "data-dz-filter-value": i});
      value.addEventListener("input", function () { flt.value = value.value; changed(); });
      box.appendChild(D.el("div", {"class": "dz-list-row"}, [
        picker(flt.field, listable, {}, function (v) { flt.field = v; changed(); }), op, value,
        D.el("button", {"class": "x", type: "button", text: "×", onclick: function () { list.splice(i, 1); changed(); filters(); }})]));
    });
    box.appendChild(D.el("button", {"class": "btn", type: "button", text: "+ " + W.add_filter, onclick: function () {
      list.push({field: "name", op: "like", value: ""}); changed(); filters(); }}));
  }

  function sorts() {
    var box = document.querySelector("[data-dz-sort]");
    box.innerHTML = "";
    var list = doc.sort || [];
    function changed() { if (list.length) doc.sort = list; else delete doc.sort; save({zh: "排序", en: "sort"}); }
    list.forEach(function (s, i) {
      var desc = s.charAt(0) === "-";
      var dir = D.el("select", {}, [["", W.ascending], ["-", W.descending]].map(function (o) {
        return D.el("option", {value: o[0], text: o[1], selected: (o[0] === "-") === desc}); }));
      var field = picker(s.replace(/^-/, ""), listable, {}, function () { update(); });
      function update() { list[i] = dir.value + field.value; changed(); }
      dir.addEventListener("change", update);
      box.appendChild(D.el("div", {"class": "dz-list-row"}, [field, dir,
        D.el("button", {"class": "x", type: "button", text: "×", onclick: function () { list.splice(i, 1); changed(); sorts(); }})]));
    });
    box.appendChild(D.el("button", {"class": "btn", type: "button", text: "+ " + W.add_sort, onclick: function () {
      list.push("-created_at"); changed(); sorts(); }}));
  }

  D.editor = {load: function (next, problems) {
    doc = next;
    entity = (setup.entities || []).filter(function (e) { return e.key === doc.entity; })[0] || {fields: []};
    document.querySelector("[data-dz-view-entity]").textContent = D.text(entity.label);
    draw();
    D.showProblems(document.querySelector("[data-dz-doc-problems]"), problems);
  }};

  document.addEventListener("DOMContentLoaded", function () {
    D.editor.load(setup.document, []);
    D.trackProblems(address);
    D.preview(function () { return "/designer/drafts/" + D.draft.id + "/preview/view/" + doc.key; });
  });
}());
