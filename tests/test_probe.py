"""platocr probe: statistics, candidates and --write-config on a tiny rendered label set."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import write_tiny_crops
from typer.testing import CliRunner

from platocr.cli import app
from platocr.config import load_config
from platocr.data.labels import read_label_file
from platocr.probe import candidate_settings, dataset_stats, recommend_input

runner = CliRunner()


@pytest.fixture(scope="module")
def labels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # 24x80 crops (aspect 3.33), texts of 3..5 characters plus one negative
    return write_tiny_crops(tmp_path_factory.mktemp("probe"), 12, seed=3, texts=["A12", "B345", "C6789", ""])


def test_stats_and_recommended_size(labels: Path) -> None:
    stats = dataset_stats(read_label_file(labels))
    assert (stats.rows, stats.negatives, stats.sampled) == (12, 3, 12)
    assert stats.width.percentiles[50] == 80 and stats.height.maximum == 24
    assert stats.aspect.percentiles[95] == pytest.approx(80 / 24)
    assert stats.text_length.maximum == 5 and stats.alphabet == "123456789ABC"
    assert recommend_input(stats, 32) == (32, 128)  # 32 * 3.33 = 107 -> next multiple of 32
    assert recommend_input(stats, 64) == (64, 224)


def test_candidate_settings_add_the_mildest_time_stride() -> None:
    # width 128, 9 characters: stride 32 gives T=4, 16 gives 8, 8 gives 16 (1.8 < 2), 4 gives 32
    assert candidate_settings([2, 4, 8, 16, 32], 128, 9) == [(-2, None), (-2, 4), (-1, None), (-1, 4)]
    assert candidate_settings([2, 4, 8, 16, 32], 512, 4) == [(-2, None), (-1, None)]


def test_probe_cli_writes_a_loadable_config(labels: Path, tmp_path: Path) -> None:
    out = tmp_path / "picked.yaml"
    args = [
        "probe",
        str(labels),
        "--height",
        "32",
        "-b",
        "mobilenetv3_small_050",
        "--runs",
        "1",
        "--device",
        "cpu",
    ]
    result = runner.invoke(app, [*args, "--write-config", str(out)])
    assert result.exit_code == 0, result.output
    assert "sizes from 12 sampled images" in result.output
    assert "recommended input: 32x128" in result.output
    assert "mobilenetv3_small_050" in result.output and "T/len" in result.output
    cfg = load_config(out)
    assert (cfg.input.height, cfg.input.width) == (32, 128)
    assert cfg.model.backbone == "mobilenetv3_small_050"
    assert cfg.data.max_text_len == 5
    # 128 px at stride 32 gives T=4 < 2*5: the pick must be a setting that fits
    assert 128 // (cfg.model.time_stride or 32) >= 10


def test_probe_cli_errors_are_one_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["probe", str(tmp_path / "missing.tsv")])
    assert result.exit_code == 2 and "dataset not found" in result.output
    bad = write_tiny_crops(tmp_path / "d", 2)
    result = runner.invoke(app, ["probe", str(bad), "-b", "no_such_net", "--height", "32"])
    assert result.exit_code == 2 and "unknown timm model 'no_such_net'" in result.output
