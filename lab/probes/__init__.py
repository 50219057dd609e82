"""Looking at a lab's real cluster from outside: kubectl with the stack's admin
kubeconfig output, run in the lab's fabric namespace (the only place the API server's
address is reachable from the machine)."""

from .kubectl import Kubectl, for_lab, stack_workspace

__all__ = ["Kubectl", "for_lab", "stack_workspace"]
