"""`platocr audit`: find likely label errors with cross-fitted models, then apply the accepted fixes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from platocr.cli._app import command
from platocr.outputs import check_writable_dir, check_writable_file


@command("audit")
def audit_command(
    labels: Annotated[Path, typer.Argument(help="Label file (or dataset folder) to audit.")],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="Audit folder (corrections.tsv, oof.tsv, suspects.html/.png, fold_k/ runs); "
            "with --apply, the fixed label file to write.",
        ),
    ],
    folds: Annotated[
        int | None, typer.Option("--folds", "-k", help="Number of grouped folds (>= 2).")
    ] = None,
    apply: Annotated[
        Path | None,
        typer.Option(
            "--apply",
            help="Instead of auditing: a TSV with columns path and suggested (the corrections.tsv lines "
            "you kept); writes LABELS with those texts to --out.",
        ),
    ] = None,
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
    init: Annotated[
        str | None,
        typer.Option(
            "--init",
            metavar="CKPT_OR_NAME",
            help="Weights every fold starts from (e.g. synthetic pretraining).",
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
    """Find label errors with K cross-fitted models; `--apply KEPT.tsv` writes the fixes you accept.

    Fold k's model (OUT/fold_k/, a normal `platocr train` run folder) never trains on fold k's
    rows (no plate text / source photo is in two folds) and predicts them. Suspects = disagreements
    with confidence >= --min-confidence, most confident first, written to OUT/corrections.tsv
    (path, label, suggested, confidence, fold; paths as in LABELS). Keep the lines you agree with
    and run `platocr audit LABELS --apply KEPT.tsv --out FIXED.tsv`.
    """
    if apply is not None:
        check_writable_file(out, "--out")
    else:
        check_writable_dir(out, "--out")
    from platocr.errors import PlatocrError
    from platocr.progress import console
    from platocr.tools.audit import AuditRequest, apply_corrections, run_audit
    from platocr.tools.audit_report import print_summary

    if apply is not None:
        changed = apply_corrections(labels, apply, out)
        console.print(f"wrote {out}: {changed} labels changed", highlight=False, soft_wrap=True)
        return
    if folds is None:
        raise PlatocrError("audit needs --folds K (K >= 2), or --apply KEPT.tsv to write accepted fixes")

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
            init=init,
            gallery_limit=limit,
            progress=progress,
        )
    )
    print_summary(result, console)
