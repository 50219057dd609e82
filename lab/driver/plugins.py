"""Provider plugins installed into PULUMI_HOME from what this machine built, never downloaded.

``pulumi plugin install resource NAME VERSION --file F`` copies F into
``$PULUMI_HOME/plugins/resource-NAME-vVERSION/pulumi-resource-NAME``. The versions are
exactly what the pinned PyPI wheels request (``pulumi-plugin.json``: kubernetes 4.25.0,
command 1.2.1): the engine loads the plugin of that version and, with automatic plugin
acquisition off, fails at once when it is missing.

An installed plugin is kept when its file is byte-identical to the source; otherwise
(another checkout's launcher, a rebuilt provider) it is reinstalled.
"""

from __future__ import annotations

import filecmp
import tempfile
from dataclasses import dataclass
from pathlib import Path

from lab.standins.pulumi_command import PLUGIN_NAME as COMMAND
from lab.standins.pulumi_command.launcher import write_launcher

from .cli import Cli, versions_expected

KUBERNETES = "kubernetes"


@dataclass(frozen=True)
class Plugin:
    name: str
    version: str
    source: Path

    def installed_path(self, home: Path) -> Path:
        return home / "plugins" / f"resource-{self.name}-v{self.version}" / f"pulumi-resource-{self.name}"


def installed(plugin: Plugin, home: Path) -> bool:
    target = plugin.installed_path(home)
    return target.is_file() and filecmp.cmp(target, plugin.source, shallow=False)


def install(cli: Cli, plugin: Plugin) -> bool:
    """Installs unless already there; True if it installed."""
    if installed(plugin, cli.home):
        return False
    cli.run(["plugin", "install", "resource", plugin.name, plugin.version, "--file", str(plugin.source), "--reinstall"])
    return True


def install_all(cli: Cli) -> list[str]:
    """kubernetes from the built provider (when the toolchain has it), command from the
    stand-in; the names installed."""
    versions = versions_expected()
    done = []
    with tempfile.TemporaryDirectory(prefix="som-drv-launcher-") as scratch:
        plugins = [Plugin(COMMAND, versions[COMMAND], write_launcher(Path(scratch)))]
        if cli.toolchain.kubernetes_provider is not None:
            plugins.insert(0, Plugin(KUBERNETES, versions[KUBERNETES], cli.toolchain.kubernetes_provider))
        for plugin in plugins:
            if install(cli, plugin):
                done.append(plugin.name)
    return done
