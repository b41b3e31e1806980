"""Typed builders: one grown candidate → one `Event`, per event type.

Builders fill what role spans alone cannot: casualty kinds and counts, quotations and resolved
speakers, and context roles stated elsewhere in the sentence ("according to X", "in Mariupol").
They read the Doc but never match rules.
"""

from __future__ import annotations

import string
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import replace

from spacy.tokens import Doc, Span, Token

from service.engine.pipeline import AGE_COMPOUND
from service.engine.resolve import Grown
from service.engine.roles import grow, list_middle, trim_edges
from service.engine.syntax_tests import own_subject
from service.events.datelines import dateline_ranges
from service.events.doctext import doc_text
from service.events.kinds import casualty_kind
from service.events.lexicons import EngineLexicons
from service.events.mentions import entity_at, mention, target_antecedent, victim_antecedent
from service.events.model import Event, Mention, Quantity
from service.events.quantities import count_prefix, parse_quantity
from service.events.quotes import Quote, holds_quote, neighbour, quote_at, quote_for_cue, quote_spans

PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})
_MODIFIERS = frozenset({"compound", "amod", "nmod", "poss"})
_WHITESPACE = string.whitespace + "\xa0"
RESOLVED_ROLES = frozenset({"speaker", "attacker", "besieger", "perpetrator"})
ACTOR_ROLES = frozenset({"attacker", "perpetrator"})
"""Roles whose "they" goes on with a group that acted, not one that spoke (`actor_antecedent`)."""


def _quantity(doc: Doc, start: int, end: int) -> Quantity | None:
    span = doc[start:end]
    parsed = parse_quantity(span.text)
    if parsed is None:
        return None
    return Quantity(parsed.min, parsed.max, parsed.qualifier, span.text, span.start_char, span.end_char)


def _attribution(doc: Doc, anchor: int) -> Mention | None:
    """`according to X` in the anchor's sentence, X grown to its whole phrase."""
    sent = doc[anchor].sent
    for tok in sent:
        if tok.lower_ == "according" and tok.i + 2 < sent.end and doc[tok.i + 1].lower_ == "to":
            objects = [c for c in doc[tok.i + 1].children if c.dep_ == "pobj"]
            end = objects[0].right_edge.i + 1 if objects else sent.end
            while end > tok.i + 3 and doc[end - 1].is_punct:
                end -= 1
            return mention(doc, tok.i, end)
    return None


def _is_place_noun(token: Token, words: EngineLexicons) -> bool:
    if token.lemma_.lower() in words.owned_place_nouns:
        # part of somewhere ("the city's west side", "the Lebanese side of the border"), not a
        # side in a fight ("on our side, two soldiers fell", "both sides")
        return any(c.dep_ == "poss" or (c.dep_ == "prep" and c.lower_ == "of") for c in token.children)
    return token.lower_ in words.place_nouns or token.lemma_.lower() in words.place_nouns


def _named_place(doc: Doc, token: Token, words: EngineLexicons) -> tuple[int, int] | None:
    """The place `token` names: a GPE/LOC/FAC entity holding it, a place noun with the name
    before it ("Reasi district"), or the proper noun of "the (port) city of X" (the small model
    often tags such names PERSON or ORG)."""
    ent = entity_at(doc, token.i)
    if ent is not None and ent.label_ in PLACE_LABELS:
        end = ent.end
        while end > ent.start + 1 and doc[end - 1].dep_ == "case":
            end -= 1  # the model's "Madhya Pradesh's": the name, not its possessive ending
        return ent.start, end
    if _is_place_noun(token, words):  # "Reasi district", "the Russia-Ukraine border": the name and its noun
        names = [(c, e) for c in token.children if c.dep_ == "compound" and (e := entity_at(doc, c.i)) is not None]
        owner = _place_owner(doc, token, words, common=not names)
        if owner is not None:
            return owner, token.i + 1  # "Akron's west side", "Pattani's Nong Chik district"
        if names and names[0][1].label_ in PLACE_LABELS and names[0][1].end == token.i:
            return min(names[0][1].start, names[0][0].left_edge.i), token.i + 1
        if token.lemma_.lower() in words.area_nouns and (named := _proper_compound(doc, token)) is not None:
            return named, token.i + 1  # "in the Wadajir district" (the model tags Wadajir a person)
    of_place = token.dep_ == "pobj" and token.head.lower_ == "of" and _is_place_noun(token.head.head, words)
    if token.pos_ == "PROPN" and of_place:
        if ent is not None and ent.label_ in {"PERSON", "ORG", "NORP", ""}:
            return ent.start, ent.end
        return token.left_edge.i, token.i + 1
    return None


def _proper_compound(doc: Doc, token: Token) -> int | None:
    """Where the proper name an area noun (`area_nouns`) is called by starts: title-case proper
    nouns compounded right before it, however the parser chains them ("Wadajir district", "the
    Maru Local Government Area"), whatever the model tags them; None when a person's full name is
    among them. Not for buildings ("Doctors Without Borders hospital in Kunduz" is in Kunduz) nor
    "Islamic State"."""
    start = token.i
    while start > 0 and doc[start - 1].dep_ == "compound" and start <= doc[start - 1].head.i <= token.i:
        if doc[start - 1].pos_ != "PROPN" or not doc[start - 1].is_title:
            break
        start -= 1
    if start == token.i:
        return None
    ent = entity_at(doc, start)
    if ent is not None and ent.label_ == "PERSON" and len(ent) > 1:
        return None
    return start


_NAME_PREPS = frozenset({"near", "in", "outside", "at", "on"})
_FIRM_PREPS = frozenset({"near", "in", "outside"})
"""Before these a one-word organisation is a place ("in Djibo"); after "at" it is a workplace."""


def _unlabelled_place_name(doc: Doc, obj: Token, words: EngineLexicons) -> bool:
    """A proper name after near/in/outside/at/on that the model tags as no entity ("a raid on Um
    Sunut"), as a people in the singular ("bombs on Beryslav") or, not after "on", as a person who
    is nobody's given name ("in Khan Younis", "at Tourou"); after near/in/outside, as an
    organisation with no word of an institution ("in Djibo", "in Barangay Carabalan"; not "in
    Congress", "in Kyiv Post") is a place name: people are not where things happen, and the
    small model tags most towns it does not know that way. Not after "at" for a firm ("at
    Facebook" is a workplace); a name is title-case, hyphens allowed ("Tse-Akaa")."""
    if obj.pos_ != "PROPN" or obj.dep_ != "pobj" or obj.head.lower_ not in _NAME_PREPS:
        return False
    if not _proper_word(obj) or any(c.dep_ == "det" for c in obj.children):
        return False  # not a headline in capitals, nor "the Sykes-Picot Agreement"
    if obj.head.i > 0 and not doc[obj.head.i - 1].whitespace_:
        return False  # "Commander-in-Chief"
    ent = entity_at(doc, obj.i)
    if ent is None:
        return True
    if ent.end != obj.i + 1 or ent.start < obj.left_edge.i or not _proper_word(ent[0]):
        return False
    if ent.label_ == "NORP":
        return obj.tag_ == "NNP"  # "bombs on Beryslav": a town, not a people ("on Palestinians")
    if obj.head.lower_ == "on":
        return False  # "an attack on Netanyahu", "on Hamas": a person or a body
    if not all(_proper_word(t) or t.text == "-" or (t.is_lower and t.is_alpha and len(t) <= 3) for t in ent):
        return False  # "Zawtar al-Charkiyeh", "Ciudad de Dios"; not "Jonathan the Great"
    if ent.label_ == "PERSON":
        return ent[0].lower_ not in words.given_names_male | words.given_names_female
    return (
        ent.label_ == "ORG" and obj.head.lower_ in _FIRM_PREPS
        and not any(t.lower_ in words.org_name_words for t in ent)
    )  # fmt: skip


def _hyphened_end(doc: Doc, i: int) -> int:
    """The end of the word at `i` with the pieces hyphens glue to it ("Dasht-e-Barchi", which the
    tokenizer splits and the parser scatters)."""
    end = i + 1
    while end < len(doc) and not doc[end - 1].whitespace_ and "-" in (doc[end].text, doc[end - 1].text):
        end += 1
    return end


def _proper_word(token: Token) -> bool:
    """A title-case word of letters, hyphens inside allowed ("Khan", "Tse-Akaa"; not "NATO")."""
    text = token.text
    return text[:1].isupper() and not token.is_upper and text.replace("-", "").isalpha()


def _place_owner(doc: Doc, token: Token, words: EngineLexicons, common: bool) -> int | None:
    """Where the place a place noun belongs to starts ("Akron's west side": Akron), or None. The
    owner is a named place, a one-word proper noun that is no person's full name (the small model
    tags many towns and regions as firms or products: "Niger's Tillaberi region", "Pattani's Nong
    Chik district"), or with `common` itself a place noun ("the city's outskirts"; not "his
    country's Darfur region", which has a name of its own)."""
    for child in token.children:
        if child.dep_ != "poss":
            continue
        ent = entity_at(doc, child.i)
        if ent is not None and ent.label_ in PLACE_LABELS:
            return ent.start
        if child.pos_ == "PROPN" and child.is_title and (ent is None or ent.label_ != "PERSON" or len(ent) == 1):
            return child.left_edge.i
        if common and child.pos_ == "NOUN" and _is_place_noun(child, words):
            return child.left_edge.i
    return None


