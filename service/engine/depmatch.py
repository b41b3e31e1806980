"""spaCy's DependencyMatcher with the same matches in the same order, in bounded time.

spaCy's matcher finds the tree root of every token that matches a node by walking its ancestors
(quadratic in a long sentence: a 2,000-token one took 40 s) and then tries the cartesian product
of every node's candidate tokens under that root (exponential in the number of nodes that match
anything). Here roots come from one pass over the heads, each node only tries the tokens its
parent's relation allows (a depth-first search in pattern order, which yields the product's
matches in the product's order), and the work for one pattern under one root is capped at
`WORK_LIMIT` steps: a pattern that needs more finds nothing in that sentence, and the cut is
counted in `cut_off`. Normal sentences need a few hundred steps.

Only rules that can fire are tried. A rule is indexed by its anchors: the ORTH, LOWER or LEMMA
values of its nodes (an exact value or an `IN` list; every node must match some token of the
match's tree, so a tree without a token for each of them cannot hold a match). An inverted index
from anchor values to rules picks the rules whose most selective anchor occurs in the document;
a rule with no such node always runs. The output keeps spaCy's order: rules in the order they were
added, sentences in text order within each. `seconds` holds the CPU time each tried rule took in
the last call (the per-rule cost the service exports; a node constraint shared by several rules is
charged to the first that needs it in a document).

Node constraints are shared between rules. Each distinct constraint (a node's RIGHT_ATTRS, in a
canonical form) is evaluated at most once per document into the tokens that satisfy it, grouped
by tree: exact values and `IN` lists of ORTH, LOWER, LEMMA, POS, TAG, DEP, ENT_TYPE and the other
plain token attributes are read from `Doc.to_array` columns through a per-document inverted index
(the values spaCy's `Matcher` compares, see `_conditions`), any other constraint (extensions and
bounded REGEX, comparisons, MORPH, ...) by a one-pattern spaCy `Matcher` over the document.
Matching then walks the relations from those tokens (`_search`). Where this could differ from
running each rule's own token matcher over its sentences, that is still what runs: in a document
whose trees are not contiguous runs of tokens (not sentences), for a rule with an `OP` in a node,
and for a rule using TAG, POS, MORPH, LEMMA or DEP on a document without that annotation (spaCy's
`Matcher` refuses it with the same error). spaCy's own token Matcher, into which its `add`
compiles every node, is never run here, so `add` keeps spaCy's bookkeeping without that compile
(it was half the pack's compile time).
"""

from __future__ import annotations

import itertools
import json
import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from spacy.attrs import HEAD, IDS
from spacy.matcher import DependencyMatcher, Matcher
from spacy.strings import get_string_id
from spacy.tokens import Doc, Span, Token
from spacy.vocab import Vocab

from service.events.ranges import merged

WORK_LIMIT = 200_000
ANCHOR_ATTRS = ("ORTH", "LOWER", "LEMMA")
log = logging.getLogger("sitrep.engine")

# Attributes whose `Doc.to_array` column holds what spaCy's Matcher compares (`get_token_attr`;
# SENT_START, ENT_IOB strings and MORPH sets are matched differently and go to spaCy's Matcher).
_COLUMN_ATTRS = frozenset(
    {"ORTH", "LOWER", "NORM", "SHAPE", "PREFIX", "SUFFIX", "LENGTH", "LEMMA", "POS", "TAG", "DEP", "ENT_TYPE",
     "IS_ALPHA", "IS_ASCII", "IS_DIGIT", "IS_LOWER", "IS_PUNCT", "IS_SPACE", "IS_TITLE", "IS_UPPER", "LIKE_URL",
     "LIKE_NUM", "LIKE_EMAIL", "IS_STOP", "IS_BRACKET", "IS_QUOTE", "IS_LEFT_PUNCT", "IS_RIGHT_PUNCT",
     "IS_CURRENCY"}
)  # fmt: skip
# spaCy's Matcher raises E155 for a pattern using one of these on a Doc without the annotation.
_ANNOTATED = ("TAG", "POS", "MORPH", "LEMMA", "DEP")

Condition = tuple[int, str, Any]  # (attribute id, "eq" | "in" | "not_in", value or frozenset)


class _OverBudget(Exception):
    """The search for one pattern under one root took more than WORK_LIMIT steps."""


