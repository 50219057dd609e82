"""Stand-ins for tools a lab node cannot have: see common.py."""
