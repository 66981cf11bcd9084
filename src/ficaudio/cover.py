"""Cover art: the user's image from voices.yaml, or one generated from the title."""

from __future__ import annotations

import colorsys
import hashlib
import io
import textwrap
from pathlib import Path

from .errors import VoicesError

# Bump when generate_cover draws differently: generated covers are cached by this.
DESIGN = 2
SIZE = 1400  # Apple Podcasts asks for 1400 to 3000 px square
MAX_SIZE = 3000
MARGIN = 110


MAX_COVER_BYTES = 20_000_000


def load_cover(path: str | Path) -> tuple[bytes, str]:
    path = Path(path)
    try:
        if not path.is_file():
            raise VoicesError(f"cover image {path} is not a file; fix `cover:` in voices.yaml")
        if path.stat().st_size > MAX_COVER_BYTES:
            raise VoicesError(f"cover image {path} is {path.stat().st_size // 1_000_000} MB; podcast apps want "
                              f"at most a few MB (this limit is {MAX_COVER_BYTES // 1_000_000} MB): make it smaller")
        data = path.read_bytes()
    except OSError as exc:
        raise VoicesError(f"cover image {path}: cannot read it ({exc.strerror}); fix `cover:` in voices.yaml") from exc
    if data.startswith(b"\x89PNG"):
        return data, "image/png"
    if data.startswith(b"\xff\xd8"):
        return data, "image/jpeg"
    raise VoicesError(f"cover image {path} is not a PNG or JPEG file")


def generate_cover(title: str, author: str | None, fandom: str | None = None) -> bytes:
    """A square PNG: the title, author and fandom on a colour derived from the title."""
    from PIL import Image, ImageDraw, ImageFont

    digest = hashlib.sha256(title.encode("utf-8")).digest()
    hue = digest[0] / 255.0
    top = tuple(int(c * 255) for c in colorsys.hls_to_rgb(hue, 0.30, 0.45))
    bottom = tuple(int(c * 255) for c in colorsys.hls_to_rgb((hue + 0.08) % 1, 0.14, 0.50))
    image = Image.new("RGB", (SIZE, SIZE), top)
    draw = ImageDraw.Draw(image)
    for y in range(SIZE):
        t = y / (SIZE - 1)
        draw.line([(0, y), (SIZE, y)], fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom)))

    def font(size):
        for name in ("DejaVuSerif-Bold.ttf", "DejaVuSans-Bold.ttf"):
            try:
                return ImageFont.truetype(name, size)
            except OSError:
                continue
        return ImageFont.load_default(size=size)

    def fitted(text, size):
        """The text at `size`, or smaller until it fits inside the margins."""
        while size > 24 and draw.textlength(text, font=font(size)) > SIZE - 2 * MARGIN:
            size -= 6
        return font(size), size

    light, soft = (250, 247, 240), (235, 228, 215)
    # A thin inset frame reads as a book cover even as a small thumbnail in a podcast app.
    inset = MARGIN // 2
    draw.rectangle([inset, inset, SIZE - inset, SIZE - inset], outline=soft, width=3)

    title_lines = textwrap.wrap(title, width=16, max_lines=5, placeholder=" …") or [""]
    title_size = 120 if len(title_lines) <= 3 else 100
    rows = [(line, *fitted(line, title_size), light) for line in title_lines]
    rows.append(None)  # the rule between the title and the credits
    for text, size in ((author, 70), (fandom, 54)):
        if text:
            text = textwrap.shorten(text, 40)
            rows.append((text, *fitted(text, size), soft))
    heights = [60 if r is None else int(r[2] * 1.25) for r in rows]
    y = (SIZE - sum(heights)) / 2
    for row, height in zip(rows, heights):
        if row is None:
            draw.line([(SIZE / 2 - 200, y + height / 2), (SIZE / 2 + 200, y + height / 2)], fill=light, width=4)
        else:
            text, f, _, colour = row
            draw.text(((SIZE - draw.textlength(text, font=f)) / 2, y), text, font=f, fill=colour)
        y += height
    out = io.BytesIO()
    # Not optimize=True: that doubles the time a cold render spends here for 4% fewer bytes.
    image.save(out, format="PNG")
    return out.getvalue()


def podcast_image(data: bytes) -> tuple[bytes, str]:
    """The image as podcast apps want it: a square PNG or JPEG of 1400 to 3000 px.
    Returns (data, extension); an image that already fits is kept byte for byte."""
    from PIL import Image

    image = Image.open(io.BytesIO(data))
    ext = "jpg" if image.format == "JPEG" else "png"
    width, height = image.size
    if width == height and SIZE <= width <= MAX_SIZE and image.format in ("PNG", "JPEG"):
        return data, ext
    side = min(width, height)  # centre crop: the middle of a cover is what matters
    left, top = (width - side) // 2, (height - side) // 2
    image = image.crop((left, top, left + side, top + side))
    image = image.resize((min(max(side, SIZE), MAX_SIZE),) * 2, Image.LANCZOS).convert("RGB")
    out = io.BytesIO()
    image.save(out, format="JPEG" if ext == "jpg" else "PNG", quality=92)
    return out.getvalue(), ext
