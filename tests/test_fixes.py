"""Speaker fixes saved beside the story: applied by `script` and `render`, carried over
edits of the story by each line's text."""

import json

from click.testing import CliRunner

from ficaudio import fixes
from ficaudio.cli import main
from ficaudio.scriptfile import script_of
from ficaudio.sidecar import render_fingerprint
from ficaudio.voices import load_cast

STORY = """Title: Tea
Author: someone

"Yes," said Ada.

"Yes," said Ben.

"Do you want tea?" Ada asked.

"I said yes."

Ben poured.
"""


VOICES = """characters:
  Ada: {gender: female}
  Ben: {gender: male}
"""


def _story(tmp_path, text=STORY):
    """The story, with a voices.yaml beside it (where `script` finds it)."""
    path = tmp_path / "tea.txt"
    path.write_text(text, encoding="utf-8")
    (tmp_path / "voices.yaml").write_text(VOICES, encoding="utf-8")
    return path


def _speakers(path):
    script, lost = script_of(path, load_cast(path.parent / "voices.yaml"))
    return [(s.speaker, s.text) for s in script.segments() if s.kind == "dialogue"], lost


def _fix(path, text, speaker, occurrence=0):
    script, _ = script_of(path, load_cast(path.parent / "voices.yaml"))
    at = [i for i, s in enumerate(script.segments()) if s.text == text][occurrence]
    saved = fixes.with_fixes(fixes.load(fixes.path_for(path)), script, [at], speaker)
    fixes.save(fixes.path_for(path), saved)


def test_a_fix_is_applied_and_replaces_an_earlier_fix_of_the_line(tmp_path):
    path = _story(tmp_path)
    before, _ = _speakers(path)
    assert ("Ben", "I said yes.") in before
    _fix(path, "I said yes.", "Ada")
    _fix(path, "I said yes.", "Narrator")
    after, lost = _speakers(path)
    assert ("Narrator", "I said yes.") in after and not lost
    assert len(json.loads(fixes.path_for(path).read_text())["fixes"]) == 1


def test_fixes_follow_their_lines_when_the_story_is_edited(tmp_path):
    path = _story(tmp_path)
    _fix(path, "Yes,", "Ben", occurrence=0)  # Ada's "Yes," given to Ben
    _fix(path, "I said yes.", "Ada")
    # A paragraph is added at the top: the lines move, their texts stay.
    path.write_text(STORY.replace('"Yes," said Ada.', 'Rain fell.\n\n"Hello."\n\n"Yes," said Ada.'), encoding="utf-8")
    after, lost = _speakers(path)
    yeses = [who for who, text in after if text == "Yes,"]
    assert yeses == ["Ben", "Ben"]  # the first "Yes," (found by its neighbours) was fixed
    assert ("Ada", "I said yes.") in after and not lost


def test_a_fix_whose_line_is_gone_is_reported_not_misapplied(tmp_path):
    path = _story(tmp_path)
    _fix(path, "I said yes.", "Ada")
    path.write_text(STORY.replace("I said yes.", "I said no."), encoding="utf-8")
    after, lost = _speakers(path)
    assert [f.text for f in lost] == ["I said yes."]
    assert ("Ada", "I said no.") not in after
    result = CliRunner().invoke(main, ["script", str(path), "--voices", str(path.parent / "voices.yaml")])
    assert result.exit_code == 0
    assert "1 speaker fix could not be carried over" in result.stderr


def test_script_and_render_see_the_fixes(tmp_path):
    path = _story(tmp_path)
    fingerprint = render_fingerprint(path, path.parent / "voices.yaml", "settings", False)
    _fix(path, "I said yes.", "Ada")
    result = CliRunner().invoke(main, ["script", str(path), "--voices", str(path.parent / "voices.yaml")])
    assert "Ada: I said yes." in result.output
    # A fix is a change of the render's input: the output is no longer up to date.
    assert render_fingerprint(path, path.parent / "voices.yaml", "settings", False) != fingerprint


def test_a_broken_fixes_file_is_a_one_line_error(tmp_path):
    path = _story(tmp_path)
    fixes.path_for(path).write_text("{not json", encoding="utf-8")
    result = CliRunner().invoke(main, ["script", str(path)])
    assert result.exit_code == 1
    assert "not a speaker-fixes file" in result.output and "Traceback" not in result.output
