#!/usr/bin/env bash
# tests/mem/design_vocab.sh DESIGN VOCAB: the memory vocabulary table of docs/design.md (between
# its "vocabulary" markers) names every field of FL_MEM_BYTES then FL_MEM_RATIOS, in order (VOCAB
# prints them from mem.h), so the design page cannot drift from the definition.
set -euo pipefail
design="$1"
vocab="$2"
got="$(sed -n '/^<!-- vocabulary:/,/^<!-- end vocabulary -->/p' "$design" |
    sed -n 's/^| `\([a-z_]*\)` |.*/\1/p')"
want="$("$vocab")"
if [[ "$got" != "$want" ]]; then
    echo "FAIL: docs/design.md's vocabulary table differs from mem.h" >&2
    diff <(echo "$want") <(echo "$got") >&2 || true
    exit 1
fi
echo "design vocabulary: $(echo "$want" | wc -l) names, as in mem.h"
