"""spark-on-metal: bare-metal machines over SSH -> a multi-tenant kubeadm cluster for Spark.

Load and validate the stack configuration, build the platform, export the outputs; the
work is in components/ (pure planning) and its thin Pulumi components.
"""

from components.program import main

main()
