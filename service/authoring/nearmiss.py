"""Why a rule did not fire: the deepest pattern node a partial match reached and the constraint
that stopped it ("node attacker: DEP nsubj expected, nsubjpass found on 'soldiers'").

Which tokens satisfy a node, and each attribute of it, is asked of spaCy's own `Matcher` (one
single-token pattern per node and per attribute, REGEX bounded as in serving), so the verdicts use
the matcher's exact semantics. The search is a heuristic on top, cheap and bounded:

- token patterns are walked greedily from every token that fits the first node (`?`, `*`, `+`,
  `{n,m}` take as many tokens as match, `!` needs one token that does not);
- dependency patterns are searched depth first in pattern order, each node among the tokens its
  parent's `REL_OP` allows;

both at most `WORK_LIMIT` steps per rule (the best failure found by then is reported).

The best partial match is the one that got furthest (then the one whose failing token satisfies
most of the node's attributes, then the earliest). Its failure is one of four kinds: `attribute`
(a token attribute differs), `dependency` (the `DEP` attribute differs), `operator` (a token has
the node's attributes but not the `REL_OP` relation to its parent, or matches an `OP: "!"` node)
and `missing` (no token where the node needs one: none in relation to the parent, none with the
attribute anywhere, or the text ends).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from spacy.matcher import Matcher
from spacy.tokens import Doc, Token

from service.engine.contexts import context_words, present
from service.engine.depmatch import BoundedDependencyMatcher, tree_roots
from service.engine.regex import bound_token
from service.rules.schema import DocContext, RuleSpec

Kind = Literal["attribute", "dependency", "operator", "missing"]
WORK_LIMIT = 20_000
SHOWN_VALUES = 5
LINEAGE_CHECKS = 32
"""Tokens with a node's attributes tested for another relation to the parent than the rule's."""
_COUNTS = {"?": (0, 1), "*": (0, 1 << 30), "+": (1, 1 << 30)}


@dataclass(frozen=True, slots=True)
class NearMiss:
    """Where one rule's best partial match stopped."""

    rule_id: str
    node: str  # the role (or `_id`, or `token N`) of the pattern node that failed
    node_index: int
    matched: tuple[int, ...]  # the tokens of the nodes before it
    kind: Kind
    constraint: str  # what the node needed: "DEP nsubj", "REL_OP >", "LEMMA in [attack, strike]"
    found: str  # what the text had instead ("" when there was no token)
    token: int | None  # the token that failed the constraint, if any
    message: str


def _values(value: Any) -> str:
    items = [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]
    more = f", … (+{len(items) - SHOWN_VALUES})" if len(items) > SHOWN_VALUES else ""
    return f"[{', '.join(items[:SHOWN_VALUES])}{more}]"


def describe(key: str, value: Any) -> str:
    """A pattern attribute as authors read it: `LEMMA in [attack, strike]`, `DEP nsubj`."""
    if not isinstance(value, dict):
        return f"{key} {value}"
    words = {"IN": "in", "NOT_IN": "not in", "REGEX": "matching", "IS_SUBSET": "within", "IS_SUPERSET": "holding"}
    parts = [f"{words.get(op, op)} {_values(v) if op != 'REGEX' else '/' + str(v) + '/'}" for op, v in value.items()]
    return f"{key} {' and '.join(parts)}"


def found_value(token: Token, key: str) -> str:
    """The token's value of a pattern attribute, as the pattern compares it."""
    key = key.upper()
    if key in {"ORTH", "TEXT"}:
        return token.text
    if key == "LENGTH":
        return str(len(token))
    if key == "MORPH":
        return str(token.morph) or "(none)"
    if key.startswith(("IS_", "LIKE_")):
        return str(getattr(token, key.lower(), ""))
    if key == "_":
        return "(extension attributes)"
    return str(getattr(token, f"{key.lower()}_", "")) or "(none)"


