#!/usr/bin/env python3
"""Differential check of CPL against clarvynn 0.3.1 (issue 3, item 6).

Runs generated `when` expressions and attribute dictionaries through clarvynn's own
parser (`CPLParser` / `CPLCondition`, imported from the installed package) and through
CPL (`tests/src/bin/eval_cases.rs`, the real load → compile → decide_span path),
and classifies every disagreement:

* a **documented quirk**: a difference that spec/compatibility.md (or the chapter it
  points to) lists, named by its item number; or
* a **BUG**: anything else. Some BUG classes carry a name (a behaviour of clarvynn that
  the spec does not mention and CPL does not reproduce); the rest are "unexplained".

How a result disagreement is explained. The script holds a small *model* evaluator of
the same expression (parsed with a copy of clarvynn's own pyparsing grammar that keeps
the literal texts). Every quirk is a switch of the model between clarvynn's behaviour
and CPL's specified behaviour (spec/types.md, spec/missing-values.md, spec/fields.md).
With every switch on "clarvynn" the model must reproduce clarvynn; with every switch on
"CPL" it must reproduce CPL. A disagreement is explained by the smallest set of
switches that turns the CPL model into clarvynn's answer. If CPL's actual answer is not
the CPL model's answer, CPL disagrees with its own spec: a BUG, whatever clarvynn says.

Usage (normally through run.sh, inside a virtualenv with clarvynn==0.3.1):

    differential.py --eval-cases target/release/eval_cases \
        [--seed S] [--cases N] [--out results.json] [--reference-cases FILE]

Exit status: 0 when no BUG was found, 1 when at least one was, 2 on a harness error.
"""

import argparse
import collections
import importlib
import itertools
import json
import logging
import math
import os
import random
import re
import subprocess
import sys
import time

# --------------------------------------------------------------------------------------
# clarvynn

CLARVYNN_MODULES = [
    "core.cpl_engine.python.base",  # where clarvynn 0.3.1 defines CPLParser
    "clarvynn.core.cpl_engine.python.base",
    "core.cpl_engine",
    "clarvynn.core",
    "clarvynn",
]


def import_clarvynn():
    """CPLParser and CPLCondition from the installed clarvynn package."""
    for name in CLARVYNN_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        if hasattr(module, "CPLParser") and hasattr(module, "CPLCondition"):
            return module.CPLParser, module.CPLCondition, name
    raise SystemExit("harness error: clarvynn's CPLParser not found (is clarvynn==0.3.1 installed?)")


# --------------------------------------------------------------------------------------
# Literals: how each side reads them

class NumLit:
    """A number literal as written."""

    __slots__ = ("text",)

    def __init__(self, text):
        self.text = text

    def __repr__(self):
        return self.text


class StrLit:
    """A string literal as written, quotes included (`raw`), and as clarvynn's parser
    sees it (`clarvynn_raw`): pyparsing's parse_string runs str.expandtabs() on the
    whole expression first, so a raw TAB inside quotes becomes spaces."""

    __slots__ = ("raw", "clarvynn_raw")

    def __init__(self, raw):
        self.raw = raw
        self.clarvynn_raw = raw

    def __repr__(self):
        return self.raw


I64_MIN, I64_MAX = -(2**63), 2**63 - 1


def cpl_number(text):
    """spec/lexical.md, number literals: an integer literal that fits i64 stays an int."""
    if re.fullmatch(r"[+-]?[0-9]+", text):
        value = int(text)
        return value if I64_MIN <= value <= I64_MAX else float(value)
    return float(text)


def clarvynn_number(text):
    """pyparsing_common.fnumber: every number is a float."""
    return float(text)


CPL_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f", "0": "\0"}


def cpl_string(raw):
    """spec/lexical.md, string literals: \\t \\n \\r \\f \\0, any other \\X is X."""
    body, out, i = raw[1:-1], [], 0
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body):
            out.append(CPL_ESCAPES.get(body[i + 1], body[i + 1]))
            i += 2
        else:
            out.append(body[i])
            i += 1
    return "".join(out)


_clarvynn_strings = {}


def clarvynn_string(raw):
    """The value clarvynn's QuotedString(q, escChar='\\\\') gives, by running it."""
    if raw not in _clarvynn_strings:
        from pyparsing import QuotedString

        _clarvynn_strings[raw] = QuotedString(raw[0], esc_char="\\").parse_with_tabs().parse_string(raw, parse_all=True)[0]
    return _clarvynn_strings[raw]


# --------------------------------------------------------------------------------------
# A copy of clarvynn's grammar that keeps literal texts, and the AST built from it

def raw_grammar():
    """clarvynn 0.3.1's CPLParser grammar, token for token, with raw literals."""
    from pyparsing import (CaselessKeyword, Group, Literal, QuotedString, Word, alphanums, alphas,
                           infix_notation, OpAssoc, pyparsing_common)

    real = pyparsing_common.fnumber.copy().set_parse_action(lambda t: NumLit(t[0]))
    integer = pyparsing_common.signed_integer.copy().set_parse_action(lambda t: NumLit(t[0]))
    number = real | integer
    identifier = Word(alphas, alphanums + "_")
    string_value = (QuotedString("'", esc_char="\\", unquote_results=False)
                    | QuotedString('"', esc_char="\\", unquote_results=False)).set_parse_action(lambda t: StrLit(t[0]))
    comp_op = Literal("==") | Literal("!=") | Literal("<=") | Literal(">=") | Literal("<") | Literal(">")
    contains_op = CaselessKeyword("not") + CaselessKeyword("contains") | CaselessKeyword("contains")
    comparison = Group(identifier("attribute") + (comp_op | contains_op)("operator") + (number | string_value)("value"))
    return infix_notation(comparison, [
        (CaselessKeyword("NOT"), 1, OpAssoc.RIGHT),
        (CaselessKeyword("AND"), 2, OpAssoc.LEFT),
        (CaselessKeyword("OR"), 2, OpAssoc.LEFT),
    ])


class Grammars:
    """Two copies of the raw grammar: one that keeps TABs, one that expands them as
    clarvynn's parser does (parse_with_tabs() changes the element it is called on)."""

    def __init__(self):
        self.tabs = raw_grammar().parse_with_tabs()
        self.expanded = raw_grammar()