def _place_of(doc: Doc, obj: Token, common: bool, words: EngineLexicons) -> tuple[int, int] | None:
    """The place a locative object stands for: a road between two places as a whole; a named
    place inside its phrase (the first that is not a modifier: "the port city of Mariupol" →
    Mariupol; a river or region only when no town follows, `_natural_feature`), else with `common`
    the object itself when it is a place noun ("across the city")."""
    if _unlabelled_place_name(doc, obj, words):
        return obj.left_edge.i, _hyphened_end(doc, obj.i)  # "ambushed a boat near Ngouboua" (tagged no place)
    if _is_place_noun(obj, words) and any(c.dep_ == "prep" and c.lower_ == "between" for c in obj.children):
        return obj.left_edge.i, obj.right_edge.i + 1  # "the road between Qana and Tyre": the stretch, not one end
    owners = {t.i for tok in obj.subtree if tok.dep_ == "poss" and _is_place_noun(tok.head, words) for t in tok.subtree}
    feature = None
    for tok in obj.subtree:
        if tok.i in owners:
            continue  # "Madhya Pradesh's Dewas district": the district says whose it is
        if tok.i != obj.i and tok.dep_ in _MODIFIERS:
            ent = entity_at(doc, tok.i)
            if ent is None or not ent.start <= tok.head.i < ent.end:
                continue  # "southern Ukraine port city": a modifier, not the place itself
        if (found := _named_place(doc, tok, words)) is not None:
            if found == feature or (feature is None and _natural_feature(doc, found)):
                feature = found  # "a ferry on the Volta River near Yeji": the town, if one follows
                continue
            return found
        if tok.i != obj.i and tok.head.lower_ in _FIRM_PREPS and _unlabelled_place_name(doc, tok, words):
            return tok.left_edge.i, _hyphened_end(doc, tok.i)  # "houses in Gidan Tsoho" (tagged a person)
    if feature is not None:
        return feature
    if common and _is_place_noun(obj, words):
        start = obj.left_edge.i
        while start < obj.i and doc[start].dep_ in {"det", "poss", "case"}:
            start += 1
        return start, obj.i + 1
    return None


def _natural_feature(doc: Doc, place: tuple[int, int]) -> bool:
    """A place the model tags LOC and names with "the" (a river, a range, a region: "the Niger
    River", "the Sahel"): a settlement named beside it says better where an act took place. A
    town the model tags LOC has no article ("in Vimmerby, a small town in southern Sweden")."""
    ent = entity_at(doc, place[0])
    start = doc[place[0]]
    article = start.lower_ == "the" or (start.i > 0 and doc[start.i - 1].lower_ == "the")
    return ent is not None and ent.label_ == "LOC" and article


_OWN_CLAUSES = frozenset({"relcl", "ccomp", "advcl", "conj", "parataxis"})
"""Clauses of their own inside the anchor's: a place there is another event's or a speaker's."""


def _location(
    doc: Doc, anchor: int, words: EngineLexicons, within: tuple[int, int] | None = None,
    attached: tuple[int, int] | None = None,
) -> Mention | None:  # fmt: skip
    """Where the event took place.

    1. A place attached by a locative preposition to the anchor or, failing that, to the words
       that govern it up to the clause's verb ("were killed in attacks in X", "struck ... in X"),
       or to the head of the `attached` phrase, where the parser often hangs it ("kills a general
       in Syria", "wounding 13 people on a street in Lyon"); the noun a `where` clause describes
       ("at the bus station, where six people were killed").
    2. A named place inside the target phrase ("shelled the outskirts of Kyiv" → Kyiv, "a target
       inside Russia" → Russia, "a facility in the port city of Mariupol" → Mariupol). A region
       that frames the sentence ("In Kharkiv Oblast, ...") comes after both.
    3. For a verb, a named place anywhere else in its clause (`_clause_place`); then a common
       place noun of step 1.
    Named places win over common place nouns ("across the city")."""
    if not doc.has_annotation("DEP"):
        return None
    chain = [doc[anchor]]
    while chain[-1].pos_ not in {"VERB", "AUX"} and chain[-1].head.i != chain[-1].i and len(chain) < 4:
        chain.append(chain[-1].head)
    heads = chain if attached is None else [*chain, doc[attached[0] : attached[1]].root]
    objects = [
        obj
        for head in heads
        for prep in head.children
        if _locative(prep, words)
        for obj in prep.children
        if obj.dep_ == "pobj"
    ]
    clause = chain[-1]
    if clause.dep_ == "relcl" and any(c.dep_ == "advmod" and c.lower_ == "where" for c in clause.children):
        objects.append(clause.head)
    # "In Kherson Oblast, a drone dropped explosives on a car in the village of Bilozerka": the
    # region frames the sentence, the village is where
    framed = feature = None
    for obj in objects:
        if (found := _place_of(doc, obj, False, words)) is not None:
            if framed is None and _framing(obj):
                framed = found
                continue
            if feature is None and _natural_feature(doc, found):
                feature = found  # "on the Volta River near Yeji": the town, if one follows
                continue
            return mention(doc, *found)
    if feature is not None:
        return mention(doc, *feature)
    if within is not None and (found := _place_of(doc, doc[within[0] : within[1]].root, False, words)) is not None:
        return mention(doc, *found)
    if framed is not None:
        return mention(doc, *framed)
    if (verb := _clause_verb(doc[anchor], words)) is not None and (place := _clause_place(doc, verb, words)):
        return place
    for obj in objects:
        if (found := _place_of(doc, obj, True, words)) is not None:
            return mention(doc, *found)
    return None


_COMPASS = frozenset({"north", "south", "east", "west", "northeast", "northwest", "southeast", "southwest"})
"""The points of the compass (a closed class): "a village south of Myawaddy" is at Myawaddy."""


def _locative(prep: Token, words: EngineLexicons) -> bool:
    """A preposition that attaches where something is: a locative one (`location_preps`), or the
    "of" of a compass point ("20 km north of Gao")."""
    if prep.dep_ != "prep":
        return False
    if prep.lower_ == "of":
        return prep.head.lower_.replace("-", "") in _COMPASS
    return prep.lower_ in words.location_preps


def _framing(obj: Token) -> bool:
    """The object of a preposition that opens its sentence and is set off by a comma ("In Donetsk
    Oblast, artillery shelled ..."): a region the report is framed by, not the spot itself."""
    prep, last = obj.head, obj.right_edge.i  # the parser hangs the comma on the object or after it
    comma = obj.doc[last].text == "," or (last + 1 < len(obj.doc) and obj.doc[last + 1].text == ",")
    return prep.i == prep.sent.start and comma


def _clause_verb(anchor: Token, words: EngineLexicons) -> Token | None:
    """The verb whose clause tells where the anchor's event was: a verb anchor's own, or the verb
    of harm an attack noun is the subject of ("An explosion tore through a mosque in X, killing
    nine", `harm_act_verbs`), or the verb that acts it out ("opened fire", `act_support_verbs`);
    None for another noun ("the attack strengthens the case for cooperation in Europe": the
    clause is about something else)."""
    if anchor.pos_ == "VERB":
        return anchor
    head = anchor.head
    if anchor.dep_ == "nsubj" and head.pos_ == "VERB" and head.lemma_.lower() in words.harm_act_verbs:
        return head
    if (support := _support_verb(anchor, words)) is not None and support.pos_ == "VERB":
        return support  # "opened fire": the verb acts the noun out, its clause is the event's
    return None


def _support_verb(word: Token, words: EngineLexicons) -> Token | None:
    """The verb whose object `word` is and that only acts it out ("opened fire", "carried out
    raids", `act_support_verbs`), or None."""
    head = word.head
    return head if word.dep_ == "dobj" and head.lemma_.lower() in words.act_support_verbs else None


def _clause_place(doc: Doc, verb: Token, words: EngineLexicons, upward: bool = True) -> Mention | None:
    """3. Failing those, for a verb, the first named place a locative preposition introduces
    anywhere in its clause, outside relative and reported clauses: "gunmen attacked a bus carrying
    pilgrims on the road in Reasi" (the parser hangs "in Reasi" on the road); also in the clauses
    of a subjectless coordinated verb, of a "when/as/after/while" clause, and (with `upward`,
    once) of the verb a bare participle goes on with or a "when/as/while" clause breaks into:
    one event, one place. A region that frames the sentence ("In Kharkiv Oblast, ...",
    `_framing`) comes last. Nouns come through `_clause_verb` only."""
    stack, framed = deque(verb.children), None
    while stack:
        tok = stack.popleft()
        if tok.dep_ in _OWN_CLAUSES and not _subjectless_conjunct(tok):
            continue  # but "was shot and wounded outside a party on Akron's west side": one event
        if _locative(tok, words):
            for obj in tok.children:
                if obj.dep_ == "pobj" and (found := _place_of(doc, obj, False, words)) is not None:
                    if framed is None and _framing(obj):
                        framed = mention(doc, *found)  # a region framing the sentence: last
                        continue
                    return mention(doc, *found)
        stack.extend(tok.children)
    shared = [c for c in verb.children if _subjectless_conjunct(c)]
    for clause in [*verb.children, *(c for conj in shared for c in conj.children)]:
        # "were killed when a bomber blew himself up in Bannu", "was shot and wounded while buying
        # tea at a market in X": the same event
        if (
            clause.dep_ == "advcl"
            and _clause_marks(clause) & _EVENT_MARKS
            and (place := _clause_place(doc, clause, words, False))
        ):
            return place
    head = _participle_head(verb) or _scene_head(verb) or _first_conjunct(verb) if upward else None
    if head is not None and (place := _clause_place(doc, head, words, False)) is not None:
        return place  # "ambushed a convoy in Niger, killing 17": there
    return framed


