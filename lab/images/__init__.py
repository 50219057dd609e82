"""Daemonless OCI images of the control plane, CoreDNS and pause, for the lab's registry.

An air-gapped site mirrors kubeadm's images into its own registry; the lab does the
same from binaries it builds itself (lab/toolchain) and Debian's iptables, with umoci
(no container engine). spec.py is the pure plan (names, tags, contents, entrypoints,
exactly as kubeadm asks for them); build.py builds it into OCI layouts cached under
``$SOM_CACHE/images/<name>/<tag>/<content key>``.

    python -m lab.images plan [--repository R]   # the image references kubeadm will pull
    python -m lab.images build [NAME ...]        # build what the cache lacks; timings
"""

from .spec import ImageSpec, plan, references

__all__ = ["ImageSpec", "plan", "references"]
