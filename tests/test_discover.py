"""Auto mode: characters found without a cast."""

import pytest

from ficaudio.discover import discover
from ficaudio.ingest import parse_text
from ficaudio.split import split

STORY = """A Story

Jackson Avery walked in. Jackson was tall and he smiled at everyone. Avery always did.

"Hi," said April. April Kepner waved at him. She was happy.

Mrs. Shepard came later. "Dinner is ready," said Mrs. Shepard. She laughed.

"Thanks," Jackson said. "You okay, Lex?"

Lexie shrugged. Lexie had been quiet. She looked at April and then at Jackson.

"Fine," said Lexie.
"""


def characters():
    return {c.name: c for c in discover(split(parse_text(STORY)))}


def names_found(text: str) -> set[str]:
    """Every name and alias discovery finds in text."""
    return {n for c in discover(split(parse_text(text))) for n in c.names}


def one_character_has(text: str, names: set[str]) -> bool:
    """Whether discovery gives all of names to one character of text."""
    return any(names <= set(c.names) for c in discover(split(parse_text(text))))


def test_full_names_and_their_parts_merge():
    found = characters()
    jackson = next(c for c in found.values() if "Jackson Avery" in c.names)
    assert {"Jackson", "Avery"} <= set(jackson.names)
    assert not any(name in ("Avery",) for name in found if name != jackson.name)


def test_titled_names_are_kept_whole():
    assert any("Mrs. Shepard" in c.names for c in characters().values())


def test_gender_from_honorifics_and_pronouns():
    found = {n: c.gender for c in characters().values() for n in c.names}
    assert found["Mrs. Shepard"] == "female"
    assert found["Jackson"] == "male"
    assert found["April"] == "female"


def test_short_form_in_dialogue_joins_its_name():
    lexie = next(c for c in characters().values() if "Lexie" in c.names)
    assert "Lex" in lexie.names


def test_common_words_are_not_characters():
    names = {n for c in characters().values() for n in c.names}
    assert not names & {"Hi", "Dinner", "Thanks", "Fine", "She", "A Story"}


def test_character_tags_seed_auto_mode():
    from ficaudio.ingest import ingest
    from ficaudio.split import split
    from tests.conftest import DATA

    found = {c.name: c for c in discover(split(ingest(DATA / "on_call.html")))}
    # The tag is the canonical name; the forms the story uses are its aliases.
    assert "Lexie" in found["Lexie Grey"].aliases and "Mark" in found["Mark Sloan"].aliases


def test_a_possessive_her_settles_a_gender_nothing_else_gives():
    work = parse_text(
        'Title\n\n"Yeah," April scoffed, placing a fork into her mouth.\n\n'
        '"No," Mark said. He waved at her and left.\n'
    )
    found = {c.name: c.gender for c in discover(split(work))}
    assert found.get("April") == "female"
    assert found.get("Mark") == "male"


def test_a_character_the_story_calls_the_x_is_named_so():
    story = ("A Story\n\nAlice sat with the Hatter and the Dormouse.\n\n"
             '"Your hair wants cutting," said the Hatter.\n\n"You should learn not to make personal remarks," '
             'Alice said.\n\n"Why is a raven like a writing-desk?" the Hatter asked. The Hatter opened his eyes.\n\n'
             '"I quite agree with you," said the Dormouse. Then the Dormouse slept.\n')
    found = {c.name: c for c in discover(split(parse_text(story)))}
    assert "The Hatter" in found and "Hatter" in found["The Hatter"].aliases
    assert "Alice" in found


def _has_names() -> bool:
    from ficaudio.names import _data_file

    return _data_file() is not None


