"""Rule-language sugar resolved before a rule is validated: node templates and OPTIONAL nodes.

A template is a named node (a dependency node or a token) in a file's `templates:` section. A
rule uses it as `{USE: name, ...}`: the node's other keys are its parameters, laid over the
template (`RIGHT_ATTRS` merged key by key), so one constraint is written once and reused on
other parents or with one more attribute. A dependency node marked `OPTIONAL: true` may be
missing together with every node below it: the rule runs as each needed variant (one rule
instead of 2ⁿ), the fullest match winning over its own partial ones. A node may list
`ONE_OF: [attrs, ...]` beside its shared `RIGHT_ATTRS`: the rule runs once per alternative ("a
noun of the lexicon, or a person's name"), instead of one rule per alternative.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from itertools import combinations
from typing import Any

from service.errors import E
from service.rules.yamlpos import Path

Report = Callable[[Path, str], None]

USE = "USE"
OPTIONAL = "OPTIONAL"
ONE_OF = "ONE_OF"
MAX_OPTIONAL = 3
MAX_VARIANTS = 16


def apply_templates(rule: Any, templates: Mapping[str, dict[str, Any]], report: Report) -> Any:
    """The raw rule with every `{USE: name, ...}` node of its `pattern` or `dependency` replaced."""
    if not isinstance(rule, dict):
        return rule
    out = dict(rule)
    for kind in ("pattern", "dependency"):
        nodes = rule.get(kind)
        if isinstance(nodes, list):
            out[kind] = [_use(node, templates, (kind, i), report) for i, node in enumerate(nodes)]
    return out


def _use(node: Any, templates: Mapping[str, dict[str, Any]], where: Path, report: Report) -> Any:
    if not isinstance(node, dict) or USE not in node:
        return node
    params = {key: value for key, value in node.items() if key != USE}
    name = node[USE]
    if not isinstance(name, str) or name not in templates:
        report(
            (*where, USE), E.R214.format(name=name, problem=f"not defined; templates: {', '.join(templates) or 'none'}")
        )
        return params
    merged = {**templates[name], **params}
    inner, extra = templates[name].get("RIGHT_ATTRS"), params.get("RIGHT_ATTRS")
    if isinstance(inner, dict) and isinstance(extra, dict):
        merged["RIGHT_ATTRS"] = {**inner, **extra}
    return merged


def variants(
    nodes: list[dict[str, Any]], optional: list[int], choices: dict[int, list[dict[str, Any]]], report: Report
) -> list[list[dict[str, Any]]]:
    """Every pattern a dependency rule runs: the full one first (each ONE_OF node with its first
    alternative), then every other choice of alternatives, each also without some of its
    `optional` nodes (indices) and the nodes below them. Empty when there is nothing to vary."""
    if not optional and not choices:
        return []
    if len(optional) > MAX_OPTIONAL:
        ids = ", ".join(str(nodes[i].get("RIGHT_ID")) for i in optional[MAX_OPTIONAL:])
        report(("dependency",), E.R215.format(node=ids, problem=f"at most {MAX_OPTIONAL} per rule"))
        optional = optional[:MAX_OPTIONAL]
    fulls = [list(nodes)]
    for i, alternatives in choices.items():
        fulls = [
            [*full[:i], {**full[i], "RIGHT_ATTRS": attrs}, *full[i + 1 :]] for full in fulls for attrs in alternatives
        ]
    if len(fulls) * 2 ** len(optional) > MAX_VARIANTS:
        report(("dependency",), E.R215.format(node="-", problem=f"more than {MAX_VARIANTS} variants"))
        return []
    found: list[list[dict[str, Any]]] = []
    for size in range(len(optional) + 1):
        for full in fulls:
            for dropped in combinations(optional, size):
                kept = _without(full, {full[i].get("RIGHT_ID") for i in dropped})
                if kept not in found:
                    found.append(kept)
    return found


def _without(nodes: list[dict[str, Any]], gone: set[Any]) -> list[dict[str, Any]]:
    """The nodes without those named in `gone` and every node below them."""
    kept = []
    for node in nodes:
        if node.get("RIGHT_ID") in gone or node.get("LEFT_ID") in gone:
            gone.add(node.get("RIGHT_ID"))
            continue
        kept.append(node)
    return kept
