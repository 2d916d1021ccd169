/* Check and publish: problems at their paths, the migration plan in words, refused changes with
 * the rows in their way, warnings, what was published since (merge, conflicts), then publish. */
(function () {
  "use strict";
  var D = window.Designer, W = D.W;

  function q(sel) { return document.querySelector(sel); }
  function card(sel, show) { q(sel).hidden = !show; }
  function pre(value, missing) { return D.el("pre", {text: missing ? "—" : JSON.stringify(value, null, 1)}); }

  function conflicts(list, fromPackage) {
    var box = q("[data-dz-conflicts]");
    box.innerHTML = "";
    card("[data-dz-conflicts-card]", list.length > 0);
    list.forEach(function (c) {
      var choices = D.el("div", {"class": "actions"}, [
        D.el("button", {"class": "btn", type: "button", text: fromPackage ? W.ours_plant : W.ours, "data-choose": "ours",
                        onclick: function () { decide(c.id, "ours"); }}),
        D.el("button", {"class": "btn", type: "button", text: fromPackage ? W.theirs_package : W.theirs,
                        "data-choose": "theirs", onclick: function () { decide(c.id, "theirs"); }})]);
      box.appendChild(D.el("div", {"class": "dz-conflict", "data-conflict": c.id}, [
        D.el("strong", {text: c.document}), " ", D.el("code", {text: c.path}),
        D.el("div", {"class": "sides"}, [
          D.el("div", {}, [W.base_value, pre(c.base, c.base_missing)]),
          D.el("div", {}, [fromPackage ? W.ours_plant_side : W.ours_side, pre(c.ours, c.ours_missing)]),
          D.el("div", {}, [fromPackage ? W.theirs_package_side : W.theirs_side, pre(c.theirs, c.theirs_missing)])]),
        choices]));
    });
  }

  function decide(id, choice) {
    var choices = {};
    choices[id] = choice;
    D.api(D.draftUrl("/resolve"), {json: {choices: choices}, ifMatch: true}).then(function (r) {
      if (!r.ok) { window.alert(D.problemText(r.body)); return; }
      run();
    });
  }

  function diffs(box, documents) {
    box.innerHTML = "";
    if (!documents.length) { box.appendChild(D.el("p", {"class": "muted", text: W.no_changes})); return; }
    documents.forEach(function (d) {
      box.appendChild(D.el("div", {"class": "dz-diff"}, [
        D.el("h3", {}, [D.text(d.title) + " ", D.el("small", {"class": "muted", text: d.document})]),
        D.el("ul", {}, d.lines.map(function (l) { return D.el("li", {"class": "dz-line " + l.action, text: l[D.lang]}); }))]));
    });
  }

  function render(report) {
    var ok = report.ok;
    var verdict = q("[data-dz-verdict]");
    verdict.textContent = ok ? W.check_ok : W.check_failed;
    verdict.className = ok ? "ok" : "dz-error";
    verdict.setAttribute("data-ok", ok ? "1" : "0");
    q("[data-dz-publish]").disabled = !ok;
    card("[data-dz-moved]", report.moved);
    if (report.moved) {
      q("[data-dz-moved-text]").textContent = D.fmt(W.moved, {base: report.base_version, current: report.current_version});
      diffs(q("[data-dz-since]"), report.since);
      q("[data-dz-merge-note]").textContent = report.merge_conflicts.length ? report.merge_conflicts.length + " · " + W.conflicts : W.merge_clean;
    }
    conflicts(report.pending, (report.draft.origin || {}).kind === "package");
    card("[data-dz-problems-card]", report.problems.length > 0);
    D.showProblems(q("[data-dz-check-problems]"), report.problems);
    q("[data-dz-check-problems]").querySelectorAll("li").forEach(function (li, i) {
      var p = report.problems[i];
      li.appendChild(D.el("a", {href: "/designer/drafts/" + D.draft.id + "/doc/" + p.document, text: " → " + p.document}));
    });
    card("[data-dz-refused-card]", report.refused.length > 0);
    var refused = q("[data-dz-refused]");
    refused.innerHTML = "";
    report.refused.forEach(function (r) {
      var table = D.el("table", {"class": "grid-table dz-rows"}, [D.el("tr", {}, [W.record, W.value, W.reason].map(function (h) {
        return D.el("th", {text: h}); }))]);
      r.rows.forEach(function (row) {
        table.appendChild(D.el("tr", {"data-refused-row": row.id}, [
          D.el("td", {}, [D.el("a", {href: "/app/" + r.entity + "/" + row.id + "/edit", target: "_blank",
                                     text: (row.name || "") + " #" + row.id})]),
          D.el("td", {text: String(row.value)}), D.el("td", {text: row.reason})]));
      });
      refused.appendChild(D.el("div", {"data-refused": r.entity + "." + r.field}, [D.el("p", {"class": "dz-error", text: r[D.lang]}),
        D.el("strong", {text: W.rows_in_way}), table]));
    });
    var plan = q("[data-dz-plan]");
    plan.innerHTML = "";
    if (!report.steps.length) plan.appendChild(D.el("li", {"class": "muted", text: W.plan_empty}));
    report.steps.forEach(function (s) { plan.appendChild(D.el("li", {text: s[D.lang], "data-step": s.action})); });
    card("[data-dz-warnings-card]", report.warnings.length > 0);
    var warn = q("[data-dz-warnings]");
    warn.innerHTML = "";
    report.warnings.forEach(function (w) { warn.appendChild(D.el("li", {"class": w.kind, text: w[D.lang]})); });
    diffs(q("[data-dz-changes]"), report.changes);
  }

  function run() {
    var verdict = q("[data-dz-verdict]");
    verdict.textContent = W.checking;
    verdict.className = "muted";
    verdict.removeAttribute("data-ok");
    q("[data-dz-publish]").disabled = true;
    return D.api(D.draftUrl("/check"), {json: {}}).then(function (r) {
      if (!r.ok) { verdict.textContent = D.problemText(r.body); verdict.className = "dz-error"; return; }
      D.setRev(r.body.draft.rev, r.body.draft);
      render(r.body);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (D.draft.state !== "open") {
      q("[data-dz-verdict]").textContent = D.draft.state + (D.draft.published_version ? " · v" + D.draft.published_version : "");
      return;
    }
    q("[data-dz-recheck]").addEventListener("click", run);
    q("[data-dz-merge]").addEventListener("click", function () {
      D.api(D.draftUrl("/merge"), {json: {}, ifMatch: true}).then(function (r) {
        if (!r.ok) { window.alert(D.problemText(r.body)); return; }
        run();
      });
    });
    q("[data-dz-publish]").addEventListener("click", function () {
      var button = q("[data-dz-publish]"), out = q("[data-dz-publish-result]");
      button.disabled = true;
      out.textContent = W.publishing;
      D.api(D.draftUrl("/publish"), {json: {comment: q("[data-dz-comment]").value}, ifMatch: true}).then(function (r) {
        out.innerHTML = "";
        if (r.ok) {
          out.appendChild(D.el("p", {"class": "dz-done", "data-published": r.body.version,
                                     text: D.fmt(W.published_ok, {n: r.body.version})}));
          (r.body.warnings || []).forEach(function (w) { out.appendChild(D.el("p", {"class": "muted", text: w[D.lang] || w.zh})); });
          (r.body.pinned || []).forEach(function (p) {  // running approvals that finish on their old version
            out.appendChild(D.el("p", {"class": "muted", "data-dz-pinned": p.workflow, text: D.lang === "en"
              ? p.runs + " running approvals of " + p.workflow + " stay on version " + p.version
              : p.workflow + "：" + p.runs + " 个进行中的审批仍按第 " + p.version + " 版走完"}));
          });
          out.appendChild(D.el("a", {"class": "btn", href: "/app", text: W.open_app}));
          return;
        }
        out.appendChild(D.el("p", {"class": "dz-error", text: D.problemText(r.body)}));
        run();
      }, function () { out.textContent = W.offline; button.disabled = false; });
    });
    run();
  });
}());
