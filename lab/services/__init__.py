"""What the lab's fabric offers its nodes, as an air-gapped site's network would: mirrors.

- registry.py: the image mirror (Debian's docker-registry over TLS) that kubeadm's
  ``imageRepository`` and containerd pull from: ``registry.lab.internal:5000/k8s``.
- apt.py: the Kubernetes apt repository in pkgs.k8s.io's layout, signed with the
  lab's key, over HTTPS: ``https://apt.lab.internal/core:/stable:/v1.35/deb/``.
Both listen in the lab's service namespace ``som-<id>-svc`` on the lab's bridge
(site.py), never in the machine's root namespace. mirrors.py brings them up, fills
them and takes them down.

    python -m lab.services up [--id ID] [--empty]   # services for a running lab, filled
    python -m lab.services status [--id ID]
    python -m lab.services down [--id ID]
"""
