"""Text formats both reading and synthesis rely on: EAN/UPC check digits (``ean``) and Russian plate
formats and region codes (``plates_ru``)."""
