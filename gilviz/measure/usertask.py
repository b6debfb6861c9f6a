"""A function of the user's as the workload: found by name (`module:attribute`, the way uvicorn
and gunicorn name an app), called once per input, in whichever worker runs it.

Everything travels by name, never as a pickled function: a pool worker (thread, process or
sub-interpreter) imports the module itself, so the function needs only be importable from the
folder the user ran gilviz in (as with `python -m`). A function defined in `__main__` or inside
another function has no such name, and is refused with the reason before anything runs.
Standard library only: this module runs in the runner and in its workers.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import inspect
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from gilviz.measure.workloads import task_record


@dataclass(frozen=True)
class UserTask:
    """Which function each task calls, and where its module is found."""

    task: str
    """'module:attribute' (the attribute may be dotted: 'module:Class.method')."""
    path: str
    """The folder its module is imported from (put first on sys.path, as `python -m` does)."""
    setup: str | None = None
    """'module:attribute' of a function each worker calls once, before its first task."""


class NotFound(ValueError):
    """A name that does not lead to what it should (the message says what and where)."""


def resolve(name: str, path: str) -> Any:
    """The object `module:attribute` names, imported with `path` first on sys.path."""
    module_name, colon, attribute = name.partition(":")
    if not colon or not module_name or not attribute:
        raise NotFound(f"{name!r} is not MODULE:FUNCTION (e.g. mymodule:work)")
    if path not in sys.path:
        sys.path.insert(0, path)
    try:
        found: Any = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name.split(".")[0] and exc.name != module_name:
            raise NotFound(f"{module_name} cannot be imported: {exc}") from None
        raise NotFound(
            f"no module {module_name!r} in {path} or on {sys.executable}'s path"
        ) from None
    except Exception as exc:
        raise NotFound(f"importing {module_name} raised {type(exc).__name__}: {exc}") from None
    for part in attribute.split("."):
        try:
            found = getattr(found, part)
        except AttributeError:
            if inspect.isfunction(found):
                raise NotFound(
                    f"{name} would be a function inside another function: the runner imports "
                    f"tasks by name, so define it at the top level of {module_name}"
                ) from None
            raise NotFound(f"{module_name} has no {attribute!r}") from None
    return found


def callable_at(name: str, path: str) -> Callable[..., Any]:
    found = resolve(name, path)
    if not callable(found):
        kind = type(found).__name__
        raise NotFound(f"{name} is {'an' if kind[0] in 'aeiou' else 'a'} {kind}, not a function")
    return found  # type: ignore[no-any-return]


def is_async(user: UserTask) -> bool:
    return inspect.iscoroutinefunction(callable_at(user.task, user.path))


def source_hash(user: UserTask) -> str:
    """A short hash of the function's source (else its bytecode): results of an edited
    function are told apart from the old ones."""
    function = callable_at(user.task, user.path)
    try:
        text = inspect.getsource(function).encode()
    except (OSError, TypeError):
        code = getattr(function, "__code__", None)
        text = code.co_code if code is not None else repr(function).encode()
    return hashlib.sha256(text).hexdigest()[:12]


def inputs_at(name: str, path: str) -> list[Any]:
    """The inputs `module:attribute` names: a sequence, an iterable, or a zero-argument
    callable that returns one."""
    found = resolve(name, path)
    if callable(found):
        found = found()
    if isinstance(found, str | bytes) or not hasattr(found, "__iter__"):
        raise NotFound(f"{name} is a {type(found).__name__}, not a sequence of inputs")
    return list(found)


def name_of(function: Callable[..., Any]) -> str:
    """The `module:attribute` name a worker imports `function` by, or NotFound saying why
    it has none (defined in __main__, a notebook cell, or inside another function)."""
    module = getattr(function, "__module__", None)
    qualname = getattr(function, "__qualname__", None)
    if not module or not qualname:
        raise NotFound(f"{function!r} has no module and name to be imported by")
    if module == "__main__":
        raise NotFound(
            f"{qualname} is defined in __main__ (a script run directly, or a notebook cell): "
            "the runner imports tasks by name, so move it into a module and import it from there"
        )
    if "<locals>" in qualname or "<lambda>" in qualname:
        raise NotFound(
            f"{module}.{qualname} is a lambda or a function inside another function: the "
            "runner imports tasks by name, so define it at the top level of a module"
        )
    return f"{module}:{qualname}"


_worker = threading.local()
_functions: dict[str, Callable[..., Any]] = {}


def prepare(user: UserTask) -> None:
    """Call the user's setup once in this worker: once a thread (kept thread-local, as the
    setup's own state would be), and again in a forked child, whose copy of the thread that
    forked it must not use what the setup opened in the parent."""
    if user.setup is None:
        return
    done: set[tuple[int, str]] = _worker.__dict__.setdefault("prepared", set())
    if (os.getpid(), user.setup) in done:
        return
    done.add((os.getpid(), user.setup))
    callable_at(user.setup, user.path)()


def _function(user: UserTask) -> Callable[..., Any]:
    function = _functions.get(user.task)
    if function is None:
        function = _functions[user.task] = callable_at(user.task, user.path)
    return function


class UserTaskFailed(Exception):
    """The user's function raised, or tried to leave (sys.exit): the task failed."""


def run(user: UserTask, index: int, value: Any, fail: bool) -> dict[str, Any]:
    """Call the user's function on one input where this is called (a worker)."""
    if fail:
        raise UserTaskFailed(f"injected fault in task {index}")
    prepare(user)
    function = _function(user)
    start, cpu_start = time.monotonic(), time.thread_time()
    try:
        if inspect.iscoroutinefunction(function):  # off the asyncio executor: a loop a call
            result = asyncio.run(function(value))
        else:
            result = function(value)
    except SystemExit as exc:  # a task may not end its worker
        raise UserTaskFailed(f"called sys.exit({exc.code!r})") from None
    return task_record(index, start, cpu_start, result)


async def run_async(user: UserTask, index: int, value: Any, fail: bool) -> dict[str, Any]:
    """Await the user's coroutine function on one input (the asyncio executor)."""
    if fail:
        raise UserTaskFailed(f"injected fault in task {index}")
    prepare(user)
    start, cpu_start = time.monotonic(), time.thread_time()
    try:
        result = await _function(user)(value)
    except SystemExit as exc:
        raise UserTaskFailed(f"called sys.exit({exc.code!r})") from None
    return task_record(index, start, cpu_start, result)


class SameAsSerial:
    """Each input's result as the first run gave it (the serial baseline's), and how many
    later results differed from it: compared with ==, so a set's order or hash
    randomisation in another process never counts as a difference."""

    def __init__(self) -> None:
        self.first: dict[int, Any] = {}
        self.first_differing: int | None = None

    def check(self, index: int, value: Any) -> bool:
        if index not in self.first:
            self.first[index] = value
            return True
        try:
            same = bool(self.first[index] == value)
        except Exception:
            same = False
        if not same and self.first_differing is None:
            self.first_differing = index
        return same


def failing_input(inputs: Sequence[Any], index: int | None) -> str:
    """The input a failed task had, shown short."""
    if index is None or not 0 <= index < len(inputs):
        return ""
    shown = repr(inputs[index])
    return f" (input {shown[:80] + '…' if len(shown) > 80 else shown})"
