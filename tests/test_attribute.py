"""Speaker attribution: tags, pronouns, vocatives, turn-taking, and the seed story."""

import json
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from ficaudio.attribution import Document, Turn, attribute, decide
from ficaudio.ingest import ingest, parse_text
from ficaudio.model import DIALOGUE
from ficaudio.split import split
from ficaudio.voices import Cast, Character, load_cast

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SEED = ROOT / "seeds" / "000_653e07ef9e538d7a.txt"
CAST = Cast(characters=(Character("Ann", ("Ann Lee",), "female"), Character("Bob", ("Bob Hart",), "male")))

# For decide() on stand-in documents: all it needs of a character is the gender.
ANN_AND_BOB = {"Ann": SimpleNamespace(gender="female"), "Bob": SimpleNamespace(gender="male")}


def speakers(body: str, cast: Cast = CAST):
    script = attribute(split(parse_text("A Story\n\n" + body)), cast)
    return [(s.text, s.speaker, s.confidence) for s in script.segments() if s.kind == DIALOGUE]


def names(body: str, cast: Cast = CAST):
    return [speaker for _, speaker, _ in speakers(body, cast)]


def tags(body: str, cast: Cast = CAST):
    """The speech tag the attribution reads for each turn of the story."""
    return [turn.tag for turn in Document(split(parse_text("A Story\n\n" + body)), cast.characters).turns]


@pytest.mark.parametrize("body", [
    'Bob sat down.\n\n"It is late," said Ann.',
    'Bob sat down.\n\n"It is late," Ann said.',
    'Bob sat down.\n\n"It is late," Ann whispered softly.',
    'Bob sat down.\n\nAnn said quietly: "It is late."',
])
def test_explicit_tag_in_either_order(body):
    assert names(body) == ["Ann"]


def test_pronoun_tag_resolves_to_the_last_character_of_that_gender():
    assert names('Bob looked at Ann across the table.\n\n"It is late," she said.') == ["Ann"]
    assert names('Ann looked at Bob across the table.\n\n"It is late," he said.') == ["Bob"]


def test_a_name_inside_the_quotation_is_the_listener():
    assert names('Ann and Bob stood at the door.\n\n"Bob, it is late."') == ["Ann"]
    assert names('Ann and Bob stood at the door.\n\n"Ann, it is late."') == ["Bob"]


def test_action_beat_names_the_speaker():
    assert names('Bob was reading.\n\nAnn put down her cup. "It is late."') == ["Ann"]


def test_two_person_exchange_alternates():
    body = ('"Where were you?" asked Ann.\n\n"Out," said Bob.\n\n"Out where?"\n\n"Just out."\n\n'
            '"That is no answer."\n\n"It is the one you get."')
    assert names(body) == ["Ann", "Bob", "Ann", "Bob", "Ann", "Bob"]


def test_parts_of_a_quotation_share_a_speaker():
    assert names('Bob waited.\n\n"I think," said Ann, "that we should go."') == ["Ann", "Ann"]


def test_first_person_narrator_speaks_for_i_said():
    cast = Cast(characters=(Character("Nick", (), "male"), Character("Ann", (), "female")))
    body = ("I walked to the station. I had not slept and I was tired. I saw Ann by the gate and I waved.\n\n"
            '"You came, Nick," Ann said.\n\n"I said I would," I said.\n\n"Nick, you always say that."\n\n'
            'I shrugged. "Do I?"\n\n"You do, Nick."')
    assert names(body, cast) == ["Ann", "Nick", "Ann", "Nick", "Ann"]


def test_confidence_is_lower_for_turn_taking_than_for_a_tag():
    found = speakers('"Where were you?" asked Ann.\n\n"Out," said Bob.\n\n"Out where?"')
    tagged, untagged = found[0][2], found[2][2]
    assert 0.0 <= untagged < tagged <= 1.0


def _seed_gold():
    return json.loads((ROOT / "benchmarks" / "seed_gold.json").read_text())["quotations"]


def _seed_accuracy(cast: Cast) -> float:
    script = attribute(split(ingest(SEED)), cast)
    dialogue = [s for s in script.segments() if s.kind == DIALOGUE]
    gold = _seed_gold()
    correct = 0
    for q in gold:
        overlap = {}
        for start, end in q["spans"]:
            for i, s in enumerate(dialogue):
                inter = min(end, s.end) - max(start, s.start)
                if inter > 0:
                    overlap[i] = overlap.get(i, 0) + inter
        if overlap and dialogue[max(overlap, key=overlap.get)].speaker == q["speaker"]:
            correct += 1
    return correct / len(gold)