def parse_ast(grammars, when):
    """The AST of a clarvynn-valid expression, literals as CPL reads them (tabs kept)
    and as clarvynn reads them (tabs expanded); raises if clarvynn's grammar rejects it."""
    ast = to_ast(grammars.tabs.parse_string(when, parse_all=True)[0])
    expanded = to_ast(grammars.expanded.parse_string(when, parse_all=True)[0])
    for (_, _, _, lit), (_, _, _, lit2) in zip(comparisons(ast), comparisons(expanded)):
        if isinstance(lit, StrLit):
            lit.clarvynn_raw = lit2.raw
    return ast


def to_ast(tree):
    """('cmp', name, op, literal) | ('not', x) | ('and', [..]) | ('or', [..])."""
    items = list(tree) if not isinstance(tree, (str, NumLit, StrLit)) else [tree]
    if len(items) in (3, 4) and isinstance(items[0], str) and isinstance(items[-1], (NumLit, StrLit)):
        op = "not contains" if len(items) == 4 else str(items[1])
        return ("cmp", items[0], op.lower() if "contains" in op.lower() else op, items[-1])
    if len(items) == 1:
        return to_ast(items[0])
    if len(items) == 2 and isinstance(items[0], str) and items[0].lower() == "not":
        return ("not", to_ast(items[1]))
    if len(items) >= 3 and len(items) % 2 == 1:
        ops = {str(op).lower() for op in items[1::2]}
        if ops in ({"and"}, {"or"}):
            return (ops.pop(), [to_ast(x) for x in items[0::2]])
    raise ValueError(f"unexpected parse tree {items!r}")


def walk(ast):
    yield ast
    if ast[0] == "not":
        yield from walk(ast[1])
    elif ast[0] in ("and", "or"):
        for child in ast[1]:
            yield from walk(child)


def comparisons(ast):
    return [node for node in walk(ast) if node[0] == "cmp"]


# --------------------------------------------------------------------------------------
# The model: clarvynn's semantics and CPL's, one switch per documented difference

SIX = ("status_code", "duration_ms", "duration", "method", "path", "user_id")
NUMERIC = ("status_code", "duration_ms", "duration")
DURATIONS = ("duration_ms", "duration")
# CPL built-in fields that clarvynn does not know (spec/fields.md, catalog), with their
# values on the spans eval_cases builds: trace id 0, span id 1, no parent, name "",
# kind UNSPECIFIED, status UNSET, no resource.
ENUM = object()
CPL_BOOL_FALSE = object()
MISSING = object()
CPL_ONLY_FIELDS = {
    "name": "",
    "kind": ENUM,
    "status": ENUM,
    "error": CPL_BOOL_FALSE,
    "trace_id": "0" * 32,
    "span_id": "0000000000000001",
    "parent_span_id": MISSING,
    "service": MISSING,
}


class Quirk:
    def __init__(self, key, label, doc, title):
        self.key, self.short, self.doc, self.title = key, label, doc, title

    @property
    def documented(self):
        return self.doc is not None


# Each switch of the model: key, short label, where the spec documents the difference
# (None: nowhere, so a disagreement it explains is a BUG of ours), what clarvynn does.
QUIRKS = [
    Quirk("missing", "#1 missing values", "compatibility.md #1, missing-values.md",
          "clarvynn reads a missing or None value as 0 (status_code, duration*) or \"\"; CPL: false"),
    Quirk("float_literal", "#2 float-only literals", "compatibility.md #2",
          "clarvynn turns every number literal into a float (integers above 2^53 are rounded)"),
    Quirk("contains_str", "#2 contains on non-strings", "compatibility.md #2",
          "clarvynn's contains / not contains test str(literal) in str(value): numbers ('50.0'), bools; CPL: false"),
    Quirk("mixed_ne", "#2 != across types", "compatibility.md #2 (string vs number), types.md #comparison",
          "clarvynn: != between values that do not compare (string vs number, bool vs string) is true; CPL: false"),
    Quirk("bool_int", "#2 bool as number", "compatibility.md #2 (bool vs number)",
          "clarvynn: a bool compares as an int (True == 1, False < 5); CPL: never"),
    Quirk("typed_field", "typed built-in fields", "fields.md #catalog, compatibility.md #2 (stringified attributes)",
          "CPL: a built-in field whose value has another type (status_code '500', method 5) matches nothing; "
          "clarvynn compares the raw value"),
    Quirk("errors", "#3 errors make false", "compatibility.md #3",
          "clarvynn: an exception (TypeError on ordering, unknown attribute) makes the whole condition false, "
          "even under NOT; CPL: no errors, the predicate is false"),
    Quirk("names", "#3/#20 unknown names", "compatibility.md #3, #20, fields.md #name-resolution",
          "clarvynn: a name outside the six is an error; CPL: a built-in field (name, kind, status, error, "
          "trace_id, span_id, ...) or a span attribute"),
    Quirk("duration", "#21 duration", "compatibility.md #21, types.md #comparison",
          "clarvynn: duration_ms falls back to duration and the other way round (an explicit None blocks it); "
          "CPL: one field from the span's times, in whole nanoseconds"),
    Quirk("escapes", "pyparsing numeric escapes", "compatibility.md, the guarantee (where clarvynn's text is read differently)",
          "clarvynn (pyparsing 3.3.3 QuotedString, an f-string bug: `{3}` in an rf-string) decodes \\x<h>2 and "
          "\\u<h>4 as hex escapes and reads \\<octal digit>3 as two characters; the spec says there are no \\x, "
          "\\u or octal escapes and \\0 is NUL"),
    Quirk("tabs", "pyparsing expands TABs", "compatibility.md, the guarantee (where clarvynn's text is read differently)",
          "clarvynn (pyparsing parse_string calls str.expandtabs()) turns a raw TAB inside quotes into spaces up to "
          "the next multiple-of-8 column; CPL keeps the TAB"),
]
QUIRK = {q.key: q for q in QUIRKS}
CLARVYNN_MODE = {q.key: True for q in QUIRKS}
CPL_MODE = {q.key: False for q in QUIRKS}


class ModelError(Exception):
    """What clarvynn raises while evaluating (ValueError / TypeError)."""


