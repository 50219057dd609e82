"""The lab's Spark image: Spark 4 on Debian's JRE, built without a daemon and pushed to
the lab registry as ``<image repository>/spark:<version>`` (the stack's ``spark.image``).

spec.py is the pure recipe (tag, config, where each part comes from and why);
build.py builds it into ``$SOM_CACHE/images/spark/<version>/<content key>``;
entrypoint.sh is the container's entrypoint (Spark's driver/executor contract);
pi/ holds the SparkPi program the image carries.

    python -m lab.images.spark plan [--repository R]   # the reference the stack uses
    python -m lab.images.spark build                   # build unless cached; timing
"""

from .spec import SparkImage

__all__ = ["SparkImage"]
