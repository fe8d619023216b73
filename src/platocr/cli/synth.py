"""`platocr synth`: synthesise barcode photos, Russian plate crops, full street frames or a plate clip."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from platocr.cli._app import app, command
from platocr.outputs import check_writable_dir, check_writable_file

synth_app = typer.Typer(
    help="Synthesise data: barcode photos, plate crops, full street frames with plate boxes, a plate clip.",
    no_args_is_help=True,
)
app.add_typer(synth_app, name="synth")

Out = Annotated[Path, typer.Argument(help="Output folder (created; existing files are overwritten).")]
Count = Annotated[int, typer.Option("--count", "-n", min=1, help="Number of images to write.")]
Seed = Annotated[int, typer.Option("--seed", help="Random seed: the same seed gives the same files.")]
Workers = Annotated[
    int | None, typer.Option("--workers", "-j", min=1, help="Processes (default: all cores).")
]
Preview = Annotated[
    Path | None, typer.Option("--preview", help="Also write a contact sheet of the first images to this PNG.")
]


@command("barcodes", target=synth_app)
def barcodes_command(
    out: Out,
    count: Count = 200,
    seed: Seed = 0,
    workers: Workers = None,
    preview: Preview = None,
    strength: Annotated[
        float,
        typer.Option(
            "--strength",
            help="Distortion strength in (0, 3]: 1.0 = training look; e.g. 1.5 (and another seed) "
            "for a harder validation split.",
        ),
    ] = 1.0,
    kind: Annotated[
        list[str] | None,
        typer.Option(
            "--kind",
            help="NAME=P: probability of a real-photo kind (repeatable), e.g. --kind upside_down=0.1; "
            "kinds: upside_down, turned, isbn, far_first_digit, tight_box, large_digits, tiny_digits, "
            "strong_glare, low_contrast, coloured_packaging, thermal.",
        ),
    ] = None,
) -> None:
    """Photos of EAN-13 / UPC-A / UPC-E / EAN-8 barcodes: OUT/images/*.jpg + OUT/annotations.tsv."""
    _check_outputs(out, preview)
    from platocr.progress import console
    from platocr.synth.barcode_kinds import BarcodeKinds
    from platocr.synth.barcodes import generate_barcode_dataset

    kinds = BarcodeKinds().with_settings(kind or [])
    report = generate_barcode_dataset(
        out, count=count, seed=seed, workers=workers, preview=preview, strength=strength, kinds=kinds
    )
    console.print(report.summary())


@command("plates", target=synth_app)
def plates_command(
    out: Out,
    count: Count = 200,
    seed: Seed = 0,
    layout: Annotated[
        str,
        typer.Option(
            "--layout", help="tsv: crops/ + labels.tsv; cropnumbers: NumBase/ with the label in the name."
        ),
    ] = "tsv",
    negatives: Annotated[
        float,
        typer.Option("--negatives", min=0.0, max=0.9, help="Fraction of crops with no plate (empty text)."),
    ] = 0.0,
    workers: Workers = None,
    preview: Preview = None,
) -> None:
    """Russian licence-plate crops (A123BC77 / A123BC777) with labels.tsv or in CropNumbers layout."""
    _check_outputs(out, preview)
    from platocr.errors import PlatocrError
    from platocr.progress import console
    from platocr.synth.plates import generate_plate_dataset

    if layout not in ("tsv", "cropnumbers"):
        raise PlatocrError(f"--layout must be 'tsv' or 'cropnumbers', got {layout!r}")
    chosen: Literal["tsv", "cropnumbers"] = layout  # type: ignore[assignment]
    report = generate_plate_dataset(
        out, count=count, seed=seed, layout=chosen, negatives=negatives, workers=workers, preview=preview
    )
    console.print(report.summary())


Size = Annotated[str, typer.Option("--size", help="Frame size WIDTHxHEIGHT.")]


@command("scenes", target=synth_app)
def scenes_command(
    out: Out,
    count: Count = 200,
    seed: Seed = 0,
    size: Size = "1280x720",
    foreign: Annotated[
        float,
        typer.Option(
            "--foreign",
            min=0.0,
            max=1.0,
            help="Probability that a plate is a non-Russian style (EU, US, Brazil).",
        ),
    ] = 0.3,
    workers: Workers = None,
    preview: Preview = None,
    real_plates: Annotated[
        Path | None,
        typer.Option(
            "--real-plates",
            metavar="BOXES",
            help="Photos of real plates with each plate's box (a boxes.tsv, e.g. from "
            "scripts/plate_boxes_in_crops.py): some Russian plates are these photos.",
        ),
    ] = None,
    real_share: Annotated[
        float,
        typer.Option("--real-share", min=0.0, max=1.0, help="With --real-plates: share of Russian plates."),
    ] = 0.5,
    camera_text: Annotated[
        float,
        typer.Option(
            "--camera-text",
            min=0.0,
            max=1.0,
            help="Share of frames where the camera writes its date and time into a corner (0: none, as "
            "sets drawn before this option had).",
        ),
    ] = 0.2,
) -> None:
    """Whole street/parking/gate camera frames with plates: OUT/images/*.jpg + OUT/boxes.tsv
    (filename text x y width height region; a frame with no plate has one row with only its filename)."""
    _check_outputs(out, preview)
    from platocr.progress import console
    from platocr.synth.scenes import generate_scene_dataset, parse_size

    report = generate_scene_dataset(
        out, count=count, seed=seed, size=parse_size(size), foreign=foreign, workers=workers, preview=preview,
        real_plates=real_plates, real_share=real_share, camera_text=camera_text,
    )  # fmt: skip
    console.print(report.summary())


@command("clip", target=synth_app)
def clip_command(
    out: Annotated[Path, typer.Argument(help="Output video, e.g. clip.mp4 (overwritten).")],
    frames: Annotated[int, typer.Option("--frames", min=1, help="Number of frames.")] = 300,
    seed: Seed = 0,
    size: Size = "1280x720",
    fps: Annotated[float, typer.Option("--fps", min=1.0, max=240.0, help="Frames per second.")] = 30.0,
    gate: Annotated[
        bool, typer.Option("--gate", help="A barrier camera: one lane, each car waits at the same stop line.")
    ] = False,
) -> None:
    """A fixed-camera clip of cars with Russian plates driving through, with ground truth:
    OUT, OUT's .truth.jsonl (one line per frame: {"frame", "plates": [{"track", "text", "box"}]}) and
    .roi.txt (x,y,w,h covering every plate, for platocr video --roi; with --gate the plates at the stop
    line)."""
    check_writable_file(out, "output video")
    from platocr.progress import console
    from platocr.synth.plate_clip import clip_paths, write_plate_clip
    from platocr.synth.scenes import parse_size

    for path in clip_paths(out):
        check_writable_file(path)
    clip = write_plate_clip(out, frames=frames, seed=seed, size=parse_size(size), fps=fps, gate=gate)
    x, y, w, h = clip.roi
    console.print(
        f"[bold]synth clip[/bold]: {clip.frames} frames, {clip.tracks} cars, {clip.labelled} plate boxes "
        f"({clip.two_car_frames} frames with two or more) -> {clip.video}\n"
        f"truth: {clip.truth}\nroi: {x},{y},{w},{h} (in {clip.roi_file}); compare: "
        f"platocr video {clip.video} OUT.mp4 --model plates-ru --roi {x},{y},{w},{h}"
    )


def _check_outputs(out: Path, preview: Path | None) -> None:
    """Refuse an unwritable OUT or --preview before anything is drawn."""
    check_writable_dir(out)
    if preview is not None:
        check_writable_file(preview, "--preview")
