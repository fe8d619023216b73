"""platocr: CRNN + CTC OCR for barcode digits and Russian licence plates."""

__version__ = "0.1.0"

from platocr.errors import PlatocrError  # noqa: E402  (light: no torch/cv2 at import time)

__all__ = ["PlatocrError", "__version__"]
