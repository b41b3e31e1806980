"""Semantic checks of one schema-valid rule, producing its `RuleSpec`.

Checks: declared event types; the rule's event type, roles and attributes; lexicon references,
spaCy's own token-pattern validation,
dependency-pattern structure, REGEX safety and the roles that `expand` names. Every problem is
reported with the YAML position of the offending value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any, Literal, cast

from spacy.schemas import validate_token_pattern

from service.errors import E
from service.events.registry import NAME, Attribute, EventType
from service.rules.needs import EXPANSION_ATTRS, pattern_attrs
from service.rules.schema import EventTypeModel, Example, Expansion, RuleModel, RuleSpec
from service.rules.templates import ONE_OF, OPTIONAL, variants
from service.rules.yamlpos import Path

RuleKind = Literal["pattern", "dependency", "phrases"]
Report = Callable[[Path, str], None]
"""Records an error at a path inside the rule (relative to the rule mapping)."""

REL_OPS = frozenset(
    {"<", ">", "<<", ">>", ".", ".*", ";", ";*", "$+", "$-", "$++", "$--", ">+", ">-", ">++",
     ">--", "<+", "<-", "<++", "<--"}
)  # fmt: skip
_SPACY_PATH = re.compile(r"^\[pattern -> (.*?)\] (.*)$")
# A quantified group holding a quantifier, `(a+)+`, or alternatives that may overlap, `(a|ab)*`:
# the shapes whose backtracking is exponential. (Polynomial cases are bounded at match time:
# service/engine/regex.py.)
_NESTED_QUANTIFIER = re.compile(r"\((?:[^()\\]|\\.)*[+*}|](?:[^()\\]|\\.)*\)\s*[+*{]")
MAX_REGEX_LENGTH = 200
# Dependency-pattern cost: a node whose RIGHT_ATTRS name no word may match any token of the
# sentence; several such nodes multiply (five took a worker past 150 s on one 25-token sentence).
_UNBOUNDED_OPS = frozenset({"<<", ">>", ".*", ";*"})
_WORD_ATTRS = frozenset({"LEMMA", "LOWER", "ORTH", "TEXT", "NORM"})
MAX_OPEN_NODES = 2
PRIORITY_RANGE = (-1000, 1000)


def expand_lexicons(value: Any, lexicons: dict[str, list[str]], path: Path, report: Report) -> Any:
    """Replace `$name` in IN / NOT_IN lists (or as their whole value) with the lexicon's words."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key in {"IN", "NOT_IN"}:
                out[key] = _expand_list(item, lexicons, (*path, key), report)
            else:
                out[key] = expand_lexicons(item, lexicons, (*path, key), report)
        return out
    if isinstance(value, list):
        return [expand_lexicons(item, lexicons, (*path, i), report) for i, item in enumerate(value)]
    if isinstance(value, str) and value.startswith("$") and len(value) > 1:
        report(path, E.R206.format(name=value[1:]))
    return value


def _expand_list(item: Any, lexicons: dict[str, list[str]], path: Path, report: Report) -> Any:
    entries = [item] if isinstance(item, str) else item
    if not isinstance(entries, list):
        return item
    words: list[Any] = []
    for i, entry in enumerate(entries):
        if isinstance(entry, str) and entry.startswith("$"):
            name = entry[1:]
            if name in lexicons:
                words.extend(lexicons[name])
            else:
                where = path if isinstance(item, str) else (*path, i)
                report(where, E.R202.format(name=name, known=", ".join(sorted(lexicons)) or "none"))
        else:
            words.append(entry)
    return words


