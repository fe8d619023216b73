"""platocr probe: statistics, candidates, the fine-tune / from-scratch choice and --write-config."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch
from conftest import write_tiny_crops
from typer.testing import CliRunner

from platocr.cli import app
from platocr.data.labels import read_label_file
from platocr.model import build_model
from platocr.recognition.checkpoint import read_checkpoint
from platocr.recognition.config import Config, config_from_dict, load_config
from platocr.tools.probe import candidate_settings, dataset_stats, recommend_input, run_probe
from platocr.tools.probe_init import choose_init, rank_shipped_models
from platocr.tools.probe_work import count_macs

runner = CliRunner()
FAST = ["--runs", "1", "--batch", "1", "--device", "cpu"]  # one timed run: the tests time nothing
EAN = ["4006381333931", "9780201379624", "5901234123457", "96385074"]  # valid check digits


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


def test_count_macs_agrees_with_torchs_flop_counter() -> None:
    from torch.utils.flop_counter import FlopCounterMode

    cfg = Config()
    cfg = dataclasses.replace(
        cfg,
        input=dataclasses.replace(cfg.input, height=32, width=64),
        model=dataclasses.replace(cfg.model, backbone="platocr_vgg_t", time_stride=4, rnn_skip=True),
    )
    model = build_model(cfg, 12).eval()
    with torch.inference_mode(), FlopCounterMode(display=False) as counter:
        model(torch.zeros(1, 3, 32, 64))
    assert count_macs(model, (32, 64)) == counter.get_total_flops() // 2  # convs, linears and the BiGRU


def test_shipped_models_rank_by_the_label_characters_they_know() -> None:
    digits = rank_shipped_models("0123456789", EAN)
    # both know all 10 digits: barcodes-ean has no characters the labels never use
    assert [m.name for m in digits] == ["barcodes-ean", "plates-ru"]
    assert choose_init(digits) is digits[0] and digits[0].same_kind and not digits[0].unknown
    plates = rank_shipped_models("0123456789ABCEHKMOPTXY", ["A123BC77", "K777KK777"])
    assert plates[0].name == "plates-ru" and plates[0].same_kind and plates[0].share == 1.0
    greek = rank_shipped_models("1αβγδ", ["αβ1", "γδ"])  # 1 known of 5
    assert choose_init(greek) is None and greek[0].share == pytest.approx(0.2)


def test_digit_labels_write_a_fine_tune_config_from_barcodes_ean(tmp_path: Path) -> None:
    data = write_tiny_crops(tmp_path / "d", 8, texts=EAN)
    out = tmp_path / "ean.yaml"
    result = runner.invoke(
        app, ["probe", str(data), "-b", "platocr_vgg_t", *FAST, "--write-config", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "Fine-tune barcodes-ean (train.init): barcodes-ean knows 10 of the 10" in result.output
    assert "reading crop sizes" in result.output and "measuring" in result.output  # progress (stderr)
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Written by `platocr probe") and "# Fine-tune barcodes-ean" in text
    cfg = load_config(out)
    shipped = config_from_dict(read_checkpoint("barcodes-ean")["config"])
    assert cfg.train.init == "barcodes-ean" and cfg.model == shipped.model
    assert cfg.input.height == shipped.input.height and cfg.input.deskew  # EAN labels: its own kind
    assert cfg.decode == "checksum-ean" and cfg.data.vocab == "0123456789" and cfg.data.max_text_len == 13
    assert cfg.input.width / shipped.model.time_stride >= 2 * 13
    assert cfg.train.lr < 3e-3 and cfg.train.max_steps and cfg.train.num_workers == 1


def test_plate_letters_fine_tune_plates_ru_at_the_asked_height(labels: Path, tmp_path: Path) -> None:
    out = tmp_path / "picked.yaml"
    args = ["probe", str(labels), "--height", "32", "-b", "mobilenetv3_small_050", *FAST]
    result = runner.invoke(app, [*args, "--write-config", str(out)])
    assert result.exit_code == 0, result.output
    assert "sizes from 12 sampled images" in result.output
    assert "recommended input: 32x128" in result.output
    assert "mobilenetv3_small_050" in result.output and "M MACs" in result.output
    assert "no candidate fits and trains from scratch" in result.output  # mobilenet has no skip path
    cfg = load_config(out)
    assert cfg.train.init == "plates-ru" and (cfg.input.height, cfg.input.width) == (32, 128)
    assert cfg.data.vocab == read_checkpoint("plates-ru")["vocab"] and cfg.data.max_text_len == 5
    assert cfg.decode == "greedy"  # "A12" is no Russian plate: plate-ru would force the format


def test_unknown_characters_write_a_from_scratch_skip_path_config(tmp_path: Path) -> None:
    data = write_tiny_crops(tmp_path / "d", 6, texts=["αβγ", "δεζη", "θ1"])
    out = tmp_path / "greek.yaml"
    args = ["probe", str(data), "--height", "32", "-b", "mobilenetv3_small_050", "-b", "platocr_vgg_t"]
    result = runner.invoke(app, [*args, *FAST, "--write-config", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Written by") and "# From scratch: no shipped model knows at least 50%" in text
    cfg = load_config(out)
    assert cfg.train.init is None and cfg.data.vocab == "1αβγδεζηθ" and cfg.decode == "greedy"
    # mobilenetv3 costs fewer multiply-adds at stage -2 but stays on the blank plateau from scratch
    assert (cfg.model.backbone, cfg.model.feature_stage, cfg.model.rnn_skip) == ("platocr_vgg_t", -1, True)
    assert cfg.input.width / (cfg.model.time_stride or 16) >= 2 * 4 and cfg.train.max_steps


def test_the_pick_is_the_same_on_every_run(labels: Path) -> None:
    def pick() -> tuple:
        report = run_probe(
            labels, Config(), backbones=["platocr_vgg_s", "platocr_vgg_t"], height=32, runs=1,
            device="cpu", batch_sizes=(1,), fine_tune=False,
        )  # fmt: skip
        best = report.best
        eligible = [c.macs for c in report.candidates if c.fits and c.trains_from_scratch]
        assert report.init is None and best is not None and best.macs == min(eligible)
        return best.backbone, best.feature_stage, best.time_stride, best.macs

    assert pick() == pick()


def test_probe_cli_errors_are_one_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["probe", str(tmp_path / "missing.tsv")])
    assert result.exit_code == 2 and "dataset not found" in result.output
    bad = write_tiny_crops(tmp_path / "d", 2)
    result = runner.invoke(app, ["probe", str(bad), "-b", "no_such_net", "--height", "32"])
    assert result.exit_code == 2 and "unknown timm model 'no_such_net'" in result.output


def test_an_unwritable_config_path_fails_before_any_work(tmp_path: Path) -> None:
    folder = tmp_path / "a_folder"
    folder.mkdir()
    # the labels do not exist either: the output is checked first
    result = runner.invoke(app, ["probe", str(tmp_path / "missing.tsv"), "--write-config", str(folder)])
    assert result.exit_code == 2
    assert result.output.strip() == f"error: --write-config {folder}: is a folder, expected a file name"
