"""Admission webhook and CRD conversion rules (WH001-WH004, CRD001, K8S010) and their model helpers."""
from __future__ import annotations

import textwrap

import pytest

from conftest import scan_text
from forewarn.findings import Position
from forewarn.model import drift
from forewarn.model.kubernetes_load import objects_from_docs
from forewarn.model.webhooks import (
    critical_resources,
    effective_failure_policy,
    effective_timeout,
    is_control_plane_critical,
    kube_system_exposure,
    webhooks,
)
from forewarn.parse.yamldoc import load_stream


def objects(text: str):
    return objects_from_docs("t.yaml", load_stream(textwrap.dedent(text)))


def one(text: str):
    (obj,) = objects(text)
    return obj


class FakeCtx:
    def __init__(self, namespaces=None):
        self.namespaces = namespaces or {}


def codes(result, code):
    return [(f.line, f.message) for f in result.findings if f.code == code]


def webhook_doc(hook_body: str, api: str = "v1", kind: str = "ValidatingWebhookConfiguration") -> str:
    body = textwrap.indent(textwrap.dedent(hook_body).strip("\n"), "    ")
    return (
        f"apiVersion: admissionregistration.k8s.io/{api}\n"
        f"kind: {kind}\n"
        "metadata:\n  name: policy\n"
        "webhooks:\n"
        "  - name: policy.example.com\n"
        "    admissionReviewVersions: [v1]\n"
        "    sideEffects: None\n"
        "    clientConfig:\n      service: {name: policy, namespace: policy}\n"
        f"{body}\n"
    )


# --- model: defaults ------------------------------------------------------------------------------------
def test_defaults_differ_between_v1_and_v1beta1():
    v1 = webhooks(one(webhook_doc("rules: []")))[0]
    beta = webhooks(one(webhook_doc("rules: []", api="v1beta1")))[0]
    assert (effective_failure_policy(v1), effective_timeout(v1)) == ("Fail", 10)
    assert (effective_failure_policy(beta), effective_timeout(beta)) == ("Ignore", 30)


def test_unknown_values_are_not_guessed():
    hook = webhooks(one(webhook_doc("failurePolicy: Sometimes\ntimeoutSeconds: soon")))[0]
    assert effective_failure_policy(hook) is None
    assert effective_timeout(hook) is None


def test_other_api_groups_are_not_webhooks():
    assert webhooks(one("apiVersion: example.com/v1\nkind: ValidatingWebhookConfiguration\nmetadata: {name: x}\n"
                        "webhooks: [{name: a}]\n")) == []


# --- model: control-plane-critical ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "rule, critical",
    [
        ({"operations": ["CREATE"], "apiGroups": [""], "resources": ["pods"]}, True),
        ({"operations": ["UPDATE"], "apiGroups": [""], "resources": ["pods/status"]}, True),
        ({"operations": ["*"], "apiGroups": ["*"], "resources": ["*/status"]}, True),
        ({"operations": ["CREATE"], "apiGroups": ["apps"], "resources": ["*"]}, True),
        ({"operations": ["CREATE"], "apiGroups": ["coordination.k8s.io"], "resources": ["leases"]}, True),
        ({"operations": ["CREATE"], "apiGroups": ["discovery.k8s.io"], "resources": ["*"]}, True),
        ({"operations": ["CREATE"], "apiGroups": ["*"], "resources": ["nodes"]}, True),
        ({"operations": "CREATE", "apiGroups": "", "resources": "configmaps"}, True),  # strings, not lists
        ({"operations": ["DELETE"], "apiGroups": [""], "resources": ["pods"]}, False),
        ({"operations": ["CONNECT"], "apiGroups": [""], "resources": ["pods/exec"]}, False),
        ({"operations": ["CREATE"], "apiGroups": ["cert-manager.io"], "resources": ["*/*"]}, False),
        ({"operations": ["CREATE"], "apiGroups": ["networking.k8s.io"], "resources": ["*"]}, False),
        ({"operations": ["CREATE"], "apiGroups": ["*"], "resources": ["ingresses"]}, False),
        ({"operations": ["CREATE"], "apiGroups": ["apps"], "resources": ["deployments/scale"]}, False),
        ({"operations": ["CREATE"], "apiGroups": [""], "resources": ["*"], "scope": "Cluster"}, True),
        ({"operations": ["CREATE"], "apiGroups": [""], "resources": ["nodes"], "scope": "Namespaced"}, False),
        ({"apiGroups": [""], "resources": ["pods"]}, False),  # no operations: cannot judge
        ("pods", False),
        (None, False),
    ],
)
def test_control_plane_critical(rule, critical):
    assert is_control_plane_critical(rule) is critical


