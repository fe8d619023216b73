"""``platocr audit``: grouped cross-fitted folds, out-of-fold predictions, corrections, apply."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from conftest import QUICK_CONFIG, TINY_RUN, write_tiny_crops
from typer.testing import CliRunner

from platocr.cli import app
from platocr.data.labels import LabelRow, read_label_file
from platocr.errors import PlatocrError
from platocr.tools.audit import OofRow, apply_corrections, make_folds, rank_suspects

runner = CliRunner()
TEXTS = ["A12", "B345", "C678", "0123", "9AB", "4C5"]  # 18 rows, 6 groups (a text = a group)
WRONG = {1: "B355", 8: "C1"}  # row index -> deliberately wrong label


def _read_tsv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


@pytest.fixture(scope="module")
def noisy_labels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """18 rendered crops of 6 texts, two of them with a wrong label."""
    labels = write_tiny_crops(tmp_path_factory.mktemp("noisy"), 18, seed=3, texts=TEXTS)
    lines = labels.read_text(encoding="utf-8").splitlines()
    for index, wrong in WRONG.items():
        path = lines[index + 1].split("\t")[0]
        lines[index + 1] = f"{path}\t{wrong}"
    labels.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return labels


def _run_args(labels: Path, out: Path) -> list[str]:
    """``audit`` of ``labels`` into ``out``: 2 folds, 2 training steps each, every disagreement a suspect."""
    args = ["audit", str(labels), "--folds", "2", "--out", str(out), "--config", str(QUICK_CONFIG)]
    return [
        *args,
        *TINY_RUN,
        "--set",
        "data.vocab=auto",
        "--min-confidence",
        "0",
        "--no-progress",
        "--device",
        "cpu",
    ]


@pytest.fixture(scope="module")
def audit_dir(noisy_labels: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``audit --folds 2`` with an extra training source whose texts bring new characters (X, Y)."""
    root = tmp_path_factory.mktemp("audit")
    extra = write_tiny_crops(root / "extra", 4, seed=4, texts=["XY7", "7YX"])
    out = root / "audit"
    args = _run_args(noisy_labels, out)
    result = runner.invoke(app, [*args, "--train-extra", f"{extra}:0.5"])
    assert result.exit_code == 0, result.output
    assert "out-of-fold StringMatch" in result.output
    return out


def test_every_row_predicted_once_out_of_fold(noisy_labels: Path, audit_dir: Path) -> None:
    rows = read_label_file(noisy_labels)
    oof = _read_tsv(audit_dir / "oof.tsv")
    assert [r["path"] for r in oof] == [f"crops/{i:04d}.png" for i in range(len(rows))]
    assert [r["label"] for r in oof] == [row.text for row in rows]
    for k in (0, 1):
        fold_dir = audit_dir / f"fold_{k}"
        heldout = {row.path for row in read_label_file(fold_dir / "heldout.tsv")}
        trained = {row.path for row in read_label_file(fold_dir / "train.tsv")}
        assert heldout and not heldout & trained
        assert heldout == {row.path for row, r in zip(rows, oof, strict=True) if r["fold"] == str(k)}
        assert (fold_dir / "last.pt").is_file() and (fold_dir / "metrics.csv").is_file()
        # data.vocab=auto: one vocab for every fold, from the labels and the --train-extra source.
        assert (fold_dir / "vocab.txt").read_text(encoding="utf-8").strip() == "0123456789ABCXY"


def test_folds_are_grouped(audit_dir: Path) -> None:
    folds_of_label: dict[str, set[str]] = {}
    for r in _read_tsv(audit_dir / "oof.tsv"):
        folds_of_label.setdefault(r["label"], set()).add(r["fold"])
    assert all(len(folds) == 1 for folds in folds_of_label.values())


def test_corrections_ranked_with_columns_and_gallery(audit_dir: Path) -> None:
    with (audit_dir / "corrections.tsv").open(encoding="utf-8") as handle:
        assert handle.readline().rstrip("\n").split("\t") == [
            "path",
            "label",
            "suggested",
            "confidence",
            "fold",
        ]
    suspects = _read_tsv(audit_dir / "corrections.tsv")
    oof = _read_tsv(audit_dir / "oof.tsv")
    # --min-confidence 0: every disagreement is a suspect, most confident first.
    assert len(suspects) == sum(r["label"] != r["predicted"] for r in oof)
    confidences = [float(s["confidence"]) for s in suspects]
    assert confidences == sorted(confidences, reverse=True)
    assert all(s["label"] != s["suggested"] for s in suspects)
    assert (audit_dir / "suspects.png").stat().st_size > 0
    assert "audit of" in (audit_dir / "suspects.html").read_text(encoding="utf-8")
    assert '"rows": 18' in (audit_dir / "summary.json").read_text(encoding="utf-8")


def test_resume_reads_finished_folds_and_rerun_needs_resume(noisy_labels: Path, audit_dir: Path) -> None:
    before = (audit_dir / "oof.tsv").read_text(encoding="utf-8")
    args = _run_args(noisy_labels, audit_dir)
    again = runner.invoke(app, args)
    assert again.exit_code == 2 and "--resume" in again.output
    resumed = runner.invoke(app, [*args, "--resume"])
    assert resumed.exit_code == 0, resumed.output
    assert "done earlier" in resumed.output
    assert (audit_dir / "oof.tsv").read_text(encoding="utf-8") == before


