"""Every rule of the README's "Scheduling semantics" and "Time, triggers, retries"
sections, each with the test that proves it (issue 14).

`RULES` maps a rule id to (the README's words for it, the pytest node id of its test).
The tests here keep the table true: every quote is still in its section of README.md,
every node id names a test function that exists, and every bullet of the two sections
has at least one rule, so a new bullet without a rule fails. The mutants of
tools/mutations.yaml that remove a rule name its id in their `rule` field.

Quotes are matched with whitespace collapsed (the README wraps its lines).
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
SECTIONS = ("### Scheduling semantics", "### Time, triggers, retries")

S = "tests/ai_flow/scheduler/"
SV = "tests/ai_flow/server/"
T = "tests/ai_flow/timers/"
TR = "tests/ai_flow/triggers/"
SEM = S + "test_semantics_rules.py::"
TIME = T + "test_time_rules.py::"
RUNNER = SV + "test_runner_units.py::"

RULES: dict[str, tuple[str, str]] = {
    # --- Scheduling semantics ---------------------------------------------------------
    "no-start-rule-starts-with-execution": (
        "Tasks with no START rule start with the workflow execution",
        SEM + "test_a_task_without_a_start_rule_starts_with_the_execution",
    ),
    "start-only-if-none-alive": (
        "START starts a task only if no run of it is alive",
        S + "test_rules_guarded.py::test_start_starts_nothing_while_a_run_is_alive",
    ),
    "restart-stops-alive-run": (
        "RESTART stops the alive run and starts the next sequence number",
        SEM + "test_restart_stops_the_alive_run_and_starts_the_next_sequence_number",
    ),
    "restart-never-two-runs": (
        "once that run has stopped (never two runs of a task at once)",
        SV + "test_runner_guarded.py::test_a_restarts_new_run_waits_until_the_old_run_stopped",
    ),
    "stop-stops-alive-run": (
        "STOP stops the alive run.",
        SEM + "test_stop_stops_the_alive_run",
    ),
    "first-rule-met-wins": (
        "Per task, the first rule whose condition is met wins.",
        S + "test_rules_guarded.py::test_the_first_rule_met_wins",
    ),
    "task-event-own-execution": (
        "An event sent from inside a task carries its execution and affects only that execution",
        S + "test_rules_guarded.py::test_an_event_of_one_execution_reaches_no_other",
    ),
    "outside-event-reaches-every-execution": (
        "an event from outside (CLI, another system) reaches every running execution in its "
        "namespace whose rules expect the key",
        SEM + "test_an_event_from_outside_reaches_every_running_execution_of_its_namespace",
    ),
    "events-never-cross-namespaces": (
        "Events never cross namespaces.",
        SEM + "test_events_never_cross_namespaces",
    ),
    "scheduler-reads-only-expected-events": (
        "The scheduler reads only the events something running expects (task statuses, the "
        "keys of running executions' rules and of triggers): the rest cost it nothing",
        SEM + "test_the_scheduler_reads_only_the_keys_something_running_expects",
    ),
    "execution-hears-its-keys-after-start": (
        "an execution hears every event of its keys sent after it started",
        SEM + "test_an_execution_hears_every_event_of_its_keys_sent_after_it_started",
    ),
    "execution-running-while-task-alive": (
        "A workflow execution is RUNNING while a task is alive",
        SEM + "test_an_execution_is_running_while_a_task_is_alive",
    ),
    "execution-running-while-task-never-ran": (
        "or has never run (a rule may still start it)",
        S + "test_rules_guarded.py::test_an_execution_with_a_task_that_never_ran_stays_running",
    ),
    "execution-failed": (
        "FAILED when no task is alive and some task's last run failed",
        SEM + "test_an_execution_fails_when_no_task_is_alive_and_a_last_run_failed",
    ),
    "execution-success": (
        "SUCCESS when every task has run and none failed (a run stopped by a rule counts as done)",
        SEM + "test_an_execution_succeeds_when_every_task_ran_and_none_failed",
    ),
    "execution-stopped": (
        "STOPPED when stopped.",
        SEM + "test_an_execution_is_stopped_when_stopped",
    ),
    "upload-evaluated-in-a-child-process": (
        "**User code never runs in the AIFlow server.** An upload is evaluated in a child "
        "process and stored with a description the server schedules from",
        SEM + "test_an_upload_is_evaluated_in_a_child_process",
    ),
    "user-code-in-one-evaluator-per-snapshot": (
        "user conditions and triggers run in one evaluator process per snapshot (each with its "
        "own interpreter, so every execution runs its own snapshot and its own helper modules)",
        SV
        + "test_server_user_code.py::test_each_execution_runs_its_own_snapshot_and_its_own_helper",
    ),
    "user-code-before-the-transaction": (
        "evaluated before the scheduling transaction opens",
        SV
        + "test_server_user_code.py::test_user_conditions_run_outside_the_scheduling_transaction",
    ),
    "built-in-conditions-in-the-server": (
        "Built-in conditions run in the server.",
        SEM + "test_built_in_conditions_run_in_the_server",
    ),
    "failing-condition-recorded-and-skipped": (
        "A condition that raises, runs longer than `condition_timeout` (5 s), exits or crashes "
        "its process is recorded in the rule's state (`__error__`, one line naming the user's "
        "file and line) and skipped",
        S
        + "test_scheduler_rules.py::test_failing_and_hanging_conditions_do_not_stop_the_scheduler",
    ),
    "evaluator-replaced-scheduler-goes-on": (
        "its evaluator process is replaced; the scheduler goes on",
        SV + "test_server_user_code.py::"
        "test_a_condition_that_kills_its_process_is_recorded_and_replaced",
    ),
    "poison-event-skipped-and-recorded": (
        "An event that processing fails on every time",
        S + "test_scheduler_lookahead.py::"
        "test_a_poison_event_is_skipped_and_recorded_and_the_rest_goes_on",
    ),
    "database-outage-waited-out": (
        "(not a database outage, which is waited out)",
        SEM + "test_a_database_outage_is_waited_out_however_long_it_lasts",
    ),
    "scheduler-errors-listed": (
        "`aiflow scheduler errors` lists it with its error, and the events after it are acted on",
        SV + "test_server_poison.py::test_a_poison_event_is_skipped_recorded_and_listed",
    ),
    "tasks-survive-and-are-adopted": (
        "Task processes survive a crash or restart of the AIFlow server and are adopted when it "
        "returns",
        SV
        + "test_server_tasks.py::test_a_task_survives_a_server_stop_and_is_adopted_after_restart",
    ),
    "dead-task-becomes-failed": (
        "a task that dies without reporting becomes FAILED",
        RUNNER + "test_a_dead_try_is_failed_once_the_scheduler_caught_up",
    ),
    "try-claimed-once": (
        "a second process started for the same try leaves without running",
        RUNNER + "test_a_try_is_claimed_once",
    ),
    "task-runs-on-while-server-down": (
        "It heartbeats on that RPC and keeps running while the server is down",
        SV + "test_server_tasks.py::test_a_task_that_finishes_while_the_server_is_down_is_recorded",
    ),
    "heartbeat-timeout-from-server-start": (
        "after a restart, heartbeat timeouts count from the server's start",
        RUNNER + "test_heartbeats_after_a_restart_count_from_the_servers_start",
    ),
    "stop-not-held-behind-starts": (
        "STOP is never held behind STARTs waiting for `local_executor_parallelism`",
        RUNNER + "test_a_stop_is_not_held_behind_starts_that_wait_for_capacity",
    ),
    "stop-timeout-per-operator": (
        "operator may set `stop_timeout` (seconds its `stop` may take before the task is "
        "killed; default `task_stop_timeout`, 10 s)",
        RUNNER + "test_a_stop_cancels_the_running_try_with_its_stop_timeout",
    ),
    "stop-reason-told": (
        "`stop(context)` finds why in `context.stop_reason`",
        SEM + "test_stop_tells_why_in_the_stop_reason",
    ),
    "stop-reason-timeout-and-heartbeat": (
        "`TIMEOUT`, `HEARTBEAT`",
        RUNNER + "test_no_heartbeat_for_the_timeout_fails_then_cancels",
    ),
    # --- Time, triggers, retries ------------------------------------------------------
    "cron-utc-or-time-zone": (
        "`cron@<5-field crontab>` (UTC, or a time zone after a second `@`: "
        "`cron@0 9 * * 1-5@Europe/Berlin`, daylight saving followed)",
        TIME + "test_a_cron_schedule_is_read_in_utc_or_in_its_time_zone_with_daylight_saving",
    ),
    "interval-first-fire-one-interval-from-now": (
        "`interval@days hours minutes seconds` (first fire one interval from now)",
        TIME + "test_an_interval_schedule_first_fires_one_interval_from_now",
    ),
    "malformed-schedule-refused": (
        "A malformed one is refused at `add` with the expected format; nothing is stored.",
        TIME + "test_a_malformed_schedule_is_refused_at_add_and_nothing_is_stored",
    ),
    "fire-starts-periodic-execution": (
        "A fire starts a PERIODIC execution",
        TIME + "test_a_fire_starts_a_periodic_execution",
    ),
    "pause-stops-fires": (
        "pause stops fires",
        TIME + "test_a_paused_schedule_does_not_fire",
    ),
    "resume-continues-from-now": (
        "resume continues from now",
        TIME + "test_a_resumed_schedule_continues_from_now",
    ),
    "disabled-workflow-no-scheduled-executions": (
        "a disabled workflow gets no executions from schedules",
        T
        + "test_timers_guarded.py::test_a_disabled_workflows_schedule_starts_nothing_and_moves_on",
    ),
    "disabled-workflow-no-executions": (
        "triggers or events",
        TIME + "test_a_disabled_workflow_gets_no_executions_from_triggers",
    ),
    "disabled-workflow-no-rule-runs": (
        "its running executions start no new task runs from rules",
        S + "test_rules_guarded.py::test_a_disabled_workflow_starts_no_run_from_its_rules",
    ),
    "disabled-workflow-no-periodic-runs": (
        "or periodic fires",
        T + "test_timers_guarded.py::test_a_disabled_workflows_periodic_task_does_not_run",
    ),
    "disabled-workflow-runs-finish": (
        "runs already going finish and are recorded",
        SEM + "test_a_disabled_workflows_runs_already_going_finish_and_are_recorded",
    ),
    "disabled-workflow-user-requests-work": (
        "user requests still work",
        SEM + "test_user_requests_still_work_in_a_disabled_workflow",
    ),
    "fires-committed-with-their-execution": (
        "Fires are committed in the same transaction as the execution they start: a crash never "
        "loses or doubles one.",
        T + "test_timer_crashes.py::test_no_schedule_fire_is_lost_or_doubled_across_server_kills",
    ),
    "one-run-covers-missed-period": (
        "After downtime, **one** run covers the whole missed period.",
        T + "test_timers_guarded.py::test_one_fire_covers_the_whole_missed_period",
    ),
    "periodic-first-run-at-first-fire": (
        "`periodic_expression` on an operator: the task first runs at its first fire",
        TIME + "test_a_periodic_task_first_runs_at_its_first_fire",
    ),
    "periodic-runs-every-period": (
        "then on every period while the execution runs",
        TIME + "test_a_periodic_task_runs_on_every_period_while_the_execution_runs",
    ),
    "periodic-fire-skipped-while-alive": (
        "a fire while the previous run is alive is skipped (no overlap)",
        TIME + "test_a_periodic_fire_while_the_previous_run_is_alive_is_skipped",
    ),
    "start-after-periodic-runs-after-each-run": (
        "tasks that `start_after` it run after each run",
        TIME + "test_tasks_that_start_after_a_periodic_task_run_after_each_run",
    ),
    "periodic-execution-stays-running": (
        "Such an execution stays RUNNING until stopped.",
        TIME + "test_an_execution_with_a_periodic_task_stays_running_until_stopped",
    ),
    "retry-options": (
        "Operator options `retries`, `retry_delay` (s), `retry_exponential_backoff`, "
        "`max_retry_delay` (default 3600 s)",
        TIME + "test_retry_delays_back_off_up_to_max_retry_delay_an_hour_by_default",
    ),
    "failed-try-retried-in-the-same-task-execution": (
        "a failed try becomes RETRYING and the same task execution runs again with the next "
        "`try_number`",
        S + "test_reports_guarded.py::test_retries_give_n_more_tries_each_after_its_delay",
    ),
    "rules-see-retrying": (
        "Rules see RETRYING, so downstream tasks wait for the final outcome.",
        S + "test_reports_guarded.py::test_rules_see_retrying_not_failed_while_a_retry_is_left",
    ),
    "execution-timeout-fails-and-retries": (
        "`execution_timeout` (s) per operator",
        RUNNER + "test_an_execution_timeout_counts_from_the_claim",
    ),
    "heartbeat-timeout-fails": (
        "`task_heartbeat_timeout` (server) stop the task and mark it FAILED with the reason",
        RUNNER + "test_no_heartbeat_for_the_timeout_fails_then_cancels",
    ),
    "timed-out-task-retried": (
        "then retry it if it has retries left",
        T + "test_retries_timeouts.py::test_execution_timeout_fails_the_task_and_retries_it",
    ),
    "history-retention": (
        "`history_retention` (default `30d`): finished executions, their task executions, logs "
        "and working directories older than it are purged (at start and hourly)",
        T + "test_retention.py::test_purge_removes_old_finished_executions_and_their_files",
    ),
    "triggers-any-condition-with-state": (
        "Triggers: `ops.add_workflow_trigger(WorkflowRule(condition), workflow_name)`; any "
        "`Condition`, with state.",
        TR + "test_triggers_scheduling.py::"
        "test_a_stateful_user_condition_triggers_on_every_third_event",
    ),
    "rules-stored-as-json-never-pickled": (
        "Rules are stored as JSON (class path and instance state), never pickled",
        TR + "test_rule_codec.py::test_only_condition_and_enum_classes_are_ever_created",
    ),
    "condition-class-found-in-snapshot": (
        "a condition class defined in the workflow file is found in its snapshot",
        SV
        + "test_server_user_code.py::test_a_user_trigger_is_checked_and_evaluated_in_the_evaluator",
    ),
}


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@cache
def bullets() -> dict[str, list[str]]:
    """The bullets of each section, whitespace collapsed."""
    lines = README.read_text().splitlines()
    found: dict[str, list[str]] = {}
    for title in SECTIONS:
        start = lines.index(title) + 1
        end = next((n for n in range(start, len(lines)) if lines[n].startswith("#")), len(lines))
        items: list[str] = []
        for line in lines[start:end]:
            if line.startswith("- "):
                items.append(line[2:])
            elif line.startswith("  ") and items:
                items[-1] += " " + line.strip()
        found[title] = [_flat(b) for b in items]
    return found


def test_every_rules_words_are_still_in_its_readme_section() -> None:
    text = " ".join(b for section in bullets().values() for b in section)
    missing = [rule for rule, (quote, _) in RULES.items() if _flat(quote) not in text]
    assert not missing, f"README no longer says what these rules quote: {missing}"


def test_every_bullet_has_a_rule() -> None:
    quotes = [_flat(quote) for quote, _ in RULES.values()]
    bare = [
        f"{title}: {bullet[:80]}..."
        for title, section in bullets().items()
        for bullet in section
        if not any(q in bullet for q in quotes)
    ]
    assert not bare, f"bullets without a rule in RULES: {bare}"
    assert sum(len(s) for s in bullets().values()) >= 15  # the parse found the sections


@cache
def _functions(path: str) -> frozenset[str]:
    tree = ast.parse((ROOT / path).read_text())
    return frozenset(
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test")
    )


@pytest.mark.parametrize("rule", sorted(RULES))
def test_every_rules_test_exists(rule: str) -> None:
    path, _, name = RULES[rule][1].partition("::")
    assert (ROOT / path).is_file(), f"{rule}: {path} does not exist"
    assert name in _functions(path), f"{rule}: no test function {name} in {path}"


def test_every_rule_mutant_names_a_known_rule_and_its_test() -> None:
    """The README mutants of tools/mutations.yaml say which rule they remove, and the
    tests they run include that rule's test (or its file)."""
    import yaml

    mutants = yaml.safe_load((ROOT / "tools" / "mutations.yaml").read_text())["mutations"]
    for m in (m for m in mutants if "rule" in m):
        assert m["rule"] in RULES, f"{m['id']}: unknown rule {m['rule']}"
        node = RULES[m["rule"]][1]
        assert any(node == t or node.startswith(t + "::") for t in m["tests"]), m["id"]