def test_cluster_scope_keeps_only_cluster_resources():
    rule = {"operations": ["CREATE"], "apiGroups": ["*"], "resources": ["*"], "scope": "Cluster"}
    assert critical_resources(rule) == ["namespaces", "nodes"]


# --- model: kube-system exposure -------------------------------------------------------------------------
def _hook(extra: str):
    return webhooks(one(webhook_doc(extra)))[0]


def test_empty_namespace_selector_reaches_kube_system():
    assert kube_system_exposure(_hook("rules: []"), ["pods"], FakeCtx()) == ["pods"]


def test_notin_metadata_name_excludes_kube_system_but_not_nodes():
    hook = _hook("""
        namespaceSelector:
          matchExpressions:
            - {key: kubernetes.io/metadata.name, operator: NotIn, values: [kube-system]}
        """)
    assert kube_system_exposure(hook, ["pods", "namespaces", "nodes"], FakeCtx()) == ["nodes"]


def test_opt_in_object_selector_and_match_conditions_scope_the_webhook():
    opt_in = _hook("objectSelector: {matchLabels: {inject: 'true'}}")
    opt_out = _hook("objectSelector: {matchExpressions: [{key: skip, operator: DoesNotExist}]}")
    cel = _hook("matchConditions: [{name: no-system, expression: 'request.namespace != \"kube-system\"'}]")
    assert kube_system_exposure(opt_in, ["pods"], FakeCtx()) == []
    assert kube_system_exposure(opt_out, ["pods"], FakeCtx()) == ["pods"]
    assert kube_system_exposure(cel, ["pods", "nodes"], FakeCtx()) == []


def test_kube_system_namespace_object_labels_are_used():
    hook = _hook("namespaceSelector: {matchExpressions: [{key: control-plane, operator: DoesNotExist}]}")
    ns = one("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: kube-system\n  labels: {control-plane: 'true'}\n")
    assert kube_system_exposure(hook, ["pods"], FakeCtx()) == ["pods"]
    assert kube_system_exposure(hook, ["pods"], FakeCtx({"kube-system": ns})) == []


def test_unknown_operator_is_not_judged():
    hook = _hook("namespaceSelector: {matchExpressions: [{key: a, operator: Gt, values: ['1']}]}")
    assert kube_system_exposure(hook, ["pods"], FakeCtx()) is None


# --- rules through the scanner ---------------------------------------------------------------------------
JETSTACK = """\
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: opa-validating-webhook
webhooks:
  - name: webhook.openpolicyagent.org
    admissionReviewVersions: ["v1"]
    sideEffects: None
    timeoutSeconds: 30
    clientConfig:
      service: {name: opa, namespace: opa}
    rules:
      - operations: ["CREATE", "UPDATE"]
        apiGroups: ["*"]
        apiVersions: ["*"]
        resources: ["*"]
"""


def test_jetstack_replay_positions():
    result = scan_text("opa.yaml", JETSTACK, select=["WH"])
    assert [(f.code, f.line) for f in result.findings] == [("WH001", 6), ("WH003", 9), ("WH002", 16)]
    wh001 = result.findings[0]
    assert "unset, so Fail (the v1 default)" in wh001.message and "kube-system" in wh001.message


