"""Ratios of `warden serve` to `mlflow server` from scripts/bench/registry.sh's JSON lines, against
issue 6's goals: >= 5x MLflow's ops/s, <= 1/5 of its p99, >= 10x its basic-auth request rate.
Usage: registry_ratios.py WARDEN.json MLFLOW.json WARDEN_AUTH.json MLFLOW_AUTH.json [FLOOR.json]
FLOOR.json (registry_client_floor.py): the mlflow client against a server that answers at once;
it bounds what any server can reach through that client, so it is printed beside the goal."""
import json
import sys



def last_json(path):
    """The last JSON object line of a file (the mlflow client also prints run links)."""
    lines = [line for line in open(path) if line.startswith("{")]
    return json.loads(lines[-1])


warden, mlflow, warden_auth, mlflow_auth = (last_json(path) for path in sys.argv[1:5])
rows = []
for key in ("create_model_version", "get_model_version", "get_model_version_by_alias", "get_model_version_fresh_connection"):
    w, m = warden[key], mlflow[key]
    rows.append((f"{key} ops/s", w["ops_per_s"], m["ops_per_s"], w["ops_per_s"] / m["ops_per_s"], ">= 5x"))
    rows.append((f"{key} p99 ms", w["p99_ms"], m["p99_ms"], w["p99_ms"] / m["p99_ms"], "<= 0.2x"))
for key in ("artifact_upload_mb_s", "artifact_download_client_mb_s", "artifact_download_raw_mb_s"):
    if key in warden and key in mlflow:
        rows.append((key, warden[key], mlflow[key], warden[key] / mlflow[key], ""))
w, m = warden_auth["basic_auth"], mlflow_auth["basic_auth"]
rows.append(("basic-auth req/s", w["req_per_s"], m["req_per_s"], w["req_per_s"] / m["req_per_s"], ">= 10x"))
print(f"{'measurement':44} {'warden':>10} {'mlflow':>10} {'ratio':>9}  goal")
for name, a, b, ratio, goal in rows:
    print(f"{name:44} {a:>10} {b:>10} {ratio:>8.2f}x  {goal}")
for label, result in (("warden", warden), ("mlflow", mlflow)):
    server = result.get("create_server_time")
    print(f"{label} create: client CPU {result.get('create_client_cpu_ms')} ms/create"
          + (f", server time p50 {server['p50_ms']} ms, p99 {server['p99_ms']} ms" if server else ", server time not reported"))
    if result.get("get_server_time"):
        print(f"{label} get: server time p50 {result['get_server_time']['p50_ms']} ms, p99 {result['get_server_time']['p99_ms']} ms")
out = {"ratios": {name: round(ratio, 3) for name, _, _, ratio, _ in rows}}
if len(sys.argv) > 5:
    floor = last_json(sys.argv[5])
    out["client_floor"] = {}
    for key in ("create_model_version", "get_model_version", "get_model_version_by_alias"):
        if key not in floor:
            continue
        best, m = floor[key], mlflow[key]
        cpu = floor.get("client_cpu_ms_per_create") if key == "create_model_version" else best.get("client_cpu_ms")
        print(f"client floor (instant server) {key}: {best['ops_per_s']}/s, p50 {best['p50_ms']} ms, p99 {best['p99_ms']} ms, "
              f"client CPU {cpu} ms/call -> at most {best['ops_per_s'] / m['ops_per_s']:.2f}x mlflow's ops/s "
              f"and at best {best['p99_ms'] / m['p99_ms']:.2f}x its p99 through this client")
        out["client_floor"][key] = {"ops_per_s": best["ops_per_s"], "max_ratio": round(best["ops_per_s"] / m["ops_per_s"], 3),
                                    "best_p99_ratio": round(best["p99_ms"] / m["p99_ms"], 3)}
print(json.dumps(out))
