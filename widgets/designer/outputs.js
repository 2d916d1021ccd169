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
    if (document.querySelector("[data-oz-print]")) printPreview();
    if (document.querySelector("[data-oz-job]")) jobPreview();
  });
}());