class Dur:
    """CPL's duration value: whole nanoseconds."""

    __slots__ = ("ns",)

    def __init__(self, ns):
        self.ns = ns

    def __str__(self):
        return str(self.ns / 10**6)


def rust_round(x):
    """f64::round (half away from zero) for x >= 0."""
    r = math.floor(x)
    return r + 1 if x - r >= 0.5 else r


def cpl_duration_ns(attrs):
    """The duration eval_cases gives the span: duration_ms, else duration, when it is a
    non-negative number of milliseconds; None leaves the span's times unset (missing)."""
    for key in DURATIONS:
        v = attrs.get(key)
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            continue
        if isinstance(v, int):
            if v >= 0 and v * 10**6 < 2**64:
                return v * 10**6
        elif math.isfinite(v) and v >= 0 and v * 1e6 < 1.8e19:
            return rust_round(v * 1e6)
    return None


def is_number(x, m):
    return isinstance(x, (int, float)) and (not isinstance(x, bool) or m["bool_int"])


def py_compare(op, a, b):
    if op == "==":
        return a == b
    if op == "!=":
        return a != b
    if op == "<":
        return a < b
    if op == "<=":
        return a <= b
    if op == ">":
        return a > b
    if op == ">=":
        return a >= b
    raise AssertionError(op)


def lookup(name, attrs, m):
    """(namespace, field, value) for the name a comparison reads."""
    low = name.lower()
    if low in SIX:
        if low in DURATIONS:
            if m["duration"]:
                other = "duration" if low == "duration_ms" else "duration_ms"
                value = attrs.get(low, attrs.get(other))
                return "six", low, MISSING if value is None else value
            ns = cpl_duration_ns(attrs)
            return "six", low, MISSING if ns is None else Dur(ns)
        value = attrs.get(low)
        return "six", low, MISSING if value is None else value
    if m["names"]:
        raise ModelError(f"Unknown attribute {name!r}")
    if low in CPL_ONLY_FIELDS:
        return "cpl", low, CPL_ONLY_FIELDS[low]
    # Any other name is the span attribute with exactly that key; eval_cases only sets
    # dotted keys, so an undotted one is missing.
    return "attr", name, MISSING


def compare(namespace, field, v, op, lit, m):
    if isinstance(lit, NumLit):
        L = clarvynn_number(lit.text) if m["float_literal"] else cpl_number(lit.text)
    else:
        raw = lit.clarvynn_raw if m["tabs"] else lit.raw
        L = clarvynn_string(raw) if m["escapes"] else cpl_string(raw)

    if namespace == "cpl":
        if v is ENUM or v is CPL_BOOL_FALSE:
            return False  # span kind / status / bool never match a number or a string
    elif namespace == "six" and not isinstance(v, Dur):
        if field == "status_code":
            suits = isinstance(v, (int, float)) and not isinstance(v, bool)
        elif field in DURATIONS:
            suits = isinstance(v, (int, float)) and not isinstance(v, bool)
        else:
            suits = isinstance(v, str)
        if not suits:
            if isinstance(v, bool) and field in NUMERIC:
                if not m["bool_int"]:
                    return False
            elif not m["typed_field"]:
                return False

    if op in ("contains", "not contains"):
        if m["contains_str"]:
            hit = str(L) in str(v)
        elif isinstance(v, str) and isinstance(L, str):
            hit = L in v
        else:
            return False  # string tests need a string value and a string literal
        return hit if op == "contains" else not hit

    if isinstance(v, Dur):
        if is_number(L, m):
            if isinstance(L, int) and not isinstance(L, bool):
                return py_compare(op, v.ns, L * 10**6)  # an integer literal is exact milliseconds
            return py_compare(op, v.ns / 10**6, float(L))  # float: nearest binary64 to d / 1e6
        comparable = False
    else:
        comparable = (is_number(v, m) and is_number(L, m)) or (isinstance(v, str) and isinstance(L, str))
    if comparable:
        return py_compare(op, v, L)
    if op == "==":
        return False
    if op == "!=":
        return m["mixed_ne"]
    raise ModelError("TypeError: ordering between values that do not compare")


def eval_cmp(node, attrs, m):
    _, name, op, lit = node
    try:
        namespace, field, v = lookup(name, attrs, m)
        if v is MISSING:
            if namespace != "six" or not m["missing"]:
                return False
            v = 0 if field in NUMERIC else ""
        return compare(namespace, field, v, op, lit, m)
    except ModelError:
        if not m["errors"]:
            return False  # CPL: no evaluation errors, the predicate is false
        raise


def eval_node(node, attrs, m):
    kind = node[0]
    if kind == "cmp":
        return eval_cmp(node, attrs, m)
    if kind == "not":
        return not eval_node(node[1], attrs, m)
    if kind == "and":
        return all(eval_node(child, attrs, m) for child in node[1])
    if kind == "or":
        return any(eval_node(child, attrs, m) for child in node[1])
    raise AssertionError(kind)


def model(ast, attrs, m):
    """The condition's result under mode `m` (True = clarvynn's behaviour for that quirk)."""
    try:
        return eval_node(ast, attrs, m)
    except ModelError:
        return False  # CPLCondition: any exception makes the condition false


def explain(ast, attrs, clarvynn_result):
    """The smallest set of quirks whose clarvynn behaviour turns the CPL model's answer
    into clarvynn's; None if no set does."""
    keys = [q.key for q in QUIRKS]
    for size in range(1, len(keys) + 1):
        for subset in itertools.combinations(keys, size):
            m = dict(CPL_MODE)
            for key in subset:
                m[key] = True
            if model(ast, attrs, m) == clarvynn_result:
                return subset
    return None


# --------------------------------------------------------------------------------------
# Generator

def rcase(rng, word):
    r = rng.random()
    if r < 0.45:
        return word
    if r < 0.65:
        return word.upper()
    if r < 0.75:
        return word.title()
    return "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in word)


WS = [" "] * 10 + ["  ", "\t", "\n", "\r\n", " \t ", "   "]


def ws(rng):
    return rng.choice(WS)


def ws_opt(rng):
    return "" if rng.random() < 0.3 else ws(rng)