class NodeTests:
    """Token sets per (rule, node) and per (rule, node, attribute), from one Matcher run."""

    def __init__(self, doc: Doc) -> None:
        self._doc = doc
        self._matcher = Matcher(doc.vocab, validate=False)
        self._names: list[tuple[str, int, str]] = []
        self._hits: dict[tuple[str, int, str], set[int]] = {}

    def add(self, rule: RuleSpec, index: int, attrs: dict[str, Any]) -> None:
        for key, pattern in (("", attrs), *((k, {k: v}) for k, v in attrs.items())):
            name = (rule.id, index, key)
            self._names.append(name)
            self._matcher.add(f"{rule.id}\0{index}\0{key}", [[bound_token(pattern)]])

    def run(self) -> None:
        strings = self._doc.vocab.strings
        self._hits = {name: set() for name in self._names}
        if not self._names:
            return  # every rule fired (a Matcher without patterns only warns)
        for key, start, _end in self._matcher(self._doc):
            rule_id, index, attr = strings[key].split("\0")
            self._hits[(rule_id, int(index), attr)].add(start)

    def tokens(self, rule: RuleSpec, index: int, attr: str = "") -> set[int]:
        return self._hits[(rule.id, index, attr)]


@dataclass(frozen=True, slots=True)
class _Node:
    name: str
    attrs: dict[str, Any]
    parent: int | None = None
    op: str = ""
    count: tuple[int, int] = (1, 1)
    negated: bool = False


def _token_nodes(rule: RuleSpec) -> list[_Node]:
    nodes = []
    for index, (token, role) in enumerate(zip(rule.pattern, rule.token_roles, strict=True)):
        op = str(token.get("OP", "1"))
        attrs = {k: v for k, v in token.items() if k != "OP"}
        nodes.append(_Node(role or f"token {index + 1}", attrs, count=_count(op), negated=op == "!"))
    return nodes


def _count(op: str) -> tuple[int, int]:
    if op in _COUNTS:
        return _COUNTS[op]
    if op.startswith("{"):
        low, _, high = op.strip("{}").partition(",")
        if "," not in op:
            return int(low), int(low)
        return int(low or 0), int(high) if high else 1 << 30
    return 1, 1


def _dependency_nodes(rule: RuleSpec) -> list[_Node]:
    index = {node["RIGHT_ID"]: i for i, node in enumerate(rule.pattern)}
    return [
        _Node(node["RIGHT_ID"], dict(node.get("RIGHT_ATTRS", {})), index.get(node.get("LEFT_ID", "")),
              node.get("REL_OP", ""))
        for node in rule.pattern
    ]  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Failure:
    node: int
    matched: tuple[int, ...]
    token: int | None
    satisfied: int
    kind: Kind
    constraint: str
    found: str
    message: str

    @property
    def score(self) -> tuple[int, int]:
        return self.node, self.satisfied


class _Search:
    """One rule's best failure among its partial matches."""

    def __init__(self, rule: RuleSpec, nodes: list[_Node], tests: NodeTests, doc: Doc) -> None:
        self.rule, self.nodes, self.tests, self.doc = rule, nodes, tests, doc
        self.best: _Failure | None = None
        self.chosen: list[int] = []  # dependency search: the token of each node matched so far
        self.work = 0

    def may_improve(self, index: int) -> bool:
        """Whether a failure at node `index` could beat the best one (it scores at most all of
        the node's attributes): the others are not worth explaining."""
        return self.best is None or self.best.score < (index, len(self.nodes[index].attrs))

    def record(self, failure: _Failure) -> None:
        if self.best is None or failure.score > self.best.score:
            self.best = failure

    def satisfied(self, index: int, token: int) -> int:
        return sum(token in self.tests.tokens(self.rule, index, key) for key in self.nodes[index].attrs)

    def attribute_failure(self, index: int, token: int, matched: tuple[int, ...]) -> _Failure:
        """The first attribute of node `index` that `token` does not satisfy."""
        node, tok = self.nodes[index], self.doc[token]
        key = next(k for k in node.attrs if token not in self.tests.tokens(self.rule, index, k))
        constraint, found = describe(key, node.attrs[key]), found_value(tok, key)
        kind: Kind = "dependency" if key == "DEP" else "attribute"
        message = f"node {node.name}: {constraint} expected, {found} found on {tok.text!r}"
        return _Failure(index, matched, token, self.satisfied(index, token), kind, constraint, found, message)

    def nowhere(self, index: int, matched: tuple[int, ...], candidates: Iterable[int]) -> _Failure:
        """Node `index` fails on every candidate token: the closest one's attribute, or `missing`
        when none satisfies any attribute of a node that has several."""
        node = self.nodes[index]
        pool = list(candidates)
        best = max(pool, key=lambda t: self.satisfied(index, t), default=None)
        if best is not None and (self.satisfied(index, best) or (len(node.attrs) == 1 and index > 0)):
            return self.attribute_failure(index, best, matched)
        constraint = " and ".join(describe(k, v) for k, v in node.attrs.items()) or "any token"
        return _Failure(index, matched, None, 0, "missing", constraint, "",
                        f"node {node.name}: no token has {constraint}")  # fmt: skip


