"""Negation and overlap resolution over grown candidates.

Overlap: among candidates of one event type whose spans overlap, the winner has the highest
priority, then the longest span, then the highest confidence, then the earliest start and the
smallest rule id (so results never depend on match order). Losers are kept as `Suppressed`.
Casualties of two different specific kinds (KILLED, INJURED, MISSING, CAPTURED) anchored on
different words are not rivals: "six were killed with two others injured" reports both.

Role fusion: rules are written one shape at a time ("X launched the attack", "an attack on Y",
"a drone attack"), so several candidates often describe one event. When a loser describes the
same event as its winner (the same anchor word, its anchor is one of the winner's matched
words, or the two anchors make one predicate: "opened fire", "a drone strike"), the winner
takes every role it lacks from the loser, each role as the loser found it, unless that role
would overlap a role or the anchor of the winner ("Separatist fighters launched a rocket attack
on a checkpoint" reports attacker, weapon and target). The loser is still reported as
suppressed.

Vetoes: a rule marked `veto: true` matches a frame in which a word is certainly no event of the
rule's type ("a faulty valve caused an explosion", "fears of an attack", "a heart attack").
Every candidate of that type anchored on one of the veto's matched words, with a priority no
higher than the veto's, is dropped and reported as suppressed by the veto; the veto itself is
never returned (except to its own examples). So non-events are written as rules, with their
word lists in YAML, and `sitrep explain` shows which veto dropped what.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from spacy.tokens import Doc, Token

from service.engine.matching import Candidate
from service.events.kinds import SPECIFIC_KINDS, token_kind
from service.events.lexicons import EngineLexicons
from service.events.model import Suppressed

NEGATORS = frozenset({"not", "n't", "never", "no", "neither", "nor", "without"})
ANCHOR_ROLES = ("trigger", "kind", "cue")


@dataclass(frozen=True, slots=True)
class Grown:
    """A candidate with its role spans grown (token ranges) and its overall extent."""

    candidate: Candidate
    spans: dict[str, tuple[int, int]]
    start: int
    end: int

    @property
    def rule_id(self) -> str:
        return self.candidate.rule.id

    def char_span(self, doc: Doc) -> tuple[int, int]:
        return doc[self.start].idx, doc[self.end - 1].idx + len(doc[self.end - 1])


def anchor(candidate: Candidate) -> int:
    """The token that carries the event's polarity: its trigger, kind or cue if it has one."""
    for role in ANCHOR_ROLES:
        if role in candidate.tokens:
            return candidate.tokens[role][0]
    return candidate.start


NOT_NEGATING_NEXT = frozenset({"only", "just", "merely", "simply"})
"""`not only X`, `not just X` assert X."""
PRENOMINAL = frozenset({"amod", "compound", "nmod"})
"""A trigger that modifies a noun ("the besieged city") is not denied by a negated verb."""


def _rank(word: Token) -> bool:
    """ "No" as the abbreviation of number, before digits ("the former world No 1 said", "No. 10");
    never "no one"."""
    following = word.doc[word.i + 1] if word.i + 1 < len(word.doc) else None
    return word.lower_ in {"no", "no."} and following is not None and following.text[:1].isdigit()


def _quoted_apart(word: Token, target: Token) -> bool:
    """A quotation mark stands between the word (with its phrase) and the target: "“No work, no
    pay,” she said" puts the quoted words on one side and the saying on the other."""
    low, high = sorted((word.right_edge.i if word.i < target.i else word.left_edge.i, target.i))
    return any(tok.is_quote for tok in word.doc[low + 1 : high])


def _negates(neg: Token, target: Token, cessation: frozenset[str]) -> bool:
    """Whether a negator really denies `target`: not `not only/just X`, not a negated verb of
    stopping that governs the target (`will not stop bombing it` reports the bombing), not a
    negated verb governing a noun the target modifies (`could not reach the besieged city`), and
    not `without` outside the phrase it heads (`Doctors Without Borders said`), and not one on the
    other side of a quotation mark (`“Absolutely not,” she said`)."""
    following = neg.doc[neg.i + 1] if neg.i + 1 < len(neg.doc) else None
    if following is not None and following.lower_ in NOT_NEGATING_NEXT:
        return False
    if _quoted_apart(neg, target):
        return False  # "“Absolutely not,” she said": the quoted answer, not the saying, is negative
    if neg.doc.has_annotation("DEP"):
        if neg.dep_ == "prep" and not neg.is_ancestor(target):
            return False  # "Doctors Without Borders said": "without" denies only its own object
        head = neg.head
        if head.i != target.i and head.lemma_.lower() in cessation and head.is_ancestor(target):
            return False
        if target.dep_ in PRENOMINAL and head.i != target.i:
            return False  # "could not reach the besieged city": the city is still besieged
    return True


