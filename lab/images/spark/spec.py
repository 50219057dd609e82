"""The lab's Spark image as plain data: its name and tag, where each part comes from,
and the OCI config that honours Spark's Kubernetes container contract.

Why data apart from the build: the tag must be what the stack's ``spark.image`` names
and the config what Spark's pods expect (entrypoint words, user, SPARK_HOME); pure tests
check both without a 450 MB download.

Where the parts come from (the machine reaches PyPI, Debian and Maven, not a container
registry):
- the JRE: Debian bookworm's ``openjdk-17-jre-headless`` (Spark 4 needs Java 17 or 21)
  with ``tini``, installed by ``mmdebstrap`` into a minimal root from the machine's own
  apt sources. Why not the machine's files with their libraries (lab.images.hostfiles):
  a JRE is a tree of libraries, configuration under /etc/java-17-openjdk reached through
  symlinks, a CA store made by a maintainer script, and Spark's bin/ scripts need bash
  and coreutils; a real Debian root gets all of it right by construction. Measured: the
  JRE is 192 MB either way; its 17 shared libraries plus bash, coreutils and tini from
  the machine would add about 25 MB, the Debian root adds 152 MB, next to Spark's 483
  MB of jars (image: 828 MB unpacked, one 588 MB gzip layer); mmdebstrap takes about
  3.5 minutes cold, and the whole image is cached by its inputs.
- Spark's jars and bin/ scripts: the PyPI ``pyspark`` distribution (PyPI serves 4.3.0 as
  an sdist only; its ``deps/jars`` and ``deps/bin`` are a Spark distribution's ``jars``
  and ``bin``, spark-kubernetes included).
- SparkPi: Maven Central serves no ``spark-examples`` artifact at any version, so the
  lab compiles its own (lab/images/spark/pi) against the distribution's jars with the
  machine's javac, at the jar path users know.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from ..spec import PATH_ENV, ImageSpec

HERE = Path(__file__).resolve().parent
ENTRYPOINT_SOURCE = HERE / "entrypoint.sh"
PI_SOURCE = HERE / "pi" / "SparkPi.java"

SPARK_VERSION = "4.3.0"
SCALA_VERSION = "2.13"
SPARK_HOME = "/opt/spark"
SPARK_CONF_DIR = f"{SPARK_HOME}/conf"
WORK_DIR = f"{SPARK_HOME}/work-dir"
ENTRYPOINT = "/opt/entrypoint.sh"
EXAMPLES_JAR = f"{SPARK_HOME}/examples/jars/spark-examples.jar"
PI_CLASS = "org.apache.spark.examples.SparkPi"
JAVA_HOME = "/usr/lib/jvm/java-17-openjdk-amd64"
# Upstream's images run Spark as uid 185 ("spark"); pod templates may rely on it for
# file ownership of mounted volumes.
SPARK_UID = 185
DEBIAN_SUITE = "bookworm"
DEBIAN_PACKAGES = ("openjdk-17-jre-headless", "tini")
# Machine apt sources (deb822) mmdebstrap reads; the Debian root gets the same mirrors.
APT_SOURCES = "/etc/apt/sources.list.d/debian.sources"
# What the Debian root need not carry in a container (docs, caches, apt's lists).
PRUNED = ("usr/share/doc", "usr/share/man", "usr/share/info", "usr/share/locale",
          "var/cache/apt", "var/lib/apt/lists", "var/log", "dev")
# The distribution's directories the image keeps (sdist path under deps/ -> image path).
DISTRIBUTION_DIRS = {"jars": f"{SPARK_HOME}/jars", "bin": f"{SPARK_HOME}/bin",
                     "sbin": f"{SPARK_HOME}/sbin"}
# A jar the image cannot work without on Kubernetes (checked after unpacking).
REQUIRED_JARS = (f"spark-kubernetes_{SCALA_VERSION}-{SPARK_VERSION}.jar",
                 f"spark-core_{SCALA_VERSION}-{SPARK_VERSION}.jar")


@dataclass(frozen=True)
class SparkImage:
    """The Spark image of one Spark version."""

    version: str = SPARK_VERSION
    name: str = "spark"
    packages: tuple[str, ...] = DEBIAN_PACKAGES
    suite: str = DEBIAN_SUITE
    uid: int = SPARK_UID

    @property
    def tag(self) -> str:
        return self.version

    @property
    def distribution(self) -> str:
        """The PyPI requirement that carries Spark's jars and scripts."""
        return f"pyspark=={self.version}"

    def reference(self, repository: str) -> str:
        """``<repository>/spark:<version>``: what the stack's ``spark.image`` names."""
        return f"{repository.rstrip('/')}/{self.name}:{self.tag}"

    @property
    def env(self) -> tuple[str, ...]:
        return (PATH_ENV, f"JAVA_HOME={JAVA_HOME}", f"SPARK_HOME={SPARK_HOME}",
                f"SPARK_CONF_DIR={SPARK_CONF_DIR}")

    def oci_config(self) -> ImageSpec:
        """The OCI config part (lab.images.oci writes it); files come from the build."""
        return ImageSpec(name=self.name, tag=self.tag, files=(), entrypoint=(ENTRYPOINT,),
                         env=self.env, user=str(self.uid))

    @property
    def passwd_line(self) -> str:
        return f"spark:x:{self.uid}:{self.uid}:Spark:{WORK_DIR}:/usr/sbin/nologin\n"

    @property
    def group_line(self) -> str:
        return f"spark:x:{self.uid}:\n"

    def fingerprint(self) -> str:
        """A hash of the recipe (the build's cache key adds the inputs' bytes)."""
        recipe = {**asdict(self), "env": self.env, "entrypoint": ENTRYPOINT, "workdir": WORK_DIR,
                  "examples": EXAMPLES_JAR, "pruned": PRUNED, "dirs": DISTRIBUTION_DIRS}
        return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()
