"""Side by side: Warden and the public scanners on the same labelled corpus.

Usage: python scan_compare.py WARDEN_BIN CORPUS_DIR [TOOL…]
CORPUS_DIR holds malicious/<family>/… and benign/<family>/… (scripts/interop/scan_compare.sh makes
it). Each tool scans each file on its own; exit 1 (issues found) counts as flagged, 0 as clean,
anything else (errors, time-outs, "no supported files") as not flagged and is counted as an error.
Prints a Markdown table of TPR / FPR per tool per family and overall, and the seconds each tool took.

SCAN_COMPARE_TIMEOUT sets the per-file time-out (seconds, default 120). SCAN_COMPARE_CACHE names a
folder where each (tool, file SHA-256) outcome and its seconds are kept, so a slow tool (modelaudit)
scans only files it has not seen when the corpus grows; the times reported then add the cached
seconds. Telemetry of the tools is switched off (modelaudit phones home otherwise).
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time

warden, corpus = sys.argv[1], sys.argv[2]
venv_bin = os.path.dirname(sys.executable)
tools = {
    "warden": lambda f: [warden, "model", "scan", f, "--quiet"],
    "picklescan": lambda f: [os.path.join(venv_bin, "picklescan"), "-p", f],
    "modelscan": lambda f: [os.path.join(venv_bin, "modelscan"), "-p", f],
    "fickling": lambda f: [os.path.join(venv_bin, "fickling"), "--check-safety", f],
    "modelaudit": lambda f: [os.path.join(venv_bin, "modelaudit"), "scan", f],
}
chosen = sys.argv[3:] or [t for t in tools if t == "warden" or os.path.exists(tools[t]("x")[0])]
timeout = float(os.environ.get("SCAN_COMPARE_TIMEOUT", "120"))

files = []
for label in ("malicious", "benign"):
    for root, _, names in os.walk(os.path.join(corpus, label)):
        for name in sorted(names):
            family = os.path.relpath(root, os.path.join(corpus, label)).split(os.sep)[0]
            files.append((label, family, os.path.join(root, name)))

results = {}
seconds = {}
timeouts = {}
scratch = tempfile.mkdtemp(prefix="scan-compare-")
warden = os.path.abspath(warden)
cache_dir = os.environ.get("SCAN_COMPARE_CACHE")
environment = dict(os.environ, PROMPTFOO_DISABLE_TELEMETRY="1", NO_ANALYTICS="1", DO_NOT_TRACK="1")


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


for tool in chosen:
    total = 0.0
    outcome = {}
    timeouts[tool] = 0
    for label, family, path in files:
        cached = None
        if cache_dir and tool != "warden":
            cached = os.path.join(cache_dir, tool, digest(path) + ".json")
            if os.path.exists(cached):
                entry = json.load(open(cached))
                outcome[path], spent = entry["outcome"], entry["seconds"]
                total += spent
                timeouts[tool] += outcome[path] == "time-out"
                continue
        start = time.time()
        try:
            # A scratch working folder: some tools write result files next to where they run.
            code = subprocess.run(tools[tool](os.path.abspath(path)), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  timeout=timeout, cwd=scratch, env=environment).returncode
            state = "flagged" if code == 1 else "clean" if code == 0 else "error"
        except subprocess.TimeoutExpired:
            state = "time-out"
            timeouts[tool] += 1
        spent = time.time() - start
        total += spent
        outcome[path] = state
        if cached:
            os.makedirs(os.path.dirname(cached), exist_ok=True)
            json.dump({"outcome": state, "seconds": spent, "file": os.path.relpath(path, corpus)}, open(cached, "w"))
        if tool == "modelaudit":
            print(f"# {tool} {os.path.relpath(path, corpus)}: {state} in {spent:.1f} s", file=sys.stderr, flush=True)
    results[tool] = outcome
    seconds[tool] = total
    print(f"# {tool}: {seconds[tool]:.1f} s for {len(files)} files", file=sys.stderr)

families = sorted({f for _, f, _ in files})


def rates(tool, family=None):
    tp = fn = fp = tn = err = 0
    for label, fam, path in files:
        if family and fam != family:
            continue
        state = results[tool][path]
        err += state in ("error", "time-out")
        if label == "malicious":
            tp += state == "flagged"
            fn += state != "flagged"
        else:
            fp += state == "flagged"
            tn += state != "flagged"
    tpr = f"{100 * tp / (tp + fn):.0f} % ({tp}/{tp + fn})" if tp + fn else "—"
    fpr = f"{100 * fp / (fp + tn):.0f} % ({fp}/{fp + tn})" if fp + tn else "—"
    return tpr, fpr, err


malicious = sum(1 for l, _, _ in files if l == "malicious")
print(f"Corpus: {malicious} malicious, {len(files) - malicious} benign files.\n")
print("| family | " + " | ".join(f"{t} TPR | {t} FPR" for t in chosen) + " |")
print("|---|" + "---|---|" * len(chosen))
for family in families + [None]:
    cells = []
    for tool in chosen:
        tpr, fpr, _ = rates(tool, family)
        cells += [tpr, fpr]
    print(f"| {family or '**all**'} | " + " | ".join(cells) + " |")
print()
print(f"| tool | errors (exit ≠ 0/1 or time-out) | of which time-outs (> {timeout:.0f} s) | seconds for the corpus |")
print("|---|---|---|---|")
for tool in chosen:
    print(f"| {tool} | {rates(tool)[2]} | {timeouts[tool]} | {seconds[tool]:.1f} |")
