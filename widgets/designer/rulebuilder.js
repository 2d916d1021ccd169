/* The rule builder: nested all/any groups of conditions drawn from SunmaoRuleModel, fields picked
 * from the entity (through links: 客户 · 等级), operators by field type, values typed by field
 * (options of a select, dates as "today + N days", a named app setting, another field), and a
 * JSON mode. What the model cannot draw is shown and edited as JSON in its place — never lost.
 *
 *   var b = SunmaoRuleBuilder(container, {rule, fields, settings, lang, onChange});
 *   SunmaoRuleTest(container, {entity, rule: () => b.get(), settings, url, lang, api});
 */
(function () {
  "use strict";
  var M = window.SunmaoRuleModel;

  var el = window.Designer.el;  // the designer's small DOM helper (designer.js is loaded first)
  function tr(lang, zh, en) { return lang === "en" ? en : zh; }
  function labelOf(text, lang) { return text && typeof text === "object" ? (text[lang] || text.zh || text.en) : text; }

  /* {"setting": key} replaced by the setting's value, as the compiler does. */
  function resolveSettings(rule, settings) {
    var table = {};
    (settings || []).forEach(function (s) { table[s.key] = s.value; });
    function put(node) {
      if (node && typeof node === "object" && !Array.isArray(node)) {
        var keys = Object.keys(node);
        if (keys.length === 1 && keys[0] === "setting" && typeof node.setting === "string") {
          return node.setting in table ? table[node.setting] : null;
        }
        var out = {};
        keys.forEach(function (k) { out[k] = put(node[k]); });
        return out;
      }
      if (Array.isArray(node)) return node.map(put);
      return node;
    }
    return put(rule);
  }

  function SunmaoRuleBuilder(container, options) {
    var lang = options.lang || "zh";
    var fields = options.fields || [];
    var byPath = {};
    fields.forEach(function (f) { byPath[f.path] = f; });
    var settings = options.settings || [];
    var root = M.parse(options.rule === undefined || options.rule === null ? {"and": []} : options.rule);
    var mode = "builder";
    var T = function (zh, en) { return tr(lang, zh, en); };

    function changed() { if (options.onChange) options.onChange(M.format(root)); }
    function changedAndDraw() { changed(); draw(); }

    function fieldSelect(cond) {
      var select = el("select", {"class": "rb-field", "aria-label": T("字段", "Field"),
        onchange: function () {
          var f = byPath[select.value];
          var fresh = M.newCondition(select.value, f ? f.type : "string");
          cond.left = fresh.left; cond.op = fresh.op; cond.values = fresh.values; delete cond.form; delete cond.strict;
          changedAndDraw();
        }});
      if (!byPath[cond.left.field]) select.appendChild(el("option", {value: cond.left.field, text: cond.left.field}));
      fields.forEach(function (f) {
        select.appendChild(el("option", {value: f.path, text: f.label + (f.label === f.path ? "" : " (" + f.path + ")"),
                                         selected: f.path === cond.left.field}));
      });
      return select;
    }

    function measureSelect(cond, type) {
      if (M.family(type) !== "date") return null;
      var select = el("select", {"class": "rb-measure", "aria-label": T("比较", "Compare"), onchange: function () {
        if (select.value) cond.left.measure = select.value; else delete cond.left.measure;
        if (select.value) cond.values = cond.values.map(function () { return 3; });
        changedAndDraw();
      }}, [el("option", {value: "", text: T("日期本身", "the date")}),
           el("option", {value: "days", text: T("距今天数", "days from today"), selected: cond.left.measure === "days"}),
           el("option", {value: "workdays", text: T("距今工作日", "working days from today"),
                         selected: cond.left.measure === "workdays"})]);
      return select;
    }

    function opSelect(cond, type) {
      var ops = M.operatorsFor(cond.left.measure ? "integer" : type);
      if (ops.indexOf(cond.op) < 0) ops.unshift(cond.op);
      var select = el("select", {"class": "rb-op", "aria-label": T("运算", "Operator"), onchange: function () {
        var fresh = M.newCondition(cond.left.field, cond.left.measure ? "integer" : type, select.value);
        var keep = cond.values.length ? cond.values[0] : undefined;
        cond.op = select.value; delete cond.form; delete cond.strict;
        cond.values = fresh.values.map(function (v, i) { return i === 0 && keep !== undefined && !Array.isArray(v) && !Array.isArray(keep) ? keep : v; });
        changedAndDraw();
      }});
      ops.forEach(function (op) {
        var words = M.OPERATORS[op] || [op, op];
        select.appendChild(el("option", {value: op, text: lang === "en" ? words[1] : words[0], selected: op === cond.op}));
      });
      return select;
    }

    function literalInput(value, type, field, set) {
      var fam = cond_family(type);
      if (field && field.options && field.options.length && fam !== "number") {
        var s = el("select", {"class": "rb-value", onchange: function () { set(s.value); }});
        field.options.forEach(function (o) {
          s.appendChild(el("option", {value: o.value, text: labelOf(o.label, lang) || o.value, selected: o.value === value}));
        });
        if (value === "" || value === null) set(field.options[0].value, true);
        return s;
      }
      if (fam === "boolean") {
        var b = el("select", {"class": "rb-value", onchange: function () { set(b.value === "true"); }},
          [el("option", {value: "true", text: T("是", "yes"), selected: value === true}),
           el("option", {value: "false", text: T("否", "no"), selected: value === false})]);
        return b;
      }
      var input = el("input", {"class": "rb-value", type: fam === "number" ? "number" : fam === "date" ? "date" : "text",
                               step: fam === "number" ? "any" : null, value: value === null || value === undefined ? "" : String(value),
                               "aria-label": T("值", "Value")});
      input.addEventListener("input", function () {
        if (fam === "number") { var n = Number(input.value); if (input.value !== "" && isFinite(n)) set(n); }
        else set(input.value);
      });
      return input;
    }
    function cond_family(type) { return M.family(type || "string"); }

    /* One value: its form (literal, setting, field, today, today ± N days, JSON) and its editor. */
    function valueEditor(cond, i, type) {
      var field = byPath[cond.left.field];
      var value = cond.values[i];
      var kind = M.valueKind(value);
      var box = el("span", {"class": "rb-valuebox"});
      function set(v, quiet) { cond.values[i] = v; if (!quiet) changed(); }
      var kinds = [["literal", T("值", "value")], ["setting", T("参数", "setting")], ["field", T("字段", "field")]];
      if (cond_family(type) === "date" && !cond.left.measure) {
        kinds.push(["today", T("今天", "today")], ["today_plus", T("今天 + N 天", "today + N days")],
                   ["today_plus_work", T("今天 + N 个工作日", "today + N working days")]);
      }
      kinds.push(["json", "JSON"]);
      if (kind === "list") kinds = [["list", T("列表", "list")], ["json", "JSON"]];
      var pick = el("select", {"class": "rb-kind", "aria-label": T("值的来源", "Value from"), onchange: function () {
        var k = pick.value;
        var next = k === "setting" ? {"setting": (settings[0] || {}).key || ""} : k === "field" ? {"var": fields[0] ? fields[0].path : ""}
          : k === "today" ? {"today": []} : k === "today_plus" ? {"add_days": [{"today": []}, 3]}
          : k === "today_plus_work" ? {"add_workdays": [{"today": []}, 3]}
          : k === "json" ? value : k === "list" ? [] : (cond_family(type) === "number" ? 0 : "");
        set(next); draw();
      }});
      kinds.forEach(function (k) { pick.appendChild(el("option", {value: k[0], text: k[1], selected: k[0] === kind})); });
      box.appendChild(pick);
      if (kind === "literal") box.appendChild(literalInput(value, cond.left.measure ? "integer" : type, cond.left.measure ? null : field, set));
      else if (kind === "setting") {
        var s = el("select", {"class": "rb-setting", "aria-label": T("参数", "Setting"), onchange: function () { set({"setting": s.value}); }});
        if (!settings.some(function (x) { return x.key === value.setting; })) s.appendChild(el("option", {value: value.setting, text: value.setting}));
        settings.forEach(function (x) {
          s.appendChild(el("option", {value: x.key, text: labelOf(x.label, lang) + " = " + x.value, selected: x.key === value.setting}));
        });
        box.appendChild(s);
      } else if (kind === "field") {
        var f = el("select", {"class": "rb-value-field", onchange: function () { set({"var": f.value}); }});
        fields.forEach(function (x) { f.appendChild(el("option", {value: x.path, text: x.label, selected: x.path === value["var"]})); });
        box.appendChild(f);
      } else if (kind === "today_plus" || kind === "today_plus_work") {
        var op = kind === "today_plus" ? "add_days" : "add_workdays";
        var n = el("input", {type: "number", step: "1", min: op === "add_workdays" ? "0" : null, "class": "rb-days",
                             value: String(value[op][1]), "aria-label": T("天数", "Days")});
        n.addEventListener("input", function () {
          var d = parseInt(n.value, 10), next = {};
          if (isNaN(d) || (op === "add_workdays" && d < 0)) return;
          next[op] = [{"today": []}, d];
          set(next);
        });
        box.appendChild(n);
        box.appendChild(el("span", {"class": "hint", text: op === "add_days" ? T("天", "days") : T("个工作日", "working days")}));
      } else if (kind === "list") {
        if (field && field.options && field.options.length) {
          field.options.forEach(function (o) {
            var c = el("input", {type: "checkbox", checked: value.indexOf(o.value) >= 0, onchange: function () {
              var next = value.filter(function (v) { return v !== o.value; });
              if (c.checked) next.push(o.value);
              set(next); value = next;
            }});
            box.appendChild(el("label", {"class": "dz-check"}, [c, labelOf(o.label, lang) || o.value]));
          });
        } else {
          var t = el("input", {type: "text", "class": "rb-value", value: value.join(", "),
                               placeholder: T("用逗号分隔", "comma separated")});
          t.addEventListener("input", function () {
            set(t.value.split(",").map(function (x) { return x.trim(); }).filter(Boolean));
          });
          box.appendChild(t);
        }
      } else if (kind === "json") {
        box.appendChild(jsonArea(value, function (v) { set(v); }));
      }
      return box;
    }

    function jsonArea(value, onValue) {
      var area = el("textarea", {"class": "rb-json", rows: 3, spellcheck: "false", value: JSON.stringify(value)});
      var error = el("div", {"class": "dz-error"});
      area.addEventListener("input", function () {
        try { var v = JSON.parse(area.value); area.classList.remove("bad"); error.textContent = ""; onValue(v); }
        catch (e) { area.classList.add("bad"); error.textContent = T("JSON 格式错误：", "invalid JSON: ") + e.message; }
      });
      return el("div", {"class": "rb-jsonbox"}, [area, error]);
    }

    function removeButton(list, index) {
      return el("button", {type: "button", "class": "rb-remove", title: T("删除", "Remove"), "aria-label": T("删除", "Remove"),
                           text: "✕", onclick: function () { list.splice(index, 1); changedAndDraw(); }});
    }

    function drawNode(node, list, index) {
      if (node.t === "group") {
        var head = el("div", {"class": "rb-head"}, [
          el("select", {"class": "rb-combinator", "aria-label": T("组合", "Combine"), onchange: function (e) {
            node.combinator = e.target.value; changed();
          }}, [el("option", {value: "and", text: T("满足全部条件", "all of these"), selected: node.combinator === "and"}),
               el("option", {value: "or", text: T("满足任一条件", "any of these"), selected: node.combinator === "or"})]),
          el("button", {type: "button", "class": "btn rb-add-cond", text: "+ " + T("条件", "condition"), onclick: function () {
            var f = fields[0] || {path: "id", type: "integer"};
            node.rules.push(M.newCondition(f.path, f.type)); changedAndDraw();
          }}),
          el("button", {type: "button", "class": "btn rb-add-group", text: "+ " + T("条件组", "group"), onclick: function () {
            node.rules.push(M.newGroup(node.combinator === "and" ? "or" : "and")); changedAndDraw();
          }}),
          list ? removeButton(list, index) : null]);
        var body = el("div", {"class": "rb-children"});
        node.rules.forEach(function (child, i) { body.appendChild(drawNode(child, node.rules, i)); });
        if (!node.rules.length) body.appendChild(el("p", {"class": "hint", text: T("还没有条件", "no conditions yet")}));
        return el("div", {"class": "rb-group rb-" + node.combinator}, [head, body]);
      }
      if (node.t === "not") {
        return el("div", {"class": "rb-not"}, [el("div", {"class": "rb-head"}, [el("strong", {text: T("并非", "NOT")}),
          list ? removeButton(list, index) : null]), drawNode(node.rule, null, null)]);
      }
      if (node.t === "cond") {
        var f = byPath[node.left.field];
        var type = f ? f.type : "string";
        var row = el("div", {"class": "rb-cond", "data-field": node.left.field},
                     [fieldSelect(node), measureSelect(node, type), opSelect(node, type)]);
        node.values.forEach(function (_v, i) {
          if (i > 0) row.appendChild(el("span", {"class": "hint", text: T("和", "and")}));
          row.appendChild(valueEditor(node, i, type));
        });
        if (list) row.appendChild(removeButton(list, index));
        return row;
      }
      var raw = el("div", {"class": "rb-raw"}, [el("div", {"class": "hint", text: T(
        "构建器画不出这部分，按 JSON 编辑（原样保留）", "The builder cannot draw this part: edit it as JSON (kept as it is)")}),
        jsonArea(node.json, function (v) { node.json = v; changed(); })]);
      if (list) raw.appendChild(removeButton(list, index));
      return raw;
    }

    var tabs = el("div", {"class": "dz-tabs rb-tabs"});
    var canvas = el("div", {"class": "rb-canvas"});
    container.innerHTML = "";
    container.appendChild(tabs);
    container.appendChild(canvas);
    [["builder", T("构建器", "Builder")], ["json", "JSON"]].forEach(function (m) {
      tabs.appendChild(el("button", {type: "button", "data-rb-mode": m[0], "class": m[0] === mode ? "on" : null, text: m[1],
        onclick: function () { mode = m[0]; draw(); }}));
    });

    function draw() {
      Array.prototype.forEach.call(tabs.children, function (b) { b.classList.toggle("on", b.getAttribute("data-rb-mode") === mode); });
      canvas.innerHTML = "";
      if (mode === "json") {
        canvas.appendChild(jsonArea(M.format(root), function (v) { root = M.parse(v); changed(); }));
        return;
      }
      if (root.t !== "group") {
        canvas.appendChild(el("button", {type: "button", "class": "btn rb-wrap", text: T("放进条件组", "Put in a group"),
          onclick: function () { root = {t: "group", combinator: "and", rules: [root]}; changedAndDraw(); }}));
      }
      canvas.appendChild(drawNode(root, null, null));
    }
    draw();
    return {get: function () { return M.format(root); },
            set: function (rule) { root = M.parse(rule); draw(); }};
  }

  /* "Test this rule": a stored record (by id) or a typed sample, evaluated by the browser's rule
   * engine (json-logic-js + the Sunmao operations, as in the forms) with the server's answer beside it. */
  function SunmaoRuleTest(container, options) {
    var lang = options.lang || "zh";
    var T = function (zh, en) { return tr(lang, zh, en); };
    var id = el("input", {type: "number", min: "1", "class": "rb-test-id", placeholder: T("记录编号（id）", "record id"),
                          "aria-label": T("记录编号", "Record id")});
    var sample = el("textarea", {"class": "rb-test-sample", rows: 3, spellcheck: "false",
                                 placeholder: T("或输入示例数据（JSON），如 {\"amount_cny\": 60000}", "or a sample (JSON), e.g. {\"amount_cny\": 60000}")});
    var out = el("div", {"class": "rb-test-out", "aria-live": "polite"});
    var run = el("button", {type: "button", "class": "btn primary rb-test-run", text: T("测试这条规则", "Test this rule")});
    container.innerHTML = "";
    container.appendChild(el("div", {"class": "rb-test"}, [el("h3", {text: T("测试", "Test")}), id, sample, run, out]));
    function show(text) { return JSON.stringify(text); }
    run.addEventListener("click", function () {
      var body = {rule: options.rule(), entity: options.entity() || null};
      if (id.value) body.record_id = parseInt(id.value, 10);
      else if (sample.value.trim()) {
        try { body.sample = JSON.parse(sample.value); } catch (e) { out.textContent = T("示例不是 JSON：", "the sample is not JSON: ") + e.message; return; }
      } else body.sample = {};
      out.textContent = T("计算中…", "evaluating…");
      options.api(options.url, {json: body}).then(function (r) {
        out.innerHTML = "";
        if (!r.ok) { out.appendChild(el("p", {"class": "dz-error", text: (r.body && (r.body.detail || r.body.title)) || String(r.status)})); return; }
        var browser, browserError = null;
        try { browser = window.jsonLogic.apply(resolveSettings(body.rule, options.settings()), r.body.data); }
        catch (e) { browserError = e.message; }
        var server = r.body.error ? null : r.body.result;
        var same = !browserError && !r.body.error && JSON.stringify(browser) === JSON.stringify(server);
        out.appendChild(el("div", {"class": "rb-answers"}, [
          el("p", {"data-rb-browser": "", text: T("浏览器：", "Browser: ") + (browserError ? T("出错 ", "error ") + browserError : show(browser))}),
          el("p", {"data-rb-server": "", text: T("服务器：", "Server: ") + (r.body.error ? T("出错 ", "error ") + labelOf(r.body.error, lang) : show(server))}),
          el("p", {"class": same ? "ok" : "dz-error", "data-rb-same": same ? "yes" : "no",
                   text: same ? T("✓ 两边结果一致", "✓ both give the same answer") : T("✗ 两边结果不同", "✗ the answers differ")})]));
        var details = el("details", {}, [el("summary", {text: T("规则读到的数据", "The data the rule read")}),
          el("pre", {"class": "rb-data", text: JSON.stringify(r.body.data, null, 2).slice(0, 4000)})]);
        out.appendChild(details);
      });
    });
  }

  /* Every JSONLogic box of the entity and form editors (D.formula) gets "Edit in the builder":
   * the builder opens under it, over the document's entity, and writes back into the box. */
  var catalogue = {};
  function builderData(D, entity) {
    var key = entity || "";
    if (!catalogue[key]) {
      catalogue[key] = Promise.all([
        entity ? D.api(D.draftUrl("/rules/fields/" + entity)) : Promise.resolve({ok: true, body: {items: []}}),
        D.api(D.draftUrl("/rules"))
      ]).then(function (got) {
        return {fields: got[0].ok ? got[0].body.items : [], settings: got[1].ok ? got[1].body.settings : []};
      });
    }
    return catalogue[key];
  }
  if (window.Designer) window.Designer.ruleBuilderFor = function (wrap, area) {
    var D = window.Designer, lang = D.lang, doc = D.setup.document || {};
    var entity = D.setup.kind === "entity" ? doc.key : doc.entity;
    var holder = el("div", {"class": "rb-inline", hidden: true});
    var open = el("button", {type: "button", "class": "btn rb-open", text: tr(lang, "用构建器编辑", "Edit in the builder")});
    wrap.insertBefore(open, wrap.firstChild);
    wrap.appendChild(holder);
    open.addEventListener("click", function () {
      if (!holder.hidden) { holder.hidden = true; return; }
      var rule;
      try { rule = area.value.trim() ? JSON.parse(area.value) : {"and": []}; } catch (e) { return; }
      builderData(D, entity).then(function (data) {
        holder.hidden = false;
        SunmaoRuleBuilder(holder, {rule: rule, fields: data.fields, settings: data.settings, lang: lang,
          onChange: function (next) {
            area.value = JSON.stringify(next);
            area.dispatchEvent(new Event("input"));
          }});
      });
    });
  };

  window.SunmaoRuleBuilder = SunmaoRuleBuilder;
  window.SunmaoRuleTest = SunmaoRuleTest;
  window.SunmaoRuleSettings = {resolve: resolveSettings};
}());
