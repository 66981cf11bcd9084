"""EPUBs made to hurt: zip bombs, paths out of the archive, XML entities. Each is
refused with a one-line message (or its bad part ignored), never a traceback."""

import struct
import zipfile

import pytest
from click.testing import CliRunner

from ficaudio.cli import main
from ficaudio.errors import InputError
from ficaudio.formats import epub as epubmod
from ficaudio.ingest import ingest
from tests.epubs import CONTAINER, OPF, epub, xhtml

STORY = xhtml('<h2>One</h2><p>"Run!" she said.</p>')


def refused(path, *words):
    result = CliRunner().invoke(main, ["script", str(path)])
    assert result.exit_code != 0
    assert "Traceback" not in result.output and result.exception.__class__ is SystemExit
    message = result.output.strip()
    assert len(message.splitlines()) == 1, message
    for word in words:
        assert word in message, message
    return message


def patch_headers(path, name, local_at, central_at, change):
    """change(data, offset) for a field of entry `name` in both of its zip headers (the
    local one, and the central directory's), at its offset in each."""
    data = bytearray(path.read_bytes())
    encoded = name.encode()
    for signature, name_at, field_at in ((b"PK\x03\x04", 30, local_at), (b"PK\x01\x02", 46, central_at)):
        at = data.index(signature)
        while data[at + name_at : at + name_at + len(encoded)] != encoded:
            at = data.index(signature, at + 4)
        change(data, at + field_at)
    path.write_bytes(bytes(data))


def set_declared_size(path, name, size):
    """Rewrite the uncompressed size an entry declares, in both of its zip headers."""
    patch_headers(path, name, 22, 24, lambda data, at: struct.pack_into("<I", data, at, size))


def test_a_zip_bomb_by_declared_size_is_refused(tmp_path):
    path = epub(tmp_path / "bomb.epub", {"c1.xhtml": STORY}, extra={"OEBPS/fill.bin": b"\0" * 1000})
    set_declared_size(path, "OEBPS/fill.bin", 0xFFFFFFF0)  # 4 GB
    refused(path, "refused", "zip bomb")


def test_a_zip_bomb_that_understates_its_size_is_not_read_past_it(tmp_path):
    path = epub(tmp_path / "liar.epub", {"c1.xhtml": STORY + " " * 3_000_000})
    set_declared_size(path, "OEBPS/c1.xhtml", 1000)
    refused(path, "damaged")


def test_reading_stops_at_the_cap(tmp_path):
    path = epub(tmp_path / "big.epub", {"c1.xhtml": STORY})
    archive = epubmod._Archive(path.read_bytes(), str(path))
    archive.budget = 10
    with pytest.raises(InputError, match="zip bomb"):
        archive.read("OEBPS/c1.xhtml")


def test_too_many_entries_is_refused(tmp_path):
    extra = {f"OEBPS/img/{i}.png": b"" for i in range(epubmod.MAX_ENTRIES)}
    refused(epub(tmp_path / "many.epub", {"c1.xhtml": STORY}, extra=extra), "refused", "files")


def test_entries_whose_names_escape_are_ignored(tmp_path):
    path = epub(tmp_path / "escape.epub", {"c1.xhtml": STORY},
                extra={"../../x": xhtml("<p>ESCAPED</p>"), "/etc/y": xhtml("<p>ABSOLUTE</p>")})
    work = ingest(path)
    assert "ESCAPED" not in work.text and "ABSOLUTE" not in work.text
    assert "Run!" in work.text


@pytest.mark.parametrize("href", ["../../x", "../../../etc/passwd", "/etc/passwd"])
def test_a_spine_pointing_out_of_the_archive_is_refused(tmp_path, href):
    opf = OPF.format(title="T", items=f'<item id="a" href="{href}" media-type="application/xhtml+xml"/>',
                     refs='<itemref idref="a"/>')
    path = epub(tmp_path / "out.epub", {}, opf=opf, extra={"../../x": STORY})
    refused(path, "refused", "outside the archive")


def test_a_container_pointing_out_of_the_archive_is_refused(tmp_path):
    path = epub(tmp_path / "out.epub", {"c1.xhtml": STORY}, container=CONTAINER.format(opf="../content.opf"))
    refused(path, "refused", "outside the archive")


XXE = '<?xml version="1.0"?>\n<!DOCTYPE package [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
LAUGHS = ('<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">'
          '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;">]>\n')


def test_an_external_entity_in_the_package_is_refused(tmp_path):
    opf = XXE + OPF.format(title="&xxe;", items='<item id="a" href="c1.xhtml" media-type="application/xhtml+xml"/>',
                           refs='<itemref idref="a"/>').split("\n", 1)[1]
    path = epub(tmp_path / "xxe.epub", {"c1.xhtml": STORY}, opf=opf)
    message = refused(path, "refused", "entities")
    assert "root:" not in message


def test_entity_expansion_in_the_container_is_refused(tmp_path):
    container = LAUGHS + CONTAINER.format(opf="OEBPS/content.opf").split("\n", 1)[1].replace(
        "<rootfiles>", "<rootfiles>&lol3;")
    refused(epub(tmp_path / "laughs.epub", {"c1.xhtml": STORY}, container=container), "refused", "entities")


def test_an_entity_in_a_chapter_is_refused(tmp_path):
    page = XXE.replace("package", "html") + '<html><body><p>&xxe;</p></body></html>'
    refused(epub(tmp_path / "xxe2.epub", {"c1.xhtml": page}), "refused", "entities")


def test_a_zip_that_is_not_an_epub(tmp_path):
    path = tmp_path / "photos.epub"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("a.jpg", b"\xff\xd8")
    refused(path, "not an EPUB")


def test_a_truncated_epub(tmp_path):
    path = epub(tmp_path / "cut.epub", {"c1.xhtml": STORY})
    path.write_bytes(path.read_bytes()[:200])
    refused(path, "EPUB")


def test_an_epub_with_no_story(tmp_path):
    refused(epub(tmp_path / "empty.epub", {"c1.xhtml": xhtml("")}), "no story text")


def set_encrypted(path, name):
    """Mark an entry encrypted (general-purpose flag bit 0), as a DRM'd EPUB has it."""

    def flag(data, at):
        data[at] |= 1

    patch_headers(path, name, 6, 8, flag)


def test_an_encrypted_chapter_is_a_one_line_error(tmp_path):
    path = epub(tmp_path / "drm.epub", {"c1.xhtml": STORY})
    set_encrypted(path, "OEBPS/c1.xhtml")
    refused(path, "encrypted")


def test_a_spine_listing_one_file_many_times_reads_it_once(tmp_path):
    refs = '<itemref idref="d0"/>' * 100_000
    items = '<item id="d0" href="c1.xhtml" media-type="application/xhtml+xml"/>'
    path = epub(tmp_path / "loop.epub", {"c1.xhtml": STORY}, opf=OPF.format(title="Loop", items=items, refs=refs))
    work = ingest(path)
    assert len(work.chapters) == 1
