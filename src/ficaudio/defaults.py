"""Every default in one place."""

VOICES_FILE = "voices.yaml"
OUT_DIR = "out"
ENGINE = "pyttsx3"

NARRATOR_VOICE = "en-us"
UNKNOWN_VOICE = "en-us+m1"
VOICE_BY_GENDER = {"female": "en-us+f2", "male": "en-us+m3", "unknown": "en-us+m1"}
# With the neural extra installed, a story without a voices.yaml is read by neural
# voices: hibari's American woman (in its wheel) and Piper's American man. Characters
# sharing a voice are told apart by pace and a small pitch offset (castfile.palette).
NEURAL_NARRATOR = {"engine": "hibari", "voice": "heart"}
NEURAL_BY_GENDER = {
    "female": {"engine": "hibari", "voice": "heart"},
    "male": {"engine": "piper", "model": "en_US-joe-medium"},
    # Between the two: a lowered woman's voice fits neither gender strongly.
    "unknown": {"engine": "hibari", "voice": "heart", "semitones": -3},
}
# Piper voice configs do not say who speaks; the voices whose gender we know.
PIPER_GENDERS = {"en_US-joe-medium": "male"}
RATE = 170  # words per minute
PITCH = 50  # espeak-ng scale, 0-100
VOLUME = 1.0

# Audio we hold while assembling: what pyttsx3 (espeak-ng) and Piper produce.
WORK_RATE = 22050
# What we write: Apple Podcasts requires 44.1 kHz; mono speech at 64 kb/s is clear
# in MP3 and in AAC. FORMAT is "mp3" or "m4b" (render --format).
FORMAT = "mp3"
AUDIO_RATE = 44100
AUDIO_CHANNELS = 1
AUDIO_BITRATE = "64k"

# Pauses, in seconds.
PAUSE_SENTENCE = 0.25  # between the pieces of a long paragraph
PAUSE_TURN = 0.30  # between segments of one paragraph
PAUSE_PARAGRAPH = 0.55
PAUSE_SCENE = 1.40
PAUSE_CHAPTER = 2.00
PAUSE_END = 1.00

# Podfic conventions, overridable in voices.yaml's `reading:` section.
READING = {
    "intro": True,  # title, author and fandom before the story
    "summary": True,  # the summary, in the intro
    "notes": False,  # author's notes ("A/N:" blocks), at the start, end and inside chapters
    "chapter_titles": True,  # spoken when there is more than one chapter
    "outro": True,  # "End of <title>, by <author>."
}

GENRE = "Audiobook"
# Said in every file's comment, so that nobody takes a rendering for a human podfic.
TTS_NOTE = "A text-to-speech rendering made with ficaudio ({engines} voices), not a podfic read by a person."
UNKNOWN_AUTHOR = "Unknown author"
