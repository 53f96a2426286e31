"""The worker processes: fresh interpreters fed ``(function, task)`` messages through pipes.

A worker is a fresh interpreter (``python -c``) that imports :data:`PRELOAD`, says it is
ready, and then runs the messages it reads from its standard input, answering on a private
copy of its standard output. Workers are neither forked from the main process (a fork of a
1 GB process shows up at full size in every resident-memory measure, and is unsafe while
other threads hold locks) nor started through :mod:`multiprocessing` (whose spawn and
fork-server workers import the caller's main module again, which re-runs a user's script
that lacks ``if __name__ == "__main__"``). :data:`POOL` keeps them for the life of the
process, so later stages reuse them; they end when the main process does (their pipe closes).

This module is the mechanism; :mod:`umkm_alloc.parallel` decides when and how many.
"""

from __future__ import annotations

import atexit
import os
import pickle
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import IO, Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: Modules every worker process imports when it starts. Each must be light (no pandas): a
#: worker's resident memory is what it imported plus its task.
PRELOAD = (
    "numpy",
    "umkm_alloc.allocate.solve",
    "ortools.graph.python.min_cost_flow",
)
#: Environment of the worker processes beyond the caller's: one BLAS thread each. Every
#: worker is one thread of work by design (``--jobs`` counts them); OpenBLAS would start a
#: pool of its own per process at numpy's import, 0.1 s of CPU each that competes with the
#: main process's start on a small machine. A value the user set is kept.
WORKER_ENV = {"OPENBLAS_NUM_THREADS": "1"}
#: What a worker sends once it has imported :data:`PRELOAD`, before any reply.
_READY = "ready"
#: How a worker process starts: set its module path, import the worker loop, serve.
_BOOT = (
    "import pickle, sys; sys.path[:] = pickle.load(sys.stdin.buffer); "
    "from umkm_alloc.processes import _serve; _serve()"
)


