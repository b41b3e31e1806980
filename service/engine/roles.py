"""Grow a role's matched token into the phrase it stands for.

The growth rules a role's `expand:` names (`Expansion` in service/rules/schema.py):
- `token`: exactly the matched tokens.
- `quantity`: the widest run of tokens around the numeral (a counted noun's number) that reads
  as one count phrase (`service/events/quantities.py`): "more than 100,000", "One hundred and
  forty - three", "between 15 and 25".
- `entity`: the named entity holding the token, else the token.
- `phrase`: a token inside a named entity grows to that entity ("Dmitry Peskov", not "Kremlin
  spokesman Dmitry Peskov"); any other noun grows to its noun phrase: everything to its left in
  its subtree plus `of`-phrases, capitalised prepositions of a name ("Doctors Without Borders"),
  compounds and appositions to its right ("the outskirts of Kyiv"), and a following
  "more"/"others" that qualifies it ("injuring scores more").
- `subtree`: the token's whole syntactic subtree (reported speech).
- `conjuncts`: the phrase plus coordinated phrases ("Kyiv and Chernihiv"), a list's commas
  included ("the driver, the conductor and a child"), each conjunct as far as its own phrase.
A role matched by several tokens (a Matcher rule with `OP`) keeps exactly those tokens. A grown
span never swallows another role's matched tokens: it stops before them.
"""

from __future__ import annotations

from spacy.tokens import Doc, Token

from service.events.mentions import entity_at
from service.events.quantities import MAX_WORDS as QUANTITY_WINDOW
from service.events.quantities import parse_quantity, phrase_bounds
from service.rules.schema import Expansion

NAME_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "FAC", "NORP", "EVENT", "PRODUCT"})
_RIGHT_DEPS = frozenset({"compound", "flat", "appos", "nummod"})
_PUNCT_EDGE = frozenset({"punct", "cc"})
_MORE = frozenset({"more", "others"})


def grow(doc: Doc, tokens: tuple[int, ...], how: Expansion) -> tuple[int, int]:
    """The token range [start, end) a role covers."""
    start, end = tokens[0], tokens[-1] + 1
    if len(tokens) > 1 or how == "token":
        return start, end
    token = doc[start]
    if how == "quantity":
        return _quantity(doc, start)
    if how == "entity" or (how in {"phrase", "conjuncts"} and token.ent_type_ in NAME_LABELS):
        return _entity(token)
    if not doc.has_annotation("DEP"):
        return start, end
    if how == "subtree":
        return _trim(doc, token.left_edge.i, token.right_edge.i + 1)
    return _phrase(token, conjuncts=how == "conjuncts")


def _entity(token: Token) -> tuple[int, int]:
    ent = entity_at(token.doc, token.i)
    return (ent.start, ent.end) if ent is not None else (token.i, token.i + 1)


def _quantity(doc: Doc, index: int) -> tuple[int, int]:
    numbers = [child.i for child in doc[index].children if child.dep_ == "nummod"]
    if numbers and not doc[index].like_num:
        index = numbers[0]  # a counted noun stands for its count ("20,000 people are trapped")
    lo, hi = max(0, index - QUANTITY_WINDOW), min(len(doc), index + QUANTITY_WINDOW + 1)
    start, end = phrase_bounds([tok.text for tok in doc[lo:hi]], index - lo)
    return lo + start, lo + end


def _phrase(token: Token, conjuncts: bool) -> tuple[int, int]:
    if token.pos_ in {"VERB", "AUX"}:
        return token.i, token.i + 1
    start = token.left_edge.i
    while start < token.i and token.doc[start].pos_ == "SCONJ":
        start += 1  # a broken parse hangs "when" on a noun: "when gunmen on a motorcycle opened fire"
    end = token.i + 1
    rights = list(token.rights)
    for k, child in enumerate(rights):
        if conjuncts and child.text == "," and _listed(rights[k + 1 :]):
            continue  # the comma of a list: "the driver, the conductor and a child"
        wanted = child.dep_ in _RIGHT_DEPS or (child.dep_ == "prep" and (child.lower_ == "of" or _in_name(child)))
        wanted = wanted or (conjuncts and child.dep_ in {"conj", "cc"})
        if not wanted or child.left_edge.i > end + 1:
            break  # past a gap wider than a comma it crosses other words ("14 people had been hurt, two")
        # a conjunct as far as its own phrase: "and their two sons", not "… sons in the village"
        end = _phrase(child, conjuncts)[1] if child.dep_ == "conj" else child.right_edge.i + 1
    doc = token.doc
    if end < len(doc) and doc[end].lower_ in _MORE and doc[end].head.i in {token.i, token.head.i}:
        end += 1  # "scores more", "130 more", "two others": the count's own qualifier
    return _trim(doc, start, end)


