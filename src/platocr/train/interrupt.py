"""Ctrl-C during training: stop after the current step, save ``last.pt``, say how to resume.

The first Ctrl-C only sets the event of :func:`platocr.interrupts.ctrl_c_requested`, which the step
loop reads before each step, so the weights, optimizer and scheduler are saved as they are between
two steps; a second Ctrl-C interrupts at once (the run is still saved, from wherever the step was).
Loader workers ignore Ctrl-C (``prepare``).
"""

from __future__ import annotations

from pathlib import Path


class TrainInterrupted(KeyboardInterrupt):
    """Training stopped by Ctrl-C; ``saved`` tells whether ``run_dir/last.pt`` can be resumed."""

    def __init__(self, run_dir: Path, step: int, saved: bool) -> None:
        super().__init__(str(run_dir))
        self.run_dir, self.step, self.saved = run_dir, step, saved

    def line(self) -> str:
        if not self.saved:
            return "interrupted before the first step: nothing to resume"
        return f"interrupted: resume with: platocr train --resume {self.run_dir}"
