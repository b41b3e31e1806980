"""PromQL expressions of the Grafana dashboard and the alert rules, ready to send to Prometheus.

Shared by the static test (`test_dashboard_static.py`, which checks every expression parses) and
a live test that runs a real Prometheus against the real server and checks every expression
returns data. No third-party PromQL parser: the only parsing done here is the top-level split
that `strip_threshold` needs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

# What Grafana variables stand for outside Grafana. `$namespace`/`$pod` become `.*`, the
# dashboard's "All" value, which also matches series without those labels (a local scrape).
VARIABLE_VALUES: dict[str, str] = {
    "__rate_interval": "1m",
    "__interval": "1m",
    "__range": "1h",
    "__range_s": "3600",
    "__range_ms": "3600000",
    "namespace": ".*",
    "pod": ".*",
    "datasource": "",
}

_VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]|\$(\w+)")


def substitute(expr: str, values: dict[str, str] | None = None) -> str:
    """Replace Grafana variables (`$x`, `${x}`, `${x:fmt}`, `[[x]]`) by their stand-in values.

    Raises KeyError for a variable with no stand-in, so a new dashboard variable cannot slip
    through unchecked.
    """
    table = VARIABLE_VALUES if values is None else values

    def repl(match: re.Match[str]) -> str:
        name = next(group for group in match.groups() if group is not None)
        if name not in table:
            raise KeyError(f"no stand-in value for Grafana variable ${name} in {expr!r}")
        return table[name]

    return _VARIABLE.sub(repl, expr)


def load_dashboard(path: str | Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        dashboard: dict[str, Any] = json.load(fh)
    return dashboard


def iter_panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel, rows included, and panels nested in collapsed rows."""
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def dashboard_exprs(path: str | Path) -> list[tuple[str, str]]:
    """(panel title, expr with Grafana variables substituted) for every target of every panel.

    A panel with several targets gives several entries with the same title; hidden targets
    (`"hide": true`) are included, since they are still sent by some panels' transforms.
    """
    out: list[tuple[str, str]] = []
    for panel in iter_panels(load_dashboard(path)):
        for target in panel.get("targets", []):
            expr = target.get("expr", "")
            if expr.strip():
                out.append((panel.get("title", ""), substitute(expr)))
    return out