def test_seed_accuracy_with_its_cast():
    assert _seed_accuracy(load_cast(ROOT / "voices.yaml", required=True)) >= 0.97


def test_seed_accuracy_without_a_cast():
    assert _seed_accuracy(Cast()) >= 0.90


def test_seed_script_matches_the_golden_file():
    """The attributed seed, segment by segment. After a deliberate change, regenerate
    with: PYTHONPATH=src python tests/test_attribute.py --regenerate"""
    assert _seed_script() == json.loads((DATA / "seed_script.json").read_text())


def _seed_script():
    script = attribute(split(ingest(SEED)), load_cast(ROOT / "voices.yaml", required=True))
    return [{"kind": s.kind, "speaker": s.speaker, "start": s.start, "end": s.end, "quote": s.quote,
             "text": s.text} for s in script.segments()]


if __name__ == "__main__" and "--regenerate" in sys.argv:
    (DATA / "seed_script.json").write_text(json.dumps(_seed_script(), indent=1, ensure_ascii=False) + "\n")


def test_a_narration_paragraph_ending_in_a_colon_tags_the_quote_below():
    cast = Cast(characters=(Character("Anne", (), "female"), Character("Walter", (), "male"),
                            Character("Kitty", (), "female")))
    text = (
        "Title\n\nKitty sat by the fire.\n\n\"Well?\" said Walter.\n\n\"Yes,\" said Anne.\n\n"
        "After a pause, Kitty presumed to say--\n\n\"The navy is useful.\"\n"
    )
    speakers = [s.speaker for s in attribute(split(parse_text(text)), cast).segments() if s.kind == "dialogue"]
    assert speakers == ["Walter", "Anne", "Kitty"]


def test_the_tag_after_the_first_part_of_an_interrupted_quote_names_both_parts():
    cast = Cast(characters=(Character("Alice", (), "female"), Character("The Duchess", (), "female")))
    text = (  # Alice's Adventures in Wonderland, chapter IX
        'Title\n\n"It\'s a mineral, I _think_," said Alice.\n\n'
        '"Of course it is," said the Duchess, who seemed ready to agree to\n'
        'everything that Alice said; "there\'s a large mustard-mine near here.\n'
        'And the moral of that is--\'The more there is of mine, the less there is\n'
        'of yours.\'"\n'
    )
    speakers = [s.speaker for s in attribute(split(parse_text(text)), cast).segments() if s.kind == "dialogue"]
    assert speakers == ["Alice", "The Duchess", "The Duchess"]


@pytest.mark.parametrize("body, speaker", [
    ('Ann rose to go, but Bob stood up at the same moment and said:\n\n"Stay a while."', "Bob"),
    ('Ann turned towards Bob and said:\n\n"Stay a while."', "Ann"),
    ('Ann, seeing Bob\'s face, said:\n\n"Stay a while."', "Ann"),
    ('Bob laughed, as he knew he must, and then added--\n\n"Stay a while."', "Bob"),
    ('The talk began with Bob\'s saying--\n\n"Stay a while."', "Bob"),
    ('Ann had a long argument with Bob, who at last turned sulky, and would only say,\n\n"Stay a while."', "Bob"),
    ('Ann wanted to go. Bob interposed.\n\n"Stay a while."', "Bob"),
    ('Ann stopped hastily, for Bob cried out,\n\n"Stay a while."', "Bob"),
    ('Then came Bob\'s reproach of "Stay a while, the two of you."', "Bob"),
    ('Ann smiled, and Bob\'s declaration was,\n\n"Stay a while."', "Bob"),
    ('Ann sang; and soon afterwards Bob, drawing near the fire, said to her--\n\n"Stay a while."', "Bob"),
    ('Bob listened to her, and when she ceased speaking, replied thus,\n\n"Stay a while."', "Bob"),
    ('Ann rose; but before she could go she was accosted by Bob,\n\n"Stay a while."', "Bob"),
])
def test_narration_leading_into_speech_names_the_last_subject_before_its_verb(body, speaker):
    assert names('"Well," said Ann.\n\n"Well," said Bob.\n\n' + body)[-1] == speaker


