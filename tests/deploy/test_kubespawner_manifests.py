"""The single-user pods of deploy/z2jh/values.yaml, built by KubeSpawner without a cluster.

Each profile's pod manifest comes from KubeSpawner's own ``load_user_options`` and
``get_pod_manifest`` given the configuration the chart derives from the values (tests/deploy/z2jh.py).
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from traitlets.config import Config

from tests.deploy.z2jh import kubespawner_config

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
VALUES = yaml.safe_load((DEPLOY / "z2jh" / "values.yaml").read_text(encoding="utf-8"))
IMAGE = "registry.example.org/dlgrade/singleuser:0.1.0"
EXCHANGE = "/srv/nbgrader/exchange"

# A kube-config naming an API server nobody listens on: KubeSpawner loads one when it is created.
FAKE_KUBECONFIG = """\
apiVersion: v1
kind: Config
clusters: [{name: none, cluster: {server: "https://127.0.0.1:9"}}]
users: [{name: none, user: {token: unused}}]
contexts: [{name: none, context: {cluster: none, user: none}}]
current-context: none
"""


@pytest.fixture
def kubeconfig(tmp_path, monkeypatch):
    import kubernetes_asyncio.config.kube_config as kube_config

    path = tmp_path / "kubeconfig"
    path.write_text(FAKE_KUBECONFIG, encoding="utf-8")
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setattr(kube_config, "KUBE_CONFIG_DEFAULT_LOCATION", str(path))
    return path


def pod_for(profile: str) -> dict[str, Any]:
    """The pod KubeSpawner would send to the API for a student choosing ``profile``, as JSON."""
    from kubernetes_asyncio.client import ApiClient
    from kubespawner import KubeSpawner

    async def build() -> dict[str, Any]:
        student = SimpleNamespace(name="alice", id=7, url="/user/alice/")
        config = Config({"KubeSpawner": kubespawner_config(VALUES)})
        spawner = KubeSpawner(_mock=True, user=student, config=config)
        spawner.user_options = {"profile": profile}
        await spawner.load_user_options()
        pod = await spawner.get_pod_manifest()
        async with ApiClient() as client:
            serialized: dict[str, Any] = client.sanitize_for_serialization(pod)
        return serialized

    return asyncio.run(build())


def container_of(pod: dict[str, Any]) -> dict[str, Any]:
    [container] = [c for c in pod["spec"]["containers"] if c["name"] == "notebook"]
    return container


def tolerations(pod: dict[str, Any]) -> set[tuple[str, str, str | None, str]]:
    found = pod["spec"].get("tolerations", [])
    return {(t["key"], t["operator"], t.get("value"), t["effect"]) for t in found}


def check_common(pod: dict[str, Any]) -> None:
    container = container_of(pod)
    assert container["image"] == IMAGE
    assert container["args"][0] == "jupyterhub-singleuser"
    assert pod["spec"]["securityContext"]["fsGroup"] == 100
    assert container["securityContext"]["runAsUser"] == 1000
    # The exchange: the ReadWriteMany claim of storage.yaml, where the student config says it is.
    volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
    assert volumes["nbgrader-exchange"]["persistentVolumeClaim"]["claimName"] == "nbgrader-exchange"
    assert volumes["dlgrade-student-config"]["configMap"]["name"] == "dlgrade-student-config"
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    assert mounts[EXCHANGE]["name"] == "nbgrader-exchange"
    assert mounts["/etc/jupyter/nbgrader_config.py"]["subPath"] == "nbgrader_config.py"
    assert mounts["/etc/jupyter/nbgrader_config.py"]["readOnly"] is True
    # The student's own home volume.
    home = mounts["/home/jovyan"]
    assert volumes[home["name"]]["persistentVolumeClaim"]["claimName"] == "claim-alice"
    # The chart's user-node tolerations hold in every profile.
    assert ("hub.jupyter.org/dedicated", "Equal", "user", "NoSchedule") in tolerations(pod)


def test_gpu_profile_asks_for_one_gpu_on_a_gpu_node(kubeconfig):
    pod = pod_for("gpu")
    check_common(pod)
    resources = container_of(pod)["resources"]
    assert resources["limits"]["nvidia.com/gpu"] == "1"
    assert float(resources["limits"]["cpu"]) == 8
    assert int(resources["limits"]["memory"]) == 24 * 2**30
    assert int(resources["requests"]["memory"]) == 8 * 2**30
    assert ("nvidia.com/gpu", "Exists", None, "NoSchedule") in tolerations(pod)
    assert pod["spec"]["nodeSelector"] == {"nvidia.com/gpu.present": "true"}
    env = {e["name"]: e.get("value") for e in container_of(pod)["env"]}
    assert env["TF_FORCE_GPU_ALLOW_GROWTH"] == "true"
    assert env["JUPYTERHUB_USER"] == "alice"


def test_cpu_profile_is_the_default_and_has_no_gpu(kubeconfig):
    for profile in ("cpu", ""):
        pod = pod_for(profile)
        check_common(pod)
        resources = container_of(pod)["resources"]
        assert "nvidia.com/gpu" not in resources["limits"]
        assert float(resources["limits"]["cpu"]) == 2
        assert int(resources["limits"]["memory"]) == 4 * 2**30
        assert not any(t[0] == "nvidia.com/gpu" for t in tolerations(pod))
        assert not pod["spec"].get("nodeSelector")


def test_unknown_profile_is_refused(kubeconfig):
    with pytest.raises(ValueError, match="tpu"):
        pod_for("tpu")


def test_student_nbgrader_config_points_at_the_mounted_exchange():
    docs = list(yaml.safe_load_all((DEPLOY / "z2jh" / "storage.yaml").read_text(encoding="utf-8")))
    claims = {d["metadata"]["name"]: d for d in docs if d["kind"] == "PersistentVolumeClaim"}
    assert claims["nbgrader-exchange"]["spec"]["accessModes"] == ["ReadWriteMany"]
    [config_map] = [d for d in docs if d["kind"] == "ConfigMap"]
    text = config_map["data"]["nbgrader_config.py"]
    assert f'c.Exchange.root = "{EXCHANGE}"' in text
    assert "JupyterHubAuthPlugin" in text
    course = re.search(r'course_id = "([^"]+)"', text)
    assert course is not None and f"nbgrader-{course.group(1)}" in VALUES["hub"]["loadRoles"]


def test_services_match_the_hub_registration():
    docs = list(yaml.safe_load_all((DEPLOY / "z2jh" / "services.yaml").read_text(encoding="utf-8")))
    k8s_services = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Service"}
    deployments = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"}
    for name, service in VALUES["hub"]["services"].items():
        host, port = re.fullmatch(r"http://([^:/]+):(\d+)", service["url"]).groups()
        assert k8s_services[host]["spec"]["ports"][0]["port"] == int(port)
        assert service["oauth_no_confirm"] is True
        [deployment] = [
            d
            for d in deployments.values()
            if d["spec"]["template"]["metadata"]["labels"].items()
            >= k8s_services[host]["spec"]["selector"].items()
        ]
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        env = {e["name"]: e for e in container["env"]}
        assert env["JUPYTERHUB_SERVICE_NAME"]["value"] == name
        assert env["JUPYTERHUB_SERVICE_PREFIX"]["value"] == f"/services/{name}/"
        assert env["JUPYTERHUB_API_TOKEN"]["valueFrom"]["secretKeyRef"]["key"] == name
        assert container["image"] == IMAGE
    formgrader = deployments["formgrader-dl2026"]["spec"]["template"]["spec"]
    mounts = {m["mountPath"]: m["name"] for m in formgrader["containers"][0]["volumeMounts"]}
    claims = {v["name"]: v["persistentVolumeClaim"]["claimName"] for v in formgrader["volumes"]}
    assert claims[mounts[EXCHANGE]] == "nbgrader-exchange"


def test_dockerfile_adds_gpu_tensorflow_nbgrader_and_dlgrade_to_a_cuda_image():
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    base = re.search(r"^ARG BASE_IMAGE=(\S+)", text, re.M)
    assert base is not None and "cuda" in base.group(1)
    assert '"tensorflow[and-cuda]==${TF_VERSION}"' in text
    assert "requirements/lock.txt" in text and "pip install --no-cache-dir --no-deps /opt/dlgrade" in text
    lock = (DEPLOY.parent / "requirements" / "lock.txt").read_text(encoding="utf-8")
    # The image takes TensorFlow's version from the lock.
    assert re.search(r"^tensorflow[-_]cpu==", lock, re.M)
    assert re.search(r"^nbgrader==", lock, re.M) and re.search(r"^jupyterhub==", lock, re.M)