_SCENE_MARKS = frozenset({"when", "as", "while"})


def _scene_head(verb: Token) -> Token | None:
    """The verb of the scene a "when/as/while" clause breaks into ("troops were on patrol in X
    when rebels opened fire on them": the attack was in X); not "after", which may be elsewhere."""
    if verb.dep_ == "advcl" and _clause_marks(verb) & _SCENE_MARKS and verb.head.pos_ in {"VERB", "AUX"}:
        return verb.head
    return None


def _first_conjunct(verb: Token) -> Token | None:
    """The verb a subjectless coordinated verb goes on from ("boarded the bus at a stop in X,
    pulled pistols and fired at passengers": boarded): the same doers, the same scene."""
    while _subjectless_conjunct(verb) and verb.head.pos_ == "VERB":
        verb = verb.head
    return verb if verb.dep_ != "conj" and verb.pos_ == "VERB" else None


def _subjectless_conjunct(tok: Token) -> bool:
    """A verb coordinated with its head that has no subject of its own: the same act goes on."""
    return tok.dep_ == "conj" and tok.pos_ == "VERB" and not own_subject(tok)


def _clause_marks(clause: Token) -> set[str]:
    """The words that open a clause ("when", "as", "while")."""
    return {c.lower_ for c in clause.children if c.dep_ in {"mark", "advmod"}}


def _participle_head(verb: Token) -> Token | None:
    """The verb whose event a bare participle clause goes on with ("ambushed ..., killing 17
    soldiers and wounding 23": ambushed; not "after killing", nor one with a subject of its own)."""
    while verb.dep_ == "conj" and verb.tag_ == "VBG" and not own_subject(verb):
        verb = verb.head
    bare = verb.dep_ == "advcl" and verb.tag_ == "VBG" and not own_subject(verb)
    if bare and verb.head.pos_ in {"VERB", "AUX"} and not any(c.dep_ == "mark" for c in verb.children):
        return verb.head
    return None


_EVENT_MARKS = frozenset({"when", "as", "after", "while"})
"""What opens a clause that tells how the anchor's event happened, and so where."""


def build_event(doc: Doc, grown: Grown, sentence_index: int, anchor: int, words: EngineLexicons) -> Event:
    """The typed event for a grown candidate; its span covers every role it reports. `words`: the
    rule set's reserved lexicons (speaker resolution, locative prepositions)."""
    rule = grown.candidate.rule
    roles: dict[str, Mention] = {}
    quantities: dict[str, Quantity] = {}
    for role, (start, end) in grown.spans.items():
        if role in rule.quantity_roles:
            if quantity := _quantity(doc, start, end):
                quantities[role] = quantity
        else:
            if end - start > 1:
                start, end = trim_edges(doc, start, end)
            roles[role] = mention(doc, start, end, words if role in RESOLVED_ROLES else None, role in ACTOR_ROLES)
    attrs: dict[str, str] = dict(rule.attributes)
    if (builder := BUILDERS.get(rule.event)) is not None:  # a pack's own types need none
        builder(doc, grown, roles, quantities, attrs, anchor, words)
    start, end = grown.char_span(doc)
    items: list[Mention | Quantity] = [*roles.values(), *quantities.values()]
    for item in items:
        start, end = min(start, item.start), max(end, item.end)
    return Event(
        type=rule.event, rule_id=rule.id, start=start, end=end, text=doc_text(doc)[start:end],
        sentence_index=sentence_index, confidence=rule.confidence, roles=roles,
        quantities=quantities, attrs=attrs,
    )  # fmt: skip


Roles = dict[str, Mention]
Quantities = dict[str, Quantity]
Attrs = dict[str, str]


def _casualty(
    doc: Doc, grown: Grown, roles: Roles, quantities: Quantities, attrs: Attrs, anchor: int, words: EngineLexicons
) -> None:
    kind_word = roles.pop("kind", None)
    victims = roles.get("victims")
    if victims is not None and victims.text.lower() in _REFLEXIVES and (doer := roles.pop("perpetrator", None)):
        roles["victims"] = doer  # "the girl killed herself": she is the victim, and nobody else did it
    elif victims is not None and (antecedent := _relative_antecedent(doc, victims)) is not None:
        roles["victims"] = mention(doc, antecedent[0], antecedent[1])
    elif victims is not None and (
        resolved := _pronoun_resolved(doc, victims, victim_antecedent, words, _spans_of(grown, "perpetrator", "kind"))
    ):
        roles["victims"] = resolved  # "he was shot": the man described before
    kind_token = doc[grown.spans["kind"][0]] if kind_word else doc[anchor]
    if grown.candidate.rule.casualty_kind:
        attrs["kind"] = grown.candidate.rule.casualty_kind
    else:
        attrs["kind"] = casualty_kind(kind_token.text, kind_token.lemma_)
    object_victims = "victims" in grown.spans and grown.spans["victims"][0] > kind_token.i
    if "perpetrator" not in roles and object_victims and (shared := _shared_subject(kind_token, participle=True)):
        roles["perpetrator"] = mention(doc, *shared, words)  # "Gunmen stormed the camp, killing 12": the gunmen
    if "source" not in roles and (source := _attribution(doc, anchor)):
        roles["source"] = source
    if "location" not in roles and (place := _location(doc, anchor, words, attached=grown.spans.get("victims"))):
        roles["location"] = place
    if "count" not in quantities and "victims" in roles:
        _count_in_victims(doc, roles, quantities)
    count, victims = quantities.get("count"), roles.get("victims")
    if count is not None and victims is not None and count.start <= victims.start and victims.end <= count.end:
        del roles["victims"]  # "injuring more than two dozen": the count's noun names nobody
    elif victims is not None and (named := _people_named(doc, victims, count, words)) is not None:
        low, high, qualifier = named  # "three soldiers and at least two civilians": at least five
        quantities["count"] = Quantity(low, high, qualifier, victims.text, victims.start, victims.end)
    victims = roles.get("victims")
    if victims is not None and (described := _described_among_hurt(doc, victims)) is not None:
        roles["victims"] = mention(doc, *described)


_HURT_WORDS = frozenset({"injured", "wounded", "dead", "hurt"})
"""Adjectives used as nouns for the casualties already counted ("one of the injured")."""


def _described_among_hurt(doc: Doc, victims: Mention) -> tuple[int, int] | None:
    """Who "one of the injured" was, when the phrase says so in apposition ("One of the injured,
    a 45-year-old crane operator, died": the crane operator, not "injured"). None otherwise."""
    span = doc.char_span(victims.start, victims.end, alignment_mode="expand")
    if span is None or span.root.lower_ not in _HURT_WORDS or span.root.head.lower_ != "of":
        return None
    heads = (span.root, span.root.head.head)  # the parser hangs the apposition on either
    appositive = next((c for head in heads for c in head.children if c.dep_ == "appos"), None)
    return None if appositive is None else grow(doc, (appositive.i,), "subtree")


_RELATIVES = frozenset({"who", "whom", "that", "which"})


def _relative_antecedent(doc: Doc, mentioned: Mention) -> tuple[int, int] | None:
    """The noun phrase a relative pronoun stands for: "a student who was shot in the leg" names
    the student, not "who". None for any other mention."""
    span = doc.char_span(mentioned.start, mentioned.end)
    if span is None or len(span) != 1 or span[0].lower_ not in _RELATIVES:
        return None
    clause = span[0].head
    if clause.dep_ != "relcl" or clause.head.pos_ not in {"NOUN", "PROPN", "PRON"}:
        return None
    noun = clause.head
    return noun.left_edge.i, noun.i + 1


_REFLEXIVES = frozenset({"himself", "herself", "themselves", "myself", "ourselves", "yourself", "yourselves"})
_SINGLE_PRONOUNS = frozenset({"he", "she", "him", "her"})
_DETERMINERS = frozenset({"a", "an", "the", "this", "that", "another"})


