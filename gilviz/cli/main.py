"""Command line: `gilviz` opens the app; `gilviz run|list|results` work headless."""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from gilviz.analysis import report
from gilviz.analysis.engine import CellDone, Event, Finished, run_experiment
from gilviz.analysis.pythons import Describer, Python, candidates, resolve
from gilviz.analysis.results import Result
from gilviz.analysis.store import ResultStore, default_results_path
from gilviz.app.choice import Choice
from gilviz.measure.environment import usable_cores
from gilviz.measure.executors import availability
from gilviz.measure.workloads import WORKLOADS
from gilviz.protocol.events import Calibrated
from gilviz.protocol.spec import (
    EXECUTORS,
    MAX_REPEAT,
    MAX_SIZE,
    MAX_TASKS,
    MAX_WARMUP,
    MAX_WORKERS,
    PACES,
    ExperimentSpec,
    Variant,
    default_workers,
    parse_choice,
    parse_count,
    parse_counts,
    parse_fault,
    parse_gil_settings,
    parse_switch_intervals,
    parse_task_name,
    parse_timeout,
    sized_alike,
    sweep_cells,
    task_seconds,
    variants,
)


class Parser(argparse.ArgumentParser):
    """argparse that reports bad input as one clear line and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def _checked(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    def convert(text: str) -> Any:
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = parse.__name__
    return convert


workload_arg = _checked(lambda t: parse_choice(t, "workload", list(WORKLOADS)))
executors_arg = _checked(
    lambda t: [parse_choice(e, "executor", list(EXECUTORS)) for e in t.split(",")]
)
workers_arg = _checked(lambda t: parse_counts(t, "workers", MAX_WORKERS))
tasks_arg = _checked(lambda t: parse_count(t, "tasks", MAX_TASKS))
size_arg = _checked(lambda t: parse_count(t, "size", MAX_SIZE))
repeat_arg = _checked(lambda t: parse_count(t, "repeat", MAX_REPEAT))
warmup_arg = _checked(lambda t: parse_count(t, "warmup", MAX_WARMUP, minimum=0))
executor_arg = _checked(lambda t: parse_choice(t, "executor", list(EXECUTORS)))
one_workers_arg = _checked(lambda t: parse_count(t, "workers", MAX_WORKERS))
DEFAULT_REPEAT = 3
"""pyperf's practice, scaled to a terminal: a warm-up round, then enough runs for a median
and a spread; a cell with one run cannot say whether it was stable."""
DEFAULT_WARMUP = 1
pythons_arg = _checked(lambda t: resolve(t))
switch_arg = _checked(parse_switch_intervals)
gil_arg = _checked(parse_gil_settings)


def _add_experiment_options(parser: argparse.ArgumentParser, *, sweep: bool) -> None:
    """The options of one experiment: a sweep (`gilviz run`) takes lists of executors and
    worker counts; the app takes one of each (it sweeps with the s key)."""
    parser.add_argument("--workload", type=workload_arg, default="cpu", help="what each task does")
    if sweep:
        parser.add_argument(
            "--executor",
            type=executors_arg,
            default=["threads", "processes"],
            help="how tasks run; comma-separated for a sweep (default: threads,processes)",
        )
        parser.add_argument(
            "--workers", type=workers_arg, help="worker counts, e.g. 1,2,4 (default: 1..cores)"
        )
    else:
        parser.add_argument(
            "--executor", type=executor_arg, default="threads", help="how tasks run"
        )
        parser.add_argument(
            "--workers", type=one_workers_arg, help="worker count (default: the usable cores)"
        )
    parser.add_argument(
        "--task",
        type=_checked(parse_task_name),
        metavar="MODULE:FUNCTION",
        help="your own function as the workload, called once per input (imported from this "
        "folder, as with python -m)",
    )
    parser.add_argument(
        "--inputs",
        type=_checked(parse_task_name),
        metavar="MODULE:NAME",
        help="with --task: its inputs, a sequence or a function returning one (default: the "
        "task's number, 0..tasks-1)",
    )
    parser.add_argument(
        "--setup",
        type=_checked(parse_task_name),
        metavar="MODULE:FUNCTION",
        help="with --task: called once in each worker before its first task",
    )
    parser.add_argument(
        "--task-timeout",
        type=_checked(parse_timeout),
        metavar="SECONDS",
        help="with --task: a cell whose tasks stop returning for this long fails, and the "
        "cells left run in a fresh runner (default: no limit)",
    )
    parser.add_argument("--tasks", type=tasks_arg, help="tasks per run (default: 2 x max workers)")
    parser.add_argument("--size", type=size_arg, help="task size (default: calibrated to the pace)")
    parser.add_argument(
        "--pace",
        choices=list(PACES),
        default="quick" if sweep else "watch",
        help="watch: cells of a few seconds; quick: tasks of ~0.2 s (default: %(default)s)",
    )
    parser.add_argument(
        "--repeat",
        type=repeat_arg,
        default=DEFAULT_REPEAT,
        help="measured runs per cell: median, spread and stability (default: %(default)s)",
    )
    results = parser.add_mutually_exclusive_group()
    results.add_argument(
        "--results",
        type=Path,
        help="results file (default: $GILVIZ_RESULTS or ~/.local/share/gilviz/results.jsonl)",
    )
    results.add_argument("--no-save", action="store_true", help="do not append results to a file")


def build_parser() -> Parser:
    parser = Parser(prog="gilviz", description="See how Python runs work in parallel.")
    _add_experiment_options(parser, sweep=False)
    commands = parser.add_subparsers(dest="command", parser_class=Parser)

    run = commands.add_parser("run", help="run experiments headless and print the results")
    _add_experiment_options(run, sweep=True)
    run.add_argument(
        "--warmup",
        type=warmup_arg,
        default=DEFAULT_WARMUP,
        help="rounds of every cell run first and not kept (default: %(default)s)",
    )
    run.add_argument(
        "--start-method",
        choices=multiprocessing.get_all_start_methods(),
        help="how the processes executor starts workers (default: the platform's)",
    )
    run.add_argument(
        "--python",
        type=pythons_arg,
        metavar="PYTHON[,PYTHON...]",
        help="run the experiment under these Pythons, each with its own baseline: versions "
        "found here (3.12, 3.13t; gilviz list) or paths",
    )
    run.add_argument(
        "--gil",
        type=gil_arg,
        metavar="on,off",
        help="on a free-threaded build, run with PYTHON_GIL=1 and/or =0, side by side",
    )
    run.add_argument(
        "--switch-interval",
        type=switch_arg,
        metavar="MS[,MS...]",
        help="sys.setswitchinterval in the runner (CPython's default: 5 ms); several make a "
        "sweep that times an I/O thread's latency beside each cell",
    )
    run.add_argument(
        "--inject-fault",
        type=_checked(parse_fault),
        metavar="EXECUTOR:TASK",
        help="fault drill: in that executor's cells, that task raises",
    )
    run.add_argument("--format", choices=report.FORMATS, default="table")
    run.add_argument(
        "--timeline", action="store_true", help="print each cell's measured timeline as lanes"
    )
    run.add_argument(
        "--stacks",
        action="store_true",
        help="also sample a built-in workload's stacks (a function of yours always is): the "
        "workers' states measured as for code that stamps nothing, beside the recorder's",
    )
    run.add_argument(
        "--trace",
        type=Path,
        metavar="FILE",
        help="write the timelines as a Chrome trace (open it in Perfetto or chrome://tracing)",
    )

    tour = commands.add_parser(
        "tour", help="the GIL's claims one by one, each tried and concluded on this machine"
    )
    tour.add_argument(
        "--format",
        choices=("text", "markdown"),
        default="text",
        help="markdown writes the same as a report (default: %(default)s)",
    )
    tour.add_argument(
        "--repeat",
        type=repeat_arg,
        default=3,
        help="measured rounds per step, each with its own baseline run (default: %(default)s)",
    )
    tour.add_argument(
        "--pace",
        choices=list(PACES),
        default="quick",
        help="quick: tasks of 0.1 s; watch: tasks of 0.4 s (default: %(default)s)",
    )
    serve = commands.add_parser(
        "serve", help="the app in a web browser (textual-serve), with these experiment options"
    )
    _add_experiment_options(serve, sweep=False)
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: %(default)s, this machine only)",
    )
    serve.add_argument("--port", type=int, default=8000, help="port (default: %(default)s)")
    serve.add_argument(
        "--public-url",
        metavar="URL",
        help="the address browsers are sent to, e.g. http://my-laptop.local:8000 (default: "
        "this host and port; for 0.0.0.0, this machine's address on its network)",
    )
    commands.add_parser("list", help="list workloads and executors")
    results = commands.add_parser(
        "results", help="show saved results, one table per workload and environment"
    )
    results.add_argument("--results", type=Path, help="results file to read")
    results.add_argument("--format", choices=report.FORMATS, default="table")
    results.add_argument("--workload", type=workload_arg, help="only this workload's results")
    results.add_argument(
        "--executor", type=executors_arg, help="only these executors (comma-separated)"
    )
    results.add_argument(
        "--last",
        type=_checked(lambda t: parse_count(t, "last", MAX_TASKS)),
        metavar="N",
        help="only the N most recent results (after the other filters)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _exit_cleanly_on_hangup()
    try:
        return _dispatch(args)
    except BrokenPipeError:  # e.g. `gilviz results | head`
        sys.stderr.close()
        return 0


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "run":
        return cmd_run(args)
    if args.command == "list":
        return cmd_list()
    if args.command == "tour":
        return cmd_tour(args)
    if args.command == "serve":
        return cmd_serve(args)
    if args.command == "results":
        return cmd_results(args)
    return cmd_app(args)


def _exit_cleanly_on_hangup() -> None:
    """SIGTERM and SIGHUP (an SSH session dropping) unwind like Ctrl-C, so runners are killed."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, interrupt)