HashedAnchors = list[list[tuple[int, frozenset[int]]]]
"""Per pattern of a rule, its anchors as (attribute id, value hashes), most selective first."""
AnchorIndex = tuple[dict[int, dict[int, set[int]]], set[int]]
"""Anchor attribute → value → the rules one of whose patterns has it as its most selective
anchor; and the rules without anchors, tried everywhere."""


def tree_roots(doc: Doc) -> list[int]:
    """The index of each token's tree root (its last ancestor), in one pass over the heads."""
    relative = doc.to_array(HEAD).astype("int64").tolist() if len(doc) else []
    heads = [i + offset for i, offset in enumerate(relative)]
    roots = [-1] * len(heads)
    for start in range(len(heads)):
        path: list[int] = []
        node = start
        while roots[node] < 0 and heads[node] != node and len(path) <= len(heads):
            path.append(node)
            node = heads[node]
        root = roots[node] if roots[node] >= 0 else node
        roots[node] = root
        for visited in path:
            roots[visited] = root
    return roots


def sentence_runs(doc: Doc, roots: list[int]) -> list[int] | None:
    """The tree roots in text order when every tree is one contiguous run of tokens that is also
    its root's extent (left to right edge), as in a parsed Doc's sentences; otherwise None."""
    runs: list[tuple[int, int, int]] = []  # (root, start, end)
    seen: set[int] = set()
    for i, root in enumerate(roots):
        if runs and runs[-1][0] == root:
            runs[-1] = (root, runs[-1][1], i + 1)
            continue
        if root in seen:
            return None
        seen.add(root)
        runs.append((root, i, i + 1))
    for root, start, end in runs:
        token = doc[root]
        if token.left_edge.i != start or token.right_edge.i + 1 != end:
            return None
    return [root for root, _, _ in runs]


class _DocIndex:
    """One call's view of a Doc: attribute columns, value → positions, and each node constraint's
    tokens grouped by tree, each computed once and shared by every rule."""

    def __init__(self, doc: Doc, roots: list[int], constraints: dict[str, list[Condition] | Matcher]) -> None:
        self.doc, self.roots, self._constraints = doc, roots, constraints
        self._columns: dict[int, list[int]] = {}
        self._positions: dict[int, dict[int, list[int]]] = {}
        self._found: dict[str, dict[int, list[int]]] = {}
        self._trees: dict[tuple[int, frozenset[int]], frozenset[int]] = {}
        self._missing: set[str] | None = None

    def column(self, attr: int) -> list[int]:
        got = self._columns.get(attr)
        if got is None:
            got = self._columns[attr] = self.doc.to_array(attr).tolist() if len(self.doc) else []
        return got

    def positions(self, attr: int) -> dict[int, list[int]]:
        got = self._positions.get(attr)
        if got is None:
            grouped: dict[int, list[int]] = defaultdict(list)
            for i, value in enumerate(self.column(attr)):
                grouped[value].append(i)
            got = self._positions[attr] = dict(grouped)
        return got

    def missing(self) -> set[str]:
        """The annotations spaCy's Matcher would ask for that the Doc lacks."""
        if self._missing is None:
            self._missing = {attr for attr in _ANNOTATED if not self.doc.has_annotation(attr)}
        return self._missing

    def trees_with(self, attr: int, values: frozenset[int]) -> frozenset[int]:
        """The trees holding a token whose `attr` is one of `values`."""
        got = self._trees.get((attr, values))
        if got is None:
            index = self.positions(attr)
            present = [v for v in values if v in index] if len(values) < len(index) else index.keys() & values
            got = self._trees[(attr, values)] = frozenset(self.roots[i] for v in present for i in index[v])
        return got

    def found(self, key: str) -> dict[int, list[int]]:
        """The tokens that satisfy constraint `key`, ascending, grouped by tree root."""
        got = self._found.get(key)
        if got is None:
            constraint = self._constraints[key]
            if isinstance(constraint, Matcher):
                tokens = sorted({start for _, start, _ in constraint(self.doc)})
            else:
                tokens = self._evaluate(constraint)
            grouped: dict[int, list[int]] = defaultdict(list)
            roots = self.roots
            for i in tokens:
                grouped[roots[i]].append(i)
            got = self._found[key] = dict(grouped)
        return got

    def _evaluate(self, conditions: list[Condition]) -> list[int]:
        """The tokens meeting every condition: the fewest candidates an exact value or `IN` list
        gives (or every token), then the other conditions on their columns."""
        best: Sequence[int] | None = None
        best_condition: Condition | None = None
        rest: list[Condition] = []
        for condition in conditions:
            attr, kind, value = condition
            if kind == "not_in":
                rest.append(condition)
                continue
            index = self.positions(attr)
            if kind == "eq":
                candidates: Sequence[int] = index.get(value, ())
            else:
                present = [v for v in value if v in index] if len(value) < len(index) else index.keys() & value
                candidates = sorted(i for v in present for i in index[v])
            if best is None or len(candidates) < len(best):
                if best_condition is not None:
                    rest.append(best_condition)
                best, best_condition = candidates, condition
            else:
                rest.append(condition)
        tokens: Sequence[int] = range(len(self.doc)) if best is None else best
        for attr, kind, value in rest:
            if not tokens:
                break
            column = self.column(attr)
            if kind == "eq":
                tokens = [i for i in tokens if column[i] == value]
            elif kind == "in":
                tokens = [i for i in tokens if column[i] in value]
            else:
                tokens = [i for i in tokens if column[i] not in value]
        return list(tokens)