def _people_named(
    doc: Doc, victims: Mention, count: Quantity | None, words: EngineLexicons
) -> tuple[int, int | None, str] | None:
    """How many people a victims phrase names one by one or group by group: "a police officer",
    "the driver", "he", "Juan Perez", "a 17-year-old" are one, "a woman and her son" two, "four
    policemen and a customer" five, "the village head, his wife and three grandchildren" five, "a
    family of five" five (`_group_of`), as (min, max, qualifier): a qualified number keeps its
    qualifier alone ("about 20 wounded people") and makes a sum a lower bound ("three soldiers
    and at least two civilians": at least five). None
    for a plural without a number, a group named in the singular ("the crew", "a family":
    `collective_nouns`), a bare noun ("police") or anything else, and when the rule's own count
    already says it all (one phrase, or a count that is not one conjunct's number)."""
    span = doc.char_span(victims.start, victims.end, alignment_mode="expand")
    if span is None:
        return None
    listed = [span.root, *(c for c in span.root.children if list_middle(c))]  # "a nurse, a teacher and …"
    heads = [*dict.fromkeys(t for tok in listed for t in (tok, *tok.conjuncts) if span.start <= t.i < span.end)]
    numbers = [
        next((c for c in tok.children if c.dep_ == "nummod" and not AGE_COMPOUND.match(c.text)), None) for tok in heads
    ]
    starts = {idx for n in numbers if n is not None for idx in (n.idx, n.left_edge.idx)}
    if count is not None and (len(heads) == 1 or count.start not in starts):
        return None
    total, exact_only, qualifier = 0, True, "EXACT"
    for tok, number in zip(heads, numbers, strict=True):
        parsed = _quantity(doc, number.left_edge.i, number.i + 1) if number is not None else None
        if parsed is not None and parsed.min is not None and parsed.qualifier in _LOWER_BOUNDED:
            total += parsed.min
            exact_only = exact_only and parsed.qualifier == "EXACT" and parsed.max == parsed.min
            qualifier = parsed.qualifier
        elif number is None and _one_person(tok, words):
            total += 1
        elif number is None and (members := _group_of(doc, tok, words)):
            total += members
        else:
            return None
    if not total:
        return None
    if exact_only:
        return total, total, "EXACT"
    if len(heads) == 1:
        return total, None if qualifier != "APPROXIMATE" else total, qualifier  # "about 20 wounded people"
    return total, None, "AT_LEAST"


_LOWER_BOUNDED = frozenset({"EXACT", "AT_LEAST", "MORE_THAN", "APPROXIMATE"})
"""Qualifiers whose number can open a sum of people (a lower bound, or about that many)."""


def _group_of(doc: Doc, tok: Token, words: EngineLexicons) -> int:
    """The size a group gives itself: "a family of five" is five (0 for anything else)."""
    if tok.lemma_.lower() not in words.collective_nouns:
        return 0
    of = next((c for c in tok.children if c.dep_ == "prep" and c.lower_ == "of"), None)
    size = next((c for c in of.children if c.dep_ == "pobj" and c.like_num), None) if of is not None else None
    exact = _quantity(doc, size.i, size.i + 1) if size is not None else None
    return exact.min if exact is not None and exact.qualifier == "EXACT" and exact.min == exact.max else 0


def _one_person(tok: Token, words: EngineLexicons) -> bool:
    if tok.lower_ in _SINGLE_PRONOUNS:
        return True
    if tok.ent_type_ == "ORDINAL" and any(c.dep_ == "det" and c.lower_ in {"a", "an"} for c in tok.children):
        return True  # "two were killed and a third was wounded": one more
    if AGE_COMPOUND.match(tok.text):  # "a 17-year-old"
        return any(c.dep_ == "det" and c.lower_ in _DETERMINERS for c in tok.children)
    if tok.ent_type_ == "PERSON":
        return tok.tag_ in {"NNP", "NN"}
    if tok.tag_ != "NN" or tok.lemma_.lower() in words.collective_nouns:
        return False
    if any(child.dep_ == "nummod" or child.lower_ == "of" for child in tok.children):
        return False
    return any(child.dep_ == "poss" or (child.dep_ == "det" and child.lower_ in _DETERMINERS) for child in tok.children)


def _shares_count(people: Span) -> bool:
    """Coordinated plurals that one number opens: "11 women and girls" are 11 in all, where
    "three officers and a driver" (a determiner) or "five men and two women" (a number of its
    own) are not."""
    conjuncts = [tok for tok in people if tok.dep_ == "conj"]
    return (
        bool(conjuncts)
        and people.root.tag_ in {"NNS", "NNPS"}
        and all(
            tok.tag_ in {"NNS", "NNPS"} and not any(c.dep_ in {"det", "nummod", "poss"} for c in tok.children)
            for tok in conjuncts
        )
    )


def _count_in_victims(doc: Doc, roles: Roles, quantities: Quantities) -> None:
    """A count that opens the victims phrase of a rule without a count of its own ("Dozens of
    people", "Between 15 and 25 people", "nearly 300 lives"); the victims keep the rest, and a
    victims phrase that is only a count ("15 were injured") becomes the count, grown to the whole
    count phrase the parser split ("Between 15 and 25 were hurt": 25 is the subject). Not over
    coordinated victims ("three officers and a driver" are four)."""
    victims = doc.char_span(roles["victims"].start, roles["victims"].end)
    size = count_prefix([tok.text for tok in victims]) if victims is not None else 0
    if victims is None or not size:
        return
    rest = victims.start + size
    while rest < victims.end and doc[rest].lower_ in {"of", "the"}:
        rest += 1
    if any(tok.dep_ == "cc" for tok in doc[rest : victims.end]) and not _shares_count(doc[rest : victims.end]):
        return
    start, end = victims.start, victims.start + size
    if rest >= victims.end:
        wider = grow(doc, (end - 1,), "quantity")
        start, end = min(start, wider[0]), max(end, wider[1])
    if count := _quantity(doc, start, end):
        quantities["count"] = count
        if rest < victims.end:
            roles["victims"] = mention(doc, rest, victims.end)
        else:
            del roles["victims"]


def _statement(
    doc: Doc, grown: Grown, roles: Roles, quantities: Quantities, attrs: Attrs, anchor: int, words: EngineLexicons
) -> None:
    if "content" in grown.spans and (whole := _whole_complement(doc, anchor, grown.spans)):
        roles["content"] = mention(doc, *whole)
    if "content" in roles and (longer := _trailing_clauses(doc, anchor, roles["content"], grown.spans, words)):
        roles["content"] = mention(doc, *longer)
    quotes = quote_spans(doc_text(doc))
    if "content" in roles and (shorter := _before_coordinated_speech(doc, roles["content"], quotes, words)):
        roles["content"] = mention(doc, *shorter)
    if "content" in roles and _other_paragraph(doc_text(doc), doc[anchor].idx, roles["content"]):
        del roles["content"]
    if "content" in roles and (own := _cue_paragraph(doc, anchor, roles["content"])):
        roles["content"] = mention(doc, *own)
    if "content" in roles and (untimed := _after_cue_time(doc, anchor, roles["content"])):
        roles["content"] = mention(doc, *untimed)
    if "speaker" in roles and (setting := _past_fronted_setting(doc, roles["speaker"], words)):
        roles["speaker"] = mention(doc, *setting, words)
    if "speaker" in roles and (outside := _speaker_after_quote(doc, anchor, roles["speaker"], quotes)):
        roles["speaker"] = mention(doc, *outside, words)
    if "speaker" in roles and (joint := _joint_speakers(doc, anchor, roles["speaker"])):
        roles["speaker"] = mention(doc, *joint, words)
    if "speaker" in roles and (reporter := _reporter_of_coordinated(doc, anchor, roles["speaker"], words)):
        roles["speaker"] = mention(doc, *reporter, words)
    if "speaker" in roles and (whose := _speaker_for(doc, anchor, roles["speaker"], words)):
        roles["speaker"] = mention(doc, *whose, words)
    quoted = quote_for_cue(doc, anchor, quotes)
    content = roles.get("content")
    # a quote before its cue is the content ("“A,” she said") unless the rule found the cue's own
    # content after it ("“A,” she said, adding that B": B; not a clause the parser hung on the cue
    # past an inverted speaker: "“A,” said X, who …"); one after the cue only when the reported
    # clause starts with it ("she said: “A”", not the partial "said it was “B”")
    before = quoted is not None and quoted[1] <= doc[anchor].idx
    if before and content is not None and content.start > doc[anchor].idx:
        # the rest of a split quotation ("“A,” X added, “and B.”") is no content of the cue's own
        split = quote_at(quotes, content.start) is not None
        quoted = quoted if split or _past_inverted_speaker(doc, anchor, grown.spans) else None
    if quoted is not None and not before and content is not None and _runs_on(doc_text(doc), quoted, content):
        quoted = None
    if quoted is not None and (before or content is None or quoted[0] - 1 <= content.start <= quoted[1]):
        roles["content"] = Mention(doc_text(doc)[quoted[0] : quoted[1]], quoted[0], quoted[1])
        attrs["kind"] = "DIRECT"
    elif content is not None:
        attrs["kind"] = "MIXED" if holds_quote(quotes, content.start, content.end) else "INDIRECT"


_CONCESSIVE = frozenset({"because", "although", "though"})
_SUBJECTS = frozenset({"nsubj", "nsubjpass", "expl", "csubj"})