SORTED_KEYS = """\
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: webhook
webhooks:
- admissionReviewVersions: [v1]
  clientConfig:
    service: {name: webhook-service, namespace: system, path: /mutate-v1-pod}
POLICY  name: mpod.kb.io
  rules:
  - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}
  sideEffects: None
"""


@pytest.mark.parametrize("policy,line", [
    ("  failurePolicy: Fail\n", 9),  # written: the offending text (replay D5)
    ("", 6),  # unset (v1 default Fail): the webhook's list item, not `name:` in the middle of the mapping
])
def test_wh001_points_at_failure_policy_or_webhook_item(policy, line):
    found = [(f.code, f.line) for f in scan_text("w.yaml", SORTED_KEYS.replace("POLICY", policy), select=["WH001"]).findings]
    assert found == [("WH001", line)]


def test_wh003_unset_timeout_points_at_webhook_item():
    text = SORTED_KEYS.replace("POLICY", "  failurePolicy: Ignore\n").replace("/v1\n", "/v1beta1\n", 1)
    assert [(f.code, f.line) for f in scan_text("w.yaml", text, select=["WH003"]).findings] == [("WH003", 6)]


def test_fix_is_clean():
    fixed = JETSTACK.replace('    timeoutSeconds: 30\n', '    timeoutSeconds: 5\n    failurePolicy: Ignore\n'
                             '    namespaceSelector:\n      matchExpressions:\n'
                             '        - {key: kubernetes.io/metadata.name, operator: NotIn, values: [kube-system]}\n')
    fixed = fixed.replace('apiGroups: ["*"]', 'apiGroups: ["networking.k8s.io"]').replace(
        'resources: ["*"]', 'resources: ["ingresses"]')
    assert scan_text("opa.yaml", fixed, select=["WH"]).findings == []


def test_v1beta1_unset_timeout_is_30s_but_not_fail_closed():
    text = JETSTACK.replace("/v1\n", "/v1beta1\n", 1).replace("    timeoutSeconds: 30\n", "")
    found = [(f.code, f.line) for f in scan_text("opa.yaml", text, select=["WH"]).findings]
    assert ("WH003", 6) in found and ("WH002", 15) in found  # 30 s > 5 s
    assert not [c for c, _ in found if c in ("WH001", "WH004")]


def test_wh004_missing_keys_and_bad_values():
    text = textwrap.dedent("""\
        apiVersion: admissionregistration.k8s.io/v1
        kind: MutatingWebhookConfiguration
        metadata: {name: m}
        webhooks:
          - name: a.example.com
            clientConfig: {url: "https://a.example.com/mutate"}
          - name: b.example.com
            sideEffects: Some
            admissionReviewVersions: [v2]
            timeoutSeconds: 0
            clientConfig: {url: "https://b.example.com/mutate"}
        """)
    found = sorted((f.line, f.message.split(":")[0]) for f in scan_text("m.yaml", text, select=["WH004"]).findings)
    assert [line for line, _ in found] == [5, 5, 8, 9, 10]


def test_wh004_ignores_fragments_and_v1beta1():
    fragment = ("apiVersion: admissionregistration.k8s.io/v1\nkind: MutatingWebhookConfiguration\n"
                "metadata: {name: m}\nwebhooks:\n  - name: a\n    namespaceSelector: {}\n")
    beta = fragment.replace("/v1\n", "/v1beta1\n").replace("namespaceSelector: {}", "clientConfig: {url: 'https://x'}")
    assert scan_text("m.yaml", fragment, select=["WH"]).findings == []
    assert scan_text("m.yaml", beta, select=["WH004"]).findings == []