def is_negated(doc: Doc, candidate: Candidate, words: EngineLexicons) -> bool:
    """`not`/`never`/`no` governing the anchor (parse), a subject that names nobody ("No one on
    board was injured") or a negator among the three words before the anchor in its clause (not
    across a comma or a quote's closing mark: "“Others are not,” said X" reports what X said); a
    negated verb of `words.cessation_verbs` asserts what it governs ("never ceased shelling")."""
    token = doc[anchor(candidate)]
    negators: list[Token] = []
    if doc.has_annotation("DEP"):
        heads = [token, token.head] if token.dep_ in {"acomp", "xcomp", "auxpass"} else [token]
        negators += [child for head in heads for child in head.children if child.dep_ == "neg"]
        subjects = (child for child in token.children if child.dep_ in {"nsubj", "nsubjpass"})
        if any(_denied(doc, (s.left_edge.i, s.right_edge.i + 1)) and not _quoted_apart(s, token) for s in subjects):
            return True  # "No one on board was injured": a subject that names nobody, however long
    sent_start = token.sent.start if doc.has_annotation("SENT_START") else 0
    window = list(doc[max(sent_start, token.i - 3) : token.i])
    while any(tok.is_punct for tok in window):  # past a comma or a closing quote is another clause
        window = window[next(i for i, tok in enumerate(window) if tok.is_punct) + 1 :]
    negators += [tok for tok in window if tok.lower_ in NEGATORS and not _rank(tok)]
    return any(_negates(neg, token, words.cessation_verbs) for neg in negators)


def _key(item: Grown) -> tuple[int, int, float, int, str]:
    rule = item.candidate.rule
    return (-rule.priority, -(item.end - item.start), -rule.confidence, item.start, rule.id)


def _reason(winner: Grown, loser: Grown) -> str:
    w, lo = winner.candidate.rule, loser.candidate.rule
    if w.priority != lo.priority:
        return f"lower priority ({lo.priority} < {w.priority})"
    if (winner.end - winner.start) != (loser.end - loser.start):
        return f"shorter span ({loser.end - loser.start} < {winner.end - winner.start} tokens)"
    if w.confidence != lo.confidence:
        return f"lower confidence ({lo.confidence} < {w.confidence})"
    return "tie broken by position and rule id"


def _kind(item: Grown, doc: Doc) -> str:
    candidate = item.candidate
    return token_kind(doc[anchor(candidate)], candidate.rule.casualty_kind)


def _conflict(kept: Grown, item: Grown, doc: Doc) -> bool:
    """Two candidates are rivals when they have the same event type and overlap, except casualties
    of two different specific kinds on different words ("killing three and wounding 12") and
    statements of two cues with contents apart ("“A,” she said, adding that B"; also when the
    first cue's quote is found only later, `_cue_before_next`), one reported inside the other's
    content ("X said that Y insisted Z": two attributions) or the speaker's next one coordinated
    inside it ("X said A but warned B")."""
    if kept.candidate.rule.event != item.candidate.rule.event:
        return False
    if not (kept.start < item.end and item.start < kept.end):
        return False
    if item.candidate.rule.event == "statement" and anchor(kept.candidate) != anchor(item.candidate):
        a, b = kept.spans.get("content"), item.spans.get("content")
        if a and b and not (a[0] < b[1] and b[0] < a[1]):
            return False
        if _reported_within(kept, item) or _reported_within(item, kept):
            return False
        if _said_next(kept, item) or _said_next(item, kept):
            return False
        if _cue_before_next(kept, item) or _cue_before_next(item, kept):
            return False
    if item.candidate.rule.event == "casualty" and anchor(kept.candidate) != anchor(item.candidate):
        kinds = {_kind(kept, doc), _kind(item, doc)}
        if len(kinds) == 2 and kinds <= SPECIFIC_KINDS:
            return False
    return True


def _reported_within(outer: Grown, inner: Grown) -> bool:
    """The whole of `inner` (its cue, speaker and content) lies in `outer`'s content."""
    content = outer.spans.get("content")
    return content is not None and content[0] <= inner.start and inner.end <= content[1]


