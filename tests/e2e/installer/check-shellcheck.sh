#!/usr/bin/env bash
# Runs shellcheck on every shell script of the repository: scripts/, installer/ (with the package
# scriptlets), .ci/ and tests/. A script is a file ending in .sh or starting with a sh/bash shebang.
# The shell commands of the cloud-init examples (installer/*.yaml, runcmd) are checked too, and the
# task definitions they write must be valid JSON (needs python3 with yaml; said when missing).
# Usage: check-shellcheck.sh REPO. Exit 77 (skip) without shellcheck, except in CI (CI=true).
set -euo pipefail

repo=${1:?usage: check-shellcheck.sh REPO}
cd "$repo"

if ! command -v shellcheck >/dev/null 2>&1; then
  if [[ ${CI:-} == true ]]; then
    echo "check-shellcheck: shellcheck is missing (required in CI; scripts/install-deps installs it)" >&2
    exit 1
  fi
  echo "check-shellcheck: SKIPPED: shellcheck is missing (apt-get install shellcheck)"
  exit 77
fi

scripts=()
while IFS= read -r -d '' file; do
  if [[ $file == *.sh ]] || head -n1 "$file" | grep -Eq '^#!.*[/ ](ba|da)?sh( |$)'; then
    scripts+=("$file")
  fi
done < <(find scripts installer .ci tests -type f ! -path '*/data/*' -print0 2>/dev/null | sort -z)

if ((${#scripts[@]} == 0)); then
  echo "check-shellcheck: FAIL: no scripts found under $repo" >&2
  exit 1
fi
echo "check-shellcheck: $(shellcheck --version | sed -n 's/^version: //p'), ${#scripts[@]} scripts"
# -x follows `source` lines; each script names its sources with `# shellcheck source=`.
failed=0
if shellcheck -x "${scripts[@]}"; then
  printf 'check-shellcheck: clean: %s\n' "${scripts[*]}"
else
  failed=1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for yaml in installer/*.yaml; do
  [[ -f $yaml ]] || continue
  if ! python3 -c 'import yaml' 2>/dev/null; then
    echo "check-shellcheck: $yaml not checked: python3 with yaml is missing (apt-get install python3-yaml)"
    continue
  fi
  # Each runcmd entry becomes a sh script; each written .json file is parsed.
  if ! python3 - "$yaml" "$work" <<'PY'; then
import json, os, sys, yaml
path, out = sys.argv[1], sys.argv[2]
with open(path) as f:
    first = f.readline()
    doc = yaml.safe_load(first + f.read())
if first.strip() != "#cloud-config":
    sys.exit(f"{path}: the first line must be #cloud-config")
for i, cmd in enumerate(doc.get("runcmd", [])):
    text = cmd if isinstance(cmd, str) else " ".join(cmd)
    with open(os.path.join(out, f"runcmd-{i}.sh"), "w") as script:
        script.write("#!/bin/sh\n" + text)
for entry in doc.get("write_files", []):
    if entry["path"].endswith(".json"):
        try:
            json.loads(entry["content"])
        except ValueError as e:
            sys.exit(f"{path}: {entry['path']}: not JSON: {e}")
PY
    echo "check-shellcheck: FAIL: $yaml is not a valid cloud-config (above)" >&2
    failed=1
    continue
  fi
  for script in "$work"/runcmd-*.sh; do
    [[ -f $script ]] || continue
    if shellcheck -s sh "$script"; then
      echo "check-shellcheck: clean: $yaml runcmd $(basename "$script" .sh | sed 's/runcmd-//')"
    else
      echo "check-shellcheck: FAIL: $yaml runcmd (above)" >&2
      failed=1
    fi
    rm -f "$script"
  done
done
exit "$failed"