class Gen:
    """Random expressions over clarvynn's grammar, with tags for deliberate extras."""

    UNKNOWN = ["foo", "span_name", "span_kind", "trace_id", "status", "name", "kind", "error", "service",
               "span_id", "parent_span_id", "http_route", "x1", "tenant", "contains", "in", "exists", "true",
               "false", "matches", "starts_with", "attributes", "resource", "NOTstatus_code", "ANDpath",
               "stauts_code", "duraton_ms", "methd", "user_ids", "statuscode", "and", "or", "Durations"]
    STATUS = [200, 404, 499, 500, 503, 0, 1, 2, 7, -5, 1000, 2**53, 2**53 + 1, 2**63 - 1, -(2**63), 2**63, 10**19,
              499.5, 500.5, 0.5, 9007199254740992.0, 1e19]
    DURATION = [0, 1, 0.3, 0.5, 999, 1000, 1000.5, 1500, 0.001, 2**53 + 1, 5, 12.5, -5, -0.0, 9223372036854,
                9223372036855, 2**63 - 1, 2**63, 1e-7, 0.0000005, 1.5e-6]
    STRINGS = {
        "method": ["GET", "POST", "post", "", "Z", "a", "G", "é", "OR", "and", "PUT", "\uffff", "\U0001F600", "e\u0301"],
        "path": ["/api/payment/1", "/api/payment", "/health", "/x", "", "/", "a¢b", "a\tb", "it's", 'say "hi"',
                 "a\\b", "/über", "a\x00b", "a\nb", "a\x003b", "AND", "/api/Payment", "x41"],
        "user_id": ["u-1", "u-2", "", "admin", "U-1", "123"],
    }
    RAW_ESCAPES = [r"\x41", r"\xA2", r"\xf2", r"\u0041", r"\uA4", r"\u0e4", r"\101", r"\03", r"\73", r"\01",
                   r"\q", r"\b", r"\\", r"\'", r"\"", r"\t", r"\0"]

    def __init__(self, rng):
        self.rng = rng

    # -- literals

    def int_text(self, n):
        rng = self.rng
        sign = "-" if n < 0 else ""
        digits = str(abs(n))
        forms = [str(n), str(n), str(n) + ".", str(n) + ".0", sign + "00" + digits]
        if n >= 0:
            forms.append("+" + digits)
        if n != 0 and n % 10 == 0 and abs(n) < 10**17:
            stripped = digits.rstrip("0")
            exp = len(digits) - len(stripped)
            forms += [f"{sign}{stripped}e{exp}", f"{sign}{stripped}E{exp}", f"{sign}{stripped}.0e+{exp}"]
        if n == 0:
            forms += ["-0", "0.0", "0e0"]
        return rng.choice(forms)

    def float_text(self, x):
        rng = self.rng
        if math.isinf(x):
            return "1e400" if x > 0 else "-1e400"
        text = repr(x)
        forms = [text, text]
        if "e" not in text and x != 0:
            mantissa, exp = f"{x:e}".split("e")
            mantissa = mantissa.rstrip("0").rstrip(".") or "0"
            forms.append(f"{mantissa}e{int(exp)}")
        return rng.choice(forms)

    def number_text(self, field):
        rng = self.rng
        if field in DURATIONS:
            value = rng.choice(self.DURATION)
        elif field == "status_code":
            value = rng.choice(self.STATUS)
        else:
            value = rng.choice([5, 123, 0, 1])
        if rng.random() < 0.01:
            value = float("inf")
        text = self.int_text(value) if isinstance(value, int) else self.float_text(value)
        if rng.random() < 0.005:  # non-ASCII decimal digits (clarvynn's \d is Unicode)
            text = "".join(chr(ord(c) - ord("0") + 0xFF10) if c.isdigit() else c for c in text)
        return text

    def string_text(self, field):
        rng = self.rng
        pool = self.STRINGS.get(field) or self.STRINGS["path"]
        value = rng.choice(pool)
        if value and rng.random() < 0.3:  # a substring, for contains
            i = rng.randrange(len(value))
            value = value[i:rng.randrange(i, len(value)) + 1]
        quote = rng.choice("'\"")
        out = []
        for c in value:
            if c in (quote, "\\"):
                out.append("\\" + c)
            elif c == "\t":
                out.append(rng.choice(["\t", "\\t"]))
            elif c in "\n\r\f\0":
                out.append({"\n": "\\n", "\r": "\\r", "\f": "\\f", "\0": "\\0"}[c])
            elif rng.random() < 0.05 and c not in "tnrf0xu":
                out.append("\\" + c)
            else:
                out.append(c)
        if rng.random() < 0.04:
            out.insert(rng.randrange(len(out) + 1), rng.choice(self.RAW_ESCAPES))
        if rng.random() < 0.003:  # backslash + raw CR: clarvynn's escape regex allows it
            out.insert(rng.randrange(len(out) + 1), "\\\r")
        return quote + "".join(out) + quote

    # -- expressions: lists of text pieces, joined with whitespace where needed

    def field_name(self):
        rng = self.rng
        if rng.random() < 0.06:
            name = rng.choice(self.UNKNOWN)
            return name if name.startswith(("NOT", "AND")) else rcase(rng, name)
        return rcase(rng, rng.choice(SIX))

    def comparison(self):
        rng = self.rng
        name = self.field_name()
        field = name.lower() if name.lower() in SIX else rng.choice(SIX)
        r = rng.random()
        if r < 0.2:
            op = ["contains"]
        elif r < 0.3:
            op = ["not", "contains"]
        else:
            op = [rng.choice(["==", "!=", "<", "<=", ">", ">="])]
        if op[-1] == "contains":
            numeric = rng.random() < 0.15
            op = [rcase(rng, w) for w in op]
            if rng.random() < 0.003:  # 'ı'.upper() == 'I': pyparsing's CaselessKeyword accepts it
                op[-1] = rng.choice(["contaıns", "containſ"])
        else:
            numeric = (field in NUMERIC) == (rng.random() < 0.85)
        value = self.number_text(field) if numeric else self.string_text(field)
        return [name] + op + [value]

    def expr(self, depth):
        """(pieces, precedence): 3 atom, 2 NOT, 1 AND, 0 OR."""
        rng = self.rng
        r = rng.random()
        if depth <= 0 or r < 0.4:
            pieces, prec = self.comparison(), 3
        elif r < 0.55:
            child, cprec = self.expr(depth - 1)
            if cprec < 2:
                child = ["("] + child + [")"]
            pieces, prec = [rcase(rng, "not")] + child, 2
        else:
            word, need = ("and", 1) if r < 0.8 else ("or", 0)
            pieces = []
            for i in range(rng.randint(2, 3)):
                child, cprec = self.expr(depth - 1)
                if cprec < need:
                    child = ["("] + child + [")"]
                if i:
                    pieces.append(rcase(rng, word))
                pieces += child
            prec = need
        if rng.random() < 0.08:
            pieces, prec = ["("] + pieces + [")"], 3
        return pieces, prec

    def join(self, pieces):
        rng = self.rng
        out = pieces[0]
        for piece in pieces[1:]:
            left, right = out[-1], piece[0]
            wordy = lambda c: c.isalnum() or c == "_"  # noqa: E731
            if out.endswith(".") and piece.lower() in ("and", "or") and rng.random() < 0.1:
                sep = ""  # `5.AND`: clarvynn's keyword boundary accepts a dot before it
            elif wordy(left) and wordy(right) or left == "." and wordy(right):
                sep = ws(rng)
            else:
                sep = ws_opt(rng)
            out += sep + piece
        if rng.random() < 0.1:
            out = ws(rng) + out
        if rng.random() < 0.1:
            out += ws(rng)
        return out

    # Forms CPL adds on purpose (clarvynn rejects them; CPL may accept them):
    # (tag, documented in, text)
    EXTENSIONS = [
        ("dotted name", "compatibility.md #4", "http.route contains '/x'"),
        ("dotted name", "compatibility.md #4", "resource.service.name == 'x'"),
        ("dotted name", "compatibility.md #4", "Http.Route == '/x' OR status_code >= 500"),
        ("literal on the left", "expressions.md #grammar", "500 <= status_code"),
        ("in list", "expressions.md #list-membership", "status_code in [500, 503]"),
        ("in list", "expressions.md #list-membership", "method not in ['GET']"),
        ("string test", "expressions.md #string-tests", "path starts_with '/api'"),
        ("string test", "expressions.md #string-tests", "path matches '^/api/.*'"),
        ("string test", "expressions.md #string-tests", "path NOT ends_with '/x'"),
        ("exists", "expressions.md #exists", "exists(status_code)"),
        ("exists", "expressions.md #exists", "NOT exists(path) OR path != '/health'"),
        ("duration literal", "compatibility.md #21, lexical.md", "duration > 1.5s"),
        ("duration literal", "compatibility.md #21, lexical.md", "duration_ms >= 250ms"),
        ("duration literal", "compatibility.md #21, lexical.md", "status_code == 1.5ms"),
        ("boolean literal", "compatibility.md #11", "error == true"),
        ("bare constant", "types.md #bare-words", "kind == SERVER"),
        ("bare constant", "types.md #bare-words", "status == ERROR OR status_code >= 500"),
        ("quoted key", "fields.md #quoted-keys", "attributes[\"x-debug\"] == 'on'"),
        ("underscore name", "lexical.md #names", "_internal == 1"),
    ]
    # Syntax errors in both (CPL error code in the comment where it matters).
    INVALID = [
        "status_code == 200 || method == 'GET'", "status_code == 200 && method == 'GET'", "!(status_code == 200)",
        "status_code => 500", "status_code = 500", "status_code <> 500", "status_code === 500",
        "status_code >>= 500", "status_code > = 500", "path notcontains '/x'", "duration_ms > .5",
        "duration_ms > - 5", "status_code == 0x1F4", "status_code == 1_000", "status_code == 5e",
        "status_code == 1.2.3", "status_code == 1e3.5", "status_code == NaN", "duration_ms > inf",
        "path contains 'it''s'", "method == 'POST\"", "path contains 'open", "path contains `x`",
        "(status_code >= 500", "status_code >= 500)", "AND status_code >= 500", "status_code >= 500 AND",
        "status_code >= 500 # comment", "status_code>=500AND duration_ms>1", "status_code >= 500 ANDduration_ms > 1",
        "not == 1", "x == in", "method == GET", "kind == server", "status_code == 500 500", "()", "status_code",
        "true", "", "   ", "\t\n", "status_code\u00a0== 500", "status_code ==\u3000500", "path == 'a\nb'",
        "path == 'a\\\nb'", "path == 'a\rb'", "status_code == 5 00", "path startswith '/a'", "status_code XOR 1",
        "500 == 500", "status_code == status_code", "path contains 'x' 'y'", "NOT", "status_code == 500 OR",
        "status_code == 1e", "durée == 1", "status_code == 'a' + 'b'",
    ]

    def case_text(self):
        """(when, tags)."""
        rng = self.rng
        r = rng.random()
        if r < 0.03:
            tag, doc, text = rng.choice(self.EXTENSIONS)
            return text, {"extension": tag, "extension_doc": doc}
        if r < 0.07:
            return rng.choice(self.INVALID), {"invalid": True}
        pieces, _ = self.expr(rng.choice([0, 0, 1, 1, 2, 2, 3]))
        return self.join(pieces), {}

    # -- attributes

    def attr_value(self, field, literals):
        rng = self.rng
        if literals and rng.random() < 0.5:
            lit = rng.choice(literals)
            if isinstance(lit, NumLit):
                try:
                    x = cpl_number(lit.text)
                except ValueError:
                    x = 0
            else:
                x = cpl_string(lit.raw)
            if field in DURATIONS:
                if isinstance(x, str) or not math.isfinite(x):
                    return rng.choice(self.DURATION)
                x = abs(x)
                if x >= 1e9:
                    return rng.choice(self.DURATION)
                ns = rust_round(x * 1e6) + rng.choice([0, 0, 0, 1, -1])
                ns = max(ns, 0)
                return ns // 10**6 if ns % 10**6 == 0 and rng.random() < 0.5 else ns / 10**6
            choices = [x]
            if isinstance(x, float) and math.isfinite(x) and x == int(x):
                choices.append(int(x))
            if isinstance(x, (int, float)) and math.isfinite(x):
                choices += [x + 1, x - 1, str(x)]
            if isinstance(x, str) and field in NUMERIC:
                choices.append(x)
            v = rng.choice(choices)
            if isinstance(v, int) and not I64_MIN <= v <= I64_MAX:
                v = I64_MAX
            return v
        r = rng.random()
        if field in DURATIONS:
            if r < 0.03:
                return 0.1 + 0.2  # not a whole number of nanoseconds
            if r < 0.5:
                return rng.choice([0, 1, 5, 999, 1000, 1001, 1500, 2000])
            if r < 0.55:
                return rng.choice([9223372036854, 9223372036853.775, 9223372036854.775807, 1e-6, 5e-7, 0.0000015])
            return rng.choice([rng.randrange(0, 3 * 10**9), rng.randrange(0, 10**6), 300000, 1000500000]) / 10**6
        if r < 0.08:
            return rng.choice([True, False])
        if field == "status_code":
            if r < 0.15:
                return rng.choice(["500", "abc", "", "2"])
            if r < 0.22:
                return rng.choice([500.0, 499.5, 0.1, 1e16, float("nan"), float("inf"), float("-inf"), -0.0,
                                   9007199254740992.0, 9.223372036854776e18, -9.223372036854776e18, 1e19])
            return rng.choice([200, 201, 404, 499, 500, 503, 0, 1, 2, 7, -5, 1000, 2**53 + 1, 2**53, I64_MAX])
        if r < 0.15:
            return rng.choice([5, 123, 0, 5.0, 1.5])
        return rng.choice(self.STRINGS[field])

    def attrs(self, ast):
        rng = self.rng
        literals = collections.defaultdict(list)
        if ast is not None:
            for _, name, _, lit in comparisons(ast):
                literals[name.lower()].append(lit)
        attrs = {}
        for field in SIX:
            r = rng.random()
            if r < 0.3:
                continue
            attrs[field] = None if r < 0.4 else self.attr_value(field, literals.get(field))
        return attrs