def _trailing_clauses(
    doc: Doc, cue: int, content: Mention, spans: dict[str, tuple[int, int]], words: EngineLexicons
) -> tuple[int, int] | None:
    """The reported clause run on over the clauses the parser coordinated with the cue instead
    of with it ("said he had offers, but the offers were …", "said it left them out because …"):
    a conjunct with a subject of its own that reports no speech itself, or a reason or concession;
    not the speaker's own next act ("said A and left") nor a second report ("…, and B said C")."""
    first = doc.char_span(content.start, content.end, alignment_mode="expand")
    if first is None or first.start <= cue or ("speaker" in spans and spans["speaker"][0] > cue):
        return None
    end = first.end
    for child in doc[cue].rights:
        if child.i < end:
            continue
        clause = child.dep_ == "conj" and any(c.dep_ in _SUBJECTS for c in child.children)
        speech = child.lemma_.lower() in words.speaker_speech_verbs or any(c.dep_ == "ccomp" for c in child.children)
        reason = child.dep_ == "advcl" and any(c.dep_ == "mark" and c.lower_ in _CONCESSIVE for c in child.children)
        if (clause and not speech) or reason:
            end = child.right_edge.i + 1
    if end == first.end:
        return None
    while end > first.end and doc[end - 1].is_punct and doc[end - 1].text in ".!?":
        end -= 1  # the sentence's full stop, hung on the last conjunct
    return trim_edges(doc, first.start, end)


_TIME_PREPS = frozenset({"on", "at", "in", "late", "early", "earlier", "later"})


def _after_cue_time(doc: Doc, cue: int, content: Mention) -> tuple[int, int] | None:
    """The reported clause without the time of the saying that opens it: wire copy drops "that"
    ("said on Sunday he would not attend", "said Thursday its profits doubled") and the parser
    hangs the date on the reported verb. Only a date or time right after the cue and before a
    clause that goes on with its own subject; "said last year was the worst" keeps its subject."""
    span = doc.char_span(content.start, content.end, alignment_mode="expand")
    before = doc[span.start - 1] if span is not None and span.start > 0 else None
    if span is None or before is None or len(span) < 3:
        return None
    if before.i != cue and not (before.head.i == cue and before.dep_ in {"dobj", "dative"}):
        return None  # right after the cue, or after whom it was told to ("told reporters on Friday")
    i = span.start
    while i < span.end and (doc[i].ent_type_ in {"DATE", "TIME"} or (i == span.start and doc[i].lower_ in _TIME_PREPS)):
        if doc[i].dep_ in _SUBJECTS or doc[i].dep_ in {"dobj", "attr", "ccomp"}:
            return None  # "said last year was …", "recalling the week the dam broke": no time of saying
        i += 1
    if i == span.start or doc[i - 1].ent_type_ not in {"DATE", "TIME"} or i >= span.end - 1:
        return None
    return (i, span.end) if doc[i].dep_ in _SUBJECTS or doc[i].head.dep_ in _SUBJECTS else None


def _other_paragraph(text: str, cue: int, content: Mention) -> bool:
    """A line break lies between the cue (a character offset) and the clause the parser gave it:
    a sentence the parser ran on into the next paragraph ("said in a post on X.¶Congo's
    government accuses ..."), not what was said. After a colon ("said:¶…") it is."""
    start, end = (cue, content.start) if content.start > cue else (content.end, cue)
    gap = text.find("\n", start, end)
    return gap != -1 and neighbour(text, gap - 1, -1, _WHITESPACE) != ":"


def _cue_paragraph(doc: Doc, cue: int, content: Mention) -> tuple[int, int] | None:
    """The part of a reported clause in the cue's paragraph, when the parser ran it over a line
    break ("Port Authority to raise tolls¶The Port Authority will raise ..., the agency
    announced": a headline is not what the agency said). A break after a colon ("said:¶…") still
    introduces. None when the clause stays in the paragraph."""
    text = doc_text(doc)
    if text.find("\n", content.start, content.end) == -1:
        return None
    span = doc.char_span(content.start, content.end, alignment_mode="expand")
    if span is None:
        return None
    breaks = [tok.i for tok in span if "\n" in tok.text and neighbour(text, tok.idx - 1, -1, _WHITESPACE) != ":"]
    before, after = [i for i in breaks if i < cue], [i for i in breaks if i > cue]
    if not before and not after:
        return None
    start, end = trim_edges(doc, before[-1] + 1 if before else span.start, after[0] if after else span.end)
    return (start, end) if start < end else None


def _speaker_after_quote(doc: Doc, cue: int, speaker: Mention, quotes: Sequence[Quote]) -> tuple[int, int] | None:
    """The phrase between a quote and its cue, when the parser took the speaker from inside the
    quote ("“They came on motorcycles, maybe fifty of them,” a teacher, who ..., told the AP": the
    speaker is the teacher, not "fifty of them"): its first noun or pronoun, grown to its phrase."""
    quote = quote_at(quotes, speaker.start)
    if quote is None or quote[1] > doc[cue].idx:
        return None
    after = doc.char_span(quote[1], doc[cue].idx, alignment_mode="expand")
    head = next((tok for tok in after or () if tok.pos_ in _NOMINAL), None)
    if head is None:  # inverted: "“The economy,” said the governor, “is …”"
        head = next((tok for tok in doc[cue + 1 : _clause_stop(doc, cue)] if tok.pos_ in _NOMINAL), None)
    if head is None:
        return None
    while (
        head.head.i != head.i
        and head.head.i != cue
        and head.head.pos_ in {"NOUN", "PROPN"}
        and head.dep_ in {"compound", "amod", "nmod"}
    ):
        head = head.head
    return grow(doc, (head.i,), "phrase")


def _joint_speakers(doc: Doc, cue: int, speaker: Mention) -> tuple[int, int] | None:
    """The whole coordination of speakers ("Raila Odinga, Kalonzo Musyoka and Martha Karua said",
    "Microsoft and OpenAI said"), which the phrase of its first name leaves out; on the cue's
    side only. None when the speaker is one name."""
    span = doc.char_span(speaker.start, speaker.end, alignment_mode="expand")
    if span is None:
        return None
    chain, joined = [span.root], []
    while chain:  # "A, B and C": B hangs on A (as a conjunct, or as a name in apposition), C on B
        more = [
            c for c in chain.pop().children
            if (c.dep_ == "conj" and c.pos_ in {"NOUN", "PROPN"})
            or (c.dep_ == "appos" and c.pos_ == "PROPN" and any(g.dep_ == "conj" for g in c.children))
        ]  # fmt: skip
        joined += more
        chain += more
    links = [span.root, *joined]
    if not joined or not any(c.dep_ == "cc" and c.lower_ in {"and", "&"} for tok in links for c in tok.children):
        return None
    end = max(c.right_edge.i for c in joined) + 1
    if end <= span.end or (span.start < cue < end):
        return None
    return span.start, end


_NOMINAL = frozenset({"NOUN", "PROPN", "PRON"})


def _clause_stop(doc: Doc, cue: int) -> int:
    """The first punctuation or quote mark after the cue: an inverted speaker stands before it."""
    return next((tok.i for tok in doc[cue + 1 :] if tok.is_punct or tok.is_quote), len(doc))


def _runs_on(text: str, quoted: tuple[int, int], content: Mention) -> bool:
    """The reported clause goes on past a quote after the cue that closes no clause ("X, she
    said, ''is a model'' for the region"): a partial quote inside the clause, which stays the
    content. A quote that closes with clause punctuation, or the clause's end, is the content."""
    if content.end <= quoted[1] + 1 or text[quoted[1] - 1 : quoted[1]] in {",", ".", "!", "?", ";", ":"}:
        return False
    rest = text[quoted[1] : content.end].lstrip(" ”\"'’")
    return rest[:1].islower()


def _before_coordinated_speech(
    doc: Doc, content: Mention, quotes: Sequence[Quote], words: EngineLexicons
) -> tuple[int, int] | None:
    """The reported clause without a speech verb the parser coordinated with it ("said the
    storm had passed but warned that B", "... and warned of reprisals", "... and urged drivers to
    stay home", "..., stressing that B"): that verb, with no subject of its own, is the speaker's second statement
    (`statement.say.conj.in_content`, `_reporter_of_coordinated`), not part of the first. So is a
    simple past the reported verb's tense cannot share ("said the road would reopen and
    apologised to drivers", "said the bridge is closed and thanked the crews"): the speaker's own
    next act."""
    span = doc.char_span(content.start, content.end, alignment_mode="expand")
    if span is None:
        return None
    for child in span.root.rights:
        coordinated = child.dep_ == "conj" or (child.dep_ == "advcl" and child.tag_ == "VBG")  # "…, adding that"
        own_speech = coordinated and child.lemma_.lower() in words.speaker_speech_verbs
        own_act = child.dep_ == "conj" and child.tag_ == "VBD" and _unshared(span.root)
        quoted = holds_quote(quotes, child.idx, child.idx + 1)  # quoted words stay whole
        own_speech = (own_speech or own_act) and not quoted
        children = {c.dep_ for c in child.children}
        if own_speech and child.i < span.end and children & _SAID and not children & _SUBJECTS:
            start, end = trim_edges(doc, span.start, child.left_edge.i)
            return (start, end) if start < end < span.end else None
    return None


