"""``Predictor``: the library API from crops (arrays, paths, batches) to :class:`Prediction` s.

One predictor = a model (torch or onnxruntime backend) + its config + tokenizer. Crops go through
``preprocess.to_model_input`` (the same path as training and eval) in chunks of ``batch_size``,
then CTC decoding with the config's ``decode`` (``platocr.recognition.decoding``) unless ``decode=`` overrides it,
and the config's ``voting``: multi-crop voting, more crops of each crop whose reads vote
(``platocr.recognition.voting``).
Everything between the backends is numpy: the torch backend converts at its edge, and the onnx
backend (``backend="auto"``, the default, on a CPU, or ``"onnx"``) never imports torch. A bundled
name read with onnxruntime on a CPU uses the model's int8 file when one ships (``int8=False``: the
float one)::

    from platocr import Predictor
    predictor = Predictor.load("runs/plates/best.pt")          # or a bundled name, or model.onnx
    predictor.predict(cv2.imread("crop.jpg"))                   # -> Prediction(text, confidence, ...)
    predictor.predict(["a.jpg", "b.jpg"], batch_size=32)        # -> list[Prediction]
    Predictor.load("runs/barcodes/best.pt", decode="checksum-ean")  # another decoder
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from platocr.errors import PlatocrError
from platocr.recognition.backends import (  # noqa: F401  torch_forward, onnx_forward: re-exported for callers
    Forward,
    import_torch,
    onnx_forward,
    pick_backend,
    resolve_device,
    torch_forward,
)
from platocr.recognition.config import Config
from platocr.recognition.prediction import Prediction, no_read_under
from platocr.recognition.tokenizer import Tokenizer

if TYPE_CHECKING:
    from platocr.recognition.decoding import Decoder
    from platocr.recognition.voting import VotedPredictions

BACKENDS = ("torch", "onnx", "auto")
ImageLike = np.ndarray | str | Path


class Predictor:
    """Recognise text crops with a trained model.

    Attributes:
        config: the model's :class:`Config` (input size, vocab, ...).
        tokenizer: the model's :class:`Tokenizer`.
        backend: ``"torch"`` or ``"onnx"``.
        device: ``"cpu"`` or ``"cuda[:i]"``.
        batch_size: default number of crops per forward pass (with ``voting.when: always`` the pass
            also holds each crop's extra crops).
        source: what was loaded (path, bundled name or ``"<in-memory>"``).
        decode: the CTC decoder's name (``config.decode`` unless overridden).
        precision: ``"float32"``, or ``"int8"`` for a quantised ONNX model.
        min_confidence: reads under it come back as no read (empty text, confidence kept); the
            config's ``min_confidence`` unless overridden.
    """

    def __init__(
        self,
        forward: Forward,
        config: Config,
        tokenizer: Tokenizer,
        *,
        backend: str,
        device: str,
        batch_size: int = 64,
        source: str = "<in-memory>",
        decode: str | None = None,
        precision: str = "float32",
        min_confidence: float | None = None,
    ) -> None:
        from platocr.recognition.decoding import get_decoder

        if batch_size < 1:
            raise PlatocrError(f"batch_size must be >= 1, got {batch_size}")
        self._forward = forward
        self.config = config
        self.tokenizer = tokenizer
        self.backend = backend
        self.device = device
        self.batch_size = batch_size
        self.source = source
        self.decode = decode or config.decode
        self.precision = precision
        self.min_confidence = config.min_confidence if min_confidence is None else min_confidence
        if not 0.0 <= self.min_confidence <= 1.0:
            raise PlatocrError(f"min_confidence must be in [0, 1], got {self.min_confidence}")
        self._decoder = get_decoder(self.decode)  # PlatocrError listing the names when unknown

    def __repr__(self) -> str:
        int8 = ", precision='int8'" if self.precision == "int8" else ""
        return f"Predictor({self.source!r}, backend={self.backend!r}, device={self.device!r}{int8})"

    @classmethod
    def load(
        cls,
        model: str | Path,
        device: str = "auto",
        backend: str = "auto",
        batch_size: int = 64,
        decode: str | None = None,
        int8: bool = True,
        min_confidence: float | None = None,
    ) -> Predictor:
        """Load a checkpoint (``.pt``), an exported ``.onnx`` or a bundled model name.

        ``backend="auto"`` (the default) picks one with :func:`pick_backend`: onnxruntime on a CPU,
        torch on CUDA. The onnx backend with a bundled name uses the ``.onnx`` shipped next to it (on a
        CPU its ``.int8.onnx`` when there is one, unless ``int8=False``); with another ``.pt`` it
        exports the checkpoint in memory (a few seconds). ``.onnx`` files need ``"onnx"`` or ``"auto"``.
        ``decode`` names the CTC decoder (see :mod:`platocr.recognition.decoding`); default: the model config's.
        ``min_confidence``: reads under it become no read; default: the model config's ``min_confidence``.
        Loading a ``.pt`` (the torch backend, or an export) needs the training extra (torch);
        an ``.onnx`` or a bundled name with onnxruntime needs the base install only.
        """
        from platocr.recognition.zoo import resolve_model

        if backend not in BACKENDS:
            raise PlatocrError(f"unknown backend {backend!r} (known: {', '.join(BACKENDS)})")
        path = resolve_model(model)
        if backend == "auto":
            backend = pick_backend(path, device)
        device = resolve_device(device, backend)
        if path.suffix.lower() == ".onnx" or backend == "onnx":
            if backend != "onnx":
                raise PlatocrError(f"{path}: an ONNX model needs backend='onnx' or 'auto' (--backend onnx)")
            onnx_path = path if path.suffix.lower() == ".onnx" else shipped_onnx(str(model), device, int8)
            if onnx_path is not None:
                return cls.from_onnx(onnx_path, device=device, batch_size=batch_size, source=str(model),
                                     decode=decode, min_confidence=min_confidence)  # fmt: skip
        import_torch()  # a .pt needs torch: one line naming the extra, not a traceback
        from platocr.recognition.checkpoint import load_checkpoint

        loaded = load_checkpoint(path, "cpu")
        return cls.from_loaded(loaded, device=device, backend=backend, batch_size=batch_size, source=str(model),
                               decode=decode, min_confidence=min_confidence)  # fmt: skip

    @classmethod
    def from_loaded(
        cls,
        loaded: Any,
        *,
        device: str = "cpu",
        backend: str = "torch",
        batch_size: int = 64,
        source: str = "<in-memory>",
        decode: str | None = None,
        min_confidence: float | None = None,
    ) -> Predictor:
        """From a :class:`platocr.recognition.checkpoint.LoadedModel` (e.g. a freshly built, untrained model)."""
        if backend == "onnx":
            from platocr.recognition.onnx_export import export_onnx_bytes, onnx_session

            session = onnx_session(export_onnx_bytes(loaded), device)
            return cls(onnx_forward(session), loaded.config, loaded.tokenizer, backend="onnx",
                       device=device, batch_size=batch_size, source=source, decode=decode,
                       min_confidence=min_confidence)  # fmt: skip
        forward = torch_forward(loaded.model, device)
        return cls(forward, loaded.config, loaded.tokenizer, backend="torch", device=device,
                   batch_size=batch_size, source=source, decode=decode, min_confidence=min_confidence)  # fmt: skip

    @classmethod
    def from_onnx(
        cls,
        path: str | Path,
        *,
        device: str = "cpu",
        batch_size: int = 64,
        source: str | None = None,
        decode: str | None = None,
        min_confidence: float | None = None,
    ) -> Predictor:
        """From an ``.onnx`` written by ``platocr export`` (config and vocab read from its metadata)."""
        from platocr.recognition.onnx_export import onnx_session, read_onnx_metadata

        config, tokenizer, meta = read_onnx_metadata(path)
        forward = onnx_forward(onnx_session(path, device))
        return cls(forward, config, tokenizer, backend="onnx", device=device, batch_size=batch_size,
                   source=source or str(path), decode=decode, precision=meta.precision,
                   min_confidence=min_confidence)  # fmt: skip

    def predict(
        self,
        images: ImageLike | Sequence[ImageLike],
        *,
        rgb: bool = False,
        batch_size: int | None = None,
    ) -> Prediction | list[Prediction]:
        """Recognise one crop or many.

        Args:
            images: one crop — an HxW / HxWx3 uint8 array or an image path — giving one
                :class:`Prediction`; or a list of arrays/paths, or an (N, H, W, 3) uint8 batch,
                giving a list. Arrays are BGR (what OpenCV reads) unless ``rgb=True``; paths are
                read with ``preprocess.load_image``.
            rgb: arrays are in RGB order.
            batch_size: crops per forward pass, not counting their extra voting crops (default
                ``self.batch_size``).
        """
        if isinstance(images, str | Path) or (isinstance(images, np.ndarray) and images.ndim in (2, 3)):
            return self.predict_many([images], rgb=rgb, batch_size=batch_size)[0]
        if isinstance(images, np.ndarray) and images.ndim != 4:
            raise PlatocrError(
                f"expected an image or an (N, H, W, 3) batch, got an array of shape {images.shape}"
            )
        return self.predict_many(images, rgb=rgb, batch_size=batch_size)

    __call__ = predict

    def predict_many(
        self, images: Sequence[ImageLike] | np.ndarray, *, rgb: bool = False, batch_size: int | None = None
    ) -> list[Prediction]:
        """Always a list: one :class:`Prediction` per crop, in order (see :meth:`predict`)."""
        return self.predict_with_voting(images, rgb=rgb, batch_size=batch_size).predictions

    def predict_with_voting(
        self,
        images: Sequence[ImageLike] | np.ndarray,
        *,
        rgb: bool = False,
        batch_size: int | None = None,
        first_decoder: Decoder | None = None,
    ) -> VotedPredictions:
        """:meth:`predict_many`, plus the :class:`~platocr.recognition.voting.VotingRecord` of what the
        config's multi-crop ``voting`` did (every crop's read as cut, the crops that voted, the reads
        that changed).

        ``first_decoder`` decodes the crops as cut instead of the predictor's decoder and must return
        the same reads (eval passes a :class:`~platocr.tools.decoder_report.DecoderRecorder`); the extra
        crops always go through the predictor's decoder. Example::

            reads = predictor.predict_with_voting(crops)
            reads.predictions[0].text, reads.voting.changed
        """
        from platocr.recognition.preprocess import load_image, to_model_input
        from platocr.recognition.voting import VotedPredictions, VotingRecord, read_with_voting

        size = self.batch_size if batch_size is None else batch_size
        if size < 1:
            raise PlatocrError(f"batch_size must be >= 1, got {size}")
        decode_first = first_decoder or self._decoder

        def read(crops: list[np.ndarray], first: int) -> list[Prediction]:
            log_probs = self._forward(to_model_input(crops, self.config.input, rgb=rgb))
            reads = decode_first(log_probs[:first], self.tokenizer) if first else []
            return reads + (self._decoder(log_probs[first:], self.tokenizer) if first < len(crops) else [])

        result = VotedPredictions([], VotingRecord())
        for start in range(0, len(images), size):
            chunk = [self._read(item, load_image, rgb) for item in images[start : start + size]]
            predictions, voting = read_with_voting(chunk, self.config.voting, read)
            result.predictions.extend(no_read_under(predictions, self.min_confidence))
            result.voting.extend(voting)
        return result

    def log_probs(self, images: np.ndarray) -> np.ndarray:
        """Raw model output: a preprocessed (N, 3, H, W) float32 batch (``preprocess.to_model_input``)
        -> (N, T, C) float32 log-probabilities, both numpy whatever the backend."""
        return self._forward(images)

    @staticmethod
    def _read(item: ImageLike, load_image: Callable[[Any], np.ndarray], rgb: bool) -> np.ndarray:
        if isinstance(item, str | Path):
            image = load_image(item)  # BGR; PlatocrError naming the file when unreadable
            return np.ascontiguousarray(image[:, :, ::-1]) if rgb else image
        if not isinstance(item, np.ndarray):
            raise PlatocrError(f"expected an image array or a path, got {type(item).__name__}")
        return item


def shipped_onnx(name: str, device: str, int8: bool = True) -> Path | None:
    """The ONNX file shipped for the bundled model ``name``: ``<name>.int8.onnx`` on a CPU when there
    is one and ``int8`` (quantised Conv/MatMul: faster on a CPU; a GPU gains nothing from it), else
    ``<name>.onnx``; None when ``name`` is not bundled or ships no ONNX file."""
    from platocr.recognition.zoo import bundled_int8, bundled_models, bundled_onnx

    if name not in bundled_models():
        return None
    quantised = bundled_int8(name) if int8 and device == "cpu" else None
    return quantised or bundled_onnx(name)