def _store(args: argparse.Namespace) -> ResultStore | None:
    """Where results go, refused before anything runs if no line could be appended there."""
    if getattr(args, "no_save", False):
        return None
    chosen = args.results or os.environ.get("GILVIZ_RESULTS")
    path = Path(chosen) if chosen else default_results_path()
    if path.is_dir():
        _refuse(f"results file {path} is a folder: name a file in it")
    if chosen and not path.parent.is_dir():  # only the default data folder is made for you
        _refuse(f"results file {path}: there is no folder {path.parent}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "ab"):
            pass
    except OSError as exc:
        _refuse(f"results file {path} cannot be written: {exc.strerror}")
    return ResultStore(path)


def _refuse(message: str) -> NoReturn:
    """Bad input: one clear line on stderr and exit status 2."""
    print(f"gilviz: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def _refuse_unavailable(executors: list[str]) -> None:
    for executor in executors:
        available, reason = availability(executor)
        if not available:
            _refuse(f"executor {executor} is unavailable: {reason}")


def _check_task_options(args: argparse.Namespace) -> None:
    if (args.inputs or args.setup or args.task_timeout) and not args.task:
        _refuse("--inputs, --setup and --task-timeout go with --task MODULE:FUNCTION")
    if args.task and args.size is not None:
        print(
            "gilviz: note: --size does not apply to --task: one input is one task", file=sys.stderr
        )


def cmd_run(args: argparse.Namespace) -> int:
    if args.python is None:
        _refuse_unavailable(args.executor)
    if args.trace is not None and not args.trace.parent.resolve().is_dir():
        _refuse(f"--trace {args.trace}: no folder {args.trace.parent} to write it in")
    workers = args.workers or default_workers(usable_cores())
    tasks = args.tasks or 2 * max(workers)
    if args.inject_fault is not None and args.inject_fault.workers >= tasks:
        fault = args.inject_fault
        _refuse(
            f"--inject-fault {fault.executor}:{fault.workers}: there are {tasks} tasks, "
            f"numbered 0 to {tasks - 1}"
        )
    if args.timeline and args.format in ("csv", "markdown"):
        print(
            f"gilviz: note: --timeline draws lanes in the table format only; {args.format} "
            "keeps each cell's overlap and shares",
            file=sys.stderr,
        )
    _check_task_options(args)
    spec = ExperimentSpec(
        workload=args.task or args.workload,
        task=args.task,
        task_path=os.getcwd() if args.task else "",
        setup=args.setup,
        inputs=args.inputs,
        task_timeout_s=args.task_timeout,
        cells=sweep_cells(args.executor, workers),
        tasks=tasks,
        size=None if args.task else args.size,
        repeat=args.repeat,
        warmup=args.warmup,
        start_method=args.start_method,
        fault=args.inject_fault,
        task_s=task_seconds(args.pace, tasks, args.repeat),
        trace=args.trace is not None,  # every interval travels only when a trace is asked for
        stacks=args.stacks,
    )
    store = _store(args)
    traced: list[CellDone] = []
    from gilviz.cli.progress import RunDisplay

    with RunDisplay(enabled=sys.stderr.isatty()) as display:
        sizes: dict[str | None, int] = {}
        python: str | None = None

        def on_event(event: Event) -> None:
            nonlocal store
            display.show(event)
            if isinstance(event, Calibrated):
                sizes.setdefault(python, event.size)
                if event.given:
                    display.note(_estimate_words(event, spec))
            if not isinstance(event, CellDone):
                return
            traced.append(event)
            if store is not None:
                try:
                    store.append(event.result)
                except OSError as exc:
                    print(
                        f"gilviz: warning: results not saved to {store.path}: {exc}",
                        file=sys.stderr,
                    )
                    store = None
            if event.failure is not None:
                display.note(f"{event.failure.cell.label} failed: {event.failure.reason}")

        runs: list[Finished] = []
        try:
            for variant in _variants(args, spec):
                python, sized = sized_alike(variant, sizes)
                runs.append(run_experiment(sized, python, on_event))
                if runs[-1].cancelled or runs[-1].refused:
                    break
        except KeyboardInterrupt:
            display.note("cancelled: the runner and its workers were stopped")
            return 130
    finished = Finished.of(runs)
    if finished.refused:
        _refuse(str(finished.error))
    _print_results(finished.results, args.format, args.timeline)
    if args.trace is not None:
        _write_trace(args.trace, traced)
    return _exit_status(finished)


def _estimate_words(event: Calibrated, spec: ExperimentSpec) -> str:
    """How long a given size will take, said before anything of it runs."""
    rounds = spec.warmup + spec.repeat
    serial = event.task_s * spec.tasks * rounds
    return (
        f"size {event.size}: about {report.duration_words(event.task_s)} a task on this "
        f"machine; the serial baseline alone takes about {report.duration_words(serial)} "
        f"({spec.tasks} tasks, {rounds} round{'s' if rounds > 1 else ''})"
    )


def _variants(args: argparse.Namespace, spec: ExperimentSpec) -> list[Variant]:
    """The experiment under each Python, GIL setting and switch interval asked for; --gil
    only where the build can turn its GIL off."""
    runs: list[Variant] = []
    for python in args.python or [None]:
        gils = args.gil
        if gils and not _free_threaded(python):
            print(
                f"gilviz: note: --gil does nothing under {python or sys.executable}: a GIL "
                f"build always runs with the GIL on, so it runs once",
                file=sys.stderr,
            )
            gils = None
        runs += variants(spec, [python], args.switch_interval or (), gils or ())
    return runs


def _free_threaded(python: str | None) -> bool:
    (described,) = Describer().describe([python or sys.executable])
    return described.free_threaded


def _write_trace(path: Path, done: list[CellDone]) -> None:
    from gilviz.analysis.trace import chrome_trace

    try:
        path.write_text(json.dumps(chrome_trace([(d.result, d.trace or []) for d in done])))
    except OSError as exc:
        print(f"gilviz: warning: trace not written to {path}: {exc.strerror}", file=sys.stderr)
        return
    print(
        f"gilviz: trace written to {path} (open it in Perfetto or chrome://tracing)",
        file=sys.stderr,
    )


def _exit_status(finished: Finished) -> int:
    if finished.error:
        print(f"gilviz: experiment failed: {finished.error}", file=sys.stderr)
    return 0 if finished.ok else 1


def _print_results(results: list[Result], fmt: str, timelines: bool = False) -> None:
    if fmt == "json":
        print(report.to_json(results))
    elif fmt == "csv":
        print(report.to_csv(results), end="")
    elif fmt == "markdown":
        print(report.to_markdown(results), end="")
    else:
        from gilviz.cli.progress import print_table

        print_table(results, timelines)


def cmd_serve(args: argparse.Namespace) -> int:
    from gilviz.app.serve import public_url, serve

    app_args = [f"--workload={args.workload}", f"--executor={args.executor}"]
    app_args += [f"--pace={args.pace}", f"--repeat={args.repeat}"]
    _check_task_options(args)
    for option in ("workers", "tasks", "size", "results", "task", "inputs", "setup"):
        value = getattr(args, option)
        if value is not None:
            app_args.append(f"--{option}={value}")
    if args.task_timeout is not None:
        app_args.append(f"--task-timeout={args.task_timeout:g}")
    if args.no_save:
        app_args.append("--no-save")
    try:
        url = public_url(args.host, args.port, args.public_url)
    except ValueError as exc:
        _refuse(str(exc))
    with contextlib.suppress(KeyboardInterrupt):  # ctrl+c is how it stops
        serve(args.host, args.port, app_args, url)
    return 0


def cmd_tour(args: argparse.Namespace) -> int:
    from gilviz.analysis import tour

    def run(spec: ExperimentSpec, python: str | None) -> list[Result]:
        if args.format == "text":
            under = f" under {python}" if python else ""
            print(f"… running {spec.workload} on {spec.cells[0].label}{under}", file=sys.stderr)
        finished = run_experiment(spec, python)
        if finished.error:
            print(f"gilviz: warning: {finished.error}", file=sys.stderr)
        return finished.results

    try:
        pythons = Describer().describe(candidates())
        pace = tour.Pace(args.repeat, args.pace)
        outcomes = tour.run_tour(run, usable_cores(), pythons, pace)
    except KeyboardInterrupt:
        print("gilviz: tour cancelled", file=sys.stderr)
        return 130
    if args.format == "markdown":
        print(tour.to_markdown(outcomes), end="")
    else:
        for n, o in enumerate(outcomes, 1):
            print(f"{n}. {o.step.title}\n   {o.step.claim}\n   → {o.conclusion}\n")
        print(tour.closing_table(outcomes), end="")
    return 0


def cmd_list() -> int:
    print("Workloads (--workload):")
    for w in WORKLOADS.values():
        print(f"  {w.name:<8} {w.summary}")
    print("\nExecutors (--executor):")
    for name, summary in EXECUTORS.items():
        available, reason = availability(name)
        status = "" if available else f"  [unavailable: {reason}]"
        print(f"  {name:<13} {summary}{status}")
    print(
        f"\nThis machine: {usable_cores()} usable cores; start methods: "
        f"{', '.join(multiprocessing.get_all_start_methods())}"
    )
    print("\nPythons (--python):")
    for line in python_lines(Describer().describe(candidates())):
        print(f"  {line}")
    return 0


def python_lines(pythons: list[Python]) -> list[str]:
    """A line per Python: its path, what it is, its GIL, and whether gilviz can run on it."""
    width = max((len(p.path) for p in pythons), default=0)
    lines = []
    for python in pythons:
        if python.error:
            lines.append(f"{python.path:<{width}}  ?  {python.error}")
            continue
        gil = f"GIL {'on' if python.gil_default else 'off'} by default"
        build = f"free-threaded, {gil}" if python.free_threaded else "GIL build"
        usable = "" if python.runs_gilviz else "  [too old: the runner needs 3.11+]"
        lines.append(f"{python.path:<{width}}  {python.label:<16} {build}{usable}")
    return lines


def cmd_results(args: argparse.Namespace) -> int:
    if args.results is not None and not args.results.is_file():
        _refuse(f"--results {args.results}: no such file")
    loaded = ResultStore(args.results or default_results_path()).load()
    for warning in loaded.warnings:
        print(f"gilviz: warning: {warning}", file=sys.stderr)
    chosen = [
        r
        for r in loaded.results
        if (args.workload is None or r.workload == args.workload)
        and (args.executor is None or r.executor in args.executor)
    ]
    if args.last is not None:
        chosen = chosen[-args.last :]
    _print_results(chosen, args.format)
    return 0


def cmd_app(args: argparse.Namespace) -> int:
    _check_task_options(args)
    choice = Choice(
        workload=args.task or args.workload,
        task_path=os.getcwd() if args.task else "",
        inputs=args.inputs,
        setup=args.setup,
        task_timeout_s=args.task_timeout,
        executor=args.executor,
        workers=args.workers or min(usable_cores(), MAX_WORKERS),
        tasks=args.tasks,
        size=None if args.task else args.size,
        pace=args.pace,
        repeat=args.repeat,
    )
    from gilviz.app.app import GilvizApp

    GilvizApp(choice=choice, store=_store(args)).run()
    return 0
