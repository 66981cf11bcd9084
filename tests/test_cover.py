import io

import pytest
from PIL import Image

from ficaudio.cover import generate_cover, load_cover
from ficaudio.errors import VoicesError


def test_generated_cover_is_a_square_png_podcast_apps_accept():
    data = generate_cover("Little Grey's Anatomy", "someone", "Grey's Anatomy")
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG" and image.mode == "RGB"
    assert image.size[0] == image.size[1] and 1400 <= image.size[0] <= 3000


def test_cover_colour_follows_the_title_and_stays_put():
    def corner(title):
        return Image.open(io.BytesIO(generate_cover(title, None))).getpixel((5, 5))

    assert corner("One") == corner("One")
    assert corner("One") != corner("Two")


def test_long_titles_and_credits_stay_inside_the_margins():
    title = "Supercalifragilisticexpialidocious " * 6
    image = Image.open(io.BytesIO(generate_cover(title, "W" * 90, "M" * 90)))
    for y in range(60, 1340, 4):  # inside the frame
        background = image.getpixel((5, y))
        # Between the frame and the text margin, on both sides, there is only background.
        for x in (70, 90, 105, 1295, 1310, 1330):
            assert image.getpixel((x, y)) == background, (x, y)


def test_cover_from_voices_yaml_must_be_png_or_jpeg(tmp_path):
    gif = tmp_path / "cover.gif"
    gif.write_bytes(b"GIF89a")
    with pytest.raises(VoicesError, match="PNG or JPEG"):
        load_cover(gif)
