"""``python -m components spark-submit``: the full spark-submit command for a tenant.

Reads the stack outputs (README.md, "Stack outputs"), never the stack configuration, so it works
for anyone who can read the stack, from any checkout, and always matches what is
deployed. The outputs come from ``pulumi stack output --json -s STACK`` when the
``pulumi`` CLI is on PATH, or from a JSON file given with ``--outputs`` (write one with
``pulumi stack output --json -s STACK > outputs.json``). No secret is needed: the
kubeconfig stays out of it, and spark-submit authenticates with the caller's own
kubeconfig.

Spark reads pod templates on the submitting machine. Printed (the default), the command
is a self-contained POSIX sh script: it writes the tenant's templates (from the outputs)
to a temporary directory and runs spark-submit with them, so it works when copied to
another machine that has spark-submit and a kubeconfig. With ``--exec`` the templates are
written to ``--template-dir`` (default ``$XDG_CACHE_HOME/spark-on-metal/<stack>/<tenant>``)
and spark-submit replaces this process.

``--tenant-kubeconfig`` submits as the tenant's own identity (the secret output
``kubeconfig-<tenant>``: rights in the tenant namespace only) instead of the caller's
kubeconfig: it is read with ``pulumi stack output NAME --show-secrets`` (or from an
``--outputs`` file written with ``--show-secrets``), written to a 0600 file next to the
templates, and handed to spark-submit in ``KUBECONFIG``; never on a command line.

Local application files need an upload path (the stack's ``spark.uploadPath``, in the
outputs as ``spark.kubernetes.file.upload.path``); without one, a local application or
``--jars``/``--files`` entry is refused here, before Spark starts, naming the file.

A client whose Spark release line differs from the tenant's image gets a warning
(components/spark_versions.py), not a refusal: the user may know the pair works.

Arguments after ``--`` go to spark-submit unchanged and after the platform's settings,
so a user's own ``--conf key=value`` overrides a platform default (spark-submit keeps
the last value of a key).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Sequence

from components import shell, spark_args, spark_versions
from components.manifests import spark
from components.outputs import CONTRACT_VERSION

KUBECONFIG_FILE = "kubeconfig"
MASKED_SECRET = "[secret]"  # how pulumi stack output prints a secret without --show-secrets


class SubmitError(Exception):
    """A problem the user can fix; the message says how."""


def submit_argv(
    outputs: dict[str, Any],
    tenant: str,
    template_dir: str,
    spark_args: Sequence[str] = (),
    executable: str = "spark-submit",
) -> list[str]:
    """The argv: master and deploy mode, the reference's three confs, the rest sorted."""
    settings = tenant_outputs(outputs, tenant)
    conf = {**settings["sparkConf"], **spark.template_conf(template_dir)}
    conf.pop("spark.master", None)
    deploy_mode = conf.pop(spark.DEPLOY_MODE_KEY, spark.DEPLOY_MODE)
    check_uploads(conf, spark_args)
    ordered = [key for key in spark.HEADLINE_KEYS if key in conf] + sorted(set(conf) - set(spark.HEADLINE_KEYS))
    argv = [executable, "--master", outputs["sparkMaster"], "--deploy-mode", deploy_mode]
    for key in ordered:
        argv += ["--conf", f"{key}={conf[key]}"]
    return argv + list(spark_args)


def check_uploads(conf: dict[str, str], args: Sequence[str]) -> None:
    """Refuse local files when nothing says where spark-submit would upload them."""
    parsed = spark_args.parse(args)
    if spark.UPLOAD_PATH_KEY in conf or spark.UPLOAD_PATH_KEY in parsed.conf:
        return
    local = spark_args.local_files(parsed)
    if local:
        raise SubmitError(
            f"{', '.join(local)} {'is a local file' if len(local) == 1 else 'are local files'}, and the stack has no upload path "
            f"({spark.UPLOAD_PATH_KEY}) to ship {'it' if len(local) == 1 else 'them'} through: use an application in the image "
            "(local:///opt/spark/...) or at a remote URI (s3a://, hdfs://, https://), or set the stack's spark.uploadPath "
            "(pulumi config set --path spark.uploadPath s3a://<bucket>/<path>) and pulumi up"
        )