_UNSHARED_PAST = frozenset({"VB", "VBG", "VBZ", "VBP"})
"""Tags of a reported verb that a coordinated simple past cannot continue: "would reopen and
apologised", "is closing and apologised"."""


def _unshared(verb: Token) -> bool:
    """A reported verb a coordinated simple past cannot continue: one of `_UNSHARED_PAST`, or a
    passive participle ("two men were arrested and thanked the public"). Not a perfect one: "said
    it had destroyed the base and killed 40 fighters" shares its "had" (the tagger reads the
    second participle as a past)."""
    return verb.tag_ in _UNSHARED_PAST or (verb.tag_ == "VBN" and any(c.dep_ == "auxpass" for c in verb.children))


_SAID = frozenset({"ccomp", "dobj", "xcomp", "prep"})
"""What a speech verb says: a clause, an object ("announced job cuts"), a request ("urged X to")
or a topic ("warned of reprisals")."""


def _reporter_of_coordinated(doc: Doc, cue: int, speaker: Mention, words: EngineLexicons) -> tuple[int, int] | None:
    """The speaker of a speech verb the parser coordinated with a reported clause ("Officials said
    the bridge was unsafe and urged drivers to stay away"): not the reported clause's subject ("the
    bridge"), which a coordinated verb's rule takes, but the one who said that clause. None when
    the cue has a subject of its own or stands outside reported speech."""
    token = doc[cue]
    clause = token.head
    if token.dep_ != "conj" or clause.dep_ != "ccomp" or any(c.dep_ in _SUBJECTS for c in token.children):
        return None
    if clause.head.lemma_.lower() not in words.speaker_speech_verbs:
        return None
    inner = next((c for c in clause.children if c.dep_ in _SUBJECTS), None)
    outer = next((c for c in clause.head.children if c.dep_ == "nsubj"), None)
    if inner is None or outer is None or not speaker.start <= inner.idx < speaker.end:
        return None
    return grow(doc, (outer.i,), "phrase")


_WHOSE_PREPS = frozenset({"for", "from", "at", "with"})
_SOURCE_MODIFIERS = frozenset({"amod", "acl"})
"""What makes an unnamed source a source: "people familiar with the talks", "a person briefed on
the plans", "analysts polled by Reuters" (an adjective or participle after the noun, with its
own phrase)."""
_BODY_ENTS = frozenset({"ORG", "GPE", "FAC", "NORP"})
_WHEN_ENTS = frozenset({"DATE", "TIME", "ORDINAL"})


def _past_fronted_setting(doc: Doc, speaker: Mention, words: EngineLexicons) -> tuple[int, int] | None:
    """The speaker after a setting that opens the sentence, which the parser took for the subject
    with the speaker in apposition ("Outside court, the family's solicitor, X, said …": the
    solicitor): a bare common noun in lower case (no article, owner or number), of no person
    (`people`) and no name, set off by a comma right after it at most two words into its
    sentence. None otherwise."""
    span = doc.char_span(speaker.start, speaker.end, alignment_mode="expand")
    if span is None:
        return None
    root = span.root
    set_off = root.i + 1 < len(doc) and doc[root.i + 1].text == ","
    if not set_off or root.i - root.sent.start > 2 or root.pos_ != "NOUN" or root.ent_type_ or not root.is_lower:
        return None
    if root.lemma_.lower() in words.people or any(c.dep_ in {"det", "poss", "nummod"} for c in root.children):
        return None  # "Her coach, X," / "The studio, X," / "Teck, the mining company," name their speaker
    later = [c for c in root.children if c.i > root.i + 1]
    appositive = next((c for c in later if c.dep_ == "appos"), None) or next(
        (c for c in later if c.dep_ == "conj" and (c.lemma_.lower() in words.people or c.ent_type_ == "PERSON")), None
    )  # or coordinated with the setting by the parser ("At the gate, his niece, X, said")
    # "the family's solicitor, X," without the comma that closes the apposition
    return None if appositive is None else grow(doc, (appositive.i,), "subtree")


def _speaker_for(doc: Doc, cue: int, speaker: Mention, words: EngineLexicons) -> tuple[int, int] | None:
    """A speaker noun with whom it speaks for ("A spokesman for the Ministry of Defence", "Lawyers
    for the family", "an official at the port authority", "campaigners from Friends of the
    Earth", "an official with knowledge of the case") or what makes it a source ("people
    familiar with the talks", `_SOURCE_MODIFIERS`): the phrase names the speaker only with it.
    "at" only before a body ("an officer at the scene", "a leader at the time" say where and
    when). None when no such phrase follows the noun, or it would reach the cue."""
    span = doc.char_span(speaker.start, speaker.end, alignment_mode="expand")
    if span is None or span.root.pos_ != "NOUN" or span.end >= len(doc):
        return None
    prep = doc[span.end]
    if prep.head.i != span.root.i:
        return None
    if prep.dep_ in _SOURCE_MODIFIERS and prep.tag_ in {"JJ", "VBN"}:
        # not a document's issuer ("a statement issued by the palace" speaks for the palace)
        phrase = span.root.lemma_.lower() not in words.written_documents
        phrase = phrase and any(c.dep_ in {"prep", "agent"} for c in prep.children)
    else:
        phrase = prep.dep_ == "prep" and prep.lower_ in _WHOSE_PREPS
        phrase = phrase and any(c.dep_ == "pobj" for c in prep.children)
    end = prep.right_edge.i + 1
    if not phrase or span.start <= cue < end:
        return None
    if prep.lower_ == "at" and not any(_names_body(t, words) for t in prep.subtree):
        return None
    if any(t.ent_type_ in _WHEN_ENTS for t in prep.subtree):
        return None  # "a player for the first time", "a member of the club for decades": when, not whose
    return span.start, end


def _names_body(token: Token, words: EngineLexicons) -> bool:
    lemma = token.lemma_.lower()
    return token.ent_type_ in _BODY_ENTS or lemma in words.speaking_bodies or lemma in words.company_nouns


def _past_inverted_speaker(doc: Doc, cue: int, spans: dict[str, tuple[int, int]]) -> bool:
    """The content lies after a speaker that follows the verb of speech ("“A,” said X, who …"),
    with no "that" to introduce it: a clause the parser hung on the cue from inside the
    speaker's phrase, not the cue's own content ("According to X, B" keeps B)."""
    speaker, content = spans.get("speaker"), spans.get("content")
    if speaker is None or content is None or doc[cue].pos_ != "VERB" or doc[cue].lower_ == "according":
        return False
    return cue < speaker[0] and speaker[1] <= content[0] and doc[content[0]].lower_ != "that"


def _whole_complement(doc: Doc, cue: int, spans: dict[str, tuple[int, int]]) -> tuple[int, int] | None:
    """All of a cue's reported clause when the parser split it into several `ccomp` children
    on the content's side ("said that A — a plan B", "said A, telling C that D"): the rival
    matches of one cue then keep only the farthest clause (the longest span), which drops the
    nearest, the one the cue introduces. None when the content is the only such clause or the
    union would take in another role (an inverted speaker between the clauses)."""
    start, end = spans["content"]
    head = doc[start:end].root
    if head.dep_ != "ccomp" or head.head.i != cue:
        return None
    after = head.i > cue
    clauses = [c for c in doc[cue].children if c.dep_ == "ccomp" and (c.i > cue) == after]
    if len(clauses) < 2:
        return None
    first, last = min(c.left_edge.i for c in clauses), max(c.right_edge.i for c in clauses) + 1
    first, last = (max(first, cue + 1), last) if after else (first, min(last, cue))
    others = (span for role, span in spans.items() if role != "content")
    if (first, last) == (start, end) or not first < last or any(first < e and s < last for s, e in others):
        return None
    return trim_edges(doc, first, last)


def _named_head(doc: Doc, start: int, end: int, words: EngineLexicons) -> tuple[int, int] | None:
    """The name a common place noun introduces: "the port city of Mariupol" → Mariupol."""
    head = doc[start:end].root
    while head.dep_ == "compound" and head.head.i != head.i:
        head = head.head
    if not _is_place_noun(head, words):
        return None
    for prep in head.children:
        if prep.dep_ == "prep" and prep.lower_ == "of":
            for obj in prep.children:
                if obj.dep_ == "pobj" and (found := _named_place(doc, obj, words)) is not None:
                    return found
    return None


def _place(
    doc: Doc, grown: Grown, roles: Roles, quantities: Quantities, attrs: Attrs, anchor: int, words: EngineLexicons
) -> None:
    if "location" in roles and "location" in grown.spans:
        if (name := _named_head(doc, *grown.spans["location"], words)) is not None:
            roles["location"] = mention(doc, *name)
    elif place := _location(doc, anchor, words, grown.spans.get("target"), grown.spans.get("target")):
        roles["location"] = place
    elif (target := roles.get("target")) is not None and (span := doc.char_span(target.start, target.end)) is not None:
        ent = entity_at(doc, span.root.i)
        if ent is not None and ent.label_ in {"GPE", "LOC"} and ent.start >= span.start and ent.end <= span.end:
            roles["location"] = mention(doc, ent.start, ent.end)  # "shelled Kherson": the place it struck


