"""Cover art: the user's image from voices.yaml, or one generated from the title."""

from __future__ import annotations

import colorsys
import hashlib
import io
import textwrap
from pathlib import Path

from .errors import VoicesError

SIZE = 1400  # Apple Podcasts asks for 1400 to 3000 px square


def load_cover(path: str | Path) -> tuple[bytes, str]:
    path = Path(path)
    try:
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

    y = 330
    for line in textwrap.wrap(title, width=16)[:5]:
        f = font(120)
        w = draw.textlength(line, font=f)
        draw.text(((SIZE - w) / 2, y), line, font=f, fill=(250, 247, 240))
        y += 150
    y += 60
    draw.line([(SIZE / 2 - 200, y), (SIZE / 2 + 200, y)], fill=(250, 247, 240), width=4)
    y += 60
    for line, size in ((author or "", 70), (fandom or "", 54)):
        if line:
            f = font(size)
            line = textwrap.shorten(line, 36)
            w = draw.textlength(line, font=f)
            draw.text(((SIZE - w) / 2, y), line, font=f, fill=(235, 228, 215))
            y += size + 40
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
