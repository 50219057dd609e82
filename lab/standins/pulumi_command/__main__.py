"""``python -m lab.standins.pulumi_command <engine address>``: what the engine launches."""

import sys

from .server import serve

serve(sys.argv[1:])
