"""A lab node: a network namespace whose PID 1 is the real systemd.

One module per concern:

    cgroups.py       the node's own cgroup in every hierarchy of the machine
    capabilities.py  what a node may never do (the bounding set it boots and is entered with)
    boot.py          the launcher and the boot script: overlay root, /proc, /sys, /dev, systemd
    units.py         which units a node boots (masked, enabled) whatever the machine enables
    enter.py         running a command inside a node
    lifecycle.py     power on, wait for `running`, reboot, power off, kill; finding its processes
"""
