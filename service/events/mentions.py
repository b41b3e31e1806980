"""Mentions from token ranges, and resolution of pronouns and short names to canonical names.

Pronoun resolution (speakers, attackers, besiegers, perpetrators) takes the nearest preceding
antecedent that agrees with the pronoun:

- `he`/`him`/`his` and `she`/`her` take a person, a subject before a nearer non-subject of the
  same stretch of text (`_person_antecedent`): a PERSON entity (not one named inside a quote when
  the pronoun is narration: quoted words are another layer; not a place-like prepositional
  object such as "near Kyiv", which the small model often tags PERSON), or an ORG-tagged span that
  is shaped like a personal name and reports speech ("Oleksiy Arestovych said ..." tagged ORG). A
  person whose gender the document shows (a title, a gendered role noun, a common given name, or
  the same surname already known) must agree: `he` never takes "Mrs. Lynch" or "spokeswoman Anna
  Berg", `she` never takes "Mr. Cole". A person of unknown gender agrees with both.
- `it`, `its`, `they`, `them`, `their` and `we` take a body: an organisation or a country (ORG,
  GPE; NORP for the plural pronouns, "Republicans ... they said"), or an unnamed body that spoke
  last ("The ministry said ... It said" → "The ministry"), never a person.
- `i` and `me` are left unresolved: outside quotes they are the writer, inside quotes the speaker
  the quote is attributed to, which the statement itself names.

A surname alone (also one the model left untagged: "Keely said") takes the earlier full name it
ends ("Burman" → "Leonard E. Burman"). A named entity is its own canonical name; a phrase with a
person's name in apposition takes that name ("his lawyer, Ray Donnelly," → "Ray Donnelly"; "One
of the tenants, Joseph Adeyemi,"); "the inspector", "the CS" take the person an earlier mention
gave that title ("Inspector Manoj Tyagi", `_titled_person`) or whose title the initials stand
for ("the CM", `_initialled_person`); a long title the parser made the subject ends in its person
("Minister for Sustainability Grace Lim said", `_name_after_title`); "the ministry", "the budget
office" (a speaking body) take the organisation whose name holds the noun, and "the company" the
organisation that last acted (`_named_body`); "the official" takes up "a senior official" said
earlier (`_described_before`); other phrases have none ("").

The vocabulary (speech verbs, bodies, titles, gendered nouns, given names, place prepositions,
organisation words)
comes from the pack's reserved lexicons (`EngineLexicons`); the pronouns are grammar and stay here.
"""

from __future__ import annotations

import bisect
import unicodedata
from collections.abc import Iterator, Sequence

from spacy.tokens import Doc, Span, Token

from service.events.datelines import dateline_ranges, in_dateline
from service.events.doctext import Bound, doc_text, ent_bounds, ent_span, ents_before
from service.events.lexicons import EngineLexicons
from service.events.model import Mention
from service.events.quotes import quote_at, quote_spans

MALE_PRONOUNS = frozenset({"he", "him", "his"})
FEMALE_PRONOUNS = frozenset({"she", "her"})
PERSON_PRONOUNS = MALE_PRONOUNS | FEMALE_PRONOUNS
_NOT_NAMES = frozenset({"DATE", "TIME", "CARDINAL", "ORDINAL", "QUANTITY", "PERCENT", "MONEY"})
_TITLE_DEPS = frozenset({"compound", "nmod"})  # "Chief Minister X", "Minister for Energy X"
BODY_PRONOUNS = frozenset({"it", "its", "they", "them", "their", "we"})
SINGULAR_BODY_LABELS = frozenset({"ORG", "GPE"})
PLURAL_BODY_LABELS = frozenset({"ORG", "NORP"})  # "they" is never a place: "a shop in Nakuru. They said"


def entity_label(span: Span) -> str:
    """The label of the entity the span is, or is headed by."""
    return str(span.root.ent_type_)


def entity_at(doc: Doc, i: int) -> Span | None:
    """The entity that holds token `i`, read from the tokens' IOB tags: `doc.ents` builds every
    entity of the document on each read, and builders ask once per role."""
    if doc[i].ent_iob_ not in {"B", "I"}:
        return None
    start, end = i, i + 1
    while start > 0 and doc[start].ent_iob_ == "I":
        start -= 1
    while end < len(doc) and doc[end].ent_iob_ == "I":
        end += 1
    return Span(doc, start, end, label=doc[i].ent_type_)


def mention(doc: Doc, start: int, end: int, words: EngineLexicons | None = None, actor: bool = False) -> Mention:
    """The mention of `doc[start:end]`; given the pack's `words`, with its name resolved (as the
    doer of a violent act when `actor`: `actor_antecedent`)."""
    while end - start > 1 and doc[end - 1].is_space:
        end -= 1  # a name the model runs on past a line break ("Cabo Delgado\n")
    span = doc[start:end]
    label = entity_label(span)
    resolved = ""
    if words is not None:
        if actor:  # "they" goes on with the group that acted; "its fighters" are the group's
            resolved = actor_antecedent(doc, span, words) or _force_owner(doc, span, words)
        resolved = resolved or resolve_name(doc, span, label, words).strip()
    return Mention(span.text, span.start_char, span.end_char, label, resolved)


def _speech_subject(verb: Token) -> Token | None:
    """The noun that speaks through `verb`: its own subject, or for a bare participle the subject
    of the clause it goes on with ("A group ... claimed the attack, saying its fighters ...")."""
    subject = next((c for c in verb.children if c.dep_ == "nsubj"), None)
    if subject is None and verb.dep_ in {"advcl", "conj"} and verb.tag_ == "VBG":
        subject = next((c for c in verb.head.children if c.dep_ == "nsubj"), None)
    return subject if subject is not None and subject.pos_ in {"NOUN", "PROPN"} else None


def _named_in_apposition(subject: Token) -> Token | None:
    """The name a descriptive subject is given in its own phrase ("a group calling itself X"); None
    for a subject that is a name already ("The Hafiz Gul Bahadur group, a militant outfit ...")."""
    if subject.ent_type_ or any(t.ent_type_ in {"ORG", "NORP", "PERSON"} for t in subject.lefts):
        return None
    return next((t for t in subject.subtree if t.i > subject.i and t.ent_type_ in {"ORG", "NORP", "PERSON"}), None)


def _agrees_in_number(noun: Token, plural: bool) -> bool:
    """Whether `noun` can be what its/their (`plural`) stands for: a name in -s goes with either
    ("The Houthis ... their", the model's NNP; "Al-Qassam Brigades ... its")."""
    if noun.pos_ == "PROPN" and noun.lower_.endswith("s"):
        return True
    return (noun.tag_ in {"NNS", "NNPS"}) == plural


def _force_owner(doc: Doc, span: Span, words: EngineLexicons) -> str:
    """The body whose armed units or craft acted ("Al-Shabaab said its fighters stormed the base",
    "The army said its aircraft struck": Al-Shabaab, the army), as `its`/`their` stands for it;
    only for `force_nouns` ("their attackers" are nobody's units)."""
    first = span[0]
    owned = first.lower_ in {"its", "their"} and first.dep_ == "poss" and first.head.i == span.root.i
    if len(span) < 2 or not owned or span.root.lemma_.lower() not in words.force_nouns:
        return ""
    plural = first.lower_ == "their"
    for verb in span.root.ancestors:  # "The Houthis said their naval forces ...": the speaker owns them
        if verb.pos_ == "VERB" and verb.lemma_.lower() in words.speaker_speech_verbs:
            subject = _speech_subject(verb)
            if subject is not None and _agrees_in_number(subject, plural):
                speaker = doc[subject.left_edge.i : subject.i + 1]
                if (name := _named_in_apposition(subject)) is not None and (ent := entity_at(doc, name.i)):
                    end = max(subject.right_edge.i + 1, ent.end)  # "a group calling itself X"
                    speaker = doc[subject.left_edge.i : end]
                if subject.lemma_.lower() not in words.written_documents:
                    return speaker.text
                if author := _document_author(doc, speaker, words):
                    return author  # "A statement from the group said its fighters ...": the group
            break
    return resolve_name(doc, doc[first.i : first.i + 1], "", words).strip()


_ACTOR_WINDOW = 80
"""Tokens back (about three sentences) to the group a "they" who attacks goes on with."""


def actor_antecedent(doc: Doc, span: Span, words: EngineLexicons) -> str:
    """The group a "they" that attacks or kills goes on with: the latest plural subject of a verb
    that reports no speech ("Police said gunmen stormed the church. They shot the priest": the
    gunmen, not the police who told of them; "Residents said armed men arrived at dusk. They
    shot five farmers"). Empty when the span is no "they" or no such subject is near."""
    if span.text.lower() != "they":
        return ""
    for i in range(span.start - 1, max(0, span.start - _ACTOR_WINDOW) - 1, -1):
        tok = doc[i]
        if tok.dep_ != "nsubj" or tok.head.pos_ != "VERB":
            continue
        members = _members(tok, words)
        if tok.tag_ not in {"NNS", "NNPS"} and members is None:
            continue
        if tok.head.lemma_.lower() not in words.speaker_speech_verbs:
            return doc[tok.left_edge.i : (members if members is not None else tok).i + 1].text
    return ""


def _members(group: Token, words: EngineLexicons) -> Token | None:
    """The plural members a collective noun in the singular names ("a group of inmates", "a gang
    of youths": "they" goes on with them); None for a bare collective ("the family")."""
    if group.tag_ != "NN" or group.lemma_.lower() not in words.collective_nouns:
        return None
    of = next((c for c in group.children if c.dep_ == "prep" and c.lower_ == "of"), None)
    members = next((c for c in of.children if c.dep_ == "pobj"), None) if of is not None else None
    return members if members is not None and members.tag_ in {"NNS", "NNPS"} else None


_THING_PRONOUNS: dict[str, tuple[str, ...]] = {"it": ("NN", "NNP"), "them": ("NNS", "NNPS"), "they": ("NNS", "NNPS")}
_OBJECT_DEPS = frozenset({"nsubj", "nsubjpass", "dobj", "pobj", "appos"})


