#!/usr/bin/env bash
# The DocC documentation of the public products: the plugin contracts and registry
# (LibP2PRegistry, with the plugin guide as an article), the conformance kit
# (LibP2PConformance) and the host library (LibP2PHost), built with
# swift-docc-plugin. Fails on any documentation warning (a broken symbol link, a
# topic naming a symbol that is gone, a parameter documented under a wrong name).
#
#   scripts/docs.sh            build the three archives under .build/plugins/Swift-DocC/outputs/
#   scripts/docs.sh --preview  serve LibP2PRegistry's at a local address instead (one target)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
targets=(LibP2PRegistry LibP2PConformance LibP2PHost)

# The C libraries' headers: the documented modules import them.
SKIP_PYTHON_PEER=1 scripts/install-deps.sh
if [ "${1:-}" = "--preview" ]; then
    exec swift package --disable-sandbox preview-documentation --target "${2:-LibP2PRegistry}"
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
args=()
for t in "${targets[@]}"; do args+=(--target "$t"); done
# --warnings-as-errors is docc's own flag, passed through by the plugin.
if ! swift package generate-documentation "${args[@]}" --warnings-as-errors >"$log" 2>&1; then
    grep -v "prohibited flag" "$log" | grep -E "warning:|error:|^ *[0-9]+ *\|" | head -n 60 >&2 || tail -n 40 "$log" >&2
    echo "docs: FAILED (documentation warnings or errors above)" >&2
    exit 1
fi
# Belt and braces: a docc that ignored the flag would still print the warnings.
if grep -E "^(warning|.*: warning):" "$log" | grep -v "prohibited flag" >&2; then
    echo "docs: FAILED (documentation warnings above)" >&2
    exit 1
fi
for t in "${targets[@]}"; do
    echo "docs: .build/plugins/Swift-DocC/outputs/$t.doccarchive"
done
