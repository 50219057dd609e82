"""What a spark-submit argument list names: the application and the files it ships.

In cluster mode, spark-submit uploads every local file it is given (the application,
``--jars``, ``--files``, ``--py-files``, ``--archives``) to
``spark.kubernetes.file.upload.path`` and the driver downloads them from there; with
no upload path Spark fails only after it has contacted the cluster, with an error about
a missing setting. Reading the arguments here lets the helper refuse first, naming the
file. The grammar is spark-submit's own (SparkSubmitOptionParser): a few switches take
no value, every other option takes one (``--opt value`` or ``--opt=value``), and the
first argument that is not an option is the application, followed by its arguments.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence
from urllib.parse import urlsplit

# spark-submit's options that take no value.
SWITCHES = frozenset({"--help", "-h", "--supervise", "--usage-error", "--verbose", "-v", "--version"})
# Options whose value is a comma-separated list of files spark-submit uploads.
FILE_LIST_OPTIONS = frozenset({"--jars", "--files", "--py-files", "--archives"})
# Placeholders Spark uses instead of an application file.
NO_RESOURCE = frozenset({"spark-internal", "pyspark-shell", "sparkr-shell", "spark-shell"})


@dataclass(frozen=True)
class SubmitArguments:
    application: str | None
    shipped_files: tuple[str, ...] = ()  # from --jars, --files, --py-files, --archives
    conf: dict[str, str] = field(default_factory=dict)  # from --conf / -c


def parse(args: Sequence[str]) -> SubmitArguments:
    application: str | None = None
    files: list[str] = []
    conf: dict[str, str] = {}
    index = 0
    while index < len(args):
        arg = args[index]
        if not arg.startswith("-"):
            application = arg
            break
        name, has_value, value = arg.partition("=")
        if arg in SWITCHES or not arg.startswith("--") and arg not in ("-c",):
            index += 1
            continue
        if not has_value:
            name, value = arg, (args[index + 1] if index + 1 < len(args) else "")
            index += 1
        index += 1
        if name in FILE_LIST_OPTIONS:
            files += [item for item in value.split(",") if item]
        elif name in ("--conf", "-c"):
            key, _, setting = value.partition("=")
            conf[key] = setting
    return SubmitArguments(application, tuple(files), conf)


def is_local(resource: str) -> bool:
    """A file on the submitting machine: no scheme, or ``file:`` (``local://`` is in the image)."""
    if resource in NO_RESOURCE:
        return False
    path = resource.split("#", 1)[0]  # --archives name#alias
    return urlsplit(path).scheme in ("", "file")


def local_files(arguments: SubmitArguments) -> list[str]:
    candidates = ([arguments.application] if arguments.application else []) + list(arguments.shipped_files)
    return [resource for resource in candidates if is_local(resource)]