@pytest.mark.parametrize(
    "webhooks_value",
    ["webhooks: just-a-string", "webhooks: [null, 3, [a]]", "webhooks:\n  - name: x\n    clientConfig: {service: 7}\n"
     "    rules: [3, {operations: CREATE, apiGroups: 7, resources: {a: b}}]\n    namespaceSelector: [a]\n"
     "    objectSelector: oops\n    timeoutSeconds: true\n    failurePolicy: [Fail]",
     "webhooks:\n  - name: x\n    clientConfig: {service: {name: [a], namespace: 3, port: '443'}}\n"
     "    sideEffects: 5\n    admissionReviewVersions: {v1: true}\n    rules: [{operations: ['*'], "
     "apiGroups: [null], resources: [null, '*']}]\n    matchConditions: {}"],
)
def test_odd_shapes_do_not_crash(webhooks_value):
    text = f"apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\nmetadata: {{name: v}}\n{webhooks_value}\n"
    scan_text("v.yaml", text, select=["WH", "K8S010", "CRD"])


# --- CRD001 and the drift helpers ------------------------------------------------------------------------
DAPR_CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: subscriptions.dapr.io
spec:
  group: dapr.io
  conversion:
    strategy: Webhook
    webhook:
      clientConfig:
        service:
          namespace: replaceme # Patched by post-install webhook
          name: dapr-webhook
          path: /convert
      conversionReviewVersions: [v1, v2alpha1]
  names: {kind: Subscription, plural: subscriptions}
  scope: Namespaced
  versions: []
