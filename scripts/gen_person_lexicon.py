"""Generate the `person_nouns` lexicon of rules/lexicons.yaml from WordNet 3.0.

Authoring time only: the service reads the lexicon this script wrote between the
`# BEGIN generated person_nouns` / `# END generated person_nouns` markers. The hand list `people`
includes it (`$person_nouns`), so the victims of a kidnapping, the people shot, missing or
unaccounted for may be a bishop, a geologist or a surveyor, not only the nouns somebody thought of.

    apt-get install -y wordnet-base     # Debian: WordNet 3.0 under /usr/share/wordnet
    .venv/bin/python scripts/gen_person_lexicon.py [--wordnet DIR] [--check]

Criteria: a one-word noun whose most frequent sense is in the `noun.person` lexicographer file,
which SemCor tags at least once, and which WordNet does not spell only capitalised (names such as
"Moses" stay out). Words in `EXCLUDED` are as often something else in the news, or abuse.
"""

from __future__ import annotations

from pathlib import Path

from service.authoring.lexicon_blocks import NOUN_PERSON, generate, main_sense_nouns

_SPORT = "a position or a result in sport, where people are 'beaten', 'shot' and 'killed off'"
_THING = "a thing or a firm as often"
_ADJECTIVE = "mostly the adjective"
_VERB = "mostly the verb"
_MYTH = "a being of myth or fiction"
_ABUSE = "a slur or abuse"
_CONTEST = "what a contest wins or beats: 'captured 95 delegates', 'beat his rival'"
EXCLUDED = {
    **dict.fromkeys(
        (
            "player",
            "champion",
            "champ",
            "winner",
            "loser",
            "victor",
            "contestant",
            "competitor",
            "boxer",
            "wrestler",
            "batter",
            "hitter",
            "catcher",
            "pitcher",
            "fielder",
            "infielder",
            "outfielder",
            "linebacker",
            "lineman",
            "quarterback",
            "halfback",
            "fullback",
            "tailback",
            "wingback",
            "shortstop",
            "slugger",
            "southpaw",
            "tackle",
            "runner",
            "puncher",
            "lifter",
            "tumbler",
            "twirler",
            "ballplayer",
        ),
        _SPORT,
    ),
    **dict.fromkeys(
        (
            "carrier",
            "conveyor",
            "bearer",
            "classifier",
            "controller",
            "supplier",
            "distributor",
            "retailer",
            "wholesaler",
            "exporter",
            "developer",
            "user",
            "speaker",
            "reader",
            "ward",
            "hood",
            "mantrap",
            "bourbon",
            "character",
            "embodiment",
            "personification",
            "incarnation",
            "namesake",
            "aeon",
            "pop",
            "whale",
            "tiger",
            "skunk",
            "prey",
            "comer",
        ),
        _THING,
    ),
    **dict.fromkeys(
        (
            "white",
            "major",
            "private",
            "senior",
            "junior",
            "superior",
            "equal",
            "ordinary",
            "modern",
            "moderate",
            "conservative",
            "liberal",
            "chosen",
            "desperate",
            "stupid",
            "compulsive",
            "unfortunate",
            "auxiliary",
            "regular",
            "stiff",
            "dear",
            "darling",
            "babe",
            "drunk",
            "buff",
        ),
        _ADJECTIVE,
    ),
    **dict.fromkeys(
        (
            "cook",
            "counsel",
            "escort",
            "hack",
            "jerk",
            "tramp",
            "tease",
            "fool",
            "master",
            "sponsor",
            "author",
            "host",
            "coach",
            "lord",
            "bully",
            "cuss",
            "bum",
            "miss",
            "don",
            "sir",
            "madam",
            "sucker",
            "booby",
        ),
        _VERB,
    ),
    **dict.fromkeys(
        (
            "god",
            "goddess",
            "deity",
            "divinity",
            "divine",
            "spirit",
            "soul",
            "angel",
            "archangel",
            "devil",
            "demon",
            "monster",
            "monstrosity",
            "zombie",
            "witch",
            "wizard",
            "genie",
            "gnome",
            "imp",
            "troll",
            "pixie",
            "fairy",
            "nymph",
            "mermaid",
            "phantom",
            "apparition",
            "banshee",
            "incubus",
            "lorelei",
            "psychopomp",
            "supernatural",
            "martian",
            "earthman",
            "mutant",
            "ubermensch",
            "ghoul",
            "ogress",
            "bogey",
            "dragon",
            "hulk",
        ),
        _MYTH,
    ),
    **dict.fromkeys(
        (
            "abo",
            "coon",
            "nigger",
            "nigra",
            "negro",
            "jap",
            "krauthead",
            "whore",
            "prick",
            "puke",
            "bastard",
            "commie",
            "hun",
            "yank",
            "yankee",
            "reb",
            "redcoat",
            "punk",
        ),
        _ABUSE,
    ),
    **dict.fromkeys(("delegate", "rival", "opponent", "challenger", "incumbent", "candidate", "nominee"), _CONTEST),
}
RULES = Path(__file__).resolve().parent.parent / "rules" / "lexicons.yaml"


def person_nouns(wordnet: Path) -> list[str]:
    return sorted(main_sense_nouns(wordnet, NOUN_PERSON, common_only=True) - set(EXCLUDED))


def main(argv: list[str] | None = None) -> int:
    return generate(argv, __doc__.splitlines()[0], "person_nouns", person_nouns, RULES, "scripts/gen_person_lexicon.py")


if __name__ == "__main__":
    raise SystemExit(main())
