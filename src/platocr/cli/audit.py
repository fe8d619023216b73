"""`platocr audit`: find likely label errors with cross-fitted models, then apply the accepted fixes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from platocr.cli._app import app, command

audit_app = typer.Typer(
    help="Find label errors: `audit run` trains K grouped cross-fitted models and lists the rows whose "
    "out-of-fold prediction confidently disagrees with the label (OUT/corrections.tsv); review it, keep "
    "the rows you agree with, then `audit apply LABELS KEPT.tsv --out FIXED.tsv` writes the fixed labels.",
    no_args_is_help=True,
)
app.add_typer(audit_app, name="audit")


@command("run", target=audit_app)
def run_command(
    labels: Annotated[Path, typer.Argument(help="Label file (or dataset folder) to audit.")],
    folds: Annotated[int, typer.Option("--folds", "-k", help="Number of grouped folds (>= 2).")],
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", help="Audit folder: corrections.tsv, oof.tsv, suspects.html/.png, fold_k/ runs."
        ),
    ],
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="YAML training config (default: built-in defaults).")
    ] = None,
    overrides: Annotated[
        list[str] | None,
        typer.Option("--set", metavar="KEY=VALUE", help="Config override, e.g. train.epochs=5 (repeat)."),
    ] = None,
    min_confidence: Annotated[
        float,
        typer.Option(
            "--min-confidence", min=0.0, max=1.0, help="A disagreement this confident is a suspect."
        ),
    ] = 0.8,
    train_extra: Annotated[
        list[str] | None,
        typer.Option(
            "--train-extra",
            metavar="LABELS[:WEIGHT]",
            help="Extra training source for every fold, e.g. synthetic plates (repeat).",
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the fold assignment.")] = 0,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="Crops in the suspects gallery.")] = 200,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue the fold runs already in --out (from their last.pt).")
    ] = False,
    device: Annotated[str, typer.Option("--device", help="auto, cpu or cuda.")] = "auto",
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Show progress bars.")] = True,
) -> None:
    """Train K cross-fitted models on grouped folds; rank rows whose out-of-fold prediction disagrees.

    Fold k's model (OUT/fold_k/, a normal `platocr train` run folder) never trains on fold k's
    rows (no plate text / source photo is in two folds) and predicts them. Suspects = disagreements
    with confidence >= --min-confidence, most confident first, written to OUT/corrections.tsv
    (path, label, suggested, confidence, fold; paths as in LABELS). Keep the lines you agree with
    and run `platocr audit apply LABELS KEPT.tsv --out FIXED.tsv`.
    """
    from platocr.audit import AuditRequest, run_audit
    from platocr.audit_report import print_summary
    from platocr.progress import console

    result = run_audit(
        AuditRequest(
            labels=labels,
            out=out,
            folds=folds,
            config=config,
            overrides=overrides or [],
            min_confidence=min_confidence,
            train_extra=train_extra or [],
            device=device,
            seed=seed,
            resume=resume,
            gallery_limit=limit,
            progress=progress,
        )
    )
    print_summary(result, console)


@command("apply", target=audit_app)
def apply_command(
    labels: Annotated[Path, typer.Argument(help="The label file that was audited.")],
    accepted: Annotated[
        Path,
        typer.Argument(help="TSV with columns path and suggested: the corrections.tsv lines you kept."),
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Fixed label file to write (may be LABELS itself).")
    ],
) -> None:
    """Write LABELS with text = suggested for every path in ACCEPTED (a path not in LABELS is an error)."""
    from platocr.audit import apply_corrections
    from platocr.progress import console

    changed = apply_corrections(labels, accepted, out)
    console.print(f"wrote {out}: {changed} labels changed", highlight=False, soft_wrap=True)
