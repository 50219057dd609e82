"""Real programs on this machine without a cluster: bash scripts, iptables in a private network namespace, kubeadm, containerd, the toolchain."""
