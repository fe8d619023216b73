"""The recognition core: config, tokenizer, preprocessing, decoding, multi-crop voting, the Predictor,
checkpoints, the bundled model zoo, ONNX export/int8, metrics and the barcode bar reader.

It never imports ``platocr.train``, ``platocr.synth``, ``platocr.tools`` or ``platocr.cli`` (a test
holds it to that), so reading needs none of the training stack.
"""