@pytest.mark.skipif(not _has_names(), reason="needs gender-guesser (pip install 'ficaudio[neural]')")
def test_a_character_the_text_never_genders_takes_the_gender_of_their_given_name():
    from ficaudio.names import given_name_genders

    assert given_name_genders(["Irene", "Declan", "Jo", "Zzyzx"]) == {"irene": "female", "declan": "male",
                                                                      "jo": "either"}
    text = ('The Night Desk\n\n"Coffee?" Irene Castellano asked.\n\n"Black," said Declan Sullivan.\n\n'
            'Irene poured two cups. Declan took one without looking up.\n\n"Thanks," Declan said.\n')
    found = {n: c.gender for c in discover(split(parse_text(text, fallback_title="x"))) for n in c.names}
    # Nothing in the text says so but their names.
    assert found["Irene Castellano"] == "female" and found["Declan Sullivan"] == "male"


def test_without_the_name_list_names_give_no_evidence(monkeypatch):
    import ficaudio.names as names

    monkeypatch.setattr(names, "_data_file", lambda: None)
    assert names.given_name_genders(["Irene"]) == {}


RANKS_AND_PET_NAMES = """Night Shift

Coach Dale Rennick came in first. "Sit down," Rennick said. He was tired.

Declan Sullivan sat. "Long night, Coach," Declan said, and he yawned.

"You okay, Sully?" Coach Rennick asked. Sully shrugged. Sully was fine.

Miss Ashdown looked up from her desk. Seraphine Ashdown was never fine at this hour; she said so.

"Go home, Miss Ashdown," said Rennick. Ashdown smiled at him.

Bernadette Okafor laughed. "Nobody is going home," Bernadette said. She meant it.

"She's right, Bernie," Sully said, and Bernie waved at him.
"""


def test_ranks_titled_surnames_and_pet_names_join_the_one_full_name():
    found = discover(split(parse_text(RANKS_AND_PET_NAMES)))
    owners = {n: c.name for c in found for n in c.names}
    assert owners["Coach Rennick"] == owners["Rennick"] == owners["Coach Dale Rennick"]
    assert owners["Sully"] == owners["Declan Sullivan"]
    assert owners["Miss Ashdown"] == owners["Ashdown"] == owners["Seraphine Ashdown"]
    assert owners["Bernie"] == owners["Bernadette Okafor"]
    assert len(found) == 4, [c.names for c in found]


def test_a_title_of_the_other_gender_keeps_a_surname_apart():
    text = ("Title\n\nCaroline Bingley smiled. She sat down.\n\n\"Well,\" said Mr. Bingley. He laughed."
            "\n\nMr. Bingley left. Caroline Bingley stayed; she was tired.\n")
    owners = {n: c.name for c in discover(split(parse_text(text))) for n in c.names}
    assert owners["Mr. Bingley"] != owners["Caroline Bingley"]


def test_a_mrs_is_not_the_woman_the_text_calls_miss():
    text = ("Title\n\nMiss Katharine Hilbery smiled. She sat down. Katharine Hilbery was tired.\n\n"
            "\"Well,\" said Mrs. Hilbery. She laughed.\n\nMrs. Hilbery left. Katharine Hilbery stayed.\n")
    owners = {n: c.name for c in discover(split(parse_text(text))) for n in c.names}
    assert owners["Mrs. Hilbery"] != owners["Katharine Hilbery"]


def test_a_he_that_opens_another_paragraph_is_not_the_names():
    work = parse_text('Title\n\nTavi made a small noise.\n\n"Quiet." He glared at the door, and Corvin kept watch.\n\n'
                      'Tavi laughed, pushing her hair back.\n\n"Fine," Tavi said.\n')
    assert {c.name: c.gender for c in discover(split(work))}.get("Tavi") == "female"


@pytest.mark.skipif(not _has_names(), reason="needs gender-guesser (pip install 'ficaudio[neural]')")
def test_a_possessive_her_outweighs_a_given_name_that_leans_the_other_way():
    work = parse_text('Title\n\nHollis Maeda points her finger at the screen.\n\n"There," Maeda said, and tapped '
                      'her console.\n\n"Got it," said Maeda.\n')
    assert {n: c.gender for c in discover(split(work)) for n in c.names}.get("Hollis Maeda") == "female"


def test_a_tagged_character_is_gendered_by_every_name_the_tag_joins():
    # The text never writes "Priya Shah": "Shah" alone has one stray "his", "Priya" two "she"s.
    work = parse_text('Title: The Meeting\nAuthor: someone\nCharacters: Priya Shah, Tom Pike\n\n'
                      '"Morning," Shah said, nodding at his desk.\n\n"Coffee?" Shah asked.\n\n"Please," said Tom.\n\n'
                      'Priya sat down. She smiled.\n\nPriya laughed, and she waved.\n\n"Thanks," Shah said.\n')
    found = {c.name: c.gender for c in discover(split(work))}
    assert found.get("Priya Shah") == "female"


def test_indefinite_pronouns_holidays_inn_signs_and_forms_of_address_are_not_characters():
    names = names_found('Title\n\nNobody said anything. Nobody moved.\n\n"Since Easter," said Dana. Easter was '
                        'late that year.\n\nThe Lantern and Hook was low and brown. Dana went in.\n\n'
                        '"Two ales," Dana said at the Lantern and Hook.\n\n"Majesty, the ales," said Dana. '
                        '"Yes, Majesty."\n\n"Majesty, I will say it plainly," said Dana.\n\n"Thank you, Majesty."\n')
    assert "Dana" in names and not names & {"Nobody", "Easter", "Hook", "Majesty"}


def test_a_place_the_text_names_like_a_role_is_not_a_character():
    names = names_found('Title\n\n"Left at the roundabout," said Tess Brennan. Brennan drove past the Wendle '
                        'roundabout and the Wendle church.\n\n"Nearly there," Brennan said. The Wendle bakery was '
                        'shut.\n\nThe Wendle lay quiet. Brennan parked.\n\n"Hello," said the Hatter. '
                        'The Hatter laughed.\n\n"Tea?" said the Hatter.\n')
    assert {"Tess Brennan", "The Hatter"} <= names and not names & {"Wendle", "The Wendle"}


def test_a_name_a_chat_writes_in_lower_case_is_still_a_name():
    names = names_found('Title\n\nsol: hi\nkit: sol\nkit: sol\n\nSol laughed. Kit looked at Sol, and Sol waved.\n\n'
                        '"Hey, Sol," said Kit. Sol grinned. Kit grinned at Sol and Sol grinned back.\n\n'
                        '"Fine," said Sol.\n')
    assert "Sol" in names


def test_the_same_story_gives_the_same_cast_whatever_the_hash_seed():
    # Names tied on every count were once ordered by Python's per-process string hashing.
    import os
    import subprocess
    import sys

    code = ("from ficaudio.discover import discover\nfrom ficaudio.ingest import parse_text\n"
            "from ficaudio.split import split\n"
            "text = ('Title\\n\\nReverend Tom Hale came in. \"Hi,\" said Rev Tom Hale.\\n\\n'\n"
            "        '\"Hello,\" said Reverend Tom Hale. Rev Tom Hale sat.\\n')\n"
            "print([(c.name, c.aliases) for c in discover(split(parse_text(text)))])\n")
    found = {subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONHASHSEED": str(seed)},
                            capture_output=True, text=True, check=True).stdout for seed in range(8)}
    assert len(found) == 1, found


@pytest.mark.parametrize("header, body, gender", [
    ("Additional Tags: Female Reader, Fluff\n", '"Hi," you say.', "female"),
    ("Additional Tags: m!Reader\n", '"Hi," you say.', "male"),
    ("", '"Good morning, Miss L/N," says Vane. "Morning," you say.', "female"),
    ("Additional Tags: Gender-Neutral Reader\n", '"Good morning, Miss L/N," says Vane. "Morning," you say.', "unknown"),
])
def test_the_reader_of_a_reader_insert_is_gendered_where_the_fic_says(header, body, gender):
    text = (f"Title: Wards\nAuthor: someone\n{header}\nChapter 1\n\nYou walk in and you sit down. You look at "
            f"Vane. You wait.\n\n{body}\n\nYou smile at Vane, and Vane nods. You leave.\n")
    reader = next(c for c in discover(split(parse_text(text))) if c.name == "Y/N")
    assert reader.gender == gender


