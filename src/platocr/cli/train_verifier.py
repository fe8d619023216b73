"""`platocr train-verifier`: train the plate verifier for a detector and write the pair."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from platocr.cli._app import command


@command("train-verifier")
def train_verifier_command(
    train: Annotated[
        list[Path],
        typer.Option(
            "--train",
            metavar="BOXES",
            help="Frames with plate boxes (a folder with boxes.tsv, or a boxes.tsv); repeat to mix. "
            "Frames the detector was not trained on give it more mistakes to learn from.",
        ),
    ],
    val: Annotated[
        list[Path],
        typer.Option(
            "--val", metavar="BOXES", help="Validation frames (choose the threshold); repeat to mix."
        ),
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder: plate-detector.onnx, plate-verifier.onnx, run.json.")
    ],
    detector: Annotated[
        str, typer.Option("--detector", help="The detector to verify: plate-detector (shipped) or an .onnx.")
    ] = "plate-detector",
    epochs: Annotated[int, typer.Option("--epochs", min=1, help="Passes over the proposed crops.")] = 12,
    candidate_threshold: Annotated[
        float,
        typer.Option(
            "--candidate-threshold",
            min=0.01,
            max=0.99,
            help="The detector proposes plates from this score on; the verifier judges them.",
        ),
    ] = 0.15,
    seed: Annotated[
        int, typer.Option("--seed", help="Random seed: the same seed gives the same weights.")
    ] = 0,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Show a progress bar.")] = True,
) -> None:
    """Train a plate verifier: a small network that looks again at every plate the detector proposes.

    The detector runs on the frames as inference does; what it proposes becomes training crops (plates,
    and the signs, badges and lamps it mistakes for plates). The threshold of the verified score is chosen
    on the validation frames. Use the result with ``--detector OUT/plate-detector.onnx`` (it loads
    ``plate-verifier.onnx`` from its folder). A few minutes on 2 cores for 6,000 frames.
    """
    import torch

    from platocr.detection.settings import resolve_detector
    from platocr.outputs import check_writable_dir
    from platocr.progress import console
    from platocr.threads import available_cores
    from platocr.train.detector_data import labelled_frames
    from platocr.train.verifier import VerifierTraining, train_verifier

    check_writable_dir(out, "--out")
    detector_path = resolve_detector(detector)
    frames = [frame for path in train for frame in labelled_frames(path, "--train")]
    val_frames = [frame for path in val for frame in labelled_frames(path, "--val")]
    torch.set_num_threads(available_cores())  # no loader worker here: the crops are in memory
    cfg = VerifierTraining(epochs=epochs, seed=seed, candidate_threshold=candidate_threshold)
    console.print(f"train-verifier: {len(frames)} training frames, {len(val_frames)} validation frames, "
                  f"detector {detector_path}", highlight=False, soft_wrap=True)  # fmt: skip

    def log(line: str) -> None:
        console.print(line, highlight=False, soft_wrap=True)

    run = train_verifier(detector_path, frames, val_frames, out, cfg, log=log, progress=progress)
    given, verified = run.given, run.verified
    console.print(
        f"validation: the detector as given (threshold {given.threshold}) found {given.recall:.3f} with "
        f"{given.false_per_frame:.3f} false plates per frame; with the new verifier (threshold {run.threshold}) "
        f"{verified.recall:.3f} with {verified.false_per_frame:.3f}; {run.seconds / 60:.1f} min; "
        f"detector: {run.detector_path}",
        highlight=False, soft_wrap=True,
    )  # fmt: skip
