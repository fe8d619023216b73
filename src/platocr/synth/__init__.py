"""Synthetic training data: barcode photos and Russian plate crops.

Submodules: ``effects`` (generic photo effects), ``backgrounds`` (random backdrops), ``symbology``
(EAN/UPC encoding and check digits), ``barcodes`` (barcode photo dataset), ``plates`` (plate crops).
Kept import-light on purpose: nothing heavy is imported here.
"""
