"""Mutation testing of the pure core: run by ``scripts/mutation.sh``, never by pytest itself."""
