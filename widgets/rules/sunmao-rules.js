/*
 * Sunmao custom JSONLogic operations for json-logic-js (browser and node).
 *
 * The server evaluates rules with sunmao.rules (Python); the designer previews them here with
 * json-logic-js 2.0.x. These operations mirror platform/sunmao/rules/ops_custom.py name for
 * name and case for case (null handling, accepted types, errors); the differential tests in
 * tests/rules/ run both on the same rules and data.
 *
 * Browser:  <script src="vendor/json-logic-js/logic.js"></script>
 *           <script src="rules/sunmao-rules.js"></script>
 *           SunmaoRules.install(jsonLogic, {timeZone: "Asia/Shanghai", holidays: {...}});
 * Node:     require("./sunmao-rules.js").install(require("json-logic-js"), options);
 *
 * Options: timeZone (default "Asia/Shanghai"), clock (a function returning a Date or epoch
 * milliseconds; default Date.now), holidays ({name: {holidays: [ISO dates], workdays: [ISO
 * dates of weekend working days]}}).
 *
 * Errors are thrown as Error objects with name "SunmaoRuleError" and messageEn / messageZh.
 * Money results are numbers: the nearest double to the exact decimal the server computes.
 */
(function (root, factory) {
  var api = factory();
  if (typeof module === "object" && module.exports) {
    module.exports = api;
  } else {
    root.SunmaoRules = api;
  }
}(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  var WS = "\t\n\u000b\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008" +
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff";
  var MIN_YEAR = 1000;
  var MAX_YEAR = 9999;
  var MAX_DAY_SHIFT = 3660000;
  var MAX_NUMBER_TEXT = 64;
  var MAX_EXPONENT = 40;
  var MAX_PLACES = 12;
  var EPOCH_ORDINAL = 719163; // Python's date(1970, 1, 1).toordinal()

  function RuleError(en, zh) {
    var e = new Error(en);
    e.name = "SunmaoRuleError";
    e.messageEn = en;
    e.messageZh = zh;
    return e;
  }

  function isNull(v) {
    return v === null || v === undefined;
  }

  function shown(v) {
    if (Array.isArray(v)) return "an array";
    if (v !== null && typeof v === "object") return "an object";
    return JSON.stringify(String(v));
  }

  // ------------------------------------------------------------------ dates

  var DATE_RE = /^([0-9]{4})([-/.])([0-9]{1,2})\2([0-9]{1,2})$/;
  var DATE_ZH_RE = /^([0-9]{4})年([0-9]{1,2})月([0-9]{1,2})日$/;
  var ISO_DATE_RE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;
  var DATETIME_RE = new RegExp(
    "^([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([0-9]{2}):([0-9]{2})" +
    "(?::([0-9]{2})(?:\\.[0-9]{1,9})?)?(Z|[+-][0-9]{2}:?[0-9]{2})?$");

  // Days since 1970-01-01 of a proleptic Gregorian date, and back (H. Hinnant's algorithms).
  function daysFromCivil(y, m, d) {
    y -= m <= 2 ? 1 : 0;
    var era = Math.floor(y / 400);
    var yoe = y - era * 400;
    var doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
    var doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
    return era * 146097 + doe - 719468;
  }

  function civilFromDays(z) {
    z += 719468;
    var era = Math.floor(z / 146097);
    var doe = z - era * 146097;
    var yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
    var doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
    var mp = Math.floor((5 * doy + 2) / 153);
    var d = doy - Math.floor((153 * mp + 2) / 5) + 1;
    var m = mp + (mp < 10 ? 3 : -9);
    return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
  }

  function daysInMonth(y, m) {
    if (m === 2) return (y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0)) ? 29 : 28;
    return [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];
  }

  function pad(n, width) {
    var s = String(n);
    while (s.length < width) s = "0" + s;
    return s;
  }

  function formatDay(day) {
    var c = civilFromDays(day);
    return pad(c[0], 4) + "-" + pad(c[1], 2) + "-" + pad(c[2], 2);
  }

  function badDate(v) {
    return RuleError("not a valid date: " + shown(v), "不是有效的日期：" + shown(v));
  }

  function makeDay(y, m, d, original) {
    if (y < MIN_YEAR || y > MAX_YEAR || m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m)) {
      throw badDate(original);
    }
    return daysFromCivil(y, m, d);
  }

  function checkRange(day, original) {
    var y = civilFromDays(day)[0];
    if (y < MIN_YEAR || y > MAX_YEAR) throw badDate(original);
    return day;
  }

  function makeZone(timeZone) {
    var fmt = new Intl.DateTimeFormat("en-US-u-ca-gregory-nu-latn", {
      timeZone: timeZone, year: "numeric", month: "numeric", day: "numeric"
    });
    // The local calendar day (days since epoch) of an instant in epoch milliseconds.
    return function localDay(ms) {
      var parts = fmt.formatToParts(new Date(ms));
      var y = 0, m = 0, d = 0, bc = false;
      for (var i = 0; i < parts.length; i++) {
        if (parts[i].type === "year") y = parseInt(parts[i].value, 10);
        else if (parts[i].type === "month") m = parseInt(parts[i].value, 10);
        else if (parts[i].type === "day") d = parseInt(parts[i].value, 10);
        else if (parts[i].type === "era") bc = /B/.test(parts[i].value);
      }
      if (bc) y = 1 - y;
      return daysFromCivil(y, m, d);
    };
  }

  // A date argument as days since epoch; null for null; throws when it is not a date.
  function parseDate(v, localDay) {
    if (isNull(v)) return null;
    if (typeof v !== "string") throw badDate(v);
    var text = v.trim();
    var m = DATE_RE.exec(text);
    if (m) return makeDay(+m[1], +m[3], +m[4], v);
    m = DATE_ZH_RE.exec(text);
    if (m) return makeDay(+m[1], +m[2], +m[3], v);
    m = DATETIME_RE.exec(text);
    if (!m) throw badDate(v);
    var day = makeDay(+m[1], +m[2], +m[3], v);
    var hour = +m[4], minute = +m[5], second = m[6] ? +m[6] : 0;
    if (hour > 23 || minute > 59 || second > 59) throw badDate(v);
    var offset = m[7];
    if (offset === undefined) return day;
    var minutes = 0;
    if (offset !== "Z") {
      var digits = offset.slice(1).replace(":", "");
      var oh = +digits.slice(0, 2), om = +digits.slice(2);
      if (oh > 23 || om > 59) throw badDate(v);
      minutes = (oh * 60 + om) * (offset[0] === "-" ? -1 : 1);
    }
    var ms = day * 86400000 + ((hour * 60 + minute) * 60 + second) * 1000 - minutes * 60000;
    return checkRange(localDay(ms), v);
  }

  function weekdaysThrough(ordinal) {
    return Math.floor(ordinal / 7) * 5 + Math.min(ordinal % 7, 5);
  }

  function bisectRight(sorted, x) {
    var lo = 0, hi = sorted.length;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (x < sorted[mid]) hi = mid; else lo = mid + 1;
    }
    return lo;
  }

  function weekdayOfDay(day) { // 0 = Monday
    return ((day + EPOCH_ORDINAL - 1) % 7 + 7) % 7;
  }

  function makeCalendar(name, config) {
    function days(key) {
      var out = {};
      var list = (config && config[key]) || [];
      for (var i = 0; i < list.length; i++) {
        var s = list[i];
        if (typeof s !== "string" || !ISO_DATE_RE.test(s)) {
          throw new Error("calendar " + name + ": " + key + " must be ISO dates (YYYY-MM-DD)");
        }
        out[makeDay(+s.slice(0, 4), +s.slice(5, 7), +s.slice(8, 10), s)] = true;
      }
      return out;
    }
    var hol = days("holidays"), work = days("workdays");
    var weekdayHolidays = [], weekendWorkdays = [];
    Object.keys(hol).forEach(function (k) {
      var d = +k;
      if (!work[k] && weekdayOfDay(d) < 5) weekdayHolidays.push(d + EPOCH_ORDINAL);
    });
    Object.keys(work).forEach(function (k) {
      var d = +k;
      if (weekdayOfDay(d) >= 5) weekendWorkdays.push(d + EPOCH_ORDINAL);
    });
    weekdayHolidays.sort(function (a, b) { return a - b; });
    weekendWorkdays.sort(function (a, b) { return a - b; });
    return function workdaysIn(start, end) { // ordinals, start <= end: working days in (start, end]
      return weekdaysThrough(end) - weekdaysThrough(start) -
        (bisectRight(weekdayHolidays, end) - bisectRight(weekdayHolidays, start)) +
        (bisectRight(weekendWorkdays, end) - bisectRight(weekendWorkdays, start));
    };
  }

  function dayCount(v) {
    if (isNull(v)) return null;
    if (typeof v === "number" && Number.isInteger(v) && Math.abs(v) <= MAX_DAY_SHIFT) return v;
    throw RuleError("the number of days must be a whole number, not " + shown(v),
      "天数必须是整数，而不是 " + shown(v));
  }

  // ------------------------------------------------------------------ money (exact decimals)

  var NUMBER_TEXT = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
  var BIG10 = BigInt(10);
  var BIG0 = BigInt(0);
  var BIG2 = BigInt(2);

  function notNumber(v) {
    return RuleError("a money operation needs a number, got " + shown(v),
      "金额运算需要数字，得到的是 " + shown(v));
  }

  function pow10(n) {
    return BIG10 ** BigInt(n);
  }

  // A money operand as {c: signed BigInt coefficient, s: scale}: value = c * 10^-s.
  function toDecimal(v) {
    var text;
    if (typeof v === "number") {
      if (!isFinite(v)) throw notNumber(v);
      text = String(v);
    } else if (typeof v === "string") {
      text = v.trim();
      if (text.length > MAX_NUMBER_TEXT || !NUMBER_TEXT.test(text)) throw notNumber(v);
    } else {
      throw notNumber(v);
    }
    var m = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?$/.exec(text);
    var frac = m[3] || "";
    var digits = ((m[2] || "") + frac).replace(/^0+/, "");
    var exp = m[4] ? parseInt(m[4], 10) : 0;
    var scale = frac.length - exp;
    if (digits.length > 0) {
      var adjusted = digits.length - 1 - scale;
      if (Math.abs(adjusted) > MAX_EXPONENT || digits.length > MAX_NUMBER_TEXT) {
        throw RuleError("the number is out of range for a money operation", "数字超出金额运算的范围");
      }
    }
    var c = BigInt(digits || "0");
    return {c: m[1] === "-" ? -c : c, s: scale};
  }

  function decimalToNumber(dec) {
    var c = dec.c, s = dec.s;
    var neg = c < BIG0;
    var text = (neg ? -c : c).toString();
    if (s <= 0) {
      text = text + "0".repeat(-s);
    } else {
      if (text.length <= s) text = "0".repeat(s - text.length + 1) + text;
      text = text.slice(0, text.length - s) + "." + text.slice(text.length - s);
    }
    var n = Number(text);
    return neg && n !== 0 ? -n : n;
  }

  function decAdd(a, b) {
    var s = Math.max(a.s, b.s);
    return {c: a.c * pow10(s - a.s) + b.c * pow10(s - b.s), s: s};
  }

  function places(v) {
    if (isNull(v)) return 0;
    if (typeof v === "number" && Number.isInteger(v) && Math.abs(v) <= MAX_PLACES) return v;
    throw RuleError("decimal places must be a whole number from -" + MAX_PLACES + " to " + MAX_PLACES,
      "小数位数必须是 -" + MAX_PLACES + " 到 " + MAX_PLACES + " 之间的整数");
  }

  function roundHalfUp(dec, p) {
    var c = dec.c, s = dec.s;
    if (s <= p) return {c: c * pow10(p - s), s: p};
    var neg = c < BIG0;
    var mag = neg ? -c : c;
    var unit = pow10(s - p);
    var q = mag / unit, r = mag % unit;
    if (BIG2 * r >= unit) q += BigInt(1);
    return {c: neg ? -q : q, s: p};
  }

  // ------------------------------------------------------------------ text

  function text(v, op) {
    if (isNull(v)) return null;
    if (typeof v === "string") return v;
    if (typeof v === "number" || typeof v === "boolean") return String(v);
    throw RuleError(op + " needs text, not an array or object", op + " 需要文本，不能是数组或对象");
  }

  var PHONE_JUNK = new RegExp("[" + WS + "\\-()（）－]", "g");
  var MOBILE = /^(?:\+86|0086|86)?(1[0-9]{10})$/;

  // ------------------------------------------------------------------ regex subset

  var MAX_PATTERN_LENGTH = 200;
  var MAX_REPEAT = 1000;
  var SYNTAX_ESCAPES = "^$\\.*+?()[]{}|/-";

  // Throws unless pattern is in the subset documented in platform/sunmao/rules/regex_subset.py.
  function checkPattern(p) {
    if (typeof p !== "string") {
      throw RuleError("the pattern given to regex_match must be text", "regex_match 的正则表达式必须是文本");
    }
    if (p.length > MAX_PATTERN_LENGTH) {
      throw RuleError("the pattern is longer than " + MAX_PATTERN_LENGTH + " characters",
        "正则表达式超过 " + MAX_PATTERN_LENGTH + " 个字符");
    }
    var i = 0;
    function refuse(en, zh) {
      throw RuleError("unsupported regular expression: " + en + " (at character " + (i + 1) + ")",
        "不支持的正则表达式：" + zh + "（第 " + (i + 1) + " 个字符）");
    }
    function peek() { return i < p.length ? p[i] : ""; }
    function literalCheck(c) {
      var code = c.charCodeAt(0);
      if (code >= 0xD800 && code <= 0xDFFF) {
        refuse("characters outside the Basic Multilingual Plane are not supported", "不支持基本多文种平面以外的字符");
      }
    }
    function hexEscape(n) {
      var digits = p.slice(i + 2, i + 2 + n);
      if (digits.length !== n || !/^[0-9a-fA-F]+$/.test(digits)) {
        refuse("\\" + p[i + 1] + " needs " + n + " hex digits", "\\" + p[i + 1] + " 后需要 " + n + " 位十六进制数");
      }
      var code = parseInt(digits, 16);
      if (code >= 0xD800 && code <= 0xDFFF) refuse("surrogate code units are not supported", "不支持代理码元");
      i += 2 + n;
      return String.fromCharCode(code);
    }
    function alternation() {
      var v = sequence();
      while (peek() === "|") { i++; v = sequence() || v; }
      return v;
    }
    function sequence() {
      var varQ = false;
      while (i < p.length && peek() !== "|" && peek() !== ")") {
        var a = atom();
        var qPos = i;
        var q = quantifier();
        if (q) {
          var qEnd = i;
          i = qPos;
          if (!a.quantifiable) refuse("nothing to repeat", "量词前面没有可重复的内容");
          if (a.varQ && (q.max === null || q.max > 1)) {
            refuse("nested quantifiers such as (a+)+ are not allowed", "不允许嵌套量词，例如 (a+)+");
          }
          i = qEnd;
          a.varQ = a.varQ || q.min !== q.max;
        }
        varQ = varQ || a.varQ;
      }
      return varQ;
    }
    function quantifier() {
      var c = peek(), q;
      if (c === "*") q = {min: 0, max: null};
      else if (c === "+") q = {min: 1, max: null};
      else if (c === "?") q = {min: 0, max: 1};
      if (q) {
        i++;
      } else if (c === "{") {
        var m = /^\{([0-9]+)(,([0-9]*))?\}/.exec(p.slice(i));
        if (!m) refuse("'{' must start a quantifier like {2,5}; write \\{ for a brace", "“{”只能用于量词如 {2,5}，字面量请写 \\{");
        q = {min: parseInt(m[1], 10), max: m[2] === undefined ? parseInt(m[1], 10) : (m[3] ? parseInt(m[3], 10) : null)};
        if (q.min > MAX_REPEAT || (q.max !== null && q.max > MAX_REPEAT)) {
          refuse("repeat counts are limited to " + MAX_REPEAT, "重复次数不能超过 " + MAX_REPEAT);
        }
        if (q.max !== null && q.max < q.min) refuse("numbers out of order in {} quantifier", "量词 {} 中的数字顺序颠倒");
        i += m[0].length;
      } else {
        return null;
      }
      if (peek() === "?") i++;
      return q;
    }
    function atom() {
      var c = peek();
      if (c === "(") {
        i++;
        var quantifiable = true;
        if (p.slice(i, i + 2) === "?:") {
          i += 2;
        } else if (p.slice(i, i + 2) === "?=" || p.slice(i, i + 2) === "?!") {
          i += 2;
          quantifiable = false;
        } else if (peek() === "?") {
          refuse("only (...), (?:...), (?=...) and (?!...) groups are allowed", "只允许 (...)、(?:...)、(?=...) 和 (?!...) 分组");
        }
        var varQ = alternation();
        if (peek() !== ")") refuse("missing ')'", "缺少“)”");
        i++;
        return {varQ: varQ, quantifiable: quantifiable};
      }
      if (c === "[") { charClass(); return {varQ: false, quantifiable: true}; }
      if (c === ".") { i++; return {varQ: false, quantifiable: true}; }
      if (c === "^" || c === "$") { i++; return {varQ: false, quantifiable: false}; }
      if (c === "\\") return escape();
      if ("*+?{".indexOf(c) >= 0) refuse("nothing to repeat", "量词前面没有可重复的内容");
      if (c === "]" || c === "}") refuse("write \\" + c + " for a literal '" + c + "'", "字面量“" + c + "”请写成 \\" + c);
      literalCheck(c);
      i++;
      return {varQ: false, quantifiable: true};
    }
    function escape() {
      if (i + 1 >= p.length) refuse("pattern ends with a backslash", "表达式以反斜杠结尾");
      var c = p[i + 1];
      if ("dDwWsS".indexOf(c) >= 0 || "tnrfv".indexOf(c) >= 0) { i += 2; return {varQ: false, quantifiable: true}; }
      if (c === "b" || c === "B") { i += 2; return {varQ: false, quantifiable: false}; }
      if (c === "x" || c === "u") { hexEscape(c === "x" ? 2 : 4); return {varQ: false, quantifiable: true}; }
      if (SYNTAX_ESCAPES.indexOf(c) >= 0) { i += 2; return {varQ: false, quantifiable: true}; }
      refuse("the escape \\" + c + " is not supported", "不支持转义 \\" + c);
    }
    function classAtom() { // the single character, or null for \d \w \s
      var c = peek();
      if (c === "\\") {
        if (i + 1 >= p.length) refuse("pattern ends with a backslash", "表达式以反斜杠结尾");
        var e = p[i + 1];
        if ("dws".indexOf(e) >= 0) { i += 2; return null; }
        if ("tnrfv".indexOf(e) >= 0) { i += 2; return {t: "\t", n: "\n", r: "\r", f: "\f", v: "\u000b"}[e]; }
        if (e === "x" || e === "u") return hexEscape(e === "x" ? 2 : 4);
        if (SYNTAX_ESCAPES.indexOf(e) >= 0) { i += 2; return e; }
        refuse("the escape \\" + e + " is not supported inside [...]", "[...] 中不支持转义 \\" + e);
      }
      literalCheck(c);
      i++;
      return c;
    }
    function charClass() {
      i++;
      if (peek() === "^") i++;
      if (peek() === "]") refuse("empty character class", "空的字符类");
      for (;;) {
        if (i >= p.length) refuse("missing ']'", "缺少“]”");
        if (peek() === "]") { i++; break; }
        if (peek() === "[") refuse("write \\[ for a literal '[' inside [...]", "[...] 中的“[”请写成 \\[");
        var ch = classAtom();
        if (peek() === "-" && i + 1 < p.length && p[i + 1] !== "]") {
          i++;
          var ch2 = classAtom();
          if (ch === null || ch2 === null) refuse("a range cannot start or end with \\d, \\w or \\s", "范围的两端不能是 \\d、\\w 或 \\s");
          if (ch.charCodeAt(0) > ch2.charCodeAt(0)) refuse("range out of order in character class", "字符类中的范围顺序颠倒");
        }
      }
    }
    alternation();
    if (i < p.length) refuse("unmatched ')'", "多余的“)”");
  }

  var regexCache = new Map();

  function compilePattern(p) {
    var re = regexCache.get(p);
    if (re === undefined) {
      checkPattern(p);
      re = new RegExp(p);
      if (regexCache.size > 512) regexCache.clear();
      regexCache.set(p, re);
    }
    return re;
  }

  // ------------------------------------------------------------------ install

  function install(jsonLogic, options) {
    options = options || {};
    var timeZone = options.timeZone || "Asia/Shanghai";
    var clock = options.clock || Date.now;
    var localDay = makeZone(timeZone);
    var calendars = {};
    var holidays = options.holidays || {};
    Object.keys(holidays).forEach(function (name) {
      calendars[name] = makeCalendar(name, holidays[name]);
    });

    var noCalendar = makeCalendar("", {});

    function nowMs() {
      var t = clock();
      return t instanceof Date ? t.getTime() : +t;
    }

    function calendar(name) {
      if (isNull(name)) return null;
      if (typeof name === "string" && Object.prototype.hasOwnProperty.call(calendars, name)) return calendars[name];
      var known = Object.keys(calendars).sort().join(", ") || "none";
      throw RuleError("unknown holiday calendar " + JSON.stringify(name) + " (known: " + known + ")",
        "未知的节假日日历 " + JSON.stringify(name) + "（已配置：" + known + "）");
    }

    var ops = {
      today: function () {
        return formatDay(localDay(nowMs()));
      },
      now: function () {
        return new Date(Math.floor(nowMs() / 1000) * 1000).toISOString().slice(0, 19) + "+00:00";
      },
      date: function (v) {
        var day = parseDate(v, localDay);
        return day === null ? null : formatDay(day);
      },
      days_between: function (a, b) {
        var start = parseDate(a, localDay), end = parseDate(b, localDay);
        if (start === null || end === null) return null;
        return end - start;
      },
      add_days: function (v, n) {
        var day = parseDate(v, localDay);
        var count = dayCount(n);
        if (day === null || count === null) return null;
        var result = day + count;
        if (result < daysFromCivil(MIN_YEAR, 1, 1) || result > daysFromCivil(MAX_YEAR, 12, 31)) {
          throw RuleError("the resulting date is out of range", "计算出的日期超出范围");
        }
        return formatDay(result);
      },
      add_workdays: function (v, n, name) {
        var workdaysIn = calendar(name) || noCalendar;
        var day = parseDate(v, localDay);
        var count = dayCount(n);
        if (day === null || count === null) return null;
        if (count < 0) {
          throw RuleError("add_workdays counts forward: the number of working days must be 0 or more",
            "add_workdays 只能向后数：工作日数必须大于等于 0");
        }
        var s = day + EPOCH_ORDINAL, last = daysFromCivil(MAX_YEAR, 12, 31) + EPOCH_ORDINAL;
        var e = s + count + 2 * Math.floor(count / 5);
        while (workdaysIn(s, e) < count) {
          e++;
          if (e > last) throw RuleError("the resulting date is out of range", "计算出的日期超出范围");
        }
        while (e > s && workdaysIn(s, e - 1) >= count) e--;
        if (e > last) throw RuleError("the resulting date is out of range", "计算出的日期超出范围");
        return formatDay(e - EPOCH_ORDINAL);
      },
      workdays_between: function (a, b, name) {
        var workdaysIn = calendar(name) || noCalendar;
        var start = parseDate(a, localDay), end = parseDate(b, localDay);
        if (start === null || end === null) return null;
        var s = start + EPOCH_ORDINAL, e = end + EPOCH_ORDINAL;
        return s <= e ? workdaysIn(s, e) : -workdaysIn(e, s);
      },
      round: function (x, p) {
        var n = places(p);
        if (isNull(x)) return null;
        var r = roundHalfUp(toDecimal(x), n);
        var value = decimalToNumber(r);
        return value === 0 ? 0 : value;
      },
      sum: function (items, field) {
        if (field !== undefined && typeof field !== "string") {
          throw RuleError("the field name given to sum must be text", "sum 的字段名必须是文本");
        }
        if (isNull(items)) return 0;
        if (!Array.isArray(items)) throw RuleError("sum needs a list", "sum 需要一个列表");
        var total = {c: BIG0, s: 0};
        for (var i = 0; i < items.length; i++) {
          var item = items[i];
          if (typeof field === "string") item = jsonLogic.apply({"var": field}, item);
          if (isNull(item)) continue;
          total = decAdd(total, toDecimal(item));
        }
        var value = decimalToNumber(total);
        return value === 0 ? 0 : value;
      },
      money_mul: function (a, b) {
        if (isNull(a) || isNull(b)) return null;
        var x = toDecimal(a), y = toDecimal(b);
        var value = decimalToNumber({c: x.c * y.c, s: x.s + y.s});
        return value === 0 ? 0 : value;
      },
      lower: function (v) {
        var s = text(v, "lower");
        return s === null ? null : s.toLowerCase();
      },
      upper: function (v) {
        var s = text(v, "upper");
        return s === null ? null : s.toUpperCase();
      },
      trim: function (v) {
        var s = text(v, "trim");
        return s === null ? null : s.trim();
      },
      contains: function (haystack, needle) {
        if (isNull(haystack) || isNull(needle)) return false;
        if (Array.isArray(haystack)) {
          for (var i = 0; i < haystack.length; i++) {
            if (haystack[i] === needle) return true;
          }
          return false;
        }
        if (typeof haystack !== "string") return false;
        if (typeof needle === "object") return false;
        return haystack.indexOf(String(needle)) !== -1;
      },
      regex_match: function (pattern, v) {
        var re = compilePattern(pattern);
        if (isNull(v) || typeof v === "object") return false;
        return re.test(String(v));
      },
      normalize_phone: function (v) {
        var s = text(v, "normalize_phone");
        if (s === null) return null;
        var cleaned = s.replace(PHONE_JUNK, "");
        var m = MOBILE.exec(cleaned);
        return m ? m[1] : cleaned;
      }
    };
    Object.keys(ops).forEach(function (name) {
      jsonLogic.add_operation(name, ops[name]);
    });
    return Object.keys(ops);
  }

  return {
    install: install,
    checkPattern: checkPattern,
    version: "1"
  };
}));
