#!/usr/bin/env bash
# The suite under load: keeps one core busy, runs the README's test command N times on a fresh
# clone of HEAD, stops the load, and exits non-zero if any run was red.
#   tools/soak.sh [N]        (default 5; logs in $SOAK_DIR, default a temporary folder)
set -uo pipefail
runs=${1:-5}
top=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
command=$(grep -m1 -- '-m pytest' "$top/README.md")  # the quick start's test command, verbatim
[ -n "$command" ] || { echo "soak: no test command found in README.md" >&2; exit 2; }
dir=${SOAK_DIR:-$(mktemp -d -t gilviz-soak.XXXXXX)}
git clone -q "$top" "$dir/clone" || exit 2

bash -c 'while :; do :; done' &  # one core busy for the whole soak, whatever python3 is here
load=$!
trap 'kill "$load" 2>/dev/null' EXIT

echo "soak: $runs runs of: $command"
echo "soak: in $dir/clone at $(git -C "$dir/clone" rev-parse --short HEAD), one core kept busy (pid $load)"
red=0
for run in $(seq 1 "$runs"); do
    start=$(date +%s)
    (cd "$dir/clone" && bash -c "$command") >"$dir/run-$run.log" 2>&1
    status=$?
    summary=$(grep -E '^=+ .*(passed|failed|error).* =+$' "$dir/run-$run.log" | tail -1 | tr -d '=')
    echo "run $run/$runs: exit $status in $(( $(date +%s) - start )) s:${summary:- no summary}"
    if [ "$status" -ne 0 ]; then
        red=$((red + 1))
        grep -E '^(FAILED|ERROR) ' "$dir/run-$run.log" | sed 's/^/    /'
    fi
done
echo "soak: $((runs - red)) of $runs green; logs in $dir"
[ "$red" -eq 0 ]
