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
match's tree, so a tree without a token for each of them cannot hold a match). Each rule has its own token matcher for
its nodes (spaCy runs one matcher with every node of every rule over every token), run only when
its anchor occurs; a rule with no such node always runs. The output keeps spaCy's order: rules in
the order they were added, sentences in text order within each. `seconds` holds the CPU time
each tried rule took in the last call (the per-rule cost the service exports).
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

from spacy.matcher import DependencyMatcher, Matcher
from spacy.strings import get_string_id
from spacy.tokens import Doc, Span, Token

WORK_LIMIT = 200_000
ANCHOR_ATTRS = ("ORTH", "LOWER", "LEMMA")
log = logging.getLogger("sitrep.engine")


class _OverBudget(Exception):
    """The search for one pattern under one root took more than WORK_LIMIT steps."""


def tree_roots(doc: Doc) -> list[int]:
    """The index of each token's tree root (its last ancestor), in one pass over the heads."""
    heads = [token.head.i for token in doc]
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


class BoundedDependencyMatcher(DependencyMatcher):
    """Drop-in for `spacy.matcher.DependencyMatcher` on a parsed Doc (no callbacks)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cut_off = 0
        self._roots: list[int] = []
        self._nodes: dict[int, Matcher] = {}  # each rule's own token matcher for its nodes
        # Per pattern, the (attribute, values) every match's tree must hold; None: always tried.
        self._anchors: dict[int, list[list[tuple[str, frozenset[int]]]] | None] = {}
        self.seconds: dict[int, float] = {}  # CPU seconds per tried rule key, in the last call

    def add(self, key: str | int, patterns: list[list[dict[str, Any]]], *, on_match: Any = None) -> None:
        super().add(key, patterns, on_match=on_match)
        norm = key if isinstance(key, int) else int(self.vocab.strings.add(key))
        nodes = Matcher(self.vocab, validate=False)
        node_patterns: Any = self._patterns  # spaCy's stubs key these by str; they hold int keys
        token_keys: Any = self._tokens_to_key
        raw: Any = self._raw_patterns
        for pattern, keys in zip(node_patterns[norm], token_keys[norm], strict=True):
            for node, token_key in zip(pattern, keys, strict=True):
                nodes.add(token_key, [node])
        self._nodes[norm] = nodes
        anchors = [anchors_of(pattern) for pattern in raw[norm]]
        hashed = [[(attr, frozenset(map(get_string_id, values))) for attr, values in each] for each in anchors]
        self._anchors[norm] = None if not all(anchors) else hashed

    def tried(self, doc: Doc) -> list[int]:
        """The keys of the rules whose anchor occurs in `doc`, in the order they were added."""
        return [key for key, _ in self._where(doc, tree_roots(doc))]

    def _where(self, doc: Doc, roots: list[int]) -> Iterator[tuple[int, list[tuple[int, int]]]]:
        """Each rule that can match and the token ranges to look in: the sentences (trees) that
        hold a value of each of its anchors (of one of its patterns), merged in text order; the
        whole document for a rule without anchors. Every node of a match lies in one tree, so
        nothing is missed."""
        present: dict[str, dict[int, list[int]]] = {}
        trees: dict[tuple[str, frozenset[int]], frozenset[int]] = {}
        extents: dict[int, tuple[int, int]] = {}

        def trees_with(attr: str, values: frozenset[int]) -> frozenset[int]:
            if (attr, values) not in trees:
                if attr not in present:
                    positions: dict[int, list[int]] = defaultdict(list)
                    for i, value in enumerate(doc.to_array(attr).tolist()):
                        positions[value].append(i)
                    present[attr] = positions
                found = present[attr].keys() & values
                trees[(attr, values)] = frozenset(roots[i] for value in found for i in present[attr][value])
            return trees[(attr, values)]

        for key in map(int, self._patterns):
            anchors = self._anchors[key]
            if anchors is None:
                yield key, [(0, len(doc))]
                continue
            starts: set[int] = set()
            for pattern in anchors:
                common = set(trees_with(*pattern[0]))
                for anchor in pattern[1:]:
                    if not common:
                        break
                    common &= trees_with(*anchor)
                starts |= common
            if starts:
                for root in starts - extents.keys():
                    extents[root] = (doc[root].left_edge.i, doc[root].right_edge.i + 1)
                yield key, _merged(sorted(extents[root] for root in starts))

    def __call__(self, doclike: Doc | Span) -> list[tuple[int, list[int]]]:
        doc = doclike.as_doc() if isinstance(doclike, Span) else doclike
        self._roots = roots = tree_roots(doc)
        cache: dict[tuple[int, str], frozenset[int]] = {}
        found: list[tuple[int, list[int]]] = []
        trees: Any = self._tree  # spaCy's stubs key these by str; they hold int keys
        token_keys: Any = self._tokens_to_key
        self.seconds = {}
        for key, ranges in self._where(doc, roots):
            started = time.thread_time()
            # Ranges in text order, so trees appear in the order spaCy's full pass finds them.
            groups: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
            for begin, end in ranges:
                for match_id, start, _end in self._nodes[key](doc[begin:end]):
                    groups[roots[begin + start]][match_id].append(begin + start)
            for tree, tokens_to_key in zip(trees[key], token_keys[key], strict=True):
                parents = _parents(tree, len(tokens_to_key))
                for positions in groups.values():
                    lists = [positions.get(token_key, []) for token_key in tokens_to_key]
                    if not all(lists):
                        continue
                    try:
                        matches = list(self._search(cache, doc, parents, lists))
                    except _OverBudget:
                        self.cut_off += 1
                        log.warning("dependency rule %s cut off after %d steps", self.vocab.strings[key], WORK_LIMIT)
                        continue
                    found.extend((key, match) for match in matches)
            self.seconds[key] = time.thread_time() - started
        return found

    def _search(
        self, cache: dict[tuple[int, str], frozenset[int]], doc: Doc,
        parents: Sequence[tuple[int, str] | None], lists: Sequence[list[int]],
    ) -> Iterator[list[int]]:  # fmt: skip
        """Every assignment whose edges hold, in the order of itertools.product over `lists`."""
        where = [_index(positions) for positions in lists]
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
                picks = sorted(j for pos in related for j in where[node].get(pos, ()))
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


def _merged(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted (start, end) ranges with overlapping ones joined."""
    out: list[tuple[int, int]] = []
    for start, end in ranges:
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


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
