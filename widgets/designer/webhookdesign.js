/* The webhook designer: an outbound webhook or a WeCom / DingTalk robot message made without writing
 * JSON. The event is an entity and what happens to its records (created, updated, a workflow action
 * such as "approve"); the condition is drawn in the rule builder over the event's record; the message
 * or payload template is previewed live, rendered on the server by the webhooks' own compiler from a
 * chosen sample record; the secret is stored encrypted (never shown again); "Send a test" posts the
 * rendered body to the target once and shows the receiver's status and answer, and the delivery log
 * of this webhook (dead letters included) is under it. */
(function () {
  "use strict";
  var D = window.Designer, setup = D.setup, el = D.el;
  var zh = D.lang !== "en";
  var T = {
    webhook: ["Webhook / 机器人消息", "Webhook or robot message"], event: ["事件", "Event"], condition: ["条件", "Condition"],
    condition_hint: ["留空：每个事件都发送。条件读取事件中的记录（record.字段）和执行人（actor）。",
      "Empty: every event is sent. The condition reads the event's record (record.field) and who acted (actor)."],
    target: ["目标与密钥", "Target and secret"], retry: ["失败重试", "Retries"], payload: ["消息内容", "Message"],
    preview: ["实时预览", "Live preview"], send_test: ["发送测试", "Send a test"], log: ["投递记录", "Delivery log"],
    key: ["标识（小写英文）", "Key (lower case)"], label_zh: ["名称 · 中文", "Label · Chinese"], label_en: ["名称 · English", "Label · English"],
    type: ["发送到", "Send to"], create: ["创建", "Create"], enabled: ["启用", "Enabled"],
    entity: ["实体", "Entity"], trigger: ["发生什么", "What happens"], created: ["新建", "created"], updated: ["修改", "updated"],
    deleted: ["删除", "deleted"], any: ["任何变化（含流程操作）", "anything (workflow actions too)"], action: ["流程操作：", "workflow action: "],
    events: ["事件主题（高级，逗号分隔）", "Topics (advanced, comma separated)"],
    url: ["地址 URL", "URL"], secret_name: ["密钥名称", "Secret name"], token_secret: ["access_token 密钥名称", "access_token secret name"],
    secret_value: ["密钥值（加密保存，不会再显示）", "Secret value (stored encrypted, never shown again)"],
    secret_hint_wecom: ["企业微信群机器人地址中 key= 后面的部分", "the part after key= of the WeCom group robot's address"],
    secret_hint_dingtalk: ["钉钉机器人的加签密钥（SEC 开头，可不填）", "the DingTalk robot's signing secret (SEC…, optional)"],
    secret_hint_http: ["签名密钥（whsec_ 开头，Standard Webhooks）", "the signing secret (whsec_…, Standard Webhooks)"],
    save_secret: ["保存密钥", "Store the secret"],
    timeout: ["超时（秒）", "Timeout (s)"], max_attempts: ["最多尝试次数", "Attempts at most"], backoff_seconds: ["首次重试间隔（秒）", "First retry after (s)"],
    max_backoff_seconds: ["最长重试间隔（秒）", "Longest wait (s)"], msgtype: ["消息类型", "Message type"], title: ["标题（钉钉）", "Title (DingTalk)"],
    content: ["内容（{{ record.字段 }} 插入值）", "Content ({{ record.field }} puts a value in)"], mentions: ["@手机号（逗号分隔）", "@ mobiles (comma separated)"],
    body: ["请求体模板（JSON，留空为默认信封）", "Body template (JSON; empty: the default envelope)"], insert: ["插入：", "Insert: "],
    sample: ["样例记录（编号）", "Sample record (number)"], sample_event: ["样例事件（JSON）", "Sample event (JSON)"],
    topic: ["主题", "Topic"], cond_true: ["条件成立：会发送", "condition holds: it is sent"], cond_false: ["条件不成立：不会发送", "condition fails: not sent"],
    no_match: ["该主题不在此 Webhook 的事件中", "this topic is not one of the webhook's events"], not_compiled: ["文档还有问题：", "The document has problems:"],
    nothing_sent: ["预览不会发送任何消息。", "A preview sends nothing."], ok: ["接收方确认 ✓", "accepted by the receiver ✓"], failed: ["发送失败", "failed"],
    answer: ["接收方应答", "The receiver's answer"], delivery: ["投递记录 #", "Delivery #"], dead_only: ["只看死信", "Dead letters only"],
    refresh: ["刷新", "Refresh"], admin_log: ["后台：全部投递记录与死信（管理员）", "Back office: every delivery and dead letter (admins)"],
    replay_hint: ["死信修正后可重发：sunmao webhooks replay 编号", "replay a dead letter once fixed: sunmao webhooks replay ID"],
    test: ["测试", "test"], empty: ["还没有投递", "no deliveries yet"], bad_json: ["JSON 格式错误", "Malformed JSON"],
    needs_record: ["选一条样例记录（编号），预览就会显示将发送的内容", "pick a sample record (its number) to see what would be sent"],
    needs_event: ["这些事件不是关于某一实体的记录：在“样例事件”中填写一段 JSON", "these events are not about one entity's records: type a sample event (JSON)"],
    when: ["时间", "When"], status: ["状态", "Status"], code: ["应答码", "Code"], error: ["错误", "Error"]
  };
  function w(k) { var p = T[k]; return p ? p[zh ? 0 : 1] : k; }
  var doc = JSON.parse(JSON.stringify(setup.document));
  var creating = !!setup.creating, address = setup.address;
  var entities = {};
  (setup.entities || []).forEach(function (e) { entities[e.key] = e; });
  var transitions = setup.transitions || {}, samples = setup.samples || {};
  var sample = {record: "", event: ""};
  function save(summary) {
    if (!creating) D.changed(address, function () { return doc; }, summary || {zh: "Webhook " + doc.key, en: "webhook " + doc.key});
    schedulePreview();
  }
  var field = D.labelled, input = D.textInput, options = D.options;
  function kind() { return (doc.target || {}).type || "wecom"; }
  function entityOf() { var first = (doc.events || [])[0] || ""; return first.split(".")[0]; }

  // -- head -------------------------------------------------------------------------------------------
  function drawHead() {
    var box = document.querySelector("[data-wz-head]");
    box.innerHTML = "";
    box.appendChild(field(w("key"), input(doc.key, {disabled: !creating, "data-wz-key": ""}, function (v) { doc.key = v.trim(); })));
    ["zh", "en"].forEach(function (lang) {
      box.appendChild(field(w("label_" + lang), input((doc.label || {})[lang], {"data-wz-label": lang}, function (v) {
        doc.label = doc.label || {}; doc.label[lang] = v; save(); })));
    });
    var type = el("select", {"data-wz-type": ""}, options(["wecom", "dingtalk", "http"], kind(),
      [zh ? "企业微信群机器人" : "WeCom group robot", zh ? "钉钉机器人" : "DingTalk robot", "HTTP Webhook"]));
    type.addEventListener("change", function () { switchType(type.value); });
    box.appendChild(field(w("type"), type));
    var on = el("input", {type: "checkbox", checked: doc.enabled !== false, "data-wz-enabled": ""});
    on.addEventListener("change", function () { if (on.checked) delete doc.enabled; else doc.enabled = false; save(); });
    box.appendChild(el("label", {"class": "dz-l"}, [w("enabled"), on]));
    if (creating) box.appendChild(el("button", {"class": "btn primary wide", type: "button", "data-wz-create": "", text: w("create"), onclick: create}));
  }
  function switchType(next) {
    var old = doc.target || {};
    doc.target = {type: next};
    if (old.timeout_seconds) doc.target.timeout_seconds = old.timeout_seconds;
    var base = (doc.key || "robot");
    if (next === "wecom") doc.target.secret = old.type === "wecom" ? old.secret : base + "_robot";
    if (next === "dingtalk") doc.target.token_secret = old.token_secret || base + "_token";
    if (next === "http") { doc.target.url = old.url || "https://"; doc.target.secret = base + "_hook"; delete doc.message; }
    else { delete doc.payload; doc.message = doc.message || {msgtype: "markdown", content: "### {{ record.name }}"}; }
    save(); drawTarget(); drawPayload();
  }
  function create() {
    if (kind() === "wecom" && !doc.target.secret) doc.target.secret = doc.key + "_robot";
    D.createDocument(doc, "webhooks", {zh: "新建 Webhook " + doc.key, en: "webhook " + doc.key + " added"},
                     document.querySelector("[data-wz-create-error]"), w("key"));
  }

  // -- event ------------------------------------------------------------------------------------------
  function drawEvent() {
    var box = document.querySelector("[data-wz-event]");
    box.innerHTML = "";
    var keys = Object.keys(entities).filter(function (k) { return !entities[k].child; });
    var current = (doc.events || [])[0] || "";
    var ent = el("select", {"data-wz-entity": ""}, [el("option", {value: "", text: "—"})].concat(options(keys, entityOf(),
      keys.map(function (k) { return D.text(entities[k].label) + " (" + k + ")"; }))));
    var trig = el("select", {"data-wz-trigger": ""});
    function fillTriggers() {
      trig.innerHTML = "";
      var e = ent.value, rest = current.split(".").slice(1).join(".");
      var values = ["created", "updated", "deleted", "*"], labels = [w("created"), w("updated"), w("deleted"), w("any")];
      (transitions[e] || []).forEach(function (t) { values.push("transition." + t.key); labels.push(w("action") + D.text(t.label) + " (" + t.key + ")"); });
      options(values, rest, labels).forEach(function (o) { trig.appendChild(o); });
    }
    function apply() {
      if (!ent.value) return;
      doc.events = [ent.value + "." + trig.value];
      save(); drawEvent(); drawCondition(); drawPayload(); drawSample();
    }
    fillTriggers();
    ent.addEventListener("change", function () { current = ""; fillTriggers(); apply(); });
    trig.addEventListener("change", apply);
    box.appendChild(el("div", {"class": "dz-form"}, [field(w("entity"), ent), field(w("trigger"), trig)]));
    box.appendChild(field(w("events"), input((doc.events || []).join(", "), {"data-wz-events": ""}, function (v) {
      doc.events = v.split(",").map(function (s) { return s.trim(); }).filter(Boolean); save();
    })));
  }

  // -- condition (the rule builder over the event: record.<field>, actor) ---------------------------------
  var fieldCache = {};
  function conditionFields(entity) {
    if (!fieldCache[entity]) {  // the fields come from the draft compiled: the edits so far are saved first
      fieldCache[entity] = Promise.resolve(creating ? true : D.flush()).then(function () { return Promise.all([
        entity ? D.api(D.draftUrl("/rules/fields/" + entity)) : Promise.resolve({ok: true, body: {items: []}}),
        D.api(D.draftUrl("/rules"))
      ]); }).then(function (got) {
        if (!got[0].ok) delete fieldCache[entity];  // the draft does not compile yet: asked again next time
        var own = (got[0].ok ? got[0].body.items : []).filter(function (f) { return f.path.indexOf(".") < 0; });
        var fields = own.map(function (f) { return Object.assign({}, f, {path: "record." + f.path}); });
        fields.push({path: "actor", type: "string", label: zh ? "执行人（用户名）" : "Who acted (username)", options: []});
        return {fields: fields, settings: got[1].ok ? got[1].body.settings : []};
      });
    }
    return fieldCache[entity];
  }
  function drawCondition() {
    var box = document.querySelector("[data-wz-condition]");
    conditionFields(entityOf()).then(function (data) {
      box.innerHTML = "";
      var holder = el("div", {"class": "rb-inline"});
      box.appendChild(holder);
      window.SunmaoRuleBuilder(holder, {rule: doc.condition === undefined ? {"and": []} : doc.condition, fields: data.fields,
        settings: data.settings, lang: D.lang, onChange: function (next) {
          if (next && next.and && !next.and.length) delete doc.condition; else doc.condition = next;
          save();
        }});
    });
  }

  // -- target, secret, retry ------------------------------------------------------------------------------
  function secretBox(prop, hint) {
    var target = doc.target;
    var state = el("span", {"class": "fz-chip", "data-wz-secret-state": prop});
    var value = el("input", {type: "password", autocomplete: "new-password", "data-wz-secret-value": prop});
    var name = input(target[prop] || "", {"data-wz-secret-name": prop}, function (v) {
      if (v.trim()) target[prop] = v.trim(); else delete target[prop];
      save(); D.refreshSecret(v.trim(), state);
    });
    var saveBtn = el("button", {"class": "btn", type: "button", "data-wz-secret-save": prop, text: w("save_secret"), onclick: function () {
      var n = target[prop];
      if (!n || !value.value) return;
      D.api("/api/v1/_design/secrets/" + encodeURIComponent(n), {method: "PUT", json: {value: value.value}}).then(function (r) {
        if (r.ok) { value.value = ""; D.showSecret(state, r.body.set); } else state.textContent = D.problemText(r.body);
      });
    }});
    D.refreshSecret(target[prop], state);
    return el("div", {}, [el("div", {"class": "dz-form"}, [field(w(prop === "token_secret" ? "token_secret" : "secret_name"), name), el("div", {}, [state])]),
      field(w("secret_value") + " — " + hint, value), el("div", {"class": "fz-tools"}, [saveBtn])]);
  }
  function drawTarget() {
    var box = document.querySelector("[data-wz-target]");
    box.innerHTML = "";
    var t = doc.target = doc.target || {type: "wecom"};
    if (t.type === "http") {
      box.appendChild(field(w("url"), input(t.url, {"data-wz-url": "", placeholder: "https://erp.example.com/hooks/sunmao"}, function (v) { t.url = v.trim(); save(); })));
      box.appendChild(secretBox("secret", w("secret_hint_http")));
    } else if (t.type === "wecom") {
      box.appendChild(secretBox("secret", w("secret_hint_wecom")));
    } else {
      box.appendChild(secretBox("token_secret", "access_token"));
      box.appendChild(secretBox("secret", w("secret_hint_dingtalk")));
    }
    box.appendChild(field(w("timeout"), input(t.timeout_seconds, {type: "number", min: 1, max: 60}, function (v) {
      if (v === "") delete t.timeout_seconds; else t.timeout_seconds = Number(v); save(); })));
  }
  function drawRetry() {
    var box = document.querySelector("[data-wz-retry]");
    box.innerHTML = "";
    var r = doc.retry = doc.retry || {};
    [["max_attempts", 8], ["backoff_seconds", 30], ["max_backoff_seconds", 21600]].forEach(function (p) {
      box.appendChild(field(w(p[0]), input(r[p[0]], {type: "number", min: 1, placeholder: String(p[1]), "data-wz-retry": p[0]}, function (v) {
        if (v === "") delete r[p[0]]; else r[p[0]] = Number(v); save(); })));
    });
  }

  // -- the message or payload template ------------------------------------------------------------------------
  var contentArea = null;
  function insertAt(area, text) {
    var start = area.selectionStart || area.value.length, end = area.selectionEnd || area.value.length;
    area.value = area.value.slice(0, start) + text + area.value.slice(end);
    area.selectionStart = area.selectionEnd = start + text.length;
    area.focus();
    area.dispatchEvent(new Event("input"));
  }
  function chips(area) {
    var ent = entities[entityOf()] || {fields: []};
    var paths = [["record.name", zh ? "编号" : "number"], ["actor", zh ? "执行人" : "who acted"], ["public_url", zh ? "系统地址" : "system URL"]];
    (ent.fields || []).forEach(function (f) { if (f.type !== "table") paths.push(["record." + f.key, D.text(f.label)]); });
    return el("div", {"class": "wz-chips"}, [w("insert")].concat(paths.map(function (p) {
      return el("button", {type: "button", "class": "fz-chip", "data-wz-insert": p[0], title: "{{ " + p[0] + " }}", text: p[1],
        onclick: function () { insertAt(area, "{{ " + p[0] + " }}"); }});
    })));
  }
  function drawPayload() {
    var box = document.querySelector("[data-wz-payload]");
    box.innerHTML = "";
    if (kind() === "http") {
      var area = el("textarea", {rows: 10, spellcheck: "false", "data-wz-body": ""});
      area.value = doc.payload === undefined ? "" : JSON.stringify(doc.payload, null, 2);
      var note = el("p", {"class": "cz-problem"});
      area.addEventListener("input", function () {
        note.textContent = "";
        if (!area.value.trim()) { delete doc.payload; save(); return; }
        try { doc.payload = JSON.parse(area.value); save(); } catch (e) { note.textContent = w("bad_json") + "：" + e.message; }
      });
      box.appendChild(field(w("body"), area)); box.appendChild(note); box.appendChild(chips(area));
      contentArea = area;
      return;
    }
    var m = doc.message = doc.message || {msgtype: "markdown", content: ""};
    var type = el("select", {"data-wz-msgtype": ""}, options(["markdown", "text"], m.msgtype, ["Markdown", zh ? "文本" : "Text"]));
    type.addEventListener("change", function () { m.msgtype = type.value; save(); });
    box.appendChild(el("div", {"class": "dz-form"}, [field(w("msgtype"), type),
      kind() === "dingtalk" ? field(w("title"), input(m.title, {}, function (v) { if (v) m.title = v; else delete m.title; save(); })) : null]));
    var content = el("textarea", {rows: 8, spellcheck: "false", "data-wz-content": ""});
    content.value = m.content || "";
    content.addEventListener("input", function () { m.content = content.value; save(); });
    box.appendChild(field(w("content"), content));
    box.appendChild(chips(content));
    box.appendChild(field(w("mentions"), input((m.mention_mobiles || []).join(", "), {"data-wz-mentions": ""}, function (v) {
      var list = v.split(",").map(function (s) { return s.trim(); }).filter(Boolean);
      if (list.length) m.mention_mobiles = list; else delete m.mention_mobiles; save();
    })));
    contentArea = content;
  }

  // -- live preview, send a test ---------------------------------------------------------------------------------
  function drawSample() {
    var box = document.querySelector("[data-wz-sample]");
    box.innerHTML = "";
    var list = samples[entityOf()] || [];
    if (!sample.record && list.length) sample.record = list[0].name;
    var id = "wz-samples";
    var rec = input(sample.record, {list: id, "data-wz-record": "", placeholder: list.length ? list[0].name : "SO-…"}, function (v) {
      sample.record = v.trim(); schedulePreview(); });
    box.appendChild(el("datalist", {id: id}, list.map(function (s) { return el("option", {value: s.name}); })));
    box.appendChild(field(w("sample"), rec));
    var ev = el("textarea", {rows: 3, spellcheck: "false", "data-wz-event-json": "", placeholder: '{"entity": "order", "step": "finance_review"}'});
    ev.value = sample.event;
    ev.addEventListener("input", function () { sample.event = ev.value; schedulePreview(); });
    box.appendChild(el("details", {}, [el("summary", {"class": "muted small", text: w("sample_event")}), ev]));
    schedulePreview();
  }
  function request() {
    var body = {address: address || "", document: doc};
    if (sample.event.trim()) {
      try { body.event = JSON.parse(sample.event); } catch (e) { return null; }
      var topic = ((doc.events || [])[0] || "").replace(/\*/g, "updated");
      if (/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/.test(topic)) body.topic = topic;
    } else if (sample.record) body.record = sample.record;
    return body;
  }
  var timer = null, seq = 0;
  function schedulePreview() {
    if (creating || !address) return;
    clearTimeout(timer);
    timer = setTimeout(runPreview, 250);
  }
  function runPreview() {
    var body = request(), mine = ++seq;
    var out = document.querySelector("[data-wz-preview]");
    if (!body) { out.innerHTML = ""; out.appendChild(el("p", {"class": "cz-problem", text: w("bad_json")})); return; }
    if (!body.event && (!body.record || !entities[entityOf()])) {  // nothing to render from yet: say what is needed
      out.innerHTML = "";
      out.appendChild(el("p", {"class": "muted", "data-wz-needs": "", text: entities[entityOf()] ? w("needs_record") : w("needs_event")}));
      return;
    }
    D.api(D.draftUrl("/webhooks/preview"), {json: body}).then(function (r) {
      if (mine !== seq) return;
      out.innerHTML = "";
      out.setAttribute("data-wz-state", r.ok ? (r.body.compiled ? "ok" : "problems") : "error");
      if (!r.ok) { out.appendChild(el("p", {"class": "cz-problem", "data-wz-error": "", text: D.problemText(r.body)})); return; }
      showRendered(out, r.body);
      out.appendChild(el("p", {"class": "muted small", text: w("nothing_sent")}));
    });
  }
  function showRendered(out, res) {
    if (res.compiled === false) {
      out.appendChild(el("p", {"class": "cz-problem", text: w("not_compiled")}));
    } else {
      out.appendChild(el("p", {}, [w("topic") + "：", el("code", {"data-wz-topic": res.topic, text: res.topic}),
        res.matches ? "" : el("span", {"class": "cz-problem", text: " " + w("no_match")})]));
      if (res.condition !== null && res.condition !== undefined) {
        out.appendChild(el("p", {"data-wz-condition-result": res.condition ? "yes" : "no", "class": res.condition ? "" : "cz-problem",
          text: res.condition ? w("cond_true") : w("cond_false")}));
      }
      var said = res.json && (res.json.markdown || res.json.text);  // a robot's message as the group will read it
      if (said) out.appendChild(el("div", {"class": "wz-message", "data-wz-message": "", text: said.text || said.content || ""}));
      if (res.body !== null) out.appendChild(el("pre", {"data-wz-rendered": "", text: res.json ? JSON.stringify(res.json, null, 2) : res.body}));
    }
    if ((res.problems || []).length) {
      out.appendChild(el("ul", {"class": "dz-problems"}, res.problems.map(function (p) {
        return el("li", {}, [el("code", {text: p.path}), " ", p.message]); })));
    }
  }
  function sendTest() {
    var box = document.querySelector("[data-wz-test-result]");
    var body = request();
    box.innerHTML = "";
    if (!body) return;
    var button = document.querySelector("[data-wz-test]");
    button.disabled = true;
    Promise.resolve(D.flush()).then(function () { return D.api(D.draftUrl("/webhooks/test"), {json: body}); }).then(function (r) {
      button.disabled = false;
      if (!r.ok) { box.appendChild(el("p", {"class": "cz-problem", "data-wz-test-error": "", text: D.problemText(r.body)})); return; }
      var res = r.body;
      box.setAttribute("data-wz-test-ok", res.ok ? "yes" : "no");
      box.appendChild(el("p", {"data-wz-test-status": res.status_code === null ? "" : res.status_code}, [
        el("strong", {text: res.ok ? w("ok") : w("failed")}), " · HTTP " + (res.status_code === null ? "—" : res.status_code) +
        " · " + res.elapsed_ms + " ms · " + w("delivery") + res.delivery]));
      if (res.error) box.appendChild(el("p", {"class": "cz-problem", text: res.error}));
      box.appendChild(el("p", {"class": "muted small", text: res.request_url}));
      box.appendChild(el("h3", {text: w("answer")}));
      box.appendChild(el("pre", {"data-wz-test-answer": "", text: res.response || ""}));
      drawLog();
    });
  }

  // -- the delivery log of this webhook ----------------------------------------------------------------------------
  var deadOnly = false;
  function drawLog() {
    var box = document.querySelector("[data-wz-log]");
    box.innerHTML = "";
    var only = el("input", {type: "checkbox", checked: deadOnly, "data-wz-dead-only": ""});
    only.addEventListener("change", function () { deadOnly = only.checked; drawLog(); });
    box.appendChild(el("div", {"class": "fz-tools"}, [el("label", {}, [only, " " + w("dead_only")]),
      el("button", {"class": "btn", type: "button", text: w("refresh"), onclick: drawLog}),
      el("a", {href: "/admin/admin_deliveries/", target: "_blank", rel: "noopener", "data-wz-admin-log": "", text: w("admin_log")})]));
    if (!doc.key) return;
    var table = el("table", {"class": "cz-map", "data-wz-log-table": ""});
    box.appendChild(table);
    box.appendChild(el("p", {"class": "muted small", text: w("replay_hint")}));
    D.api("/api/v1/_design/webhooks/deliveries?webhook=" + encodeURIComponent(doc.key) + (deadOnly ? "&status=dead" : "")).then(function (r) {
      if (!r.ok) { table.replaceWith(el("p", {"class": "cz-problem", text: D.problemText(r.body)})); return; }
      if (!r.body.items.length) { table.appendChild(el("tbody", {}, [el("tr", {}, [el("td", {text: w("empty")})])])); return; }
      table.appendChild(el("thead", {}, [el("tr", {}, ["#", "when", "topic", "status", "code", "error"].map(function (k) {
        return el("th", {text: k === "#" ? "#" : w(k)}); }))]));
      table.appendChild(el("tbody", {}, r.body.items.map(function (d) {
        return el("tr", {"data-wz-delivery": d.id, "data-status": d.status, "data-test": d.test ? "1" : "0"}, [
          el("td", {text: "#" + d.id}), el("td", {text: (d.created_at || "").slice(0, 19).replace("T", " ")}),
          el("td", {}, [el("code", {text: d.topic}), d.test ? el("span", {"class": "fz-chip", text: w("test")}) : null]),
          el("td", {text: d.status}), el("td", {text: d.last_status_code === null ? "" : String(d.last_status_code)}),
          el("td", {"class": "small", text: d.last_error || (d.response_excerpt || "").slice(0, 80)})]);
      })));
    });
  }

  D.editor = {load: function (next) { doc = next; drawAll(); }};
  function drawAll() { drawHead(); drawEvent(); drawCondition(); drawTarget(); drawRetry(); drawPayload(); drawSample(); drawLog(); }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-w]").forEach(function (n) { n.textContent = w(n.getAttribute("data-w")); });
    document.querySelector("[data-wz-test]").addEventListener("click", sendTest);
    if (creating) document.querySelector("[data-wz-test]").disabled = true;
    drawAll();
    if (!creating) D.trackProblems(address);
  });
}());