def _said_next(first: Grown, second: Grown) -> bool:
    """`second` is the same speaker's next statement, its cue coordinated inside `first`'s
    content by the parser ("X said A but warned B"; the builder ends A before "but warned")."""
    content, cue = first.spans.get("content"), second.candidate.tokens.get("cue")
    speaker = first.candidate.tokens.get("speaker")
    same_speaker = speaker is not None and speaker == second.candidate.tokens.get("speaker")
    return content is not None and cue is not None and same_speaker and content[0] <= cue[0] < content[1]


def _cue_before_next(first: Grown, second: Grown) -> bool:
    """`first` is a cue with its speaker and no content of its own yet (the quote before it is
    found later: "“How could this happen?” she said"), `second` a later cue whose content
    follows it (", adding that she had lost everything"): two statements, not rivals."""
    cue, later = first.candidate.tokens.get("cue"), second.candidate.tokens.get("cue")
    content = second.spans.get("content")
    if cue is None or later is None or content is None or "content" in first.spans:
        return False
    return cue[0] < later[0] < content[0]


def _matched(candidate: Candidate) -> set[int]:
    return {i for tokens in candidate.tokens.values() for i in tokens}


_ONE_PREDICATE = frozenset({"dobj", "compound"})
"""Dependencies that make two anchors one predicate: "opened fire", "a drone strike"."""


def same_event(winner: Grown, loser: Grown, doc: Doc) -> bool:
    """Whether two rivals describe one event: the same anchor word, the anchor of one is a
    matched word of the other (one clause seen through two rules), or the two anchors make one
    predicate ("A gunman opened fire at a school": `opened` and `fire`)."""
    a, b = anchor(winner.candidate), anchor(loser.candidate)
    if a == b or a in _matched(loser.candidate) or b in _matched(winner.candidate):
        return True
    if not doc.has_annotation("DEP"):
        return False
    return any(doc[x].head.i == y and doc[x].dep_ in _ONE_PREDICATE for x, y in ((a, b), (b, a)))


def _overlaps(span: tuple[int, int], other: tuple[int, int]) -> bool:
    return span[0] < other[1] and other[0] < span[1]


def fuse(winner: Grown, loser: Grown) -> tuple[Grown, list[str]]:
    """The winner with the roles it lacks taken from the loser (see the module docstring), and
    the names of the roles taken. A role is not taken when it would overlap one of the winner's
    roles or its anchor: a target never spans the winner's trigger."""
    spans = dict(winner.spans)
    taken: list[str] = []
    point = anchor(winner.candidate)
    for role, span in loser.spans.items():
        if role in spans or span[0] <= point < span[1]:
            continue
        if any(_overlaps(span, other) for other in spans.values()):
            continue
        spans[role] = span
        taken.append(role)
    if not taken:
        return winner, taken
    start = min(winner.start, *(spans[role][0] for role in taken))
    end = max(winner.end, *(spans[role][1] for role in taken))
    return replace(winner, spans=spans, start=start, end=end), taken


NEGATIVE_PRONOUNS = frozenset({"nobody", "none", "noone", "nothing"})


def _denied(doc: Doc, span: tuple[int, int]) -> bool:
    """A role phrase that is a negative pronoun or opens with a negative determiner names nobody:
    "No group has claimed the bombing", "Nobody claimed it" have no attacker (the bombing itself
    is not denied)."""
    first = doc[span[0]]
    if first.lower_ in NEGATIVE_PRONOUNS:
        return True
    after = doc[span[0] + 1].lower_ if span[0] + 1 < span[1] else ""
    if after in {"fewer", "less", "more"} or _rank(first):
        return False  # "No fewer than 14 persons were killed", "the world No 1": a count or a rank
    return first.lower_ in NEGATORS and (first.dep_ == "det" or after == "one")


def without_denied_roles(item: Grown, doc: Doc) -> Grown:
    """The candidate without its denied roles (never its anchor), its extent that of the rest."""
    point = anchor(item.candidate)
    denied = [
        role for role, span in item.spans.items()
        if role != "content" and not span[0] <= point < span[1] and _denied(doc, span)
    ]  # fmt: skip  # what was said may open with "none" ("said none of them were hurt")
    spans = {r: span for r, span in item.spans.items() if r not in denied}
    if not denied or not spans:
        return item
    start, end = min(s for s, _ in spans.values()), max(e for _, e in spans.values())
    return replace(item, spans=spans, start=start, end=end)


def vetoed_type(item: Grown) -> str | None:
    """The event type a veto candidate rules out (a `veto: true` rule: its match is certainly no
    event of its type), None for an ordinary candidate."""
    rule = item.candidate.rule
    return rule.event if rule.veto else None


PARTIAL = "a fuller match of the same rule holds its words (OPTIONAL nodes)"


