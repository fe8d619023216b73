"""Synthetic barcodes: check digits, encodings a real decoder reads, dataset layout, determinism, CLI."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from platocr.cli import app
from platocr.errors import PlatocrError
from platocr.formats.ean import (
    _G,
    _L,
    _R,
    check_digit_valid,
    complete_code,
    encode,
    encode_addon,
    upce_to_upca,
)
from platocr.synth import effects
from platocr.synth.barcode_distortion import Distortion
from platocr.synth.barcode_kinds import BarcodeKinds, LabelKinds
from platocr.synth.barcode_photo import BOX_MARGIN_PX, _colourise, _place_label, _turn, synth_barcode_photo
from platocr.synth.barcode_render import render_label
from platocr.synth.barcodes import ANNOTATION_HEADER, generate_barcode_dataset

KNOWN = [("4006381333931", "ean13"), ("036000291452", "upca"), ("04252614", "upce"), ("96385074", "ean8")]


def _read_rows(out: Path) -> list[dict[str, str]]:
    with open(out / "annotations.tsv", encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f, delimiter="\t")
        assert tuple(reader.fieldnames or ()) == ANNOTATION_HEADER
        return list(reader)


@pytest.mark.parametrize(("code", "symbology"), KNOWN)
def test_known_codes_have_valid_check_digits(code: str, symbology: str) -> None:
    assert check_digit_valid(code)
    assert check_digit_valid(code, symbology)
    assert complete_code(code[:-1], symbology) == code
    wrong = code[:-1] + str((int(code[-1]) + 1) % 10)
    assert not check_digit_valid(wrong, symbology)


def test_upce_expands_to_upca() -> None:
    assert upce_to_upca("04252614") == "042100005264"
    assert check_digit_valid("042100005264", "upca")
    assert not check_digit_valid("24252614", "upce")  # number system must be 0 or 1
    assert not check_digit_valid("12345", None) and not check_digit_valid("40063813339a1")


def _decode_modules(modules: str, start: int, count: int) -> list[tuple[int, str]]:
    """Read ``count`` 7-module digits back as (digit, parity set) by table lookup."""
    tables = {"L": _L, "G": _G, "R": _R}
    out = []
    for i in range(count):
        chunk = modules[start + 7 * i : start + 7 * i + 7]
        out.append(next((t.index(chunk), name) for name, t in tables.items() if chunk in t))
    return out


def test_module_patterns_round_trip() -> None:
    ean13 = encode("4006381333931")
    assert len(ean13.modules) == 95 and ean13.modules[:3] == "101" and ean13.modules[45:50] == "01010"
    left = _decode_modules(ean13.modules, 3, 6)
    assert "".join(str(d) for d, _ in left) == "006381"
    assert "".join(p for _, p in left) == "LGLLGG"  # parity pattern of first digit 4
    upce = encode("04252614", "upce")
    assert len(upce.modules) == 51 and upce.modules.endswith("010101")
    digits = _decode_modules(upce.modules, 3, 6)
    assert "".join(str(d) for d, _ in digits) == "425261"
    assert "".join(p for _, p in digits) == "GLGGLL"  # number system 0, check digit 4
    assert len(encode("96385074").modules) == 67
    assert len(encode_addon("12")) == 20 and len(encode_addon("52495")) == 47


def _clean_rendering(code: str, symbology: str) -> np.ndarray:
    label = render_label(code, symbology, np.random.default_rng(0), 2)
    return cv2.cvtColor(
        cv2.copyMakeBorder(255 - label.ink, 30, 30, 30, 30, cv2.BORDER_CONSTANT, value=255),
        cv2.COLOR_GRAY2BGR,
    )


@pytest.mark.skipif(not hasattr(cv2, "barcode"), reason="this cv2 build has no barcode module")
@pytest.mark.parametrize(("code", "symbology"), [c for c in KNOWN if c[1] != "upce"])
def test_clean_rendering_decodes_with_opencv(code: str, symbology: str) -> None:
    # OpenCV's 1D decoder reads EAN-13 (UPC-A as EAN-13 with a leading 0) and EAN-8, not UPC-E;
    # UPC-E is covered by the table round trip above.
    image = _clean_rendering(code, symbology)
    h, w = image.shape[:2]
    corners = np.array([[[0, h - 1], [0, 0], [w - 1, 0], [w - 1, h - 1]]], np.float32)
    ok, decoded, _ = cv2.barcode.BarcodeDetector().decodeWithType(image, corners)
    assert ok
    assert decoded[0].lstrip("0") == code.lstrip("0")


def test_effects_keep_shape_and_dtype_and_do_not_modify_input() -> None:
    rng = np.random.default_rng(1)
    image = effects.random_background(48, 64, rng, "packaging")
    before = image.copy()
    for fn in (effects.gaussian_blur, effects.motion_blur, effects.sensor_noise, effects.jpeg_reencode):
        assert fn(image, rng).shape == image.shape
    for fn in (effects.color_jitter, effects.glare, effects.shadow):
        out = fn(image, rng)
        assert out.shape == image.shape and out.dtype == np.uint8
    warped, pts = effects.random_perspective(image, rng, points=np.array([[0.0, 0.0], [63.0, 47.0]]))
    assert warped.shape == image.shape and pts.shape == (2, 2)
    np.testing.assert_array_equal(image, before)
    for kind in effects.BACKGROUND_KINDS:
        assert effects.random_background(30, 40, rng, kind).shape == (30, 40, 3)


def test_photos_have_boxes_inside_and_some_vertical() -> None:
    shapes = []
    for index in range(100):
        photo, barcodes = synth_barcode_photo(np.random.default_rng(np.random.SeedSequence([3, index])))
        h, w = photo.shape[:2]
        assert 1 <= len(barcodes) <= 2
        for b in barcodes:
            x, y, bw, bh = b.box
            assert 0 <= x and 0 <= y and x + bw <= w and y + bh <= h and bw > 10 and bh > 10
            assert check_digit_valid(b.code, b.symbology)
            shapes.append(bh > bw)
        if len(barcodes) == 2:
            (ax, ay, aw, ah), (bx, by, bw, bh) = barcodes[0].box, barcodes[1].box
            assert ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay
    assert 1 <= sum(shapes) <= 0.2 * len(shapes)  # ~5% vertical


def test_dataset_is_deterministic_across_worker_counts(tmp_path: Path) -> None:
    one = generate_barcode_dataset(tmp_path / "a", count=10, seed=5, workers=1, show_progress=False)
    two = generate_barcode_dataset(tmp_path / "b", count=10, seed=5, workers=2, show_progress=False)
    assert one.photos == two.photos == 10
    assert (tmp_path / "a/annotations.tsv").read_bytes() == (tmp_path / "b/annotations.tsv").read_bytes()
    for image in sorted((tmp_path / "a/images").glob("*.jpg")):
        assert image.read_bytes() == (tmp_path / "b/images" / image.name).read_bytes()
    other = generate_barcode_dataset(tmp_path / "c", count=2, seed=6, workers=1, show_progress=False)
    assert other.photos == 2
    assert (tmp_path / "c/images/000001.jpg").read_bytes() != (tmp_path / "a/images/000001.jpg").read_bytes()


def test_cli_writes_layout_a_and_preview(tmp_path: Path) -> None:
    out, grid = tmp_path / "bc", tmp_path / "grid.png"
    result = CliRunner().invoke(
        app,
        [
            "synth",
            "barcodes",
            str(out),
            "--count",
            "6",
            "--seed",
            "1",
            "--workers",
            "1",
            "--preview",
            str(grid),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "photos/s" in result.output
    assert len(list((out / "images").glob("*.jpg"))) == 6
    rows = _read_rows(out)
    assert {r["filename"] for r in rows} == {f"images/{i:06d}.jpg" for i in range(1, 7)}
    for row in rows:
        image = cv2.imread(str(out / row["filename"]))
        x, y, w, h = (int(row[k]) for k in ANNOTATION_HEADER[2:])
        assert x + w <= image.shape[1] and y + h <= image.shape[0]
        assert row["code"].isdigit() and check_digit_valid(row["code"])
    assert cv2.imread(str(grid)) is not None


def test_cli_rejects_bad_output(tmp_path: Path) -> None:
    target = tmp_path / "file.txt"
    target.write_text("x")
    result = CliRunner().invoke(app, ["synth", "barcodes", str(target), "--count", "1"])
    assert result.exit_code == 2
    assert "not a folder" in result.output


@pytest.mark.parametrize("strength", [0.0, -1.0, 3.01, float("nan")])
def test_strength_out_of_range_is_rejected(tmp_path: Path, strength: float) -> None:
    with pytest.raises(PlatocrError, match="--strength must be in"):
        generate_barcode_dataset(tmp_path / "x", count=1, strength=strength, workers=1, show_progress=False)


def test_stronger_distortion_widens_every_range() -> None:
    base, hard = Distortion.for_strength(1.0), Distortion.for_strength(1.5)
    assert Distortion.for_strength(3.0).strength == 3.0  # the upper bound is allowed
    for name in ("tilt_deg", "big_tilt_deg", "perspective", "curve_share", "shadow_share", "glare_share"):
        assert getattr(hard, name) > getattr(base, name), name
    for name in ("cast", "lowres_share", "gauss_share", "motion_share", "noise_share"):
        assert getattr(hard, name) > getattr(base, name), name
    for name in ("curvature", "shadow", "glare", "gauss_sigma", "motion_length", "noise_sigma"):
        assert getattr(hard, name)[1] > getattr(base, name)[1], name
    assert hard.jpeg_quality[0] < base.jpeg_quality[0] and hard.min_region_px < base.min_region_px
    assert hard.lowres[0] < base.lowres[0]
    assert Distortion.for_strength(3.0).big_tilt_deg < 45  # a tilted label must still give a wide box


def test_strength_one_is_the_default_and_other_strengths_differ(tmp_path: Path) -> None:
    kwargs = {"count": 3, "seed": 4, "workers": 1, "show_progress": False}
    default = generate_barcode_dataset(tmp_path / "d", **kwargs)
    same = generate_barcode_dataset(tmp_path / "s", strength=1.0, **kwargs)
    hard = generate_barcode_dataset(tmp_path / "h", strength=1.5, **kwargs)
    assert default.strength == same.strength == 1.0 and hard.strength == 1.5
    names = sorted(p.name for p in (tmp_path / "d/images").glob("*.jpg"))
    assert len(names) == 3
    for name in names:
        assert (tmp_path / "d/images" / name).read_bytes() == (tmp_path / "s/images" / name).read_bytes()
    assert (tmp_path / "d/annotations.tsv").read_bytes() == (tmp_path / "s/annotations.tsv").read_bytes()
    assert any(
        (tmp_path / "d/images" / name).read_bytes() != (tmp_path / "h/images" / name).read_bytes()
        for name in names
    )


def test_cli_strength_option(tmp_path: Path) -> None:
    args = ["synth", "barcodes", str(tmp_path / "bc"), "--count", "2", "--workers", "1"]
    result = CliRunner().invoke(app, [*args, "--strength", "1.5"])
    assert result.exit_code == 0, result.output
    assert "strength" in result.output and "1.5" in result.output
    assert len(_read_rows(tmp_path / "bc")) >= 2
    bad = CliRunner().invoke(app, [*args, "--strength", "4"])
    assert bad.exit_code == 2
    assert "--strength must be in (0, 3]" in bad.output


def test_label_is_enlarged_until_its_digits_are_tall_enough() -> None:
    canvas = np.full((480, 640, 3), 128, np.uint8)
    distortion = Distortion.for_strength(1.0)
    boxes = {}
    for floor in (1.0, 14.0):  # same draws, only the digit floor differs
        rng = np.random.default_rng(11)
        placed = _place_label(canvas, rng, 60.0, [], distortion, floor)
        assert placed is not None
        boxes[floor] = placed[1].box
    small, large = boxes[1.0], boxes[14.0]
    assert large[2] > small[2] and large[3] > small[3]
    assert min(large[2], large[3]) >= 14 + 2 * BOX_MARGIN_PX  # digits + margin fit in the short side


def test_summary_counts_photos_with_two_and_with_none(tmp_path: Path) -> None:
    from collections import Counter

    from platocr.synth.barcodes import BarcodeDatasetReport

    report = BarcodeDatasetReport(
        out=tmp_path,
        photos=6000,
        seconds=1.0,
        workers=2,
        barcodes=6735,
        per_photo=Counter({1: 5263, 2: 736, 0: 1}),
    )
    assert report.barcodes_text() == "6735 (736 photos with two, 1 with none (no label fitted))"
    report.per_photo = Counter({1: 9, 2: 1})
    assert report.barcodes_text().endswith("(1 photo with two)")


@pytest.mark.parametrize("kind", BarcodeKinds.names())
def test_each_kind_can_be_forced_and_keeps_boxes_and_codes_valid(kind: str) -> None:
    kinds = BarcodeKinds.only(kind)
    placed = 0
    for index in range(4):
        photo, barcodes = synth_barcode_photo(np.random.default_rng([17, index]), None, kinds)
        h, w = photo.shape[:2]
        for b in barcodes:
            x, y, bw, bh = b.box
            assert 0 <= x and 0 <= y and x + bw <= w and y + bh <= h and bw > 10 and bh > 10, kind
            assert check_digit_valid(b.code, b.symbology), kind
            placed += 1
    assert placed >= 4


def _forced_box(kinds: BarcodeKinds, seed: int) -> tuple[str, tuple[int, int, int, int]] | None:
    """(code, box) of one 200 px label placed on a grey 640x480 photo with these kinds, or None."""
    canvas = np.full((480, 640, 3), 128, np.uint8)
    rng = np.random.default_rng(seed)
    result = _place_label(canvas, rng, 200.0, [], Distortion.for_strength(1.0), 7.0, kinds)
    return None if result is None else (result[1].code, result[1].box)


def test_forced_kinds_do_what_they_say() -> None:
    books = [_forced_box(BarcodeKinds.only("isbn"), seed) for seed in range(6)]
    assert all(b is None or (b[0][:3] in ("978", "979") and len(b[0]) == 13) for b in books)
    assert any(b is not None for b in books)
    rng = np.random.default_rng(0)
    assert all(_turn(0.0, LabelKinds(upside_down=True), rng) == 180.0 for _ in range(20))
    turned = [_turn(float(rng.uniform(-6, 6)), LabelKinds(turned=True), rng) for _ in range(200)]
    assert all(14 <= abs(a) <= 66 for a in turned) and all(a > 0 for a in turned if abs(a) > 45)
    assert any(abs(a) > 45 for a in turned) and any(a < 0 for a in turned)
    both = [_turn(0.0, LabelKinds(turned=True, upside_down=True), rng) for _ in range(50)]
    assert all(135 <= a <= 160 or 200 <= a <= 225 for a in both)
    cut = 0
    # The kinds' draws happen (a kind is on) but nothing fires: the same draws as with the tight box.
    drawn_plain = replace(BarcodeKinds.none(), thermal=1e-12)
    for seed in range(8):  # same draws, with and without the tight box: never larger, mostly smaller
        plain, tight = (
            _forced_box(drawn_plain, seed),
            _forced_box(BarcodeKinds.only("tight_box"), seed),
        )
        if plain is None or tight is None:
            continue
        assert plain[0] == tight[0] and tight[1][2] <= plain[1][2] and tight[1][3] <= plain[1][3]
        cut += tight[1][2] < plain[1][2] and tight[1][3] < plain[1][3]
    assert cut >= 3


def test_forced_kinds_render_their_look() -> None:
    rng = np.random.default_rng(2)
    code = "9784175075322"
    plain = render_label(code, "ean13", np.random.default_rng(1), 2)
    large = render_label(code, "ean13", np.random.default_rng(1), 2, digit_scale=1.3, digit_spread=1.15)
    tiny = render_label(code, "ean13", np.random.default_rng(1), 2, digit_scale=0.7)
    far = render_label(code, "ean13", np.random.default_rng(1), 2, first_digit_gap=6.0)
    height = lambda label: label.digit_boxes[0][3] - label.digit_boxes[0][1]  # noqa: E731
    assert height(large) > height(plain) > height(tiny)
    # digit_boxes: the 12 inner digits, then the first digit (outside the left guard bars)
    gap = lambda label: label.digit_boxes[0][0] - label.digit_boxes[12][2]  # noqa: E731
    assert gap(plain) > 0 and gap(far) >= gap(plain) + 2 * 5.5 and far.ink.shape[1] > plain.ink.shape[1]
    for style in ("low_contrast", "coloured_packaging", "thermal"):
        patch = _colourise(plain, rng, style)
        assert patch.shape == (*plain.ink.shape, 3)
        contrast = float(patch[plain.ink == 0].mean() - patch[plain.ink == 255].mean())
        assert 20 < contrast < 220, style


def test_kind_settings_parse_and_reject_bad_values() -> None:
    kinds = BarcodeKinds().with_settings(["upside_down=0.5", "tight-box=0.2"])
    assert kinds.upside_down == 0.5 and kinds.tight_box == 0.2 and kinds.turned == BarcodeKinds().turned
    for bad in (["nope=1"], ["turned"], ["turned=x"], ["turned=1.5"]):
        with pytest.raises(PlatocrError):
            BarcodeKinds().with_settings(bad)
    assert all(getattr(BarcodeKinds.none(), n) == 0 for n in BarcodeKinds.names())


def test_kinds_are_off_by_default_and_then_draw_nothing() -> None:
    assert BarcodeKinds() == BarcodeKinds.none()
    rng = np.random.default_rng(0)
    state = rng.bit_generator.state
    assert all(BarcodeKinds().draw_label(rng) == LabelKinds() for _ in range(50))
    assert rng.bit_generator.state == state  # a seed's photos stay as before the kinds existed


def test_kind_option_and_preview_with_one_photo_per_kind(tmp_path: Path) -> None:
    out, grid = tmp_path / "bc", tmp_path / "grid.png"
    args = ["synth", "barcodes", str(out), "--count", "3", "--seed", "2", "--workers", "1"]
    result = CliRunner().invoke(app, [*args, "--kind", "upside_down=1", "--preview", str(grid)])
    assert result.exit_code == 0, result.output
    sheet = cv2.imread(str(grid))
    rows = -(-3 // 6) + -(-len(BarcodeKinds.names()) // 6)  # dataset photos, then one tile per kind
    assert sheet.shape[:2] == (240 * rows, 320 * 6)
    bad = CliRunner().invoke(app, [*args, "--kind", "sideways=1"])
    assert bad.exit_code != 0 and "sideways" in bad.output


def test_kinds_are_deterministic_across_worker_counts(tmp_path: Path) -> None:
    kinds = BarcodeKinds(**dict.fromkeys(BarcodeKinds.names(), 0.5))
    kw = {"count": 6, "seed": 9, "show_progress": False, "kinds": kinds}
    generate_barcode_dataset(tmp_path / "a", workers=1, **kw)
    generate_barcode_dataset(tmp_path / "b", workers=2, **kw)
    assert (tmp_path / "a/annotations.tsv").read_bytes() == (tmp_path / "b/annotations.tsv").read_bytes()
    for image in sorted((tmp_path / "a/images").glob("*.jpg")):
        assert image.read_bytes() == (tmp_path / "b/images" / image.name).read_bytes()
