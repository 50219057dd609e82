"""Running the real program without the Pulumi CLI: recording mocks, and an engine stand-in.

The Pulumi CLI and its plugins cannot be installed on these machines, so the program runs
under ``pulumi.runtime.set_mocks``. ``recording`` captures every registration with what
the engine would see (URN, parent, dependencies, secret inputs, secret outputs);
``engine`` adds state, diffs and deletes on top, and executes remote commands for real.
"""