# --------------------------------------------------------------------------------------
# Fixed cases: the limits of quirk 13 and a few corner cases

def fixed_cases():
    c = "status_code >= 500"
    right_nested = c
    for _ in range(349):
        right_nested = f"{c} AND ({right_nested})"
    return [
        ("(" * 300 + c + ")" * 300, {"status_code": 500}, {"deep": True}),
        ("(" * 100 + c + ")" * 100, {"status_code": 500}, {}),
        ("NOT " * 300 + c, {"status_code": 500}, {"deep": True}),
        ("NOT " * 1000 + c, {"status_code": 500}, {"deep": True}),
        (right_nested, {"status_code": 500}, {"deep": True}),
        (" OR ".join(f"status_code == {i}" for i in range(1000)), {"status_code": 999}, {}),
        ("path contains '" + "x" * 100000 + "'", {"path": "x" * 100000}, {}),
        ("status_code == 9007199254740993", {"status_code": 9007199254740993}, {}),
        ("status_code == 9007199254740992", {"status_code": 9007199254740993}, {}),
        ("duration_ms <= 0.3", {"duration_ms": 0.1 + 0.2}, {}),
        ("duration_ms <= 0.3", {"duration_ms": 0.3}, {}),
        ("duration > 1000", {"duration": 10, "duration_ms": 2000}, {}),
        ("duration_ms > 1000", {"duration_ms": None, "duration": 2000}, {}),
        ("status_code >= 500 OR foo == 1", {"status_code": 200}, {}),
        ("NOT method > 5", {"method": "GET"}, {}),
        ("status_code contains 50", {"status_code": 500}, {}),
        ("status_code == 1", {"status_code": True}, {}),
        ("path == 'a\\xA2b'", {"path": "a\u00a2b"}, {}),
        ("status_code >= 500 OR and == 1", {"status_code": 500}, {}),
        ("duration_ms > 5.AND path == 'x'", {"duration_ms": 6, "path": "x"}, {}),
    ]


