"""What the Zero to JupyterHub chart makes of ``singleuser`` values: KubeSpawner's configuration.

This mirrors the chart's hub configuration (jupyterhub/zero-to-jupyterhub-k8s,
``jupyterhub/files/hub/jupyterhub_config.py``, chart 4.x) for the keys deploy/z2jh/values.yaml uses;
`UNSUPPORTED` keys fail loudly so that a new key cannot slip through the manifest tests untranslated.
"""

from __future__ import annotations

from typing import Any

# The chart's default scheduling.userPods.tolerations.
CHART_USER_TOLERATIONS = [
    {"key": "hub.jupyter.org/dedicated", "operator": "Equal", "value": "user", "effect": "NoSchedule"},
    {"key": "hub.jupyter.org_dedicated", "operator": "Equal", "value": "user", "effect": "NoSchedule"},
]

SUPPORTED = {
    "image",
    "cmd",
    "defaultUrl",
    "uid",
    "fsGid",
    "startTimeout",
    "cpu",
    "memory",
    "extraEnv",
    "storage",
    "profileList",
    "nodeSelector",
    "extraTolerations",
    "extraResource",
}


def kubespawner_config(values: dict[str, Any]) -> dict[str, Any]:
    """KubeSpawner traits from the chart's ``values`` (singleuser section), as the chart sets them."""
    single = values["singleuser"]
    unknown = set(single) - SUPPORTED
    if unknown:
        raise KeyError(f"singleuser keys the test translation does not know: {sorted(unknown)}")
    image = single["image"]
    config: dict[str, Any] = {
        "image": f"{image['name']}:{image['tag']}",
        "image_pull_policy": image.get("pullPolicy", "IfNotPresent"),
        "uid": single.get("uid", 1000),
        "fs_gid": single.get("fsGid", 100),
        "default_url": single.get("defaultUrl", ""),
        "start_timeout": single.get("startTimeout", 300),
        "tolerations": [*CHART_USER_TOLERATIONS, *single.get("extraTolerations", [])],
        "node_selector": dict(single.get("nodeSelector", {})),
        "environment": {k: str(v) for k, v in single.get("extraEnv", {}).items()},
    }
    if "cmd" in single:
        config["cmd"] = [single["cmd"]] if isinstance(single["cmd"], str) else single["cmd"]
    for key, trait in (("limit", "cpu_limit"), ("guarantee", "cpu_guarantee")):
        if key in single.get("cpu", {}):
            config[trait] = float(single["cpu"][key])
    for key, trait in (("limit", "mem_limit"), ("guarantee", "mem_guarantee")):
        if key in single.get("memory", {}):
            config[trait] = single["memory"][key]
    extra = single.get("extraResource", {})
    config["extra_resource_limits"] = dict(extra.get("limits", {}))
    config["extra_resource_guarantees"] = dict(extra.get("guarantees", {}))
    storage = single.get("storage", {})
    volumes: list[dict[str, Any]] = []
    mounts: list[dict[str, Any]] = []
    if storage.get("type", "dynamic") == "dynamic":
        config["pvc_name_template"] = "claim-{user_server}"
        config["storage_pvc_ensure"] = True
        config["storage_capacity"] = storage.get("capacity", "10Gi")
        config["storage_access_modes"] = ["ReadWriteOnce"]
        volumes.append({"name": "volume-{user_server}", "persistentVolumeClaim": {"claimName": "{pvc_name}"}})
        home = storage.get("homeMountPath", "/home/jovyan")
        mounts.append({"mountPath": home, "name": "volume-{user_server}"})
    config["volumes"] = volumes + list(storage.get("extraVolumes", []))
    config["volume_mounts"] = mounts + list(storage.get("extraVolumeMounts", []))
    config["profile_list"] = list(single.get("profileList", []))
    return config
