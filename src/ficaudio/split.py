"""Stage 2: split a Work into narration and dialogue segments.

Quotation rules:
- straight or curly double quotes; British single-quote dialogue when a text has no
  double-quote dialogue;
- an interrupted quotation ("I think," she said, "we go.") gives two dialogue parts
  around the narration;
- a quotation spanning paragraphs (an opening mark on each, a closing one only on the
  last) stays one quotation;
- an unclosed quotation ends with its paragraph;
- apostrophes (don't, Avery's, 'em, the '90s) are not quote marks;
- a short quoted phrase inside a sentence (a title, a scare quote) stays narration.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .ingest import fold
from .model import DIALOGUE, NARRATION, NARRATOR, UNKNOWN, Script, ScriptChapter, Segment, Work

OPEN, CLOSE, EITHER = "open", "close", "either"
_WORDLIKE = re.compile(r"[\w]")
_ELISIONS = re.compile(
    r"(?:em|cause|cos|til|till|tis|twas|twere|bout|round|n|nother|ello|ere|im|er|is|e|ave|"
    r"ow|self|un|uns|ud|d|s|t|re|ve|ll|m|\d\d?s?)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Quote:
    """One part of a quotation: content offsets, excluding the marks."""

    start: int
    end: int
    quote_id: int
    closed: bool


def detect_style(text: str) -> str:
    """'double' or 'single': which marks carry the dialogue of this text."""
    doubles = text.count('"') + text.count("\u201c") + text.count("\u201d")
    single_openers = len(re.findall(r"(?:^|(?<=[\s(\[\u2014]))['\u2018](?=[A-Za-z])", text, re.M))
    return "double" if doubles * 3 >= single_openers or doubles >= 20 else "single"


def _role(text: str, i: int, style: str) -> str | None:
    ch = text[i]
    before = text[i - 1] if i > 0 else " "
    after = text[i + 1] if i + 1 < len(text) else " "
    space_before = before.isspace() or before in "([{\u2014\u2013-"
    space_after = after.isspace() or after in ".,;:!?)]}\u2014\u2013-"
    if style == "double":
        if ch == "\u201c":
            return OPEN
        if ch == "\u201d":
            return CLOSE
        if ch == '"':
            if space_before and not after.isspace():
                return OPEN
            if space_after and not before.isspace():
                return CLOSE
            return EITHER
        return None
    if ch not in "'\u2018\u2019":
        return None
    if before.isalnum() and after.isalnum():
        return None  # don't, Avery's
    if space_before and not space_after:
        if ch == "\u2019" and not (before.isspace() or i == 0):
            return None
        if _ELISIONS.match(text, i + 1) and not _opens_sentence(text, i):
            return None  # 'em, 'cause, the '90s
        return OPEN
    if not before.isspace() and (space_after or i + 1 == len(text)):
        if ch == "\u2018":
            return None
        return CLOSE
    return None


def _opens_sentence(text: str, i: int) -> bool:
    """A mark at a paragraph start, or after a colon or comma, opens a quote even if the
    next word looks like an elision ('Tis true, 'Em is here)."""
    j = i - 1
    while j >= 0 and text[j] in " \t":
        j -= 1
    return j < 0 or text[j] in "\n\r:,"


def find_quotes(text: str, paragraphs: list[tuple[int, int]], style: str, first_id: int = 0) -> list[Quote]:
    """Quote parts over a sequence of text paragraphs (spans), in order; quotation ids
    count from first_id so that they stay unique across chapters."""
    marks = "\"\u201c\u201d" if style == "double" else "'\u2018\u2019"
    quotes: list[Quote] = []
    quote_id = first_id - 1
    carry = False  # a quotation left open at the previous paragraph's end
    for index, (p_start, p_end) in enumerate(paragraphs):
        roles = [
            (i, r)
            for i in range(p_start, p_end)
            if text[i] in marks and (r := _role(text, i, style)) is not None
        ]
        open_at: int | None = None
        if carry and roles and roles[0][0] == p_start and roles[0][1] in (OPEN, EITHER):
            open_at = p_start + 1
            roles = roles[1:]
        elif carry and not roles:
            pass
        carry = False
        if open_at is None:
            pending = None
        else:
            pending = open_at
        for pos, role in roles:
            if pending is None:
                if role in (OPEN, EITHER):
                    quote_id += 1
                    pending = pos + 1
            else:
                if role in (CLOSE, EITHER):
                    quotes.append(Quote(pending, pos, quote_id, True))
                    pending = None
                elif role == OPEN and text[pos - 1].isspace():
                    # A second opening mark: the first quote lost its closing mark.
                    quotes.append(Quote(pending, pos, quote_id, False))
                    quote_id += 1
                    pending = pos + 1
        if pending is not None:
            quotes.append(Quote(pending, p_end, quote_id, False))
            nxt = paragraphs[index + 1] if index + 1 < len(paragraphs) else None
            if nxt is not None and text[nxt[0]] in marks and _role(text, nxt[0], style) in (OPEN, EITHER):
                carry = True
    return [q for q in quotes if _WORDLIKE.search(text, q.start, q.end)]


def _trim(text: str, start: int, end: int, lead: str = "") -> tuple[int, int]:
    while start < end and (text[start].isspace() or text[start] in lead):
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _is_phrase(text: str, quote: Quote, p_start: int, p_end: int) -> bool:
    """A short quoted phrase inside a sentence (a title, a sign, a scare quote)."""
    content = text[quote.start : quote.end].strip()
    if not quote.closed or len(content.split()) > 4 or not content:
        return False
    if content[-1] in ".,!?;:\u2026\u2014-":
        return False
    before = text[p_start : quote.start - 1].rstrip()
    after = text[quote.end + 1 : p_end].lstrip()
    if not before or before[-1] in ":,\u2014":
        return False
    # Mid-sentence on both sides: "the word "love" was", "called it "home"."
    return before[-1].isalpha() and (not after or after[0].isalpha() or after[0] in ".,;")


def split(work: Work, include_notes: bool = False) -> Script:
    """Narration and dialogue segments for every chapter. Speakers are left UNKNOWN
    for dialogue; attribute() fills them in."""
    style = detect_style(work.text)
    text = work.text
    chapters = []
    paragraph_index = 0
    scene = 0
    next_id = 0
    for chapter in work.chapters:
        scene += 1
        readable = [p for p in chapter.paragraphs if p.kind == "text" or (include_notes and p.kind == "note")]
        read = {id(p) for p in readable}  # by identity: a list test made long chapters quadratic
        quotes = find_quotes(text, [(p.start, p.end) for p in readable], style, next_id)
        next_id = max((q.quote_id for q in quotes), default=next_id - 1) + 1
        segments: list[Segment] = []
        joined: dict[int, int] = {}  # quotation ids merged into an earlier one's
        q = 0
        for paragraph in chapter.paragraphs:
            if paragraph.kind == "scene_break":
                scene += 1
                continue
            if id(paragraph) not in read:
                continue
            paragraph_index += 1
            cursor = paragraph.start
            previous: Segment | None = None  # the last dialogue part of this paragraph
            while q < len(quotes) and quotes[q].start < paragraph.end:
                quote = quotes[q]
                q += 1
                if _is_phrase(text, quote, paragraph.start, paragraph.end):
                    continue
                mark_start = quote.start - 1
                _narration(segments, text, cursor, mark_start, paragraph_index, scene)
                s, e = _trim(text, quote.start, quote.end)
                if e > s:
                    quote_id = joined.get(quote.quote_id, quote.quote_id)
                    if previous is not None and _interrupted(previous.text, text[cursor:mark_start]):
                        # The rest of this quotation, in later paragraphs too, is the same speech.
                        joined[quote.quote_id] = quote_id = previous.quote
                    previous = Segment(DIALOGUE, UNKNOWN, fold(text[s:e]), s, e, paragraph_index, quote_id, 0.0, scene)
                    segments.append(previous)
                cursor = min(quote.end + (1 if quote.closed else 0), paragraph.end)
            _narration(segments, text, cursor, paragraph.end, paragraph_index, scene)
        if segments:
            chapters.append(ScriptChapter(chapter.title, tuple(segments)))
    return Script(work.title, work.author, tuple(chapters), work)


def _interrupted(before: str, between: str) -> bool:
    """Two quoted parts of a paragraph are one interrupted quotation when a short tag
    parts them: "I think," she said, "we go." / "No." He shrugged, "Not now."."""
    words = between.split()
    if not words or len(words) > 12:
        return False
    return before.endswith((",", "\u2014", "-", "\u2013")) or between.rstrip().endswith((",", ":"))


def _narration(segments, text, start, end, paragraph, scene):
    if end <= start:
        return
    s, e = _trim(text, start, end, lead=",;:.\u2014\u2013- ")
    if e > s and _WORDLIKE.search(text, s, e):
        for ls, le in _message_lines(text, s, e):
            segments.append(Segment(NARRATION, NARRATOR, fold(text[ls:le]), ls, le, paragraph, None, 1.0, scene))


# "Rory: BALCONY", "[10:42] kit: omw": one message of a chat log or a run of texts.
_CHAT_LINE = re.compile(r"^\s*(?:\[[^\]]{1,20}\]\s*)?[^\s:]{1,30}(?: [^\s:]{1,30}){0,2}:\s+\S", re.M)


def _message_lines(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """A chat log ("Name: message" lines) keeps a line a message, so that each is read (and
    shown in the transcript) on its own with a pause between; prose stays whole, hard
    wrapped or not. The narrator reads them: a typed message is not speech."""
    if text.find("\n", start, end) < 0:
        return [(start, end)]  # the common case: no line break, nothing to look at
    lines = [(m.start() + start, m.end() + start) for m in re.finditer(r"[^\n]+", text[start:end])]
    lines = [(ls, le) for ls, le in (_trim(text, a, b) for a, b in lines) if le > ls]
    if len(lines) < 2:
        return [(start, end)]
    chat = sum(bool(_CHAT_LINE.match(text, ls, le)) for ls, le in lines)
    return lines if chat * 2 >= len(lines) else [(start, end)]