class Worker:
    """One worker process: a fresh interpreter serving ``(function, task)`` messages."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _BOOT],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            close_fds=True,
            env={**WORKER_ENV, **os.environ},
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.reaper: threading.Thread | None = None  # waits for its end after close
        self._to: IO[bytes] = self.proc.stdin
        self._from: IO[bytes] = self.proc.stdout
        pickle.dump(list(sys.path), self._to)
        self._to.flush()
        self.broken = False
        self._ready = False
        self._ready_lock = threading.Lock()

    def wait_ready(self) -> bool:
        """Wait until the worker has imported :data:`PRELOAD`; ``False`` if it ended first."""
        try:
            self._await_ready()
        except (EOFError, OSError, ValueError, pickle.UnpicklingError):  # ended, or closed
            return False
        return True

    def _await_ready(self) -> None:
        with self._ready_lock:
            if not self._ready:
                if pickle.load(self._from) != _READY:
                    raise pickle.UnpicklingError("a worker process did not say it was ready")
                self._ready = True

    def call(self, fn: Callable[[T], R], task: T) -> R:
        """Run ``fn(task)`` in the worker; return its result or raise its exception."""
        try:
            pickle.dump((fn, task), self._to, protocol=pickle.HIGHEST_PROTOCOL)
            self._to.flush()
            self._await_ready()
            ok, value = pickle.load(self._from)
        except (EOFError, OSError, pickle.UnpicklingError) as exc:
            self.broken = True
            code = self.proc.poll()
            raise RuntimeError(
                f"a worker process ended unexpectedly (exit code {code}); run again with "
                "--jobs 1 to work in one process, and report this"
            ) from exc
        if not ok:
            raise value
        return value

    def close(self, *, kill: bool = False, wait: bool = True) -> None:
        """Let the worker end (its input closes), or kill it; then wait for its end.

        Without ``wait`` a daemon thread waits (a worker takes 0.05 s to end; the caller
        need not spend it).
        """
        try:
            if kill:
                self.proc.kill()
            self._to.close()
        except OSError:
            pass
        if wait:
            self._reap()
        else:
            self.reaper = threading.Thread(target=self._reap, daemon=True, name="umkm-alloc-reap")
            self.reaper.start()

    def _reap(self) -> None:
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._from.close()


class Pool:
    """The process's worker processes, started on demand and kept for later stages."""

    def __init__(self) -> None:
        self._workers: list[Worker] = []
        self._ending: list[Worker] = []  # let go without waiting (shutdown(wait=False))
        self._lock = threading.Lock()
        self._atexit = False
        self._owner = os.getpid()
        self._generation = 0  # a shutdown cancels the starts still pending (start_after)
        self._pending: int | None = None  # the generation of the start pending, if any
        self.starter: threading.Thread | None = None

    def start_after(self, first: int, n: int) -> None:
        """Start ``first`` workers now and the rest up to ``n`` once those are ready.

        On a machine with no spare core the workers' own start (an interpreter, numpy and
        OR-Tools) competes with the caller's; started one after another they take the core
        the caller does not use. A :meth:`start` or :meth:`lease` meanwhile starts the rest
        at once; a :meth:`shutdown` cancels them.
        """
        with self._lock:
            early = self._start(first)
            generation = self._generation  # a shutdown from here on cancels the rest
            if n <= first or self._pending == generation:
                return  # one pending start is enough (the CLI and the pipeline both warm up)
            self._pending = generation

        def rest() -> None:
            for worker in early:
                worker.wait_ready()
            with self._lock:
                if generation == self._generation:
                    self._start(n)
                if self._pending == generation:
                    self._pending = None

        self.starter = threading.Thread(target=rest, daemon=True, name="umkm-alloc-start")
        self.starter.start()

    def start(self, n: int) -> list[Worker]:
        """Make sure ``n`` live workers exist; return them."""
        with self._lock:
            return self._start(n)

    def _start(self, n: int) -> list[Worker]:
        if os.getpid() != self._owner:  # a forked child: the workers are its parent's
            self._workers, self._owner = [], os.getpid()
        for w in [w for w in self._workers if w.broken or w.proc.poll() is not None]:
            w.close(kill=True)
            self._workers.remove(w)
        while len(self._workers) < n:
            self._workers.append(Worker())
        if not self._atexit:
            atexit.register(self.shutdown)
            self._atexit = True
        return self._workers[:n]

    def alive(self) -> bool:
        """Whether worker processes are up (started by :func:`warm_up` or an earlier map)."""
        with self._lock:
            return any(w.proc.poll() is None for w in self._workers)

    def lease(self, n: int) -> Lease:
        """Return ``n`` workers for one map (a context manager); kill them on an interrupt."""
        return Lease(self, self.start(n))

    def shutdown(self, *, kill: bool = False, wait: bool = True) -> None:
        """End every worker (at exit, or after an interrupt with ``kill``).

        With ``wait``, also wait for the workers an earlier ``wait=False`` let go: a process
        counts its children's CPU time only once it has waited for them.
        """
        with self._lock:
            self._generation += 1
            workers, self._workers = self._workers, []
            if wait:
                ending, self._ending = self._ending, []
            else:  # keep those still ending (a long-lived process does not collect them)
                alive = [w for w in self._ending if w.reaper is None or w.reaper.is_alive()]
                ending, self._ending = [], [*alive, *workers]
        for w in workers:
            w.close(kill=kill, wait=wait)
        for w in ending:
            if w.reaper is not None:
                w.reaper.join()


class Lease:
    """Workers lent to one map (a context manager); an interrupt kills them."""

    def __init__(self, pool: Pool, leased: list[Worker]) -> None:
        self.pool, self.leased = pool, leased

    def __enter__(self) -> list[Worker]:
        return self.leased

    def __exit__(self, kind: object, exc: object, tb: object) -> None:
        if kind is not None and not (isinstance(kind, type) and issubclass(kind, Exception)):
            self.pool.shutdown(kill=True)  # KeyboardInterrupt, SystemExit: no stray workers


POOL = Pool()
#: Held by the map (:class:`~umkm_alloc.parallel.TaskStream`) that uses the workers; a map
#: from another thread meanwhile runs in its own thread instead of waiting.
MAPPING = threading.Lock()


def _serve() -> None:  # pragma: no cover - runs in the worker processes
    """Run the worker's loop: import :data:`PRELOAD`, then serve until the input closes.

    Results go to a private copy of standard output; the task's own prints go to standard
    error, so they cannot garble the results. Ctrl-C is the main process's to handle (it
    ends the workers), so the worker ignores it.
    """
    import importlib
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    for name in PRELOAD:
        importlib.import_module(name)
    pickle.dump(_READY, out)
    out.flush()
    source = sys.stdin.buffer
    while True:
        try:
            fn, task = pickle.load(source)
        except EOFError:
            return
        try:
            reply: tuple[bool, Any] = (True, fn(task))
        except Exception as exc:
            import traceback

            exc.add_note("in a worker process:\n" + traceback.format_exc().rstrip())
            reply = (False, _picklable(exc))
        pickle.dump(reply, out, protocol=pickle.HIGHEST_PROTOCOL)
        out.flush()


def _picklable(exc: Exception) -> Exception:
    """Return the exception when it survives pickling, else a RuntimeError with its text."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc
