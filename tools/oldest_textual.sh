#!/usr/bin/env bash
# The suite under the oldest textual pyproject.toml allows (snapshots aside: their pictures
# belong to one textual version). CI runs it after the README's test command.
set -euo pipefail
cd "$(dirname "$0")/.."
minimum=$(python3 -c "import re, tomllib; deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; print(next(re.search(r'>=([\d.]+)', d)[1] for d in deps if d.startswith('textual>')))")
python3 -m venv .venv-oldest
.venv-oldest/bin/pip install -q -e '.[test]' "textual==${minimum}"
.venv-oldest/bin/python -m pytest -q --ignore tests/test_snapshots.py
