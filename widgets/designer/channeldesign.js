/* The channel designer: a push channel made without writing JSON. Paste a sample payload with its
 * headers (or take a stored raw delivery), click a value in the sample, then the field it goes to
 * (order fields, line fields, customer fields) and add transforms; choose the signature scheme and
 * store its secret (encrypted, server side); set the de-duplication key; and see what the channel
 * would make of the sample — the order, its lines, the customer and the problems — from the
 * intake's own code in a rolled-back transaction. The URL and a curl command to test it are shown.
 * Like n8n's input panel, the sample is the map: a path is taken from data, never typed. */
(function () {
  "use strict";
  var D = window.Designer, setup = D.setup, el = D.el;
  var zh = D.lang !== "en";
  var T = {
    channel: ["渠道", "Channel"], security: ["签名与密钥", "Signature and secret"], endpoint: ["接收地址与测试命令", "URL and a test command"],
    sample: ["样例数据", "Sample payload"], sample_tree: ["样例结构", "The sample"], mapping: ["字段映射", "Mapping"],
    preview: ["预览将生成的订单", "What the sample would make"],
    tree_hint: ["先点样例中的值，再点右侧的目标字段", "click a value of the sample, then the field it goes to"],
    key: ["标识（小写英文）", "Key (lower case)"], label_zh: ["名称 · 中文", "Label · Chinese"], label_en: ["名称 · English", "Label · English"],
    target: ["生成的记录", "Records made"], create: ["创建渠道", "Create the channel"], scheme: ["签名方式", "Scheme"],
    algorithm: ["算法", "Algorithm"], encoding: ["编码", "Encoding"], header: ["签名请求头", "Signature header"], prefix: ["前缀", "Prefix"],
    scheme_word: ["令牌前缀", "Scheme word"], secret_name: ["密钥名称", "Secret name"], secret_value: ["密钥值（加密保存，不会再显示）", "Secret value (stored encrypted, never shown again)"],
    generate: ["生成", "Generate"], save_secret: ["保存密钥", "Store the secret"],
    headers: ["请求头（每行 名称: 值）", "Headers (one per line, Name: value)"], body: ["请求体（JSON）", "Body (JSON)"],
    stored: ["或选用已收到的原始请求", "or use a stored raw delivery"], use: ["使用", "Use"], bad_json: ["JSON 格式错误", "Malformed JSON"],
    order_fields: ["记录字段", "Record fields"], line_fields: ["明细字段", "Line fields"], customer_fields: ["客户字段", "Customer fields"],
    lines_table: ["明细表", "Lines table"], lines_from: ["样例中的明细数组", "Line items in the sample"],
    customer_link: ["客户（关联字段）", "Customer (link field)"], match: ["按此匹配已有客户", "Match existing customers by"],
    source: ["来源", "Source"], clean: ["清洗", "Clean"], factor: ["乘以", "× factor"], default: ["默认值", "Default"],
    required: ["必填", "Required"], lookup_by: ["按此字段查找", "Look up by"], if_missing: ["找不到时", "If not found"],
    dedup: ["去重键", "De-duplication key"], find_field: ["查找字段", "Find a field"], only_mapped: ["只看已映射和必填", "Mapped and required only"], skip: ["跳过规则（测试单等，接收但不建单）", "Skip rules (test orders: accepted, nothing made)"],
    skip_add: ["+ 跳过规则（用选中的路径）", "+ skip rule (on the chosen path)"], reason: ["原因", "Reason"], external_id: ["对方订单号存于（改单时据此更新）", "The provider's order id goes to (a changed order updates it)"], dedup_use: ["用选中的路径作去重键", "Use the chosen path as the key"],
    armed: ["已选：{p} —— 现在点右侧一个字段", "chosen: {p} — now click a field on the right"],
    run: ["试收样例", "Try the sample"], signature: ["签名", "Signature"], sig_ok: ["正确", "valid"], sig_bad: ["不正确或未设置密钥", "invalid, or no secret set"],
    sig_none: ["无需签名", "none"], sig_stored: ["收到时已核验", "judged when received"], status: ["应答", "Answer"], lines: ["明细", "Lines"],
    customer: ["客户", "Customer"], nothing_kept: ["试收在回滚的事务中运行：没有保存任何订单、客户或接收记录。",
      "Tried in a rolled-back transaction: no order, customer or delivery was kept."], not_compiled: ["渠道文档还有问题：", "The channel document has problems:"],
    unmap: ["移除", "remove"], url_note: ["发布草稿后即启用该渠道（无需修改 app.json）", "publishing the draft enables the channel (no app.json editing)"]
  };
  function w(k) { var p = T[k]; return p ? p[zh ? 0 : 1] : k; }
  var doc = JSON.parse(JSON.stringify(setup.document));
  var creating = !!setup.creating, address = setup.address, armed = null, parsed;
  var sample = {headers: "", body: ""};
  var entities = {};
  (setup.entities || []).forEach(function (e) { entities[e.key] = e; });
  function save(summary) { if (!creating) D.changed(address, function () { return doc; }, summary || {zh: "渠道 " + doc.key, en: "channel " + doc.key}); }
  var field = D.labelled, input = D.textInput, options = D.options;
  function target() { return entities[(doc.target || {}).entity] || {fields: []}; }

  // -- head -------------------------------------------------------------------------------------------
  function drawHead() {
    var box = document.querySelector("[data-cz-head]");
    box.innerHTML = "";
    box.appendChild(field(w("key"), input(doc.key, {disabled: !creating, "data-cz-key": "", pattern: "[a-z][a-z0-9_]*"}, function (v) { doc.key = v.trim(); drawEndpoint(); })));
    ["zh", "en"].forEach(function (lang) {
      box.appendChild(field(w("label_" + lang), input((doc.label || {})[lang], {"data-cz-label": lang}, function (v) {
        doc.label = doc.label || {}; doc.label[lang] = v; save(); })));
    });
    var ent = el("select", {disabled: !creating, "data-cz-target": ""}, options(Object.keys(entities).filter(function (k) { return !entities[k].child; }),
      (doc.target || {}).entity, Object.keys(entities).filter(function (k) { return !entities[k].child; }).map(function (k) { return D.text(entities[k].label) + " (" + k + ")"; })));
    ent.addEventListener("change", function () { doc.target = {entity: ent.value}; doc.fields = {}; delete doc.lines; delete doc.customer; drawMapping(); });
    box.appendChild(field(w("target"), ent));
    if (creating) {
      box.appendChild(el("button", {"class": "btn primary wide", type: "button", "data-cz-create": "", text: w("create"), onclick: create}));
    }
  }
  function create() {
    if (!doc.auth.secrets || !doc.auth.secrets.length) doc.auth.secrets = [doc.key + "_webhook"];
    D.createDocument(doc, "channels", {zh: "新建渠道 " + doc.key, en: "channel " + doc.key + " added"},
                     document.querySelector("[data-cz-create-error]"), w("key"));
  }

  // -- signature and secret ------------------------------------------------------------------------------
  function drawAuth() {
    var box = document.querySelector("[data-cz-auth]");
    box.innerHTML = "";
    var auth = doc.auth = doc.auth || {type: "hmac", secrets: []};
    var type = el("select", {"data-cz-auth-type": ""}, options(["hmac", "bearer", "standard_webhooks", "none"], auth.type,
      ["HMAC", "Bearer token", "Standard Webhooks", zh ? "无（仅限可信网络）" : "none (trusted network only)"]));
    type.addEventListener("change", function () {
      var secrets = auth.secrets || [];
      doc.auth = {type: type.value};
      if (type.value !== "none") doc.auth.secrets = secrets.length ? secrets : [(doc.key || "channel") + "_webhook"];
      if (type.value === "hmac") Object.assign(doc.auth, {algorithm: "sha256", encoding: "base64", header: "X-Signature"});
      if (type.value === "bearer") Object.assign(doc.auth, {header: "Authorization", scheme: "Bearer"});
      save(); drawAuth(); drawEndpoint();
    });
    box.appendChild(field(w("scheme"), type));
    var grid = el("div", {"class": "dz-form"});
    function set(k) { return function (v) { if (v === "") delete auth[k]; else auth[k] = v; save(); drawEndpoint(); }; }
    if (auth.type === "hmac") {
      var alg = el("select", {}, options(["sha256", "sha1"], auth.algorithm || "sha256"));
      alg.addEventListener("change", function () { set("algorithm")(alg.value); });
      var enc = el("select", {"data-cz-encoding": ""}, options(["base64", "hex"], auth.encoding || "hex"));
      enc.addEventListener("change", function () { set("encoding")(enc.value); });
      grid.appendChild(field(w("algorithm"), alg)); grid.appendChild(field(w("encoding"), enc));
      grid.appendChild(field(w("header"), input(auth.header, {"data-cz-header": ""}, set("header"))));
      grid.appendChild(field(w("prefix"), input(auth.prefix, {placeholder: "sha256="}, set("prefix"))));
    } else if (auth.type === "bearer") {
      grid.appendChild(field(w("header"), input(auth.header || "Authorization", {}, set("header"))));
      grid.appendChild(field(w("scheme_word"), input(auth.scheme === undefined ? "Bearer" : auth.scheme, {}, set("scheme"))));
    }
    box.appendChild(grid);
    if (auth.type === "none") return;
    var name = (auth.secrets || [])[0] || "";
    var state = el("span", {"class": "fz-chip", "data-cz-secret-state": ""});
    var value = el("input", {type: "password", autocomplete: "new-password", "data-cz-secret-value": ""});
    var nameInput = input(name, {"data-cz-secret-name": ""}, function (v) { auth.secrets = [v.trim()]; save(); D.refreshSecret(v.trim(), state); });
    box.appendChild(el("div", {"class": "dz-form"}, [field(w("secret_name"), nameInput), el("div", {}, [state])]));
    box.appendChild(field(w("secret_value"), value));
    box.appendChild(el("div", {"class": "fz-tools"}, [
      el("button", {"class": "btn", type: "button", text: w("generate"), onclick: function () {
        var bytes = new Uint8Array(24); window.crypto.getRandomValues(bytes);
        value.type = "text";
        value.value = (auth.type === "standard_webhooks" ? "whsec_" + btoa(String.fromCharCode.apply(null, bytes)) :
          Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join(""));
      }}),
      el("button", {"class": "btn primary", type: "button", "data-cz-secret-save": "", text: w("save_secret"), onclick: function () {
        var n = (auth.secrets || [])[0];
        if (!n || !value.value) return;
        D.api("/api/v1/_design/secrets/" + encodeURIComponent(n), {method: "PUT", json: {value: value.value}}).then(function (r) {
          if (r.ok) { value.value = ""; value.type = "password"; D.showSecret(state, r.body.set); }
          else state.textContent = D.problemText(r.body);
        });
      }})]));
    D.refreshSecret(name, state);
  }
  // -- URL and curl ------------------------------------------------------------------------------------------
  function shellQuote(s) { return "'" + String(s).replace(/'/g, "'\\''") + "'"; }
  function drawEndpoint() {
    var box = document.querySelector("[data-cz-endpoint]");
    box.innerHTML = "";
    var url = window.location.origin + "/hooks/" + (doc.key || "<key>");
    var auth = doc.auth || {};
    var lines = ["BODY=" + shellQuote(sample.body.trim() || "{}")];
    var sign = [];
    if (auth.type === "hmac") {
      var enc = (auth.encoding || "hex") === "base64" ? " -binary | base64" : " | sed 's/^.* //'";
      lines.push("SECRET='<" + ((auth.secrets || [])[0] || "secret") + ">'");
      lines.push("SIG=$(printf '%s' \"$BODY\" | openssl dgst -" + (auth.algorithm || "sha256") + " -hmac \"$SECRET\"" + enc + ")");
      sign = ["-H \"" + (auth.header || "X-Signature") + ": " + (auth.prefix || "") + "$SIG\""];
    } else if (auth.type === "bearer") {
      lines.push("TOKEN='<" + ((auth.secrets || [])[0] || "token") + ">'");
      sign = ["-H \"" + (auth.header || "Authorization") + ": " + (auth.scheme === "" ? "" : (auth.scheme || "Bearer") + " ") + "$TOKEN\""];
    } else if (auth.type === "standard_webhooks") {
      sign = ["-H 'webhook-id: msg_1' -H \"webhook-timestamp: $(date +%s)\" -H 'webhook-signature: v1,<base64 HMAC of id.timestamp.body>'"];
    }
    lines.push(["curl -i -X POST " + shellQuote(url), "-H 'Content-Type: application/json'"].concat(sign).concat(["--data-binary \"$BODY\""]).join(" \\\n  "));
    box.appendChild(el("p", {}, [el("code", {"data-cz-url": url, text: "POST " + url})]));
    box.appendChild(el("p", {"class": "muted small", text: w("url_note")}));
    box.appendChild(el("pre", {"data-cz-curl": "", text: lines.join("\n")}));
  }

  // -- the sample and its tree -----------------------------------------------------------------------------------
  function headerMap() {
    var out = {};
    sample.headers.split(/\r?\n/).forEach(function (line) {
      var i = line.indexOf(":");
      if (i > 0) out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
    });
    return out;
  }
  function drawSample() {
    var box = document.querySelector("[data-cz-sample]");
    box.innerHTML = "";
    var headers = el("textarea", {rows: 3, "data-cz-headers": "", spellcheck: "false", placeholder: "X-Signature: …"});
    headers.value = sample.headers;
    headers.addEventListener("input", function () { sample.headers = headers.value; });
    var body = el("textarea", {rows: 10, "data-cz-body": "", spellcheck: "false"});
    body.value = sample.body;
    body.addEventListener("input", function () { sample.body = body.value; sample.delivery = null; drawTree(); drawEndpoint(); });
    box.appendChild(field(w("headers"), headers));
    box.appendChild(field(w("body"), body));
    var pick = el("select", {"data-cz-deliveries": ""}, [el("option", {value: "", text: "—"})]);
    box.appendChild(el("div", {"class": "fz-tools"}, [field(w("stored"), pick), el("button", {"class": "btn", type: "button", text: w("use"), onclick: function () {
      if (!pick.value) return;
      D.api("/api/v1/_design/channels/deliveries/" + pick.value).then(function (r) {
        if (!r.ok) return;
        sample.body = r.body.body; sample.delivery = r.body.id;
        sample.headers = Object.keys(r.body.headers).map(function (k) { return k + ": " + r.body.headers[k]; }).join("\n");
        drawSample(); drawTree(); drawEndpoint();
        sample.delivery = r.body.id;
      });
    }})]));
    D.api("/api/v1/_design/channels/deliveries" + (doc.key ? "?channel=" + encodeURIComponent(doc.key) : "")).then(function (r) {
      if (!r.ok) return;
      r.body.items.forEach(function (d) { pick.appendChild(el("option", {value: d.id, text: "#" + d.id + " · " + d.channel + " · " + d.status + " · " + (d.received_at || "").slice(0, 16)})); });
    });
  }
  function mappedPaths() {
    var out = {};
    function add(spec, prefix) { var p = typeof spec === "string" ? spec : (spec || {}).from; if (p) out[(prefix || "") + p] = true; }
    Object.keys(doc.fields || {}).forEach(function (k) { add(doc.fields[k]); });
    if (doc.lines) Object.keys(doc.lines.fields || {}).forEach(function (k) { add(doc.lines.fields[k], doc.lines.from + "[0]."); });
    if (doc.customer) Object.keys(doc.customer.fields || {}).forEach(function (k) { add(doc.customer.fields[k]); });
    return out;
  }
  function drawTree() {
    var box = document.querySelector("[data-cz-tree]");
    box.innerHTML = "";
    if (!sample.body.trim()) { parsed = undefined; return; }
    try { parsed = JSON.parse(sample.body); } catch (e) { box.appendChild(el("p", {"class": "cz-problem", text: w("bad_json") + "：" + e.message})); parsed = undefined; return; }
    var mapped = mappedPaths();
    if (armed) box.appendChild(el("p", {"class": "cz-banner", "data-cz-armed": armed, text: D.fmt(w("armed"), {p: armed})}));
    function node(value, path, key) {
      var row = el("div", {"class": "n"});
      if (key !== null) row.appendChild(el("span", {"class": "k", text: key + ": "}));
      if (value !== null && typeof value === "object") {
        var isArray = Array.isArray(value);
        row.appendChild(el("span", {"class": "muted", text: isArray ? "[" + value.length + "]" : "{}"}));
        (isArray ? value.slice(0, 3) : Object.keys(value)).forEach(function (item, i) {
          var k = isArray ? i : item, v = isArray ? item : value[item];
          var p = isArray ? path + "[" + i + "]" : (path ? path + "." + k : String(k));
          row.appendChild(node(v, p, isArray ? "[" + i + "]" : k));
        });
      } else {
        var leaf = el("span", {"class": "v" + (armed === path ? " armed" : "") + (mapped[path] ? " mapped" : ""), "data-cz-path": path,
                               tabindex: 0, role: "button", text: JSON.stringify(value)});
        var arm = function () { armed = armed === path ? null : path; drawTree(); drawMapping(); };
        leaf.addEventListener("click", arm);
        leaf.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); arm(); } });
        row.appendChild(leaf);
      }
      return row;
    }
    box.appendChild(node(parsed, "", null));
  }

  // -- mapping -----------------------------------------------------------------------------------------------
  var CLEAN = ["", "trim", "phone", "email", "company", "tax_id", "upper", "lower"];
  function inputFields(entity, skip) {
    return (entity.fields || []).filter(function (f) {
      return f.type !== "computed" && !f.formula && (skip || []).indexOf(f.key) < 0 && ["json"].indexOf(f.type) < 0;
    });
  }
  function specOf(map, key) { var s = map[key]; return typeof s === "string" ? {from: s} : s; }
  var only = {on: false, q: ""};  // the mapping table: only mapped and required fields, or those matching a search
  function shown(map, f) {
    var q = only.q.toLowerCase();
    if (q && (f.key + " " + D.text(f.label)).toLowerCase().indexOf(q) < 0) return false;
    return !only.on || !!map[f.key] || !!f.required;
  }
  function mapRow(map, f, section, onMap) {
    var spec = specOf(map, f.key);
    var summary = {zh: "映射 " + f.key, en: "mapping of " + f.key};
    var row = el("tr", {"class": "target", "data-cz-field": section + "." + f.key, hidden: !shown(map, f)});
    var src = spec ? (spec.from ? el("code", {text: spec.from}) : el("code", {text: JSON.stringify(spec)})) : el("span", {"class": "muted", text: "—"});
    var controls = el("div", {});
    if (spec) {
      var clean = el("select", {"data-cz-clean": ""}, options(CLEAN, (spec.clean || [])[0] || ""));
      clean.addEventListener("change", function () { if (clean.value) spec.clean = [clean.value]; else delete spec.clean; map[f.key] = spec; save(summary); });
      var factor = input(spec.factor, {placeholder: w("factor"), size: 5}, function (v) { if (v) spec.factor = v; else delete spec.factor; map[f.key] = spec; save(summary); });
      var def = input(spec["default"], {placeholder: w("default"), size: 6}, function (v) { if (v) spec["default"] = v; else delete spec["default"]; map[f.key] = spec; save(summary); });
      var req = el("input", {type: "checkbox", checked: !!spec.required});
      req.addEventListener("change", function () { if (req.checked) spec.required = true; else delete spec.required; map[f.key] = spec; save(summary); });
      controls.appendChild(el("div", {"class": "fz-tools"}, [clean, factor, def, el("label", {}, [req, w("required")]),
        el("button", {"class": "link", type: "button", text: w("unmap"), onclick: function (e) { e.stopPropagation(); delete map[f.key]; save(summary); drawMapping(); drawTree(); }})]));
      if (f.type === "link" && entities[f.to]) {
        var lk = spec.lookup || {};
        var by = el("select", {"data-cz-lookup": ""}, [el("option", {value: "", text: "id"})].concat(inputFields(entities[f.to]).filter(function (x) {
          return ["string", "integer"].indexOf(x.type) >= 0; }).map(function (x) { return el("option", {value: x.key, text: D.text(x.label) + " (" + x.key + ")", selected: lk.by === x.key}); })));
        var miss = el("select", {}, options(["hold", "skip"], lk.if_missing || "hold"));
        var setLookup = function () {
          if (by.value) spec.lookup = {entity: f.to, by: by.value, if_missing: miss.value}; else delete spec.lookup;
          map[f.key] = spec; save(summary);
        };
        by.addEventListener("change", setLookup); miss.addEventListener("change", setLookup);
        controls.appendChild(el("div", {"class": "fz-tools"}, [field(w("lookup_by"), by), field(w("if_missing"), miss)]));
      }
    }
    [el("td", {}, [el("strong", {text: D.text(f.label)}), el("br"), el("small", {"class": "muted", text: f.key + " · " + f.type + (f.required ? " *" : "")})]),
     el("td", {}, [src]), el("td", {}, [controls])].forEach(function (td) { row.appendChild(td); });
    row.addEventListener("click", function (e) {
      if (!armed || e.target.closest("input,select,button")) return;
      onMap(f, armed);
      armed = null; drawMapping(); drawTree();
    });
    return row;
  }
  function table(rows) {
    return el("table", {"class": "cz-map"}, [el("thead", {}, [el("tr", {}, [el("th", {text: ""}), el("th", {text: w("source")}), el("th", {text: ""})])]),
                                              el("tbody", {}, rows)]);
  }
  function defaultSpec(f, path) {
    var spec = {from: path};
    if (f.type === "link" && entities[f.to]) {
      var code = inputFields(entities[f.to]).filter(function (x) { return x.type === "string"; })[0];
      if (code) spec.lookup = {entity: f.to, by: code.key, if_missing: "hold"};
    }
    return spec;
  }
  function splitLine(path) {
    var m = /^(.*?)\[\d+\]\.?(.*)$/.exec(path);
    return m ? {from: m[1], rest: m[2]} : null;
  }
  function drawMapping() {
    var box = document.querySelector("[data-cz-mapping]");
    box.innerHTML = "";
    var ent = target();
    doc.fields = doc.fields || {};
    var tables = (ent.fields || []).filter(function (f) { return f.type === "table"; });
    var links = (ent.fields || []).filter(function (f) { return f.type === "link" && entities[f.to]; });
    var custField = doc.customer ? doc.customer.field : "";
    var skip = tables.map(function (f) { return f.key; }).concat(custField ? [custField] : []);
    var search = el("input", {type: "search", value: only.q, placeholder: w("find_field"), "data-cz-find": ""});
    search.addEventListener("input", function () { only.q = search.value; drawMapping();
      var again = document.querySelector("[data-cz-find]"); again.focus(); again.setSelectionRange(again.value.length, again.value.length); });
    var onlyBox = el("input", {type: "checkbox", checked: only.on, "data-cz-only": ""});
    onlyBox.addEventListener("change", function () { only.on = onlyBox.checked; drawMapping(); });
    box.appendChild(el("div", {"class": "fz-tools"}, [search, el("label", {}, [onlyBox, " " + w("only_mapped")])]));
    box.appendChild(el("h3", {text: w("order_fields") + " · " + D.text(ent.label)}));
    box.appendChild(table(inputFields(ent, skip).map(function (f) {
      return mapRow(doc.fields, f, "fields", function (f2, path) {
        doc.fields[f2.key] = defaultSpec(f2, path);
        save({zh: "映射 " + f2.key, en: "mapping of " + f2.key});
      });
    })));
    var ext = el("select", {"data-cz-external-id": ""}, [el("option", {value: "", text: "—"})].concat(inputFields(ent).filter(function (f) {
      return f.type === "string"; }).map(function (f) { return el("option", {value: f.key, text: D.text(f.label) + " (" + f.key + ")", selected: (doc.target || {}).external_id === f.key}); })));
    ext.addEventListener("change", function () { if (ext.value) doc.target.external_id = ext.value; else delete doc.target.external_id; save(); });
    box.appendChild(el("div", {"class": "fz-tools"}, [field(w("external_id"), ext)]));
    // lines
    if (tables.length) {
      var lineTable = doc.lines ? doc.lines.field : tables[0].key;
      var lineEnt = entities[(tables.filter(function (f) { return f.key === lineTable; })[0] || tables[0]).of] || {fields: []};
      box.appendChild(el("h3", {text: w("line_fields") + " · " + D.text(lineEnt.label) + (doc.lines ? " ← " + doc.lines.from + "[]" : "")}));
      var lf = doc.lines ? doc.lines.fields : {};
      box.appendChild(table(inputFields(lineEnt).map(function (f) {
        return mapRow(lf, f, "lines", function (f2, path) {
          var parts = splitLine(path);
          if (!parts) { window.alert(w("lines_from")); return; }
          if (!doc.lines || doc.lines.from !== parts.from) doc.lines = {field: lineTable, from: parts.from, fields: doc.lines && doc.lines.from === parts.from ? doc.lines.fields : {}};
          doc.lines.fields[f2.key] = defaultSpec(f2, parts.rest);
          save({zh: "明细映射 " + f2.key, en: "line mapping of " + f2.key});
        });
      })));
    }
    // customer
    var cust = el("select", {"data-cz-customer-link": ""}, [el("option", {value: "", text: "—"})].concat(links.map(function (f) {
      return el("option", {value: f.key, text: D.text(f.label) + " (" + f.key + ")", selected: custField === f.key}); })));
    cust.addEventListener("change", function () {
      if (!cust.value) delete doc.customer;
      else {
        var lf2 = links.filter(function (f) { return f.key === cust.value; })[0];
        doc.customer = {field: lf2.key, entity: lf2.to, fields: {}, match: []};
        delete doc.fields[lf2.key];
      }
      save(); drawMapping();
    });
    box.appendChild(el("h3", {}, [w("customer_fields") + " · ", cust]));
    if (doc.customer) {
      var cEnt = entities[doc.customer.entity] || {fields: []};
      box.appendChild(table(inputFields(cEnt).filter(function (f) { return f.type !== "table"; }).map(function (f) {
        return mapRow(doc.customer.fields, f, "customer", function (f2, path) {
          doc.customer.fields[f2.key] = {from: path};
          if (!doc.customer.match.length) {
            var kind = /phone|mobile|tel/.test(f2.key) ? "phone" : /mail/.test(f2.key) ? "email" : /tax/.test(f2.key) ? "tax_id" : /company|name/.test(f2.key) ? "company" : "exact";
            doc.customer.match = [{field: f2.key, as: kind}];
          }
          save({zh: "客户映射 " + f2.key, en: "customer mapping of " + f2.key});
        });
      })));
      var m = (doc.customer.match || [])[0] || {};
      var mf = el("select", {"data-cz-match": ""}, options(Object.keys(doc.customer.fields), m.field));
      var ma = el("select", {}, options(["phone", "email", "tax_id", "company", "exact"], m.as || "exact"));
      var setMatch = function () { doc.customer.match = mf.value ? [{field: mf.value, as: ma.value}] : []; save(); };
      mf.addEventListener("change", setMatch); ma.addEventListener("change", setMatch);
      box.appendChild(el("div", {"class": "fz-tools"}, [field(w("match"), mf), ma]));
    }
    // skip rules: test orders and the like are accepted and ignored (JSONLogic over {order, headers})
    box.appendChild(el("h3", {text: w("skip")}));
    (doc.skip || []).forEach(function (rule, i) {
      var summary = {zh: "跳过规则 " + rule.id, en: "skip rule " + rule.id};
      var when = el("textarea", {rows: 2, spellcheck: "false", "data-cz-skip-when": rule.id});
      when.value = JSON.stringify(rule.when);
      when.addEventListener("input", function () {
        try { rule.when = JSON.parse(when.value); when.classList.remove("bad"); save(summary); } catch (e) { when.classList.add("bad"); D.blocked(w("bad_json")); }
      });
      var reason = input((rule.reason || {}).zh, {placeholder: w("reason")}, function (v) { rule.reason = {zh: v, en: (rule.reason || {}).en || v}; save(summary); });
      box.appendChild(el("div", {"class": "fz-step"}, [el("code", {text: rule.id}), when, reason,
        el("button", {"class": "link", type: "button", text: w("unmap"), onclick: function () {
          doc.skip.splice(i, 1); if (!doc.skip.length) delete doc.skip; save(summary); drawMapping(); }})]));
    });
    box.appendChild(el("button", {"class": "btn", type: "button", "data-cz-skip-add": "", text: w("skip_add"), onclick: function () {
      doc.skip = doc.skip || [];
      var path = armed || "test";
      doc.skip.push({id: "skip_" + (doc.skip.length + 1), when: {"==": [{"var": "order." + path}, true]},
                     reason: {zh: "测试订单", en: "A test order"}});
      armed = null; save({zh: "跳过规则", en: "skip rule"}); drawMapping(); drawTree();
    }}));
    // de-duplication key
    box.appendChild(el("h3", {text: w("dedup")}));
    var dedup = el("textarea", {rows: 2, "data-cz-dedup": "", spellcheck: "false"});
    dedup.value = doc.dedup_key === undefined ? "" : JSON.stringify(doc.dedup_key);
    dedup.addEventListener("input", function () {
      if (!dedup.value.trim()) { delete doc.dedup_key; save(); return; }
      try { doc.dedup_key = JSON.parse(dedup.value); dedup.classList.remove("bad"); save(); } catch (e) { dedup.classList.add("bad"); D.blocked(w("bad_json")); }
    });
    box.appendChild(dedup);
    box.appendChild(el("button", {"class": "btn", type: "button", "data-cz-dedup-use": "", text: w("dedup_use"), disabled: !armed, onclick: function () {
      doc.dedup_key = {cat: [(doc.key || "ch") + "-", {"var": "order." + armed}]};
      armed = null; save({zh: "去重键", en: "de-duplication key"}); drawMapping(); drawTree();
    }}));
  }

  // -- the preview -----------------------------------------------------------------------------------------------
  function drawPreviewTools() {
    var box = document.querySelector("[data-cz-preview-tools]");
    box.innerHTML = "";
    box.appendChild(el("button", {"class": "btn primary", type: "button", "data-cz-preview-run": "", text: w("run"), disabled: creating, onclick: function () {
      var body = {address: address, body: sample.body, headers: headerMap()};
      if (sample.delivery) body = {address: address, delivery: sample.delivery};
      D.flush().then(function () { return D.api(D.draftUrl("/channels/preview"), {json: body}); }).then(function (r) {
        showPreview(r.ok ? r.body : {problems: [{kind: "request", message: D.problemText(r.body)}]});
      });
    }}));
  }
  function kv(record, entity) {
    var labels = {};
    ((entity || {}).fields || []).forEach(function (f) { labels[f.key] = D.text(f.label); });
    var rows = Object.keys(record).filter(function (k) {
      var v = record[k]; return v !== null && v !== "" && !Array.isArray(v) && typeof v !== "object" && k !== "version";
    }).map(function (k) { return el("tr", {"data-cz-out": k}, [el("th", {text: labels[k] || k}), el("td", {text: String(record[k])})]); });
    return el("table", {"class": "cz-map"}, [el("tbody", {}, rows)]);
  }
  function showPreview(res) {
    var out = document.querySelector("[data-cz-preview]");
    out.innerHTML = "";
    if (res.compiled === false) out.appendChild(el("p", {"class": "cz-problem", text: w("not_compiled")}));
    if (res.signature) {
      out.appendChild(el("p", {"data-cz-signature": res.signature}, [w("signature") + "：", el("strong", {text: w("sig_" + res.signature)})]));
    }
    if (res.status) out.appendChild(el("p", {"data-cz-status": res.status}, [w("status") + "：HTTP " + res.status]));
    var problems = el("ul", {"class": "dz-problems", "data-cz-problems": (res.problems || []).length});
    (res.problems || []).forEach(function (p) {
      var errs = p.errors ? Object.keys(p.errors).map(function (k) { return k + ": " + p.errors[k].join(" "); }).join("；") : "";
      problems.appendChild(el("li", {"data-kind": p.kind}, [p.path ? el("code", {text: p.path}) : "", " ", p.message || "", errs ? " — " + errs : ""]));
    });
    if ((res.problems || []).length) out.appendChild(problems);
    if (res.order) {
      var ent = target();
      out.appendChild(el("h3", {text: D.text(ent.label) + " " + (res.order.name || "")}));
      out.appendChild(kv(res.order, ent));
      var tbl = (ent.fields || []).filter(function (f) { return f.type === "table" && Array.isArray(res.order[f.key]); })[0];
      if (tbl) {
        var lineEnt = entities[tbl.of] || {fields: []};
        var rows = res.order[tbl.key];
        var cols = (lineEnt.fields || []).filter(function (f) { return rows.some(function (r) { return r[f.key] !== null && r[f.key] !== undefined && typeof r[f.key] !== "object"; }); });
        out.appendChild(el("h3", {text: w("lines")}));
        out.appendChild(el("table", {"class": "cz-map", "data-cz-lines": rows.length}, [
          el("thead", {}, [el("tr", {}, cols.map(function (c) { return el("th", {text: D.text(c.label)}); }))]),
          el("tbody", {}, rows.map(function (r) { return el("tr", {}, cols.map(function (c) { return el("td", {text: r[c.key] === null ? "" : String(r[c.key])}); })); }))]));
      }
    }
    if (res.customer) {
      out.appendChild(el("h3", {text: w("customer")}));
      out.appendChild(kv(res.customer, entities[(doc.customer || {}).entity]));
    }
    out.appendChild(el("p", {"class": "muted small", text: w("nothing_kept")}));
  }

  D.editor = {load: function (next) { doc = next; drawAll(); }};
  function drawAll() { drawHead(); drawAuth(); drawEndpoint(); drawSample(); drawTree(); drawMapping(); drawPreviewTools(); }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-w]").forEach(function (n) { n.textContent = w(n.getAttribute("data-w")); });
    drawAll();
    if (!creating) D.trackProblems(address);
  });
}());
