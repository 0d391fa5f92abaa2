"""The scheduler's transactions, driven with events made by the test: a batch that fails
is retried, never dropped; the offset of the last event processed commits with the
decisions; events at or below the committed offset are never processed again; a batch
read with a stale listen filter commits nothing; and a server whose lease epoch is over
commits nothing (the fence), the epoch growing with every change of owner."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from schedenv import SchedEnv

from ai_flow.metadata import lease, read_session, write_session
from ai_flow.metadata import task_executions as tasks
from ai_flow.metadata.lease import LeaseLostError
from ai_flow.scheduler import EventProcessor

WORKFLOW = """
    from ai_flow.model.action import TaskAction
    from ai_flow.model.workflow import Workflow
    from ai_flow.operators.bash import BashOperator

    with Workflow(name='o') as workflow:
        BashOperator(name='keeper', bash_command='sleep 60')
        t = BashOperator(name='t', bash_command='true')
        t.action_on_event_received(TaskAction.RESTART, 'again')
"""


@pytest.fixture
def env(tmp_path: Path) -> Iterator[SchedEnv]:
    env = SchedEnv(tmp_path)
    env.upload(WORKFLOW)
    yield env
    env.close()


def runs(env: SchedEnv, execution_id: int) -> int:
    """Runs of t besides the first (t has no START rule: it starts with the execution)."""
    with read_session(env.factory) as s:
        return len(tasks.list_task_executions(s, execution_id, "t")) - 1


def test_a_failed_batch_is_retried_not_dropped(
    env: SchedEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    execution_id = env.start("o")
    process_one = EventProcessor._process_one
    failures = iter(range(1))

    def once_failing(self, batch, index, event, lookup):  # noqa: ANN001, ANN202
        if next(failures, None) is not None:
            raise RuntimeError("a passing hiccup")
        return process_one(self, batch, index, event, lookup)

    monkeypatch.setattr(EventProcessor, "_process_one", once_failing)
    monkeypatch.setattr(env.scheduler, "_pause", lambda failures: None)
    events = [env.event("again"), env.event("again")]
    env.scheduler._stream.refresh()  # noqa: SLF001
    env.scheduler.commit(events)  # once: a dropped batch must show, not be handed again
    assert runs(env, execution_id) == 2
    assert env.offset() == events[-1].offset
    assert env.errors() == []


def test_the_last_offset_of_a_batch_commits_with_it(env: SchedEnv) -> None:
    execution_id = env.start("o")
    events = [env.event("again"), env.event("noise"), env.event("again")]
    env.commit(events)
    assert env.offset() == events[-1].offset
    assert runs(env, execution_id) == 2


def test_events_already_committed_are_never_processed_again(env: SchedEnv) -> None:
    execution_id = env.start("o")
    events = [env.event("again"), env.event("again")]
    env.commit(events)
    assert runs(env, execution_id) == 2
    # A stream reopened from an older offset hands them over again: nothing happens.
    env.scheduler.commit(events)
    assert runs(env, execution_id) == 2
    assert env.offset() == events[-1].offset


def test_a_batch_read_with_a_stale_filter_commits_nothing(env: SchedEnv) -> None:
    execution_id = env.start("o")
    env.scheduler._stream.refresh()  # noqa: SLF001
    env.scheduler._reopen = False  # noqa: SLF001
    env.start("o")  # its rules may expect keys the open stream does not read
    event = env.event("again")
    env.scheduler.commit([event])
    assert env.scheduler._reopen  # noqa: SLF001 - the stream opens again first
    assert env.offset() == 0
    assert runs(env, execution_id) == 0
    env.commit([event])  # through the new filter
    assert runs(env, execution_id) == 1


def test_a_deposed_scheduler_commits_nothing(env: SchedEnv) -> None:
    execution_id = env.start("o")
    with write_session(env.factory) as s:
        epoch = lease.acquire_or_renew(s, "me", ttl_ms=60_000)
    assert epoch is not None
    env.scheduler._fence = lambda session: lease.fence(session, epoch)  # noqa: SLF001
    env.commit([env.event("again")])
    assert runs(env, execution_id) == 1
    with write_session(env.factory) as s:
        lease.release(s, "me")
        assert lease.acquire_or_renew(s, "other", ttl_ms=60_000) == epoch + 1
    with pytest.raises(LeaseLostError):
        env.commit([env.event("again")])
    assert runs(env, execution_id) == 1
    assert env.offset() == 1


def test_the_fence_refuses_an_epoch_that_is_over(env: SchedEnv) -> None:
    with write_session(env.factory) as s:
        first = lease.acquire_or_renew(s, "a", ttl_ms=60_000)
        assert first is not None
        assert lease.acquire_or_renew(s, "b", ttl_ms=60_000) is None  # a's lease is live
        assert lease.acquire_or_renew(s, "a", ttl_ms=60_000) == first  # renewed, same epoch
        lease.release(s, "a")
        second = lease.acquire_or_renew(s, "b", ttl_ms=60_000)
    assert second == first + 1
    with pytest.raises(LeaseLostError), write_session(env.factory) as s:
        lease.fence(s, first)
    with write_session(env.factory) as s:
        lease.fence(s, second)
