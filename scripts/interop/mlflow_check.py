"""The real mlflow client (3.x) against a running `warden serve`.

Usage: mlflow_check.py URL MAINTAINER_TOKEN READER_TOKEN INFERENCE_TOKEN
Logs and registers a scikit-learn model, reads it back through aliases, tags, search and stages,
loads models:/NAME@ALIAS and checks the predictions, and checks that Warden's authorisation and
gates hold through MLflow's API (basic auth and bearer tokens). Prints PASS/FAIL lines; exit 1 on
any failure.
"""
import os
import sys
import warnings

warnings.filterwarnings("ignore")
url, maintainer, reader, inference = sys.argv[1:5]
failures = 0


def check(what, condition, detail=""):
    global failures
    print(("PASS " if condition else "FAIL ") + what + ("" if condition or not detail else f" ({detail})"))
    if not condition:
        failures += 1


def as_user(token=None, username=None, password=None):
    for key in ("MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"):
        os.environ.pop(key, None)
    if token:
        os.environ["MLFLOW_TRACKING_TOKEN"] = token
    if username:
        os.environ["MLFLOW_TRACKING_USERNAME"] = username
        os.environ["MLFLOW_TRACKING_PASSWORD"] = password


def refused(call):
    """Runs call; returns the exception text if it raised, else None."""
    try:
        call()
    except Exception as error:  # noqa: BLE001 - the client raises several kinds
        return str(error)
    return None


os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0"
import mlflow  # noqa: E402
import numpy as np  # noqa: E402
from mlflow import MlflowClient  # noqa: E402
from sklearn.datasets import load_iris  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

mlflow.set_tracking_uri(url)
as_user(token=maintainer)
X, y = load_iris(return_X_y=True)
model = LogisticRegression(max_iter=500).fit(X, y)
expected = model.predict(X)

mlflow.set_experiment("warden-interop")
with mlflow.start_run() as run:
    mlflow.log_param("max_iter", 500)
    mlflow.log_metric("accuracy", float((expected == y).mean()))
    mlflow.log_text("private notes", "notes.txt")
    info = mlflow.sklearn.log_model(model, name="model", registered_model_name="iris-lr", input_example=X[:2])
check("log_model registered a version", info.registered_model_version in ("1", 1), str(info.registered_model_version))

client = MlflowClient()
registered = client.get_registered_model("iris-lr")
check("get_registered_model", registered.name == "iris-lr" and len(registered.latest_versions) == 1)
versions = client.search_model_versions("name='iris-lr'")
check("search_model_versions", [v.version for v in versions] == ["1"], str([v.version for v in versions]))
check("search_registered_models", "iris-lr" in [m.name for m in client.search_registered_models()])
check("search with LIKE", [m.name for m in client.search_registered_models(filter_string="name LIKE 'iris%'")] == ["iris-lr"])
run_data = client.get_run(run.info.run_id).data
check("run params and metrics", run_data.params.get("max_iter") == "500" and "accuracy" in run_data.metrics)

client.set_registered_model_alias("iris-lr", "champion", "1")
by_alias = client.get_model_version_by_alias("iris-lr", "champion")
check("alias set and read", by_alias.version == "1" and "champion" in by_alias.aliases)
client.set_model_version_tag("iris-lr", "1", "validated", "yes")
client.set_registered_model_tag("iris-lr", "team", "risk")
check("tags", client.get_model_version("iris-lr", "1").tags.get("validated") == "yes"
      and client.get_registered_model("iris-lr").tags.get("team") == "risk")
client.update_model_version("iris-lr", "1", description="logistic regression on iris")
check("update description", client.get_model_version("iris-lr", "1").description == "logistic regression on iris")
check("search by tag", [v.version for v in client.search_model_versions("name='iris-lr' and tag.validated = 'yes'")] == ["1"])

staged = client.transition_model_version_stage("iris-lr", "1", "Staging")
check("transition to Staging", staged.current_stage == "Staging")
latest = client.get_latest_versions("iris-lr", stages=["Staging"])
check("get_latest_versions(Staging)", [v.version for v in latest] == ["1"])
gate = refused(lambda: client.transition_model_version_stage("iris-lr", "1", "Production"))
check("Production refused by the gates, naming them", gate is not None and "signature" in gate and "approval" in gate, gate)
gate = refused(lambda: client.set_registered_model_alias("iris-lr", "production", "1"))
check("alias production refused by the gates", gate is not None and "INVALID_STATE" in gate and "provenance" in gate, gate)

uri = client.get_model_version_download_uri("iris-lr", "1")
check("download uri is the registered version", uri.startswith("mlflow-artifacts:/registry/iris-lr/1"), uri)
loaded = mlflow.pyfunc.load_model("models:/iris-lr@champion")
check("load models:/iris-lr@champion predicts the same", np.array_equal(np.asarray(loaded.predict(X)), expected))

missing = refused(lambda: client.get_model_version("iris-lr", "99"))
check("missing version is RESOURCE_DOES_NOT_EXIST", missing is not None and "RESOURCE_DOES_NOT_EXIST" in missing, missing)
duplicate = refused(lambda: client.create_registered_model("iris-lr"))
check("duplicate model is RESOURCE_ALREADY_EXISTS", duplicate is not None and "RESOURCE_ALREADY_EXISTS" in duplicate, duplicate)

# A reader through basic auth: may read and load, may not write.
as_user(username="rita", password=reader)
check("basic auth reader reads", MlflowClient().get_registered_model("iris-lr").name == "iris-lr")
loaded = mlflow.pyfunc.load_model("models:/iris-lr/1")
check("basic auth reader loads the model", np.array_equal(np.asarray(loaded.predict(X)), expected))
denied = refused(lambda: MlflowClient().set_registered_model_alias("iris-lr", "champion", "1"))
check("reader may not move aliases", denied is not None and "PERMISSION_DENIED" in denied, denied)
denied = refused(lambda: MlflowClient().create_registered_model("rita-model"))
check("reader may not create models", denied is not None and "PERMISSION_DENIED" in denied, denied)
as_user(username="someone-else", password=reader)
denied = refused(lambda: MlflowClient().get_registered_model("iris-lr"))
check("basic auth with the wrong user name is 401", denied is not None and "UNAUTHENTICATED" in denied, denied)

# An inference client may not download artefacts; a bad token is 401.
as_user(token=inference)
denied = refused(lambda: mlflow.pyfunc.load_model("models:/iris-lr/1"))
check("inference-client may not load the model", denied is not None and "PERMISSION_DENIED" in denied, denied)
as_user(token="wdn_000000000000_" + "A" * 43)
denied = refused(lambda: MlflowClient().get_registered_model("iris-lr"))
check("unknown token is 401", denied is not None and "UNAUTHENTICATED" in denied, denied)

# A run's own artefacts stay its owner's: readable by them, not by a reader, not writable by others.
as_user(token=maintainer)
notes = mlflow.artifacts.download_artifacts(run_id=run.info.run_id, artifact_path="notes.txt")
check("the owner reads the run's artefact", open(notes).read() == "private notes")
as_user(username="rita", password=reader)
denied = refused(lambda: mlflow.artifacts.download_artifacts(run_id=run.info.run_id, artifact_path="notes.txt"))
check("a reader cannot read someone else's run artefacts", denied is not None and "PERMISSION_DENIED" in denied, denied)
denied = refused(lambda: MlflowClient().log_text(run.info.run_id, "x", "evil.txt"))
check("a reader cannot write into someone else's run", denied is not None, denied)

print(f"mlflow checks: {failures} failed")
sys.exit(1 if failures else 0)
