"""Entry point of the spark-on-metal policy pack (``pulumi preview --policy-pack policy``).

The Pulumi CLI runs this file through ``python -m pulumi.policy``, which executes it as
``__main__``; ``PolicyPack(...)`` then starts the analyzer's gRPC server, prints its port
and serves until the engine stops it. Imported under any other name (tests, tools) it
only defines ``build_policies`` and ``main`` and starts nothing.
"""

from __future__ import annotations

import sys
from pathlib import Path

# The CLI puts this directory on sys.path; an import from elsewhere may not.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from pulumi_policy import EnforcementLevel, PolicyPack  # noqa: E402

from spark_policies.pack import PACK_NAME, build_policies  # noqa: E402


def main() -> None:
    """Serve the pack to the Pulumi engine (blocks until the engine is done)."""
    PolicyPack(name=PACK_NAME, policies=build_policies(), enforcement_level=EnforcementLevel.MANDATORY)


if __name__ == "__main__":
    main()
