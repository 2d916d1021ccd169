"""A small regular-expression language that means the same in Python ``re`` and JS ``RegExp``.

``regex_match`` rules are written once and run on the server and in the browser. Python and
JavaScript regular expressions differ in many corners (``$`` before a final newline, what
``\\d`` and ``\\s`` match, ``.`` and ``\\u2028``, named groups, inline flags, ``{,5}``), and an
unbounded pattern language also invites catastrophic backtracking. So rules may only use this
subset, which is checked, and translated to an equivalent Python pattern:

* literal characters (no astral-plane characters, no unescaped ``]``, ``{`` or ``}``);
* escapes ``\\d \\D \\w \\W \\s \\S \\b \\B \\t \\n \\r \\f \\v \\xHH \\uHHHH`` and a backslash
  before any of ``^ $ \\ . * + ? ( ) [ ] { } | / -``;
* ``.`` (any character but a line terminator), anchors ``^`` and ``$`` (whole string: no
  multiline mode);
* classes ``[...]`` / ``[^...]`` with ranges, ``\\d \\w \\s`` and the escapes above inside;
* groups ``(...)``, ``(?:...)``, lookaheads ``(?=...)`` ``(?!...)``, alternation ``|``;
* quantifiers ``* + ? {n} {n,} {n,m}`` (n, m ≤ 1000), optionally lazy (``*?``).

Refused: patterns longer than 200 characters, back-references, lookbehind, named groups, flags,
and a repeated group that itself contains a variable quantifier (``(a+)+``, ``(\\d*,)*``) —
the shape behind exponential backtracking. ``\\d``, ``\\w`` and ``\\b`` are ASCII-only and ``\\s``
is JavaScript's whitespace set, in both languages. Matching is a search (``RegExp.test``).
"""

from __future__ import annotations

import re
from functools import lru_cache

from .coerce import JS_WHITESPACE
from .errors import OpError

__all__ = ["MAX_PATTERN_LENGTH", "compile_pattern", "translate"]

MAX_PATTERN_LENGTH = 200
_MAX_REPEAT = 1000
_SYNTAX_ESCAPES = set("^$\\.*+?()[]{}|/-")
_CONTROL_ESCAPES = {"t": "\\t", "n": "\\n", "r": "\\r", "f": "\\f", "v": "\\v"}
_HEX = set("0123456789abcdefABCDEF")
def _escape_code(code: int) -> str:
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


_WS_CLASS = "".join(_escape_code(ord(c)) for c in JS_WHITESPACE)
_SHORTHAND = {
    "d": "[0-9]",
    "D": "[^0-9]",
    "w": "[A-Za-z0-9_]",
    "W": "[^A-Za-z0-9_]",
    "s": "[" + _WS_CLASS + "]",
    "S": "[^" + _WS_CLASS + "]",
}
_BRACE_QUANTIFIER = re.compile(r"\{([0-9]+)(,([0-9]*))?\}")
_CLASS_SHORTHAND = {"d": "0-9", "w": "A-Za-z0-9_", "s": _WS_CLASS}


class _Refused(Exception):
    def __init__(self, en: str, zh: str) -> None:
        super().__init__(en)
        self.en = en
        self.zh = zh