class BoundedDependencyMatcher(DependencyMatcher):
    """Drop-in for `spacy.matcher.DependencyMatcher` on a parsed Doc (no callbacks)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cut_off = 0
        self._roots: list[int] = []
        self._nodes: dict[int, Matcher] = {}  # a rule's own token matcher, built when first needed
        # Per pattern, the (attribute, values) every match's tree must hold; None: always tried.
        self._anchors: dict[int, HashedAnchors | None] = {}
        self._node_keys: dict[int, list[list[str]]] = {}  # per pattern, each node's constraint key
        self._parents: dict[int, list[list[tuple[int, str] | None]]] = {}
        self._constraints: dict[str, list[Condition] | Matcher] = {}  # shared by every rule
        self._own: set[int] = set()  # rules that always run their own token matcher (an `OP` in a node)
        self._needs: dict[int, frozenset[str]] = {}  # the _ANNOTATED attributes a rule's nodes use
        self._order: dict[int, int] = {}  # the order rules were added in (spaCy's output order)
        self._added = itertools.count()
        self._index: AnchorIndex | None = None
        self.seconds: dict[int, float] = {}  # CPU seconds per tried rule key, in the last call

    def add(self, key: str | int, patterns: list[list[dict[str, Any]]], *, on_match: Any = None) -> None:
        norm = self._add_patterns(key, patterns, on_match)
        node_patterns: Any = self._patterns  # spaCy's stubs key these by str; they hold int keys
        trees: Any = self._tree
        raw: Any = self._raw_patterns
        self._nodes.pop(norm, None)
        self._order.setdefault(norm, next(self._added))
        self._node_keys[norm], self._parents[norm] = [], []
        needs: set[str] = set()
        for pattern, tree in zip(node_patterns[norm], trees[norm], strict=True):
            keys = []
            for (attrs,) in pattern:
                names = {str(name).upper() for name in attrs}
                needs |= names & set(_ANNOTATED)
                if "OP" in names:  # a one-token pattern with an operator: left to the rule's own matcher
                    self._own.add(norm)
                    keys.append("")
                else:
                    keys.append(self._constraint(attrs))
            self._node_keys[norm].append(keys)
            self._parents[norm].append(_parents(tree, len(pattern)))
        self._needs[norm] = frozenset(needs)
        self._anchors[norm] = hashed_anchors(raw[norm])
        self._index = None

    def _add_patterns(self, key: str | int, patterns: list[list[dict[str, Any]]], on_match: Any) -> int:
        """spaCy's `DependencyMatcher.add` without its last step, which compiles every node into
        spaCy's one token Matcher: this class never runs that Matcher (nodes are matched from
        `_constraints`, and a rule's own token matcher is built from `_patterns` when first
        needed), and the compile was half the pack's (long lexicons such as `people` on many nodes).
        Returns the rule's key as spaCy keeps it."""
        spacy: Any = self  # spaCy's stubs declare neither these methods nor the tables' int keys
        for pattern in patterns:
            if not pattern:
                raise ValueError(f"[E012] Cannot add pattern for zero tokens to matcher. Key: {key}")
            spacy._validate_input(pattern, key)
        norm = spacy._normalize_key(key)
        spacy._raw_patterns[norm].extend(patterns)
        spacy._callbacks[norm] = on_match
        offset = len(spacy._patterns[norm])
        nodes = [[[node["RIGHT_ATTRS"]] for node in pattern] for pattern in patterns]
        spacy._patterns[norm].extend(nodes)
        spacy._tokens_to_key[norm].extend(
            [spacy._get_matcher_key(norm, i, j) for j in range(len(each))] for i, each in enumerate(nodes, start=offset)
        )
        spacy._retrieve_tree(patterns, norm)
        return int(norm)

    def remove(self, key: str | int) -> None:
        spacy: Any = self
        norm = spacy._normalize_key(key)
        tables: Any = (self._patterns, self._raw_patterns, self._tree, self._root, self._tokens_to_key)
        if norm not in tables[0]:
            raise ValueError(f"[E175] The DependencyMatcher does not contain the key {key}")
        for table in tables:
            table.pop(norm, None)
        for table in (self._nodes, self._anchors, self._node_keys, self._parents, self._needs, self._order):
            table.pop(norm, None)
        self._own.discard(norm)
        self._index = None

    def _constraint(self, attrs: dict[str, Any]) -> str:
        """The shared constraint for a node's RIGHT_ATTRS, registered once per canonical form: its
        column conditions, sorted (so `IN` lists in another order or `TEXT` for `ORTH` are the same
        constraint); for one left to spaCy's Matcher, the attributes as JSON."""
        conditions = _conditions(attrs, self.vocab)
        if conditions is not None:
            canonical = sorted([attr, kind, value if isinstance(value, int) else sorted(value)]
                               for attr, kind, value in conditions)  # fmt: skip
            key = "columns " + json.dumps(canonical)
            self._constraints.setdefault(key, conditions)
            return key
        key = "matcher " + json.dumps(attrs, sort_keys=True, default=repr)
        if key not in self._constraints:
            matcher = Matcher(self.vocab, validate=False)
            matcher.add("node", [[attrs]])
            self._constraints[key] = matcher
        return key

    def _own_matcher(self, key: int) -> Matcher:
        """A rule's own token matcher for its nodes (spaCy's per-node keys)."""
        nodes = self._nodes.get(key)
        if nodes is None:
            nodes = self._nodes[key] = Matcher(self.vocab, validate=False)
            node_patterns: Any = self._patterns
            token_keys: Any = self._tokens_to_key
            for pattern, keys in zip(node_patterns[key], token_keys[key], strict=True):
                for node, token_key in zip(pattern, keys, strict=True):
                    nodes.add(token_key, [node])
        return nodes

    def _anchor_index(self) -> AnchorIndex:
        if self._index is None:
            self._index = anchor_index(self._anchors)
        return self._index

    def tried(self, doc: Doc) -> list[int]:
        """The keys of the rules whose anchor occurs in `doc`, in the order they were added."""
        roots = tree_roots(doc)
        return [key for key, _ in self._where(_DocIndex(doc, roots, self._constraints))]

    def _where(self, index: _DocIndex) -> Iterator[tuple[int, set[int] | None]]:
        """Each rule that can match and the trees to look in: those holding a value of each of its
        anchors (of one of its patterns); None (every tree) for a rule without anchors. Every node
        of a match lies in one tree, so nothing is missed."""
        by_value, always = self._anchor_index()
        candidates = set(always)
        for attr, rules in by_value.items():
            present = index.positions(attr)
            if len(rules) < len(present):
                for value, keys in rules.items():
                    if value in present:
                        candidates |= keys
            else:
                for value in present:
                    holding = rules.get(value)
                    if holding:
                        candidates |= holding
        for key in sorted(candidates, key=self._order.__getitem__):
            anchors = self._anchors[key]
            if anchors is None:
                yield key, None
                continue
            starts: set[int] = set()
            for pattern in anchors:
                common = set(index.trees_with(*pattern[0]))
                for anchor in pattern[1:]:
                    if not common:
                        break
                    common &= index.trees_with(*anchor)
                starts |= common
            if starts:
                yield key, starts

    def __call__(self, doclike: Doc | Span) -> list[tuple[int, list[int]]]:
        doc = doclike.as_doc() if isinstance(doclike, Span) else doclike
        self._roots = roots = tree_roots(doc)
        index = _DocIndex(doc, roots, self._constraints)
        runs = sentence_runs(doc, roots)
        order = {root: n for n, root in enumerate(runs)} if runs is not None else {}
        cache: dict[tuple[int, str], frozenset[int]] = {}
        found: list[tuple[int, list[int]]] = []
        self.seconds = {}
        for key, starts in self._where(index):
            started = time.thread_time()
            if runs is not None and key not in self._own and not (self._needs[key] & index.missing()):
                trees = runs if starts is None else sorted(starts, key=order.__getitem__)
                self._match_shared(key, trees, index, cache, found)
            else:
                self._match_own(key, starts, doc, cache, found)
            self.seconds[key] = time.thread_time() - started
        return found

    def _match_shared(
        self, key: int, trees: list[int], index: _DocIndex, cache: dict[tuple[int, str], frozenset[int]],
        found: list[tuple[int, list[int]]],
    ) -> None:  # fmt: skip
        """Rule `key` in `trees` (text order), from the shared constraints' tokens."""
        for node_keys, parents in zip(self._node_keys[key], self._parents[key], strict=True):
            tokens: list[dict[int, list[int]]] = []
            viable = trees
            for node_key in node_keys:  # a tree without a token for some node holds no match
                by_tree = index.found(node_key)
                viable = [root for root in viable if root in by_tree]
                if not viable:
                    break
                tokens.append(by_tree)
            else:
                for root in viable:
                    self._search_tree(key, cache, index.doc, parents, [by_tree[root] for by_tree in tokens], found)

    def _match_own(
        self, key: int, starts: set[int] | None, doc: Doc, cache: dict[tuple[int, str], frozenset[int]],
        found: list[tuple[int, list[int]]],
    ) -> None:  # fmt: skip
        """Rule `key` with its own token matcher over the merged extents of the trees `starts`."""
        roots = self._roots
        if starts is None:
            ranges = [(0, len(doc))]
        else:
            ranges = merged((doc[r].left_edge.i, doc[r].right_edge.i + 1) for r in starts)
        # Ranges in text order, so trees appear in the order spaCy's full pass finds them.
        groups: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
        nodes = self._own_matcher(key)
        for begin, end in ranges:
            for match_id, start, _end in nodes(doc[begin:end]):
                groups[roots[begin + start]][match_id].append(begin + start)
        token_keys: Any = self._tokens_to_key
        for tokens_to_key, parents in zip(token_keys[key], self._parents[key], strict=True):
            for positions in groups.values():
                lists = [positions.get(token_key, []) for token_key in tokens_to_key]
                if all(lists):
                    self._search_tree(key, cache, doc, parents, lists, found)

    def _search_tree(
        self, key: int, cache: dict[tuple[int, str], frozenset[int]], doc: Doc,
        parents: Sequence[tuple[int, str] | None], lists: Sequence[list[int]], found: list[tuple[int, list[int]]],
    ) -> None:  # fmt: skip
        try:
            matches = list(self._search(cache, doc, parents, lists))
        except _OverBudget:
            self.cut_off += 1
            log.warning("dependency rule %s cut off after %d steps", self.vocab.strings[key], WORK_LIMIT)
            return
        found.extend((key, match) for match in matches)

    def _search(
        self, cache: dict[tuple[int, str], frozenset[int]], doc: Doc,
        parents: Sequence[tuple[int, str] | None], lists: Sequence[list[int]],
    ) -> Iterator[list[int]]:  # fmt: skip
        """Every assignment whose edges hold, in the order of itertools.product over `lists`."""
        where: list[dict[int, list[int]] | None] = [None] * len(lists)  # built when first needed
        chosen = [0] * len(lists)
        work = [0]

        def spend(steps: int) -> None:
            work[0] += steps
            if work[0] > WORK_LIMIT:
                raise _OverBudget()

        def allowed(node: int) -> list[int]:
            parent = parents[node]
            if parent is None:
                return lists[node]
            left, op = parent
            related = cache.get((chosen[left], op))
            if related is None:
                related = frozenset(t.i for t in self._ops[op](doc, chosen[left]))
                cache[(chosen[left], op)] = related
                spend(len(related))
            if len(related) < len(lists[node]):
                index = where[node]
                if index is None:
                    index = where[node] = _index(lists[node])
                picks = sorted(j for pos in related for j in index.get(pos, ()))
                spend(len(related) + len(picks))
                return [lists[node][j] for j in picks]
            spend(len(lists[node]))
            return [pos for pos in lists[node] if pos in related]

        def extend(node: int) -> Iterator[list[int]]:
            if node == len(lists):
                yield list(chosen)
                return
            for pos in allowed(node):
                spend(1)
                chosen[node] = pos
                yield from extend(node + 1)

        yield from extend(0)

    def _get_sent(self, token: Token) -> Span:
        """spaCy's sentence of a token (its tree's extent), from the roots computed per call."""
        root = token.doc[self._roots[token.i]]
        return token.doc[root.left_edge.i : root.right_edge.i + 1]