def reference_cases(path):
    """clarvynn-0.3.1-cases.json beside the reference notes: (when, attrs) pairs."""
    with open(path, encoding="utf-8") as f:
        cases = json.load(f)
    out = []
    for case in cases:
        if isinstance(case.get("when"), str) and isinstance(case.get("attrs", {}), dict):
            out.append((case["when"], case.get("attrs") or {}, {"reference": case.get("group", "")}))
    return out


# --------------------------------------------------------------------------------------
# Running both sides

def json_value(v):
    if isinstance(v, float) and not math.isfinite(v):
        return {"float": "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")}
    return v


def json_attrs(attrs):
    return {k: json_value(v) for k, v in attrs.items()}


def run_clarvynn(CPLParser, CPLCondition, when, attrs):
    parser = CPLCondition._parser or CPLParser()
    CPLCondition._parser = parser
    out = {}
    try:
        parser.parse(when)
        out["parse_ok"] = True
    except Exception as e:  # noqa: BLE001 - ValueError for syntax errors and empty input
        out["parse_ok"] = False
        out["parse_error"] = f"{type(e).__name__}: {str(e).splitlines()[0][:120]}"
    try:
        out["evaluate"] = parser.evaluate(when, dict(attrs))
    except RecursionError:
        out["evaluate"] = "error: RecursionError"
    except Exception as e:  # noqa: BLE001
        out["evaluate"] = f"error: {type(e).__name__}: {str(e).splitlines()[0][:120] if str(e) else ''}"
    out["condition"] = CPLCondition({"name": "c", "when": when}).evaluate(dict(attrs))
    return out


def run_cpl(eval_cases, cases):
    payload = "".join(json.dumps({"when": c["when"], "attrs": json_attrs(c["attrs"])}) + "\n" for c in cases)
    proc = subprocess.run([eval_cases], input=payload.encode(), capture_output=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"harness error: eval_cases exited {proc.returncode}: {proc.stderr.decode()[-2000:]}")
    lines = proc.stdout.decode().splitlines()
    if len(lines) != len(cases):
        raise SystemExit(f"harness error: eval_cases gave {len(lines)} answers for {len(cases)} cases")
    return [json.loads(line) for line in lines]


# --------------------------------------------------------------------------------------
# Classification

AGREE, QUIRK_KIND, BUG = "agree", "quirk", "bug"

