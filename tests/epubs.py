"""Building EPUB archives for tests, from a folder of files or from strings."""

import zipfile
from pathlib import Path

CONTAINER = """<?xml version="1.0"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
<rootfiles><rootfile full-path="{opf}" media-type="application/oebps-package+xml"/></rootfiles></container>"""

OPF = """<?xml version="1.0" encoding="utf-8"?>
<package version="2.0" xmlns="http://www.idpf.org/2007/opf" unique-identifier="uid">
<metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:identifier id="uid">x</dc:identifier>
<dc:title>{title}</dc:title><dc:language>en</dc:language></metadata>
<manifest>{items}</manifest><spine>{refs}</spine></package>"""


def epub_from_folder(folder: Path, path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        z.write(folder / "mimetype", "mimetype", compress_type=zipfile.ZIP_STORED)
        for f in sorted(folder.rglob("*")):
            if f.is_file() and f.name != "mimetype":
                z.write(f, f.relative_to(folder).as_posix(), compress_type=zipfile.ZIP_DEFLATED)
    return path


def epub(path: Path, documents: dict[str, str], title="Test", opf_dir="OEBPS", extra=None, opf=None,
         container=None) -> Path:
    """An EPUB whose spine is `documents` (href relative to the OPF: XHTML), in order."""
    items = "".join(f'<item id="d{i}" href="{h}" media-type="application/xhtml+xml"/>' for i, h in enumerate(documents))
    refs = "".join(f'<itemref idref="d{i}"/>' for i in range(len(documents)))
    opf_path = f"{opf_dir}/content.opf" if opf_dir else "content.opf"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        z.writestr("META-INF/container.xml", container or CONTAINER.format(opf=opf_path))
        z.writestr(opf_path, opf or OPF.format(title=title, items=items, refs=refs))
        for href, body in documents.items():
            z.writestr(f"{opf_dir}/{href}" if opf_dir else href, body)
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return path


def xhtml(body: str, title: str = "") -> str:
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml">'
            f"<head><title>{title}</title></head><body>{body}</body></html>")
