"""Worker threads and worker processes: same results in the same order, whatever the workers.

The worker processes are real (fresh interpreters fed through pipes): each test that uses
them forces the parallel path with ``PARALLEL_MIN_WORK = 0`` and ``jobs=2``.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from umkm_alloc import parallel, processes
from umkm_alloc.allocate import solve as solve_module
from umkm_alloc.allocate.solve import solve_allocation
from umkm_alloc.errors import UmkmAllocError


def square(x: int) -> int:
    return x * x


def pid_of(_: int) -> int:
    return os.getpid()


def fail_on_three(x: int) -> int:
    if x == 3:
        raise UmkmAllocError(f"task {x} failed")
    return x


def die(_: int) -> int:
    os._exit(7)


@pytest.fixture
def always_parallel(monkeypatch):
    monkeypatch.setattr(parallel, "PARALLEL_MIN_WORK", 0.0)
    monkeypatch.setattr(parallel, "_cores", lambda: 2)


def test_workers_follow_jobs_and_cores(monkeypatch) -> None:
    monkeypatch.setattr(parallel, "_cores", lambda: 4)
    assert parallel.workers(None) == 4
    assert parallel.workers(1) == 1
    assert parallel.workers(3) == 3
    assert parallel.workers(16) == 4  # never more than the cores
    with pytest.raises(ValueError, match="jobs"):
        parallel.workers(0)


@pytest.mark.parametrize("jobs", [1, 2, 8])
def test_thread_map_keeps_the_order(jobs: int) -> None:
    items = list(range(50))
    assert parallel.thread_map(square, items, jobs=jobs) == [x * x for x in items]
    assert parallel.thread_map(square, [], jobs=jobs) == []


def test_process_map_runs_in_other_processes_in_task_order(always_parallel) -> None:
    tasks = list(range(20))
    cost = [float(x % 7) for x in tasks]  # handed out largest first, returned in order
    assert parallel.process_map(square, tasks, jobs=2, cost=cost) == [x * x for x in tasks]
    pids = set(parallel.process_map(pid_of, tasks, jobs=2, cost=[1.0] * 20))
    assert os.getpid() not in pids and 1 <= len(pids) <= 2


def test_small_work_stays_in_this_process(monkeypatch) -> None:
    monkeypatch.setattr(parallel, "_cores", lambda: 2)
    pids = parallel.process_map(pid_of, [1, 2, 3], jobs=2, cost=[0.01] * 3)
    assert set(pids) == {os.getpid()}
    assert set(parallel.process_map(pid_of, [1, 2], jobs=1, cost=[9.0] * 2)) == {os.getpid()}


def test_a_task_error_is_raised_here_and_the_workers_go_on(always_parallel) -> None:
    with pytest.raises(UmkmAllocError, match="task 3 failed") as caught:
        parallel.process_map(fail_on_three, list(range(6)), jobs=2, cost=[1.0] * 6)
    assert any("in a worker process" in note for note in caught.value.__notes__)
    assert parallel.process_map(square, [1, 2, 3], jobs=2, cost=[1.0] * 3) == [1, 4, 9]


def test_a_dead_worker_is_reported_and_replaced(always_parallel) -> None:
    with pytest.raises(RuntimeError, match="worker process ended unexpectedly"):
        parallel.process_map(die, [1, 2], jobs=2, cost=[1.0, 1.0])
    assert parallel.process_map(square, [4, 5], jobs=2, cost=[1.0, 1.0]) == [16, 25]


def test_costs_must_match_tasks() -> None:
    with pytest.raises(ValueError, match="2 tasks but 1 costs"):
        parallel.process_map(square, [1, 2], jobs=2, cost=[1.0])


def test_a_worker_imports_no_pandas() -> None:
    code = (
        "import sys; import umkm_alloc.parallel, umkm_alloc.allocate.solve; "
        "print(sorted(m for m in ('pandas', 'shapely', 'pyproj', 'scipy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@st.composite
def networks(draw: st.DrawFn):
    """Random transport networks with several connected parts."""
    n_p, n_s = draw(st.integers(2, 25)), draw(st.integers(2, 25))
    supply = np.asarray(draw(st.lists(st.integers(0, 30), min_size=n_p, max_size=n_p)))
    demand = np.asarray(draw(st.lists(st.integers(0, 30), min_size=n_s, max_size=n_s)))
    n_arcs = draw(st.integers(1, 80))
    arc_from = np.asarray(draw(st.lists(st.integers(0, n_p - 1), min_size=n_arcs, max_size=n_arcs)))
    arc_to = np.asarray(draw(st.lists(st.integers(0, n_s - 1), min_size=n_arcs, max_size=n_arcs)))
    pairs = np.unique(np.column_stack([arc_from, arc_to]), axis=0)
    km = np.asarray(draw(st.lists(st.floats(0.0, 25.0), min_size=len(pairs), max_size=len(pairs))))
    return supply, demand, pairs[:, 0], pairs[:, 1], km


@settings(max_examples=40, deadline=None)
@given(net=networks(), batch=st.integers(1, 30))
def test_split_and_batched_solves_match_the_whole_network(net, batch: int) -> None:
    supply, demand, arc_from, arc_to, km = net
    whole = solve_allocation(supply, demand, arc_from, arc_to, km)  # <= BATCH_ARCS: one solve
    old = solve_module.BATCH_ARCS
    solve_module.BATCH_ARCS = batch  # parts, and small parts grouped, as on large networks
    try:
        split = solve_allocation(supply, demand, arc_from, arc_to, km)
    finally:
        solve_module.BATCH_ARCS = old
    assert split.units == whole.units
    cost = np.rint(km * solve_module.COST_SCALE).astype(np.int64)
    assert int(cost @ split.flow) == int(cost @ whole.flow)  # both optimal in integer costs
    assert (np.bincount(arc_from, split.flow, len(supply)) <= supply).all()
    assert (np.bincount(arc_to, split.flow, len(demand)) <= demand).all()


def test_solve_is_the_same_for_every_jobs(always_parallel, monkeypatch) -> None:
    rng = np.random.default_rng(3)
    n_p, n_s = 300, 200
    supply, demand = rng.integers(0, 60, n_p), rng.integers(0, 60, n_s)
    # three regions (disjoint parts) of random pairs
    region_p, region_s = rng.integers(0, 3, n_p), rng.integers(0, 3, n_s)
    cand = [(i, j) for i in range(n_p) for j in range(n_s) if region_p[i] == region_s[j]]
    keep = rng.random(len(cand)) < 0.2
    arcs = np.asarray(cand)[keep]
    km = rng.uniform(0.0, 20.0, len(arcs))
    monkeypatch.setattr(solve_module, "BATCH_ARCS", 500)
    one = solve_allocation(supply, demand, arcs[:, 0], arcs[:, 1], km, jobs=1)
    two = solve_allocation(supply, demand, arcs[:, 0], arcs[:, 1], km, jobs=2)
    assert one.flow.tolist() == two.flow.tolist()
    assert one.cost_scale == two.cost_scale == solve_module.COST_SCALE
    assert one.units > 0


def test_maps_from_two_threads_at_once(always_parallel) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def one(k: int) -> list[int]:
        tasks = list(range(k, k + 30))
        return parallel.process_map(square, tasks, jobs=2, cost=[1.0] * 30)

    with ThreadPoolExecutor(2) as pool:
        got = list(pool.map(one, [0, 100]))
    assert got == [[x * x for x in range(k, k + 30)] for k in (0, 100)]


def blas_threads(_: int) -> str | None:
    return os.environ.get("OPENBLAS_NUM_THREADS")


def test_workers_run_one_blas_thread_unless_the_user_chose(always_parallel, monkeypatch) -> None:
    parallel.shutdown()
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    assert set(parallel.process_map(blas_threads, [1, 2], jobs=2, cost=[1.0] * 2)) == {"1"}
    parallel.shutdown()
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "3")
    assert set(parallel.process_map(blas_threads, [1, 2], jobs=2, cost=[1.0] * 2)) == {"3"}
    parallel.shutdown()


def test_warm_up_for_starts_workers_only_for_large_inputs(always_parallel, tmp_path) -> None:
    parallel.shutdown()
    small, large = tmp_path / "small.csv", tmp_path / "large.csv"
    small.write_bytes(b"x" * 100)
    large.write_bytes(b"x" * parallel.LARGE_INPUT_BYTES)
    parallel.warm_up_for([small, small], jobs=2)
    assert processes.POOL._workers == []
    parallel.warm_up_for([small, tmp_path / "missing.csv"], jobs=2)  # no error: no start
    assert processes.POOL._workers == []
    parallel.warm_up_for([small, large], jobs=1)  # one job: nothing to start
    assert processes.POOL._workers == []
    parallel.warm_up_for([small, large], jobs=2)
    if processes.POOL.starter is not None:  # no spare core: the second starts after the first
        processes.POOL.starter.join(timeout=30)
    assert len(processes.POOL._workers) == 2
    parallel.shutdown()


def test_a_staggered_start_starts_the_rest_once_the_first_are_ready() -> None:
    pool = processes.Pool()
    pool.start_after(1, 2)
    assert len(pool._workers) == 1
    first = pool._workers[0]
    assert pool.starter is not None
    pool.starter.join(timeout=30)
    assert len(pool._workers) == 2 and first._ready  # started once the first was ready
    assert pool._workers[0] is first
    # the workers serve as usual (the first one's ready message is not taken for a reply)
    assert [w.call(square, 3) for w in pool._workers] == [9, 9]
    pool.shutdown()


def test_a_shutdown_cancels_a_pending_staggered_start() -> None:
    pool = processes.Pool()
    pool.start_after(1, 3)
    first = pool._workers[0]
    pool.shutdown()
    assert pool.starter is not None
    pool.starter.join(timeout=30)
    assert pool._workers == [] and first.proc.returncode == 0


def test_a_staggered_start_cancelled_after_the_first_is_ready_starts_nothing() -> None:
    pool = processes.Pool()
    pool.start_after(1, 2)
    first = pool._workers[0]
    with pool._lock:  # the pending start, once the first is ready, waits for the pool
        assert first.wait_ready()
        pool._generation += 1  # what a shutdown does before it ends the workers
    pool.starter.join(timeout=30)
    assert pool._workers == [first]
    pool.shutdown()


def test_shutdown_without_waiting_ends_the_workers_and_a_later_shutdown_waits(
    always_parallel,
) -> None:
    assert parallel.process_map(square, [1, 2], jobs=2, cost=[1.0] * 2) == [1, 4]
    workers = list(processes.POOL._workers)
    assert len(workers) == 2
    parallel.shutdown(wait=False)
    assert processes.POOL._workers == []
    parallel.shutdown()  # waits for those let go
    assert all(w.proc.returncode == 0 for w in workers)
    assert processes.POOL._ending == []


def test_a_task_stream_runs_tasks_as_they_come_in_submission_order(always_parallel) -> None:
    built: list[int] = []

    def build(x: int):
        def make() -> int:
            built.append(x)  # called when handed out (in this process, by a feeding thread)
            return x

        return make

    with parallel.TaskStream(pid_of, jobs=2, parallel=True) as run:
        for x in range(6):
            run.submit(build(x), cost=1.0)
        pids = run.results()
    assert sorted(built) == list(range(6))
    assert os.getpid() not in pids
    with parallel.TaskStream(square, jobs=2) as run:
        for x in [3, 1, 2]:
            run.submit(lambda x=x: x, cost=1.0)
        assert run.results() == [9, 1, 4]


def test_a_task_stream_stays_here_until_the_work_pays(monkeypatch) -> None:
    monkeypatch.setattr(parallel, "_cores", lambda: 2)
    parallel.shutdown()
    with parallel.TaskStream(pid_of, jobs=2) as run:
        run.submit(lambda: 0, cost=0.1)  # below PARALLEL_MIN_WORK so far: here
        run.submit(lambda: 0, cost=parallel.PARALLEL_MIN_WORK)  # now it pays: the workers
        here, there = run.results()
    assert here == os.getpid() != there
    parallel.shutdown()
    with parallel.TaskStream(pid_of, jobs=1) as run:  # one job: always here
        run.submit(lambda: 0, cost=99.0)
        assert run.results() == [os.getpid()]


def test_a_task_stream_raises_the_first_failure_in_submission_order(always_parallel) -> None:
    for flag in (True, False):
        with parallel.TaskStream(fail_on_three, jobs=2, parallel=flag) as run:
            for x in range(6):
                run.submit(lambda x=x: x, cost=1.0)
            with pytest.raises(UmkmAllocError, match="task 3 failed"):
                run.results()


def test_a_network_given_by_groups_solves_as_each_group_alone(always_parallel) -> None:
    rng = np.random.default_rng(5)
    n_p, n_s = 200, 150
    supply, demand = rng.integers(0, 40, n_p), rng.integers(0, 40, n_s)
    group_p, group_s = rng.integers(0, 4, n_p), rng.integers(0, 4, n_s)
    groups = []
    for g in range(4):
        ps, ss = np.flatnonzero(group_p == g), np.flatnonzero(group_s == g)
        pairs = np.array([(i, j) for i in ps for j in ss if rng.random() < 0.3])
        groups.append((pairs[:, 0], pairs[:, 1], rng.uniform(0, 20, len(pairs))))
    for jobs in (1, 2):
        with solve_module.AllocationStream(supply, demand, jobs=jobs) as run:
            for arcs in groups:
                run.add(*arcs)
            got = run.solutions()
        for arcs, solution in zip(groups, got, strict=True):
            alone = solve_allocation(supply, demand, *arcs)
            assert solution.flow.tolist() == alone.flow.tolist()
