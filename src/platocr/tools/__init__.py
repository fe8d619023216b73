"""The work behind the commands: probe, evaluate, gallery, read, audit, bench and the demo tour.

Each is an importable function; ``platocr.cli`` is a thin layer over them.
"""