def _attack(
    doc: Doc, grown: Grown, roles: Roles, quantities: Quantities, attrs: Attrs, anchor: int, words: EngineLexicons
) -> None:
    """An attack's place, and its weapon where the rule took a subject for the attacker that is an
    instrument ("A roadside bomb struck a convoy", "Russian missiles hit the centre": the corpora
    annotate the munition as the instrument, and the attacker only when someone is named)."""
    _place(doc, grown, roles, quantities, attrs, anchor, words)
    acting = _acting_verb(doc[anchor], words)
    struck = _aimed_at(doc[anchor], acting) or _struck_at(doc, doc[anchor], words) if "target" not in roles else None
    if struck is None and _where_it_went_off(doc, grown, anchor):
        struck = _planted_in(doc[anchor], words)  # "a bomb strapped to a bicycle exploded at the crossroads"
    if struck is not None:
        roles["target"] = mention(doc, *grow(doc, (struck.i,), "phrase"))
        place = roles.get("location")
        if place is not None and roles["target"].start <= place.start and place.end <= roles["target"].end:
            # "at a market in Kano": Kano; "at a coach station" is both what was struck and where
            inside = _place_of(doc, struck, False, words)
            if inside is not None and doc[inside[0]].idx > struck.idx:
                roles["location"] = mention(doc, *inside)
    if "attacker" not in roles and (
        (shared := _shared_subject(acting, participle=True)) is not None
        or (shared := _means_subject(doc[anchor], words)) is not None
        or (shared := _shared_agent(doc[anchor])) is not None
    ):
        roles["attacker"] = mention(doc, *shared, words, actor=True)
    for role in ("target", "attacker"):  # "the geologist who was shot": the geologist
        if (mentioned := roles.get(role)) is not None and (antecedent := _relative_antecedent(doc, mentioned)):
            roles[role] = mention(doc, *antecedent, words if role in RESOLVED_ROLES else None, role in ACTOR_ROLES)
    target = roles.get("target")
    span = doc.char_span(target.start, target.end) if target is not None else None
    if span is not None and span.root.ent_type_ in {"DATE", "TIME"} and span.root.pos_ in {"PROPN", "NUM"}:
        del roles["target"]  # "opened fire on Monday": when, not on whom (not "the airbase" in a TIME)
    elif span is not None and len(span) > 1 and span[0].lower_ == "dead":
        roles["target"] = mention(doc, span.start + 1, span.end)  # "shot dead two poachers": not "dead two poachers"
    elif target is not None and (
        resolved := _pronoun_resolved(doc, target, target_antecedent, words, _spans_of(grown, "attacker", "trigger"))
    ):
        roles["target"] = resolved  # "opened fire on them": on whom
    attacker = roles.get("attacker")
    span = doc.char_span(attacker.start, attacker.end, alignment_mode="expand") if attacker is not None else None
    if attacker is not None and span is not None:
        if span[0].lower_ in _NO_ONE:
            del roles["attacker"]  # "not claimed by any group", "by no one": nobody is named
        elif span.root.lemma_.lower() in words.instrument_nouns:
            user = _weapon_user(span.root, words)
            if "weapon" not in roles:  # "Russian missiles hit the centre": the missiles are the weapon
                roles["weapon"] = Mention(attacker.text, attacker.start, attacker.end)
                del roles["attacker"]
            if user is not None:  # "a drone flown by the rebels dropped …": the rebels
                roles["attacker"] = mention(doc, *user, words, actor=True)
    weapon = roles.get("weapon")
    span = doc.char_span(weapon.start, weapon.end, alignment_mode="expand") if weapon is not None else None
    if "attacker" not in roles and span is not None and (user := _weapon_user(span.root, words)) is not None:
        roles["attacker"] = mention(doc, *user, words, actor=True)
    if "attacker" not in roles and span is not None and (nation := _weapon_nation(span)) is not None:
        roles["attacker"] = mention(doc, nation.i, nation.i + 1)  # "a Russian missile and drone strike"
    if "weapon" not in roles and (used := _instrument(acting, words)) is not None:
        roles["weapon"] = mention(doc, *used)
    weapon, attacker = roles.get("weapon"), roles.get("attacker")
    if weapon is not None and attacker is not None and (weapon.start, weapon.end) == (attacker.start, attacker.end):
        del roles["attacker"]  # "exchanges of fire with heavy weapons": what fired, not who


def _weapon_nation(weapon: Span) -> Token | None:
    """The nation or people whose weapon it is, told by an adjective on it ("a Russian missile",
    "Israeli drones"): who fired it, as "a Russian bombardment" names who bombarded."""
    first = next((t for t in weapon if t.dep_ == "amod" and t.ent_type_ == "NORP"), None)
    return first if first is not None and first.head.i == weapon.root.i else None


_USE_VERBS = frozenset({"use", "wield", "employ", "fire", "hurl", "throw", "lob"})
"""Lemmas of a bare participle that names what an act was done with ("using rifles", "firing
rocket-propelled grenades")."""


def _instrument(verb: Token, words: EngineLexicons) -> tuple[int, int] | None:
    """The weapon the act was done with, when the verb that tells it names one (`armed_weapons`):
    the object of its "with" ("opened fire with automatic weapons", also where the parser hangs
    it on the act's object or a place after it: "on the post with rifles", "struck two sites near
    the port with guided bombs"), of a bare "using" or "firing" clause ("attacked the inmates,
    using rifles and explosives", "stormed the base, firing rocket-propelled grenades"), or what
    its doer was armed with ("a man armed with a knife attacked"); not a companion ("with other
    men")."""
    heads = [verb, *(c for c in verb.children if c.dep_ in {"dobj", "nsubj"})]
    heads += [
        obj for head in heads[1:] for obj in head.children if obj.dep_ in {"acl", "amod"} and obj.lower_ == "armed"
    ]
    heads += [
        obj
        for head in list(heads)
        for prep in head.children
        if prep.dep_ == "prep"
        for obj in prep.children
        if obj.dep_ == "pobj"
    ]
    objects = [
        obj
        for head in heads
        for child in head.children
        if (child.dep_ == "prep" and child.lower_ == "with")
        or (child.dep_ == "advcl" and child.tag_ == "VBG" and child.lemma_.lower() in _USE_VERBS)
        for obj in child.children
        if obj.dep_ in {"pobj", "dobj"}
    ]
    found = next((obj for obj in objects if obj.lemma_.lower() in words.armed_weapons), None)
    return None if found is None else grow(verb.doc, (found.i,), "phrase")


def _weapon_user(weapon: Token, words: EngineLexicons) -> tuple[int, int] | None:
    """Who used a weapon, named in the agent of a participle of use on it ("shells fired by M23
    rebels", "a bomb planted by militants"; `weapon_use_verbs`: not "rockets supplied by Iran")."""
    for participle in weapon.children:
        if (
            participle.dep_ != "acl"
            or participle.tag_ != "VBN"
            or participle.lemma_.lower() not in words.weapon_use_verbs
        ):
            continue
        for agent in participle.children:
            user = next((c for c in agent.children if c.dep_ == "pobj"), None) if agent.dep_ == "agent" else None
            if user is not None and user.lemma_.lower() not in words.instrument_nouns and user.lower_ not in _NO_ONE:
                return grow(weapon.doc, (user.i,), "phrase")
    return None


_AT_PREPS = frozenset({"at", "near", "outside", "inside", "beside", "opposite", "on", "under", "beneath", "among"})
_NO_OBJECT = frozenset({"fire", "himself", "herself", "themselves"})
"""Objects that leave an act without a thing acted on ("opened fire", "blew himself up")."""


_AIMING_VERBS = frozenset({"target", "aim"})
"""Lemmas of a bare participle that names what an attack was aimed at ("…, targeting a depot")."""


def _aimed_at(trigger: Token, acting: Token) -> Token | None:
    """What a bare participle of aiming on the act (`acting`, `_acting_verb`) or on its noun says
    it was aimed at: "fired several missiles at dawn, targeting a weapons depot", "an IED blast
    targeting their vehicle" (the object of "targeting"). None otherwise."""
    for head in dict.fromkeys((trigger, acting)):
        for child in head.children:
            if child.dep_ in {"advcl", "acl"} and child.tag_ == "VBG" and child.lemma_.lower() in _AIMING_VERBS:
                obj = next((c for c in child.children if c.dep_ == "dobj"), None)
                if obj is not None:
                    return obj
    return None


