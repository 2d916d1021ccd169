/* The rule builder's model: JSONLogic <-> a tree of groups, conditions and raw JSON.
 *
 * parse(rule) reads a rule into nodes the builder can draw; format(node) writes the rule back.
 * A node is only drawn when writing it back gives exactly the JSON that was read ("parse, then
 * prove"): anything else — an unusual shape, an operator the builder has no form for, a
 * `{"var": [path, default]}` — stays a raw node holding the JSON as it was, edited as JSON and
 * never rewritten. So every rule round-trips unchanged, whatever the builder can draw.
 *
 * Nodes:
 *   {t: "group", combinator: "and"|"or", rules: [node...]}      {"and": [...]}
 *   {t: "not", rule: node, bare: bool}                             {"!": [x]} or {"!": x}
 *   {t: "cond", left: Left, op: "==", values: [V...], form: ...}   a comparison on one field
 *   {t: "raw", json: any}                                          anything else, kept as is
 * Left sides: {field: "customer.grade"} (the field's value), or {field, measure: "days"|"workdays"}
 * (days from today until the field's date). A value V is any JSON; the editor offers a form by
 * its shape: a literal, {"setting": key}, {"var": other field}, {"today": []}, today ± N days,
 * today + N working days ({"add_workdays": [{"today": []}, N]}).
 *
 * Loaded by the designer page (window.SunmaoRuleModel) and by node in the tests.
 */
