"""Kustomize overlays: base objects are judged as the scanned overlays that patch them render them."""
from __future__ import annotations

from pathlib import Path

from forewarn.scan import ScanOptions, run_scan

WEBHOOK = """\
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: opa-validating-webhook
webhooks:
  - name: validating-webhook.openpolicyagent.org
    admissionReviewVersions: ["v1"]
    sideEffects: None
    failurePolicy: Fail
    timeoutSeconds: 5
    rules:
      - operations: ["CREATE", "UPDATE"]
        apiGroups: [""]
        apiVersions: ["v1"]
        resources: ["services", "configmaps"]
    clientConfig:
      service: {namespace: opa, name: opa}
"""
SCOPE_PATCH = """\
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: opa-validating-webhook
webhooks:
  - name: validating-webhook.openpolicyagent.org
    namespaceSelector:
      matchExpressions:
        - key: kubernetes.io/metadata.name
          operator: NotIn
          values: ["kube-system", "opa"]
"""
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: cart
spec:
  selector:
    matchLabels: {app: cart}
  template:
    metadata:
      labels: {app: cart}
    spec:
      containers:
        - name: cart
          image: shop/cart:1.4.2
          ports: [{name: http, containerPort: 8080}]
          readinessProbe: {httpGet: {path: /ready, port: http}}
          resources:
            requests: {cpu: 100m, memory: 128Mi}
            limits: {memory: 128Mi}
---
apiVersion: v1
kind: Service
metadata:
  name: cart
spec:
  selector: {app: cart}
  ports: [{port: 80, targetPort: http}]
"""
PRESTOP_PATCH = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: all
spec:
  template:
    spec:
      containers:
        - name: cart
          lifecycle:
            preStop:
              sleep: {seconds: 10}
"""


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def codes(root: Path, *paths) -> list[tuple[str, str, int]]:
    result = run_scan(ScanOptions(paths=[str(root / p) for p in (paths or ("",))]))
    return sorted((f.code, str(Path(f.path).relative_to(root)) if Path(f.path).is_absolute() else f.path, f.line)
                  for f in result.findings)


def test_an_overlay_that_scopes_the_webhook_fixes_the_base(tmp_path):
    root = write(tmp_path, {
        "opa/base/kustomization.yaml": "resources:\n  - webhook.yaml\n",
        "opa/base/webhook.yaml": WEBHOOK,
        "opa/overlays/prod/kustomization.yaml": "resources:\n  - ../../base\npatches:\n  - path: scope.yaml\n",
        "opa/overlays/prod/scope.yaml": SCOPE_PATCH,
    })
    assert not [c for c in codes(root, "opa") if c[0] == "WH001"]  # rendered: kube-system excluded
    assert [c[0] for c in codes(root, "opa/base")] == ["WH001"]  # the base alone is judged as written


def test_an_overlay_that_renders_the_base_unpatched_keeps_its_finding(tmp_path):
    root = write(tmp_path, {
        "shop/base/kustomization.yaml": "resources:\n  - cart.yaml\n",
        "shop/base/cart.yaml": DEPLOYMENT,
        "shop/overlays/prod/kustomization.yaml": (
            "resources:\n  - ../../base\npatches:\n  - path: prestop.yaml\n"
            "    target:\n      kind: Deployment\n"),
        "shop/overlays/prod/prestop.yaml": PRESTOP_PATCH,
    })
    assert codes(root, "shop") == []  # prod adds the preStop to every Deployment; the name `all` is ignored
    write(root, {"shop/overlays/staging/kustomization.yaml": "resources:\n  - ../../base\n"})
    assert codes(root, "shop") == [("K8S001", "shop/base/cart.yaml", 13)]  # staging renders it without


def test_a_value_an_inline_json6902_patch_brings_points_at_the_patch(tmp_path):
    root = write(tmp_path, {
        "opa/base/kustomization.yaml": "resources:\n  - webhook.yaml\n",
        "opa/base/webhook.yaml": WEBHOOK,
        "opa/overlays/dev/kustomization.yaml": (
            "resources:\n  - ../../base\npatches:\n  - target:\n      kind: ValidatingWebhookConfiguration\n"
            "    patch: |-\n      - op: replace\n        path: /webhooks/0/timeoutSeconds\n        value: 30\n"),
    })
    found = codes(root, "opa")
    assert ("WH003", "opa/overlays/dev/kustomization.yaml", 6) in found
    assert not [c for c in found if c[0] == "WH003" and c[1] == "opa/base/webhook.yaml"]