def _listed(rest: list[Token]) -> bool:
    """The children after a comma continue a list: a conjunct comes next (or an apposition the
    parser made of a list's middle item, itself coordinated with a determined noun phrase: "a
    nurse, a teacher and three pupils", not "the mayor, a lawyer and former judge"), and no verb
    follows its phrase ("killing 27 people, local officials said": the conjunct is the speaker)."""
    if not rest or (rest[0].dep_ != "conj" and not list_middle(rest[0])):
        return False
    if rest[0].head.dep_ in {"nsubj", "nsubjpass"}:
        return True  # a subject's list is followed by its own verb: "A, B and C were killed"
    after = rest[0].right_edge.i + 1
    doc = rest[0].doc
    return after >= len(doc) or doc[after].pos_ not in {"VERB", "AUX"}


def list_middle(appos: Token) -> bool:
    """An apposition that is the middle item of a list (see `_listed`): after one thing in the
    singular ("a nurse, a teacher and three pupils"); after a plural it names its members ("two
    passers-by, a man and a boy"), unless they are not as many as the plural's number ("two
    teachers, a nurse and four pupils" are seven)."""
    if appos.dep_ != "appos" or not any(
        c.dep_ == "conj" and any(d.dep_ in {"det", "nummod", "poss"} for d in c.children) for c in appos.children
    ):
        return False
    if appos.head.tag_ in {"NN", "NNP"}:
        return True
    if any(c.dep_ == "prep" and c.i < appos.i for c in appos.children):
        return False  # "16 people, among them six women and four children": members
    number = _exact_number(appos.head)
    members = [
        _exact_number(item) if item.tag_ in {"NNS", "NNPS"} else _one(item) for item in (appos, *appos.conjuncts)
    ]
    return number is not None and None not in members and sum(m for m in members if m is not None) != number


def _exact_number(noun: Token) -> int | None:
    """The exact number a plural noun is counted with ("four pupils": 4), None without one."""
    number = next((c for c in noun.children if c.dep_ == "nummod"), None)
    if number is None or any(True for _ in number.children):
        return None  # none, or qualified ("at least 16")
    parsed = parse_quantity(number.text)
    return parsed.min if parsed is not None and parsed.qualifier == "EXACT" and parsed.max == parsed.min else None


def _one(noun: Token) -> int | None:
    """1 for a singular noun phrase that is determined ("a nurse", "his driver"), else None."""
    determined = any(c.dep_ in {"det", "poss"} for c in noun.children)
    return 1 if noun.tag_ in {"NN", "NNP"} and determined else None


def _in_name(prep: Token) -> bool:
    """A capitalised preposition inside a sentence joins a name ("Doctors Without Borders")."""
    return prep.is_title and not prep.is_sent_start and prep.head.is_title


_UNITS = frozenset({"%", "‰"})
"""Signs spaCy calls punctuation that belong to the number before them ("fell to 3%")."""


def _trim(doc: Doc, start: int, end: int) -> tuple[int, int]:
    """Drop punctuation, line breaks and dangling conjunctions at the edges (not a percent sign)."""
    while end - start > 1 and (
        doc[end - 1].dep_ in _PUNCT_EDGE
        or (doc[end - 1].is_punct and doc[end - 1].text not in _UNITS)
        or doc[end - 1].is_space
    ):
        end -= 1
    while end - start > 1 and (doc[start].dep_ in _PUNCT_EDGE or doc[start].is_punct or doc[start].is_space):
        start += 1
    return start, end


EDGE_PUNCT = frozenset({",", ";", ":", "-", "–", "—", "/"})


def trim_edges(doc: Doc, start: int, end: int) -> tuple[int, int]:
    """Drop clause punctuation (`,;:` and dashes), dangling conjunctions, a final possessive and a
    final preposition whose object lies outside, left at the edges of a span, e.g. after
    `separate` cut it just before another role ("Y, X said" → "Y"; "accused the alliance of the
    ambush" → "the alliance", not "the alliance of")."""
    while end - start > 1 and (
        doc[end - 1].text in EDGE_PUNCT or doc[end - 1].dep_ in {"cc", "case"} or _dangling(doc, end)
    ):
        end -= 1  # also a possessive ending the span: "Northern Ireland's" → "Northern Ireland"
    while end - start > 1 and (doc[start].text in EDGE_PUNCT or doc[start].dep_ == "cc"):
        start += 1
    return start, end


def _dangling(doc: Doc, end: int) -> bool:
    """The span's last word is a preposition with its object after the span."""
    last = doc[end - 1]
    return last.dep_ == "prep" and (last.n_lefts + last.n_rights) > 0 and all(c.i >= end for c in last.children)


def separate(doc: Doc, spans: dict[str, tuple[int, int]], cores: dict[str, tuple[int, ...]]) -> None:
    """Shrink grown spans in place so that none covers another role's matched tokens, nor what
    hangs on them when that lies wholly on their side ("According to Ann Lee, an analyst at X,
    the plan is Y": the content starts after the analyst, not after Lee)."""
    for role, (start, end) in list(spans.items()):
        core = cores[role]
        for other, tokens in cores.items():
            if other == role:
                continue
            for i in tokens:
                if start <= i < end and i not in core:
                    if i < core[0]:
                        edge = doc[i].right_edge.i
                        start = max(start, edge + 1 if edge < core[0] else i + 1)
                    elif i > core[-1]:
                        edge = doc[i].left_edge.i
                        end = min(end, edge if edge > core[-1] else i)
        spans[role] = (start, max(end, start + 1))
