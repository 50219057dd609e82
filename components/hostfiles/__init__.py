"""Files put on hosts, one module per concern, each a pure function of the Platform.

Steps (``components.steps``) decide when a file is installed and what runs after it;
these modules only decide what the file says.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HostFile:
    """A file as it lands on a host: absolute path, exact bytes (UTF-8 text), octal mode."""

    path: str
    content: str
    mode: str = "0644"
    # The host's own file at this path (one that is not ours) is kept aside when ours first
    # replaces it, and put back when ours is removed.
    keeps_previous: bool = False

    def __post_init__(self) -> None:
        if not self.path.startswith("/"):
            raise ValueError(f"host file path must be absolute: {self.path}")
        if not self.content.endswith("\n"):
            raise ValueError(f"host file content must end with a newline: {self.path}")