def load_rules(path: str | Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        rules: dict[str, Any] = yaml.safe_load(fh)
    return rules


def alert_exprs(path: str | Path) -> list[tuple[str, str]]:
    """(alert name, expr) for every alerting rule of a plain Prometheus rules file.

    Also accepts a PrometheusRule manifest (the groups are then under `spec`).
    """
    doc = load_rules(path)
    groups = doc["spec"]["groups"] if "spec" in doc else doc["groups"]
    return [
        (rule["alert"], str(rule["expr"]).strip())
        for group in groups
        for rule in group.get("rules", [])
        if "alert" in rule
    ]


# --- strip_threshold: a small top-level PromQL operator splitter -------------------------------

# Binary operators, lowest precedence first (PromQL: or < and,unless < comparisons < +,- <
# *,/,%,atan2 < ^). All but ^ are left-associative.
_PRECEDENCE: dict[str, int] = {
    "or": 1,
    "and": 2,
    "unless": 2,
    "==": 3,
    "!=": 3,
    "<=": 3,
    ">=": 3,
    "<": 3,
    ">": 3,
    "+": 4,
    "-": 4,
    "*": 5,
    "/": 5,
    "%": 5,
    "atan2": 5,
    "^": 6,
}
_COMPARISONS = {"==", "!=", "<=", ">=", "<", ">"}
_SET_OPS = {"and", "or", "unless"}
_MODIFIERS = {"bool", "on", "ignoring", "group_left", "group_right"}
_NOT_OPERANDS = _MODIFIERS | {"by", "without", "offset"}

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<comment>\#[^\n]*)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
  | (?P<number>0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[a-zA-Z]*)
  | (?P<ident>[a-zA-Z_:][a-zA-Z0-9_:]*)
  | (?P<op>==|!=|<=|>=|=~|!~|[-+*/%^<>=(){}\[\],@])
    """,
    re.VERBOSE,
)


class _Tok:
    __slots__ = ("depth", "end", "kind", "start", "text")

    def __init__(self, kind: str, text: str, start: int, end: int, depth: int) -> None:
        self.kind, self.text, self.start, self.end, self.depth = kind, text, start, end, depth


def _tokens(expr: str) -> list[_Tok]:
    toks: list[_Tok] = []
    depth = 0
    pos = 0
    while pos < len(expr):
        m = _TOKEN.match(expr, pos)
        if m is None:
            raise ValueError(f"cannot tokenize PromQL at {pos}: {expr[pos : pos + 20]!r}")
        kind = m.lastgroup or ""
        text = m.group()
        if kind not in ("space", "comment"):
            if text in ")}]":
                depth -= 1
            toks.append(_Tok(kind, text, m.start(), m.end(), depth))
            if text in "({[":
                depth += 1
        pos = m.end()
    if depth != 0:
        raise ValueError(f"unbalanced brackets in {expr!r}")
    return toks


def _is_operand_end(tok: _Tok | None) -> bool:
    """Whether a token can end an operand, so that a following + or - is binary."""
    if tok is None:
        return False
    if tok.kind in ("string", "number"):
        return True
    if tok.kind == "ident":
        word = tok.text.lower()
        return word not in _PRECEDENCE and word not in _NOT_OPERANDS
    return tok.text in ")]}"


def _top_level_split(expr: str) -> tuple[str, str, str, str] | None:
    """Split at the lowest-precedence top-level binary operator.

    Returns (lhs, operator, modifiers, rhs), with modifiers the text of `bool`, `on(...)`,
    `ignoring(...)`, `group_left(...)`, `group_right(...)` that follows the operator, or None
    when the expression has no top-level binary operator.
    """
    toks = _tokens(expr)
    best: int | None = None
    best_prec = 99
    prev: _Tok | None = None
    for i, tok in enumerate(toks):
        if tok.depth == 0:
            op = tok.text.lower() if tok.kind == "ident" else tok.text
            is_binary = op in _PRECEDENCE and (tok.kind == "ident" or tok.kind == "op") and _is_operand_end(prev)
            if is_binary:
                prec = _PRECEDENCE[op]
                # Left-associative: the last operator of the lowest precedence is the root.
                # `^` is right-associative: its first occurrence is the root.
                if prec < best_prec or (prec == best_prec and op != "^"):
                    best, best_prec = i, prec
        prev = tok
    if best is None:
        return None
    op_tok = toks[best]
    op = op_tok.text.lower() if op_tok.kind == "ident" else op_tok.text
    # Skip the modifiers after the operator.
    j = best + 1
    while j < len(toks) and toks[j].kind == "ident" and toks[j].text.lower() in _MODIFIERS:
        j += 1
        if j < len(toks) and toks[j].text == "(":
            close_depth = toks[j].depth
            j += 1
            while j < len(toks) and not (toks[j].text == ")" and toks[j].depth == close_depth):
                j += 1
            j += 1
    if j >= len(toks):
        raise ValueError(f"binary operator {op!r} has no right-hand side in {expr!r}")
    lhs = expr[: op_tok.start].strip()
    modifiers = expr[op_tok.end : toks[j].start].strip()
    rhs = expr[toks[j].start :].strip()
    return lhs, op, modifiers, rhs


def strip_threshold(expr: str) -> str:
    """The expression without its top-level threshold, for "does it return data" checks.

    An alert such as `errors / requests > 0.05` normally returns nothing; its left-hand side
    `errors / requests` returns data whenever the metrics it reads exist.

    - A top-level comparison (`==`, `!=`, `<`, `<=`, `>`, `>=`, with or without `bool`) is
      replaced by its left-hand side (stripped again, for chains such as `a > 1 < 5`).
    - A top-level `and`/`or` keeps its operator and matching modifiers and is applied to both
      sides stripped, so `a > 0 and on(pod) b == 0` becomes `a and on(pod) b`.
    - `unless` is refused (stripping its right side would empty the result): ValueError.
    - Anything else (no top-level comparison) is returned unchanged.
    """
    expr = expr.strip()
    split = _top_level_split(expr)
    if split is None:
        return expr
    lhs, op, modifiers, rhs = split
    if op in _COMPARISONS:
        return strip_threshold(lhs)
    if op == "unless":
        raise ValueError(f"cannot strip the threshold of an `unless` expression: {expr!r}")
    if op in _SET_OPS:
        mods = f" {modifiers}" if modifiers else ""
        return f"{strip_threshold(lhs)} {op}{mods} {strip_threshold(rhs)}"
    return expr
