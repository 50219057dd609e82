"""Action ``mirrors``: the lab's registry and apt repository, up and filled with the
images and packages of the release the toolchain built, the lab's Spark image
(lab/images/spark), which the stack's ``spark.image`` names, and the object store that
the stack's ``spark.uploadPath`` points at (lab/services/objectstore.py)."""

from __future__ import annotations

import time

from ..images.spark.build import build as build_spark_image
from ..services import mirrors, objectstore, registry
from ..services.site import site_for
from ..toolchain.plan import lab_kubernetes
from .run import BringUp


def run(state: BringUp) -> None:
    assert state.lab is not None
    lab_state = state.lab.state
    site = site_for(state.lab_id, lab_state.subnet, lab_state.gateway, [n.address for n in state.lab.nodes])
    mirrors.up(site)
    state.site = site
    objectstore.start(site)
    filled = mirrors.fill_release(site, lab_kubernetes())
    state.facts["mirror_push_seconds"] = round(filled.push_seconds, 1)
    state.facts["mirror_repository_seconds"] = round(filled.repository_seconds, 1)
    spark = build_spark_image()
    started = time.monotonic()
    state.facts["spark_image"] = registry.push(site, [(spark.oci_reference, spark.spec.name, spark.spec.tag)])[0]
    state.facts["spark_image_seconds"] = {"build": round(spark.seconds, 1), "cached": spark.cached,
                                          "push": round(time.monotonic() - started, 1)}