def test_a_bare_surname_listed_beside_the_man_called_mr_is_that_man():
    def cast(bare_aliases=()):
        return Cast(characters=(
            Character("Bounderby", bare_aliases, "unknown"),
            Character("Josiah Bounderby", ("Mr. Bounderby",), "male"),
            Character("Louisa", ("Mrs. Bounderby",), "female"),
        ))

    body = 'Louisa sat down.\n\n"Now then," said Bounderby.'
    assert names(body, cast()) == ["Josiah Bounderby"]
    # An entry with aliases of its own was listed on purpose: it keeps its name.
    assert names(body, cast(("Old Bounderby",))) == ["Bounderby"]


def test_two_quotes_of_one_paragraph_tagged_with_two_names_are_two_speakers():
    body = ('Bob sat down.\n\nWhen Ann came back she cheerfully inquired: "Anything else, Mr. Hart?" '
            'Bob took his courage in both hands and replied: "Well now, some hayseed."')
    assert names(body) == ["Ann", "Bob"]


def test_a_tag_naming_a_shared_first_name_picks_among_its_owners():
    cast = Cast(characters=(
        Character("Charles Musgrove", (), "male"),
        Character("Charles Hayter", ("Hayter",), "male"),
        Character("Mary", (), "female"),
        Character("Anne", (), "female"),
    ))
    body = ('Mary, Anne and Hayter sat down.\n\n"Where were you?" said Mary.\n\n'
            '"Here," said Anne.\n\n"Out," cried Charles.')
    assert names(body, cast) == ["Mary", "Anne", "Charles Hayter"]


def test_a_descriptive_name_takes_any_article_in_a_tag():
    cast = Cast(characters=(Character("The Invisible Man", ("The Voice",), "male"),
                            Character("Marvel", (), "male"), Character("Ann", (), "female")))
    body = 'Marvel and Ann sat down.\n\n"Hoax," said Ann.\n\n"Come up," said a Voice.'
    assert names(body, cast) == ["Ann", "The Invisible Man"]


def test_the_second_part_of_an_interrupted_quote_keeps_its_tag_over_a_later_action():
    body = ('Ann sat down.\n\n"Hullo," cried Bob, "who is there?" Ann began to make frantic dives '
            'at the panels.')
    assert names(body) == ["Bob", "Bob"]


def test_a_tag_may_put_words_between_the_and_a_name():
    body = '"Well," said Ann.\n\n"If I may," said the gallant young Bob Hart.'
    assert tags(body) == [("name", "Ann"), ("name", "Bob")]


def test_narration_between_two_quotes_may_lead_a_second_speaker_in():
    body = ('"Oh, a song, please," Ann replied, so eagerly that Bob said, in a rather offended tone, '
            '"No accounting for tastes! Sing her a song, old fellow."')
    assert names(body) == ["Ann", "Bob"]


def test_said_it_is_not_a_tag():
    body = ('Bob sat down.\n\nThey all looked at her, and Ann said severely "Who is this man?" '
            'Bob said it to the Knave, who only bowed.')
    assert names(body) == ["Ann"]


def test_present_tense_tags_of_fan_fiction():
    cast = Cast(characters=(*CAST.characters, Character("Cy", (), "male")))
    body = ('Ann, Bob and Cy sit on the couch.\n\n"You stole my fries," Cy teases.\n\n'
            '"I did not," Ann protests.\n\n"Fine," Cy admits.\n\n"Called it," Bob groans.')
    assert names(body, cast) == ["Cy", "Ann", "Cy", "Bob"]
    assert tags(body, cast) == [("name", n) for n in ("Cy", "Ann", "Cy", "Bob")]


@pytest.mark.parametrize("tag, tag_other, speaker", [
    (("pronoun", "male"), None, "Bob"),  # "he stammered"
    (None, "male", "Bob"),  # "said her husband"
    (None, None, "Ann"),  # no tag: the likelier one
])
def test_a_pronoun_or_a_role_in_the_tag_rules_out_the_other_gender(tag, tag_other, speaker):
    class Everything:  # every signal points to Ann
        turns = [Turn([0], 0, 0, 0, 0, 1, tag=tag, tag_other=tag_other)]
        by_name = ANN_AND_BOB

        def scores(self, t, history, weights, talked=None):  # every signal of weight 3 on for Ann
            return [("Ann", 3.0), ("Bob", 0.0)]

    assert decide(Everything(), (3.0,))[0][0] == speaker


