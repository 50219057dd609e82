"""A real Kubernetes cluster in the lab, brought up as one ordered list of actions.

Why a list (as k0sctl and kind do): each action is small, named and timed, the
bring-up prints where it is, and a failure says which action failed; whatever
failed, the lab is removed unless the caller keeps it (``python -m lab down --id``
removes a kept one). The actions, in order (actions.py):

1. ``fabric``      the fabric and the nodes, booted with systemd (real apt, curl, gpg);
2. ``mirrors``     the lab's registry and apt repository, up and filled;
3. ``node-image``  each node wired to the mirrors: hosts line, lab CA, apt sources;
4. ``stack``       the dev stack's config for this lab, set with real ``pulumi config``;
5. ``pulumi-up``   ``pulumi up`` through lab/driver, run inside the lab's fabric;
6. ``ready``       every node Ready, seen with kubectl and the admin kubeconfig output.
"""

from .run import BringUp, Options, bring_up

__all__ = ["BringUp", "Options", "bring_up"]
