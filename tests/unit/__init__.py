"""The pure core: no root, no network namespace, no program but Python."""