def _walk_tokens(search: _Search) -> None:
    """Greedy walk of a token pattern from every start token."""
    doc, nodes = search.doc, search.nodes
    starts: Iterable[int] = range(len(doc))
    first = nodes[0] if nodes else None
    if first is not None and first.count[0] >= 1 and not first.negated:
        # a walk from a token that fails the first node gets nowhere: judge that node once
        starts = sorted(search.tests.tokens(search.rule, 0))
        if not starts:
            search.record(search.nowhere(0, (), range(len(doc))))
            return
    for start in starts:
        if search.work > WORK_LIMIT:
            return
        pos, matched = start, list[int]()
        for index, node in enumerate(nodes):
            search.work += 1
            ok = search.tests.tokens(search.rule, index)
            if node.negated:
                if pos >= len(doc):
                    search.record(_end_of_text(index, node, tuple(matched)))
                    break
                if pos in ok:
                    constraint = f"OP ! on {' and '.join(describe(k, v) for k, v in node.attrs.items())}"
                    message = f"node {node.name}: {doc[pos].text!r} must not match ({constraint})"
                    search.record(_Failure(index, tuple(matched), pos, len(node.attrs), "operator",
                                           constraint, doc[pos].text, message))  # fmt: skip
                    break
                pos += 1
                continue
            low, high = node.count
            taken = 0
            while taken < high and pos + taken < len(doc) and pos + taken in ok:
                taken += 1
            if taken < low:
                at = pos + taken
                if at >= len(doc):
                    search.record(_end_of_text(index, node, tuple(matched)))
                elif index == 0:
                    search.record(search.nowhere(index, (), [at]))
                else:
                    search.record(search.attribute_failure(index, at, tuple(matched)))
                break
            matched += range(pos, pos + taken)
            pos += taken
    if search.best is None and not len(doc) and nodes:
        search.record(_end_of_text(0, nodes[0], ()))


def _end_of_text(index: int, node: _Node, matched: tuple[int, ...]) -> _Failure:
    return _Failure(index, matched, None, 0, "missing", "a token", "", f"node {node.name}: the text ends before it")


def _walk_dependency(search: _Search, ops: dict[str, Any], cache: dict[tuple[int, str], list[int]]) -> None:
    """Depth-first search of a dependency pattern, recording where each branch dies. `cache`
    holds the tokens each (token, REL_OP) relates to, shared by the rules of one Doc."""
    doc, nodes, rule, chosen = search.doc, search.nodes, search.rule, search.chosen

    def visit(index: int) -> None:
        search.work += 1
        if index == len(nodes) or search.work > WORK_LIMIT:
            return
        ok = search.tests.tokens(rule, index)
        node = nodes[index]
        if node.parent is None:
            pool = sorted(ok)
            if not pool and search.may_improve(index):
                search.record(search.nowhere(index, (), range(len(doc))))
        else:
            head = chosen[node.parent]
            related = cache.get((head, node.op))
            if related is None:
                related = cache[(head, node.op)] = [t.i for t in ops[node.op](doc, head)]
                search.work += len(related)
            pool = [t for t in related if t in ok]
            if not pool and search.may_improve(index):
                search.record(_relation_failure(search, index, head, related, ok))
        for token in pool:
            chosen.append(token)
            visit(index + 1)
            chosen.pop()

    visit(0)