def tenant_outputs(outputs: dict[str, Any], tenant: str) -> dict[str, Any]:
    version = outputs.get("contractVersion")
    if version != CONTRACT_VERSION:
        raise SubmitError(
            f"the stack outputs have contractVersion {version!r}, this tool reads version {CONTRACT_VERSION}: "
            "update this checkout, or the stack (pulumi up)"
        )
    known = outputs.get("tenants") or {}
    if tenant not in known:
        raise SubmitError(f"the stack has no tenant {tenant!r}; tenants: {', '.join(sorted(known)) or '(none)'}")
    return known[tenant]


def write_templates(outputs: dict[str, Any], tenant: str, template_dir: Path) -> list[Path]:
    """Write the tenant's pod templates where ``submit_argv`` points spark-submit."""
    templates = tenant_outputs(outputs, tenant)["podTemplates"]
    template_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for role in spark.ROLES:
        path = template_dir / spark.TEMPLATE_FILES[role]
        temporary = path.with_suffix(".tmp")
        temporary.write_text(templates[role])
        temporary.replace(path)
        written.append(path)
    return written


def read_outputs(stack: str | None, outputs_file: str | None) -> dict[str, Any]:
    if outputs_file is not None:
        try:
            text = sys.stdin.read() if outputs_file == "-" else Path(outputs_file).read_text()
            return json.loads(text)
        except (OSError, ValueError) as error:
            raise SubmitError(f"cannot read the stack outputs from {outputs_file}: {error}") from None
    if stack is None:
        raise SubmitError("give --stack (read with the pulumi CLI) or --outputs FILE")
    pulumi = shutil.which("pulumi")
    if pulumi is None:
        raise SubmitError(
            "the pulumi CLI is not on PATH; write the outputs elsewhere with "
            f"'pulumi stack output --json -s {stack} > outputs.json' and pass --outputs outputs.json"
        )
    result = subprocess.run([pulumi, "stack", "output", "--json", "-s", stack], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SubmitError(f"pulumi stack output failed for stack {stack}: {result.stderr.strip()}")
    return json.loads(result.stdout)


def read_tenant_kubeconfig(outputs: dict[str, Any], tenant: str, stack: str | None, outputs_file: str | None) -> str:
    """The tenant's kubeconfig (a secret output): from the outputs file, else the pulumi CLI."""
    name = tenant_outputs(outputs, tenant).get("kubeconfigOutput")
    if not name:
        raise SubmitError("the stack outputs name no tenant kubeconfig (kubeconfigOutput): pulumi up with this checkout first")
    if outputs_file is not None:
        value = outputs.get(name)
        if not isinstance(value, str) or value == MASKED_SECRET:
            raise SubmitError(
                f"the outputs file has no readable {name}: write it with 'pulumi stack output --json --show-secrets' "
                "(it then holds secrets: keep it private), or give --stack instead of --outputs"
            )
        return value
    pulumi = shutil.which("pulumi")
    if pulumi is None or stack is None:
        raise SubmitError("--tenant-kubeconfig needs --stack and the pulumi CLI, or an --outputs file written with --show-secrets")
    result = subprocess.run([pulumi, "stack", "output", name, "--show-secrets", "-s", stack], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SubmitError(f"pulumi stack output {name} failed for stack {stack}: {result.stderr.strip()}")
    return result.stdout


def write_private(path: Path, text: str) -> Path:
    """Write ``text`` readable by its owner only, from the first byte (no chmod window)."""
    temporary = path.with_suffix(".tmp")
    temporary.unlink(missing_ok=True)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)
    temporary.replace(path)
    return path


def default_template_dir(stack: str | None, tenant: str) -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "spark-on-metal" / (stack or "outputs") / tenant


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m components spark-submit",
        description="Print (or run) spark-submit for a tenant, from the stack outputs.",
        epilog="Everything after -- is passed to spark-submit, e.g. -- --class org.apache.spark.examples.SparkPi "
        "local:///opt/spark/examples/jars/spark-examples.jar 1000",
    )
    p.add_argument("--stack", help="stack name for 'pulumi stack output --json -s STACK'")
    p.add_argument("--tenant", required=True, help="tenant (namespace) to submit to")
    p.add_argument("--outputs", metavar="FILE", help="JSON from 'pulumi stack output --json' ('-' for stdin) instead of the pulumi CLI")
    p.add_argument("--exec", action="store_true", dest="run", help="run spark-submit instead of printing the command")
    p.add_argument("--spark-submit", default="spark-submit", metavar="PATH", help="the spark-submit executable")
    p.add_argument("--template-dir", type=Path, metavar="DIR", help="where to write the pod templates")
    p.add_argument(
        "--tenant-kubeconfig",
        action="store_true",
        help="submit as the tenant's own identity (the secret output kubeconfig-<tenant>, written 0600 next to the templates) instead of your KUBECONFIG",
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    ours, spark_args = (argv[: argv.index("--")], argv[argv.index("--") + 1 :]) if "--" in argv else (argv, [])
    args = parser().parse_args(ours)
    try:
        outputs = read_outputs(args.stack, args.outputs)
        template_dir = (args.template_dir or default_template_dir(args.stack, args.tenant)).absolute()
        command = submit_argv(outputs, args.tenant, str(template_dir) if args.run else TEMPLATES_MARK, spark_args, args.spark_submit)
        kubeconfig = None
        if args.run:
            write_templates(outputs, args.tenant, template_dir)
        if args.tenant_kubeconfig:
            text = read_tenant_kubeconfig(outputs, args.tenant, args.stack, args.outputs)
            template_dir.mkdir(parents=True, exist_ok=True)
            kubeconfig = write_private(template_dir / KUBECONFIG_FILE, text)
    except SubmitError as error:
        print(f"spark-submit: {error}", file=sys.stderr)
        return 2
    image = tenant_outputs(outputs, args.tenant)["sparkConf"].get(spark.IMAGE_KEY, "")
    warning = spark_versions.mismatch_warning(spark_versions.client_version(args.spark_submit, os.environ), image)
    if warning:
        print(f"spark-submit: warning: {warning}", file=sys.stderr)
    if args.run:
        if kubeconfig is not None:
            os.environ["KUBECONFIG"] = str(kubeconfig)
        os.execvp(command[0], command)
    if kubeconfig is not None:
        print(f"# the tenant's kubeconfig is in {kubeconfig} (0600): run the script with KUBECONFIG={kubeconfig}", file=sys.stderr)
    print(portable_script(outputs, args.tenant, command, tenant_kubeconfig=args.tenant_kubeconfig), end="")
    return 0


TEMPLATES_MARK = "@@SOM_TEMPLATES@@"  # where the script's temporary template directory goes


def portable_script(outputs: dict[str, Any], tenant: str, command: Sequence[str], tenant_kubeconfig: bool = False) -> str:
    """A POSIX sh script that runs ``command`` anywhere: the tenant's pod templates travel
    inside it (heredocs, checked like every file the project writes) and land in a
    temporary directory that ``command``'s template paths (:data:`TEMPLATES_MARK`) name.
    No secret goes in: the tenant's kubeconfig stays a file ``KUBECONFIG`` points at."""
    settings = tenant_outputs(outputs, tenant)
    lines = [
        "#!/bin/sh",
        f"# spark-submit into tenant {tenant}, from the stack outputs (python -m components spark-submit).",
        "# Self-contained: writes the tenant's pod templates to a temporary directory, then runs spark-submit.",
        "set -eu",
    ]
    if tenant_kubeconfig:
        name = settings.get("kubeconfigOutput", f"kubeconfig-{tenant}")
        lines.append(f': "${{KUBECONFIG:?set KUBECONFIG to a 0600 file holding the stack output {name} (pulumi stack output {name} --show-secrets)}}"')
        lines.append("export KUBECONFIG")
    lines += ['templates=$(mktemp -d)', "trap 'rm -rf \"$templates\"' EXIT"]
    text = "\n".join(lines) + "\n"
    for role in spark.ROLES:
        content = settings["podTemplates"][role]
        text += shell.heredoc(f'cat > "$templates/{spark.TEMPLATE_FILES[role]}"', content if content.endswith("\n") else content + "\n")
    return text + " ".join(_quoted(arg) for arg in command) + "\n"


def _quoted(arg: str) -> str:
    """``arg`` quoted for sh, with :data:`TEMPLATES_MARK` expanded to the script's directory."""
    quoted = shlex.quote(arg)
    expansion = "'\"$templates\"'" if quoted.startswith("'") else '"$templates"'
    return quoted.replace(TEMPLATES_MARK, expansion)