@pytest.mark.parametrize("quote, addressed", [
    ("Come here, Ann.", ["Ann"]),
    ("Ann, come here!", ["Ann"]),
    ("Oh, Ann! Bob is here.", ["Ann"]),
    ("I saw Ann yesterday.", []),
    ("Ann is here, Bob.", ["Bob"]),
])
def test_vocatives_are_the_names_a_quote_calls_out_to(quote, addressed):
    doc = Document(split(parse_text('A Story\n\n"%s"' % quote)), CAST.characters)
    assert doc.vocatives(quote) == addressed


@pytest.mark.parametrize("quote, named", [
    ("I'm Ann Lee, from upstairs.", {"Ann"}),
    ("Ann Lee. I called yesterday.", {"Ann"}),
    ("Name's Bob.", {"Bob"}),
    ("Ann, I was going to look for you.", set()),  # a vocative
    ("This is Bob Hart. He lives upstairs.", set()),  # more often an introduction than a caller
    ("Her name's Ann.", set()),
])
def test_a_quote_names_its_speaker_only_when_it_says_who_it_is(quote, named):
    doc = Document(split(parse_text('A Story\n\n"%s"' % quote)), CAST.characters)
    assert doc._self_named(quote) == named


def test_the_one_a_quote_calls_out_to_is_not_its_speaker():
    class AllForAnn:
        turns = [Turn([0], 0, 0, 0, 0, 1, addressed=frozenset({"Ann"}))]
        by_name = ANN_AND_BOB

        def scores(self, t, history, weights, talked=None):  # every signal of weight 3 on for Ann
            return [("Ann", 3.0), ("Bob", 0.0)]

    assert decide(AllForAnn(), (3.0,))[0][0] == "Bob"


def test_decide_keeps_the_likeliest_histories_not_just_the_first_guess():
    class Exchange:
        """Turn 0 leans a little to Ann; turn 1 leans hard to Ann, and a speaker rarely
        speaks twice running: turn 0 was Bob's. Greedy decoding cannot go back."""
        turns = [Turn([0], 0, 0, 0, 0, 1), Turn([1], 1, 1, 0, 1, 2)]
        by_name = ANN_AND_BOB

        def scores(self, t, history, weights, talked=None):
            evidence = {"Ann": 0.2 if t == 0 else 6.0, "Bob": 0.0}
            return [(n, weights[0] * evidence[n] + weights[1] * (1.0 if t and n == history[t - 1] else 0.0))
                    for n in ("Ann", "Bob")]

    weights = (1.0, -5.0)
    assert [n for n, _ in decide(Exchange(), weights, beam=1)] == ["Ann", "Ann"]
    assert [n for n, _ in decide(Exchange(), weights, beam=2)] == ["Bob", "Ann"]


def test_a_rank_in_a_tag_is_the_one_who_holds_it():
    cast = Cast(characters=(Character("Admiral Croft", (), "male"), Character("Anne", (), "female"),
                            Character("Captain Wentworth", (), "male"), Character("Captain Harville", (), "male")))
    body = '"Well," said Anne.\n\n"Very well," said the Admiral.\n\n"Quite," said the captain.'
    assert tags(body, cast) == [
        ("name", "Anne"), ("name", "Admiral Croft"), ("one of", ("Captain Harville", "Captain Wentworth"))]


def test_was_his_answer_tags_the_quote_before_it():
    body = '"Is he very disappointed?" asked Ann.\n\n"A man cannot be more so," was his short, full answer.'
    assert tags(body) == [("name", "Ann"), ("pronoun", "male")]


def test_rarer_speech_verbs_make_tags():
    body = ('"Rouge!" proclaimed Bob.\n\n"And then," asseverated Ann, "we go."\n\n'
            '"Yes! Quite a number of things," Bob forced himself to say.')
    assert tags(body) == [("name", "Bob"), ("name", "Ann"), ("name", "Bob")]


FIC_CAST = Cast(characters=(Character("Sam Reyes", ("Sam",), "female"), Character("Tom Hale", ("Tom",), "male"),
                            Character("Y/N", ("Reader",), "unknown")))


def fic_speakers(text: str, cast: Cast = FIC_CAST):
    script = attribute(split(parse_text(text)), cast)
    return [(s.text, s.speaker) for s in script.segments() if s.kind == DIALOGUE]


def first_quote_unspoken(text: str) -> bool:
    """Whether the first quotation of text stays with the narrator (nobody says it aloud)."""
    return fic_speakers(text)[0][1] == "Narrator"


