"""Both cores: worker threads and worker processes, one policy for every stage.

``--jobs N`` (:attr:`umkm_alloc.config.AssignConfig.jobs`, default: the cores this process may
use) bounds both. Which one a stage uses depends on whether its work holds Python's global
interpreter lock (measured, see ``benchmarks/README.md``):

* :func:`thread_map` for work that releases it: numpy arithmetic, scipy's ``cKDTree``
  (the per-product candidate searches). Threads cost nothing to start and share memory.
* :func:`process_map` for work that holds it: OR-Tools' ``SimpleMinCostFlow`` solves with
  the lock held, and so does pure-Python planning.

The worker processes are fresh interpreters (``python -c``) that import :data:`PRELOAD`
and then run the ``(function, task)`` messages they read from a pipe. They are neither
forked from the main process (a fork of a 1 GB process shows up at full size in every
resident-memory measure, and is unsafe while other threads hold locks) nor started through
:mod:`multiprocessing` (whose spawn and fork-server workers import the caller's main module
again, which re-runs a user's script that lacks ``if __name__ == "__main__"``). They stay
up for the life of the process, so later stages reuse them; :func:`warm_up` starts them
early, so that their start is paid while the main process reads the inputs. They end when
the main process does (their pipe closes).

Both maps return the results in the order of the inputs, and a task's result never depends
on which worker ran it: output stays byte-identical for every ``--jobs``. Work estimated
below :data:`PARALLEL_MIN_WORK` CPU seconds runs in the calling thread.
"""

from __future__ import annotations

import atexit
import functools
import os
import pickle
import queue
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
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
#: Input files of at least this many bytes in all start the workers early (:func:`warm_up_for`).
LARGE_INPUT_BYTES = 1_000_000
#: Estimated CPU seconds below which worker processes do not pay (a cold worker takes
#: 0.1-0.3 s to start, moving a task's data about 0.05 s per 1e6 arcs).
PARALLEL_MIN_WORK = 0.5
#: How a worker process starts: set its module path, import the worker loop, serve.
_BOOT = (
    "import pickle, sys; sys.path[:] = pickle.load(sys.stdin.buffer); "
    "from umkm_alloc.parallel import _serve; _serve()"
)


def workers(jobs: int | None) -> int:
    """Return how many workers to use: ``jobs``, at most the cores; ``None``: the cores.

    Parameters
    ----------
    jobs
        ``--jobs`` (``None``: one per core).

    Returns
    -------
    int
        At least 1.
    """
    cores = _cores()
    if jobs is None:
        return cores
    if jobs < 1:
        raise ValueError(f"jobs must be >= 1, got {jobs}")
    return max(1, min(jobs, cores))