def test_a_pet_the_character_tags_name_as_an_animal_gets_no_voice():
    names = names_found('Title: Fair Day\nAuthor: someone\nCharacters: Rosa Diaz, Biscuit the Dog\n\n'
                        '"No dogs on the green," said Rosa. Biscuit looked at Rosa. Biscuit sighed.\n\n'
                        '"Rules are rules," Rosa said.\n')
    assert "Rosa Diaz" in names and not names & {"Biscuit the Dog", "Biscuit"}


def test_a_name_said_alone_as_a_question_is_an_echo_not_a_call():
    names = names_found('Title\n\n"I was at Saltmarsh," said Tobias.\n\nAldous stared at Tobias.\n\n"Saltmarsh?"\n\n'
                        '"Saltmarsh." Tobias looked away.\n')
    assert "Tobias" in names and "Saltmarsh" not in names


def test_a_tag_on_a_surname_is_evidence_for_the_one_the_surname_names():
    # "said Brennan" is evidence for Tess Brennan, not for the "Saint Brennan" of a misread line.
    names = names_found('Title\n\n"Morning," said Tess Brennan. Tess sat down.\n\n"Coffee," Tess said.\n\n'
                        'There was a shrine to a Saint Brennan didn\'t recognize.\n\n"Right," said Brennan. '
                        'Tess Brennan smiled.\n')
    assert "Tess Brennan" in names and "Saint Brennan" not in names


def test_a_word_the_story_writes_after_a_title_is_a_name_there():
    # "Hall" is a room in most stories; here it is mostly Mrs. Hall.
    names = names_found('Title\n\n"Good morning," said Mrs. Hall. Mrs. Hall went down the hall.\n\n'
                        '"Is he up?" Mr. Hall asked. Mrs. Hall shook her head.\n\n"Not yet," said Mrs. Hall.\n\n'
                        'Mr. Hall sat down. "Then we wait," said Mr. Hall.\n')
    assert {"Mrs. Hall", "Mr. Hall"} <= names or {"Mrs. Hall", "Hall"} <= names


def test_a_role_of_two_words_keeps_both():
    # The text never writes "the Invisible" alone: no character of that name.
    names = names_found('Title\n\n"Go away," said the Invisible Man. The Invisible Man laughed.\n\n'
                        '"Who is there?" said Kemp. "Only me," said the Invisible Man.\n\n'
                        'The Invisible Man sat down. He was invisible; an invisible man, invisible to every man '
                        'and woman, and the man was cold.\n')
    assert "The Invisible Man" in names and "The Invisible" not in names


def test_names_keep_the_story_s_spelling_of_titles():
    names = names_found('Title\n\n"Good morning," said Mrs Smith. Mrs Smith smiled at Mr Elliot.\n\n'
                        '"And to you," said Mr Elliot. Mrs Smith sat down.\n')
    assert {"Mrs Smith", "Mr Elliot"} <= names and not names & {"Mrs. Smith", "Mr. Elliot"}


def test_a_word_that_opens_sentences_is_not_part_of_a_name():
    names = names_found('Title\n\n"Tea?" said Lucy. Lucy poured it.\n\nPresently Lucy sat down. Meanwhile Astley '
                        'read. Besides, it was raining.\n\n"No," said Astley. Astley shook his head, and Lucy laughed.\n\n'
                        'Seraphine Ashdown came in. "Hello," said Ashdown.\n')
    assert {"Lucy", "Astley"} <= names
    assert not names & {"Presently", "Presently Lucy", "Meanwhile Astley", "Besides"}


