/* Beside the generic editor of print templates and scheduled jobs: a print layout's live PDF preview
 * of a chosen record (made on the server by the code that prints, reloaded after every save), and a
 * job's check — the registered job and arguments it runs and its next run times (nothing runs). */
(function () {
  "use strict";
  var D = window.Designer, setup = D.setup, el = D.el;
  var zh = D.lang !== "en";
  function tr(a, b) { return zh ? a : b; }

  function printPreview() {
    var select = document.querySelector("[data-oz-record]"), frame = document.querySelector("[data-oz-pdf]");
    var list = (setup.samples || {})[setup.document.entity] || [];
    list.forEach(function (s) { select.appendChild(el("option", {value: s.id, text: s.name + " (#" + s.id + ")"})); });
    function load() {
      if (!select.value) { frame.removeAttribute("src"); return; }
      frame.src = "/designer/drafts/" + D.draft.id + "/preview/print/" + setup.address + "?record=" + select.value + "&rev=" + D.rev;
    }
    select.addEventListener("change", load);
    D.on("saved", load);
    load();
  }

  /* The layout's fields picked from the entity: head fields, the lines table and its columns, totals.
   * Each tick changes the generic editor's document (D.editor.current) and saves it like any edit. */
  function layoutPicker() {
    var box = document.querySelector("[data-oz-layout-box]");
    var entities = {};
    (setup.entities || []).forEach(function (e) { entities[e.key] = e; });
    var SKIP = ["table", "json", "attachment"];
    function edit(change) {
      var d = D.editor.current();
      change(d);
      D.editor.load(d, []);
      D.changed(setup.address, function () { return D.editor.current(); }, {zh: "打印版式 " + d.key, en: "print layout " + d.key});
      draw();
    }
    function checklist(name, fields, chosen, onToggle) {
      return el("fieldset", {"class": "oz-pick", "data-oz-pick": name}, fields.map(function (f) {
        var box = el("input", {type: "checkbox", checked: chosen.indexOf(f.key) >= 0, "data-oz-field": f.key});
        box.addEventListener("change", function () { onToggle(f.key, box.checked); });
        return el("label", {}, [box, " " + D.text(f.label)]);
      }));
    }
    function toggle(list, key, on) {
      var i = list.indexOf(key);
      if (on && i < 0) list.push(key);
      if (!on && i >= 0) list.splice(i, 1);
      return list;
    }
    function draw() {
      var d = D.editor.current(), ent = entities[d.entity] || {fields: []};
      box.innerHTML = "";
      var own = ent.fields.filter(function (f) { return SKIP.indexOf(f.type) < 0; });
      box.appendChild(el("h3", {text: tr("表头字段", "Head fields")}));
      box.appendChild(checklist("fields", own, d.fields || [], function (key, on) {
        edit(function (doc) { doc.fields = toggle(doc.fields || [], key, on); });
      }));
      var tables = ent.fields.filter(function (f) { return f.type === "table"; });
      if (tables.length) {
        var current = (d.table || {}).field || "";
        var pick = el("select", {"data-oz-table": ""}, [el("option", {value: "", text: "—"})].concat(tables.map(function (f) {
          return el("option", {value: f.key, text: D.text(f.label), selected: f.key === current}); })));
        pick.addEventListener("change", function () {
          edit(function (doc) { if (pick.value) doc.table = {field: pick.value}; else delete doc.table; });
        });
        box.appendChild(D.labelled(tr("明细表", "Lines table"), pick));
        var of = current ? (tables.filter(function (f) { return f.key === current; })[0] || {}).of : null;
        if (of && entities[of]) {
          box.appendChild(el("h3", {text: tr("明细列", "Line columns")}));
          box.appendChild(checklist("columns", entities[of].fields.filter(function (f) { return SKIP.indexOf(f.type) < 0; }),
            (d.table || {}).columns || [], function (key, on) {
              edit(function (doc) {
                var cols = toggle((doc.table.columns || []).slice(), key, on);
                if (cols.length) doc.table.columns = cols; else delete doc.table.columns;
              });
            }));
        }
      }
      box.appendChild(el("h3", {text: tr("合计", "Totals")}));
      box.appendChild(checklist("totals", own.filter(function (f) { return ["integer", "decimal", "computed"].indexOf(f.type) >= 0; }),
        d.totals || [], function (key, on) { edit(function (doc) { doc.totals = toggle(doc.totals || [], key, on); }); }));
    }
    draw();
  }

  function jobPreview() {
    var out = document.querySelector("[data-oz-job-out]");
    function load() {
      D.api(D.draftUrl("/jobs/preview"), {json: {address: setup.address}}).then(function (r) {
        out.innerHTML = "";
        if (!r.ok) { out.appendChild(el("p", {"class": "cz-problem", text: D.problemText(r.body)})); return; }
        var res = r.body;
        out.setAttribute("data-oz-problems", res.problems.length);
        if (res.problems.length) {
          out.appendChild(el("ul", {"class": "dz-problems"}, res.problems.map(function (p) {
            return el("li", {}, [el("code", {text: p.path}), " ", p.message]); })));
        }
        if (res.runs) {
          out.appendChild(el("p", {}, [tr("运行：", "Runs: "), el("code", {"data-oz-job-name": res.runs.job, text: res.runs.job}),
            " " + JSON.stringify(res.runs.args), res.runs.enabled ? "" : el("strong", {text: tr("（已停用）", " (disabled)")})]));
          if (res.runs.doc) out.appendChild(el("p", {"class": "muted small", text: res.runs.doc}));
          out.appendChild(el("h3", {text: tr("接下来的运行时间（", "Next runs (") + res.runs.timezone + tr("）", ")")}));
          out.appendChild(el("ol", {"data-oz-next": res.next.length}, res.next.map(function (n) {
            return el("li", {text: n.local.slice(0, 16).replace("T", " ")}); })));
          out.appendChild(el("p", {"class": "muted small", text: tr("预览不会运行任务：任务是会写入数据的程序，引擎没有试运行。",
            "The preview runs nothing: a job is a program that writes, and the engine has no dry run.")}));
        }
        out.appendChild(el("details", {}, [el("summary", {"class": "muted small", text: tr("可用的任务", "Jobs there are")}),
          el("ul", {}, res.jobs.map(function (j) { return el("li", {}, [el("code", {text: j.name}), " " + j.doc]); }))]));
      });
    }
    D.on("saved", load);
    load();
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (document.querySelector("[data-oz-print]")) { layoutPicker(); printPreview(); }
    if (document.querySelector("[data-oz-job]")) jobPreview();
  });
}());
