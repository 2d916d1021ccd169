/* The workflow designer: the states and transitions drawn as a diagram (laid out by flowlayout.js
 * from the document, so diagram and document cannot drift apart), a side panel that edits the
 * state or transition clicked (roles, guards as raw JSON until the rule builder plugs in, required
 * fields, actions), the approval's branches and steps, and a simulator that runs the engine on a
 * sample record of the saved draft (rolled back) and shows the path it took and why. */
(function () {
  "use strict";
  var D = window.Designer, setup = D.setup, el = D.el;
  var address = setup.address, doc, selected = null, lastSim = null;
  var zh = D.lang !== "en";
  var T = {
    add_state: ["状态", "state"], add_transition: ["操作", "action"], approvals: ["审批", "Approvals"],
    simulator: ["模拟运行", "Simulator"], diagram_hint: ["点击状态或箭头即可编辑；图由文档自动排版",
      "click a state or an arrow to edit it; the diagram is laid out from the document"],
    label_zh: ["名称 · 中文", "Label · Chinese"], label_en: ["名称 · English", "Label · English"],
    key: ["标识", "Key"], from: ["从哪些状态", "From states"], to: ["到状态", "To state"], stays: ["（状态不变）", "(state stays)"],
    roles: ["可执行的角色", "Roles who may take it"], system: ["仅系统执行", "System only"],
    comment_required: ["需要填写意见", "Needs a comment"], fields_required: ["执行前必填字段", "Fields required first"],
    guards: ["条件（JSONLogic）", "Guards (JSONLogic)"], guard_message: ["不满足时的提示", "Message when it fails"],
    add_guard: ["+ 条件", "+ guard"], approval: ["启动审批", "Starts approval"], none: ["无", "none"],
    set: ["设置字段（JSON）", "Set fields (JSON)"], emit: ["发出事件", "Emit event"], remove: ["删除", "Remove"],
    category: ["类别", "Category"], color: ["颜色", "Colour"], branch: ["分支", "Branch"], add_branch: ["+ 分支", "+ branch"],
    when: ["何时进入（JSONLogic，留空=总是）", "When (JSONLogic; empty = always)"], steps: ["步骤", "Steps"],
    add_step: ["+ 步骤", "+ step"], approvers: ["审批人", "Approvers"], mode: ["方式", "Mode"], ratio: ["通过比例", "Ratio"],
    sla: ["时限（工作小时）", "SLA (working hours)"], on_timeout: ["超时", "On timeout"],
    parallel: ["各分支并行；分支内步骤依次进行", "branches run in parallel; the steps of a branch one after another"],
    action: ["操作", "Action"], record: ["样例记录（编号）", "Sample record (number)"], as_user: ["以谁的身份", "As user"],
    values: ["改动的值（JSON，可选）", "Changed values (JSON, optional)"], run: ["模拟", "Simulate"],
    path: ["状态经过", "States"], applies: ["进入", "opens"], skipped: ["不进入", "skipped"], because: ["因为", "because"],
    people: ["审批人", "approvers"], refused: ["不能执行", "Refused"], nothing_written: ["模拟在回滚的事务中运行，未写入任何数据。",
      "Simulated in a rolled-back transaction: nothing was written."],
    pinned: ["{n} 个进行中的审批固定在版本 {v}：发布后它们仍按旧版本走完。", "{n} running approvals are pinned to version {v}: after a publish they finish on it."],
    no_pinned: ["没有进行中的审批；发布只影响新的审批。", "No running approvals: a publish affects new runs only."],
    new_state: ["新状态标识（小写英文）", "key of the new state (lower case)"], new_transition: ["新操作标识（小写英文）", "key of the new action (lower case)"],
    modes: ["single=一人决定 any=或签 all=会签 ratio=按比例", "single · any (or-sign) · all (countersign) · ratio"]
  };
  function w(k) { var p = T[k]; return p ? p[zh ? 0 : 1] : k; }
  function save(summary) { D.changed(address, function () { return doc; }, summary); }
  function text(label) { return D.text(label); }
  function entity() {
    return (setup.entities || []).filter(function (e) { return e.key === doc.entity; })[0] || {fields: []};
  }

  // -- the diagram -----------------------------------------------------------------------------
  var NS = "http://www.w3.org/2000/svg";
  function svg(tag, attrs, children) {
    var e = document.createElementNS(NS, tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k.slice(0, 2) === "on") e.addEventListener(k.slice(2), attrs[k]); else e.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { e.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return e;
  }
  function drawDiagram() {
    var box = document.querySelector("[data-fz-diagram]");
    box.innerHTML = "";
    var states = doc.states || [], transitions = doc.transitions || [];
    var nodes = states.map(function (s) {
      return {id: s.key, width: Math.max(90, text(s.label).length * (zh ? 15 : 8) + 28), height: 34};
    });
    var edges = [];
    transitions.forEach(function (t) {
      (t.from || []).forEach(function (f) { if (t.to) edges.push({from: f, to: t.to, data: t}); });
    });
    var g = window.FlowLayout.layout({nodes: nodes, edges: edges, start: doc.initial});
    var root = svg("svg", {width: g.width + 140, height: g.height, role: "img", "aria-label": text(doc.label)});
    root.appendChild(svg("defs", {}, [svg("marker", {id: "fz-arrow", viewBox: "0 0 10 10", refX: 9, refY: 5,
      markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse"}, [svg("path", {d: "M0,0 L10,5 L0,10 z", fill: "#52606d"})])]));
    var hitEdges = {}, hitNodes = {};
    if (lastSim) {
      (lastSim.transitions || []).forEach(function (t) { hitEdges[t.from + ">" + t.to] = true; hitNodes[t.from] = hitNodes[t.to] = true; });
    }
    var labelled = {};
    g.edges.forEach(function (e) {
      var t = e.data, p = e.points;
      var first = !labelled[t.key];  // an action from many states (cancel, hold) is named once
      labelled[t.key] = true;
      var d = "M" + p.map(function (q) { return q[0] + "," + q[1]; }).join(" L");
      var mid = e.back ? [p[2][0] + 4, (p[2][1] + p[3][1]) / 2] : [(p[0][0] + p[1][0]) / 2 + 4, (p[0][1] + p[1][1]) / 2 + 4];
      var cls = "fz-edge" + (t.system ? " system" : "") + (t.approval ? " approval" : "") +
        (selected && selected.type === "transition" && selected.key === t.key ? " on" : "") +
        (hitEdges[e.from + ">" + e.to] ? " hit" : "");
      var pick = function () { select("transition", t.key); };
      root.appendChild(svg("g", {"class": cls, "data-fz-transition": t.key, onclick: pick}, [
        svg("title", {}, [text(t.label) + " · " + t.key]),
        svg("path", {d: d, "marker-end": "url(#fz-arrow)"})].concat(first ? [
        svg("text", {x: mid[0], y: mid[1]}, [text(t.label) + (t.approval ? " ◆" : "")])] : [])));
    });
    states.forEach(function (s) {
      var n = g.nodes[s.key];
      if (!n) return;
      var cls = "fz-node" + (selected && selected.type === "state" && selected.key === s.key ? " on" : "") +
        (hitNodes[s.key] ? " hit" : "");
      root.appendChild(svg("g", {"class": cls, "data-fz-state": s.key, onclick: function () { select("state", s.key); }}, [
        svg("rect", {x: n.x, y: n.y, width: n.width, height: n.height, rx: 8, fill: s.color || "#52606d",
                     "stroke-width": s.key === doc.initial ? 3 : 1}),
        svg("text", {x: n.x + n.width / 2, y: n.y + 22, "text-anchor": "middle"}, [text(s.label)])]));
    });
    box.appendChild(root);
  }

  // -- the side panel ------------------------------------------------------------------------------
  function labelInputs(obj, summary, onInput) {
    return ["zh", "en"].map(function (lang) {
      var input = el("input", {type: "text", value: (obj.label || {})[lang] || "", "data-fz-label": lang});
      input.addEventListener("input", function () {
        obj.label = obj.label || {}; obj.label[lang] = input.value; save(summary); if (onInput) onInput();
      });
      return el("label", {"class": "dz-l"}, [w("label_" + lang), input]);
    });
  }
  function checks(values, choices, onChange, attr) {
    return el("div", {"class": "fz-checks"}, choices.map(function (c) {
      var box = el("input", {type: "checkbox", checked: values.indexOf(c.key) >= 0});
      box.setAttribute(attr, c.key);
      box.addEventListener("change", function () {
        var next = choices.map(function (x) { return x.key; }).filter(function (k) {
          return k === c.key ? box.checked : values.indexOf(k) >= 0; });
        onChange(next);
      });
      return el("label", {}, [box, " " + c.label]);
    }));
  }
  function jsonArea(value, onChange, attrs) {
    var area = el("textarea", Object.assign({rows: 3, spellcheck: "false"}, attrs || {}));
    area.value = value === undefined ? "" : JSON.stringify(value);
    var err = el("div", {"class": "dz-error"});
    area.addEventListener("input", function () {
      var raw = area.value.trim();
      if (!raw) { err.textContent = ""; onChange(undefined); return; }
      try { var v = JSON.parse(raw); err.textContent = ""; area.classList.remove("bad"); onChange(v); }
      catch (e) { area.classList.add("bad"); err.textContent = (D.W.invalid_json || "JSON") + ": " + e.message; D.blocked(D.W.invalid_json || "JSON"); }
    });
    return el("div", {}, [area, err]);
  }
  function select(type, key) { selected = {type: type, key: key}; drawDiagram(); drawPanel(); }
  function drawPanel() {
    var panel = document.querySelector("[data-fz-panel]");
    panel.innerHTML = "";
    if (!selected) return;
    if (selected.type === "state") return statePanel(panel, (doc.states || []).filter(function (s) { return s.key === selected.key; })[0]);
    transitionPanel(panel, (doc.transitions || []).filter(function (t) { return t.key === selected.key; })[0]);
  }
  function statePanel(panel, s) {
    if (!s) return;
    var summary = {zh: "状态 " + s.key, en: "state " + s.key};
    panel.appendChild(el("h3", {text: text(s.label) + " · " + s.key}));
    labelInputs(s, summary, drawDiagram).forEach(function (x) { panel.appendChild(x); });
    var cat = el("select", {}, ["open", "in_progress", "done", "cancelled"].map(function (c) {
      return el("option", {value: c, text: c, selected: s.category === c}); }));
    cat.addEventListener("change", function () { s.category = cat.value; save(summary); });
    panel.appendChild(el("label", {"class": "dz-l"}, [w("category"), cat]));
    var color = el("input", {type: "color", value: s.color || "#52606d"});
    color.addEventListener("input", function () { s.color = color.value; save(summary); drawDiagram(); });
    panel.appendChild(el("label", {"class": "dz-l"}, [w("color"), color]));
    panel.appendChild(el("button", {"class": "btn danger", type: "button", text: w("remove"), onclick: function () {
      doc.states = doc.states.filter(function (x) { return x !== s; });
      selected = null; save(summary); drawAll();
    }}));
  }
  function transitionPanel(panel, t) {
    if (!t) return;
    var summary = {zh: "操作 " + t.key, en: "action " + t.key};
    function changed() { save(summary); drawDiagram(); }
    panel.appendChild(el("h3", {text: text(t.label) + " · " + t.key}));
    labelInputs(t, summary, drawDiagram).forEach(function (x) { panel.appendChild(x); });
    var states = (doc.states || []).map(function (s) { return {key: s.key, label: text(s.label)}; });
    panel.appendChild(el("div", {"class": "dz-l", text: w("from")}));
    panel.appendChild(checks(t.from || [], states, function (v) { t.from = v; changed(); }, "data-fz-from"));
    var to = el("select", {"data-fz-to": ""}, [el("option", {value: "", text: w("stays")})].concat(states.map(function (s) {
      return el("option", {value: s.key, text: s.label, selected: t.to === s.key}); })));
    to.addEventListener("change", function () { if (to.value) t.to = to.value; else delete t.to; changed(); });
    panel.appendChild(el("label", {"class": "dz-l"}, [w("to"), to]));
    panel.appendChild(el("div", {"class": "dz-l", text: w("roles")}));
    var roles = (setup.roles || []).map(function (r) { return {key: r.key, label: text(r.label) || r.key}; });
    panel.appendChild(checks(t.roles || [], roles, function (v) { if (v.length) t.roles = v; else delete t.roles; changed(); }, "data-fz-role"));
    [["system", "system"], ["comment_required", "comment_required"]].forEach(function (pair) {
      var box = el("input", {type: "checkbox", checked: !!t[pair[0]]});
      box.setAttribute("data-fz-flag", pair[0]);
      box.addEventListener("change", function () { if (box.checked) t[pair[0]] = true; else delete t[pair[0]]; changed(); });
      panel.appendChild(el("label", {"class": "dz-check"}, [box, " " + w(pair[1])]));
    });
    var fields = entity().fields.filter(function (f) { return f.type !== "table"; });
    var req = el("select", {multiple: true, size: 6, "data-fz-fields-required": ""}, fields.map(function (f) {
      return el("option", {value: f.key, text: text(f.label) + " (" + f.key + ")", selected: (t.fields_required || []).indexOf(f.key) >= 0}); }));
    req.addEventListener("change", function () {
      var v = Array.prototype.filter.call(req.options, function (o) { return o.selected; }).map(function (o) { return o.value; });
      if (v.length) t.fields_required = v; else delete t.fields_required; changed();
    });
    panel.appendChild(el("label", {"class": "dz-l"}, [w("fields_required"), req]));
    panel.appendChild(el("div", {"class": "dz-l", text: w("guards")}));
    (t.guards || []).forEach(function (gd, i) {
      var id = el("input", {type: "text", value: gd.id});
      id.addEventListener("input", function () { gd.id = id.value; save(summary); });
      var msg = el("input", {type: "text", value: text(gd.message)});
      msg.addEventListener("input", function () { gd.message = {zh: msg.value, en: (gd.message || {}).en || msg.value}; save(summary); });
      panel.appendChild(el("div", {"class": "fz-step"}, [id, jsonArea(gd.check, function (v) { gd.check = v; save(summary); }, {"data-fz-guard": gd.id}),
        el("label", {"class": "dz-l"}, [w("guard_message"), msg]),
        el("button", {"class": "link", type: "button", text: w("remove"), onclick: function () {
          t.guards.splice(i, 1); if (!t.guards.length) delete t.guards; save(summary); drawPanel(); }})]));
    });
    panel.appendChild(el("button", {"class": "link", type: "button", text: w("add_guard"), onclick: function () {
      t.guards = t.guards || [];
      t.guards.push({id: "g_" + t.key + "_" + (t.guards.length + 1), check: {"!!": [{"var": "name"}]},
                     message: {zh: "条件不满足", en: "The condition is not met"}});
      save(summary); drawPanel(); }}));
    var approval = el("select", {"data-fz-approval": ""}, [el("option", {value: "", text: w("none")})].concat(
      (doc.approvals || []).map(function (a) { return el("option", {value: a.key, text: text(a.label) || a.key, selected: t.approval === a.key}); })));
    approval.addEventListener("change", function () { if (approval.value) t.approval = approval.value; else delete t.approval; changed(); });
    panel.appendChild(el("label", {"class": "dz-l"}, [w("approval"), approval]));
    panel.appendChild(el("label", {"class": "dz-l"}, [w("set"), jsonArea(t.set, function (v) { if (v === undefined) delete t.set; else t.set = v; save(summary); })]));
    var emit = el("input", {type: "text", value: t.emit || ""});
    emit.addEventListener("input", function () { if (emit.value) t.emit = emit.value; else delete t.emit; save(summary); });
    panel.appendChild(el("label", {"class": "dz-l"}, [w("emit"), emit]));
    panel.appendChild(el("button", {"class": "btn danger", type: "button", text: w("remove"), onclick: function () {
      doc.transitions = doc.transitions.filter(function (x) { return x !== t; });
      selected = null; save(summary); drawAll(); }}));
  }

  // -- approvals: branches side by side, steps one after another ---------------------------------
  var WHO = ["role", "users", "user_field", "manager_of", "department_head", "rule"];
  function approverKind(a) { return WHO.filter(function (k) { return k in (a || {}); })[0] || "role"; }
  function drawApprovals() {
    var box = document.querySelector("[data-fz-approvals]");
    box.innerHTML = "";
    (doc.approvals || []).forEach(function (a) {
      var summary = {zh: "审批 " + a.key, en: "approval " + a.key};
      box.appendChild(el("h3", {text: text(a.label) + " · " + a.key}));
      box.appendChild(el("p", {"class": "muted small", text: w("parallel")}));
      var row = el("div", {"class": "fz-branches"});
      (a.branches || []).forEach(function (b, bi) { row.appendChild(branchCard(a, b, bi, summary)); });
      box.appendChild(row);
      box.appendChild(el("button", {"class": "btn", type: "button", "data-fz-add-branch": a.key, text: w("add_branch"), onclick: function () {
        var n = a.branches.length + 1;
        a.branches.push({key: "branch_" + n, label: {zh: "新分支 " + n, en: "New branch " + n},
                         when: {"==": [1, 1]},
                         steps: [{key: "step_" + n, label: {zh: "审批", en: "Review"}, approvers: {role: "manager"}, mode: "any"}]});
        save(summary); drawApprovals();
      }}));
    });
  }
  function branchCard(a, b, bi, summary) {
    var card = el("div", {"class": "fz-branch", "data-fz-branch": b.key});
    var key = el("input", {type: "text", value: b.key, "data-fz-branch-key": ""});
    key.addEventListener("change", function () { b.key = key.value.trim(); card.setAttribute("data-fz-branch", b.key); save(summary); });
    card.appendChild(el("h4", {}, [w("branch"), key]));
    labelInputs(b, summary).forEach(function (x) { card.appendChild(x); });
    card.appendChild(el("label", {"class": "dz-l"}, [w("when"), jsonArea(b.when, function (v) {
      if (v === undefined) delete b.when; else b.when = v; save(summary); }, {"data-fz-when": ""})]));
    card.appendChild(el("div", {"class": "dz-l", text: w("steps")}));
    (b.steps || []).forEach(function (s, si) {
      if (si) card.appendChild(el("div", {"class": "fz-arrow", text: "↓"}));
      card.appendChild(stepBox(b, s, si, summary));
    });
    card.appendChild(el("button", {"class": "link", type: "button", text: w("add_step"), onclick: function () {
      b.steps.push({key: b.key + "_" + (b.steps.length + 1), label: {zh: "审批", en: "Review"}, approvers: {role: "manager"}, mode: "any"});
      save(summary); drawApprovals(); }}));
    card.appendChild(el("button", {"class": "link danger", type: "button", text: " " + w("remove"), onclick: function () {
      a.branches.splice(bi, 1); save(summary); drawApprovals(); }}));
    return card;
  }
  function stepBox(b, s, si, summary) {
    var box = el("div", {"class": "fz-step", "data-fz-step": s.key});
    labelInputs(s, summary).forEach(function (x) { box.appendChild(x); });
    var kind = el("select", {"data-fz-approver-kind": ""}, WHO.map(function (k) {
      return el("option", {value: k, text: k, selected: approverKind(s.approvers) === k}); }));
    var cur = s.approvers[approverKind(s.approvers)];
    var value = el("input", {type: "text", "data-fz-approver-value": "",
                             value: typeof cur === "string" ? cur : Array.isArray(cur) ? cur.join(",") : cur === undefined ? "" : JSON.stringify(cur)});
    function setWho() {
      var k = kind.value, v = value.value.trim(), a = {};
      if (k === "users") a.users = v ? v.split(/[,，\s]+/) : [];
      else if (k === "rule") { try { a.rule = JSON.parse(v || "null"); } catch (e) { D.blocked(D.W.invalid_json || "JSON"); return; } }
      else if (k === "manager_of" || k === "department_head") a[k] = v || "submitter";
      else a[k] = v;
      s.approvers = a; save(summary);
    }
    kind.addEventListener("change", setWho); value.addEventListener("input", setWho);
    box.appendChild(el("div", {"class": "row"}, [el("label", {"class": "dz-l"}, [w("approvers"), kind]), el("label", {"class": "dz-l"}, ["·", value])]));
    var mode = el("select", {"data-fz-mode": "", title: w("modes")}, ["single", "any", "all", "ratio"].map(function (m) {
      return el("option", {value: m, text: m, selected: (s.mode || "any") === m}); }));
    var ratio = el("input", {type: "number", min: 0, max: 1, step: "0.05", value: s.ratio || ""});
    mode.addEventListener("change", function () { s.mode = mode.value; if (mode.value === "ratio" && !s.ratio) { s.ratio = 0.5; ratio.value = 0.5; } save(summary); });
    ratio.addEventListener("input", function () { if (ratio.value) s.ratio = Number(ratio.value); else delete s.ratio; save(summary); });
    box.appendChild(el("div", {"class": "row"}, [el("label", {"class": "dz-l"}, [w("mode"), mode]), el("label", {"class": "dz-l"}, [w("ratio"), ratio])]));
    var sla = el("input", {type: "number", min: 0, value: s.sla_hours || ""});
    sla.addEventListener("input", function () { if (sla.value) s.sla_hours = Number(sla.value); else delete s.sla_hours; save(summary); });
    var timeout = el("select", {}, ["", "remind", "escalate", "approve", "reject"].map(function (m) {
      return el("option", {value: m, text: m || "—", selected: (s.on_timeout || "") === m}); }));
    timeout.addEventListener("change", function () { if (timeout.value) s.on_timeout = timeout.value; else delete s.on_timeout; save(summary); });
    box.appendChild(el("div", {"class": "row"}, [el("label", {"class": "dz-l"}, [w("sla"), sla]), el("label", {"class": "dz-l"}, [w("on_timeout"), timeout])]));
    box.appendChild(el("button", {"class": "link", type: "button", text: w("remove"), onclick: function () {
      b.steps.splice(si, 1); save(summary); drawApprovals(); }}));
    return box;
  }

  // -- the simulator --------------------------------------------------------------------------------
  function drawSimulator() {
    var box = document.querySelector("[data-fz-sim]");
    box.innerHTML = "";
    var pinned = setup.pinned || [];
    var mine = pinned.filter(function (p) { return p.workflow === doc.key; });
    var n = mine.reduce(function (s, p) { return s + p.runs; }, 0);
    box.appendChild(el("div", {"class": "fz-pinned", "data-fz-pinned": n}, [n ? D.fmt(w("pinned"), {n: n,
      v: mine.map(function (p) { return p.version; }).join(", ")}) : w("no_pinned")]));
    var actions = (doc.transitions || []).filter(function (t) { return !t.system; });
    actions.sort(function (a, b) { return (b.approval ? 1 : 0) - (a.approval ? 1 : 0); });
    var action = el("select", {"data-fz-sim-action": ""}, actions.map(function (t) { return el("option", {value: t.key, text: text(t.label) + " (" + t.key + ")"}); }));
    var list = el("datalist", {id: "fz-samples"}, (setup.samples || []).map(function (s) { return el("option", {value: s.name, text: s.state || ""}); }));
    var record = el("input", {type: "text", list: "fz-samples", "data-fz-sim-record": "", value: ((setup.samples || [])[0] || {}).name || ""});
    var who = el("select", {"data-fz-sim-user": ""}, [el("option", {value: "", text: "—"})].concat((setup.people || []).map(function (p) {
      return el("option", {value: p.username, text: p.username + " (" + p.roles.join(", ") + ")"}); })));
    var values = el("textarea", {rows: 2, "data-fz-sim-values": "", placeholder: '{"due_date": "2027-01-05"}'});
    var run = el("button", {"class": "btn primary", type: "button", "data-fz-sim-run": "", text: w("run")});
    run.addEventListener("click", function () {
      var body = {entity: doc.entity, action: action.value};
      if (record.value.trim()) body.record = record.value.trim();
      if (who.value) body.as_user = who.value;
      if (values.value.trim()) { try { body.values = JSON.parse(values.value); } catch (e) { showSim({error: e.message}); return; } }
      D.flush().then(function () { return D.api(D.draftUrl("/simulate"), {json: body}); }).then(function (r) {
        showSim(r.ok ? r.body : {error: D.problemText(r.body)});
      });
    });
    box.appendChild(el("div", {"class": "fz-sim-form"}, [el("label", {"class": "dz-l"}, [w("action"), action]),
      el("label", {"class": "dz-l"}, [w("record"), record, list]), el("label", {"class": "dz-l"}, [w("as_user"), who]),
      el("label", {"class": "dz-l"}, [w("values"), values]), run]));
  }
  function why(inputs) {
    return Object.keys(inputs || {}).map(function (k) { return el("code", {text: k + " = " + JSON.stringify(inputs[k])}); });
  }
  function showSim(sim) {
    var out = document.querySelector("[data-fz-sim-result]");
    out.innerHTML = "";
    lastSim = sim && !sim.error ? sim : null;
    drawDiagram();
    if (sim.error) { out.appendChild(el("p", {"class": "cz-problem", "data-fz-sim-error": "", text: sim.error})); return; }
    (sim.problems || []).forEach(function (p) {
      out.appendChild(el("p", {"class": "cz-problem", text: p[zh ? "zh" : "en"] + " " + JSON.stringify(p.errors || {})}));
    });
    if (sim.refused) out.appendChild(el("p", {"class": "cz-problem", "data-fz-sim-refused": "", text: w("refused") + "：" + sim.refused[zh ? "zh" : "en"]}));
    var states = {};
    (doc.states || []).forEach(function (s) { states[s.key] = text(s.label); });
    var path = el("div", {"class": "fz-path", "data-fz-sim-path": (sim.transitions || []).map(function (t) { return t.to; }).join(",")},
                  [el("strong", {text: w("path") + "："})]);
    (sim.transitions || []).forEach(function (t, i) {
      if (!i) path.appendChild(el("span", {"class": "fz-chip", text: states[t.from] || t.from}));
      path.appendChild(el("span", {text: "→ " + text(t.label) + " →"}));
      path.appendChild(el("span", {"class": "fz-chip", text: states[t.to] || t.to}));
    });
    out.appendChild(path);
    var list = el("ul", {"class": "fz-sim-branches"});
    (sim.branches || []).forEach(function (b) {
      var item = el("li", {"data-fz-sim-branch": b.key, "data-applies": b.applies ? "yes" : "no"}, [
        el("span", {"class": b.applies ? "fz-yes" : "fz-no", text: (b.applies ? "✓ " + w("applies") : "✗ " + w("skipped")) + " "}),
        el("strong", {text: text(b.label) || b.key}),
        el("div", {"class": "fz-why"}, [w("because") + " ", el("code", {text: JSON.stringify(b.when === undefined ? true : b.when)}),
          " = " + JSON.stringify(b.result) + " · "].concat(why(b.inputs)))]);
      if (b.applies) {
        b.steps.forEach(function (s, i) {
          item.appendChild(el("div", {"class": "fz-why", "data-fz-sim-step": s.key}, [(i + 1) + ". " + text(s.label) + " · " + s.mode +
            " · " + w("people") + "：" + (s.people.join("、") || "—")]));
        });
      }
      list.appendChild(item);
    });
    out.appendChild(list);
    out.appendChild(el("p", {"class": "muted small", text: w("nothing_written") + " (" + (sim.as_user || "") + ")"}));
  }

  function drawAll() { drawDiagram(); drawPanel(); drawApprovals(); drawSimulator(); }

  D.editor = {load: function (next) { doc = next; drawAll(); }};
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-w]").forEach(function (n) { n.textContent = w(n.getAttribute("data-w")); });
    doc = setup.document;
    document.querySelector("[data-fz-title]").textContent = text(doc.label);
    document.querySelector("[data-fz-entity]").textContent = doc.entity + " · " + doc.state_field;
    document.querySelector("[data-fz-add-state]").addEventListener("click", function () {
      var key = (window.prompt(w("new_state")) || "").trim();
      if (!/^[a-z][a-z0-9_]*$/.test(key)) return;
      doc.states.push({key: key, label: {zh: key, en: key}, category: "in_progress"});
      save({zh: "新增状态 " + key, en: "state " + key + " added"}); select("state", key);
    });
    document.querySelector("[data-fz-add-transition]").addEventListener("click", function () {
      var key = (window.prompt(w("new_transition")) || "").trim();
      if (!/^[a-z][a-z0-9_]*$/.test(key)) return;
      doc.transitions.push({key: key, from: [doc.initial], to: doc.initial, label: {zh: key, en: key}});
      save({zh: "新增操作 " + key, en: "action " + key + " added"}); select("transition", key);
    });
    drawAll();
    D.trackProblems(address);
  });
}());