def target_antecedent(doc: Doc, span: Span, words: EngineLexicons, skip: Sequence[tuple[int, int]] = ()) -> str:
    """What a pronoun that is attacked stands for, so the target names it: he/him/she/her the
    person (`resolve_name`), else the latest person noun (`people`) before it; "it" the latest
    noun in the singular and "them" or "they" the latest plural or group noun (`_noun_before`).
    Empty when nothing fits."""
    word = span.text.lower()
    if word in {"he", "him", "she", "her"}:
        pronoun = "he" if word in MALE_PRONOUNS else "she"
        return _person_antecedent(doc, span, pronoun, words) or _noun_before(
            doc, span, ("NN", "NNP"), words, skip, True
        )
    tags = _THING_PRONOUNS.get(word)
    return _noun_before(doc, span, tags, words, skip, False) if tags is not None else ""


def victim_antecedent(doc: Doc, span: Span, words: EngineLexicons, skip: Sequence[tuple[int, int]] = ()) -> str:
    """What a pronoun victim stands for: he/him/she/her the latest person noun before it in its
    sentence or the one before ("A 41-year-old man was walking home when he was stabbed"; a name
    is not guessed: "Giffords was in Congress when she was wounded" has a president named before
    her), it/them/they as `target_antecedent`."""
    if span.text.lower() in {"he", "him", "she", "her"}:
        return _noun_before(doc, span, ("NN", "NNP"), words, skip, True)
    return target_antecedent(doc, span, words, skip)


def _noun_before(
    doc: Doc, span: Span, tags: tuple[str, ...], words: EngineLexicons, skip: Sequence[tuple[int, int]], person: bool
) -> str:
    """The latest noun with one of `tags` (for "them" also a group noun) that is a subject, an
    object or in apposition in the pronoun's sentence or the one before, outside `skip` (the
    attacker, the trigger), the words the pronoun hangs from and "of" phrases; not a time, a
    number or a body that speaks, and a subject or an object before the object of a preposition;
    with `person`, a person noun ("A 41-year-old man was walking home when he was shot"):
    "Gunmen stopped a convoy of trucks near the border and opened fire on it" is the convoy of
    trucks; for "them" and "they", common nouns coordinated count as a plural ("stopped a trader
    and a driver … shot them": both)."""
    start = _previous_sentence_start(span)
    governors = {tok.i for tok in span[0].ancestors}
    fallback = ""
    for tok in reversed(doc[start : span.start]):
        if any(lo <= tok.i < hi for lo, hi in skip) or tok.i in governors:
            continue
        if tok.dep_ not in _OBJECT_DEPS or tok.pos_ not in {"NOUN", "PROPN"} or tok.head.lower_ == "of":
            continue
        lemma = tok.lemma_.lower()
        if lemma in words.speaking_bodies or (person and lemma not in words.people):
            continue
        plural_by_list = tags[0] == "NNS" and tok.pos_ == "NOUN"
        joined = [c for c in tok.rights if c.dep_ == "conj" and c.pos_ == "NOUN"] if plural_by_list else []
        if tok.tag_ not in tags and not joined and not (tags[0] == "NNS" and lemma in words.collective_nouns):
            continue  # "a woman and her son ... abducted them": two in the singular are a plural
        if tok.ent_type_ in {"DATE", "TIME", "CARDINAL", "ORDINAL"}:
            continue
        end = next((c.right_edge.i + 1 for c in tok.rights if c.dep_ == "prep" and c.lower_ == "of"), tok.i + 1)
        end = max(end, *(c.i + 1 for c in joined)) if joined else end
        if tok.dep_ != "pobj":
            return doc[tok.left_edge.i : end].text
        fallback = fallback or doc[tok.left_edge.i : end].text  # "near the border": a place passed by
    return fallback


def _reports_speech(ent: Span, words: EngineLexicons) -> bool:
    """The entity is the subject of a speech verb that has reported or quoted content."""
    root = ent.root
    if root.dep_ == "appos":  # "Another customer, Tyrone Bexley, said"
        root = root.head
    verb = root.head
    if root.dep_ != "nsubj" or verb.lemma_.lower() not in words.speaker_speech_verbs:
        return False
    return any(c.dep_ == "ccomp" or c.text in {"“", "”", '"', "‘", "’"} for c in verb.children)


def _name_shaped(ent: Span, words: EngineLexicons) -> bool:
    """Two or three capitalised proper nouns and no organisation word: "Oleksiy Arestovych"."""
    tokens = [tok for tok in ent if not tok.is_punct]
    if not 2 <= len(tokens) <= 3:
        return False
    if any(tok.lower_ in words.org_name_words for tok in tokens):
        return False
    return all(tok.pos_ == "PROPN" and tok.text[:1].isupper() and not tok.text.isupper() for tok in tokens)


def _ends_earlier_name(ent: Span, words: EngineLexicons) -> bool:
    """A one-word name that ends an earlier personal name of the document (PERSON, or shaped like
    one whatever the model's label), not an organisation word."""
    word = ent[0]
    if word.pos_ != "PROPN" or word.text.isupper() or word.lower_ in words.org_name_words:
        return False
    return next(_earlier_names_ending(ent, words), None) is not None


def _earlier_names_ending(person: Span, words: EngineLexicons) -> Iterator[Span]:
    """The personal names of more than one word before `person` that end with its last word (a
    PERSON, or shaped like a name whatever the model's label), latest first."""
    doc = person.doc
    for bound in reversed(ent_bounds(doc)[: ents_before(doc, person.start)]):
        name = ent_span(doc, bound)
        if (
            len(name) > 1
            and name[-1].text == person[-1].text
            and (name.label_ == "PERSON" or _name_shaped(name, words))
        ):
            yield name


_MISREAD_NAME_LABELS = frozenset({"FAC", "GPE", "LOC", "PRODUCT", "WORK_OF_ART"})
"""Labels the small model gives names of people it does not know ("Pooja Kulkarni" FAC)."""


def is_person(ent: Span, words: EngineLexicons) -> bool:
    """A name "he"/"she" may refer to: a PERSON that is not a place-like prepositional object
    ("near Kyiv", "above Loch Arklet"; but "according to Ann Lee" and a given name make it a
    person) nor a modifier of a common noun ("the Bhumkar Chowk underpass"), or a person's name
    mis-tagged ORG, or a place or building, that reports speech."""
    given = words.given_names_male | words.given_names_female
    if ent.label_ == "ORG":
        if len(ent) == 1:  # "“…,” Deshmukh said" after "Arjun Deshmukh": the surname of a speaker
            return _reports_speech(ent, words) and _ends_earlier_name(ent, words)
        return _name_shaped(ent, words) and (
            _reports_speech(ent, words) or ent[0].lower_ in given or _apposed_to_person(ent, words)
        )
    if ent.label_ in _MISREAD_NAME_LABELS:
        # "Pooja Kulkarni, a software engineer, said": a given name the model tagged a place or
        # a building is a person when it speaks ("Victoria Falls" does not), and any name set
        # beside a person noun is one
        if len(ent) < 2 or not _name_shaped(ent, words):
            return False
        return (ent[0].lower_ in given and _reports_speech(ent, words)) or _apposed_to_person(ent, words)
    if ent.label_ != "PERSON" or any(ch.isdigit() for ch in ent.text):
        return False  # "Rs320bn", "F-16": a figure or a model the model took for a name
    if any(tok.lower_ in {"and", "&"} for tok in ent[1:-1]):
        return False  # "the coast from Tain and Dornoch" read as one name: two of anything are no "he"
    root = ent.root
    if root.dep_ == "pobj" and root.head.lower_ in words.person_place_preps:
        return root.head.head.lower_ == "according" or (len(ent) > 1 and ent[0].lower_ in given)
    # a name that modifies a common noun names a thing ("near the Bhumkar Chowk underpass")
    return not (root.dep_ == "compound" and root.head.pos_ == "NOUN" and ent[0].lower_ not in given)


def _apposed_to_person(ent: Span, words: EngineLexicons) -> bool:
    """The name stands in apposition to a noun that names a person, on either side: "the
    union's treasurer, Femi Bello," or "Ana Soto, a hydrologist,": whatever the model's label,
    it names that person."""
    root = ent.root
    if root.dep_ == "appos" and _one_person_noun(root.head, words):
        return True
    return any(c.dep_ == "appos" and _one_person_noun(c, words) for c in root.children)


def _one_person_noun(tok: Token, words: EngineLexicons) -> bool:
    """A noun that names a person and no firm ("a hydrologist", not "a cathode maker"), and no
    name of its own."""
    return _person_noun(tok, words) and tok.lemma_.lower() not in words.company_nouns and not tok.ent_type_


def _gender_evidence(ent: Span, words: EngineLexicons) -> str:
    """'M', 'F' or '' from the words around one mention of a person."""
    doc = ent.doc
    before = [doc[ent.start - 1]] if ent.start > ent.sent.start else []  # "Mrs. X", "spokeswoman X"
    around = before + [c for tok in ent for c in tok.children if c.dep_ in {"appos", "compound"}]
    around += [ent.root.head] if ent.root.dep_ in {"appos", "compound"} else []
    near = {tok.lower_.rstrip(".") for tok in around if not (ent.start <= tok.i < ent.end)}
    appos = {gc.lower_ for c in ent.root.children if c.dep_ == "appos" for gc in c.subtree}
    male_nouns, female_nouns = words.gender_nouns_male, words.gender_nouns_female
    male = bool(near & (words.speaker_titles_male | male_nouns) or appos & male_nouns)
    female = bool(near & (words.speaker_titles_female | female_nouns) or appos & female_nouns)
    if male != female:
        return "M" if male else "F"
    first = _plain(ent[0].lower_)
    if len(ent) > 1 and (first in words.given_names_male) != (first in words.given_names_female):
        return "M" if first in words.given_names_male else "F"
    return ""


