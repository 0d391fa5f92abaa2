"""The workflow DSL: workflows, operators (tasks), rules, conditions, states and statuses.

Import from the concrete modules (``ai_flow.model.workflow`` and friends) as the docs do;
this package deliberately imports nothing so that loading one module stays cheap.
"""
