#!/usr/bin/env bash
# libchatkeep.so exports every function chatkeep.h declares, each at version CHATKEEP_0, and
# nothing else; its SONAME carries the major version.
# Usage: exports_test.sh LIBRARY HEADER
set -euo pipefail
library=$1
header=$2

exported=$(nm -D --defined-only "$library" | awk '{print $3}')
extra=$(grep -v -x -E 'chatkeep_[a-z_]+@@CHATKEEP_0|CHATKEEP_0' <<<"$exported" || true)
if [[ -n $extra ]]; then
  echo "exported beyond the C interface:"
  echo "$extra" | head -20
  exit 1
fi
declared=$(grep -o -E 'chatkeep_[a-z_]+\(' "$header" | tr -d '(' | sort -u)
[[ -n $declared ]] || { echo "no function found in $header"; exit 1; }
for function in $declared; do
  grep -q -x "${function}@@CHATKEEP_0" <<<"$exported" || { echo "not exported: $function"; exit 1; }
done
soname=$(objdump -p "$library" | awk '$1 == "SONAME" {print $2}')
[[ $soname == libchatkeep.so.0 ]] || { echo "SONAME is '$soname'"; exit 1; }
echo "exports: $(wc -w <<<"$declared") functions, all versioned CHATKEEP_0; SONAME $soname"