# Lexical forms clarvynn accepts that CPL rejects. The spec's guarantee ("every
# expression clarvynn parses, CPL parses", compatibility.md) covers them, and none is
# listed as an exception, so each is a BUG class: (label, detector, doc). Set `doc` to
# the compatibility.md item once the spec documents one; it then counts as a quirk.
def _reserved_name(case):
    ast = case.get("ast")
    return ast is not None and any(name.lower() in ("and", "or") for _, name, _, _ in comparisons(ast))


REJECTED_FORMS = [
    ("reserved word `and`/`or` as an attribute name (`and == 1`)", _reserved_name, None),
    ("number ending in `.` glued to AND/OR (`5.AND`)",
     lambda c: re.search(r"\d\.(?i:and|or)(?![A-Za-z0-9_])", c["when"]) is not None, None),
    ("non-ASCII decimal digits in a number (Python's \\d: `== ５００`)",
     lambda c: any(ch.isdigit() and not ch.isascii() for ch in c["when"]), "compatibility.md, the guarantee"),
    ("keyword spelt with U+0131 / U+017F (`contaıns`: pyparsing's caseless .upper())",
     lambda c: re.search("[\u0131\u017f]", c["when"]) is not None, "compatibility.md, the guarantee"),
]


def rejected_forms(case):
    """The known forms in a clarvynn-valid expression that CPL rejects: [(label, doc)]."""
    return [(label, doc) for label, detect, doc in REJECTED_FORMS if detect(case)]


STRINGS_RE = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
EXTENSION_PATTERNS = [
    ("dotted name", "compatibility.md #4", re.compile(r"[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z0-9_]")),
    ("quoted key", "fields.md #quoted-keys", re.compile(r"(?i)\b(attributes|resource)\s*\[")),
    ("in list", "expressions.md #list-membership", re.compile(r"(?i)\bin\s*\[")),
    ("string test", "expressions.md #string-tests", re.compile(r"(?i)\b(matches|starts_with|ends_with)\b")),
    ("exists", "expressions.md #exists", re.compile(r"(?i)\bexists\s*\(")),
    ("duration literal", "compatibility.md #21, lexical.md", re.compile(r"\d(ns|us|µs|ms|s|m|h)\b")),
    ("boolean literal", "compatibility.md #11", re.compile(r"(?i)[=<>]\s*(true|false)\b")),
    ("bare constant", "types.md #bare-words", re.compile(r"[=<>]\s*[A-Z][A-Z_]+\b")),
    ("literal on the left", "expressions.md #grammar", re.compile(r"(^|[(\s])[-+]?\d[0-9.eE+-]*\s*(==|!=|<=?|>=?)\s*[A-Za-z_]")),
    ("underscore name", "lexical.md #names", re.compile(r"(^|[\s(])_[A-Za-z0-9_]*\s*(==|!=|<|>)")),
]


def detect_extension(when):
    """A form that CPL adds on purpose, found in the text outside string literals."""
    code = STRINGS_RE.sub("''", when)
    for tag, doc, pattern in EXTENSION_PATTERNS:
        if pattern.search(code):
            return tag, doc
    return None


def classify(case):
    """(kind, class label, detail)."""
    cv, cpl = case["clarvynn"], case["cpl"]
    tags = case["tags"]
    codes = set(filter(None, (cpl.get("error") or "").split(",")))
    if cv["parse_ok"] and not cpl["parse_ok"]:
        if codes & {"E110", "E111"}:
            return QUIRK_KIND, "CPL limits nesting (256) and length (1 MiB) [compatibility.md #13]", None
        if codes == {"E113"} and case.get("ast") is not None and any(
                name.lower() not in SIX and "." not in name for _, name, _, _ in comparisons(case["ast"])):
            return (QUIRK_KIND, "load-time name check: undotted unknown name close to a field is E113 "
                    "[compatibility.md guarantee + #5, fields.md #name-resolution]", None)
        forms = rejected_forms(case)
        detail = f"CPL {cpl.get('error')}: {cpl.get('message', '')}"
        if not forms:
            return BUG, "CPL rejects what clarvynn parses (unexplained)", detail
        label = "CPL rejects what clarvynn parses: " + " + ".join(
            label if doc else f"{label} [NOT DOCUMENTED]" for label, doc in forms)
        return (QUIRK_KIND if all(doc for _, doc in forms) else BUG), label, detail
    if not cv["parse_ok"] and cpl["parse_ok"]:
        found = (tags["extension"], tags["extension_doc"]) if "extension" in tags else detect_extension(case["when"])
        if found:
            return QUIRK_KIND, f"CPL extension: {found[0]} [{found[1]}]", None
        return BUG, "CPL accepts what clarvynn rejects (unexplained)", cv.get("parse_error")
    if not cv["parse_ok"]:
        return AGREE, "both reject", None

    ast = case.get("ast")
    spec = case.get("spec_model")
    actual = cpl["result"]
    if spec is not None and actual != spec:
        return BUG, "CPL differs from its spec (model of types.md / missing-values.md / fields.md)", (
            f"spec says {spec}, CPL says {actual}, clarvynn says {cv['condition']}")
    if actual == cv["condition"]:
        return AGREE, "same result", None
    if isinstance(cv["evaluate"], str) and "RecursionError" in cv["evaluate"]:
        return QUIRK_KIND, "clarvynn recursion limit makes the condition false [compatibility.md #13]", None
    if ast is None or spec is None:
        return BUG, "results differ (no model for this expression)", None
    if case.get("model_clarvynn") != cv["condition"]:
        return BUG, "results differ (the clarvynn model does not reproduce clarvynn: harness gap)", None
    subset = explain(ast, case["attrs"], cv["condition"])
    if subset is None:
        return BUG, "results differ (unexplained by any set of quirks)", None
    quirks = [QUIRK[key] for key in subset]
    label = " + ".join(q.short if q.documented else f"{q.short} [NOT DOCUMENTED]" for q in quirks)
    if all(q.documented for q in quirks):
        return QUIRK_KIND, label, None
    return BUG, label, None


# --------------------------------------------------------------------------------------