def _struck_at(doc: Doc, trigger: Token, words: EngineLexicons) -> Token | None:
    """What an act without an object (or with only its munition as object) was done at: the
    thing its munition was planted on or in ("a bomb hidden on a crowded minibus exploded",
    `weapon_use_verbs`), what was passing ("as their patrol passed"), or what a bomb went off or
    a bomber blew himself up at, near, under or inside ("blew himself up at a crowded market",
    "went off outside the main gate of the academy", "detonated a bomb under a jeep", "in front
    of the court"); a common noun, never a named place (that is where, not what). None for a
    noun trigger or a verb with an object of its own."""
    objects = [c for c in trigger.children if c.dep_ in {"dobj", "nsubjpass"}]
    munition = [c for c in objects if c.dep_ == "dobj" and c.lemma_.lower() in words.instrument_nouns]
    if trigger.pos_ != "VERB" or any(c.lower_ not in _NO_OBJECT for c in objects if c not in munition):
        return None  # but "detonated a bomb under a jeep": the jeep
    if (planted := _planted_in(trigger, words)) is not None:
        return planted
    if (passing := _passing(trigger, words)) is not None:
        return passing
    for prep in trigger.children:
        if prep.dep_ != "prep":
            continue
        obj = next((c for c in prep.children if c.dep_ == "pobj"), None)
        if obj is not None and prep.lower_ == "in" and obj.lower_ == "front":  # "in front of X"
            of = next((c for c in obj.children if c.dep_ == "prep" and c.lower_ == "of"), None)
            obj = next((c for c in of.children if c.dep_ == "pobj"), None) if of is not None else None
        elif prep.lower_ not in _AT_PREPS:
            continue
        if obj is not None and obj.pos_ == "NOUN" and not obj.ent_type_:
            return obj
    return None


def _passing(trigger: Token, words: EngineLexicons) -> Token | None:
    """Who or what was passing when the act was done ("detonated a roadside bomb as their patrol
    passed", "opened fire when the convoy approached", `passing_verbs`): the subject of such a
    clause."""
    for clause in trigger.children:
        if clause.dep_ != "advcl" or not _clause_marks(clause) & _SCENE_MARKS:
            continue
        if clause.lemma_.lower() in words.passing_verbs:
            subject = next((c for c in clause.children if c.dep_ == "nsubj"), None)
            if subject is not None and subject.pos_ == "NOUN":
                return subject
    return None


def _where_it_went_off(doc: Doc, grown: Grown, anchor: int) -> bool:
    """Whether the rule's target is the object of a preposition of place on the trigger ("exploded
    at the crossroads"): where the munition went off, which what it was planted on outranks; not
    what it tore through or slammed into (that is what it struck)."""
    span = grown.spans.get("target")
    if span is None:
        return False
    head = doc[span[0] : span[1]].root.head
    return head.dep_ == "prep" and head.head.i == anchor and head.lower_ in _AT_PREPS


_PLANTED_PREPS = frozenset({"on", "in", "inside", "under", "beneath", "underneath", "aboard", "to"})


def _planted_in(trigger: Token, words: EngineLexicons) -> Token | None:
    """The thing the trigger's subject was planted on, in or under ("a bomb hidden on a minibus",
    "a device attached to a car"): a common noun after the subject's participle of placing."""
    for subject in trigger.children:
        if subject.dep_ not in {"nsubj", "nsubjpass"}:
            continue
        for participle in subject.children:
            if participle.dep_ not in {"acl", "amod"} or participle.tag_ != "VBN":
                continue
            if participle.lemma_.lower() not in words.weapon_use_verbs:
                continue
            for prep in participle.children:
                if prep.dep_ == "prep" and prep.lower_ in _PLANTED_PREPS:
                    obj = next((c for c in prep.children if c.dep_ == "pobj"), None)
                    if obj is not None and obj.pos_ == "NOUN" and not obj.ent_type_:
                        return obj
    return None


Antecedent = Callable[[Doc, Span, EngineLexicons, Sequence[tuple[int, int]]], str]


def _pronoun_resolved(
    doc: Doc, role: Mention, antecedent: Antecedent, words: EngineLexicons, skip: Sequence[tuple[int, int]]
) -> Mention | None:
    """A one-word role not yet resolved, with what `antecedent` finds it stands for ("them" → the
    troops named before); None when it is longer, resolved already, or nothing fits."""
    span = doc.char_span(role.start, role.end)
    if span is None or len(span) != 1 or role.resolved:
        return None
    stands_for = antecedent(doc, span, words, skip)
    return replace(role, resolved=stands_for) if stands_for else None


def _spans_of(grown: Grown, *roles: str) -> list[tuple[int, int]]:
    return [grown.spans[role] for role in roles if role in grown.spans]


_NO_ONE = frozenset({"any", "no", "none", "nobody", "anyone", "anybody"})
"""First words of an agent that names no one ("claimed by any group")."""


def _shared_subject(verb: Token, participle: bool = False) -> tuple[int, int] | None:
    """The subject an active verb without one of its own shares with the verb it is coordinated
    with ("Gunmen broke into the house and shot the family": the gunmen), through a chain of
    conjuncts; with `participle`, also the subject of the clause a participle continues ("Rebels
    shelled the town, killing 12"). None for a passive, or a first verb with no active subject."""
    if verb.pos_ != "VERB" or any(c.dep_ in _SUBJECTS or c.dep_ == "auxpass" for c in verb.children):
        return None
    # a participle after a comma continues its clause (", killing 12"); without one it may
    # describe what is seen ("the video shows militants killing two officers"); a past tense the
    # parser leaves unattached after a comma is a conjunct without its "and" ("set off a bomb,
    # then opened fire")
    while (
        verb.dep_ == "conj"
        or (participle and verb.dep_ == "advcl" and verb.tag_ == "VBG" and _after_comma(verb))
        or (verb.dep_ == "dep" and verb.tag_ == "VBD" and _after_comma(verb, skip="then"))
    ):
        head = verb.head
        if head.pos_ not in {"VERB", "AUX"}:
            return None
        subject = next((c for c in head.children if c.dep_ in _SUBJECTS), None)
        if subject is not None:
            datelined = any(start <= subject.i < end for start, end in dateline_ranges(verb.doc))
            return grow(verb.doc, (subject.i,), "phrase") if subject.dep_ == "nsubj" and not datelined else None
        verb = head
    return None


def _shared_agent(verb: Token) -> tuple[int, int] | None:
    """The agent of the passive trigger, or of a passive participle coordinated with it when
    neither has a subject of its own beside the first ("their car was torched by rioters"; "a
    guard was shot and injured by three robbers": the robbers; "was beaten and shot by
    soldiers": the soldiers, for "beaten"). None when no such agent."""
    if verb.tag_ != "VBN":
        return None
    partners = [verb, *(c for c in verb.children if c.dep_ == "conj" and c.tag_ == "VBN" and not own_subject(c))]
    if verb.dep_ == "conj" and verb.head.tag_ == "VBN" and not own_subject(verb):
        partners.append(verb.head)
    for partner in partners:
        for agent in partner.children:
            if agent.dep_ == "agent" and (obj := next((o for o in agent.children if o.dep_ == "pobj"), None)):
                return None if obj.lower_ in _NO_ONE else grow(verb.doc, (obj.i,), "phrase")
    return None


def _acting_verb(trigger: Token, words: EngineLexicons) -> Token:
    """The verb that tells the act: the trigger, the support verb whose object a noun trigger is
    ("stormed the centre and opened fire on patients": opened; not "heard gunfire") or whose
    complement a gerund trigger is ("began shooting")."""
    if trigger.pos_ == "NOUN" and (support := _support_verb(trigger, words)) is not None:
        return support
    head = trigger.head
    if trigger.tag_ == "VBG" and trigger.dep_ == "xcomp" and head.lemma_.lower() in words.act_support_verbs:
        return head  # "pulled out a handgun and started shooting": started
    return trigger


_MEANS_PREPS = frozenset({"in", "during"})


def _means_subject(trigger: Token, words: EngineLexicons) -> tuple[int, int] | None:
    """The subject of the harm an attack noun was the means of: "Bandits killed seven people in
    a raid on the village" (the noun under "in" or "during" of an active verb of harm with an
    object, `harm_act_verbs`; its own subject or the one it shares). None otherwise."""
    prep = trigger.head
    if trigger.dep_ != "pobj" or prep.dep_ != "prep" or prep.lower_ not in _MEANS_PREPS:
        return None
    verb = prep.head
    if verb.pos_ != "VERB" or verb.lemma_.lower() not in words.harm_act_verbs:
        return None
    if not any(c.dep_ == "dobj" for c in verb.children) or any(c.dep_ == "auxpass" for c in verb.children):
        return None
    subject = next((c for c in verb.children if c.dep_ == "nsubj"), None)
    if subject is None:
        return _shared_subject(verb, participle=True)
    return grow(verb.doc, (subject.i,), "phrase")


def _after_comma(verb: Token, skip: str = "") -> bool:
    """Whether a comma comes just before the verb's phrase (or before `skip`: ", then opened")."""
    first = verb.left_edge.i
    if skip and first > 0 and verb.doc[first - 1].lower_ == skip:
        first -= 1
    return first > 0 and verb.doc[first - 1].text == ","


BUILDERS: dict[str, Callable[[Doc, Grown, Roles, Quantities, Attrs, int, EngineLexicons], None]] = {
    "casualty": _casualty,
    "statement": _statement,
    "attack": _attack,
    "siege": _place,
}
