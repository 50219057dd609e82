"""Real clusters in the lab (marked realcluster): a bring-up per module."""
