"""platocr: CRNN + CTC OCR for barcode digits and Russian licence plates."""

__version__ = "0.1.0"

from platocr.errors import PlatocrError  # noqa: E402  (light: no torch/cv2 at import time)

__all__ = ["PlatocrError", "Predictor", "__version__"]


def __getattr__(name: str):  # noqa: ANN202 - module __getattr__ (PEP 562)
    # Predictor pulls in torch: import it on first use so `import platocr` stays light.
    if name == "Predictor":
        from platocr.recognition.predictor import Predictor

        return Predictor
    raise AttributeError(f"module 'platocr' has no attribute {name!r}")