"""


def test_crd_placeholder_paths_dapr():
    assert drift.crd_placeholder_paths(one(DAPR_CRD)) == [
        ("/spec/conversion/webhook/clientConfig/service/namespace", Position(12, 22))
    ]


@pytest.mark.parametrize("value", ["REPLACE_ME", "ChangeMe", "placeholder", "TODO", '""', "", "~"])
def test_crd_placeholder_words(value):
    crd = one(DAPR_CRD.replace("replaceme # Patched by post-install webhook", value))
    assert [p for p, _ in drift.crd_placeholder_paths(crd)] == ["/spec/conversion/webhook/clientConfig/service/namespace"]


def test_crd_cabundle_placeholders_and_injection():
    base = DAPR_CRD.replace("replaceme # Patched by post-install webhook", "dapr-system")
    with_bundle = base.replace("        service:\n", "        caBundle: Cg==\n        service:\n")
    empty_bundle = base.replace("        service:\n", "        caBundle: \"\"\n        service:\n")
    real_bundle = base.replace("        service:\n", "        caBundle: LS0tLS1CRUdJTg==\n        service:\n")
    annotated = lambda text: text.replace("  name: subscriptions.dapr.io\n", "  name: subscriptions.dapr.io\n"
                                          "  annotations:\n    cert-manager.io/inject-ca-from: dapr-system/webhook\n")
    assert drift.crd_placeholder_paths(one(base)) == []
    assert drift.crd_placeholder_paths(one(with_bundle)) == [("/spec/conversion/webhook/clientConfig/caBundle", Position(11, 19))]
    assert [p for p, _ in drift.crd_placeholder_paths(one(empty_bundle))] == ["/spec/conversion/webhook/clientConfig/caBundle"]
    assert drift.crd_placeholder_paths(one(real_bundle)) == []
    # cainjector-managed: no literal caBundle is clean; a literal one (even Cg==) is overwritten
    assert drift.injected_cabundle_paths(one(annotated(base))) == []
    assert drift.crd_placeholder_paths(one(annotated(base))) == []
    assert drift.injected_cabundle_paths(one(annotated(real_bundle))) == [
        ("/spec/conversion/webhook/clientConfig/caBundle", Position(13, 19))]
    assert [p for p, _ in drift.injected_cabundle_paths(one(annotated(with_bundle)))] == [
        "/spec/conversion/webhook/clientConfig/caBundle"]


def test_crd_fragments_are_not_judged():
    fragment = ("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: a.b.io}\n"
                "spec:\n  conversion:\n    strategy: Webhook\n    webhook:\n      clientConfig:\n"
                "        caBundle: Cg==\n        service: {name: webhook-service, namespace: system}\n")
    assert drift.crd_placeholder_paths(one(fragment)) == []


def test_v1beta1_crd_webhook_client_config():
    text = ("apiVersion: apiextensions.k8s.io/v1beta1\nkind: CustomResourceDefinition\nmetadata: {name: a.b.io}\n"
            "spec:\n  group: b.io\n  names: {kind: A, plural: as}\n  conversion:\n    strategy: Webhook\n"
            "    webhookClientConfig:\n      caBundle: Cg==\n      service: {name: svc, namespace: TODO}\n")
    assert [p for p, _ in drift.crd_placeholder_paths(one(text))] == [
        "/spec/conversion/webhookClientConfig/service/namespace", "/spec/conversion/webhookClientConfig/caBundle"]


def test_injected_cabundle_paths_webhooks_and_apiservice():
    mwc = one("""\
        apiVersion: admissionregistration.k8s.io/v1
        kind: MutatingWebhookConfiguration
        metadata:
          name: aws-load-balancer-webhook
          annotations:
            cert-manager.io/inject-ca-from: kube-system/aws-load-balancer-serving-cert
        webhooks:
          - name: mpod.elbv2.k8s.aws
            clientConfig:
              caBundle: Cg==
              service: {name: aws-load-balancer-webhook-service, namespace: kube-system}
          - name: mservice.elbv2.k8s.aws
            clientConfig:
              service: {name: aws-load-balancer-webhook-service, namespace: kube-system}
          - name: mtargetgroupbinding.elbv2.k8s.aws
            clientConfig:
              caBundle: LS0tLS1CRUdJTg==
              service: {name: aws-load-balancer-webhook-service, namespace: kube-system}
        """)
    assert drift.injected_cabundle_paths(mwc) == [
        ("/webhooks/0/clientConfig/caBundle", Position(10, 17)),
        ("/webhooks/2/clientConfig/caBundle", Position(17, 17)),
    ]
    api = one("""\
        apiVersion: apiregistration.k8s.io/v1
        kind: APIService
        metadata:
          name: v1beta1.metrics.k8s.io
          annotations: {cert-manager.io/inject-apiserver-ca: "true"}
        spec:
          caBundle: LS0tLS1CRUdJTg==
          service: {name: metrics-server, namespace: kube-system}
        """)
    assert drift.injected_cabundle_paths(api) == [("/spec/caBundle", Position(7, 13))]
    no_annotation = one("apiVersion: apiregistration.k8s.io/v1\nkind: APIService\nmetadata: {name: x}\n"
                        "spec: {caBundle: LS0t}\n")
    assert drift.injected_cabundle_paths(no_annotation) == []


def test_crd001_points_at_the_value():
    result = scan_text("crd.yaml", DAPR_CRD, select=["CRD001"])
    assert [(f.line, f.column) for f in result.findings] == [(12, 22)]
    assert "replaceme" in result.findings[0].message


# --- K8S010 ----------------------------------------------------------------------------------------------
BACKEND = """\
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: opa}
webhooks:
  - name: webhook.openpolicyagent.org
    admissionReviewVersions: [v1]
    sideEffects: None
    failurePolicy: POLICY
    clientConfig:
      service: {name: opa, namespace: opa, port: 443}
    rules:
      - {operations: [CREATE], apiGroups: [networking.k8s.io], apiVersions: [v1], resources: [ingresses]}
---
apiVersion: v1
kind: Service
metadata: {name: opa, namespace: opa}
spec:
  selector: {app: opa}
  ports:
    - {name: https, port: 443, targetPort: https}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: opa
  namespace: opa
spec:
  replicas: 1
  selector: {matchLabels: {app: opa}}
  template:
    metadata: {labels: {app: opa}}
    spec:
      containers:
        - name: sidecar
          image: busybox
        - name: opa
          image: openpolicyagent/opa
          ports: [{name: https, containerPort: 8443}]
