"""spark-on-metal: the pure core (config, plans, host files, step scripts, Kubernetes
objects) and the thin Pulumi shell over it (cluster.py, kube.py, program.py).

Importing the package imports nothing: the policy pack imports ``components.vocabulary``
from the same tree without the program's dependencies.
"""
