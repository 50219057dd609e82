"""STAND-IN for the pulumi-command provider plugin (``pulumi-resource-command`` 1.2.1).

THIS IS NOT THE REAL PROVIDER. The real one cannot be built here: its module is refused
by the Go module proxy,

    $ go mod download github.com/pulumi/pulumi-command/provider@v0.0.0-20260303235922-7f3eb6f3b77c
    403 Forbidden: This module version is not available

(that pseudo-version is the commit of tag v1.2.1; the module's version list is refused
the same way). So the REAL Pulumi CLI and engine load this Python gRPC server instead,
as plugin ``command`` version 1.2.1, the version the PyPI wheel ``pulumi-command==1.2.1``
requests. It implements only ``command:remote:Command``, the one resource the program
uses (``components/cluster.py``), with the real provider's semantics read from its
source (pulumi-command v1.2.1 and pulumi-go-provider v1.3.0; each module cites the
files): inputs.py (Check: defaults, secrets, failures), diff.py (update vs replace),
operations.py (Create/Update/Delete), ssh.py (dial with retries, one session per run,
the pinned host key and its single algorithm, error texts), server.py (the gRPC
service).

Differences from the real provider, all named where they live: password,
privateKeyPassword and proxy connections are refused; OpenSSH sends environment
variables without asking for a reply, so a server refusing one is not reported (the
real provider fails on ``environment`` and warns on PULUMI_COMMAND_*); dial errors keep
OpenSSH's own words in parentheses after the real provider's; only the remote Command
exists (no local Command, CopyToRemote, CopyFile, Run; no GetSchema).

Install it with ``lab.standins.pulumi_command.launcher.write_launcher`` and
``pulumi plugin install resource command 1.2.1 --file <launcher>`` (lab/driver does both).
"""

from .server import VERSION

PLUGIN_NAME = "command"

__all__ = ["PLUGIN_NAME", "VERSION"]