def person_genders(doc: Doc, people: list[Span], words: EngineLexicons) -> dict[int, str]:
    """Gender per person mention (keyed by entity start): the mention's own evidence ("Mrs.
    Clinton" after "Bill Clinton"), else its full name's ("her grandfather, Lajos Varga" beside
    "Elena Varga"), else the first evidence for its last word, shared by every mention with that
    surname (one seen with "Mrs." or "spokeswoman" is female throughout)."""
    by_name: dict[str, str] = {}
    by_surname: dict[str, str] = {}
    own = {ent.start: _gender_evidence(ent, words) for ent in people}
    for ent in people:
        if evidence := own[ent.start]:
            by_surname.setdefault(ent[-1].lower_, evidence)
            if len(ent) > 1:
                by_name.setdefault(ent.text.lower(), evidence)
    return {
        ent.start: own[ent.start] or by_name.get(ent.text.lower()) or by_surname.get(ent[-1].lower_, "")
        for ent in people
    }


_PEOPLE = "sitrep.people"
_NAMES = "sitrep.person_names"
_TITLES = "sitrep.person_titles"
_BODY_ENTITIES = 200
"""Entities `_named_body` looks back over: a story's own organisations are near."""
_COMPANY_ENTITIES = 40  # entities back to the organisation "the company" calls back
_ACTOR_DEPS = frozenset({"nsubj", "nsubjpass", "poss", "appos"})  # "Siemens said", "Siemens' chief"
_SPEAKING_WINDOW = 2000
"""Tokens `_speaking_body` looks back over for a body that spoke: a pronoun's antecedent is near,
and an unbounded walk per pronoun is quadratic in a long document."""


def _people(doc: Doc, words: EngineLexicons) -> tuple[list[Bound], dict[int, str], list[str]]:
    """The persons of `doc` (entity bounds, in text order), their genders (`person_genders`) and
    full names (`_full_names`), worked out once per document and lexicons: every he/she of an
    article asks for them. Kept in `doc.user_data` as plain data beside the lexicons they were
    read with."""
    kept = doc.user_data.get(_PEOPLE)
    if not (isinstance(kept, tuple) and kept[0] is words):
        things = _named_with_the(doc)
        tagged = [
            bound for bound in ent_bounds(doc)
            if is_person(span := ent_span(doc, bound), words) and span.text not in things
        ]  # fmt: skip
        persons = _with_bare_surnames(doc, sorted(_run_on(doc, tagged, words) + _untagged_names(doc, words)), words)
        spans = [ent_span(doc, bound) for bound in persons]
        titles = _titles(words)
        kept = doc.user_data[_PEOPLE] = (words, persons, person_genders(doc, spans, words), _full_names(spans, titles))
    _, persons, genders, names = kept
    return persons, genders, names


def _named_with_the(doc: Doc) -> frozenset[str]:
    """Names the model tags PERSON that the story writes with "the" right before them, anywhere
    ("told the Daily Courier", "the Yard"): a paper, a programme, a building, not a person, in
    every mention."""
    return frozenset(
        ent.text
        for ent in doc.ents
        if ent.label_ == "PERSON"
        and ent.start > 0
        and doc[ent.start - 1].lower_ == "the"
        and ent.root.dep_ not in {"compound", "poss", "nmod", "amod"}  # "the Okafor campaign": a person's
    )


def _with_bare_surnames(doc: Doc, persons: list[Bound], words: EngineLexicons) -> list[Bound]:
    """`persons` with the later one-word mentions of a person's surname the model did not tag as
    a person ("Sipho Ndlovu ... Ndlovu told the board", the second untagged or taken for a place): a
    capitalised proper noun, outside any person's name, not an organisation word nor a modifier
    of a common noun ("the Ndlovu campaign"), whose text ends an earlier name of two or more
    words. In text order."""
    label = doc.vocab.strings["PERSON"]
    inside = {i for start, end, _ in persons for i in range(start, end)}
    surnames: dict[str, int] = {}  # last word of a person's full name → where that name ends
    for start, end, _ in persons:
        if end - start > 1:
            surnames.setdefault(doc[end - 1].text, end)
    found = []
    for tok in doc:
        if tok.i in inside or tok.pos_ != "PROPN" or not tok.text[:1].isupper() or tok.text.isupper():
            continue
        if surnames.get(tok.text, len(doc)) > tok.i or tok.lower_ in words.org_name_words:
            continue
        if tok.dep_ == "compound" and tok.head.pos_ == "NOUN":
            continue
        if tok.ent_iob_ != "O" and not (_whole_entity(doc, tok.i, tok.i + 1) and tok.ent_type_ != "PERSON"):
            continue  # part of a longer name ("Port Ndlovu"), or a person name turned down
        found.append((tok.i, tok.i + 1, label))
    return sorted(persons + found) if found else persons


def _run_on(doc: Doc, persons: list[Bound], words: EngineLexicons) -> list[Bound]:
    """`persons` with each name the model cut short taken to its end: a name ending with a given
    name, then a capitalised proper noun on the same line, untagged or a one-word person of its
    own, is missing its surname ("Sergeant Aoife" + "Breen" after a rank it took for a given
    name). Only after a given name: an honorific pair ("Tan Sri") or a medal's first word ran on too."""
    label = doc.vocab.strings["PERSON"]
    given = words.given_names_male | words.given_names_female
    grown: list[Bound] = []
    swallowed: set[int] = set()
    for start, end, kind in persons:
        if start in swallowed:
            continue
        nxt = doc[end] if end < len(doc) else None
        if (
            kind == label and nxt is not None and nxt.pos_ == "PROPN" and nxt.is_title
            and _plain(doc[end - 1].lower_) in given and doc[end - 1].whitespace_ == " "
            and nxt.lower_ not in words.org_name_words
            and (nxt.ent_iob_ == "O" or (nxt.ent_type_ == "PERSON" and _whole_entity(doc, end, end + 1)))
        ):  # fmt: skip
            swallowed.add(end)
            end += 1
        grown.append((start, end, kind))
    return grown


