"""Dataset readers: platocr label files, CropNumbers folders, barcode-photo folders."""

from platocr.data.labels import LabelRow, absolute_path, open_dataset, read_label_file, write_label_file

__all__ = ["LabelRow", "absolute_path", "open_dataset", "read_label_file", "write_label_file"]