def _cores() -> int:
    """Cores this process may run on (its CPU affinity where the platform tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def thread_map(fn: Callable[[T], R], items: Sequence[T], *, jobs: int | None) -> list[R]:
    """Return ``[fn(x) for x in items]``, computed by up to ``workers(jobs)`` threads.

    Only for work that releases the interpreter lock (numpy, ``cKDTree``); Python-level work
    would just take turns. ``fn`` must not depend on shared mutable state.

    Parameters
    ----------
    fn
        The work of one item.
    items
        The items, in the order of the results.
    jobs
        ``--jobs``.

    Returns
    -------
    list
        The results, in the order of ``items``.
    """
    return list(thread_imap(fn, items, jobs=jobs))


def thread_imap(fn: Callable[[T], R], items: Sequence[T], *, jobs: int | None) -> Iterator[R]:
    """:func:`thread_map` that yields each result, in the order of ``items``, once it is ready.

    The caller can work on the first results (e.g. hand them to :class:`TaskStream`) while
    the threads compute the rest.
    """
    n = min(workers(jobs), len(items))
    if n < 2:
        for x in items:
            yield fn(x)
        return
    with ThreadPoolExecutor(max_workers=n, thread_name_prefix="umkm-alloc") as pool:
        yield from pool.map(fn, items)


def process_map(
    fn: Callable[[T], R],
    tasks: Sequence[T],
    *,
    jobs: int | None,
    cost: Sequence[float],
    min_work: float | None = None,
) -> list[R]:
    """Return ``[fn(t) for t in tasks]``, computed by worker processes when it pays.

    Tasks go to the workers largest first (by ``cost``), each to the next free worker, which
    balances the load; the calling thread waits. A task is taken from ``tasks``
    (``tasks[i]``) only when it is handed out, so a lazy sequence bounds the memory of built
    tasks. With one worker, or when the total ``cost`` is below ``min_work``, everything
    runs in the calling thread.

    Parameters
    ----------
    fn
        The work of one task: a module-level function (pickled by name, imported by the
        worker; best from a module in :data:`PRELOAD`). Tasks and results are pickled.
    tasks
        The tasks (any sequence; built on ``tasks[i]``).
    jobs
        ``--jobs``.
    cost
        Estimated CPU seconds of each task.
    min_work
        Total estimated seconds below which no worker process is used (``None``:
        :data:`PARALLEL_MIN_WORK`).

    Returns
    -------
    list
        The results, in the order of ``tasks``.

    Raises
    ------
    Exception
        The first (in task order) exception a task raised, re-raised here; a worker that
        died raises :class:`RuntimeError`.
    """
    if len(cost) != len(tasks):
        raise ValueError(f"process_map: {len(tasks)} tasks but {len(cost)} costs")
    floor = PARALLEL_MIN_WORK if min_work is None else min_work
    order = sorted(range(len(tasks)), key=lambda i: (-cost[i], i))
    n = max(1, min(workers(jobs), len(tasks)))
    with TaskStream(fn, jobs=n, parallel=sum(cost) >= floor) as run:
        for i in order:
            run.submit(functools.partial(tasks.__getitem__, i))
        done = run.results()
    results: list[Any] = [None] * len(tasks)
    for i, value in zip(order, done, strict=True):
        results[i] = value
    return results


class TaskStream:
    """Tasks handed to the worker processes as they are submitted, while the caller goes on.

    A pipeline submits the work of each part as soon as it has built it (the solve of one
    product while the next product's pairs are searched); :meth:`results` waits for all of
    it. Each worker is fed by a thread of this process, which builds the next task (the
    ``build`` callable given to :meth:`submit`, called only when the task is handed out, so
    a backlog holds no built task) and sends it to the next free worker. A task's result
    never depends on the worker that ran it.

    Tasks run in the calling thread instead (at :meth:`submit`) with one worker, when another
    thread's map holds the workers, or until the work pays for worker processes: from the
    first task when ``parallel`` is true or the workers are already up (:func:`warm_up`),
    else once the submitted ``cost`` reaches :data:`PARALLEL_MIN_WORK`.

    Use it as a context manager; leaving the block early (an exception) drops the tasks not
    yet handed out, and an interrupt kills the workers.

    Parameters
    ----------
    fn
        The work of one task, as for :func:`process_map`.
    jobs
        ``--jobs``.
    parallel
        ``True``/``False``: use the workers from the first task / never; ``None``: decide by
        the cost submitted, as above.
    """

    def __init__(self, fn: Callable[[T], R], *, jobs: int | None, parallel: bool | None = None):
        self._fn = fn
        self._n = workers(jobs)
        self._parallel = parallel
        self._cost = 0.0
        self._results: list[Any] = []
        self._failures: dict[int, BaseException] = {}
        self._queue: queue.SimpleQueue[tuple[int, Callable[[], Any]] | None] | None = None
        self._drivers: list[threading.Thread] = []
        self._lease: _Lease | None = None
        self._lock = threading.Lock()

    def __enter__(self) -> TaskStream:
        return self

    def __exit__(self, kind: object, exc: object, tb: object) -> None:
        if kind is not None:
            with self._lock:  # drop what is not handed out yet
                self._failures.setdefault(-1, RuntimeError("the stream was abandoned"))
        self._stop()
        if self._lease is not None:
            self._lease.__exit__(kind, exc, tb)
            self._lease = None
            _MAPPING.release()

    def submit(self, build: Callable[[], T], cost: float = 0.0) -> None:
        """Run ``fn(build())``, in a worker process or here (see the class).

        Parameters
        ----------
        build
            Returns the task (called once, when the task is handed out).
        cost
            Its estimated CPU seconds.
        """
        self._cost += cost
        i = len(self._results)
        self._results.append(None)
        if self._queue is None and self._start_workers():
            self._open()
        if self._queue is None:
            if not self._failures:  # after a failure nothing more runs
                try:
                    self._results[i] = self._fn(build())
                except Exception as exc:
                    self._failures[i] = exc
            return
        self._queue.put((i, build))

    def results(self) -> list[Any]:
        """Wait for every task; return the results in the order of submission.

        Raises
        ------
        Exception
            The first (in submission order) exception a task raised; a worker that died
            raises :class:`RuntimeError`.
        """
        self._stop()
        if self._failures:
            raise self._failures[min(self._failures)]
        done, self._results = self._results, []  # handed over, not kept
        return done

    def _start_workers(self) -> bool:
        if self._n < 2 or self._parallel is False:
            return False
        if not (self._parallel or _POOL.alive() or self._cost >= PARALLEL_MIN_WORK):
            return False
        return _MAPPING.acquire(blocking=False)  # else another thread's map has the workers

    def _open(self) -> None:
        try:
            self._lease = _POOL.lease(self._n)
        except BaseException:
            _MAPPING.release()
            raise
        self._queue = queue.SimpleQueue()
        self._drivers = [
            threading.Thread(target=self._drive, args=(w,), daemon=True)
            for w in self._lease.__enter__()
        ]
        for d in self._drivers:
            d.start()

    def _stop(self) -> None:
        """Let the drivers finish what is queued (or drop it after a failure) and end."""
        if self._queue is None:
            return
        for _ in self._drivers:
            self._queue.put(None)
        for d in self._drivers:
            d.join()
        self._queue, self._drivers = None, []

    def _drive(self, worker: _Worker) -> None:
        """Feed one worker the next task until none is left (or a task failed)."""
        assert self._queue is not None
        source = self._queue
        while (item := source.get()) is not None:
            i, build = item
            if self._failures:  # after a failure: drain the queue, run nothing more
                continue
            try:
                self._results[i] = worker.call(self._fn, build())
            except BaseException as exc:  # re-raised by results(), in submission order
                with self._lock:
                    self._failures[i] = exc


class _Worker:
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

    def call(self, fn: Callable[[T], R], task: T) -> R:
        """Run ``fn(task)`` in the worker; return its result or raise its exception."""
        try:
            pickle.dump((fn, task), self._to, protocol=pickle.HIGHEST_PROTOCOL)
            self._to.flush()
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


class _Pool:
    """The process's worker processes, started on demand and kept for later stages."""

    def __init__(self) -> None:
        self._workers: list[_Worker] = []
        self._ending: list[_Worker] = []  # let go without waiting (shutdown(wait=False))
        self._lock = threading.Lock()
        self._atexit = False
        self._owner = os.getpid()

    def start(self, n: int) -> list[_Worker]:
        """Make sure ``n`` live workers exist; return them."""
        with self._lock:
            if os.getpid() != self._owner:  # a forked child: the workers are its parent's
                self._workers, self._owner = [], os.getpid()
            for w in [w for w in self._workers if w.broken or w.proc.poll() is not None]:
                w.close(kill=True)
                self._workers.remove(w)
            while len(self._workers) < n:
                self._workers.append(_Worker())
            if not self._atexit:
                atexit.register(self.shutdown)
                self._atexit = True
            return self._workers[:n]

    def alive(self) -> bool:
        """Whether worker processes are up (started by :func:`warm_up` or an earlier map)."""
        with self._lock:
            return any(w.proc.poll() is None for w in self._workers)

    def lease(self, n: int) -> _Lease:
        """Return ``n`` workers for one map (a context manager); kill them on an interrupt."""
        return _Lease(self, self.start(n))

    def shutdown(self, *, kill: bool = False, wait: bool = True) -> None:
        """End every worker (at exit, or after an interrupt with ``kill``).

        With ``wait``, also wait for the workers an earlier ``wait=False`` let go: a process
        counts its children's CPU time only once it has waited for them.
        """
        with self._lock:
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


class _Lease:
    def __init__(self, pool: _Pool, leased: list[_Worker]) -> None:
        self.pool, self.leased = pool, leased

    def __enter__(self) -> list[_Worker]:
        return self.leased

    def __exit__(self, kind: object, exc: object, tb: object) -> None:
        if kind is not None and not (isinstance(kind, type) and issubclass(kind, Exception)):
            self.pool.shutdown(kill=True)  # KeyboardInterrupt, SystemExit: no stray workers


_POOL = _Pool()
#: Held by the :func:`process_map` that uses the workers; a map from another thread meanwhile
#: runs in its own thread instead of waiting.
_MAPPING = threading.Lock()


def warm_up(jobs: int | None) -> None:
    """Start the worker processes now, when a run will probably need them.

    The workers import :data:`PRELOAD` while the caller goes on, and the first
    :func:`process_map` finds them ready. Does nothing with one worker.

    Parameters
    ----------
    jobs
        ``--jobs``.
    """
    n = workers(jobs)
    if n >= 2:
        _POOL.start(n)


def warm_up_for(inputs: Sequence[str | os.PathLike[str]], jobs: int | None) -> None:
    """Start the worker processes now when the input files promise a solve that uses them.

    Inputs of :data:`LARGE_INPUT_BYTES` or more in all start them (a guess at a solve worth
    more than a second of CPU: 20,000 rows); smaller ones, or files that cannot be read,
    leave the start to the first :func:`process_map` that needs them. Never changes a result.

    Parameters
    ----------
    inputs
        The input files of the run.
    jobs
        ``--jobs``.
    """
    try:
        size = sum(os.stat(path).st_size for path in inputs)
    except OSError:
        return
    if size >= LARGE_INPUT_BYTES:
        warm_up(jobs)


def shutdown(*, wait: bool = True) -> None:
    """End the worker processes (they also end by themselves when the process exits).

    Parameters
    ----------
    wait
        Wait until they have ended; ``False``: a background thread waits for them (they end
        within a tenth of a second, their input closed).
    """
    _POOL.shutdown(wait=wait)


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