def test_a_first_name_joins_the_full_name_it_nearly_always_goes_with():
    # "Oliver White" is an alias said once; Oliver is Oliver Twist.
    story = ('Title\n\nOliver Twist came in. "Hello," said Oliver. Oliver sat down.\n\n' * 6
             + '"My name is Oliver White," he lied. Oliver looked away.\n')
    assert one_character_has(story, {"Oliver", "Oliver Twist"})


def test_a_surname_joins_the_full_name_it_nearly_always_goes_with():
    # She imagines "Katharine Rodney" once; Rodney and Mr. Rodney are William Rodney.
    story = ('Title\n\nWilliam Rodney bowed. "Good evening," said Rodney. Mr. Rodney sat.\n\n' * 6
             + 'Katharine Rodney, she thought, and laughed. "Well?" said Rodney.\n')
    assert one_character_has(story, {"Rodney", "Mr. Rodney", "William Rodney"})


def test_a_word_capitalised_only_where_a_sentence_starts_is_not_a_name():
    names = names_found('Title\n\n"Rye."\n\n"Rye, he says. Not hello, Sal."\n\n"Rye?"\n\n"Coffee, then. With rye '
                        'in it," said Sal. Sal poured.\n\n"Listen." Sal laughed. "Listen, kid."\n\n"Listen!"\n\n'
                        'I did not listen.\n')
    assert "Sal" in names and not names & {"Rye", "Listen"}


def test_a_full_name_with_a_pet_given_name_is_the_same_person():
    story = ('Title\n\nDolores Pruitt opened the door. "Yes?" said Dolores. Mrs. Pruitt frowned.\n\n'
             '"Dolly Pruitt, as I live," said Sal. "Hello, Dolly," said Sal. Dolores sighed.\n\n'
             'Dolly Pruitt sat down. Dolly laughed, and Sal poured. "Well, Dolly?" Dolores shrugged.\n')
    assert one_character_has(story, {"Dolores Pruitt", "Dolly Pruitt", "Dolly"})


def test_the_given_name_is_the_fullest_single_name():
    from ficaudio.discover import _given_name

    assert _given_name({"Hannah", "Han"}) == "Hannah"
    assert _given_name({"Miss Elizabeth", "Lizzy", "Elizabeth"}) == "Elizabeth"


def test_names_with_accented_letters_are_found():
    names = names_found('Title\n\n"Hiya," said Róisín. Róisín sat down and she smiled.\n\n"Hello," Róisín said.\n\n'
                        'Zoë laughed. "Hi," said Zoë.\n\n"Tea?" Zoë asked.\n')
    assert {"Róisín", "Zoë"} <= names and "Hiya" not in names


def test_a_kinship_word_or_a_womans_title_genders_its_bearer():
    work = parse_text('Title\n\n"Sit down," said Mum. Mum put the plates out and Dad carved.\n\n"Gravy?" Mum asked. '
                      'Sam nodded, and he held his plate out.\n\n"Please," said Sam.\n\n"More," said Dame Brannagh. '
                      'Dame Brannagh was old.\n\n"Of course," Brannagh said.\n')
    genders = {n: c.gender for c in discover(split(work)) for n in c.names}
    assert genders.get("Mum") == "female" and genders.get("Dame Brannagh") == "female"
    assert one_character_has(work.text, {"Dame Brannagh", "Brannagh"})


def test_a_nationality_is_not_a_character():
    names = names_found('Title\n\nIker swore in Spanish. "Again," said Iker.\n\nSpanish was faster. "No," Iker said.'
                        '\n\nSpanish sounded rude. "Fine," said Iker.\n')
    assert "Iker" in names and "Spanish" not in names


def test_a_role_the_text_uses_is_the_tagged_character_who_goes_by_it():
    work = parse_text('Title: Court\nAuthor: someone\nCharacters: Queen Isaveth, Tamsin Reeve\n\n'
                      '"Sit," said the Queen. The Queen smiled at Tamsin.\n\n"Thank you," said Tamsin.\n\n'
                      '"Again," said the Queen.\n')
    assert one_character_has(work.text, {"Queen Isaveth", "The Queen"})
