"""Both cores: worker threads and worker processes, one policy for every stage.

``--jobs N`` (:attr:`umkm_alloc.config.AssignConfig.jobs`, default: the cores this process may
use) bounds both. Which one a stage uses depends on whether its work holds Python's global
interpreter lock (measured, see ``benchmarks/README.md``):

* :func:`thread_map` for work that releases it: numpy arithmetic, scipy's ``cKDTree``
  (the per-product candidate searches; shapely's STRtree, which searches the small products,
  mostly holds it). Threads cost nothing to start and share memory.
* :func:`process_map` for work that holds it: OR-Tools' ``SimpleMinCostFlow`` solves with
  the lock held, and so does pure-Python planning.

The worker processes (:mod:`umkm_alloc.processes`: fresh interpreters fed through pipes)
stay up for the life of the process, so later stages reuse them; :func:`warm_up` starts them
early, so that their start is paid while the main process reads the inputs.

Both maps return the results in the order of the inputs, and a task's result never depends
on which worker ran it: output stays byte-identical for every ``--jobs``. Work estimated
below :data:`PARALLEL_MIN_WORK` CPU seconds runs in the calling thread.
"""

from __future__ import annotations

import functools
import os
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from umkm_alloc.processes import MAPPING, POOL, Lease, Worker

T = TypeVar("T")
R = TypeVar("R")

#: Input files of at least this many bytes in all start the workers early (:func:`warm_up_for`).
LARGE_INPUT_BYTES = 1_000_000
#: Estimated CPU seconds below which worker processes do not pay (a cold worker takes
#: 0.1-0.3 s to start, moving a task's data about 0.05 s per 1e6 arcs).
PARALLEL_MIN_WORK = 0.5


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
        worker; best from a module in :data:`~umkm_alloc.processes.PRELOAD`). Tasks and
        results are pickled.
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
        self._lease: Lease | None = None
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
            MAPPING.release()

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
        if not (self._parallel or POOL.alive() or self._cost >= PARALLEL_MIN_WORK):
            return False
        return MAPPING.acquire(blocking=False)  # else another thread's map has the workers

    def _open(self) -> None:
        try:
            self._lease = POOL.lease(self._n)
        except BaseException:
            MAPPING.release()
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

    def _drive(self, worker: Worker) -> None:
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


def warm_up(jobs: int | None) -> None:
    """Start the worker processes now, when a run will probably need them.

    The workers import :data:`~umkm_alloc.processes.PRELOAD` while the caller goes on, and
    the first :func:`process_map` finds them ready. Does nothing with one worker. Where the
    workers would take every core, one core is left to the caller: the last worker starts
    once the others are ready (a worker's start is 0.15-0.45 s of CPU, and the caller's path
    to its first task is the run's critical path: 5 % of a ``banten`` run on two cores).

    Parameters
    ----------
    jobs
        ``--jobs``.
    """
    n = workers(jobs)
    if n >= 2:
        POOL.start_after(max(1, min(n, _cores() - 1)), n)


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
    POOL.shutdown(wait=wait)