def short(value, limit=160):
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(os.path.dirname(here))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--eval-cases", default=os.path.join(repo, "target", "release", "examples", "eval_cases"))
    ap.add_argument("--seed", default="1", help="random seed, or `random` for a time-based one (default 1)")
    ap.add_argument("--cases", type=int, default=5000, help="number of generated cases (default 5000)")
    ap.add_argument("--out", default=None, help="write every case and its classification here as JSON")
    ap.add_argument("--reference-cases", default=os.path.join(repo, "..", "shared", "reference", "clarvynn-0.3.1-cases.json"),
                    help="clarvynn-0.3.1-cases.json, added when the file exists")
    ap.add_argument("--examples", type=int, default=5, help="examples printed per class")
    args = ap.parse_args()

    seed = int(time.time() * 1000) % 2**32 if args.seed == "random" else int(args.seed)
    print(f"seed {seed} (rerun with --seed {seed})")
    rng = random.Random(seed)

    logging.disable(logging.CRITICAL)  # CPLCondition logs every error it swallows
    CPLParser, CPLCondition, module = import_clarvynn()
    import pyparsing

    print(f"clarvynn CPLParser from {module}; pyparsing {pyparsing.__version__}; Python {sys.version.split()[0]}")
    grammars = Grammars()

    sources = [(w, a, dict(t, fixed=True)) for w, a, t in fixed_cases()]
    if args.reference_cases and os.path.exists(args.reference_cases):
        ref = reference_cases(args.reference_cases)
        print(f"{len(ref)} reference cases from {os.path.normpath(args.reference_cases)}")
        sources += ref
    gen = Gen(rng)
    cases = []
    for when, attrs, tags in sources:
        cases.append({"source": "reference" if "reference" in tags else "fixed", "when": when, "attrs": attrs, "tags": tags})
    generated = 0
    while generated < args.cases:
        when, tags = gen.case_text()
        try:
            ast = parse_ast(grammars, when) if when.strip() else None
        except Exception:  # noqa: BLE001 - not clarvynn-valid
            ast = None
        for _ in range(min(rng.choice([1, 1, 2, 3]), args.cases - generated)):
            cases.append({"source": "generated", "when": when, "attrs": gen.attrs(ast), "tags": tags})
            generated += 1

    t0 = time.time()
    for case in cases:
        case["clarvynn"] = run_clarvynn(CPLParser, CPLCondition, case["when"], case["attrs"])
        ast = None
        if case["clarvynn"]["parse_ok"]:
            try:
                ast = parse_ast(grammars, case["when"])
            except RecursionError:
                ast = None
        case["ast"] = ast
        if ast is not None:
            try:
                case["spec_model"] = model(ast, case["attrs"], CPL_MODE)
                case["model_clarvynn"] = model(ast, case["attrs"], CLARVYNN_MODE)
            except RecursionError:
                case["spec_model"] = case["model_clarvynn"] = None
    t1 = time.time()
    for case, answer in zip(cases, run_cpl(args.eval_cases, cases)):
        case["cpl"] = answer
    t2 = time.time()
    print(f"{len(cases)} cases ({generated} generated); clarvynn {t1 - t0:.1f} s, CPL {t2 - t1:.1f} s")

    model_gaps = sum(1 for c in cases if c.get("model_clarvynn") is not None and c["model_clarvynn"] != c["clarvynn"]["condition"])
    groups = collections.defaultdict(list)
    counts = collections.Counter()
    for case in cases:
        kind, label, detail = classify(case)
        case["kind"], case["class"], case["detail"] = kind, label, detail
        counts[kind] += 1
        if kind != AGREE:
            groups[(kind, label)].append(case)

    for kind, title in ((BUG, "BUGS"), (QUIRK_KIND, "DOCUMENTED QUIRKS")):
        keys = sorted((k for k in groups if k[0] == kind), key=lambda k: -len(groups[k]))
        print(f"\n=== {title}: {sum(len(groups[k]) for k in keys)} cases in {len(keys)} classes ===")
        for key in keys:
            members = groups[key]
            print(f"\n[{len(members)}] {key[1]}")
            for case in sorted(members, key=lambda c: (len(c["when"]), len(c["attrs"])))[:args.examples]:
                cv, cpl = case["clarvynn"], case["cpl"]
                cv_text = f"parse {'ok' if cv['parse_ok'] else 'ERR'}, condition {cv['condition']}"
                if isinstance(cv.get("evaluate"), str):
                    cv_text += f" ({cv['evaluate'][:60]})"
                cpl_text = f"result {cpl['result']}" if cpl["parse_ok"] else f"load error {cpl.get('error')}"
                print(f"    when  {short(case['when'])}")
                print(f"    attrs {short(case['attrs'])}")
                print(f"    clarvynn: {cv_text}; CPL: {cpl_text}" + (f"; {case['detail']}" if case["detail"] else ""))

    print("\n=== QUIRK SWITCHES of the model (cases whose explanation involves each) ===")
    for q in QUIRKS:
        involved = sum(1 for c in cases if c["kind"] != AGREE and q.short in c["class"])
        print(f"  {involved:6d}  {q.short}  [{q.doc or 'NOT DOCUMENTED'}]\n          {q.title}")
    print(f"\nmodel check: the clarvynn-mode model differs from clarvynn on {model_gaps} cases")
    summary = (f"{len(cases)} cases: {counts[AGREE]} agree, {counts[QUIRK_KIND]} documented quirks, "
               f"{counts[BUG]} bugs")
    print(summary)

    if args.out:
        def record(case):
            return {
                "source": case["source"], "when": case["when"], "attrs": json_attrs(case["attrs"]),
                "tags": case["tags"], "clarvynn": case["clarvynn"], "cpl": case["cpl"],
                "spec_model": case.get("spec_model"), "clarvynn_model": case.get("model_clarvynn"),
                "kind": case["kind"], "class": case["class"], "detail": case["detail"],
            }
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump({
                "seed": seed, "summary": summary,
                "counts": dict(counts),
                "classes": [{"kind": k, "class": label, "count": len(v)} for (k, label), v in
                            sorted(groups.items(), key=lambda kv: (kv[0][0], -len(kv[1])))],
                "cases": [record(c) for c in cases],
            }, f, ensure_ascii=False, indent=1)
        print(f"results written to {args.out}")
    return 1 if counts[BUG] else 0


if __name__ == "__main__":
    sys.exit(main())
