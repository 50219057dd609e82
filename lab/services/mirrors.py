"""The lab's mirrors as one unit: service namespace, TLS, image registry, apt repository.

Why one unit: an air-gapped site's nodes need both mirrors at once, behind one CA and
one set of names. ``up`` brings up the empty services (fast, no builds); ``fill``
builds what the cache lacks and pushes/publishes it. ``down`` (or the lab's own
teardown, which removes every ``som-<id>-*`` namespace and the lab's state dir)
removes everything; ``up`` undoes its own work when it fails half way.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..images.build import build as build_image
from ..images.inputs import bin_dirs
from ..images.spec import ImageSpec
from ..images.spec import plan as image_plan
from ..proc import LabError
from ..spec import LabNames
from ..versions import KubernetesRow
from . import apt, debs, network, process, registry, tls
from .packages import PackageSpec
from .packages import plan as package_plan
from .site import APT_HOST, REGISTRY_HOST, Site

SITE_FILE = "site.json"
CA_ON_NODES = "/usr/local/share/ca-certificates/som-lab-ca.crt"


def site_file(lab_id: str) -> Path:
    return LabNames(lab_id).state_dir / "services" / SITE_FILE


def attach(lab_id: str) -> Site:
    """The site of a lab whose services another process brought up."""
    path = site_file(lab_id)
    if not path.is_file():
        raise LabError(f"lab {lab_id} has no services ({path} is missing)")
    return Site(**json.loads(path.read_text()))


def tls_files(site: Site) -> tls.TlsFiles:
    return tls.TlsFiles(site.state_dir / "tls")


def up(site: Site) -> tls.TlsFiles:
    """Namespace, CA and certificate, apt key, registry and HTTPS server, all empty."""
    if site.state_dir.exists():
        raise LabError(f"lab {site.lab_id} already has services ({site.state_dir})")
    try:
        site.state_dir.mkdir(mode=0o700, parents=True)
        site_file(site.lab_id).write_text(json.dumps(asdict(site)) + "\n")
        network.create(site)
        network.write_hosts_file(site)
        files = tls.create(tls_files(site).directory, site.lab_id, [REGISTRY_HOST, APT_HOST], [site.address])
        apt.create_key(site)
        registry.start(site, files)
        apt.start(site, files)
    except BaseException:
        down(site)
        raise
    return files


def down(site: Site) -> None:
    """Stop the services, remove the namespace and every key, certificate and file (idempotent)."""
    for name in sorted(process.load(site)):
        process.stop(site, name)
    network.delete(site)
    shutil.rmtree(site.state_dir, ignore_errors=True)


@dataclass
class Filled:
    """What fill() did, with timings: image build seconds per image, repository seconds."""

    images: dict[str, float] = field(default_factory=dict)  # reference -> build seconds (0: cached)
    packages: dict[str, float] = field(default_factory=dict)  # .deb name -> build seconds (0: cached)
    push_seconds: float = 0.0
    repository_seconds: float = 0.0
    repository_url: str = ""


def fill(
    site: Site, row: KubernetesRow, bin_dirs: Mapping[str, Path],
    images: list[ImageSpec], packages: list[PackageSpec], cache: Path | None = None,
) -> Filled:
    """Build (or take from the cache under ``cache``, default $SOM_CACHE) the images and
    packages, push and publish them."""
    filled = Filled()
    built_images = [build_image(spec, bin_dirs, cache) for spec in images]
    for image in built_images:
        filled.images[image.spec.reference(site.image_repository)] = image.seconds
    started = time.monotonic()
    registry.push(site, [(b.oci_reference, b.spec.name, b.spec.tag) for b in built_images])
    filled.push_seconds = time.monotonic() - started
    started = time.monotonic()
    built_debs = [debs.build(package, bin_dirs, cache) for package in packages]
    for deb in built_debs:
        filled.packages[deb.path.name] = deb.seconds
    if built_debs:
        apt.publish(site, row, built_debs)
        filled.repository_url = site.apt_url(row.minor)
    filled.repository_seconds = time.monotonic() - started
    return filled


def fill_release(site: Site, row: KubernetesRow) -> Filled:
    """Serve one Kubernetes release: its images in the registry, its packages in the apt
    repository of its minor (pkgs.k8s.io's layout keeps each minor's repository apart,
    so a site serves the release it runs and the one it upgrades to side by side)."""
    images, packages = image_plan(row), package_plan(row)
    dirs = bin_dirs({*(u for s in images for u in s.units), *(u for p in packages for u in p.units)}, row=row)
    return fill(site, row, dirs, images, packages)


def node_files(site: Site) -> dict[str, str]:
    """What a lab node needs to use the mirrors: the lab CA in its trust store.

    (The hosts line, ``site.hosts_line()``, goes into the node's /etc/hosts.)
    """
    return {CA_ON_NODES: tls_files(site).ca_cert.read_text()}