def test_a_first_person_narrator_named_by_the_pov_tag_says_i_said():
    text = ("Title: Rain\nAuthor: moth\nAdditional Tags: Sam POV\n\n"
            "I walked into the office and dropped my bag. Tom Hale was at my desk again.\n\n"
            '"Get up," I said.\n\n"Make me," he said.\n\n'
            "I waited. I am very good at waiting, and I had all morning to do it in.\n\n"
            '"Fine," I told him, and sat on the floor.\n')
    assert [who for _, who in fic_speakers(text)] == ["Sam Reyes", "Tom Hale", "Sam Reyes"]


def test_the_reader_of_a_reader_insert_says_what_you_say():
    text = ("Title: Flour\nAuthor: crumbs\nAdditional Tags: Reader-Insert, Second Person\n\n"
            "You push the door open and the bell clunks. You are late, and you know it, and you "
            "do not care. You have been awake since five.\n\n"
            '"We\'re closed," Tom says without looking up.\n\n'
            '"The sign says open," you point out.\n')
    assert fic_speakers(text) == [("We're closed,", "Tom Hale"), ("The sign says open,", "Y/N")]


@pytest.mark.parametrize("paragraph", [
    'The sign on the door said "BACK IN 5 MINUTES" in red marker.',
    'Her phone buzzed. "omw, 5 min," it said.',
    'He types "you look nice tonight", looks at it, and hits send.',
    'The chalkboard outside reads, in big capitals: "NO PUMPKIN SPICE. IT IS APRIL."',
])
def test_quoted_text_nobody_says_aloud_stays_with_the_narrator(paragraph):
    text = "A Story\n\nTom sat down beside Sam.\n\n" + paragraph + '\n\n"Hi," Sam said.\n'
    *written, spoken = fic_speakers(text)
    assert {who for _, who in written} <= {"Narrator"}  # a short one may be narration outright
    assert spoken == ("Hi,", "Sam Reyes")


@pytest.mark.parametrize("paragraph", [
    'Then Sam opened her door and said: "Tom, what a noise you are making!"',
    'Sam looked at the narrow ribbon of sky, and murmured: "Tom, what a noise you are making!"',
    'Not till then did Sam reply: "Tom, what a noise you are making!"',
    '"Tom," said Sam, when the door was shut, "what a noise you are making!"',
])
def test_a_person_saying_it_beside_a_door_or_a_ribbon_is_speech(paragraph):
    text = "A Story\n\nTom sat down beside Sam.\n\n" + paragraph + "\n"
    assert {who for _, who in fic_speakers(text)} == {"Sam Reyes"}


def test_a_text_message_read_aloud_is_the_readers():
    text = ('A Story\n\nSam looked at her phone and read it out to Tom: "Running late, start without me."\n\n'
            '"Typical," Tom said.\n')
    assert fic_speakers(text)[0] == ("Running late, start without me.", "Sam Reyes")


def test_a_speech_over_several_paragraphs_after_an_interrupting_tag_stays_one_speakers():
    cast = Cast(characters=(Character("Ann", (), "female"), Character("Bob", (), "male"), Character("Cy", (), "male")))
    text = ('A Story\n\nBob looked at Cy. Ann stood up.\n\n'
            '"I have listened to you both for an hour," she said. "Now you will listen to me.\n\n'
            '"Bob, you were wrong about the boat. Cy, you were wrong about the money.\n\n'
            '"And I was wrong to trust either of you."\n\nBob said nothing.\n\n"Fine," said Cy.')
    segments = [s for s in attribute(split(parse_text(text)), cast).segments() if s.kind == DIALOGUE]
    assert len({s.quote for s in segments[:4]}) == 1
    assert [s.speaker for s in segments] == ["Ann"] * 4 + ["Cy"]


@pytest.mark.parametrize("quote, addressed", [
    ("You're Mr. Hart?", ["Bob"]),
    ("Aren't you Ann Lee?", ["Ann"]),
])
def test_asking_you_are_x_calls_on_x(quote, addressed):
    cast = Cast(characters=(Character("Ann", ("Ann Lee",), "female"), Character("Bob", ("Mr. Hart",), "male")))
    doc = Document(split(parse_text('A Story\n\n"%s"' % quote)), cast.characters)
    assert doc.vocatives(quote) == addressed


def test_her_voice_after_a_quote_is_a_womans():
    body = 'Bob and Ann were in the kitchen.\n\n"Where is the salt?" Her voice floated back from the pantry.'
    turns = Document(split(parse_text("A Story\n\n" + body)), CAST.characters).turns
    assert [t.tag_other for t in turns] == ["female"]


