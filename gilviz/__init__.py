"""gilviz: watch and measure how Python runs work in parallel.

Two programs that talk over a pipe, in packages that say which side they are on (each
imports only the layers below it; pyproject.toml's import-linter contracts check it):

- `gilviz.protocol`: what travels between them: the spec of what to run, and every event the
  runner sends, typed, with one encode and one decode. Standard library only.
- `gilviz.measure`: the runner side, started under whichever Python is being measured: it
  owns the GIL under study, runs the cells, measures them and sends events. Standard library
  only, so it runs under any Python >= 3.11 with nothing installed.
- `gilviz.analysis`: the viewer's engine and what it makes of the figures: it starts runners
  and reads their events, makes each cell one Result (verdict and stability included), and
  writes reports, traces and the results file. No Textual.
- `gilviz.app`: the Textual app and its panels, the live run's state, the CPU sampler, the
  browser view.
- `gilviz.cli`: the command line, which runs experiments headless or launches the app.

`gilviz.compare(function, inputs)` runs the comparison from a script or a notebook.

docs/ARCHITECTURE.md draws the data flow and says where a new workload, executor, panel or
verdict rule goes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["compare"]

if TYPE_CHECKING:
    from gilviz.analysis.compare import compare


def __getattr__(name: str) -> Any:
    """`gilviz.compare` is imported on first use, so the runner's `import gilviz` stays light."""
    if name == "compare":
        from gilviz.analysis.compare import compare

        return compare
    raise AttributeError(f"module 'gilviz' has no attribute {name!r}")