def _conditions(attrs: dict[str, Any], vocab: Vocab) -> list[Condition] | None:
    """A node's RIGHT_ATTRS as column conditions that hold exactly where spaCy's Matcher would
    match the one-token pattern (its `_get_attr_values` and `_SetPredicate`), or None when it must
    be left to spaCy's Matcher: an extension (`_`, bounded REGEX), another predicate (REGEX, FUZZY,
    comparisons, IS_SUBSET, ...), an `OP`, or an attribute not read from a plain column."""
    conditions: list[Condition] = []
    for name, value in attrs.items():
        if not isinstance(name, str):
            return None
        upper = "ORTH" if name.upper() == "TEXT" else name.upper()
        if upper not in _COLUMN_ATTRS:
            return None
        attr = int(IDS[upper])
        if isinstance(value, bool):
            conditions.append((attr, "eq", int(value)))
        elif isinstance(value, int):
            if value < 0:
                return None
            conditions.append((attr, "eq", value))
        elif isinstance(value, str):
            conditions.append((attr, "eq", int(vocab.strings.add(value))))
        elif isinstance(value, dict):
            for predicate, values in value.items():
                kind = predicate.upper() if isinstance(predicate, str) else ""
                if kind not in ("IN", "NOT_IN") or not isinstance(values, list):
                    return None
                if not all(isinstance(v, str) for v in values):
                    return None
                conditions.append((attr, kind.lower(), frozenset(get_string_id(v) for v in values)))
        else:
            return None
    return conditions