def partials(items: list[Grown]) -> list[bool]:
    """Per item, whether it is a match of a shorter variant of a rule with OPTIONAL nodes whose
    words another match of the same rule holds, and more: the rule's fuller match stands for it.
    Only the rule's matches holding the item's first word are compared (all of them is quadratic)."""
    holding: dict[tuple[str, int], list[set[int]]] = {}  # (rule, word) → the rule's matches with it
    for item in items:
        if item.candidate.rule.variants:
            matched = _matched(item.candidate)
            for i in matched:
                holding.setdefault((item.rule_id, i), []).append(matched)
    found = []
    for item in items:
        mine = _matched(item.candidate) if item.candidate.rule.variants else set()
        others = holding.get((item.rule_id, min(mine)), []) if mine else []
        found.append(any(mine < other for other in others))
    return found


def _veto_of(item: Grown, vetoes: dict[tuple[str, int], list[Grown]]) -> Grown | None:
    """The veto that rules `item` out: one of its type whose matched words hold the item's anchor,
    with at least the item's priority (a clause with an attacker outranks an accident frame).
    `vetoes`: by (vetoed type, matched word), in the candidates' order."""
    rule = item.candidate.rule
    for veto in vetoes.get((rule.event, anchor(item.candidate)), ()):
        if veto.candidate.rule.priority >= rule.priority:
            return veto
    return None


class _Placed:
    """Where the kept candidates lie, by blocks of tokens: a rival must share a token with the
    candidate, so only the kept ones in its blocks are compared (comparing every kept one is
    quadratic in a long document's candidates)."""

    BLOCK = 16

    def __init__(self) -> None:
        self._blocks: dict[int, list[int]] = {}

    def _range(self, item: Grown) -> range:
        return range(item.start // self.BLOCK, max(item.end - 1, item.start) // self.BLOCK + 1)

    def add(self, index: int, item: Grown) -> None:
        for block in self._range(item):
            indices = self._blocks.setdefault(block, [])
            if index not in indices:
                indices.append(index)

    def near(self, item: Grown) -> list[int]:
        """Indices of the kept candidates in the item's blocks, in the order they were kept."""
        return sorted({i for block in self._range(item) for i in self._blocks.get(block, ())})


def resolve_overlaps(items: list[Grown], doc: Doc, keep_vetoes: bool = False) -> tuple[list[Grown], list[Suppressed]]:
    """Drop the candidates a veto rules out, then keep non-overlapping winners per event type,
    each without denied roles and with the roles fused from the losers that describe the same
    event; return (kept in text order, suppressed). Vetoes themselves are never events, except
    with `keep_vetoes` (a veto rule's own examples show what it matches)."""
    kept: list[Grown] = []
    placed = _Placed()
    suppressed: list[Suppressed] = []
    parts = partials(items)
    for item in (item for item, part in zip(items, parts, strict=True) if part):
        start, end = item.char_span(doc)
        suppressed.append(Suppressed(item.rule_id, item.candidate.rule.event, start, end, item.rule_id, PARTIAL))
    items = [item for item, part in zip(items, parts, strict=True) if not part]
    vetoes: dict[tuple[str, int], list[Grown]] = {}
    for item in items:
        if vetoed := vetoed_type(item):
            for i in sorted(_matched(item.candidate)):
                vetoes.setdefault((vetoed, i), []).append(item)
    for item in sorted((without_denied_roles(i, doc) for i in items), key=_key):
        if vetoed_type(item):
            if not keep_vetoes:
                continue
        elif (veto := _veto_of(item, vetoes)) is not None:
            start, end = item.char_span(doc)
            suppressed.append(
                Suppressed(item.rule_id, item.candidate.rule.event, start, end, veto.rule_id,
                           f"not an event ({veto.candidate.rule.description or veto.rule_id})")
            )  # fmt: skip
            continue
        index = next((i for i in placed.near(item) if _conflict(kept[i], item, doc)), None)
        if index is None:
            placed.add(len(kept), item)
            kept.append(item)
            continue
        rival = kept[index]
        reason = _reason(rival, item)
        if same_event(rival, item, doc):
            kept[index], taken = fuse(rival, item)
            placed.add(index, kept[index])  # a fused span may reach further
            if taken:
                reason += f"; roles given to the winner: {', '.join(taken)}"
        start, end = item.char_span(doc)
        suppressed.append(
            Suppressed(item.rule_id, item.candidate.rule.event, start, end, rival.rule_id, reason)
        )  # fmt: skip
    kept.sort(key=lambda g: (g.start, g.end, g.rule_id))
    return kept, suppressed
