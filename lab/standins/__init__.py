"""Stand-ins: the machine-global tools a lab node must not run for real (see common.py),
and the pulumi-command provider (pulumi_command/, its Go module is not served)."""
