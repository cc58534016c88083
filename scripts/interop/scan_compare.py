"""Side by side: Warden and the public scanners on the same labelled corpus.

Usage: python scan_compare.py WARDEN_BIN CORPUS_DIR [TOOL…]
CORPUS_DIR holds malicious/<family>/… and benign/<family>/… (scripts/interop/scan_compare.sh makes
it). Each tool scans each file on its own; exit 1 (issues found) counts as flagged, 0 as clean,
anything else (errors, time-outs, "no supported files") as not flagged and is counted as an error.
Prints a Markdown table of TPR / FPR per tool per family and overall, and the seconds each tool took.
"""
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
scratch = tempfile.mkdtemp(prefix="scan-compare-")
warden = os.path.abspath(warden)
for tool in chosen:
    start = time.time()
    outcome = {}
    for label, family, path in files:
        try:
            # A scratch working folder: some tools write result files next to where they run.
            code = subprocess.run(tools[tool](os.path.abspath(path)), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  timeout=timeout, cwd=scratch).returncode
        except subprocess.TimeoutExpired:
            code = -1
        outcome[path] = "flagged" if code == 1 else "clean" if code == 0 else "error"
    results[tool] = outcome
    seconds[tool] = time.time() - start
    print(f"# {tool}: {seconds[tool]:.1f} s for {len(files)} files", file=sys.stderr)

families = sorted({f for _, f, _ in files})


def rates(tool, family=None):
    tp = fn = fp = tn = err = 0
    for label, fam, path in files:
        if family and fam != family:
            continue
        state = results[tool][path]
        err += state == "error"
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
print("| tool | errors (exit ≠ 0/1 or time-out) | seconds for the corpus |")
print("|---|---|---|")
for tool in chosen:
    print(f"| {tool} | {rates(tool)[2]} | {seconds[tool]:.1f} |")
