/* The rules page: every rule of the draft (validation rules, formulas and defaults, conditional
 * visibility, row permissions, guards, approval conditions, channel rules, job and webhook
 * conditions), each opened in the rule builder with its test panel; edits go into the draft. */
(function () {
  "use strict";
  var D = window.Designer, setup = D.setup;
  var lang = D.lang;
  var T = function (zh, en) { return lang === "en" ? en : zh; };
  function text(t) { return t && typeof t === "object" ? (t[lang] || t.zh || t.en) : (t || ""); }
  var fieldsCache = {};
  var current = null;  // {item, doc}
  var settings = setup.settings || [];

  function fieldsOf(entity) {
    if (!entity) return Promise.resolve([]);
    if (fieldsCache[entity]) return Promise.resolve(fieldsCache[entity]);
    return D.api(D.draftUrl("/rules/fields/" + entity)).then(function (r) {
      fieldsCache[entity] = r.ok ? r.body.items : [];
      return fieldsCache[entity];
    });
  }

  function setAt(doc, steps, value) {
    var node = doc;
    for (var i = 0; i < steps.length - 1; i++) node = node[steps[i]];
    node[steps[steps.length - 1]] = value;
  }
  function getAt(doc, steps) {
    var node = doc;
    for (var i = 0; i < steps.length; i++) { if (node === undefined || node === null) return undefined; node = node[steps[i]]; }
    return node;
  }

  function open(item, link) {
    document.querySelectorAll("[data-rb-item]").forEach(function (a) { a.classList.toggle("on", a === link); });
    D.flush().then(function () {
      return Promise.all([D.api(D.docUrl(item.address)), fieldsOf(item.entity)]);
    }).then(function (got) {
      var r = got[0], fields = got[1];
      if (!r.ok) { window.alert(D.problemText(r.body)); return; }
      var doc = r.body.document;
      current = {item: item, doc: doc};
      document.querySelector("[data-rb-title]").textContent = (text(item.label) || item.address) + " · " + item.path;
      document.querySelector("[data-rb-where]").textContent = item.address + (item.entity ? " · " + T("实体 ", "entity ") + item.entity : "");
      var builder = window.SunmaoRuleBuilder(document.querySelector("[data-rb-builder]"), {
        rule: getAt(doc, item.steps), fields: fields, settings: settings, lang: lang,
        onChange: function (rule) {
          setAt(current.doc, item.steps, rule);
          D.changed(item.address, function () { return current.doc; }, null);
        }});
      window.SunmaoRuleTest(document.querySelector("[data-rb-test]"), {
        rule: builder.get, entity: function () { return item.entity; }, settings: function () { return settings; },
        url: D.draftUrl("/rules/test"), lang: lang, api: D.api});
    });
  }

  function list() {
    var box = document.querySelector("[data-rb-list]");
    var filter = document.querySelector("[data-rb-filter]");
    var q = (filter.value || "").trim().toLowerCase();
    box.innerHTML = "";
    var shown = 0, last = null, wanted = new URLSearchParams(window.location.search).get("at"), pick = null;
    (setup.rules || []).forEach(function (item) {
      var hay = (item.address + " " + item.path + " " + text(item.label) + " " + JSON.stringify(item.rule)).toLowerCase();
      if (q && hay.indexOf(q) < 0) return;
      if (item.address !== last) { box.appendChild(D.el("h3", {"class": "rb-doc", text: item.address})); last = item.address; }
      var a = D.el("a", {href: "#", "class": "rb-item", "data-rb-item": item.address + "|" + item.path},
                   [D.el("span", {text: text(item.label) || item.steps[item.steps.length - 1]}), D.el("small", {"class": "muted", text: item.path})]);
      a.addEventListener("click", function (e) { e.preventDefault(); open(item, a); });
      box.appendChild(a);
      shown++;
      if (wanted && wanted === item.address + "|" + item.path) pick = [item, a];
    });
    document.querySelector("[data-rb-count]").textContent = String(shown);
    return pick;
  }

  D.editor = {load: function () { if (current) open(current.item, document.querySelector('[data-rb-item="' + current.item.address + "|" + current.item.path + '"]')); }};
  document.addEventListener("DOMContentLoaded", function () {
    if (window.SunmaoRules && window.jsonLogic) window.SunmaoRules.install(window.jsonLogic, {timeZone: setup.time_zone || "Asia/Shanghai"});
    var filter = document.querySelector("[data-rb-filter]");
    filter.value = new URLSearchParams(window.location.search).get("q") || "";
    filter.addEventListener("input", list);
    var pick = list();
    if (pick) { open(pick[0], pick[1]); pick[1].scrollIntoView({block: "center"}); }
    window.SunmaoImpact(document.querySelector("[data-rb-impact]"));
  });
}());
