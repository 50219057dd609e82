"""The lab's own machinery: namespaces, systemd-booted nodes, mirrors, images, without a cluster."""
