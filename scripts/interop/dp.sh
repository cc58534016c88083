#!/usr/bin/env bash
# Interop with Google's dp-accounting (PyPI dp-accounting 0.6.0): `warden data dp-epsilon` against
# RdpAccountant (same default orders) over a grid of q ∈ {0.001, 0.01, 0.1}, σ ∈ {0.5, 1, 2, 4},
# steps ∈ {1, 100, 10000}, δ = 1e-5; each ε must agree within 1e-3 relative (and the optimal order
# must be the same). warden's PLD accountant is compared with dp-accounting's PLDAccountant (defaults:
# pessimistic connect-the-dots, h = 1e-4) within 1e-3 relative on 24 points of the grid by default
# (every 1-step point; σ ≥ 1 at 100 steps, and at 10000 steps for q = 0.001): the wide loss
# distributions of σ = 0.5 or q ≥ 0.01 × 10000 steps take 10 s–2 min each in a debug build;
# DP_PLD_FULL=1 compares all 36 (≈ 10 min).
# Usage: scripts/interop/dp.sh   (creates .build-interop/venv on first use; WARDEN=path skips the build)
set -uo pipefail
cd "$(dirname "$0")/../.."
source scripts/interop/common.sh
ensure_venv dp-accounting==0.6.0
WARDEN="${WARDEN:-$(warden_bin)}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$PY" - "$work" "${DP_PLD_FULL:-0}" <<'PYEOF'
import json, sys
points = [{"sampling_rate": q, "noise_multiplier": s, "steps": n, "delta": 1e-5}
          for q in (0.001, 0.01, 0.1) for s in (0.5, 1.0, 2.0, 4.0) for n in (1, 100, 10000)]
json.dump(points, open(sys.argv[1] + "/rdp-grid.json", "w"))
full = sys.argv[2] == "1"
quick = lambda p: p["steps"] == 1 or (p["noise_multiplier"] >= 1 and (p["steps"] == 100 or p["sampling_rate"] == 0.001))
json.dump([p for p in points if full or quick(p)],
          open(sys.argv[1] + "/pld-grid.json", "w"))
PYEOF

compare() { # accountant tolerance
    local accountant="$1" tol="$2"
    if ! "$WARDEN" data dp-epsilon --grid "$work/$accountant-grid.json" --accountant "$accountant" --json >"$work/$accountant.json" 2>"$work/$accountant.err"; then
        if grep -q "not built" "$work/$accountant.err"; then echo "SKIP $accountant accountant (not built)"; return; fi
        fail "warden data dp-epsilon --accountant $accountant: $(head -1 "$work/$accountant.err")"; return
    fi
    while IFS= read -r line; do
        case "$line" in
            PASS*) echo "$line"; passed=$((passed + 1));;
            FAIL*) echo "$line"; failed=$((failed + 1));;
            *) echo "$line";;
        esac
    done < <("$PY" - "$work/$accountant.json" "$accountant" "$tol" <<'PYEOF'
import json, logging, math, sys
logging.getLogger("absl").setLevel(logging.ERROR)  # "_compute_log_a_frac failed to converge" notes
import dp_accounting as dp
from dp_accounting.pld import pld_privacy_accountant
results = json.load(open(sys.argv[1]))
accountant, tol = sys.argv[2], float(sys.argv[3])
worst = 0.0
for r in results:
    q, s, n, d = r["sampling_rate"], r["noise_multiplier"], r["steps"], r["delta"]
    event = dp.SelfComposedDpEvent(dp.PoissonSampledDpEvent(q, dp.GaussianDpEvent(s)), n)
    if accountant == "rdp":
        acc = dp.rdp.RdpAccountant()
        acc.compose(event)
        want, order = acc.get_epsilon_and_optimal_order(d)
    else:
        acc = pld_privacy_accountant.PLDAccountant()
        acc.compose(event)
        want, order = acc.get_epsilon(d), None
    got = float(r["epsilon"]) if r["epsilon"] != "inf" else math.inf
    if math.isinf(want) and math.isinf(got):
        rel = 0.0
    else:
        rel = abs(got - want) / max(abs(want), 1e-12)
    worst = max(worst, rel)
    same_order = order is None or r["order"] == float(order)
    ok = rel <= tol and same_order
    print(f"{'PASS' if ok else 'FAIL'} {accountant} q={q} sigma={s} steps={n}: warden {got:.6g} dp-accounting {want:.6g} rel {rel:.2e}"
          + ("" if same_order else f" (order {r['order']} vs {order})"))
print(f"   {accountant}: worst relative difference {worst:.3e} over {len(results)} points")
PYEOF
)
}

compare rdp 1e-3
compare pld 1e-3
summary
