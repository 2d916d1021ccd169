/* 报工: find a record by its code, list its rows, start and finish each through the record service.
 * Every button sends the record's version; the answer is the record as it now stands. */
(function () {
  "use strict";

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function init() {
    var root = document.querySelector("[data-report]");
    if (!root) return;
    var key = root.getAttribute("data-report");
    var words = JSON.parse(root.getAttribute("data-words"));
    var input = root.querySelector(".scan-input");
    var message = root.querySelector("[data-report-message]");
    var box = root.querySelector("[data-report-record]");
    var list = root.querySelector("[data-report-rows]");
    var record = null;

    function say(ok, text) {
      message.hidden = !text;
      message.className = "report-message " + (ok ? "ok" : "blocked");
      message.textContent = text || "";
    }

    function problem(body) {
      var items = [];
      Object.keys(body.errors || {}).forEach(function (k) { items = items.concat(body.errors[k]); });
      return [body.detail || body.title || ""].concat(items).join(" ");
    }

    function draw(body) {
      record = body.record;
      box.hidden = false;
      var link = root.querySelector("[data-report-link]");
      link.textContent = record.name;
      link.href = record.url;
      root.querySelector("[data-report-sub]").textContent = record.title || "";
      list.innerHTML = "";
      body.rows.forEach(function (row) {
        var item = el("li", "report-row " + row.state);
        item.setAttribute("data-row", row.id);
        var head = el("div", "report-head");
        head.appendChild(el("span", "report-name", row.title));
        head.appendChild(el("span", "report-state", words[row.state] + (row.by ? " · " + row.by : "")));
        item.appendChild(head);
        var facts = row.facts.map(function (f) { return f[0] + " " + f[1]; });
        if (row.started) facts.push(words.start + " " + row.started);
        if (row.finished) facts.push(words.finish + " " + row.finished);
        if (row.state === "done" && row.good !== null) facts.push(words.good + " " + row.good + (row.scrap ? " · " + words.scrap + " " + row.scrap : ""));
        item.appendChild(el("div", "report-facts", facts.join(" · ")));
        if (row.state !== "done") {
          var qty = el("div", "report-qty");
          ["good", "scrap"].forEach(function (name) {
            if (row[name] === null) return;
            var label = el("label", "", words[name]);
            var field = el("input");
            field.name = name;
            field.type = "text";
            field.inputMode = "decimal";
            field.value = row[name] && Number(row[name]) ? row[name] : "";
            label.appendChild(field);
            qty.appendChild(label);
          });
          if (row.state === "running") item.appendChild(qty);
          var actions = el("div", "report-actions");
          var button = el("button", "btn primary", row.state === "waiting" ? words.start : words.finish);
          button.type = "button";
          button.setAttribute("data-event", row.state === "waiting" ? "start" : "finish");
          button.addEventListener("click", function () { send(row.id, button.getAttribute("data-event"), item); });
          actions.appendChild(button);
          item.appendChild(actions);
        }
        list.appendChild(item);
      });
    }

    function send(rowId, event, item) {
      var payload = {event: event, version: record.version};
      item.querySelectorAll("input").forEach(function (f) { payload[f.name] = f.value.trim(); });
      Sunmao.api("/app/report/" + key + "/" + record.id + "/" + rowId, {json: payload}).then(function (r) {
        if (r.ok) { draw(r.body); say(true, r.body.message); } else { say(false, problem(r.body || {})); }
        if (navigator.vibrate) navigator.vibrate(r.ok ? 60 : [60, 60, 60]);
      });
    }

    root.querySelector("[data-report-find]").addEventListener("submit", function (event) {
      event.preventDefault();
      var code = input.value.trim();
      if (!code) return;
      Sunmao.api("/app/report/" + key + "/find", {json: {code: code}}).then(function (r) {
        if (r.ok) { draw(r.body); say(true, ""); input.value = ""; } else { box.hidden = true; say(false, problem(r.body || {})); }
      });
    });
    input.focus();
  }

  document.addEventListener("DOMContentLoaded", init);
}());
