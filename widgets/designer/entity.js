/* The entity editor: fields (search, add, rename, reorder, archive and restore, types changed only
 * where the stored values convert), select options with colours, links and tables picked from the
 * entities, required/unique/defaults/formulas with field completion, and permissions per role.
 * The field list is built once; an edit updates its own row only, so 150 fields stay quick. */
(function () {
  "use strict";
  var D = window.Designer, W = D.W, setup = D.setup;
  /* The field types and their words come from the engine's registry (sunmao.fields), so a new type
   * is offered here without a change to this file. */
  var TYPE_LIST = setup.field_types || [];
  var TYPES = TYPE_LIST.map(function (t) { return t.type; });
  var TYPE_WORDS = {};
  TYPE_LIST.forEach(function (t) {
    var en = t.label.en || t.type;
    TYPE_WORDS[t.type] = [t.label.zh, en.charAt(0).toUpperCase() + en.slice(1)];
  });
  var COLOURS = ["#c0392b", "#2471a3", "#1e8449", "#b9770e", "#7d3c98", "#5d6d7e"];
  var doc, rows = {}, selected = null, list, props, conversions = {};
  var address = setup.address;
  var publishedIds = setup.published_ids || [];

  function typeEntry(t) { return TYPE_LIST.filter(function (e) { return e.type === t; })[0] || {options: [], defaults: {}}; }
  function offers(t, option) { return typeEntry(t).options.indexOf(option) >= 0; }
  function startWith(f, type) {  /* the properties a field of this type starts with, where not set yet */
    var d = typeEntry(type).defaults;
    Object.keys(d).forEach(function (k) { if (f[k] === undefined) f[k] = JSON.parse(JSON.stringify(d[k])); });
  }
  function typeWord(t) { var w = TYPE_WORDS[t] || [t, t]; return D.lang === "en" ? w[1] : w[0]; }
  function save(summary) { D.changed(address, function () { return doc; }, summary); }
  function field(id) { return doc.fields.filter(function (f) { return f.id === id; })[0]; }
  function label(f) { return D.text(f.label) || f.key; }
  function isNew(f) { return publishedIds.indexOf(f.id) < 0; }
  function slug(text) {
    var s = String(text || "").toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_+|_+$/g, "");
    if (!/^[a-z]/.test(s)) s = "f_" + s;
    return s.slice(0, 40).replace(/_+$/, "") || "field";
  }
  function takenIds() {
    return doc.fields.map(function (f) { return f.id; }).concat((setup.archived || []).map(function (a) {
      return a.field_id; }));
  }
  function newId(key) {
    var base = ("f_" + key).slice(0, 36), id = base, n = 2, taken = takenIds();
    while (taken.indexOf(id) >= 0) { id = base + "_" + n; n += 1; }
    return id;
  }

  // -- the field list ----------------------------------------------------------------------------
  function rowFor(f) {
    var row = D.el("div", {"class": "dz-frow", "data-id": f.id, role: "button", tabindex: "0"}, [
      D.el("span", {"class": "grip", text: "⠿", "aria-hidden": "true"}),
      D.el("span", {}, [D.el("span", {"class": "lbl"}), D.el("span", {"class": "k"})]),
      D.el("span", {"class": "dz-type"})]);
    row.addEventListener("click", function () { select(f.id); });
    row.addEventListener("keydown", function (e) { if (e.key === "Enter") select(f.id); });
    rows[f.id] = row;
    paint(f);
    return row;
  }
  function paint(f) {
    var row = rows[f.id];
    if (!row) return;
    var lbl = row.querySelector(".lbl");
    lbl.textContent = label(f);
    lbl.className = "lbl" + (f.required ? " dz-req" : "");
    row.querySelector(".k").textContent = f.key;
    row.querySelector(".dz-type").textContent = typeWord(f.type);
    row.setAttribute("data-search", (f.key + " " + (f.label || {}).zh + " " + (f.label || {}).en).toLowerCase());
  }
  function buildList() {
    var box = document.querySelector("[data-dz-fields]");
    box.innerHTML = "";
    rows = {};
    var frag = document.createDocumentFragment();
    doc.fields.forEach(function (f) { frag.appendChild(rowFor(f)); });
    box.appendChild(frag);
    list = box;
    count();
    if (window.Sortable) {
      window.Sortable.create(box, {handle: ".grip", animation: 100, onEnd: function () {
        var order = Array.prototype.map.call(box.children, function (r) { return r.getAttribute("data-id"); });
        doc.fields.sort(function (a, b) { return order.indexOf(a.id) - order.indexOf(b.id); });
        save({zh: "调整字段顺序", en: "reordered fields"});
      }});
    }
    buildArchived();
  }
  function count() {
    var n = document.querySelector("[data-dz-field-count]");
    if (n) n.textContent = D.fmt(W.field_count, {n: doc.fields.length});
  }
  function filter(q) {
    q = q.trim().toLowerCase();
    Object.keys(rows).forEach(function (id) {
      rows[id].hidden = q !== "" && rows[id].getAttribute("data-search").indexOf(q) < 0;
    });
  }

  function buildArchived() {
    var box = document.querySelector("[data-dz-archived]");
    box.innerHTML = "";
    var present = doc.fields.map(function (f) { return f.id; });
    var base = (setup.base_fields || []).filter(function (f) { return present.indexOf(f.id) < 0; });
    var stored = (setup.archived || []).filter(function (a) { return present.indexOf(a.field_id) < 0; });
    if (!base.length && !stored.length) { box.hidden = true; return; }
    box.hidden = false;
    box.appendChild(D.el("strong", {text: W.archived_fields}));
    function restoreRow(def, note) {
      return D.el("div", {"data-archived": def.id}, [D.el("span", {text: label(def) + " (" + def.key + ")" + note}),
        D.el("button", {"class": "btn", type: "button", text: W.restore, onclick: function () {
          if (doc.fields.some(function (f) { return f.key === def.key; })) {
            window.alert(def.key + " ≠ ✓"); return;
          }
          doc.fields.push(JSON.parse(JSON.stringify(def)));
          list.appendChild(rowFor(doc.fields[doc.fields.length - 1]));
          count(); buildArchived(); select(def.id);
          save({zh: "恢复字段 " + def.key, en: "restored field " + def.key});
        }})]);
    }
    base.forEach(function (f) { box.appendChild(restoreRow(f, " · " + W.removed_in_draft)); });
    stored.forEach(function (a) { box.appendChild(restoreRow(a.definition, "")); });
  }

  // -- adding a field ----------------------------------------------------------------------------
  function addField(form) {
    var zh = form.zh.value.trim(), en = form.en.value.trim() || zh, type = form.type.value;
    var key = form.key.value.trim() || slug(en);
    var error = form.querySelector(".dz-error");
    error.textContent = "";
    if (!zh) { error.textContent = W.label_zh; return; }
    if (!/^[a-z][a-z0-9_]{0,39}$/.test(key)) { error.textContent = W.key_hint; return; }
    if (doc.fields.some(function (f) { return f.key === key; })) { error.textContent = key + " ✗"; return; }
    var f = {id: newId(key), key: key, type: type, label: {zh: zh, en: en}};
    startWith(f, type);
    if (type === "link") f.to = (setup.entities.filter(function (e) { return !e.child && e.key !== doc.key; })[0] || {}).key;
    if (type === "table") f.of = (setup.entities.filter(function (e) { return e.child; })[0] || {}).key;
    doc.fields.push(f);
    list.appendChild(rowFor(f));
    count();
    form.reset();
    select(f.id);
    rows[f.id].scrollIntoView({block: "nearest"});
    save({zh: "新增字段 " + zh, en: "added field " + en});
  }

  // -- properties of the selected field ------------------------------------------------------------
  function select(id) {
    if (selected && rows[selected]) rows[selected].classList.remove("on");
    selected = id;
    if (rows[id]) rows[id].classList.add("on");
    renderProps();
  }

  function input(value, onInput, attrs) {
    var e = D.el("input", Object.assign({type: "text", value: value === undefined || value === null ? "" : value}, attrs || {}));
    e.addEventListener("input", function () { onInput(e.value, e); });
    return e;
  }
  function labelled(text, control, wide, hint) {
    return D.el("label", {"class": "dz-l" + (wide ? " wide" : "")}, [text, control, hint ? D.el("span", {"class": "hint", text: hint}) : null]);
  }
  function check(text, f, name) {
    var box = D.el("input", {type: "checkbox", checked: !!f[name], "data-prop": name});
    box.addEventListener("change", function () {
      if (box.checked) f[name] = true; else delete f[name];
      paint(f); save({zh: text + "：" + label(f), en: name + ": " + f.key});
    });
    return D.el("label", {"class": "dz-check"}, [box, text]);
  }
  function textPair(f, name, title) {
    var value = f[name] || {};
    function set(lang, v) {
      var now = f[name] || {};
      now[lang] = v;
      if (!now.zh && !now.en) delete f[name]; else f[name] = {zh: now.zh || now.en || "", en: now.en || now.zh || ""};
      if (name === "label") paint(f);
      save({zh: "修改" + title + "：" + f.key, en: name + " of " + f.key});
    }
    return [labelled(title + " · 中文", input(value.zh, function (v) { set("zh", v); }, {"data-prop": name + ".zh"})),
            labelled(title + " · English", input(value.en, function (v) { set("en", v); }, {"data-prop": name + ".en"}))];
  }
  function number(f, name, text) {
    return labelled(text, input(f[name], function (v) {
      if (v === "") delete f[name]; else if (!isNaN(Number(v))) f[name] = Number(v);
      save({zh: text + "：" + f.key, en: name + " of " + f.key});
    }, {type: "number", "data-prop": name}));
  }

  function renderProps() {
    props.innerHTML = "";
    var f = selected && field(selected);
    if (!f) { props.appendChild(D.el("p", {"class": "muted", text: W.select_field})); return; }
    var grid = D.el("div", {"class": "dz-form"});
    props.appendChild(D.el("h2", {}, [label(f), D.el("span", {"class": "dz-type", text: typeWord(f.type)})]));
    textPair(f, "label", W.name).forEach(function (e) { grid.appendChild(e); });
    var key = input(f.key, function () {}, {"data-prop": "key", pattern: "[a-z][a-z0-9_]{0,39}"});
    key.addEventListener("change", function () { rename(f, key.value.trim(), key); });
    grid.appendChild(labelled(W.key, key, false, W.key_hint));
    grid.appendChild(labelled(W.type, typeControl(f)));
    var conv = D.el("div", {"class": "wide dz-conv", "data-dz-conv": ""});
    grid.appendChild(conv);
    grid.appendChild(D.el("div", {"class": "wide"}, [check(W.required, f, "required"), check(W.unique, f, "unique"),
      check(W.read_only, f, "read_only"), check(W.hidden, f, "hidden")]));
    typeProps(f).forEach(function (e) { grid.appendChild(e); });
    if (f.type !== "table" && f.type !== "computed") defaultControl(f).forEach(function (e) { grid.appendChild(e); });
    textPair(f, "help", W.help).forEach(function (e) { grid.appendChild(e); });
    grid.appendChild(D.el("div", {"class": "wide"}, [D.el("h3", {text: W.who_can}), access(f)]));
    grid.appendChild(D.el("div", {"class": "wide"}, [D.el("button", {"class": "btn danger", type: "button",
      text: W.archive_field, "data-dz-archive": f.id, onclick: function () {
        if (!window.confirm(W.archive_confirm)) return;
        doc.fields = doc.fields.filter(function (x) { return x.id !== f.id; });
        rows[f.id].remove(); delete rows[f.id];
        selected = null; count(); buildArchived(); renderProps();
        save({zh: "归档字段 " + label(f), en: "archived field " + f.key});
      }})]));
    props.appendChild(grid);
    explainTypes(f, conv);
  }

  function rename(f, key, inputEl) {
    if (key === f.key) return;
    if (!/^[a-z][a-z0-9_]{0,39}$/.test(key)) { inputEl.classList.add("bad"); inputEl.title = W.key_hint; return; }
    inputEl.classList.remove("bad");
    var id = f.id;
    D.operation({op: "rename_field", entity: doc.key, field_id: id, key: key}).then(function (r) {
      if (!r.ok) { inputEl.classList.add("bad"); inputEl.title = D.problemText(r.body); D.blocked(D.problemText(r.body)); return; }
      D.reload().then(function () { select(id); });
    });
  }

  function typeControl(f) {
    var select = D.el("select", {"data-prop": "type"});
    var allowed = isNew(f) ? TYPES : [f.type];
    allowed.forEach(function (t) { select.appendChild(D.el("option", {value: t, text: typeWord(t), selected: t === f.type})); });
    select.addEventListener("change", function () { changeType(f, select.value); });
    return select;
  }

  function explainTypes(f, box) {
    if (isNew(f)) return;
    var select = props.querySelector('[data-prop="type"]');
    box.textContent = W.checking_values;
    var url = D.draftUrl("/entities/" + doc.key + "/fields/" + f.id + "/conversions");
    (conversions[f.id] ? Promise.resolve(conversions[f.id]) : D.api(url).then(function (r) {
      return r.ok ? (conversions[f.id] = r.body) : null;
    })).then(function (found) {
      box.textContent = "";
      if (!found) return;
      if (!found.targets.length) { box.textContent = D.text(found.note) || W.type_fixed; return; }
      var items = D.el("ul");
      found.targets.forEach(function (t) {
        select.appendChild(D.el("option", {value: t.type, text: typeWord(t.type) + (t.converts ? "" : " ⚠")}));
        items.appendChild(D.el("li", {"class": t.converts ? "yes" : "no", "data-conv": t.type},
          [typeWord(t.type) + "：" + D.text(t.text)]));
      });
      box.appendChild(D.el("strong", {text: W.type_change}));
      box.appendChild(items);
    });
  }

  function changeType(f, type) {
    var found = conversions[f.id];
    f.type = type;
    ["options", "to", "of", "formula", "result_type", "scale", "precision", "length"].forEach(function (k) {
      if ((k === "options" || k === "scale") && offers(type, k)) return;
      delete f[k];
    });
    if (offers(type, "options") && !f.options) {
      var values = [];
      (found ? found.targets : []).forEach(function (t) { if (t.type === type && t.values) values = t.values; });
      f.options = (values.length ? values : ["option_1"]).slice(0, 30).map(function (v, i) {
        return {value: v, label: {zh: v, en: v}, color: COLOURS[i % COLOURS.length]}; });
    }
    startWith(f, type);
    if (type === "link") f.to = (setup.entities.filter(function (e) { return !e.child; })[0] || {}).key;
    if (type === "table") f.of = (setup.entities.filter(function (e) { return e.child; })[0] || {}).key;
    delete f["default"];
    paint(f); renderProps();
    save({zh: "字段 " + label(f) + " 改为" + typeWord(type), en: "field " + f.key + " is now " + type});
  }

  function entityPicker(f, name, child) {
    var select = D.el("select", {"data-prop": name});
    setup.entities.filter(function (e) { return !!e.child === child; }).forEach(function (e) {
      select.appendChild(D.el("option", {value: e.key, text: D.text(e.label) + " (" + e.key + ")", selected: e.key === f[name]}));
    });
    select.addEventListener("change", function () { f[name] = select.value; save({zh: "关联 " + f.key, en: "link of " + f.key}); });
    return select;
  }

  function typeProps(f) {
    var out = [];
    /* which properties a type has comes from its field type (sunmao.fields: designer_options);
     * a computed field's number properties are its result type's */
    var t = f.type === "computed" ? f.result_type : f.type;
    if (offers(f.type, "length")) out.push(number(f, "length", W.length));
    if (offers(t, "scale")) out.push(number(f, "scale", W.scale));
    if (offers(t, "min")) { out.push(number(f, "min", W.min)); out.push(number(f, "max", W.max)); }
    if (offers(f.type, "options")) out.push(D.el("div", {"class": "wide"}, [D.el("h3", {text: W.options}), optionsEditor(f)]));
    if (offers(f.type, "to")) out.push(labelled(W.link_to, entityPicker(f, "to", false)));
    if (offers(f.type, "of")) out.push(labelled(W.table_of, entityPicker(f, "of", true)));
    if (f.type === "computed") {
      var rt = D.el("select", {"data-prop": "result_type"}, ["string", "integer", "decimal", "boolean", "date", "select"].map(function (x) {
        return D.el("option", {value: x, text: typeWord(x), selected: x === f.result_type}); }));
      rt.addEventListener("change", function () {
        f.result_type = rt.value;
        if (rt.value === "decimal" && f.scale === undefined) f.scale = 2;
        if (rt.value !== "decimal") delete f.scale;
        save({zh: "结果类型 " + f.key, en: "result type of " + f.key}); renderProps();
      });
      out.push(labelled(W.result_type, rt));
      if (!f.rollup) {
        out.push(labelled(W.formula, D.formula(f.formula, D.ruleKeys(doc.key, doc.fields), function (v) {
          if (v === undefined) return;
          f.formula = v; save({zh: "公式 " + f.key, en: "formula of " + f.key});
        }, "formula"), true, W.formula_hint));
      }
    }
    return out;
  }

  function optionsEditor(f) {
    var box = D.el("div", {"class": "dz-options", "data-dz-options": ""});
    function changed(what) { save({zh: "选项 " + f.key + what, en: "options of " + f.key}); }
    f.options.forEach(function (o, i) {
      var colour = D.el("input", {type: "color", value: o.color || "#888888", title: W.colour, "data-option-color": i});
      colour.addEventListener("input", function () { o.color = colour.value; changed(""); });
      box.appendChild(D.el("div", {"class": "dz-option", "data-option": i}, [
        D.el("span", {"class": "grip", text: "⠿"}),
        input(o.value, function (v) { o.value = v; changed(""); }, {placeholder: W.option_value, "data-option-value": i}),
        input(o.label.zh, function (v) { o.label.zh = v; changed(""); }, {placeholder: W.label_zh, "data-option-zh": i}),
        input(o.label.en, function (v) { o.label.en = v; changed(""); }, {placeholder: W.label_en, "data-option-en": i}),
        colour,
        D.el("button", {"class": "x", type: "button", text: "×", title: W.remove, onclick: function () {
          if (f.options.length < 2) return;
          f.options.splice(i, 1); changed(""); renderProps(); }})]));
    });
    box.appendChild(D.el("button", {"class": "btn", type: "button", text: "+ " + W.add_option, "data-dz-add-option": "",
      onclick: function () {
        var n = f.options.length + 1;
        f.options.push({value: "option_" + n, label: {zh: "选项" + n, en: "Option " + n}, color: COLOURS[(n - 1) % COLOURS.length]});
        changed(""); renderProps();
        var last = props.querySelector('[data-option-zh="' + (n - 1) + '"]');
        if (last) last.focus();
      }}));
    if (window.Sortable) window.Sortable.create(box, {handle: ".grip", draggable: ".dz-option", onEnd: function (e) {
      f.options.splice(e.newIndex, 0, f.options.splice(e.oldIndex, 1)[0]); changed(""); renderProps(); }});
    return box;
  }

  function defaultControl(f) {
    var isFormula = f["default"] && typeof f["default"] === "object" && "formula" in f["default"];
    var toggle = D.el("input", {type: "checkbox", checked: isFormula});
    var holder = D.el("div", {"class": "wide"});
    function draw() {
      holder.innerHTML = "";
      if (toggle.checked) {
        holder.appendChild(D.formula((f["default"] || {}).formula, D.ruleKeys(doc.key, doc.fields), function (v) {
          if (v === undefined) { delete f["default"]; } else { f["default"] = {formula: v}; }
          save({zh: "默认值 " + f.key, en: "default of " + f.key});
        }, "default.formula"));
        return;
      }
      var current = isFormula ? "" : f["default"];
      var control;
      if (f.type === "select") {
        control = D.el("select", {"data-prop": "default"}, [D.el("option", {value: "", text: "—"})].concat(
          (f.options || []).map(function (o) { return D.el("option", {value: o.value, text: D.text(o.label), selected: o.value === current}); })));
        control.addEventListener("change", function () {
          if (control.value) f["default"] = control.value; else delete f["default"];
          save({zh: "默认值 " + f.key, en: "default of " + f.key});
        });
      } else if (f.type === "boolean") {
        control = D.el("input", {type: "checkbox", checked: current === true, "data-prop": "default"});
        control.addEventListener("change", function () {
          if (control.checked) f["default"] = true; else delete f["default"];
          save({zh: "默认值 " + f.key, en: "default of " + f.key});
        });
      } else {
        control = input(current, function (v) {
          if (v === "") delete f["default"];
          else f["default"] = f.type === "integer" ? parseInt(v, 10) : v;
          save({zh: "默认值 " + f.key, en: "default of " + f.key});
        }, {"data-prop": "default", type: f.type === "integer" || f.type === "decimal" ? "number" : f.type === "date" ? "date" : "text"});
      }
      holder.appendChild(control);
    }
    toggle.addEventListener("change", function () {
      if (!toggle.checked) delete f["default"];
      isFormula = toggle.checked;
      draw();
    });
    draw();
    return [D.el("div", {"class": "wide"}, [D.el("strong", {text: W["default"] + " "}),
      D.el("label", {"class": "dz-check"}, [toggle, W.default_formula])]), holder];
  }

  /* Which roles read and change this field, from the entity's permissions. */
  function access(f) {
    var table = D.el("table", {"class": "dz-access"});
    (setup.roles || []).forEach(function (role) {
      if (role.key === "admin") return;
      var p = (doc.permissions || []).filter(function (x) { return x.role === role.key; })[0];
      var word = W.no_access;
      if (p && p.read) {
        var hidden = (p.hidden_fields || []).indexOf(f.key) >= 0;
        var writable = p.writable_fields ? p.writable_fields.indexOf(f.key) >= 0 : true;
        var ro = (p.readonly_fields || []).indexOf(f.key) >= 0 || !writable || !(p.create || p.update) || f.read_only;
        word = hidden ? W.cannot_see : ro ? W.can_read : W.can_read_write;
      }
      table.appendChild(D.el("tr", {}, [D.el("td", {text: D.text(role.label)}), D.el("td", {text: word})]));
    });
    return table;
  }

  // -- the entity's own settings -------------------------------------------------------------------
  function renderEntity() {
    var box = document.querySelector("[data-pane=entity]");
    box.innerHTML = "";
    var grid = D.el("div", {"class": "dz-form card"});
    textPair(doc, "label", W.name).forEach(function (e) { grid.appendChild(e); });
    textPair(doc, "description", W.description).forEach(function (e) { grid.appendChild(e); });
    grid.appendChild(labelled(W.key, D.el("input", {type: "text", value: doc.key, disabled: true})));
    if (!doc.child) {
      grid.appendChild(labelled(W.naming, input(doc.naming, function (v) {
        if (v) doc.naming = v; else delete doc.naming;
        save({zh: "编号规则", en: "numbering"});
      }, {"data-prop": "naming"}), false, W.naming_hint));
      var title = D.el("select", {"data-prop": "title_field"}, [D.el("option", {value: "", text: "—"})].concat(
        doc.fields.filter(function (f) { return f.type !== "table"; }).map(function (f) {
          return D.el("option", {value: f.key, text: label(f) + " (" + f.key + ")", selected: f.key === doc.title_field}); })));
      title.addEventListener("change", function () {
        if (title.value) doc.title_field = title.value; else delete doc.title_field;
        save({zh: "标题字段", en: "title field"});
      });
      grid.appendChild(labelled(W.title_field, title));
    }
    box.appendChild(grid);
  }

  function chips(values, options, onChange) {
    var box = D.el("div", {"class": "dz-multi"});
    function draw() {
      box.innerHTML = "";
      values.forEach(function (v, i) {
        box.appendChild(D.el("span", {"class": "dz-chip"}, [v, D.el("button", {type: "button", text: "×", onclick: function () {
          values.splice(i, 1); onChange(); draw(); }})]));
      });
      var add = D.el("select", {}, [D.el("option", {value: "", text: "+"})].concat(options.filter(function (o) {
        return values.indexOf(o) < 0; }).map(function (o) { return D.el("option", {value: o, text: o}); })));
      add.addEventListener("change", function () { if (add.value) { values.push(add.value); onChange(); draw(); } });
      box.appendChild(add);
    }
    draw();
    return box;
  }

  function renderPermissions() {
    var box = document.querySelector("[data-pane=perms]");
    box.innerHTML = "";
    doc.permissions = doc.permissions || [];
    var keys = doc.fields.map(function (f) { return f.key; });
    var table = D.el("table", {"class": "dz-perms card"});
    table.appendChild(D.el("tr", {}, [W.role, W.read, W.create_perm, W.update_perm, W["delete"], W.scope, W.hidden_fields,
      W.readonly_fields, W.row_rule, ""].map(function (h) { return D.el("th", {text: h}); })));
    function changed() { save({zh: "修改权限", en: "permissions"}); }
    doc.permissions.forEach(function (p, i) {
      var cells = [D.el("td", {text: D.text(((setup.roles || []).filter(function (r) { return r.key === p.role; })[0] || {}).label) || p.role})];
      ["read", "create", "update", "delete"].forEach(function (a) {
        var box2 = D.el("input", {type: "checkbox", checked: !!p[a], "data-perm": p.role + "." + a});
        box2.addEventListener("change", function () { if (box2.checked) p[a] = true; else delete p[a]; changed(); });
        cells.push(D.el("td", {}, [box2]));
      });
      var scope = D.el("select", {}, ["all", "mine", "department", "subordinates"].map(function (s) {
        return D.el("option", {value: s, text: W["scope_" + s], selected: (p.scope || "all") === s}); }));
      scope.addEventListener("change", function () { if (scope.value === "all") delete p.scope; else p.scope = scope.value; changed(); });
      cells.push(D.el("td", {}, [scope]));
      ["hidden_fields", "readonly_fields"].forEach(function (name) {
        var values = p[name] || [];
        cells.push(D.el("td", {}, [chips(values, keys, function () {
          if (values.length) p[name] = values; else delete p[name]; changed(); })]));
      });
      cells.push(D.el("td", {}, [D.formula(p.rows, D.ruleKeys(doc.key, doc.fields).concat(["$user.id", "$user.username"]),
        function (v) { if (v === undefined) delete p.rows; else p.rows = v; changed(); }, "permissions[" + i + "].rows")]));
      cells.push(D.el("td", {}, [D.el("button", {"class": "x", type: "button", text: "×", title: W.remove, onclick: function () {
        doc.permissions.splice(i, 1); changed(); renderPermissions(); }})]));
      table.appendChild(D.el("tr", {}, cells));
    });
    box.appendChild(table);
    var free = (setup.roles || []).filter(function (r) {
      return r.key !== "admin" && !doc.permissions.some(function (p) { return p.role === r.key; }); });
    if (free.length) {
      var add = D.el("select", {"data-dz-add-role": ""}, [D.el("option", {value: "", text: "+ " + W.add_role})].concat(
        free.map(function (r) { return D.el("option", {value: r.key, text: D.text(r.label)}); })));
      add.addEventListener("change", function () {
        if (!add.value) return;
        doc.permissions.push({role: add.value, read: true});
        changed(); renderPermissions();
      });
      box.appendChild(add);
    }
  }

  // -- tabs, JSON, problems ----------------------------------------------------------------------
  var raw = null;
  function renderJson() {
    var box = document.querySelector("[data-pane=json]");
    raw = D.rawEditor(box, function () { return doc; }, function (next) {
      doc = next; save({zh: "编辑 JSON", en: "edited the JSON"});
    }, document.querySelector("[data-dz-doc-problems]"));
  }

  D.editor = {load: function (next, problems) {
    doc = next;
    buildList(); renderEntity(); renderPermissions(); renderJson();
    if (selected && !field(selected)) selected = null;
    if (selected) select(selected); else renderProps();
    D.showProblems(document.querySelector("[data-dz-doc-problems]"), problems);
  }};

  document.addEventListener("DOMContentLoaded", function () {
    props = document.querySelector("[data-dz-props]");
    document.querySelectorAll("[data-tab]").forEach(function (button) {
      button.addEventListener("click", function () {
        document.querySelectorAll("[data-tab]").forEach(function (b) { b.classList.toggle("on", b === button); });
        document.querySelectorAll("[data-pane]").forEach(function (p) { p.hidden = p.getAttribute("data-pane") !== button.getAttribute("data-tab"); });
        if (button.getAttribute("data-tab") === "json" && raw) raw.refresh();
        if (button.getAttribute("data-tab") === "perms") renderPermissions();
      });
    });
    var search = document.querySelector("[data-dz-field-search]");
    search.addEventListener("input", function () { filter(search.value); });
    var form = document.querySelector("[data-dz-add-field]");
    var type = form.querySelector("select[name=type]");
    TYPES.forEach(function (t) { type.appendChild(D.el("option", {value: t, text: typeWord(t)})); });
    form.en.addEventListener("input", function () { form.key.placeholder = slug(form.en.value || form.zh.value); });
    form.addEventListener("submit", function (e) { e.preventDefault(); addField(form); });
    D.editor.load(setup.document, []);
    D.trackProblems(address);
  });
}());