"""


def test_k8s010_fail_webhook_single_replica_no_liveness():
    result = scan_text("opa.yaml", BACKEND.replace("POLICY", "Fail"), select=["K8S010"])
    assert [(f.line, f.column) for f in result.findings] == [(28, 3), (36, 11)]
    assert "container 'opa'" in result.findings[1].message  # the serving container, not the sidecar


def test_k8s010_ignore_webhook_is_clean():
    assert scan_text("opa.yaml", BACKEND.replace("POLICY", "Ignore"), select=["K8S010"]).findings == []


def test_k8s010_replicas_unset_points_at_name_and_hpa_counts():
    text = BACKEND.replace("POLICY", "Fail").replace("  replicas: 1\n", "")
    text = text.replace("          ports: [{name: https, containerPort: 8443}]\n",
                        "          ports: [{name: https, containerPort: 8443}]\n"
                        "          livenessProbe: {httpGet: {path: /health, port: 8443, scheme: HTTPS}}\n")
    result = scan_text("opa.yaml", text, select=["K8S010"])
    assert [(f.line, f.column) for f in result.findings] == [(25, 3)]
    hpa = ("---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: opa, namespace: opa}\n"
           "spec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: opa}\n  minReplicas: 2\n"
           "  maxReplicas: 4\n")
    assert scan_text("opa.yaml", text + hpa, select=["K8S010"]).findings == []


def test_k8s010_needs_the_service_and_matching_labels():
    text = BACKEND.replace("POLICY", "Fail").replace("selector: {app: opa}", "selector: {app: other}")
    assert scan_text("opa.yaml", text, select=["K8S010"]).findings == []


TWO_WEBHOOK_BACKEND = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: dst, namespace: l}
spec:
  replicas: 3
  selector: {matchLabels: {app: dst}}
  template:
    metadata: {labels: {app: dst}}
    spec:
      affinity:
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
          - {topologyKey: kubernetes.io/hostname, labelSelector: {matchLabels: {app: dst}}}
      containers:
      - name: sp-validator
        image: x
        ports: [{name: sp-validator, containerPort: 8443}]
        livenessProbe: {httpGet: {path: /ping, port: 9997}}
        readinessProbe: {httpGet: {path: /ready, port: 9997}}
        resources: {requests: {cpu: 100m, memory: 50Mi}, limits: {memory: 250Mi}}
      - name: policy
        image: y
        ports: [{name: policy-https, containerPort: 9443}]
        readinessProbe: {httpGet: {path: /ready, port: 9990}}
        resources: {requests: {cpu: 100m, memory: 50Mi}, limits: {memory: 250Mi}}
---
apiVersion: v1
kind: Service
metadata: {name: sp-validator, namespace: l}
spec: {selector: {app: dst}, ports: [{name: sp-validator, port: 443, targetPort: sp-validator}]}
---
apiVersion: v1
kind: Service
metadata: {name: policy-validator, namespace: l}
spec: {selector: {app: dst}, ports: [{name: policy-https, port: 443, targetPort: policy-https}]}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: sp}
webhooks:
- name: sp.example.io
  failurePolicy: Fail
  sideEffects: None
  admissionReviewVersions: [v1]
  clientConfig: {service: {name: sp-validator, namespace: l, path: /}}
  rules: [{apiGroups: [linkerd.io], apiVersions: ["*"], operations: [CREATE, UPDATE], resources: [serviceprofiles]}]
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: policy}
webhooks:
- name: policy.example.io
  failurePolicy: Fail
  sideEffects: None
  admissionReviewVersions: [v1]
  clientConfig: {service: {name: policy-validator, namespace: l, path: /}}
  rules: [{apiGroups: [policy.linkerd.io], apiVersions: ["*"], operations: [CREATE, UPDATE], resources: [servers]}]
"""


def test_k8s010_names_only_the_webhooks_the_container_serves():
    found = [f for f in scan_text("two-webhooks.yaml", TWO_WEBHOOK_BACKEND).findings if f.code == "K8S010"]
    liveness = [f for f in found if "livenessProbe" in f.message]
    assert len(liveness) == 1 and "'policy.example.io'" in liveness[0].message
    assert "'sp.example.io'" not in liveness[0].message
