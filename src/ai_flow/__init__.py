"""AIFlow: event-driven orchestration of workflows mixing streaming and batch tasks.

Kept import-free on purpose: workflow files, task processes and the server all import
sub-packages directly, and none of them should pay for (or break on) the others.
"""

__version__ = "0.1.0"
