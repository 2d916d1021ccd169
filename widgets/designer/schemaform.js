/* The generic editor: a form generated from a document kind's meta-schema (so a kind added later
 * is editable the day its schema exists), and a raw JSON mode that validates as you type against
 * the same meta-schema on the server and shows each problem at its path. */
(function () {
  "use strict";
  var D = window.Designer;
  var schemas = {};

  function load(name) {
    if (schemas[name]) return Promise.resolve(schemas[name]);
    return D.api("/api/v1/_design/kinds/" + name + "/schema").then(function (r) {
      schemas[name] = r.ok ? r.body : {};
      return schemas[name];
    });
  }

  function SchemaForm(root, kind, doc, onChange) {
    this.root = root; this.kind = kind; this.doc = doc; this.onChange = onChange;
    this.file = kind + ".schema.json";
  }

  SchemaForm.prototype.start = function () {
    var self = this;
    return Promise.all([load(this.kind), load("common")]).then(function () { self.render(); });
  };

  SchemaForm.prototype.resolve = function (node, file) {
    var guard = 0;
    while (node && node.$ref && guard++ < 20) {
      var parts = node.$ref.split("#");
      file = parts[0] || file;
      var target = schemas[file.replace(".schema.json", "")] || {};
      (parts[1] || "").split("/").filter(Boolean).forEach(function (p) { target = target ? target[p] : undefined; });
      node = target;
    }
    return {node: node || {}, file: file};
  };

  /* Properties of an object schema, allOf/if-then branches included. */
  SchemaForm.prototype.props = function (node, file) {
    var self = this, out = {}, required = [], extra = null;
    (function walk(n, f) {
      var r = self.resolve(n, f);
      n = r.node; f = r.file;
      Object.keys(n.properties || {}).forEach(function (k) { if (!(k in out)) out[k] = {node: n.properties[k], file: f}; });
      (n.required || []).forEach(function (k) { required.push(k); });
      if (n.additionalProperties && typeof n.additionalProperties === "object" && !extra) {
        extra = {node: n.additionalProperties, file: f};
      }
      (n.allOf || []).forEach(function (s) { walk(s, f); });
      if (n.then) walk(n.then, f);
    })(node, file);
    return {props: out, required: required, extra: extra};
  };

  SchemaForm.prototype.blank = function (node, file) {
    var r = this.resolve(node, file), n = r.node, self = this;
    if (n.default !== undefined) return JSON.parse(JSON.stringify(n.default));
    if (n.enum) return n.enum[0];
    if (n.const !== undefined) return n.const;
    var type = Array.isArray(n.type) ? n.type[0] : n.type;
    if (type === "object" || n.properties) {
      var o = {}, p = this.props(n, r.file);
      p.required.forEach(function (k) { if (p.props[k]) o[k] = self.blank(p.props[k].node, p.props[k].file); });
      return o;
    }
    if (type === "array") return [];
    if (type === "integer" || type === "number") return 0;
    if (type === "boolean") return false;
    if (type === "string") return "";
    if (n.oneOf || n.anyOf) return this.blank((n.oneOf || n.anyOf)[0], r.file);
    return null;
  };

  SchemaForm.prototype.render = function () {
    this.root.innerHTML = "";
    var self = this;
    this.root.appendChild(this.node(this.doc, {$ref: "#"}, this.file, "$", function (v) { self.doc = v; }));
  };

  SchemaForm.prototype.changed = function () { this.onChange(this.doc); };

  SchemaForm.prototype.json = function (value, path, set) {
    var self = this;
    var area = D.el("textarea", {"data-path": path, rows: 3, value: JSON.stringify(value, null, 1)});
    area.addEventListener("input", function () {
      try { set(JSON.parse(area.value)); area.classList.remove("bad"); self.changed(); }
      catch (e) { area.classList.add("bad"); area.title = D.W.invalid_json; }
    });
    return area;
  };

  SchemaForm.prototype.node = function (value, schema, file, path, set) {
    var self = this, r = this.resolve(schema, file), n = r.node;
    file = r.file;
    var type = Array.isArray(n.type) ? n.type.filter(function (t) { return t !== "null"; })[0] : n.type;
    if (n.const !== undefined) return D.el("code", {text: JSON.stringify(n.const)});
    if (n.enum) {
      var select = D.el("select", {"data-path": path}, n.enum.map(function (v) {
        return D.el("option", {value: JSON.stringify(v), text: String(v), selected: v === value});
      }));
      select.addEventListener("change", function () { set(JSON.parse(select.value)); self.changed(); });
      return select;
    }
    if ((type === "object" || n.properties) && value && typeof value === "object" && !Array.isArray(value)) {
      return this.object(value, n, file, path);
    }
    if (type === "array" && Array.isArray(value)) return this.array(value, n, file, path);
    if (type === "string" && typeof value === "string") {
      var input = D.el("input", {type: "text", value: value, "data-path": path, title: n.description || null});
      var pattern = n.pattern ? new RegExp(n.pattern) : null;
      input.addEventListener("input", function () {
        set(input.value);
        input.classList.toggle("bad", !!pattern && !pattern.test(input.value));
        self.changed();
      });
      return input;
    }
    if ((type === "integer" || type === "number") && typeof value === "number") {
      var num = D.el("input", {type: "number", value: String(value), step: type === "integer" ? "1" : "any",
                               "data-path": path});
      num.addEventListener("input", function () {
        if (num.value === "") return;
        set(type === "integer" ? parseInt(num.value, 10) : parseFloat(num.value)); self.changed();
      });
      return num;
    }
    if (type === "boolean" && typeof value === "boolean") {
      var box = D.el("input", {type: "checkbox", checked: value, "data-path": path});
      box.addEventListener("change", function () { set(box.checked); self.changed(); });
      return box;
    }
    return this.json(value, path, set);  // JSONLogic, unions and anything the form cannot say
  };

  SchemaForm.prototype.object = function (value, n, file, path) {
    var self = this, info = this.props(n, file);
    var box = D.el("fieldset", {"data-path": path});
    Object.keys(value).forEach(function (k) {
      var spec = info.props[k] || info.extra || {node: {}, file: file};
      var sub = path + "." + k;
      var row = D.el("div", {"class": "dz-prop"}, [
        D.el("span", {text: k, title: (spec.node && spec.node.description) || ""}),
        self.node(value[k], spec.node, spec.file, sub, function (v) { value[k] = v; }),
        info.required.indexOf(k) >= 0 ? D.el("span") : D.el("button", {"class": "x", type: "button", title: D.W.remove,
          text: "×", onclick: function () { delete value[k]; self.changed(); self.render(); }})]);
      box.appendChild(row);
    });
    var missing = Object.keys(info.props).filter(function (k) { return !(k in value); });
    if (missing.length || info.extra) {
      var pick = D.el("select", {"class": "dz-add"}, [D.el("option", {value: "", text: "+ " + D.W.add_property})]
        .concat(missing.map(function (k) { return D.el("option", {value: k, text: k}); })));
      var name = info.extra ? D.el("input", {type: "text", placeholder: D.W.key, size: 12}) : null;
      var add = function () {
        var k = pick.value || (name && name.value.trim());
        if (!k || k in value) return;
        var spec = info.props[k] || info.extra;
        value[k] = self.blank(spec.node, spec.file);
        self.changed(); self.render();
      };
      pick.addEventListener("change", add);
      box.appendChild(D.el("div", {"class": "dz-list-row"}, [pick, name,
        name ? D.el("button", {"class": "btn", type: "button", text: D.W.add, onclick: add}) : null]));
    }
    return box;
  };

  SchemaForm.prototype.array = function (value, n, file, path) {
    var self = this, items = n.items || {};
    var box = D.el("div", {"data-path": path});
    value.forEach(function (item, i) {
      var row = D.el("div", {"class": "dz-arr-item"}, [
        self.node(item, items, file, path + "[" + i + "]", function (v) { value[i] = v; }),
        D.el("div", {"class": "actions"}, [
          D.el("button", {"class": "x", type: "button", title: D.W.move_up, text: "↑", onclick: function () {
            if (i > 0) { value.splice(i - 1, 0, value.splice(i, 1)[0]); self.changed(); self.render(); } }}),
          D.el("button", {"class": "x", type: "button", title: D.W.move_down, text: "↓", onclick: function () {
            if (i < value.length - 1) { value.splice(i + 1, 0, value.splice(i, 1)[0]); self.changed(); self.render(); } }}),
          D.el("button", {"class": "x", type: "button", title: D.W.remove, text: "×", onclick: function () {
            value.splice(i, 1); self.changed(); self.render(); }})])]);
      box.appendChild(row);
    });
    box.appendChild(D.el("button", {"class": "btn dz-add", type: "button", text: "+ " + D.W.add_item, onclick: function () {
      value.push(self.blank(items, file)); self.changed(); self.render(); }}));
    return box;
  };

  SchemaForm.prototype.mark = function (problems) {
    this.root.querySelectorAll(".bad").forEach(function (e) { e.classList.remove("bad"); });
    var root = this.root;
    (problems || []).forEach(function (p) {
      var target = root.querySelector('[data-path="' + p.path.replace(/"/g, '\\"') + '"]');
      if (target) { target.classList.add("bad"); target.title = p.message; }
    });
  };
  D.SchemaForm = SchemaForm;

  /* The raw JSON mode of any document: parse as you type, validate on the server, apply when it parses. */
  D.rawEditor = function (box, getDoc, apply, problemsBox) {
    var area = D.el("textarea", {"class": "dz-raw", spellcheck: "false", "data-dz-raw": ""});
    var note = D.el("p", {"class": "hint"});
    var timer = null;
    box.innerHTML = "";
    box.appendChild(area);
    box.appendChild(note);
    function fill() { area.value = JSON.stringify(getDoc(), null, 2); }
    fill();
    area.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var doc;
        try { doc = JSON.parse(area.value); } catch (e) {
          area.classList.add("bad");
          note.textContent = D.W.invalid_json + "：" + e.message;
          D.blocked(D.W.invalid_json);
          return;
        }
        area.classList.remove("bad");
        note.textContent = D.W.json_applied;
        D.api(D.draftUrl("/validate"), {json: {address: D.setup.address, document: doc}}).then(function (r) {
          if (r.ok) D.showProblems(problemsBox, r.body.problems);
        });
        apply(doc);
      }, 400);
    });
    return {refresh: fill};
  };
}());
