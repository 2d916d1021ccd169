/* The review inbox: tick tasks (or all), then approve, transfer, add an approver or return them
 * with one comment — through the workflow API, without reloading the page. Handled cards leave
 * the list; a task that could not be handled stays, with the reason on its card. The one-card
 * buttons work the same way. */
(function () {
  "use strict";

  function en() { return window.Sunmao && Sunmao.lang === "en"; }

  function ticked(root) {
    return Array.prototype.slice.call(root.querySelectorAll("article.task [data-pick]:checked"))
      .map(function (box) { return box.closest("article.task"); });
  }

  function say(root, text, ok) {
    var out = root.querySelector("[data-bulk-status]");
    out.textContent = text;
    out.className = "bulk-status " + (ok ? "ok" : "error");
  }

  function done(card) {
    card.remove();
  }

  function failed(card, message) {
    var slot = card.querySelector("[data-task-error]");
    if (slot) slot.textContent = message;
    card.classList.add("has-error");
  }

  function problem(r) {
    var b = r.body || {};
    var parts = [b.detail || b.title || String(r.status)];
    Object.keys(b.errors || {}).forEach(function (k) { parts = parts.concat(b.errors[k]); });
    return parts.join("；");
  }

  function counts(root) {
    var left = root.querySelectorAll("article.task").length;
    var counter = document.querySelector("[data-inbox-count]");
    if (counter) counter.textContent = String(left);
    var all = root.querySelector("[data-pick-all]");
    if (all) all.checked = false;
  }

  /* One verb on each card in turn (the API decides task by task). */
  function each(root, cards, verb, body) {
    var handled = 0, refused = 0;
    return cards.reduce(function (chain, card) {
      return chain.then(function () {
        return Sunmao.api("/api/v1/_tasks/" + card.getAttribute("data-task") + "/" + verb, {json: body(card)})
          .then(function (r) {
            if (r.ok) { handled++; done(card); } else { refused++; failed(card, problem(r)); }
          });
      });
    }, Promise.resolve()).then(function () { return [handled, refused]; });
  }

  function run(root, action, cards) {
    var comment = (root.querySelector("[data-bulk-comment]").value || "").trim() || null;
    var who = (root.querySelector("[data-bulk-user]").value || "").trim();
    if (!cards.length) { say(root, en() ? "Tick the tasks first." : "请先勾选任务。", false); return Promise.resolve(); }
    if ((action === "transfer" || action === "add_before" || action === "add_after") && !who) {
      say(root, en() ? "Whom to? Enter a user name." : "请填写转交或加签给谁（用户名）。", false);
      root.querySelector("[data-bulk-user]").focus();
      return Promise.resolve();
    }
    if (action === "return" && !comment) {
      say(root, en() ? "Say why it goes back." : "退回请填写意见。", false);
      root.querySelector("[data-bulk-comment]").focus();
      return Promise.resolve();
    }
    var work;
    if (action === "approve") {
      var ids = cards.map(function (c) { return parseInt(c.getAttribute("data-task"), 10); });
      work = Sunmao.api("/api/v1/_tasks/bulk_approve", {json: {ids: ids, comment: comment}}).then(function (r) {
        if (!r.ok) { cards.forEach(function (c) { failed(c, problem(r)); }); return [0, cards.length]; }
        var failures = r.body.failed || {};
        cards.forEach(function (c) {
          var id = c.getAttribute("data-task");
          if (failures[id] !== undefined) failed(c, failures[id]); else done(c);
        });
        return [cards.length - Object.keys(failures).length, Object.keys(failures).length];
      });
    } else if (action === "transfer") {
      work = each(root, cards, "transfer", function () { return {to: who, comment: comment}; });
    } else if (action === "add_before" || action === "add_after") {
      work = each(root, cards, "add_approver", function () {
        return {user: who, position: action === "add_before" ? "before" : "after", comment: comment};
      });
    } else if (action === "return") {
      work = each(root, cards, "return", function (c) { return {step: c.getAttribute("data-return-step"), comment: comment}; });
    } else {
      work = each(root, cards, "reject", function () { return {comment: comment}; });
    }
    root.setAttribute("aria-busy", "true");
    return work.then(function (result) {
      root.removeAttribute("aria-busy");
      counts(root);
      say(root, en() ? result[0] + " handled" + (result[1] ? ", " + result[1] + " refused (see the cards)" : "")
                     : "已处理 " + result[0] + " 条" + (result[1] ? "，" + result[1] + " 条未能处理（见卡片）" : ""),
          !result[1]);
    });
  }

  document.addEventListener("click", function (event) {
    var root = event.target.closest("[data-inbox]");
    if (!root) return;
    var bulk = event.target.closest("[data-bulk]");
    if (bulk) {
      event.preventDefault();
      run(root, bulk.getAttribute("data-bulk"), ticked(root));
      return;
    }
    var single = event.target.closest("[data-decide]");
    if (single) {  // one card: the same call, its own comment
      event.preventDefault();
      var card = single.closest("article.task");
      var note = (card.querySelector("input[name=comment]").value || "").trim();
      root.querySelector("[data-bulk-comment]").value = note;
      run(root, single.getAttribute("data-decide"), [card]);
    }
  });

  document.addEventListener("change", function (event) {
    if (!event.target.matches("[data-pick-all]")) return;
    var root = event.target.closest("[data-inbox]");
    root.querySelectorAll("article.task [data-pick]").forEach(function (box) { box.checked = event.target.checked; });
  });
}());
