"""The word lists the Doc readers consult, taken from a rule pack's reserved lexicons.

A pack extends them like any lexicon (`rules/lexicons.yaml`); a pack that lacks one gets the
built-in default from `service/rules/reserved_lexicons.yaml` (the loader fills them in, see
docs/rule-pack.md). Closed grammatical classes (personal pronouns, negators, quote marks) stay in
the readers: they are grammar, not vocabulary a pack would extend.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields


@dataclass(frozen=True, slots=True)
class EngineLexicons:
    """One frozen set per reserved lexicon; the field name is the lexicon's name."""

    speaker_speech_verbs: frozenset[str]  # lemmas: "X said" makes X a speaker (pronoun resolution)
    speaking_bodies: frozenset[str]  # lemmas: unnamed bodies an `it`/`they` may take ("the ministry")
    individual_speakers: frozenset[str]  # lemmas of those that name one person: `they` only in the plural
    person_place_preps: frozenset[str]  # a PERSON-tagged object of these is a place ("near Kyiv")
    location_preps: frozenset[str]  # prepositions that attach where an event took place
    cessation_verbs: frozenset[str]  # lemmas: a negated one asserts what it governs ("did not stop shelling")
    speaker_titles_male: frozenset[str]  # lower case, no trailing dot: "mr", "sir"
    speaker_titles_female: frozenset[str]
    speaker_titles_neutral: frozenset[str]  # titles of either gender: "dr", "prof"
    gender_nouns_male: frozenset[str]  # role nouns beside a name: "spokesman", "father"
    gender_nouns_female: frozenset[str]
    given_names_male: frozenset[str]  # lower case
    given_names_female: frozenset[str]
    place_nouns: frozenset[str]  # word or lemma: "across the city", "the port city of X"
    owned_place_nouns: frozenset[str]  # lemmas: a place only as part of somewhere ("the city's west side")
    org_name_words: frozenset[str]  # lower case: an ORG-tagged span with one is no personal name
    collective_nouns: frozenset[str]  # lemmas: "the crew" names a group, so a casualty of it has no count of 1
    company_nouns: frozenset[str]  # lemmas: "the company said" takes the organisation the story named last
    written_documents: frozenset[str]  # lemmas: "a statement from the palace said" speaks for the palace
    instrument_nouns: frozenset[str]  # lemmas: an attack's subject that is a munition is its weapon, not its attacker
    act_support_verbs: frozenset[str]  # lemmas: "opened fire": the verb acts out its attack-noun object
    harm_act_verbs: frozenset[str]  # lemmas: "killed seven people in a raid": the raid's attacker is the subject
    weapon_use_verbs: frozenset[str]  # lemmas: "shells fired by rebels": the agent is the attacker
    passing_verbs: frozenset[str]  # lemmas: "as the patrol passed": the patrol was struck
    care_places: frozenset[str]  # lemmas: "died in hospital": where the hurt were treated, lent to no other event
    area_nouns: frozenset[str]  # lemmas: "fell in a district": where, not what; "the Wadajir district"
    armed_weapons: frozenset[str]  # lemmas: "attacked the camp using rifles": what an attack was done with
    force_nouns: frozenset[str]  # lemmas: "Al-Shabaab said its fighters stormed ...": the attacker is Al-Shabaab
    people: frozenset[str]  # lemmas of person nouns: "The captain apologised. He said …": the captain

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The reserved lexicon names."""
        return tuple(f.name for f in fields(cls))

    @classmethod
    def from_words(cls, lexicons: Mapping[str, Sequence[str]]) -> EngineLexicons:
        """From a mapping that holds every reserved name (the pack's, defaults filled in)."""
        return cls(**{name: frozenset(word.lower() for word in lexicons[name]) for name in cls.names()})