def _lineage(head: Token, token: Token) -> str:
    """How `token` stands to `head` in the tree, if it is in its line: >, <, >> or <<."""
    if token.head.i == head.i != token.i:
        return ">"
    if head.head.i == token.i != head.i:
        return "<"
    if head.is_ancestor(token):
        return ">>"
    return "<<" if token.is_ancestor(head) else ""


def _relation_failure(search: _Search, index: int, head: int, related: Sequence[int], ok: set[int]) -> _Failure:
    """Why no token in relation to the parent fits node `index`: a token with the node's
    attributes stands elsewhere in the parent's line (operator), a related token lacks an
    attribute (attribute / dependency), or nothing stands in that relation at all (missing)."""
    doc, node = search.doc, search.nodes[index]
    parent = search.nodes[node.parent or 0]
    matched = tuple(search.chosen)
    relation = f"{node.op} {parent.name} {doc[head].text!r}"
    lines = ((t, _lineage(doc[head], doc[t])) for t in sorted(ok)[:LINEAGE_CHECKS])
    token, holds = next(((t, line) for t, line in lines if line), (None, ""))
    search.work += LINEAGE_CHECKS
    if token is not None:
        found = f"{holds} {parent.name}"
        message = f"node {node.name}: {doc[token].text!r} fits the node but is not {relation} (it is {found})"
        return _Failure(index, matched, token, len(node.attrs), "operator", f"REL_OP {node.op}", found, message)
    if related:
        return search.nowhere(index, matched, related)
    return _Failure(index, matched, None, 0, "missing", f"REL_OP {node.op}", "",
                    f"node {node.name}: no token is {relation}")  # fmt: skip


def near_misses(doc: Doc, rules: Sequence[RuleSpec], contexts: Sequence[DocContext] = ()) -> list[NearMiss]:
    """The near miss of each rule (that produced no candidate on `doc`), in the given order; a
    rule confined to a document context (`contexts`: the pack's) the document is not in misses
    on that first."""
    tests = NodeTests(doc)
    plans: list[tuple[RuleSpec, list[_Node]]] = []
    here, by_name = present(doc, contexts), {c.name: c for c in contexts}
    out = []
    for rule in rules:
        if rule.context is not None and rule.context not in here:  # the loader saw it declared
            out.append(_out_of_context(doc, rule, by_name[rule.context]))
            continue
        if rule.kind == "phrases":
            plans.append((rule, []))
            continue
        nodes = _token_nodes(rule) if rule.kind == "pattern" else _dependency_nodes(rule)
        for index, node in enumerate(nodes):
            tests.add(rule, index, node.attrs)
        plans.append((rule, nodes))
    tests.run()
    ops_matcher = BoundedDependencyMatcher(doc.vocab)
    ops_matcher._roots = tree_roots(doc)  # what its sentence operators read (set per call)
    ops: dict[str, Any] = ops_matcher._ops
    related: dict[tuple[int, str], list[int]] = {}
    for rule, nodes in plans:
        if rule.kind == "phrases":
            message = f"none of the rule's {len(rule.pattern)} phrases occurs ({rule.phrase_attr})"
            out.append(NearMiss(rule.id, rule.phrase_role, 0, (), "missing", "a phrase", "", None, message))
            continue
        if rule.kind == "dependency" and not doc.has_annotation("DEP"):
            continue
        search = _Search(rule, nodes, tests, doc)
        if rule.kind == "pattern":
            _walk_tokens(search)
        else:
            _walk_dependency(search, ops, related)
        best = search.best
        if best is not None:
            out.append(NearMiss(rule.id, nodes[best.node].name, best.node, best.matched, best.kind,
                                best.constraint, best.found, best.token, best.message))  # fmt: skip
    return out


def _out_of_context(doc: Doc, rule: RuleSpec, context: DocContext) -> NearMiss:
    need = f"context {context.name}"
    words = sorted(context_words(doc, context))
    message = f"{need}: the document holds {len(words)} of the {context.needs(len(doc))} words it needs"
    return NearMiss(rule.id, "context", 0, (), "missing", need, ", ".join(words), None, message)