def check_regexes(value: Any, path: Path, report: Report) -> None:
    """Reject REGEX values that could backtrack catastrophically on a long token."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "REGEX" and isinstance(item, str):
                problem = _regex_problem(item)
                if problem:
                    report((*path, key), E.R207.format(regex=item, problem=problem))
            check_regexes(item, (*path, key), report)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            check_regexes(item, (*path, i), report)


def _regex_problem(regex: str) -> str:
    if len(regex) > MAX_REGEX_LENGTH:
        return f"longer than {MAX_REGEX_LENGTH} characters"
    try:
        re.compile(regex)
    except re.error as exc:
        return f"does not compile ({exc})"
    if _NESTED_QUANTIFIER.search(regex):
        return "a quantified group contains a quantifier or alternatives (catastrophic backtracking)"
    if re.search(r"\\[1-9]|\(\?P=", regex):
        return "backreferences are not allowed"
    return ""


def _spacy_errors(pattern: list[dict[str, Any]], base: Path, report: Report, single: bool = False) -> None:
    """spaCy's own pattern validation; `single` checks one token's attrs (a dependency node)."""
    seen: set[str] = set()
    for message in validate_token_pattern(pattern):
        match = _SPACY_PATH.match(message)
        if not match:
            report(base, E.R201.format(path="", problem=message))
            continue
        parts = [p for p in match.group(1).split(" -> ") if not p.startswith("TokenPattern")]
        parts = parts[1:] if single else parts
        key = " -> ".join(parts)
        if key in seen:  # spaCy reports each alternative of a union; one line is enough
            continue
        seen.add(key)
        where: Path = tuple(int(p) if p.isdigit() else p for p in parts)
        report((*base, *where), E.R201.format(path=key, problem=match.group(2)))


def declared_type(model: EventTypeModel, report: Report) -> EventType:
    """A pack's own event type: role, quantity-role and attribute names distinct lower-case
    identifiers, attribute values upper-case ones (as the proto's enum values are)."""
    seen: set[str] = set()
    for key in ("roles", "quantity_roles"):
        for i, role in enumerate(getattr(model, key)):
            if not NAME.match(role) or role in seen:
                problem = f"role {role!r} is repeated" if role in seen else f"role {role!r} is not a lower-case name"
                report((key, i), E.R114.format(name=model.name, problem=problem))
            seen.add(role)
    for name, values in model.attributes.items():
        if not NAME.match(name) or name in seen:
            report(("attributes", name), E.R114.format(name=model.name, problem=f"bad or repeated name {name!r}"))
        seen.add(name)
        for i, value in enumerate(values):
            if not re.fullmatch(r"[A-Z][A-Z0-9_]*", value):
                problem = f"attribute value {value!r} is not an upper-case name"
                report(("attributes", name, i), E.R114.format(name=model.name, problem=problem))
    return EventType(
        model.name, tuple(model.roles), tuple(model.quantity_roles),
        tuple(Attribute(name, tuple(values)) for name, values in model.attributes.items()), model.description,
    )  # fmt: skip


def _event_type(model: RuleModel, types: Mapping[str, EventType], report: Report) -> EventType:
    """The rule's event type; an unknown one is reported and stands in with no roles."""
    if model.event in types:
        return types[model.event]
    report(("event",), E.R112.format(event=model.event, known=", ".join(types)))
    return EventType(model.event, ())


def _check_attributes(model: RuleModel, event: EventType, report: Report) -> None:
    """`attributes:` sets a declared type's attributes; built-in types' builders set their own
    (a casualty rule fixes its kind with `casualty_kind`)."""
    for name, value in model.attributes.items():
        declared = event.attribute(name)
        if event.builtin:
            problem = "built-in types set their attributes themselves (casualty rules: `casualty_kind`)"
            report(("attributes", name), E.R210.format(name=name, event=event.name, problem=problem))
        elif declared is None:
            known = ", ".join(a.name for a in event.attributes) or "none"
            report(("attributes", name), E.R210.format(name=name, event=event.name, problem=f"not declared ({known})"))
        elif value not in declared.values:
            problem = f"{value!r} is not one of {', '.join(declared.values)}"
            report(("attributes", name), E.R210.format(name=name, event=event.name, problem=problem))


def build_spec(
    model: RuleModel, raw: dict[str, Any], lexicons: dict[str, list[str]],
    file: str, line: int, examples_lines: list[int], report: Report,
    types: Mapping[str, EventType], priorities: Mapping[str, int],
    file_expand: Mapping[str, Expansion] | None = None,
) -> RuleSpec:  # fmt: skip
    """Validate `model` (its raw dict gives the pre-schema values) against the pack's event
    `types` and named `priorities`, and normalise it. `file_expand` is the file's `expand:`: how a
    role grows in each of its rules that assigns the role and names no growth of its own."""
    event = _event_type(model, types, report)
    roles = set(event.rule_roles)
    role_list = ", ".join(event.rule_roles)
    assigned: set[str] = set()
    attrs: set[str] = set()

    def need_role(role: str, where: Path) -> None:
        if role not in roles and event.name in types:
            report(where, E.R203.format(role=role, event=model.event, roles=role_list))
        assigned.add(role)

    kinds = [k for k in ("pattern", "dependency", "phrases") if getattr(model, k) is not None]
    if len(kinds) != 1:
        report((), E.R111.format(found=", ".join(kinds) or "none"))
    kind = cast(RuleKind, kinds[0] if kinds else "pattern")
    check_regexes(raw.get(kind), (kind,), report)

    token_roles: list[str | None] = []
    pattern: list[Any] = []
    alternatives: list[list[dict[str, Any]]] = []
    if kind == "pattern" and model.pattern:
        for i, token in enumerate(model.pattern):
            token = dict(token)
            role = token.pop("as", None)
            if role is not None:
                need_role(str(role), ("pattern", i, "as"))
            token_roles.append(None if role is None else str(role))
            pattern.append(expand_lexicons(token, lexicons, ("pattern", i), report))
        _spacy_errors(pattern, ("pattern",), report)
        for token in pattern:
            attrs |= pattern_attrs(token)
    elif kind == "dependency" and model.dependency:
        pattern, alternatives = _check_dependency(model.dependency, lexicons, need_role, report)
        attrs |= {"DEP"}
        for node in pattern:
            attrs |= pattern_attrs(node.get("RIGHT_ATTRS") or {})
    elif kind == "phrases" and model.phrases:
        need_role(model.phrase_role, ("phrase_role",))
        pattern = list(model.phrases)

    if (model.partial_priority is not None or model.partial_confidence is not None) and not alternatives:
        report(
            ("partial_priority",),
            E.R215.format(node="-", problem="partial_priority/partial_confidence need an OPTIONAL node"),
        )
    if model.rementions and not model.veto:
        report(("rementions",), E.R216.format())
    if model.casualty_kind and model.event != "casualty":
        report(("casualty_kind",), E.R209.format(event=model.event))
    _check_attributes(model, event, report)
    for role in model.expand:
        if role not in assigned:
            report(("expand", role), E.R208.format(role=role))
    expand = {role: how for role, how in (file_expand or {}).items() if role in assigned} | model.expand
    partial = model.partial_priority
    partial_priority = None if partial is None else _priority(partial, priorities, report, "partial_priority")
    spec = RuleSpec(
        id=model.id, event=model.event, description=model.description,
        confidence=model.confidence, priority=_priority(model.priority, priorities, report, "priority"),
        status=model.status, kind=kind, veto=model.veto, rementions=model.rementions,
        variants=tuple(tuple(variant) for variant in alternatives),
        partial_priority=partial_priority,
        partial_confidence=model.partial_confidence,
        file=file, line=line, pattern=tuple(pattern), token_roles=tuple(token_roles),
        phrase_attr=model.phrase_attr, phrase_role=model.phrase_role,
        expand=tuple(sorted(expand.items())), casualty_kind=model.casualty_kind,
        attributes=tuple(sorted(model.attributes.items())), negation=model.negation, context=model.context,
        quantity_roles=frozenset(event.quantity_roles),
        examples=tuple(
            Example(text=ex.text, expect=tuple(ex.expect), line=examples_lines[i])
            for i, ex in enumerate(model.examples)
        ),
    )  # fmt: skip
    for role in assigned:
        attrs |= set(EXPANSION_ATTRS[spec.expansion(role)])
    return replace(spec, attrs=frozenset(attrs))


def _priority(value: int | str, priorities: Mapping[str, int], report: Report, key: str) -> int:
    """A rule's priority (`key`): a number in PRIORITY_RANGE or a level the pack names."""
    if isinstance(value, str):
        if value in priorities:
            return priorities[value]
        report((key,), E.R116.format(name=value, known=", ".join(priorities) or "none"))
        return 0
    low, high = PRIORITY_RANGE
    if not low <= value <= high:
        report((key,), E.R118.format(value=value, low=low, high=high))
    return value


def _check_dependency(
    nodes: list[dict[str, Any]], lexicons: dict[str, list[str]],
    need_role: Callable[[str, Path], None], report: Report,
) -> tuple[list[dict[str, Any]], list[list[dict[str, Any]]]]:  # fmt: skip
    """Structure per spaCy's DependencyMatcher: an anchor first, then nodes linked to known ids.
    Returns the nodes (without OPTIONAL, a ONE_OF node with its first alternative) and the
    variants the OPTIONAL and ONE_OF nodes make."""
    known: set[str] = set()
    out: list[dict[str, Any]] = []
    optional: list[int] = []
    choices: dict[int, list[dict[str, Any]]] = {}
    open_nodes: list[str] = []
    for i, node in enumerate(nodes):
        where: Path = ("dependency", i)
        if i and OPTIONAL in node:
            if node[OPTIONAL] is not True:
                report(
                    (*where, OPTIONAL),
                    E.R215.format(node=node.get("RIGHT_ID"), problem="write `OPTIONAL: true` or leave it out"),
                )
            optional.append(i)
            node = {key: value for key, value in node.items() if key != OPTIONAL}
        allowed = {"RIGHT_ID", "RIGHT_ATTRS", ONE_OF} | (set() if i == 0 else {"LEFT_ID", "REL_OP"})
        for key in set(node) - allowed:
            report((*where, key), E.R204.format(problem=f"unexpected key {key!r} in node {i}"))
        optional_keys = {ONE_OF, "RIGHT_ATTRS"} if ONE_OF in node else {ONE_OF}  # ONE_OF carries the attrs
        for key in sorted(allowed - set(node) - optional_keys):
            report(where, E.R204.format(problem=f"node {i} needs {key}"))
        right_id = node.get("RIGHT_ID")
        if not isinstance(right_id, str):
            continue
        if right_id in known:
            report((*where, "RIGHT_ID"), E.R204.format(problem=f"RIGHT_ID {right_id!r} repeats"))
        if not right_id.startswith("_"):
            need_role(right_id, (*where, "RIGHT_ID"))
        if i and node.get("LEFT_ID") not in known:
            problem = f"LEFT_ID {node.get('LEFT_ID')!r} is not a RIGHT_ID defined above"
            report((*where, "LEFT_ID"), E.R204.format(problem=problem))
        if i and node.get("REL_OP") not in REL_OPS:
            problem = f"unknown REL_OP {node.get('REL_OP')!r}"
            report((*where, "REL_OP"), E.R204.format(problem=problem))
        known.add(right_id)
        shared = node.get("RIGHT_ATTRS") or {}
        alternatives = [_node_attrs(shared, lexicons, where, report)]
        if ONE_OF in node:
            alternatives = _alternatives(node[ONE_OF], shared, lexicons, where, report) or alternatives
            choices[len(out)] = alternatives
            node = {key: value for key, value in node.items() if key != ONE_OF}
        out.append({**node, "RIGHT_ATTRS": alternatives[0]})
        if any(_open({**node, "RIGHT_ATTRS": attrs}, anchor=i == 0) for attrs in alternatives):
            open_nodes.append(right_id)
    if len(open_nodes) > MAX_OPEN_NODES:
        report(("dependency",), E.R213.format(nodes=", ".join(open_nodes), limit=MAX_OPEN_NODES))
    return out, variants(out, optional, choices, report)


def _node_attrs(attrs: Any, lexicons: dict[str, list[str]], where: Path, report: Report) -> dict[str, Any]:
    """A node's RIGHT_ATTRS with lexicons expanded, checked by spaCy."""
    expanded = expand_lexicons(attrs, lexicons, (*where, "RIGHT_ATTRS"), report)
    if not isinstance(expanded, dict):
        report((*where, "RIGHT_ATTRS"), E.R204.format(problem="RIGHT_ATTRS must be a mapping"))
        return {}
    _spacy_errors([expanded], (*where, "RIGHT_ATTRS"), report, single=True)
    return expanded


def _alternatives(
    value: Any, shared: Any, lexicons: dict[str, list[str]], where: Path, report: Report
) -> list[dict[str, Any]]:
    """A node's ONE_OF: each alternative laid over the node's shared RIGHT_ATTRS."""
    if not isinstance(value, list) or len(value) < 2 or not all(isinstance(alt, dict) for alt in value):
        report((*where, ONE_OF), E.R204.format(problem="ONE_OF must list two or more attribute mappings"))
        return []
    base = shared if isinstance(shared, dict) else {}
    return [_node_attrs({**base, **alt}, lexicons, (*where, ONE_OF, n), report) for n, alt in enumerate(value)]


def _open(node: dict[str, Any], anchor: bool) -> bool:
    """A node that may match any token: no word attribute, and no bounded link (or the anchor)."""
    attrs = node.get("RIGHT_ATTRS")
    names = set(attrs) if isinstance(attrs, dict) else set()
    return not names & _WORD_ATTRS and (anchor or node.get("REL_OP") in _UNBOUNDED_OPS)
