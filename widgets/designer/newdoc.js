/* New documents: an entity from nothing (with its fields, a form and a list), a view, a form. */
(function () {
  "use strict";
  var D = window.Designer, W = D.W, setup = D.setup;
  var TYPES = [["string", "文本", "Text"], ["text", "长文本", "Long text"], ["integer", "整数", "Whole number"],
               ["decimal", "小数", "Decimal"], ["date", "日期", "Date"], ["datetime", "日期时间", "Date and time"],
               ["boolean", "是/否", "Yes/no"], ["select", "单选", "Choice"], ["link", "关联", "Link"]];

  function slug(text) {
    var s = String(text || "").toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_+|_+$/g, "");
    return /^[a-z]/.test(s) ? s.slice(0, 40) : "";
  }

  function fieldRow(body, first) {
    var zh = D.el("input", {type: "text", name: "f_zh", "aria-label": W.label_zh});
    var en = D.el("input", {type: "text", name: "f_en", "aria-label": W.label_en});
    var key = D.el("input", {type: "text", name: "f_key", "aria-label": W.key});
    en.addEventListener("input", function () { key.placeholder = slug(en.value); });
    var type = D.el("select", {name: "f_type", "aria-label": W.type}, TYPES.map(function (t) {
      return D.el("option", {value: t[0], text: D.lang === "en" ? t[2] : t[1]}); }));
    var link = D.el("select", {name: "f_to", hidden: true}, setup.entities.filter(function (e) { return !e.child; }).map(function (e) {
      return D.el("option", {value: e.key, text: D.text(e.label)}); }));
    type.addEventListener("change", function () { link.hidden = type.value !== "link"; });
    var req = D.el("input", {type: "checkbox", name: "f_required"});
    var title = D.el("input", {type: "radio", name: "title_field", checked: first});
    var row = D.el("tr", {"data-new-field": ""}, [D.el("td", {}, [zh]), D.el("td", {}, [en]), D.el("td", {}, [key]),
      D.el("td", {}, [type, link]), D.el("td", {}, [req]), D.el("td", {}, [title]),
      D.el("td", {}, [D.el("button", {"class": "x", type: "button", text: "×", onclick: function () { row.remove(); }})])]);
    body.appendChild(row);
    zh.focus();
  }

  function entitySpec(form) {
    var fields = [], title = null, problems = [];
    form.querySelectorAll("[data-new-field]").forEach(function (row, i) {
      var zh = row.querySelector("[name=f_zh]").value.trim(), en = row.querySelector("[name=f_en]").value.trim() || zh;
      if (!zh) return;
      var key = row.querySelector("[name=f_key]").value.trim() || slug(en) || "field_" + (i + 1);
      var type = row.querySelector("[name=f_type]").value;
      var f = {id: "f_" + key.slice(0, 38), key: key, type: type, label: {zh: zh, en: en}};
      if (row.querySelector("[name=f_required]").checked) f.required = true;
      if (type === "decimal") f.scale = 2;
      if (type === "select") f.options = [{value: "open", label: {zh: "待处理", en: "Open"}, color: "#b9770e"},
                                          {value: "done", label: {zh: "已处理", en: "Done"}, color: "#1e8449"}];
      if (type === "link") f.to = row.querySelector("[name=f_to]").value;
      if (row.querySelector("[name=title_field]").checked) title = key;
      if (!/^[a-z][a-z0-9_]{0,39}$/.test(key)) problems.push(key + "：" + W.key_hint);
      fields.push(f);
    });
    var roles = Array.prototype.map.call(form.querySelectorAll("[name=role]:checked"), function (b) { return b.value; });
    return {problems: problems, spec: {key: form.key.value.trim(), label: {zh: form.zh.value.trim(), en: form.en.value.trim()},
      naming: form.naming.value.trim() || undefined, fields: fields.length ? fields : undefined, title_field: title || undefined,
      roles: roles}};
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("[data-dz-new]");
    var kind = form.getAttribute("data-dz-new");
    var error = form.querySelector("[data-dz-new-error]");
    var app = form.app ? form.app.value : (setup.apps || [])[0];
    if (form.app) form.app.addEventListener("change", function () { app = form.app.value; });
    form.querySelectorAll("[data-dz-entity-pick]").forEach(function (sel) {
      setup.entities.filter(function (e) { return !e.child; }).forEach(function (e) {
        sel.appendChild(D.el("option", {value: e.key, text: D.text(e.label) + " (" + e.key + ")"})); });
    });
    if (kind === "entity") {
      var body = form.querySelector("[data-dz-new-fields]");
      fieldRow(body, true);
      form.querySelector("[data-dz-new-field]").addEventListener("click", function () { fieldRow(body, false); });
      form.en.addEventListener("input", function () { form.key.placeholder = slug(form.en.value); });
      var roles = form.querySelector("[data-dz-new-roles]");
      (setup.roles || []).filter(function (r) { return r.key !== "admin"; }).forEach(function (r) {
        roles.appendChild(D.el("label", {"class": "dz-check"}, [D.el("input", {type: "checkbox", name: "role", value: r.key}), D.text(r.label)]));
      });
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      error.textContent = "";
      var done = function (r, address) {
        if (!r.ok) { error.textContent = D.problemText(r.body); return; }
        window.location.href = "/designer/drafts/" + D.draft.id + "/doc/" + address;
      };
      if (kind === "entity") {
        if (!form.key.value && form.key.placeholder) form.key.value = form.key.placeholder;
        var built = entitySpec(form);
        if (built.problems.length) { error.textContent = built.problems.join("；"); return; }
        D.api(D.draftUrl("/operations"), {json: {op: "new_entity", app: app, entity: built.spec}, ifMatch: true})
          .then(function (r) { done(r, r.ok ? r.body.created[0] : ""); });
        return;
      }
      var entity = setup.entities.filter(function (e) { return e.key === form.entity.value; })[0];
      var doc, path;
      if (kind === "view") {
        var key = form.key.value.trim();
        doc = {kind: "view", key: key, entity: entity.key, label: {zh: form.zh.value, en: form.en.value}, type: form.type.value};
        var dates = entity.fields.filter(function (f) { return f.type === "date" || f.type === "datetime"; });
        var selects = entity.fields.filter(function (f) { return f.type === "select"; });
        if (doc.type === "list") doc.columns = ["name"].concat(entity.fields.filter(function (f) {
          return ["table", "json", "text"].indexOf(f.type) < 0; }).slice(0, 5).map(function (f) { return f.key; }));
        if (doc.type === "kanban") doc.kanban = {group_by: (selects[0] || {}).key || ""};
        if (doc.type === "calendar") doc.calendar = {date_field: (dates[0] || {}).key || ""};
        if (doc.type === "gantt") doc.gantt = {start_field: (dates[0] || {}).key || "", end_field: (dates[1] || dates[0] || {}).key || ""};
        path = "views/" + key + ".json";
      } else {
        doc = {kind: "form", key: entity.key + "_form", entity: entity.key, label: entity.label,
               sections: [{columns: 2, fields: entity.fields.filter(function (f) { return f.type !== "table"; }).map(function (f) { return f.key; })}]};
        path = "forms/" + entity.key + ".json";
      }
      var address = app + "/" + path;
      D.api(D.docUrl(address), {method: "PUT", json: {document: doc, summary: {zh: "新建 " + path, en: "new " + path}}, ifMatch: true})
        .then(function (r) { done(r, address); });
    });
  });
}());
