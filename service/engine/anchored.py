"""spaCy's token `Matcher`, running only the rules whose anchors occur in the document.

spaCy's Matcher starts every pattern at every token and evaluates each pattern's first token
there (a Python call per token for each `IN` list), so its cost grows with the pack, not with what
fires. A token pattern's anchors are the ORTH, LOWER or LEMMA values (exact or an `IN` list) of its
tokens without an `OP`: each of those tokens must match, so a document without a value of every
anchor holds no match of the pattern (`depmatch.anchors_of`, as for dependency rules). For each
document, an inverted index from anchor values to rules gives the rules that can match, and a
Matcher holding just those rules (added again in the order the whole pack was, cached per set of
rules) runs instead of the pack's.

The matches are exactly the pack matcher's, in the same order: each pattern is its own state
machine in spaCy's `find_matches` (new states are pushed per token in pattern order, a token's
transitions keep the states' order and a match is recorded when its state finishes), so leaving a
pattern out removes its states and matches and changes nothing else. The whole pack still runs for
a Span, when every rule can match, and for a Doc without an annotation one of the pack's patterns
reads (spaCy's Matcher refuses it with E155 then, as before).
"""

from __future__ import annotations

from typing import Any

from spacy.attrs import IDS
from spacy.matcher import Matcher
from spacy.tokens import Doc, Span

from service.engine.depmatch import AnchorIndex, HashedAnchors, anchor_index, hashed_anchors

KEEP = 1024  # subset matchers kept, least recently used out first (264 distinct sets on the dev corpora)
_ANNOTATED = {int(IDS[attr]): attr for attr in ("TAG", "POS", "MORPH", "LEMMA", "DEP")}


class AnchoredMatcher(Matcher):
    """Drop-in for `spacy.matcher.Matcher` (no `as_spans` on the indexed path)."""

    def __init__(self, vocab: Any, validate: bool = True, **kwargs: Any) -> None:
        super().__init__(vocab, validate, **kwargs)
        self._vocab = vocab  # spaCy's stubs declare neither `vocab` nor the attributes read below
        self._adds: list[tuple[int, list[Any], Any, str | None]] = []  # every add, to replay
        self._anchors: dict[int, HashedAnchors | None] = {}
        self._index: AnchorIndex | None = None
        self._subsets: dict[frozenset[int], Matcher] = {}
        self.tried: int = 0  # rules run in the last call (the pack's size when it ran whole)

    def add(self, key: str | int, patterns: list[Any], *, on_match: Any = None, greedy: str | None = None) -> None:
        super().add(key, patterns, on_match=on_match, greedy=greedy)
        norm = key if isinstance(key, int) else int(self._vocab.strings.add(key))
        self._adds.append((norm, list(patterns), on_match, greedy))
        every = [pattern for added, patterns_of, _, _ in self._adds if added == norm for pattern in patterns_of]
        self._anchors[norm] = hashed_anchors([{"RIGHT_ATTRS": token} for token in pattern] for pattern in every)
        self._index = None
        self._subsets.clear()

    def remove(self, key: str) -> None:
        super().remove(key)
        norm = key if isinstance(key, int) else int(self._vocab.strings.add(key))
        self._adds = [add for add in self._adds if add[0] != norm]
        self._anchors.pop(norm, None)
        self._index = None
        self._subsets.clear()

    def _anchor_index(self) -> AnchorIndex:
        if self._index is None:
            self._index = anchor_index(self._anchors)
        return self._index

    def candidates(self, doc: Doc) -> frozenset[int]:
        """The rules that can match in `doc`: one of their patterns has a value of each anchor."""
        by_value, always = self._anchor_index()
        present: dict[int, set[int]] = {}

        def values_of(attr: int) -> set[int]:
            if attr not in present:
                present[attr] = set(doc.to_array(attr).tolist()) if len(doc) else set()
            return present[attr]

        found: set[int] = set()
        for attr, rules in by_value.items():
            values = values_of(attr)
            if len(rules) < len(values):
                for value, keys in rules.items():
                    if value in values:
                        found |= keys
            else:
                for value in values:
                    holding = rules.get(value)
                    if holding:
                        found |= holding
        kept = set(always)
        for key in found:
            for pattern in self._anchors[key] or ():
                if all(not values.isdisjoint(values_of(attr)) for attr, values in pattern):
                    kept.add(key)
                    break
        return frozenset(kept)

    def __call__(self, doclike: Doc | Span, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs.get("as_spans") or not isinstance(doclike, Doc) or self._lacks_annotation(doclike):
            self.tried = len(self)
            return super().__call__(doclike, *args, **kwargs)
        keys = self.candidates(doclike)
        self.tried = len(keys)
        if len(keys) == len(self):
            return super().__call__(doclike, **kwargs)
        if not keys:
            return []  # what the pack's matcher finds; a Matcher without patterns warns (W036)
        return self._subset(keys)(doclike, **kwargs)

    def _lacks_annotation(self, doc: Doc) -> bool:
        """Whether spaCy's Matcher would refuse `doc` (E155): the whole pack runs, and refuses it."""
        seen: set[int] = _spacy(self)._seen_attrs
        return any(attr in seen and not doc.has_annotation(name) for attr, name in _ANNOTATED.items())

    def _subset(self, keys: frozenset[int]) -> Matcher:
        """A Matcher with the rules `keys`, added as the pack's were (same order, same options)."""
        matcher = self._subsets.pop(keys, None)
        if matcher is None:
            matcher = Matcher(self._vocab, validate=False, fuzzy_compare=_spacy(self)._fuzzy_compare)
            for key, patterns, on_match, greedy in self._adds:
                if key in keys:
                    matcher.add(key, patterns, on_match=on_match, greedy=greedy)
            if len(self._subsets) >= KEEP:
                del self._subsets[next(iter(self._subsets))]
        self._subsets[keys] = matcher  # the most recently used last
        return matcher


def _spacy(matcher: Matcher) -> Any:
    """`matcher` with the attributes spaCy's type stubs leave out."""
    return matcher