def hashed_anchors(patterns: Iterable[list[dict[str, Any]]]) -> HashedAnchors | None:
    """`anchors_of` each pattern, hashed as a Doc's columns hold them; None when one pattern has
    no anchor (the rule can match anywhere)."""
    anchors = [anchors_of(pattern) for pattern in patterns]
    if not all(anchors):
        return None
    return [[(int(IDS[attr]), frozenset(map(get_string_id, values))) for attr, values in each] for each in anchors]


def anchor_index(anchors: Mapping[int, HashedAnchors | None]) -> AnchorIndex:
    """The inverted index of rules (by key) from their most selective anchors."""
    by_value: dict[int, dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))
    always: set[int] = set()
    for key, hashed in anchors.items():
        if hashed is None:
            always.add(key)
            continue
        for pattern in hashed:
            attr, values = pattern[0]
            for value in values:
                by_value[attr][value].add(key)
    return {attr: dict(values) for attr, values in by_value.items()}, always


def anchor_of(pattern: list[dict[str, Any]]) -> tuple[str, frozenset[str]] | None:
    """The most selective of `anchors_of(pattern)` (the first of the fewest values)."""
    return min(anchors_of(pattern), key=lambda anchor: len(anchor[1]), default=None)


def anchors_of(pattern: list[dict[str, Any]]) -> list[tuple[str, frozenset[str]]]:
    """Every (attribute, values) that some token must have for `pattern` to match: an exact
    ORTH/LOWER/LEMMA string or an `IN` list of strings on a node without an operator, most
    selective first."""
    found: list[tuple[str, frozenset[str]]] = []
    for node in pattern:
        attrs = {str(name).upper(): value for name, value in node.get("RIGHT_ATTRS", {}).items()}
        if "OP" in attrs:
            continue
        for attr in ANCHOR_ATTRS:
            value = attrs.get(attr)
            wanted = value.get("IN") if isinstance(value, dict) else [value]
            if isinstance(wanted, list) and wanted and all(isinstance(v, str) for v in wanted):
                found.append((attr, frozenset(wanted)))
    return sorted(found, key=lambda anchor: len(anchor[1]))


def _parents(tree: dict[int, list[tuple[str, int]]], size: int) -> list[tuple[int, str] | None]:
    """Each node's (parent index, REL_OP). Validation guarantees parents come first."""
    parents: list[tuple[int, str] | None] = [None] * size
    for left, edges in tree.items():
        for op, right in edges:
            if left >= right:
                raise ValueError("a dependency node must come after the node it links to")
            parents[right] = (left, op)
    return parents


def _index(positions: list[int]) -> dict[int, list[int]]:
    where: dict[int, list[int]] = defaultdict(list)
    for j, pos in enumerate(positions):
        where[pos].append(j)
    return where
