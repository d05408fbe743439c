import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from marketplace_libs import reference
from marketplace_libs.errors import InvalidInput
from marketplace_libs.images import ImageRules, processed_image

RULES = ImageRules(max_bytes=1024 * 1024, max_side=64, min_side=8)


def image_bytes(fmt: str, size=(100, 80), **save) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, fmt, **save)
    return buffer.getvalue()


def upload(data: bytes, name="photo.png", content_type="image/png"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def errors_of(excinfo) -> list[str]:
    return excinfo.value.errors["avatar"]


@pytest.mark.parametrize("fmt, extension", [("PNG", "png"), ("JPEG", "jpg"), ("WEBP", "webp"), ("GIF", "png")])
def test_an_image_is_scaled_down_and_stored_in_its_sniffed_format(fmt, extension):
    stored = processed_image(upload(image_bytes(fmt)), field="avatar", rules=RULES)
    assert stored.name.endswith(f".{extension}")
    with Image.open(io.BytesIO(stored.read())) as result:
        assert max(result.size) == 64


def test_the_type_comes_from_the_content_not_the_name():
    # A JPEG named .png and sent as image/png is stored as the JPEG it is.
    stored = processed_image(upload(image_bytes("JPEG"), name="x.png"), field="avatar", rules=RULES)
    assert stored.name.endswith(".jpg")


def test_exif_metadata_is_not_kept():
    exif = Image.Exif()
    exif[0x010E] = "secret description"  # ImageDescription
    stored = processed_image(upload(image_bytes("JPEG", exif=exif.tobytes())), field="avatar", rules=RULES)
    assert b"secret description" not in stored.read()


@pytest.mark.parametrize("data, message", [
    (b"", "empty"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "Upload an image"),
    (b"GIF89a" + b"\x00" * 20, "Upload an image"),  # a header and nothing behind it
    (b"%PDF-1.7 not an image", "Upload an image"),
])
def test_what_is_not_an_image_is_refused_on_the_field(data, message):
    with pytest.raises(InvalidInput) as excinfo:
        processed_image(upload(data), field="avatar", rules=RULES)
    assert message in errors_of(excinfo)[0]


def test_a_format_outside_the_rules_is_refused():
    with pytest.raises(InvalidInput) as excinfo:
        processed_image(upload(image_bytes("BMP")), field="avatar", rules=RULES)
    assert "BMP" in errors_of(excinfo)[0]


def test_a_too_large_file_is_refused_before_it_is_read():
    big = SimpleUploadedFile("big.png", b"\x89PNG" + b"\x00" * (RULES.max_bytes + 1), content_type="image/png")
    with pytest.raises(InvalidInput) as excinfo:
        processed_image(big, field="avatar", rules=RULES)
    assert "at most 1 MB" in errors_of(excinfo)[0]


def test_a_too_small_image_is_refused():
    with pytest.raises(InvalidInput) as excinfo:
        processed_image(upload(image_bytes("PNG", size=(4, 4))), field="avatar", rules=RULES)
    assert "at least 8 pixels" in errors_of(excinfo)[0]


def test_a_decompression_bomb_is_refused_before_decoding():
    # 10,000 x 10,000 pixels of one colour compress to a few kB.
    buffer = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(buffer, "PNG")
    assert len(buffer.getvalue()) < RULES.max_bytes
    with pytest.raises(InvalidInput) as excinfo:
        processed_image(upload(buffer.getvalue()), field="avatar", rules=RULES)
    assert "too many pixels" in errors_of(excinfo)[0]


def test_reference_tables():
    assert reference.is_country("GB") and not reference.is_country("gb") and not reference.is_country("UK")
    assert reference.is_language("fr") and not reference.is_language("FR") and not reference.is_language("fra")
    assert reference.is_currency("EUR") and not reference.is_currency("XXX")
    assert reference.is_timezone("America/New_York") and not reference.is_timezone("Mars/Olympus")
    assert reference.DEFAULT_CURRENCY in reference.SUPPORTED_CURRENCIES
