"""Stage 6: tags, cover art and chapters for podcast apps and players.

MP3: chapters are ID3v2 CHAP frames, each with a TIT2 title, listed in order by a
top-level CTOC. ID3v2.3 is written because FFmpeg 5.1's ffprobe drops chapters with
large subframes in v2.4. One CTOC holds at most 255 entries, so longer books nest CTOCs.

M4B: the chapters are already in the file (encode.mux_m4b); the tags are iTunes atoms,
with fandom, URL and reader in freeform atoms, as Audiobookshelf and Mp3tag read them.

Both carry the podfic fields fans look for (title, author, reader, fandom, work URL,
series and part) and a comment saying that the reading is text-to-speech.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import defaults

CTOC_LIMIT = 255


@dataclass(frozen=True)
class ChapterMark:
    title: str
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class Tags:
    title: str
    author: str | None
    album: str
    summary: str = ""
    track: tuple[int, int] = (1, 1)
    cover: bytes | None = None
    cover_mime: str = "image/png"
    fandom: str | None = None
    url: str | None = None
    language: str = "en"
    reader: str = "ficaudio"
    series: str | None = None
    series_part: int | None = None
    comment: str = ""  # the text-to-speech note

    @property
    def description(self) -> str:
        return "\n\n".join(t for t in (self.summary, self.comment) if t)


def write_tags(path, tags: Tags, chapters: list[ChapterMark], audio_format: str) -> None:
    """Tag an MP3 (with its chapters) or an M4B (whose chapters the mux wrote)."""
    if audio_format == "m4b":
        write_mp4_tags(path, tags)
    else:
        write_id3_tags(path, tags, chapters)


def _time_ordered_id3():
    """An ID3 tag that writes its CHAP frames in time order, after the other frames.

    mutagen sorts frames by size when it saves; ffmpeg and the players that read CHAP
    frames in file order, ignoring the CTOC, then list the chapters out of order (and
    `ffmpeg -i book.mp3 book.m4b` gives the first one a length of 1 ms)."""
    from mutagen.id3 import ID3
    from mutagen.id3._tags import save_frame

    class TimeOrderedID3(ID3):
        def _write(self, config):
            chapters = sorted(self.getall("CHAP"), key=lambda frame: frame.start_time)
            self.delall("CHAP")
            try:
                head = super()._write(config)
            finally:
                for frame in chapters:
                    self.add(frame)
            return head + b"".join(save_frame(frame, config=config) for frame in chapters)

    return TimeOrderedID3()


def write_id3_tags(path, tags: Tags, chapters: list[ChapterMark]) -> None:
    from mutagen.id3 import (APIC, CHAP, COMM, CTOC, CTOCFlags, TALB, TCOM, TCON, TIT2, TLAN, TPE1, TPE2, TPOS, TRCK,
                             TXXX, WOAS)

    id3 = _time_ordered_id3()
    author = tags.author or defaults.UNKNOWN_AUTHOR
    id3.add(TIT2(encoding=3, text=tags.title))
    id3.add(TPE1(encoding=3, text=author))
    id3.add(TPE2(encoding=3, text=author))
    id3.add(TALB(encoding=3, text=tags.album))
    id3.add(TCON(encoding=3, text=defaults.GENRE))
    id3.add(TRCK(encoding=3, text=f"{tags.track[0]}/{tags.track[1]}"))
    id3.add(TLAN(encoding=3, text=_iso639_2(tags.language)))
    id3.add(TCOM(encoding=3, text=tags.reader))
    id3.add(TXXX(encoding=3, desc="READER", text=tags.reader))
    if tags.description:
        id3.add(COMM(encoding=3, lang="eng", desc="", text=tags.description))
    if tags.series:
        id3.add(TXXX(encoding=3, desc="SERIES", text=tags.series))
        if tags.series_part:
            id3.add(TXXX(encoding=3, desc="SERIES-PART", text=str(tags.series_part)))
            id3.add(TPOS(encoding=3, text=str(tags.series_part)))
    if tags.fandom:
        id3.add(TXXX(encoding=3, desc="FANDOM", text=tags.fandom))
    if tags.url:
        id3.add(TXXX(encoding=3, desc="SOURCE URL", text=tags.url))
        id3.add(WOAS(url=tags.url))
    if tags.cover:
        id3.add(APIC(encoding=3, mime=tags.cover_mime, type=3, desc="Cover", data=tags.cover))

    ids = [f"chp{i}" for i in range(len(chapters))]
    for cid, ch in zip(ids, chapters):
        id3.add(CHAP(element_id=cid, start_time=ch.start_ms, end_time=ch.end_ms,
                     start_offset=0xFFFFFFFF, end_offset=0xFFFFFFFF,
                     sub_frames=[TIT2(encoding=3, text=ch.title)]))
    flags = CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED
    if len(ids) <= CTOC_LIMIT:
        id3.add(CTOC(element_id="toc", flags=flags, child_element_ids=ids,
                     sub_frames=[TIT2(encoding=3, text=tags.title)]))
    else:
        groups = [ids[i : i + CTOC_LIMIT] for i in range(0, len(ids), CTOC_LIMIT)]
        children = []
        for n, group in enumerate(groups):
            cid = f"toc{n}"
            children.append(cid)
            id3.add(CTOC(element_id=cid, flags=CTOCFlags.ORDERED, child_element_ids=group,
                         sub_frames=[TIT2(encoding=3, text=f"{chapters[n * CTOC_LIMIT].title} ...")]))
        id3.add(CTOC(element_id="toc", flags=flags, child_element_ids=children,
                     sub_frames=[TIT2(encoding=3, text=tags.title)]))
    id3.save(str(path), v2_version=3)


def write_mp4_tags(path, tags: Tags) -> None:
    from mutagen.mp4 import MP4, MP4Cover, MP4FreeForm

    mp4 = MP4(str(path))
    author = tags.author or defaults.UNKNOWN_AUTHOR
    mp4["\xa9nam"] = [tags.title]
    mp4["\xa9ART"] = [author]
    mp4["aART"] = [author]
    mp4["\xa9alb"] = [tags.album]
    mp4["\xa9gen"] = [defaults.GENRE]
    mp4["\xa9wrt"] = [tags.reader]  # the narrator field of audiobook players
    mp4["trkn"] = [tags.track]
    mp4["stik"] = [2]  # media kind: audiobook
    if tags.description:
        mp4["desc"] = [tags.description[:255]]
        mp4["ldes"] = [tags.description]
        mp4["\xa9cmt"] = [tags.description]
    freeform = {"READER": tags.reader, "FANDOM": tags.fandom, "URL": tags.url, "SERIES": tags.series,
                "SERIES-PART": str(tags.series_part) if tags.series and tags.series_part else None,
                "LANGUAGE": _iso639_2(tags.language)}
    for key, value in freeform.items():
        if value:
            mp4[f"----:com.apple.iTunes:{key}"] = [MP4FreeForm(value.encode("utf-8"))]
    if tags.cover:
        kind = MP4Cover.FORMAT_JPEG if tags.cover_mime == "image/jpeg" else MP4Cover.FORMAT_PNG
        mp4["covr"] = [MP4Cover(tags.cover, imageformat=kind)]
    mp4.save()


def _iso639_2(code: str) -> str:
    return {"en": "eng", "fr": "fra", "de": "deu", "es": "spa", "it": "ita", "pt": "por", "ru": "rus",
            "ja": "jpn", "zh": "zho"}.get((code or "en").split("-")[0].lower(), "eng")
