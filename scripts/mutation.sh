#!/usr/bin/env bash
# Mutation testing of the pure core with mutmut: every small change to the code, one at a
# time, against the fast tests; prints killed/total per module. Slow (tens of minutes on
# two cores), so it is not part of scripts/test.sh.
#
#   bash scripts/mutation.sh                  # the pure core against the fast tests
#   bash scripts/mutation.sh --keep           # keep the work directory (mutmut show/browse there)
#   bash scripts/mutation.sh --tests "tests/unit/test_a.py tests/unit/test_b.py"   # another test selection
#   bash scripts/mutation.sh --modules "components/taints.py"           # other modules to mutate
#   bash scripts/mutation.sh -- --deselect tests/unit/test_x.py::test_y      # extra pytest arguments
#
# mutmut rewrites code under ./mutants and `mutmut apply` writes into the source tree, so it
# runs on a copy of the working tree in a temporary directory: the clone is never touched,
# and edits made while it runs do not mix into the result.
set -euo pipefail
cd "$(dirname "$0")/.."
project=$PWD
python=$project/.venv/bin/python

modules=(
    components/taints.py
    components/manifests/tenants.py
    components/hostfiles/cni.py
    components/validation/*.py
)
shopt -s nullglob
pinned=(tests/unit/test_pinned_*.py)
tests="tests/unit/test_manifests.py tests/unit/test_manifests_render.py tests/unit/test_manifests_schema.py
tests/unit/test_config_validation.py tests/unit/test_hostile_input.py tests/unit/test_host_files.py tests/unit/test_network_plan.py tests/unit/test_outputs.py ${pinned[*]}"
# Runs `python -m components` from a copy of the package in a fresh directory: under
# mutmut that copy is the instrumented one, which cannot run outside mutmut's harness.
incompatible=(tests/unit/test_config_validation.py::test_render_command_reports_config_errors_without_a_traceback)
keep=""
jobs=$(nproc)
pytest_args=()
while [ $# -gt 0 ]; do
    case $1 in
        --keep) keep=1 ;;
        --tests) tests=$2; shift ;;
        --modules) read -r -a modules <<<"$2"; shift ;;
        --jobs) jobs=$2; shift ;;
        --) shift; pytest_args=("$@"); break ;;
        *) echo "mutation.sh: unknown argument $1 (see the head of scripts/mutation.sh)" >&2; exit 2 ;;
    esac
    shift
done
"$python" -c 'import mutmut' 2>/dev/null || {
    echo "mutation.sh: mutmut is not installed in .venv; run: .venv/bin/pip install -r requirements-dev.txt" >&2
    exit 2
}

work=$(mktemp -d /tmp/spark-on-metal-mutation.XXXXXX)
if [ -z "$keep" ]; then trap 'rm -rf "$work"' EXIT; fi
tar -C "$project" --exclude=./.venv --exclude=./.git --exclude=./mutants --exclude=./render --exclude=./out \
    --exclude=__pycache__ --exclude=.pytest_cache --exclude=.mypy_cache --exclude=.hypothesis -cf - . | tar -C "$work" -xf -

# mutmut 3 leaves decorated functions alone, and validation's checks are all @needs(...):
# in the copy, `@d def f` becomes `def f` then `f = d(f)` (same meaning), so they are mutated.
(cd "$work" && "$python" -m tests.mutation.undecorate "${modules[@]}")

# mutmut copies only the mutated package and tests/ into mutants/ and runs pytest there;
# the tests also read the project files beside the package (Pulumi.*.yaml, README.md, ...).
also_copy=$(cd "$work" && ls -d * | grep -v -x -e components -e tests)
indent() { sed 's/^/    /'; }
{
    echo "[mutmut]"
    echo "source_paths = components"
    echo "only_mutate ="; printf '%s\n' "${modules[@]}" | indent
    echo "also_copy ="; printf '%s\n' $also_copy | indent
    echo "pytest_add_cli_args ="
    printf '%s\n' -p no:cacheprovider -p tests.mutation.hypothesis_profile -m "not realcluster" \
        $(printf -- '--deselect %s ' "${incompatible[@]}") "${pytest_args[@]}" | indent
    echo "pytest_add_cli_args_test_selection ="; printf '%s\n' $tests | indent
    echo "use_git_change_detection = false"
} >"$work/setup.cfg"

echo "mutation testing ${modules[*]} against: $(echo $tests)"
echo "work directory: $work"
start=$(date +%s)
(cd "$work" && "$python" -m mutmut run --max-children "$jobs" >"$work/mutmut.log" 2>&1) || {
    tail -40 "$work/mutmut.log" >&2
    echo "mutation.sh: mutmut failed (whole log: $work/mutmut.log)" >&2
    keep=1; trap - EXIT
    exit 1
}
elapsed=$(( $(date +%s) - start )); echo "took $((elapsed / 60)) min $((elapsed % 60)) s"
(cd "$work" && "$python" -m tests.mutation.scores "${modules[@]}")
if [ -n "$keep" ]; then echo "kept: $work (cd there; $python -m mutmut show <mutant>)"; fi
