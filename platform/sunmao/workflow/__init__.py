"""Approval flows: guarded state transitions (enforced by the record service), approvals, tasks, SLAs."""

from sunmao.workflow.definition import Transition, Workflow, compile_workflows
from sunmao.workflow.engine import WorkflowService

__all__ = ["Transition", "Workflow", "WorkflowService", "compile_workflows"]
