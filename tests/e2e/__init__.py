"""End to end: the real program, through the engine stand-in, against the lab's hosts."""