def _plain(word: str) -> str:
    """`word` without its accents: the given-name lexicons spell "Siobhan", "Jose", "Andre"."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", word) if not unicodedata.combining(ch))


def _untagged_names(doc: Doc, words: EngineLexicons) -> list[Bound]:
    """The names the model misses where news copy puts a person first, as the subject: right
    after a dateline or at the head of a sentence ("LUSAKA, Zambia — Mwila Banda was 19 when
    ...", "Edna Moyo runs the night shift"), untagged or tagged as an organisation together with
    the title before them ("Chair Annika Lind", "Chief Financial Officer Reiko Sato told"): two or
    three capitalised proper nouns (`_name_shaped`), after titles whose last word names a person
    (`_person_noun`: "officer", "chair") when there are any."""
    label = doc.vocab.strings["PERSON"]
    titles = _titles(words)
    starts = {end for _, end in dateline_ranges(doc)} | {sent.start for sent in doc.sents}
    # a title that ends with a person noun before the name ("transport critic Ada Moss stood up")
    after_title = {
        tok.i + 1
        for tok in doc[:-1]
        if tok.dep_ == "compound"
        and tok.pos_ == "NOUN"
        and tok.is_lower
        and doc[tok.i + 1].pos_ == "PROPN"
        and _person_noun(tok, words)
    }
    starts |= after_title
    found = []
    for start in sorted(starts):
        run = start
        while run < len(doc) and run - start < _TITLED_NAME and doc[run].pos_ == "PROPN":
            if doc[run].ent_iob_ != "O" and doc[run].ent_type_ not in {"ORG", ""}:
                break
            run += 1
        # the subject: the parser may hang the first name apart ("Marisol" a root of its own)
        if run - start < 2 or doc[run - 1].dep_ not in {"nsubj", "nsubjpass"}:
            continue
        if any(tok.ent_type_ == "ORG" for tok in doc[start:run]) and not _whole_entity(doc, start, run):
            continue  # part of an organisation's name that runs on ("Bank of ...")
        for first in range(max(run - 3, start), run - 1):  # the longest name first
            name = doc[first:run]
            titled = first == start or _person_noun(doc[first - 1], words) or doc[first - 1].lower_ in titles
            untitled = first > start or start in after_title or not any(tok.ent_type_ for tok in name)
            if 2 <= len(name) <= 3 and titled and untitled and _name_shaped(name, words):
                found.append((first, run, label))
                break
    return found


_TITLED_NAME = 6
"""Words of a title and a name at the head of a sentence ("Chief Financial Officer Reiko Sato")."""


def _whole_entity(doc: Doc, start: int, end: int) -> bool:
    """`doc[start:end]` is exactly one entity."""
    ent = entity_at(doc, start)
    return ent is not None and ent.start == start and ent.end == end


def _full_names(people: list[Span], titles: frozenset[str]) -> list[str]:
    """Per person, the earlier full name a surname-only mention ends ("Burman" → "Leonard E.
    Burman"; the latest such), or a titled one starts ("Ms Lim" → "Lim Shu Fen"), else its own
    text: one pass, the latest name per surname and length, and per first word."""
    latest: dict[str, dict[int, tuple[int, str]]] = {}  # surname → length → (start, text)
    first_words: dict[str, str] = {}  # first word of a name of two or more words → the latest
    names = []
    for ent in people:
        by_length = latest.setdefault(ent[-1].text, {})
        longer = [found for length, found in by_length.items() if length > len(ent)]
        titled = _titled(ent, titles)
        names.append(max(longer)[1] if longer else first_words.get(ent[1].text, ent.text) if titled else ent.text)
        by_length[len(ent)] = (ent.start, ent.text)
        if len(ent) > 1 and not titled:
            first_words[ent[0].text] = ent.text
    return names


def _leading_titles(span: Span, words: EngineLexicons) -> int:
    """How many of the span's first words are titles ("Ms", "Dr.", "Mrs")."""
    titles = _titles(words)
    count = 0
    while count < len(span) - 1 and span[count].lower_.rstrip(".") in titles:
        count += 1
    return count


def _agrees(pronoun: str, gender: str) -> bool:
    if pronoun in MALE_PRONOUNS:
        return gender != "F"
    return gender != "M"


def resolve_name(doc: Doc, span: Span, label: str, words: EngineLexicons) -> str:
    """The canonical name for a speaker-like mention (see the module docstring). Antecedents are
    read backwards from the mention (after a bisection over the entities), nearest first."""
    lowered = span.text.lower()
    if lowered in PERSON_PRONOUNS:
        return _person_antecedent(doc, span, lowered, words)
    if lowered in BODY_PRONOUNS:
        body = _body_before(
            doc, span.start, words, SINGULAR_BODY_LABELS if lowered in {"it", "its"} else PLURAL_BODY_LABELS
        )
        speaking = _speaking_body(doc, span, body.end if body is not None else 0, words)
        if speaking is not None and (body is None or body.end <= speaking.start):
            return speaking.text
        if body is not None and body.root.dep_ not in _SUBJECT_DEPS:
            labels = SINGULAR_BODY_LABELS if lowered in {"it", "its"} else PLURAL_BODY_LABELS
            if (spoke := _named_speaker(doc, span.start, words, labels)) is not None:
                return spoke.text
        return body.text if body is not None else ""
    if span.root.lemma_.lower() in words.written_documents and (author := _document_author(doc, span, words)):
        return author
    if _joint_body_name(span, words):
        return span.text
    # unlabelled: an unfamiliar surname the model missed ("Keely said"); a lone word the model
    # mislabels ("Cole" PRODUCT, "Yunus" GPE) is a surname all the same when a name ended with it
    if label in {"PERSON", ""} or (len(span) == 1 and span[0].pos_ == "PROPN"):
        same = _person_names(doc).get(span[-1].text, [])
        named = len(span) - _leading_titles(span, words)  # "Ms Ardern" names one word
        for start, end, text in reversed(same[: bisect.bisect_right(same, span.start, key=lambda name: name[1])]):
            if end - start > named and not _leading_titles(doc[start:end], words):
                return text
    if label in {"PERSON", ""} and (titled := _titled_first_name(doc, span, words)):
        return titled
    if (label in {"PERSON", ""} or span[0].pos_ == "PROPN") and (begun := _first_named(doc, span)):
        return begun
    if initialled := _initialled_person(doc, span, words):
        return initialled
    ent = entity_at(doc, span.root.i)
    if (ent is None or ent.label_ != "PERSON") and (titled_name := _name_after_title(doc, span, words)):
        return titled_name
    if ent is None and all(tok.pos_ == "PROPN" and tok.text[:1].isupper() for tok in span):
        return span.text  # a name the model missed is its own ("Amara Lindqvist, Deputy Spokesperson")
    if ent is None or ent.label_ in _NOT_NAMES:
        # "his mother, Denise Hill," / "One of the tenants, Joseph Adeyemi," / "The developer,
        # Escarpment Living Corp.,": the name beside
        beside = _apposed(doc, span, _NAMED_LABELS)
        if beside is not None:
            return str(beside.text)
        if untagged := _untagged_apposed_name(span, words):
            return untagged
        if aged := _aged_person(doc, span) or (_ageing(span) and _epithet_person(doc, span, words)):
            return aged  # "the 35-year-old" (a DATE to the model)
        if ent is not None:
            return ""  # "One of them" (CARDINAL), "12:15 p.m." (TIME): no one's name
        return (
            _titled_person(doc, span, words) or _named_body(doc, span, words) or _described_before(doc, span)
            or _epithet_person(doc, span, words)
        )  # fmt: skip
    if ent.label_ != "PERSON" and (person := _apposed(doc, span, _PERSON_LABEL)) is not None:
        return str(person.text)  # "the Ceann Comhairle, Seán Ó Murchú," (a title the model tags ORG)
    if ent.label_ == "NORP" or (len(ent) == 1 and _demonym(ent[0], words)):
        # "the Egyptian", "the Frenchman": who, if one was named
        return _epithet_person(doc, span, words) or str(ent.text)
    return str(ent.text)


def _joint_body_name(span: Span, words: EngineLexicons) -> bool:
    """Names joined by "and" before one organisation word name one body ("Devon and Cornwall
    Police", "Avon and Somerset Constabulary"): the model tags the first name a person or a place
    and the rest an organisation, and the parse makes them two."""
    joins = [tok for tok in span if tok.lower_ in {"and", "&"}]
    return (
        len(span) >= 4
        and len(joins) == 1
        and span[-1].lower_ in words.org_name_words
        and joins[0].i not in {span.start, span.end - 2}
        and all(tok.pos_ == "PROPN" and tok.text[:1].isupper() for tok in span if tok.i != joins[0].i)
    )


_AUTHOR_PREPS = frozenset({"from", "by"})


def _document_author(doc: Doc, span: Span, words: EngineLexicons) -> str:
    """Who speaks through a document: "A statement from the palace said", "a letter signed by 40
    lawmakers", "a report by the UN", "the ministry's statement" → its author (itself resolved:
    "a statement from the club" → the club named before). News quote annotation credits the
    author, and a caller wants who said it, not "A statement". "" when no author is given."""
    root = span.root
    objects = [c for c in root.children if c.dep_ == "poss"]
    preps = [c for c in root.rights if c.dep_ == "prep"]
    preps += [c for c in root.head.rights if c.i == root.i + 1 and c.dep_ == "prep"]  # "read a statement from X"
    objects += [g for c in preps if c.lower_ in _AUTHOR_PREPS for g in c.children if g.dep_ == "pobj"]
    agents = (c for c in root.rights if c.dep_ == "acl" and c.tag_ == "VBN")  # "issued by", "signed by"
    objects += [g for acl in agents for c in acl.children if c.dep_ == "agent" for g in c.children if g.dep_ == "pobj"]
    for obj in objects:
        if obj.lemma_.lower() in words.written_documents or obj.pos_ not in {"PROPN", "NOUN", "PRON"}:
            continue
        return _phrase_name(doc, obj, words)
    if root.dep_ == "pobj" and root.head.lower_ == "in" and root.head.head.lemma_.lower() in words.speaker_speech_verbs:
        speaker = next((c for c in root.head.head.children if c.dep_ == "nsubj"), None)  # "X said in a statement"
        if speaker is not None and speaker.pos_ in {"PROPN", "NOUN"}:
            return _phrase_name(doc, speaker, words)
    if span[0].lower_ in {"the", "this", "that"} and len(span) <= 3:
        return _earlier_document_author(doc, span, words)
    return ""


def _phrase_name(doc: Doc, head: Token, words: EngineLexicons) -> str:
    """The name of the phrase `head` heads (its entity, else its words up to it, without a final
    "'s"), resolved; a pronoun's only when resolved ("Her statement": hers, if known)."""
    named = entity_at(doc, head.i)
    phrase = named if named is not None and named.label_ not in _NOT_NAMES else doc[head.left_edge.i : head.i + 1]
    if phrase[-1].tag_ == "POS":
        phrase = phrase[:-1]
    resolved = resolve_name(doc, phrase, named.label_ if named is not None else "", words)
    return resolved if resolved or head.pos_ == "PRON" else str(phrase.text)


_DOCUMENT_WINDOW = 400
"""Tokens back (a few paragraphs) to the document "the statement" takes up."""


def _earlier_document_author(doc: Doc, span: Span, words: EngineLexicons) -> str:
    """The author of the document a definite one takes up: "The release said" after "according
    to the company's press release", "The statement added" after "X said in a statement"."""
    lemma = span.root.lemma_.lower()
    for i in range(span.root.i - 1, max(-1, span.root.i - _DOCUMENT_WINDOW), -1):
        token = doc[i]
        if token.lemma_.lower() == lemma and token.pos_ == "NOUN":
            children = {c.dep_: c.lower_ for c in token.children}
            if children.get("det") in {"the", "this", "that"} and "poss" not in children:
                continue  # itself a re-mention: keep looking for the one that named its author
            return _document_author(doc, doc[token.left_edge.i : i + 1], words)
    return ""


_NOT_TITLE_END = frozenset({"ADP", "CCONJ", "DET", "PUNCT", "PRON", "VERB", "AUX"})


def _name_after_title(doc: Doc, span: Span, words: EngineLexicons) -> str:
    """The person a long title ends in, when the parser made a word of the title the subject of a
    verb of speech: "Minister for Sustainability and the Environment Grace Lim said" (subject
    "Minister"), "Federation of Merchants' Associations president Jimmy Ong told" (subject
    "Federation"), "…, said Federation of Shipping Agents president Jimmy Ong". The name ends the
    subject (before the verb, right before it) and follows a word of the title, not "of" or "and":
    "The wife of John Smith said" is the wife's statement. "" otherwise."""
    root = span.root
    verb = root.head
    if root.dep_ != "nsubj" or verb.lemma_.lower() not in words.speaker_speech_verbs:
        return ""
    # the title runs to the end of the subject's phrase ("…, said Minister of State for Manpower
    # Lim Wei Ming on Monday", "Federal Minister for Power Khurram Rashid on Monday claimed"), or
    # before the verb up to it when the parser ended the phrase early
    for last in (root.right_edge.i, verb.i - 1) if verb.i >= span.end else (root.right_edge.i,):
        name = entity_at(doc, last) if last >= span.end else None
        if name is None or name.label_ != "PERSON" or name.start < span.end:
            continue
        between = doc[span.end : name.start]  # a bracketed abbreviation may sit in the title: "(UPA)"
        if doc[name.start - 1].pos_ not in _NOT_TITLE_END and not any(
            tok.is_punct and tok.text not in "()" for tok in between
        ):
            return str(name.text)
    return ""


def _initialled_person(doc: Doc, span: Span, words: EngineLexicons) -> str:
    """The person whose title the initials stand for: "the CM" after "Chief Minister Ramesh
    Saini" or "Chief minister Ramesh Saini", "the DG" after "Director General Ana Ruiz" (the
    latest person the words with those initials, as many as the letters, come right before). ""
    for any other mention."""
    abbreviation = span[-1].text
    if not (2 <= len(abbreviation) <= 4 and abbreviation.isalpha() and abbreviation.isupper()):
        return ""
    if len(span) > 2 or (len(span) == 2 and span[0].lower_ != "the"):
        return ""
    persons, _, names = _people(doc, words)
    for i in range(bisect.bisect_right(persons, span.start, key=lambda bound: bound[1]) - 1, -1, -1):
        start = persons[i][0]
        title = doc[max(doc[start].sent.start, start - len(abbreviation)) : start]
        if len(title) == len(abbreviation) and "".join(tok.text[0] for tok in title).upper() == abbreviation:
            return names[i]
    return ""


def _titles(words: EngineLexicons) -> frozenset[str]:
    return words.speaker_titles_male | words.speaker_titles_female | words.speaker_titles_neutral


def _titled(span: Span, titles: frozenset[str]) -> bool:
    """A title and one name: "Ms Lim", "Dr. Anand"."""
    return len(span) == 2 and span[0].lower_.rstrip(".") in titles


def _titled_first_name(doc: Doc, span: Span, words: EngineLexicons) -> str:
    """The earlier full name whose first word a title takes: "Ms Lim" after "Lim Shu Fen" (the
    family name first), "Dr Anand" after "Anand Krishnan" (a title before the given name). ""
    when the mention is no title and one name, or no earlier name starts with it."""
    if not _titled(span, _titles(words)):
        return ""
    word = span[1].text
    earlier = [
        (start, text)
        for names in _person_names(doc).values()
        for start, end, text in names
        if end <= span.start and end - start > 1 and doc[start].text == word
    ]
    return max(earlier)[1] if earlier else ""


def _person_antecedent(doc: Doc, span: Span, pronoun: str, words: EngineLexicons) -> str:
    """The name a he/she takes: the nearest earlier person that agrees (`_named_antecedent`),
    unless a speaker the story did not name spoke after that person ("A witness said she saw a
    man running. “He had blood on his hands,” she said": the witness)."""
    name, start = _named_antecedent(doc, span, pronoun, words)
    unnamed = _unnamed_speaker(doc, span, max(start, span.start - _NAMED_SPEAKER_WINDOW, 0), pronoun, words)
    if not unnamed and start < _previous_sentence_start(span) and (met := _interviewee(doc, span, pronoun, words)):
        return met  # "Our reporter spoke to a fisherman near Belmullet. He said …": the fisherman
    described = "" if unnamed or start < 0 else _described_speaker(doc, span, start, pronoun, words)
    return unnamed or described or name or _described_subject(doc, span, pronoun, words)


def _described_speaker(doc: Doc, pronoun: Span, after: int, word: str, words: EngineLexicons) -> str:
    """The name a definite description took up as the subject of a speech verb in the pronoun's
    sentence or the one before, when the nearest named person (at token `after`) is in an earlier
    paragraph ("When the vote ended, the mayor conceded … “…,” she said": the mayor's name, not a
    ratepayer named a paragraph earlier; within one paragraph the named person stays). "" if none
    (a description that took up no name leaves the pronoun to the named person)."""
    low = _previous_sentence_start(pronoun)
    if low <= after or "\n" not in doc[after:low].text:
        return ""
    quotes = quote_spans(doc_text(doc))
    for tok in reversed(doc[low : pronoun.start]):
        if tok.dep_ != "nsubj" or tok.tag_ != "NN" or tok.ent_type_ or quote_at(quotes, tok.idx) is not None:
            continue
        if tok.head.lemma_.lower() not in words.speaker_speech_verbs or not _agrees(
            word, _noun_gender(tok.lemma_.lower(), words)
        ):
            continue
        phrase = doc[tok.left_edge.i : tok.i + 1]
        if phrase[0].lower_ == "the" or phrase[0].dep_ == "poss":
            name = resolve_name(doc, phrase, "", words)
            return name if name in _people(doc, words)[2] else ""
    return ""


_INTERVIEW_VERBS = frozenset({"speak", "talk", "interview"})
"""Verbs whose subject asks and whose object (or "to"/"with" object) answers."""
_INTERVIEWERS = frozenset({"we", "reporter", "correspondent", "journalist"})
"""The story's own askers ("Our reporter spoke to …", "We spoke to …"): a politician who spoke
to voters is the one who speaks next."""


def _interviewee(doc: Doc, pronoun: Span, word: str, words: EngineLexicons) -> str:
    """The person the story's own reporter (`_INTERVIEWERS`) spoke to or interviewed in the
    pronoun's sentence or the one before, when the story names no one nearer: a person noun that
    agrees, as its phrase without the relative clause ("a fisherman near Belmullet who lost his
    boat" → "a fisherman near Belmullet"). "" otherwise."""
    for tok in reversed(doc[_previous_sentence_start(pronoun) : pronoun.start]):
        verb = tok.head
        via = tok.dep_ == "dobj" or (tok.dep_ == "pobj" and verb.lower_ in {"to", "with"})
        verb = verb.head if tok.dep_ == "pobj" else verb
        if not via or verb.lemma_.lower() not in _INTERVIEW_VERBS or tok.pos_ != "NOUN" or tok.ent_type_:
            continue
        asker = next((c for c in verb.children if c.dep_ == "nsubj"), None)
        if asker is None or asker.lemma_.lower() not in _INTERVIEWERS:
            continue
        if not _person_noun(tok, words) or not _agrees(word, _noun_gender(tok.lemma_.lower(), words)):
            continue
        end = next((c.left_edge.i for c in tok.rights if c.dep_ in {"relcl", "acl"}), tok.right_edge.i + 1)
        return doc[tok.left_edge.i : end].text.rstrip(" ,")
    return ""


def _previous_sentence_start(span: Span) -> int:
    """Where the sentence before the span's begins (the span's own at the document's start)."""
    sentence = span.sent
    return span.doc[sentence.start - 1].sent.start if sentence.start > 0 else sentence.start


def _noun_gender(lemma: str, words: EngineLexicons) -> str:
    """ "M" or "F" for a gendered role noun ("spokesman", "mother"), "" for any other."""
    return "M" if lemma in words.gender_nouns_male else "F" if lemma in words.gender_nouns_female else ""


def _not_one_person(words: EngineLexicons) -> frozenset[str]:
    """Lemmas of nouns that name no one person: bodies, firms, places, groups, documents."""
    bodies = (words.speaking_bodies - words.individual_speakers) | words.company_nouns | words.place_nouns
    return bodies | words.collective_nouns | words.written_documents


def _described_subject(doc: Doc, pronoun: Span, word: str, words: EngineLexicons) -> str:
    """In a story that names no one the pronoun could be and where no one spoke before, the person
    (`people`) a definite description made the subject of the pronoun's or the previous sentence,
    whatever its verb: "The captain apologised to the fans. He said …" is the captain (or the
    name the description takes up). "" when there is none, or when an earlier speaker may be the
    one who speaks again ("The minister said … The suspect was held. “…,” he told reporters")."""
    start = _previous_sentence_start(pronoun)
    quotes = quote_spans(doc_text(doc))
    not_one = _not_one_person(words)
    for tok in reversed(doc[start : pronoun.start]):
        if tok.dep_ not in {"nsubj", "nsubjpass"} or tok.tag_ != "NN" or tok.ent_type_:
            continue
        lemma = tok.lemma_.lower()
        if quote_at(quotes, tok.idx) is not None or lemma in not_one or lemma not in words.people:
            continue
        if not any(c.dep_ == "poss" or (c.dep_ == "det" and c.lower_ == "the") for c in tok.children):
            continue
        if not _agrees(word, _noun_gender(lemma, words)) or any(
            t.i != tok.i and t.dep_ == "nsubj" and t.head.lemma_.lower() in words.speaker_speech_verbs
            for t in doc[: pronoun.start]
        ):
            return ""
        phrase = doc[tok.left_edge.i : tok.i + 1]
        return resolve_name(doc, phrase, "", words) or str(phrase.text)
    return ""


def _named_antecedent(doc: Doc, span: Span, pronoun: str, words: EngineLexicons) -> tuple[str, int]:
    """The nearest earlier person that agrees, and where it starts, skipping people named inside
    a quote when the pronoun is narration ("“…, Dad said,” she says": Dad is the quote's), and
    preferring a subject to a nearer non-subject in the same stretch of text (from the sentence
    before the pronoun's): "Quiroga learned the dish from Celestina Ruiz. She says …" is Quiroga,
    as centering predicts. ("", -1) when no person agrees."""
    persons, genders, names = _people(doc, words)
    quotes = quote_spans(doc_text(doc))
    narrated = quote_at(quotes, span.start_char) is None
    sentence = span.sent
    window = _previous_sentence_start(_quotation_opening(doc, span, quotes) if narrated else span)
    nearest: tuple[str, int] = ("", -1)
    for i in range(bisect.bisect_right(persons, span.start, key=lambda bound: bound[1]) - 1, -1, -1):
        start, end = persons[i][0], persons[i][1]
        if narrated and quote_at(quotes, doc[start].idx) is not None:
            continue
        if not _agrees(pronoun, genders[start]):
            continue
        name = _agreeing_full_name(doc, persons, genders, names, i, pronoun)
        if not name:
            continue
        if start < window:
            if nearest[0]:
                return nearest
            # the nearest person lies further back: its sentence's subject, if one agrees, is the
            # one spoken of ("Lee said he expects Park to recover. ... “…,” he said": Lee)
            window, nearest = doc[start].sent.start, (name, start)
        if _is_subject(doc[start:end], sentence.start):
            return name, start
        nearest = nearest if nearest[0] else (name, start)
    return nearest


_FULL_NAME_REACH = 400
"""Person mentions `_agreeing_full_name` looks back over: a surname's full names are near, and a
walk over every person of a long document per pronoun would be quadratic."""


def _agreeing_full_name(
    doc: Doc, persons: list[Bound], genders: dict[int, str], names: list[str], i: int, pronoun: str
) -> str:
    """The full name of person `i` for a he/she: its own (`_full_names`) when that full name's
    gender agrees with the pronoun; when the gender disagrees or is unknown, an earlier full name
    with the same last word whose gender is known and agrees ("Ana Rocha ... her uncle, Luis
    Rocha ... Rocha says ... she says": Ana Rocha); failing that its own when its gender is
    unknown, "" when it disagrees (the pronoun is someone else)."""
    start, end, _ = persons[i]
    if end - start > 1 or " " not in names[i]:
        return names[i]  # a full name itself, or a surname no full name came before
    reach = range(i - 1, max(i - _FULL_NAME_REACH, 0) - 1, -1)
    full = next((j for j in reach if names[j] == names[i] and persons[j][1] - persons[j][0] > 1), None)
    if full is None:
        return names[i]
    gender = genders[persons[full][0]]
    if gender and _agrees(pronoun, gender):
        return names[i]
    surname = doc[end - 1].text
    for j in reach:
        first, last, _ = persons[j]
        if last - first > 1 and doc[last - 1].text == surname and genders[first] and _agrees(pronoun, genders[first]):
            return names[j]
    return "" if gender else names[i]


def _quotation_opening(doc: Doc, span: Span, quotes: Sequence[tuple[int, int]]) -> Span:
    """Where the quotation the span's sentence closes opens ("“Nobody phoned. Nobody ever
    does,” he posted": the sentences inside the quotation are the speaker's own, so the text
    before them is the one the pronoun looks back over); the span itself when its sentence does
    not begin inside a quotation."""
    opened = quote_at(quotes, span.sent.start_char)
    first = doc.char_span(opened[0], opened[0] + 1, alignment_mode="expand") if opened is not None else None
    return first if first is not None and first.start < span.start else span


def _unnamed_speaker(doc: Doc, pronoun: Span, stop: int, word: str, words: EngineLexicons) -> str:
    """The latest one person the story did not name who spoke between token `stop` and the
    pronoun, as a subject of a speech verb outside quotes: "a witness", "a spokesman for the
    trust" (an indefinite person noun, `_person_noun`, in the singular that agrees with the
    pronoun, not a body, a firm, a place, a group or a document; a definite one takes up someone
    named); the name it resolves to, or its own words. "" otherwise."""
    bodies = _not_one_person(words)
    quotes = quote_spans(doc_text(doc))
    for tok in reversed(doc[stop : pronoun.start]):
        if tok.ent_type_ == "PERSON" and quote_at(quotes, tok.idx) is None:
            return ""  # "A resident said … When I asked Lopez, she …": a named person is nearer
        if tok.dep_ != "nsubj" or tok.head.lemma_.lower() not in words.speaker_speech_verbs:
            continue
        if quote_at(quotes, tok.idx) is not None:
            continue
        if tok.pos_ == "PROPN":
            return ""  # "A resident said … Lopez said …": a named speaker is nearer
        if tok.tag_ != "NN" or tok.ent_type_ or tok.lemma_.lower() in bodies or not _person_noun(tok, words):
            continue  # "a new training programme would add 140 drivers": no one speaks
        if not any(c.dep_ == "det" and c.lower_ in _INDEFINITE for c in tok.children):
            continue  # "the judge", "her client" take up someone named; "a witness" is someone new
        if not _agrees(word, _noun_gender(tok.lemma_.lower(), words)):
            return ""  # "A council spokesman said … she said": someone else
        phrase = doc[tok.left_edge.i : tok.right_edge.i + 1]
        if len(phrase) > 10 or any(t.is_punct for t in phrase):
            phrase = doc[tok.left_edge.i : tok.i + 1]
        return resolve_name(doc, phrase, "", words) or str(phrase.text)
    return ""


def _person_noun(tok: Token, words: EngineLexicons) -> bool:
    """A noun that names a person: the pack's people, a gendered role noun ("spokeswoman") or
    one of the speakers that name one person ("witness")."""
    lemma = tok.lemma_.lower()
    return lemma in words.people or lemma in words.individual_speakers or _noun_gender(lemma, words) != ""


def _is_subject(ent: Span, sentence_start: int) -> bool:
    """The entity is a clause's subject, or in apposition to one ("its spokesman, X,"). In a
    sentence before the pronoun's, not the subject of reported content: "Judge Lee said that no
    garda was hurt. ‘…,’ she said" is about the judge, as centering predicts."""
    root = ent.root
    if root.dep_ == "appos":
        root = root.head
    if root.dep_ not in {"nsubj", "nsubjpass"}:
        return False
    if ent.start >= sentence_start:
        return True
    verb = root.head
    while verb.dep_ != "ROOT" and verb.head is not verb:
        if verb.dep_ == "ccomp":
            return False
        verb = verb.head
    return True


def _titled_person(doc: Doc, span: Span, words: EngineLexicons) -> str:
    """The person an earlier mention gave the title a definite description repeats: "the judge"
    after "Judge Emmet G. Sullivan", "the chief minister" after "Chief Minister X", "the minister"
    after "Minister for Energy X" (the latest person whose name the title, with every word the
    description adds, modifies; or who has it in apposition: "Amara
    Lindqvist, Deputy Spokesperson for the UN,"; not "the ad" after "in a new ad, Jeb Bush").
    "" otherwise."""
    if not 2 <= len(span) <= 3 or span[0].lower_ != "the" or span[-1].tag_ not in {"NN", "NNP"}:
        return ""
    title, modifiers = span[-1].lower_, {tok.lower_ for tok in span[1:-1]}
    persons, _, names = _people(doc, words)
    for i in range(bisect.bisect_right(persons, span.start, key=lambda bound: bound[1]) - 1, -1, -1):
        start, end = persons[i][0], persons[i][1]
        before = doc[max(doc[start].sent.start, start - 6) : start]
        titled = any(tok.lower_ == title and tok.dep_ in _TITLE_DEPS and start <= tok.head.i < end for tok in before)
        if titled and modifiers <= {tok.lower_ for tok in before}:  # "the chief minister", not "the prime minister"
            return names[i]
        if modifiers:
            continue
        if end - start > 2 and doc[start].lower_ == title:  # the model took the title into the name
            return str(doc[start + 1 : end].text)
        if any(c.dep_ == "appos" and c.lower_ == title for c in doc[start:end].root.children):
            return names[i]
    return ""


def _named_body(doc: Doc, span: Span, words: EngineLexicons) -> str:
    """The organisation a definite description of a speaking body names: the latest earlier
    organisation whose name holds its words ("the ministry" → "the Health Ministry", "the budget
    office" → "Congressional Budget Office"; not "the terrorist group" → "the SITE Intelligence
    Group"). Failing that, "the company", "the firm", "the charity" (`company_nouns`) take the
    latest organisation of the last few sentences that acted (a subject or possessor, not "told
    Reuters") and is no public body ("the Health Ministry"): "Siemens said ... the company said".
    The organisation a story is mostly about is not guessed for other bodies: on PolNeAR that
    gave "the campaign" → "Trump". "" for any other phrase, and for one that holds a name of its
    own ("the Obama administration")."""
    root = span.root
    lemma = root.lemma_.lower()
    if span[0].lower_ != "the" or len(span) > 3:
        return ""
    if lemma not in words.speaking_bodies and lemma not in words.company_nouns:
        return ""
    if any(tok.ent_type_ for tok in span):
        return ""
    bounds = ent_bounds(doc)
    before = ents_before(doc, span.start)
    for bound in reversed(bounds[max(0, before - _BODY_ENTITIES) : before]):
        ent = ent_span(doc, bound)
        name = ent.text.lower()
        if doc.vocab.strings[bound[2]] == "ORG" and all(tok.lower_ in name for tok in span[1:]):
            return "" if is_person(ent, words) else str(ent.text)
    if len(span) == 2 and lemma in words.company_nouns:
        bodies = words.speaking_bodies - words.company_nouns
        datelines = dateline_ranges(doc)
        firm: Span | None = None
        for bound in reversed(bounds[max(0, before - _COMPANY_ENTITIES) : before]):
            ent, label = ent_span(doc, bound), doc.vocab.strings[bound[2]]
            if ent.root.dep_ not in _ACTOR_DEPS or in_dateline(datelines, bound[0]):
                continue  # "told Reuters": an organisation spoken to is not the one spoken of
            if label == "PERSON" and firm is None and _firm_taken_for_person(ent, words):
                firm = ent  # an organisation the model tagged as one comes first
            if label != "ORG" or any(tok.lemma_.lower() in bodies for tok in ent):
                continue
            if not is_person(ent, words):
                return str(ent[:-1].text if ent[-1].tag_ == "POS" else ent.text)  # not "Acme Corp's"
        if firm is not None:
            return str(firm.text)
    return ""


def _firm_taken_for_person(ent: Span, words: EngineLexicons) -> bool:
    """A one-word name the model tags PERSON that no person of the story bears: no given name and
    no surname of a longer name ("Brightwell said ... the company said", a firm's coined name the
    small model has never seen)."""
    word = ent[0]
    if len(ent) != 1 or word.pos_ != "PROPN" or word.text.isupper():
        return False
    if word.lower_ in words.given_names_male or word.lower_ in words.given_names_female:
        return False
    return not any(end - start > 1 for start, end, _ in _person_names(ent.doc).get(word.text, []))


_INDEFINITE = frozenset({"a", "an", "another"})
_DESCRIPTION_WINDOW = 300  # tokens back to the indefinite description


def _described_before(doc: Doc, span: Span) -> str:
    """The earlier indefinite description of an unnamed speaker that "the <noun>" takes up: "the
    person" after "a person familiar with the matter said", "the people" after "people familiar
    with the matter said", "the official" after "a senior official told reporters" (the latest
    subject with that noun and an indefinite article or none in the plural, as
    written, past definite ones: "the official declined" is the same official). "" otherwise."""
    if len(span) != 2 or span[0].lower_ != "the" or span[1].tag_ not in {"NN", "NNS"}:
        return ""
    noun = span[1].lemma_
    for tok in reversed(doc[max(0, span.start - _DESCRIPTION_WINDOW) : span.start]):
        if tok.lemma_ != noun or tok.dep_ not in {"nsubj", "nsubjpass"}:
            continue
        determiners = [c.lower_ for c in tok.children if c.dep_ == "det"]
        # "a senior official", or a bare plural: "people familiar with the matter said"
        if any(d in _INDEFINITE for d in determiners) or (tok.tag_ == "NNS" and not determiners):
            phrase = doc[tok.left_edge.i : tok.right_edge.i + 1]
            return str(phrase.text) if len(phrase) <= 10 and not any(t.is_punct for t in phrase) else ""
    return ""


_EPITHET_SENTENCES = 2
"""Sentences back (besides the mention's own) where the person an epithet takes up was named."""


def _epithet_person(doc: Doc, span: Span, words: EngineLexicons) -> str:
    """The one person an epithet takes up: "the Egyptian", "the 23-year-old", "the former prime
    minister" after a sentence that named them (sports and court copy name someone once, then
    describe them). A definite description of up to five words (not of a body, a firm, a place, a
    group or a document: `speaking_bodies`, `company_nouns`, `place_nouns`, `collective_nouns`,
    `written_documents`) takes the one person named in its
    sentence before it and the two sentences before that (a surname counts as the full name it
    ends, a name the model tagged ORG as a person when it acts like one), as a subject or beside
    one: with two people named there, or the one named as an object, no one. A person with a
    title of office is taken up by that title or by an age ("Governor Muthee … the first-term
    governor", "Rep. Curtis Vandermeer … the 58-year-old"), not by another noun ("the prime
    minister", "the opposition" after "Chief Minister Kavita Rao"). Other than an age, a nation or
    the person's own title, a bare office after that person spoke ("Sarah Penn said … The judge
    said") is someone the story has not named; a description with a word that describes ("the
    retired firefighter", "the former minister") or after a sentence that only told of them
    ("Sandvik was more blunt. … the goalkeeper told") takes them. "" otherwise."""
    edge = min(span.root.left_edge.i, span.start - 1) if span.start > 0 else 0
    if span[0].lower_ != "the" and doc[edge].lower_ == "the":
        span = doc[edge : span.end]  # "the Egyptian", "the New Mexico Democrat": the model's NORP is the noun alone
    if not 2 <= len(span) <= 5 or span[0].lower_ != "the" or span.root.tag_ not in {"NN", "NNP", "JJ", "CD"}:
        return ""
    lemma = span.root.lemma_.lower()
    if any(
        lemma in nouns
        for nouns in (
            words.speaking_bodies,
            words.company_nouns,
            words.place_nouns,
            words.collective_nouns,
            words.written_documents,
        )
    ):
        return ""  # "the ministry", "the club", "the town", "the crew", "the recall notice": no person
    quotes = quote_spans(doc_text(doc))
    # an age or a nation describes whom the story is about ("said the 19-year-old", "the Swede")
    nation = span.root.ent_type_ == "NORP" or _demonym(span.root, words)
    kin = _ageing(span) or nation
    first, back = span[0].sent, 0
    while back < _EPITHET_SENTENCES and first.start > 0:
        first = doc[first.start - 1].sent
        # a blank line between paragraphs is no sentence; for an age or a nation, nor is one of a
        # quotation the parser split ("“It went. It went at the net …,” the Swede said")
        back += bool(first.text.strip()) and not (kin and quote_at(quotes, first.start_char) is not None)
    narrated = quote_at(quotes, span.start_char) is None
    people = [
        person
        for bound in ent_bounds(doc)[ents_before(doc, first.start) : ents_before(doc, span.start)]
        if _named_person(person := ent_span(doc, bound), words)
        and not _abbreviated_title(doc, person)
        and not (
            narrated and quote_at(quotes, person.start_char) is not None
        )  # "“Lewis deserved more,” the Monegasque said"
    ]
    # "Dellinger, who missed nine games, insisted …": a surname is the person named in full before
    names = [_full_name(doc, person, words) for person in people]
    head, plain = span.root.lower_, all(_hyphenated(tok) for tok in span[1:-1])
    titled = {
        name
        for person, name in zip(people, names, strict=True)
        if any(_names_office(title, head) for title in _titles_before(doc, person, words))
    }
    if plain and len(titled) == 1 and len(min(titled).split()) >= 2:
        return min(titled)  # "Coun. Brendan Mulcahy … the councillor", whoever else was named
    if len(set(names)) > 1 and _ageing(span):
        # an age ("said the 19-year-old from Porto"): the nearest sentence that names anyone, if
        # it names one person (not an office, "the mayor" after a ratepayer, nor a paper, "The Oregonian")
        nearest = [(p, n) for p, n in zip(people, names, strict=True) if p.sent.start == people[-1].sent.start]
        if len({n for _, n in nearest}) == 1:
            people, names = [p for p, _ in nearest], [n for _, n in nearest]
    if len(set(names)) != 1 or len(names[0].split()) < 2:
        return ""
    subjects = [person for person in people if _subject_or_apposed(person)]
    if not subjects or nation:
        return names[0] if subjects else ""  # a party or nation: "the Democrat"
    title = _title_before(doc, subjects[0], words)
    if title and _names_office(title, head) and plain:
        return names[0]  # "Governor Muthee … the governor", "the first-term governor"
    if head in _doc_titles(doc, words) or (title and not _ageing(span)):
        return ""  # "The prime minister" or "the opposition" after "Chief Minister Kavita Rao" is not her
    described = _ageing(span) or any(tok.dep_ == "amod" and tok.tag_ in {"JJ", "VBN"} for tok in span[1:-1])
    if not described and _reports_speech(subjects[-1], words):
        return ""  # a bare office after a speaker ("Sarah Penn said … The judge said"): someone else
    return names[0]  # "Vandermeer … the retired rancher", "Rep. Curtis Vandermeer … the 58-year-old"


def _demonym(tok: Token, words: EngineLexicons) -> bool:
    """A capitalised word after "the" that names a man or woman of a nation, whatever the
    model's label: "the Frenchman", "the Dutchwoman" (not a role: "the Chairman", lexicons
    `gender_nouns_*`)."""
    before = tok.doc[tok.i - 1].lower_ if tok.i > 0 else ""
    roles = words.gender_nouns_male | words.gender_nouns_female
    return before == "the" and tok.is_title and tok.lower_.endswith(("man", "woman")) and tok.lower_ not in roles


def _subject_or_apposed(ent: Span) -> bool:
    """A subject, or in apposition to one ("Another customer, Tyrone Bexley, said")."""
    root = ent.root
    return root.dep_ in _SUBJECT_DEPS or (root.dep_ == "appos" and root.head.dep_ in _SUBJECT_DEPS)


def _named_person(ent: Span, words: EngineLexicons) -> bool:
    """A PERSON, or a person's name the model tagged ORG: one that reports speech or a lone word
    that ends an earlier personal name ("Bexley, who spent 27 years with the fire department")."""
    if ent.label_ == "PERSON":
        return True
    return ent.label_ == "ORG" and (is_person(ent, words) or (len(ent) == 1 and _ends_earlier_name(ent, words)))


def _doc_titles(doc: Doc, words: EngineLexicons) -> frozenset[str]:
    """The words the document uses as titles right before a name ("Chief Minister Kavita Rao":
    minister), lower case, worked out once per document and lexicons (as `_people`: which titles
    are courtesy ones is the lexicons')."""
    kept = doc.user_data.get(_TITLES)
    if not (isinstance(kept, tuple) and kept[0] is words):
        titles = frozenset(
            title
            for bound in ent_bounds(doc)
            if doc.vocab.strings[bound[2]] == "PERSON" and (title := _title_before(doc, ent_span(doc, bound), words))
        )
        kept = doc.user_data[_TITLES] = (words, titles)
    found: frozenset[str] = kept[1]
    return found


def _full_name(doc: Doc, person: Span, words: EngineLexicons) -> str:
    """A person's name as the full name it takes up: a lone surname ("Vandermeer") the latest
    longer name ending with it (a PERSON, or shaped like a name whatever the model's label), or
    the one longer name it begins ("Marcus"); else as written."""
    if len(person) - _leading_titles(person, words) != 1:  # "Ms Kamau" names one word
        return str(person.text)
    full = next((name for name in _earlier_names_ending(person, words) if not _leading_titles(name, words)), None)
    return str(full.text) if full is not None else _first_named(doc, person) or str(person.text)


def _hyphenated(tok: Token) -> bool:
    """The token is part of a word written with hyphens ("first-term")."""
    doc = tok.doc
    joined_next = tok.i + 1 < len(doc) and doc[tok.i + 1].text == "-" and not tok.whitespace_
    joined_before = tok.i > 0 and doc[tok.i - 1].text == "-" and not doc[tok.i - 1].whitespace_
    return "-" in tok.text or joined_next or joined_before


def _title_before(doc: Doc, person: Span, words: EngineLexicons) -> str:
    """The title word right before the name ("Chief Minister Kavita Rao", "Coach Dahl"), lower
    case; "" when there is none or it is a courtesy title ("Ms Kamau", "Dr Lee"), which no
    description takes up."""
    before = doc[person.start - 1] if person.start > 0 else None
    if before is None or not before.is_title or before.dep_ not in _TITLE_DEPS or before.ent_type_ == "PERSON":
        return ""
    return "" if before.lower_.rstrip(".") in _titles(words) else before.lower_


def _titles_before(doc: Doc, person: Span, words: EngineLexicons) -> frozenset[str]:
    """All the words of the title before a name, lower case: "Chief Minister Kavita Rao" (chief,
    minister), "Minister of Housing Nabil Farouk" (minister, housing), "Coun. Brendan Mulcahy"
    (coun: the tokenizer splits an abbreviation it does not know, and the parser makes it a
    sentence of its own); none for a courtesy title ("Ms Kamau", "Dr Lee")."""
    i, found = person.start - 1, set()
    if i >= 1 and _abbreviation_at(doc, i - 1):
        found.add(doc[i - 1].lower_)
    else:
        while i >= 0 and not doc[i].ent_type_ and _in_title_phrase(doc[i], person.root):
            if doc[i].lower_ not in _TITLE_LINKS and not doc[i].is_title:
                break
            found.add(doc[i].lower_.rstrip("."))
            i -= 1
    return frozenset(found - _TITLE_LINKS - _titles(words))


_TITLE_LINKS = frozenset({"of", "for"})


def _in_title_phrase(word: Token, name: Token) -> bool:
    """`word` (left of the name) is in the name's phrase: a modifier under it ("Chief Minister
    X") or the office the parser made its head through "of/for" ("Minister of Housing X")."""
    if name.is_ancestor(word):
        return word.dep_ in _TITLE_DEPS or word.dep_ in {"pobj", "prep"} or word.lower_ in _TITLE_LINKS
    head = name
    while head.dep_ in {"pobj", "prep"} and head.head.i != head.i:
        head = head.head
        if head.i == word.i:
            return True
    return False


def _names_office(title: str, head: str) -> bool:
    """A title word names the office a description's noun does: the word itself ("Governor
    Muthee … the governor") or its abbreviation, the office's letters in order from its first
    ("Coun." councillor, "Cllr" councillor, "Supt" superintendent, "Gov." governor)."""
    title = title.rstrip(".")
    if title == head:
        return True
    if not 2 <= len(title) <= 4 or title[0] != head[0]:
        return False
    letters = iter(head)
    return all(letter in letters for letter in title)


def _abbreviated_title(doc: Doc, ent: Span) -> bool:
    """A one-word "person" that is the abbreviated title of the name after it ("Coun. Brendan
    Mulcahy": the model tags "Coun" a person of its own)."""
    after = ent.end + 1
    return len(ent) == 1 and _abbreviation_at(doc, ent.start) and after < len(doc) and doc[after].ent_type_ == "PERSON"


def _abbreviation_at(doc: Doc, i: int) -> bool:
    """The word at `i` is written as an abbreviation: a title-case word with a full stop glued
    to it ("Coun.", which the tokenizer splits off)."""
    word = doc[i]
    return i + 1 < len(doc) and doc[i + 1].text == "." and not word.whitespace_ and word.is_title and word.is_alpha


def _aged_person(doc: Doc, span: Span) -> str:
    """The person "the 35-year-old" or "the 58-year-old former rancher" takes up: the latest
    PERSON given that age before it, after the name ("Mary Atieno, 35,") or before it
    ("35-year-old Mary Atieno"); "the teenager" takes an age from 13 to 19. "" otherwise."""
    words = [tok.lower_ for tok in span]
    if words in (["the", "teenager"], ["the", "teen"]):
        ages = {str(age) for age in range(13, 20)}  # "Mbeki, 19, … the teenager"
    elif _ageing(span):
        ages = {words[1].split("-", 1)[0]}
    else:
        return ""
    for bound in reversed(ent_bounds(doc)[: ents_before(doc, span.start)]):
        if doc.vocab.strings[bound[2]] != "PERSON":
            continue
        start, end = bound[0], bound[1]
        after = [tok.text for tok in doc[end : end + 2]]
        before = doc[start - 1].lower_ if start > 0 else ""
        if (after[:1] == [","] and after[1:] and after[1] in ages) or before in {f"{age}-year-old" for age in ages}:
            return str(ent_span(doc, bound).text)
    return ""


def _ageing(span: Span) -> bool:
    """A description by age: "the 35-year-old", "the 58-year-old former rancher"."""
    words = [tok.lower_ for tok in span]
    return len(words) >= 2 and words[0] == "the" and words[1].endswith("-year-old") and words[1][0].isdigit()


_NAMED_LABELS = frozenset({"PERSON", "ORG"})
_PERSON_LABEL = frozenset({"PERSON"})


def _apposed(doc: Doc, span: Span, labels: frozenset[str]) -> Span | None:
    """The first name in apposition to the mention's head whose label is one of `labels`; or a
    person in apposition to the head's "of" object, where the parser hangs the name on the
    nearest noun ("The chief executive of Boeing, Dave Calhoun, told")."""
    named = (_named_at(doc, c.i) for c in span.root.rights if c.dep_ == "appos")
    if (found := next((ent for ent in named if ent is not None and ent.label_ in labels), None)) is not None:
        return found
    ofs = (c for c in span.root.rights if c.dep_ == "prep" and c.lower_ == "of")
    objects = (g for c in ofs for g in c.rights if g.dep_ == "pobj")
    for obj in objects:
        if obj.ent_type_ == "PERSON":
            continue  # "the wife of John Smith, a lawyer": the name is the object's
        persons = (_named_at(doc, c.i) for c in obj.rights if c.dep_ == "appos")
        if (person := next((e for e in persons if e is not None and e.label_ == "PERSON"), None)) is not None:
            return person
    return None


def _untagged_apposed_name(span: Span, words: EngineLexicons) -> str:
    """A name of two or three capitalised words the model left untagged, in apposition to the
    mention's person noun ("Her trainer, Tavo Ruelas, told reporters"). "" otherwise."""
    if not _person_noun(span.root, words):
        return ""
    for child in span.root.rights:
        if child.dep_ == "appos":
            name = span.doc[child.left_edge.i : child.right_edge.i + 1]
            if 2 <= len(name) <= 3 and all(t.pos_ == "PROPN" and t.is_title and t.ent_iob_ == "O" for t in name):
                return str(name.text)
    return ""


def _named_at(doc: Doc, i: int) -> Span | None:
    """The person or organisation whose name holds token `i`; not an abbreviation in brackets
    ("the Regulatory Agency (MHRA)": the phrase is the name)."""
    ent = entity_at(doc, i)
    if ent is None or ent.label_ not in _NAMED_LABELS:
        return None
    return None if ent.start > 0 and doc[ent.start - 1].text == "(" else ent


def _body_before(doc: Doc, before: int, words: EngineLexicons, labels: frozenset[str]) -> Span | None:
    """The nearest organisation or country (`labels`) that ends before token `before`."""
    bounds, datelines = ent_bounds(doc), dateline_ranges(doc)
    for i in range(ents_before(doc, before) - 1, -1, -1):
        if in_dateline(datelines, bounds[i][0]):
            continue  # "MANCHESTER (Evening Courier) -": the outlet that filed the story
        if doc.vocab.strings[bounds[i][2]] in labels and not is_person(ent := ent_span(doc, bounds[i]), words):
            return ent
    return None


def _person_names(doc: Doc, first: bool = False) -> dict[str, list[tuple[int, int, str]]]:
    """PERSON entities by their last word (or, `first`, their first word), in text order, worked
    out once per document."""
    key = _NAMES + (".first" if first else "")
    kept = doc.user_data.get(key)
    if not isinstance(kept, dict):
        kept = doc.user_data[key] = {}
        for bound in ent_bounds(doc):
            if doc.vocab.strings[bound[2]] == "PERSON":
                end = _hyphen_end(doc, bound[1])
                word = doc[bound[0] if first else end - 1].text
                kept.setdefault(word, []).append((bound[0], end, doc[bound[0] : end].text))
    return kept


def full_name_before(doc: Doc, surname: Token) -> str | None:
    """The full name of the latest person named before `surname` in more than one word that ends
    with it ("Senator Grace Okonkwo … Okonkwo was unrepentant.")."""
    named = _person_names(doc).get(surname.text, [])
    return next((text for start, end, text in reversed(named) if end <= surname.i and end - start > 1), None)


def _hyphen_end(doc: Doc, end: int) -> int:
    """The end of a name the model cut inside a hyphenated word ("Park Min" of "Park Min-soo")."""
    while end + 1 < len(doc) and doc[end].text == "-" and not doc[end - 1].whitespace_ and not doc[end].whitespace_:
        end += 2
    return end


def _first_named(doc: Doc, span: Span) -> str:
    """The one earlier full name a lone word begins: "Park" after "Park Min-soo" (a family name
    written first), "Faisal" after "Faisal Qureshi". "" when no earlier name or two different
    ones begin with it ("Gareth Evans" and "Gareth Bale"), or when a pronoun is the word."""
    if len(span) != 1 or span[0].lower_ in PERSON_PRONOUNS or not span[0].is_title:
        return ""
    named = _person_names(doc, first=True).get(span[0].text, [])
    before = {
        text
        for start, end, text in named
        if end <= span.start
        and end - start > 1
        and all(tok.pos_ == "PROPN" for tok in doc[start:end] if tok.text != "-")
    }  # not "Obama Says", a headline the model tagged as a name
    return before.pop() if len(before) == 1 else ""


_SUBJECT_DEPS = frozenset({"nsubj", "nsubjpass"})
_NAMED_SPEAKER_WINDOW = 80
"""Tokens back (about two sentences) to an organisation that spoke, for "it" or "they"."""


def _named_speaker(doc: Doc, before: int, words: EngineLexicons, labels: frozenset[str]) -> Span | None:
    """The latest organisation or country (`labels`) that was the subject of a speech verb in the
    last `_NAMED_SPEAKER_WINDOW` tokens: "The Japan Meteorological Agency said 412 mm fell in
    Hitoyoshi. It warned ..." — the pronoun goes on with the body that spoke, not with the place
    its words named (centering: the subject outranks the object of a preposition)."""
    for i in range(before - 1, max(0, before - _NAMED_SPEAKER_WINDOW) - 1, -1):
        tok = doc[i]
        if tok.dep_ != "nsubj" or tok.head.lemma_.lower() not in words.speaker_speech_verbs:
            continue
        ent = entity_at(doc, i)
        if ent is not None and ent.label_ in labels and not is_person(ent, words):
            return ent
    return None


def _speaking_body(doc: Doc, pronoun: Span, stop: int, words: EngineLexicons) -> Span | None:
    """The latest unnamed body that spoke before the pronoun ("The ministry said ... It said"),
    looked for back to token `stop` (and at most `_SPEAKING_WINDOW` tokens). One person ("a
    resident said") is no antecedent of `it`, nor of `they` unless plural ("residents said")."""
    before = pronoun.start
    plural = pronoun.text.lower() not in {"it", "its"}
    for i in range(before - 1, max(stop, before - _SPEAKING_WINDOW) - 1, -1):
        tok = doc[i]
        lemma = tok.lemma_.lower()
        body = lemma in words.speaking_bodies and (
            lemma not in words.individual_speakers or (plural and tok.tag_ in {"NNS", "NNPS"})
        )
        if tok.dep_ == "nsubj" and body and tok.head.lemma_.lower() in words.speaker_speech_verbs:
            return doc[tok.left_edge.i : tok.i + 1]
    return None
