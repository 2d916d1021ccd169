/* The settings editor: each named parameter of the app is one field ("raise the finance threshold
 * to 80,000"), with where it is read and the impact preview of the change on real records. */
(function () {
  "use strict";
  var D = window.Designer, setup = D.setup;
  var doc = setup.document;
  var lang = D.lang;
  var T = function (zh, en) { return lang === "en" ? en : zh; };
  function text(t) { return t && typeof t === "object" ? (t[lang] || t.zh || t.en) : (t || ""); }
  function save(summary) { D.changed(setup.address, function () { return doc; }, summary); }

  function draw() {
    var box = document.querySelector("[data-st-params]");
    box.innerHTML = "";
    var groups = {}, order = [];
    (doc.parameters || []).forEach(function (p, i) {
      var g = text(p.group) || T("其他", "Other");
      if (!(g in groups)) { groups[g] = []; order.push(g); }
      groups[g].push([p, i]);
    });
    order.forEach(function (g) {
      box.appendChild(D.el("h3", {"class": "st-group", text: g}));
      var table = D.el("div", {"class": "st-params"});
      groups[g].forEach(function (pair) {
        var p = pair[0], i = pair[1];
        var input;
        if (p.type === "boolean") {
          input = D.el("input", {type: "checkbox", checked: !!p.value});
          input.addEventListener("change", function () { p.value = input.checked; save(); });
        } else {
          input = D.el("input", {type: p.type === "number" || p.type === "integer" ? "number" : p.type === "date" ? "date" : "text",
                                 step: p.type === "integer" ? "1" : "any", value: p.value === null ? "" : String(p.value),
                                 min: p.min !== undefined ? String(p.min) : null, max: p.max !== undefined ? String(p.max) : null,
                                 "data-setting": p.key, "data-path": "$.parameters[" + i + "].value",
                                 "aria-label": text(p.label)});
          input.addEventListener("input", function () {
            if (p.type === "number" || p.type === "integer") {
              var n = Number(input.value);
              if (input.value === "" || !isFinite(n)) { input.classList.add("bad"); return; }
              input.classList.remove("bad");
              p.value = n;
            } else p.value = input.value;
            save();
          });
        }
        var used = (setup.settings_used || {})[p.key] || [];
        var where = D.el("div", {"class": "hint st-used"}, [used.length ? T("用于 ", "read by ") : T("尚未被规则使用", "no rule reads it yet")]);
        used.forEach(function (u, j) {
          if (j) where.appendChild(document.createTextNode("、"));
          where.appendChild(D.el("a", {href: "/designer/drafts/" + D.draft.id + "/rules?at=" + encodeURIComponent(u.address + "|" + u.rule_path),
                                       title: u.address + " " + u.rule_path,
                                       text: (text(u.label) || u.address.split("/").pop()) + " · " + u.rule_path.split(".").pop()}));
        });
        table.appendChild(D.el("label", {"class": "st-param"}, [
          D.el("span", {"class": "st-label"}, [text(p.label), D.el("small", {"class": "muted", text: " " + p.key})]),
          D.el("span", {"class": "st-input"}, [input, p.unit ? D.el("span", {"class": "hint", text: " " + text(p.unit)}) : null]),
          p.help ? D.el("span", {"class": "hint", text: text(p.help)}) : null, where]));
      });
      box.appendChild(table);
    });
  }

  D.editor = {load: function (next) { doc = next; draw(); }};
  document.addEventListener("DOMContentLoaded", function () {
    draw();
    window.SunmaoImpact(document.querySelector("[data-st-impact]"));
    D.trackProblems(setup.address);
  });
}());
