"""Options several commands share, defined once so their names, defaults and help agree."""

from __future__ import annotations

from typing import Annotated

import typer

# A bundled name, a checkpoint or an exported ONNX file: what eval, gallery and read accept.
ModelArgument = Annotated[
    str,
    typer.Argument(
        help="Checkpoint (.pt) from platocr train, an exported .onnx or a bundled name (plates-ru, barcodes-ean).",
        show_default=False,
    ),
]
# None = the model config's decoder.
DecodeOption = Annotated[
    str | None,
    typer.Option(
        "--decode", help="CTC decoder: greedy, beam, checksum-ean or plate-ru (default: the checkpoint's)."
    ),
]
BackendOption = Annotated[
    str, typer.Option("--backend", help="auto (onnxruntime on a CPU, torch on CUDA), torch or onnx.")
]
DeviceOption = Annotated[str, typer.Option("--device", help="auto, cpu or cuda.")]
ProgressOption = Annotated[bool, typer.Option("--progress/--no-progress", help="Show the progress bar.")]
BatchSizeOption = Annotated[int, typer.Option("--batch-size", "-b", min=1, help="Crops per forward pass.")]
# A string, parsed by platocr.threads.parse_threads: a bad value is one error line, not Typer's box.
ThreadsOption = Annotated[
    str | None,
    typer.Option(
        "--threads",
        metavar="N",
        help="Cores to plan the thread pools for (default: the cores free of other processes' load).",
        show_default=False,
    ),
]
# eval and gallery on whole frames of other countries' plates: judge the boxes, read nothing.
BoxesOnlyOption = Annotated[
    bool,
    typer.Option("--boxes-only", help="--detect plate: detection only, no reading (MODEL is not loaded)."),
]
# read and eval on folders of car photos: each shows a plate, so the best one proposed beats none.
ExpectPlateOption = Annotated[
    bool,
    typer.Option(
        "--expect-plate",
        help="--detect plate: every photo shows a plate (photos taken of cars): where no look finds one at "
        "the threshold, report the best-scoring plate proposed that the reader reads as text (else the "
        "best-scoring one), its score saying how sure it is.",
    ),
]
# --detect plate's detector: read, video, eval and gallery take it the same way.
DetectorOption = Annotated[
    str, typer.Option("--detector", help="--detect plate: a shipped detector name or an exported .onnx.")
]
DetectThresholdOption = Annotated[
    float | None,
    typer.Option(
        "--detect-threshold",
        min=0.01,
        max=0.99,
        help="--detect plate: lowest detector score that counts as a plate (default: the detector's own, "
        "chosen on its validation frames; with a plate verifier, the verified score); lower finds more "
        "plates and more false ones.",
    ),
]