(function (root, factory) {
  if (typeof module === "object" && module.exports) module.exports = factory();
  else root.SunmaoRuleModel = factory();
}(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  var COMPARE = ["==", "!=", "===", "!==", ">", ">=", "<", "<="];
  /* Operators offered per field type: [op, zh, en]; "between" is {"<=": [a, field, b]}. */
  var OPERATORS = {
    "==": ["等于", "equals"], "!=": ["不等于", "does not equal"],
    "===": ["严格等于", "is exactly"], "!==": ["严格不等于", "is not exactly"],
    ">": ["大于", "is greater than"], ">=": ["大于等于", "is at least"],
    "<": ["小于", "is less than"], "<=": ["小于等于", "is at most"],
    "between": ["介于", "is between"], "in_list": ["属于", "is one of"],
    "contains": ["包含", "contains"], "regex_match": ["匹配", "matches the pattern"],
    "is_set": ["有值", "is filled in"], "is_empty": ["为空", "is empty"]
  };
  var BY_TYPE = {
    number: ["==", "!=", ">", ">=", "<", "<=", "between", "is_set", "is_empty"],
    text: ["==", "!=", "in_list", "contains", "regex_match", "is_set", "is_empty"],
    select: ["==", "!=", "in_list", "is_set", "is_empty"],
    multiselect: ["contains", "is_set", "is_empty"],
    boolean: ["==", "is_set", "is_empty"],
    date: ["==", "!=", ">", ">=", "<", "<=", "between", "is_set", "is_empty"],
    link: ["==", "!=", "is_set", "is_empty"],
    table: ["is_set", "is_empty"]
  };
  var TYPE_FAMILY = {
    integer: "number", decimal: "number", money: "number", percent: "number", number: "number",
    string: "text", text: "text", email: "text", phone: "text", url: "text",
    select: "select", multiselect: "multiselect", boolean: "boolean",
    date: "date", datetime: "date", link: "link", table: "table"
  };

  function family(type) { return TYPE_FAMILY[type] || "text"; }
  function operatorsFor(type) { return BY_TYPE[family(type)].slice(); }

  function isObj(x) { return x !== null && typeof x === "object" && !Array.isArray(x); }
  function only(x) { var k = isObj(x) ? Object.keys(x) : []; return k.length === 1 ? k[0] : null; }
  function isVar(x) { return only(x) === "var" && typeof x["var"] === "string" && x["var"] !== ""; }
  function isToday(x) { return only(x) === "today" && Array.isArray(x.today) && x.today.length === 0; }

  function same(a, b) {
    if (a === b) return true;
    if (typeof a !== typeof b || a === null || b === null) return false;
    if (Array.isArray(a)) {
      if (!Array.isArray(b) || a.length !== b.length) return false;
      for (var i = 0; i < a.length; i++) if (!same(a[i], b[i])) return false;
      return true;
    }
    if (Array.isArray(b) || typeof a !== "object") return false;
    var ka = Object.keys(a), kb = Object.keys(b);
    if (ka.length !== kb.length) return false;
    for (var j = 0; j < ka.length; j++) if (ka[j] !== kb[j] || !same(a[ka[j]], b[ka[j]])) return false;
    return true;
  }

  /* The left side of a comparison, or null. */
  function readLeft(x) {
    if (isVar(x)) return {field: x["var"]};
    var op = only(x);
    if ((op === "days_between" || op === "workdays_between") && Array.isArray(x[op]) && x[op].length === 2 &&
        isToday(x[op][0]) && isVar(x[op][1])) {
      return {field: x[op][1]["var"], measure: op === "days_between" ? "days" : "workdays"};
    }
    return null;
  }
  function writeLeft(left) {
    var v = {"var": left.field};
    if (left.measure === "days") return {"days_between": [{"today": []}, v]};
    if (left.measure === "workdays") return {"workdays_between": [{"today": []}, v]};
    return v;
  }
  /* A value is anything that is not itself a field comparison's left side of another kind. */
  function isValue(x) { return !isObj(x) || readLeft(x) === null || isVar(x); }

  function readCond(x) {
    var op = only(x);
    if (!op) return null;
    var a = x[op];
    if (COMPARE.indexOf(op) >= 0 && Array.isArray(a) && a.length === 2) {
      var left = readLeft(a[0]);
      if (left && isValue(a[1])) return {t: "cond", left: left, op: op, values: [a[1]]};
    }
    if ((op === "<=" || op === "<") && Array.isArray(a) && a.length === 3) {
      var mid = readLeft(a[1]);
      if (mid && isValue(a[0]) && isValue(a[2])) {
        return {t: "cond", left: mid, op: "between", values: [a[0], a[2]], strict: op === "<"};
      }
    }
    if (op === "in" && Array.isArray(a) && a.length === 2) {
      if (isVar(a[0]) && Array.isArray(a[1])) return {t: "cond", left: {field: a[0]["var"]}, op: "in_list", values: [a[1]]};
      if (isVar(a[1]) && !isObj(a[0]) && !Array.isArray(a[0])) {
        return {t: "cond", left: {field: a[1]["var"]}, op: "contains", values: [a[0]], form: "in"};
      }
    }
    if (op === "contains" && Array.isArray(a) && a.length === 2 && isVar(a[0]) && isValue(a[1])) {
      return {t: "cond", left: {field: a[0]["var"]}, op: "contains", values: [a[1]]};
    }
    if (op === "regex_match" && Array.isArray(a) && a.length === 2 && typeof a[0] === "string" && isVar(a[1])) {
      return {t: "cond", left: {field: a[1]["var"]}, op: "regex_match", values: [a[0]]};
    }
    if (op === "!!" || op === "!") {
      var arg = Array.isArray(a) && a.length === 1 ? a[0] : a;
      if (isVar(arg)) {
        return {t: "cond", left: {field: arg["var"]}, op: op === "!!" ? "is_set" : "is_empty", values: [],
                form: Array.isArray(a) ? "array" : "bare"};
      }
    }
    return null;
  }

  function parseNode(x) {
    var op = only(x);
    if ((op === "and" || op === "or") && Array.isArray(x[op])) {
      return {t: "group", combinator: op, rules: x[op].map(parseNode)};
    }
    var cond = readCond(x);
    if (cond) return cond;
    if (op === "!") {
      var inner = Array.isArray(x["!"]) && x["!"].length === 1 ? x["!"][0] : x["!"];
      var bare = !Array.isArray(x["!"]);
      if (isObj(inner) && !Array.isArray(inner)) return {t: "not", rule: parseNode(inner), bare: bare};
    }
    return {t: "raw", json: x};
  }

  /* Read a rule; every drawn node is proven to write back the same JSON, else kept raw. */
  function parse(rule) {
    var node = parseNode(rule);
    return prove(node, rule);
  }
  function prove(node, json) {
    if (node.t === "group") {
      node.rules = node.rules.map(function (child, i) { return prove(child, json[node.combinator][i]); });
    } else if (node.t === "not") {
      node.rule = prove(node.rule, node.bare ? json["!"] : json["!"][0]);
    }
    if (node.t !== "raw" && !same(format(node), json)) return {t: "raw", json: json};
    return node;
  }

  function format(node) {
    var out;
    switch (node.t) {
      case "group":
        out = {}; out[node.combinator] = node.rules.map(format); return out;
      case "not":
        return {"!": node.bare ? format(node.rule) : [format(node.rule)]};
      case "raw":
        return node.json;
      case "cond":
        return formatCond(node);
    }
    throw new Error("unknown rule node " + node.t);
  }
  function formatCond(c) {
    var left = writeLeft(c.left), v = c.values || [], out = {};
    switch (c.op) {
      case "between":
        out[c.strict ? "<" : "<="] = [v[0], left, v[1]]; return out;
      case "in_list":
        return {"in": [left, Array.isArray(v[0]) ? v[0] : []]};
      case "contains":
        return c.form === "in" ? {"in": [v[0], left]} : {"contains": [left, v[0]]};
      case "regex_match":
        return {"regex_match": [v[0], left]};
      case "is_set":
        return {"!!": c.form === "bare" ? left : [left]};
      case "is_empty":
        return {"!": c.form === "bare" ? left : [left]};
      default:
        out[c.op] = [left, v[0]]; return out;
    }
  }

  /* A fresh condition on a field of a type, with a value of that type. */
  function newCondition(field, type, op) {
    op = op || operatorsFor(type)[0];
    var fam = family(type);
    var sample = fam === "number" ? 0 : fam === "boolean" ? true : fam === "date" ? {"today": []} : "";
    var values = op === "is_set" || op === "is_empty" ? [] : op === "between" ? [sample, sample]
      : op === "in_list" ? [[]] : [sample];
    return {t: "cond", left: {field: field}, op: op, values: values};
  }
  function newGroup(combinator) { return {t: "group", combinator: combinator || "and", rules: []}; }

  /* The form a value's editor takes, read from its shape. */
  function valueKind(v) {
    if (only(v) === "setting" && typeof v.setting === "string") return "setting";
    if (isVar(v)) return "field";
    if (isToday(v)) return "today";
    var op = only(v);
    if ((op === "add_days" || op === "add_workdays") && Array.isArray(v[op]) && v[op].length === 2 &&
        isToday(v[op][0]) && typeof v[op][1] === "number") return op === "add_days" ? "today_plus" : "today_plus_work";
    if (Array.isArray(v)) return v.every(function (x) { return !isObj(x) && !Array.isArray(x); }) ? "list" : "json";
    if (isObj(v)) return "json";
    return "literal";
  }

  return {
    parse: parse, format: format, same: same, operatorsFor: operatorsFor, family: family,
    newCondition: newCondition, newGroup: newGroup, valueKind: valueKind, OPERATORS: OPERATORS
  };
}));
