"""Every message the runner sends, typed, with the one encode and the one decode both sides use.

One JSON object a line, `{"type": "progress", ...fields}`, in this order: `Hello` first (it
carries PROTOCOL, so a runner from another gilviz version is refused by name), `Calibrated`,
then per cell run `CellStarted`, `Progress` and `TimelineUpdate` as it goes, then
`CellMeasured` or `CellFailed`; the last line is `Done` or `Fatal`. Standard library only.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

from gilviz.protocol.spec import Cell

PROTOCOL = 2
"""Changes whenever a message changes shape; the viewer refuses a runner that says another."""
QUOTED = 200
"""Characters of a line that could not be read, quoted in the failure that reports it."""


@dataclass(frozen=True)
class Hello:
    """The runner is up: its process, where it runs, and its own threads (not workers)."""

    pid: int
    env: dict[str, Any]
    service_tids: list[int]
    protocol: int = PROTOCOL


@dataclass(frozen=True)
class Calibrated:
    """The task size, before any task of it runs, and how long one should take alone."""

    size: int
    task_s: float
    unit: str
    given: bool = False
    """The size was given (task_s is calibration's estimate for it), not calibrated."""


@dataclass(frozen=True)
class TaskFound:
    """A user's function, found by name before anything runs: one task per input."""

    task: str
    source_hash: str
    """A short hash of its source: results of an edited function are told apart."""
    inputs: int
    is_async: bool


@dataclass(frozen=True)
class CellStarted:
    cell: Cell
    repeat: int
    """The round: negative for warm-up rounds, which are not kept."""


@dataclass(frozen=True)
class Progress:
    cell: Cell
    done: int
    total: int
    workers_seen: int
    probe_ms: float
    """How late the runner's probe last woke."""
    probe_queue_ms: float | None = None
    """The part of that it waited on the OS run queue (None: unknown); the rest is the GIL."""


@dataclass(frozen=True)
class TimelineUpdate:
    """What the workers of the running cell recorded since the last update (live view).

    `lanes`: (lane index, pid, flat [state, start_us, end_us, ...]) with times from the cell's
    start and raw states (a STALL is not yet classified), or, for a user's function, states
    classified from stack samples; `now_us`: the runner's clock then; `own`: the indices of
    lanes that are threads the user's function started itself.
    """

    cell: Cell
    now_us: int
    lanes: list[tuple[int, int, list[int]]]
    own: list[int] = dataclasses.field(default_factory=list)


@dataclass(frozen=True)
class CellMeasured:
    """A cell's runs, all of them kept: the raw figures a Result is made from."""

    cell: Cell
    tasks: int
    size: int
    walls: list[float]
    startups: list[float]
    cpu_totals: list[float]
    process_cpus: list[float]
    other_cores: float | None
    bytes_moved: int
    bad_checksums: int
    per_worker: list[dict[str, Any]]
    records: list[dict[str, Any]]
    probe_p50_ms: float
    probe_p99_ms: float
    probe_queue_p99_ms: float | None = None
    probe_gil_p99_ms: float | None = None
    echo_p50_ms: float | None = None
    echo_p99_ms: float | None = None
    overlap: float | None = None
    handoffs_per_s: float | None = None
    timeline: dict[str, Any] | None = None
    """The compact recorded timeline (lanes the app draws, figures)."""
    trace: list[list[tuple[int, int, int]]] | None = None
    """Every classified interval of the last run, in µs: only when the spec asks (a trace)."""
    chunk: int = 1
    """Tasks a pool worker was handed at once (1 unless tasks were tinier than a hand-off)."""
    sampled: dict[str, Any] | None = None
    """The task threads' stack samples (`gilviz.measure.stacks.Sampled.to_wire`), when
    sampled: ns per state and per user line."""


@dataclass(frozen=True)
class CellFailed:
    cell: Cell
    reason: str
    task: int | None = None
    traceback: str = ""


@dataclass(frozen=True)
class Fatal:
    """The experiment could not go on (or was refused before it began)."""

    reason: str
    refused: bool = False
    traceback: str = ""


@dataclass(frozen=True)
class Done:
    """The experiment ran to its end."""


Message = (
    Hello
    | Calibrated
    | TaskFound
    | CellStarted
    | Progress
    | TimelineUpdate
    | CellMeasured
    | CellFailed
    | Fatal
    | Done
)
KINDS: dict[str, type[Message]] = {
    "hello": Hello,
    "calibrated": Calibrated,
    "task_found": TaskFound,
    "cell_started": CellStarted,
    "progress": Progress,
    "timeline": TimelineUpdate,
    "cell_measured": CellMeasured,
    "cell_failed": CellFailed,
    "fatal": Fatal,
    "done": Done,
}
NAMES = {kind: name for name, kind in KINDS.items()}


class ProtocolError(ValueError):
    """A line from the runner that is not one of its messages (the line is quoted, cut)."""


def encode(message: Message) -> str:
    """One line of JSON, without its newline."""
    fields = {f.name: getattr(message, f.name) for f in dataclasses.fields(message)}
    if "cell" in fields:
        fields["cell"] = dataclasses.asdict(fields["cell"])
    return json.dumps({"type": NAMES[type(message)], **fields}, separators=(",", ":"))


def decode(line: str) -> Message:
    """The message a line holds, or ProtocolError saying what is wrong with it."""
    try:
        raw = json.loads(line)
    except ValueError:
        raise ProtocolError(f"a line that is not JSON from the runner: {_quote(line)}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
        raise ProtocolError(f"a line with no message type from the runner: {_quote(line)}")
    name = raw.pop("type")
    kind = KINDS.get(name)
    if kind is None:
        raise ProtocolError(f"an unknown message {name!r} from the runner: {_quote(line)}")
    if kind is Hello:
        raw.setdefault("protocol", 1)  # the runners before the protocol had a number
    try:
        if "cell" in raw:
            raw["cell"] = Cell(**raw["cell"])
        return kind(**raw)
    except (TypeError, ValueError) as exc:
        why = str(exc).splitlines()[0]
        raise ProtocolError(f"a {name} message that does not fit ({why}): {_quote(line)}") from None


def _quote(line: str) -> str:
    line = line.rstrip("\n")
    return repr(line if len(line) <= QUOTED else line[:QUOTED] + "…")
