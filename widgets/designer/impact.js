/* The impact preview panel: replay the draft over the last N real records and say, in words and
 * numbers, what would change against the published version (nothing is written). */
(function () {
  "use strict";
  var D = window.Designer;

  function SunmaoImpact(container) {
    var lang = D.lang;
    var T = function (zh, en) { return lang === "en" ? en : zh; };
    var n = D.el("input", {type: "number", min: "1", max: "5000", value: "500", "class": "im-sample",
                           "aria-label": T("最近多少条记录", "How many recent records")});
    var run = D.el("button", {type: "button", "class": "btn primary im-run", text: T("预览影响", "Preview the impact")});
    var out = D.el("div", {"class": "im-out", "aria-live": "polite"});
    container.innerHTML = "";
    container.appendChild(D.el("div", {"class": "im"}, [
      D.el("p", {"class": "hint", text: T("用草稿的规则重算最近的真实记录，与已发布版本比较；不写入任何数据，不发送事件和通知。",
        "Replays the draft over the most recent real records and compares with the published version; nothing is written, no event or notice is sent.")}),
      D.el("label", {"class": "dz-check"}, [T("最近", "Last"), n, T("条记录", "records")]), run, out]));
    run.addEventListener("click", function () {
      out.textContent = T("计算中…", "working…");
      D.flush().then(function () {
        D.api(D.draftUrl("/impact"), {json: {sample: parseInt(n.value, 10) || 500}}).then(function (r) {
          out.innerHTML = "";
          if (!r.ok) { out.appendChild(D.el("p", {"class": "dz-error", text: D.problemText(r.body)})); return; }
          if (!r.body.items.length) { out.appendChild(D.el("p", {"class": "ok", "data-im-none": "", text: T("草稿不改变这些记录的任何结果。", "The draft changes nothing on these records.")})); return; }
          r.body.items.forEach(function (item) {
            var box = D.el("div", {"class": "im-item", "data-im-kind": item.kind, "data-im-key": item.key},
                           [D.el("p", {"class": "im-words", text: item.words[lang] || item.words.zh})]);
            Object.keys(item.records).forEach(function (k) {
              var list = item.records[k];
              if (!list.length || (item.kind === "computed" && k === "changed" && Object.keys(item.records).length > 1)) return;
              var links = list.map(function (rec) {
                var text = rec.name + (rec.from !== undefined ? "（" + rec.from + " → " + rec.to + "）" : "");
                return D.el("a", {href: "/app/" + item.entity + "/" + rec.id, target: "_blank", text: text});
              });
              var row = D.el("details", {"class": "im-list"}, [D.el("summary", {text: (k === "left" ? T("不再进入", "would skip")
                : k === "joined" ? T("新进入", "would newly go") : k === "failing" ? T("不符合", "would fail")
                : k === "changed" ? T("改变", "would change") : k === "running" ? T("进行中", "running") : k) + "：" + item.counts[k]})]);
              links.forEach(function (a, i) { if (i) row.appendChild(document.createTextNode("、")); row.appendChild(a); });
              box.appendChild(row);
            });
            out.appendChild(box);
          });
        });
      });
    });
  }
  window.SunmaoImpact = SunmaoImpact;
  /* A page that only marks the place ([data-dz-impact], the check page) gets the panel there. */
  document.addEventListener("DOMContentLoaded", function () {
    var place = document.querySelector("[data-dz-impact]");
    if (place) SunmaoImpact(place);
  });
}());
