"""Workflow event triggers: start an execution (type EVENT) when a rule's condition is met.

The rule is stored without pickle (see ai_flow.model.internal.rule_codec): the condition's
class by import path and its attributes as JSON. A condition class defined in the
workflow file itself (``__main__`` when the file runs as a script) is found by name in
the workflow's uploaded snapshot, so upload the workflow before adding the trigger.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ai_flow.ops._client import RPC_TIMEOUT, InvalidArgumentError, NotFoundError, build, call
from ai_flow.ops._paging import page, ref
from ai_flow.ops._timer_meta import WorkflowTriggerMeta
from ai_flow.proto import aiflow_pb2 as pb

if TYPE_CHECKING:
    from ai_flow.model.rule import WorkflowRule


def add_workflow_trigger(
    rule: WorkflowRule, workflow_name: str, namespace: str = "default"
) -> WorkflowTriggerMeta:
    """Add a trigger; InvalidArgumentError if the rule cannot be stored or restored."""
    # Imported here: the CLI imports ops and should not pay for the model at start-up.
    from ai_flow.model.internal.rule_codec import RuleCodecError, encode_rule

    try:
        text = encode_rule(rule)
    except RuleCodecError as exc:
        raise InvalidArgumentError(f"cannot add the trigger: {exc}") from None
    request = build(pb.AddWorkflowTriggerRequest, workflow=ref(workflow_name, namespace), rule=text)
    msg = call(lambda s: s.AddWorkflowTrigger(request, timeout=120))
    return WorkflowTriggerMeta.from_proto(msg)


def get_workflow_trigger(trigger_id: int) -> WorkflowTriggerMeta | None:
    """The trigger, or None if there is none with this id."""
    try:
        msg = call(
            lambda s: s.GetWorkflowTrigger(build(pb.IdRequest, id=trigger_id), timeout=RPC_TIMEOUT)
        )
    except NotFoundError:
        return None
    return WorkflowTriggerMeta.from_proto(msg)


def list_workflow_triggers(
    workflow_name: str,
    namespace: str = "default",
    limit: int | None = None,
    offset: int | None = None,
) -> list[WorkflowTriggerMeta]:
    """One page of the workflow's triggers (the server's default page without `limit`)."""
    request = build(
        pb.ListByWorkflowRequest, workflow=ref(workflow_name, namespace), page=page(limit, offset)
    )
    msg = call(lambda s: s.ListWorkflowTriggers(request, timeout=RPC_TIMEOUT))
    return [WorkflowTriggerMeta.from_proto(m) for m in msg.triggers]


def pause_workflow_trigger(trigger_id: int) -> WorkflowTriggerMeta:
    """Ignore events until resumed; the trigger and its state are kept."""
    msg = call(
        lambda s: s.PauseWorkflowTrigger(build(pb.IdRequest, id=trigger_id), timeout=RPC_TIMEOUT)
    )
    return WorkflowTriggerMeta.from_proto(msg)


def resume_workflow_trigger(trigger_id: int) -> WorkflowTriggerMeta:
    msg = call(
        lambda s: s.ResumeWorkflowTrigger(build(pb.IdRequest, id=trigger_id), timeout=RPC_TIMEOUT)
    )
    return WorkflowTriggerMeta.from_proto(msg)


def delete_workflow_trigger(trigger_id: int) -> None:
    """Delete the trigger with its rule state."""
    call(lambda s: s.DeleteWorkflowTrigger(build(pb.IdRequest, id=trigger_id), timeout=RPC_TIMEOUT))


def delete_workflow_triggers(workflow_name: str, namespace: str = "default") -> int:
    """Delete every trigger of the workflow; returns how many there were."""
    msg = call(
        lambda s: s.DeleteWorkflowTriggers(ref(workflow_name, namespace), timeout=RPC_TIMEOUT)
    )
    return msg.count