class _Parser:
    def __init__(self, pattern: str) -> None:
        self.p = pattern
        self.i = 0

    def peek(self) -> str:
        return self.p[self.i] if self.i < len(self.p) else ""

    def refuse(self, en: str, zh: str) -> None:
        raise _Refused(f"{en} (at character {self.i + 1})", f"{zh}（第 {self.i + 1} 个字符）")

    # alternation := sequence ('|' sequence)*
    def alternation(self) -> tuple[str, bool]:
        text, var_q = self.sequence()
        parts = [text]
        while self.peek() == "|":
            self.i += 1
            t, v = self.sequence()
            parts.append(t)
            var_q = var_q or v
        return "|".join(parts), var_q

    def sequence(self) -> tuple[str, bool]:
        out: list[str] = []
        var_q = False
        while self.i < len(self.p) and self.peek() not in "|)":
            text, inner_var, quantifiable = self.atom()
            q_pos = self.i
            q = self.quantifier()
            if q is not None:
                q_text, q_min, q_max = q
                self.i = q_pos  # report the quantifier's own position
                if not quantifiable:
                    self.refuse("nothing to repeat", "量词前面没有可重复的内容")
                if inner_var and (q_max is None or q_max > 1):
                    self.refuse(
                        "nested quantifiers such as (a+)+ are not allowed",
                        "不允许嵌套量词，例如 (a+)+",
                    )
                self.i = q_pos + len(q_text)
                text += q_text
                inner_var = inner_var or q_min != q_max
            out.append(text)
            var_q = var_q or inner_var
        return "".join(out), var_q

    def quantifier(self) -> tuple[str, int, int | None] | None:
        c = self.peek()
        if c in ("*", "+", "?"):
            self.i += 1
            q_min, q_max = {"*": (0, None), "+": (1, None), "?": (0, 1)}[c]
            text = c
        elif c == "{":
            m = _BRACE_QUANTIFIER.match(self.p, self.i)
            if m is None:
                self.refuse(
                    "'{' must start a quantifier like {2,5}; write \\{ for a brace",
                    "“{”只能用于量词如 {2,5}，字面量请写 \\{",
                )
            q_min = int(m.group(1))
            q_max = q_min if m.group(2) is None else (int(m.group(3)) if m.group(3) else None)
            if q_min > _MAX_REPEAT or (q_max is not None and q_max > _MAX_REPEAT):
                self.refuse(f"repeat counts are limited to {_MAX_REPEAT}", f"重复次数不能超过 {_MAX_REPEAT}")
            if q_max is not None and q_max < q_min:
                self.refuse("numbers out of order in {} quantifier", "量词 {} 中的数字顺序颠倒")
            self.i = m.end()
            text = m.group()
        else:
            return None
        if self.peek() == "?":
            self.i += 1
            text += "?"
        return text, q_min, q_max

    def atom(self) -> tuple[str, bool, bool]:
        c = self.peek()
        if c == "(":
            return self.group()
        if c == "[":
            return self.char_class(), False, True
        if c == ".":
            self.i += 1
            return "[^\\n\\r\\u2028\\u2029]", False, True
        if c == "^":
            self.i += 1
            return "^", False, False
        if c == "$":
            self.i += 1
            return "\\Z", False, False
        if c == "\\":
            return self.escape()
        if c in "*+?{":
            self.refuse("nothing to repeat", "量词前面没有可重复的内容")
        if c in "]}":
            self.refuse(f"write \\{c} for a literal '{c}'", f"字面量“{c}”请写成 \\{c}")
        self.literal_check(c)
        self.i += 1
        return re.escape(c), False, True

    def literal_check(self, c: str) -> None:
        if ord(c) >= 0xD800 and (ord(c) <= 0xDFFF or ord(c) > 0xFFFF):
            self.refuse(
                "characters outside the Basic Multilingual Plane are not supported", "不支持基本多文种平面以外的字符"
            )

    def group(self) -> tuple[str, bool, bool]:
        self.i += 1  # (
        prefix = "("
        quantifiable = True
        if self.p.startswith("?:", self.i):
            prefix = "(?:"
            self.i += 2
        elif self.p.startswith("?=", self.i) or self.p.startswith("?!", self.i):
            prefix = "(" + self.p[self.i : self.i + 2]
            self.i += 2
            quantifiable = False
        elif self.peek() == "?":
            self.refuse(
                "only (...), (?:...), (?=...) and (?!...) groups are allowed",
                "只允许 (...)、(?:...)、(?=...) 和 (?!...) 分组",
            )
        text, var_q = self.alternation()
        if self.peek() != ")":
            self.refuse("missing ')'", "缺少“)”")
        self.i += 1
        return prefix + text + ")", var_q, quantifiable

    def hex_escape(self, n: int) -> str:
        digits = self.p[self.i + 2 : self.i + 2 + n]
        if len(digits) != n or not set(digits) <= _HEX:
            letter = self.p[self.i + 1]
            self.refuse(f"\\{letter} needs {n} hex digits", f"\\{letter} 后需要 {n} 位十六进制数")
        code = int(digits, 16)
        if 0xD800 <= code <= 0xDFFF:
            self.refuse("surrogate code units are not supported", "不支持代理码元")
        self.i += 2 + n
        return _escape_code(code)

    def escape(self) -> tuple[str, bool, bool]:
        if self.i + 1 >= len(self.p):
            self.refuse("pattern ends with a backslash", "表达式以反斜杠结尾")
        c = self.p[self.i + 1]
        if c in _SHORTHAND:
            self.i += 2
            return _SHORTHAND[c], False, True
        if c in ("b", "B"):
            self.i += 2
            return "\\" + c, False, False
        if c in _CONTROL_ESCAPES:
            self.i += 2
            return _CONTROL_ESCAPES[c], False, True
        if c == "x":
            return self.hex_escape(2), False, True
        if c == "u":
            return self.hex_escape(4), False, True
        if c in _SYNTAX_ESCAPES:
            self.i += 2
            return re.escape(c), False, True
        self.refuse(f"the escape \\{c} is not supported", f"不支持转义 \\{c}")
        raise AssertionError  # unreachable

    def class_atom(self) -> tuple[str, str | None]:
        """One class member: (python text, the single character or None for a set)."""
        c = self.peek()
        if c == "\\":
            if self.i + 1 >= len(self.p):
                self.refuse("pattern ends with a backslash", "表达式以反斜杠结尾")
            e = self.p[self.i + 1]
            if e in _CLASS_SHORTHAND:
                self.i += 2
                return _CLASS_SHORTHAND[e], None
            if e in _CONTROL_ESCAPES:
                self.i += 2
                return _CONTROL_ESCAPES[e], {"t": "\t", "n": "\n", "r": "\r", "f": "\f", "v": "\v"}[e]
            if e in ("x", "u"):
                text = self.hex_escape(2 if e == "x" else 4)
                return text, chr(int(text[2:], 16))
            if e in _SYNTAX_ESCAPES:
                self.i += 2
                return "\\" + e, e
            self.refuse(f"the escape \\{e} is not supported inside [...]", f"[...] 中不支持转义 \\{e}")
        self.literal_check(c)
        self.i += 1
        return _class_char(c), c

    def char_class(self) -> str:
        self.i += 1  # [
        negate = False
        if self.peek() == "^":
            negate = True
            self.i += 1
        if self.peek() == "]":
            self.refuse("empty character class", "空的字符类")
        parts: list[str] = []
        while True:
            if self.i >= len(self.p):
                self.refuse("missing ']'", "缺少“]”")
            if self.peek() == "]":
                self.i += 1
                break
            if self.peek() == "[":
                self.refuse("write \\[ for a literal '[' inside [...]", "[...] 中的“[”请写成 \\[")
            text, ch = self.class_atom()
            if self.peek() == "-" and self.i + 1 < len(self.p) and self.p[self.i + 1] != "]":
                self.i += 1
                text2, ch2 = self.class_atom()
                if ch is None or ch2 is None:
                    self.refuse("a range cannot start or end with \\d, \\w or \\s", "范围的两端不能是 \\d、\\w 或 \\s")
                if ord(ch) > ord(ch2):
                    self.refuse("range out of order in character class", "字符类中的范围顺序颠倒")
                parts.append(text + "-" + text2)
            else:
                parts.append(text)
        return "[" + ("^" if negate else "") + "".join(parts) + "]"


def _class_char(c: str) -> str:
    if c.isalnum() and c.isascii():
        return c
    if c.isascii() and c.isprintable() and c != " ":
        return "\\" + c
    return _escape_code(ord(c))


def translate(pattern: str) -> str:
    """Check ``pattern`` against the subset and return the equivalent Python pattern.

    Raises :class:`OpError` with both languages when the pattern is refused.
    """
    if not isinstance(pattern, str):
        raise OpError("the pattern must be a string", "正则表达式必须是字符串")
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise OpError(
            f"the pattern is longer than {MAX_PATTERN_LENGTH} characters",
            f"正则表达式超过 {MAX_PATTERN_LENGTH} 个字符",
        )
    parser = _Parser(pattern)
    try:
        text, _ = parser.alternation()
        if parser.i < len(pattern):  # a stray ')'
            parser.refuse("unmatched ')'", "多余的“)”")
    except _Refused as exc:
        raise OpError(f"unsupported regular expression: {exc.en}", f"不支持的正则表达式：{exc.zh}") from None
    return text


@lru_cache(maxsize=512)
def compile_pattern(pattern: str) -> re.Pattern[str]:
    """Translate and compile (cached: patterns usually come from rule constants)."""
    return re.compile(translate(pattern), re.ASCII)