def test_rank_suspects_confidence_then_edit_distance() -> None:
    def oof(text: str, predicted: str, confidence: float) -> OofRow:
        return OofRow(LabelRow(Path(f"/x/{text}.png"), text), f"{text}.png", 0, predicted, confidence)

    rows = [oof("A1", "A7", 0.9), oof("B2", "XYZ", 0.9), oof("C3", "C3", 0.99), oof("D4", "D5", 0.5)]
    ranked = rank_suspects(rows, 0.6)
    assert [r.row.text for r in ranked] == ["B2", "A1"]


def test_make_folds_keeps_groups_together() -> None:
    rows = [LabelRow(Path(f"/x/{i}.png"), TEXTS[i % 3]) for i in range(9)]
    folds = make_folds(rows, 3)
    assert sorted(len(fold) for fold in folds) == [3, 3, 3]
    assert all(len({row.text for row in fold}) == 1 for fold in folds)
    with pytest.raises(PlatocrError, match="only 3 groups"):
        make_folds(rows, 4)


@pytest.mark.parametrize("folds", ["1", "99"])
def test_bad_folds_exit_2(noisy_labels: Path, tmp_path: Path, folds: str) -> None:
    result = runner.invoke(app, ["audit", str(noisy_labels), "--folds", folds, "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "--folds" in result.output
    assert not (tmp_path / "fold_0").exists()


def test_apply_changes_exactly_the_listed_rows(noisy_labels: Path, tmp_path: Path) -> None:
    accepted = tmp_path / "kept.tsv"
    accepted.write_text(
        "path\tlabel\tsuggested\tconfidence\tfold\n"
        "crops/0001.png\tB355\tB345\t0.9\t0\n"
        "crops/0008.png\tC1\tC678\t0.8\t1\n",
        encoding="utf-8",
    )
    fixed = tmp_path / "fixed.tsv"
    assert apply_corrections(noisy_labels, accepted, fixed) == 2
    before, after = read_label_file(noisy_labels), read_label_file(fixed)
    assert [row.path for row in after] == [row.path for row in before]
    changed = {
        i: (b.text, a.text) for i, (b, a) in enumerate(zip(before, after, strict=True)) if b.text != a.text
    }
    assert changed == {1: ("B355", "B345"), 8: ("C1", "C678")}


def test_apply_unknown_path_exit_2_names_the_line(noisy_labels: Path, tmp_path: Path) -> None:
    accepted = tmp_path / "kept.tsv"
    accepted.write_text("path\tsuggested\ncrops/0001.png\tB345\ncrops/nope.png\tA12\n", encoding="utf-8")
    result = runner.invoke(
        app, ["audit", str(noisy_labels), "--apply", str(accepted), "--out", str(tmp_path / "f.tsv")]
    )
    assert result.exit_code == 2
    assert f"{accepted}:3" in result.output and "nope.png" in result.output
    assert not (tmp_path / "f.tsv").exists()


def test_audit_without_folds_or_apply_exit_2(noisy_labels: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["audit", str(noisy_labels), "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "needs --folds" in result.output


def test_suspects_gallery_holds_only_the_suspects(tmp_path: Path) -> None:
    import cv2

    from platocr.recognition.metrics import text_metrics
    from platocr.tools.audit import AuditResult
    from platocr.tools.audit_report import write_gallery
    from platocr.tools.gallery import CELL_H, CELL_W

    rows = read_label_file(write_tiny_crops(tmp_path / "data", 8, seed=5, texts=TEXTS))
    predicted = [  # (prediction, confidence): 3 confident disagreements, 1 unsure, 4 agreements
        ("X1", 0.95), (rows[1].text, 0.99), ("X2", 0.85), ("X3", 0.3),
        (rows[4].text, 0.2), ("X4", 0.9), (rows[6].text, 0.5), (rows[7].text, 0.9),
    ]  # fmt: skip
    oof = [
        OofRow(row, row.path.name, 0, text, conf) for row, (text, conf) in zip(rows, predicted, strict=True)
    ]
    result = AuditResult(
        out=tmp_path, rows=oof, fold_sizes=[8], groups=6, min_confidence=0.8,
        metrics=text_metrics([r.row.text for r in oof], [r.predicted for r in oof]),
        suspects=rank_suspects(oof, 0.8),
    )  # fmt: skip
    files = write_gallery(result, "audit", limit=200)
    grid = cv2.imread(str(files["gallery_png"]))
    assert grid.shape[:2] == (CELL_H, 3 * CELL_W)  # one row of three cells: the suspects, no others
    page = files["gallery_html"].read_text(encoding="utf-8")
    assert page.count('class="card') == 3
    order = [page.index(f"&middot; {rows[i].path.name}") for i in (0, 5, 2)]  # corrections.tsv's order
    assert order == sorted(order)
    # No suspects: the page says so and no stale PNG is left behind.
    result.suspects = []
    assert set(write_gallery(result, "audit: 0 suspects", limit=200)) == {"gallery_html"}
    assert not (tmp_path / "suspects.png").exists()