def test_pov_tags_name_the_narrator():
    from ficaudio.pov import pov_tag_names

    tags = ("POV: Dana", "Sam POV", "Marco's POV", "First Person POV", "Fluff", "POV Alternating")
    assert pov_tag_names(tags) == ["Dana", "Sam", "Marco"]


def test_who_spoke_earlier_in_the_conversation_and_who_goes_on_after_a_silence_are_features():
    from ficaudio.attribution import FEATURES

    doc = Document(split(parse_text('A Story\n\nAnn and Bob and Cy sat down.\n\n"One," said Ann.\n\n"Two," said Bob.\n\n'
                                    '"Three," said Cy.\n\n"Four," said Bob.\n\nCy said nothing.\n\n"Five."\n')),
                   CAST.characters + (Character("Cy", (), "male"),))
    history = ["Ann", "Bob", "Cy", "Bob", None]
    on = {name: {FEATURES[i] for i, x in enumerate(f) if x} for name, f in doc.features(4, history)}
    assert "bare:talked_before" in on["Ann"]  # spoke three turns back: past the last-three history
    assert "bare:goes_on_after_silence" in on["Bob"] and "bare:goes_on_after_silence" not in on["Cy"]
    # "Cy said nothing." is about the one who does not answer, not a beat before Cy speaks.
    assert "bare:prev_para_subject" not in on["Cy"]


@pytest.mark.parametrize("exit_line, gone", [
    ("Cy withdrew and shut the door.", True),
    ("Cy hung up.", True),
    ("Cy went out into the rain.", True),
    ("Cy raised his left hand.", False),  # "left" the side, not the verb
    ("Cy sat by the fire.", False),
])
def test_someone_the_narration_last_saw_going_out_is_marked_as_gone(exit_line, gone):
    from ficaudio.attribution import FEATURES

    doc = Document(split(parse_text(f'A Story\n\nAnn and Bob and Cy sat down.\n\n"One," said Cy.\n\n{exit_line}\n\n'
                                    '"Two," said Ann.\n\n"Three."\n')),
                   CAST.characters + (Character("Cy", (), "male"),))
    on = {name: {FEATURES[i] for i, x in enumerate(f) if x} for name, f in doc.features(2, ["Cy", "Ann", None])}
    assert ("bare:left_scene" in on["Cy"]) == gone
    assert "bare:left_scene" not in on["Bob"]


@pytest.mark.parametrize("lead_in, unspoken", [
    ("Sam had written the board up before we got in, in capitals so square they looked stencilled:", True),
    ("The message had no greeting and no kisses, and was exactly as long as it needed to be:", True),
    ("Sam put down her knife and said:", False),
])
def test_a_paragraph_ending_in_a_colon_leads_into_the_quotation_below_it(lead_in, unspoken):
    text = f'A Story\n\nTom sat down beside Sam.\n\n{lead_in}\n\n"Ninety covers. Clean as you go."\n\n"Yes, Chef," said Tom.\n'
    assert first_quote_unspoken(text) == unspoken


@pytest.mark.parametrize("below, unspoken", [
    ("You read it three times.", True),
    ("She stares at it for a long moment.", True),
    ("Tom stared at her.", False),
])
def test_a_quotation_the_next_paragraph_says_was_read_is_written(below, unspoken):
    text = (f'A Story\n\nSam opened the envelope.\n\n"Meet me at the station at nine. Come alone."\n\n{below}\n\n'
            '"Well?" said Tom.\n')
    assert first_quote_unspoken(text) == unspoken


@pytest.mark.parametrize("paragraphs, unspoken", [
    ('"Coffee after?" I send back.', True),
    ('The caption was in all caps.\n\n"THE KING HAS ARRIVED!!! COME SEE HIM"', True),
    ('Sam slammed the door.\n\n"GET OUT OF MY KITCHEN!"', False),
])
def test_a_message_sent_back_or_a_caption_in_capitals_is_written(paragraphs, unspoken):
    text = f'A Story\n\nTom sat down beside Sam. Sam looked at her phone.\n\n{paragraphs}\n\n"Well?" said Tom.\n'
    assert first_quote_unspoken(text) == unspoken


def test_a_person_saying_it_in_the_same_clause_outweighs_a_whiteboard():
    text = ('A Story\n\nTom sat down beside Sam.\n\nOn the whiteboard the plan was still up, and Sam said, so quietly '
            'she must have forgotten Tom was there, "Oh, Tom."\n\n"What?" said Tom.\n')
    assert fic_speakers(text)[0] == ("Oh, Tom.", "Sam Reyes")
