"""Workload rules (K8S001-K8S009, K8S011) and the cross-resource index other rule families import."""
from __future__ import annotations

import textwrap

import pytest

from conftest import scan_text
from forewarn.context import Context
from forewarn.findings import Position
from forewarn.model import workloads as wl
from forewarn.model.kubernetes_load import objects_from_docs
from forewarn.parse.yamldoc import load_stream


def ctx_of(*files: tuple[str, str]) -> Context:
    resources = []
    for path, text in files:
        resources += objects_from_docs(path, load_stream(textwrap.dedent(text)))
    return Context.build(resources)


def obj(ctx: Context, kind: str, name: str, path: str | None = None):
    return next(o for o in ctx.objects(kind) if o.name == name and (path is None or o.path == path))


def deployment(name="api", ns=None, labels="app: api", extra_spec="", containers=None, kind="Deployment",
               api="apps/v1") -> str:
    ns_line = f"\n  namespace: {ns}" if ns else ""
    containers = containers or """
        - name: api
          image: ghcr.io/acme/api:1
          ports:
            - name: http
              containerPort: 8080"""
    return f"""
apiVersion: {api}
kind: {kind}
metadata:
  name: {name}{ns_line}
spec:{extra_spec}
  selector:
    matchLabels: {{{labels}}}
  template:
    metadata:
      labels: {{{labels}}}
    spec:
      containers:{containers}
"""


def service(name="api", ns=None, selector="app: api", ports="[{name: http, port: 80, targetPort: http}]",
            extra="") -> str:
    ns_line = f"\n  namespace: {ns}" if ns else ""
    return f"""
apiVersion: v1
kind: Service
metadata:
  name: {name}{ns_line}
spec:{extra}
  selector: {{{selector}}}
  ports: {ports}
"""


def join(*docs: str) -> str:
    return "---".join(docs)


# --- service_backed / serving_containers ---------------------------------------------------------------
def test_plain_service_backs_its_deployment():
    ctx = ctx_of(("a.yaml", join(deployment(), service())))
    dep = obj(ctx, "Deployment", "api")
    assert [s.name for s in wl.service_backed(dep, ctx)] == ["api"]
    assert [c["name"] for _, c in wl.serving_containers(dep, ctx)] == ["api"]


@pytest.mark.parametrize("svc", [
    service(extra="\n  clusterIP: None"),  # headless
    service(ports="[{name: http-metrics, port: 9090, targetPort: 9090}, {name: metrics-tls, port: 9443}]"),
    service(selector="app: api, tier: web"),  # selects more labels than the pods carry
    service(ns="other"),  # workload in ns "shop" below
    service(selector=""),  # empty selector selects nothing
])
def test_services_that_do_not_back(svc):
    ctx = ctx_of(("a.yaml", join(deployment(ns="shop"), svc)))
    assert wl.service_backed(obj(ctx, "Deployment", "api"), ctx) == []


@pytest.mark.parametrize("hook_ns", ["shop", ""])  # "" = the webhook names no namespace
def test_webhook_backend_service_does_not_back(hook_ns):
    hook = f"""
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {{name: api}}
webhooks:
  - name: api.acme.io
    clientConfig:
      service: {{name: api, namespace: "{hook_ns}"}}
"""
    ctx = ctx_of(("a.yaml", join(deployment(ns="shop"), service(ns="shop"), hook)))
    assert wl.service_backed(obj(ctx, "Deployment", "api"), ctx) == []


def test_webhook_in_another_namespace_does_not_hide_the_service():
    hook = """
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: {name: api}
webhooks:
  - name: api.acme.io
    clientConfig:
      service: {name: api, namespace: elsewhere}
"""
    ctx = ctx_of(("a.yaml", join(deployment(ns="shop"), service(ns="shop"), hook)))
    assert len(wl.service_backed(obj(ctx, "Deployment", "api"), ctx)) == 1


@pytest.mark.parametrize("dep_ns,svc_ns,backed", [(None, "shop", True), ("shop", None, True), (None, None, True),
                                                  ("shop", "shop", True), ("shop", "web", False)])
def test_unwritten_namespace_is_the_same(dep_ns, svc_ns, backed):
    ctx = ctx_of(("a.yaml", join(deployment(ns=dep_ns), service(ns=svc_ns))))
    assert bool(wl.service_backed(obj(ctx, "Deployment", "api"), ctx)) is backed


def test_no_service_in_scan_marker():
    ctx = ctx_of(("a.yaml", join(deployment(), deployment(name="worker", labels="app: worker", containers="""
        - name: worker
          image: w
          ports: [{name: metrics, containerPort: 9090}]"""))))
    assert wl.service_backed(obj(ctx, "Deployment", "api"), ctx) == [wl.NO_SERVICE_IN_SCAN]
    assert wl.service_backed(obj(ctx, "Deployment", "worker"), ctx) == []  # metrics port only
    assert [c["name"] for _, c in wl.serving_containers(obj(ctx, "Deployment", "api"), ctx)] == ["api"]


def test_any_service_in_scan_disables_the_fallback():
    ctx = ctx_of(("a.yaml", join(deployment(), service(name="other", selector="app: other"))))
    assert wl.service_backed(obj(ctx, "Deployment", "api"), ctx) == []


@pytest.mark.parametrize("kind,api", [("DaemonSet", "apps/v1"), ("Job", "batch/v1"), ("Deployment", "acme.io/v1")])
def test_only_replica_workloads_are_service_backed(kind, api):
    ctx = ctx_of(("a.yaml", join(deployment(kind=kind, api=api), service())))
    assert wl.service_backed(obj(ctx, kind, "api"), ctx) == []


def test_rollout_with_workload_ref_is_skipped():
    rollout = """
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: api}
spec:
  replicas: 3
  workloadRef: {apiVersion: apps/v1, kind: Deployment, name: api}
"""
    ctx = ctx_of(("a.yaml", join(rollout, service())))
    assert wl.service_backed(obj(ctx, "Rollout", "api"), ctx) == []
    result = scan_text("r.yaml", join(rollout, service()), select=["K8S"])
    assert [f.code for f in result.findings] == []


CONTAINERS = """
        - name: istio-proxy
          image: proxyv2
          ports: [{name: http-envoy-prom, containerPort: 15090}]
        - name: app
          image: app
        - name: sidecar
          image: s
          ports: [{name: admin, containerPort: 9000}]"""


@pytest.mark.parametrize("ports,serving", [
    ("[{name: http, port: 80, targetPort: 9000}]", ["sidecar"]),  # number
    ("[{name: http, port: 80, targetPort: admin}]", ["sidecar"]),  # name
    ('[{name: http, port: 80, targetPort: "9000"}]', ["sidecar"]),  # number as text
    ("[{name: http, port: 9000}]", ["sidecar"]),  # targetPort defaults to port
    ("[{name: http, port: 80, targetPort: 8080}]", ["app"]),  # nobody declares it: first, passing the proxy
    ("[{name: http, port: 80}, {name: metrics, port: 9000}]", ["app"]),  # metrics ports do not make servers
])
def test_serving_containers(ports, serving):
    ctx = ctx_of(("a.yaml", join(deployment(containers=CONTAINERS), service(ports=ports))))
    assert [c["name"] for _, c in wl.serving_containers(obj(ctx, "Deployment", "api"), ctx)] == serving


def test_service_pairs_with_the_nearest_copy_of_a_workload():
    # Two rendered examples of one chart: only one has a Service.
    ctx = ctx_of(("examples/with-svc/rendered/deploy.yaml", deployment(ns="default")),
                 ("examples/with-svc/rendered/svc.yaml", service(ns="default")),
                 ("examples/no-svc/rendered/deploy.yaml", deployment(ns="default")))
    with_svc = obj(ctx, "Deployment", "api", "examples/with-svc/rendered/deploy.yaml")
    no_svc = obj(ctx, "Deployment", "api", "examples/no-svc/rendered/deploy.yaml")
    assert len(wl.service_backed(with_svc, ctx)) == 1
    assert wl.service_backed(no_svc, ctx) == []


# --- autoscalers --------------------------------------------------------------------------------------
HPA = """
apiVersion: autoscaling/{version}
kind: HorizontalPodAutoscaler
metadata: {{name: api-hpa{ns}}}
spec:
  scaleTargetRef: {{apiVersion: apps/v1, kind: {kind}, name: api}}
  minReplicas: 3
  maxReplicas: 9
"""
KEDA = """
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: {name: api-keda, namespace: shop}
spec:
  scaleTargetRef: {name: api}
  minReplicaCount: 2
"""


@pytest.mark.parametrize("version", ["v1", "v2", "v2beta1", "v2beta2"])
def test_autoscaler_targets_and_fight(version):
    text = join(deployment(ns="shop", extra_spec="\n  replicas: 2"), HPA.format(version=version, ns=", namespace: shop",
                                                                                 kind="Deployment"))
    ctx = ctx_of(("a.yaml", text))
    targets = wl.autoscaler_targets(ctx)
    assert [s.name for s in targets[("shop", "Deployment", "api")]] == ["api-hpa"]
    dep = obj(ctx, "Deployment", "api")
    assert wl.replicas_fight_autoscaler(dep, ctx) == Position(8, 3)  # spec.replicas


def test_keda_default_kind_and_minimum():
    ctx = ctx_of(("a.yaml", join(deployment(ns="shop"), KEDA)))
    dep = obj(ctx, "Deployment", "api")
    assert ("shop", "Deployment", "api") in wl.autoscaler_targets(ctx)
    assert [wl.autoscaler_min(s) for s in wl.autoscalers_for(dep, ctx)] == [2]
    assert wl.replicas_fight_autoscaler(dep, ctx) is None  # replicas omitted


@pytest.mark.parametrize("hpa_kind,hpa_ns", [("StatefulSet", ", namespace: shop"), ("Deployment", ", namespace: web")])
def test_autoscaler_for_something_else(hpa_kind, hpa_ns):
    text = join(deployment(ns="shop", extra_spec="\n  replicas: 2"), HPA.format(version="v2", ns=hpa_ns, kind=hpa_kind))
    ctx = ctx_of(("a.yaml", text))
    assert wl.replicas_fight_autoscaler(obj(ctx, "Deployment", "api"), ctx) is None


def test_helm_leftover_replicas_are_not_judged():
    text = join(deployment(ns="shop", extra_spec='\n  replicas: "{{ .Values.replicas }}"'),
                HPA.format(version="v2", ns=", namespace: shop", kind="Deployment"))
    ctx = ctx_of(("a.yaml", text))
    assert wl.replicas_fight_autoscaler(obj(ctx, "Deployment", "api"), ctx) is None


def test_index_is_linear_when_every_service_shares_a_label(monkeypatch):
    """1,000 namespaces each with `app: web` + Service: each workload must see its own namespace only."""
    calls = 0
    real = wl.map_selector_matches

    def counting(selector, labels):
        nonlocal calls
        calls += 1
        return real(selector, labels)

    monkeypatch.setattr(wl, "map_selector_matches", counting)
    n = 1000
    text = "---".join(deployment(name="web", ns=f"ns{i}", labels="app: web") + "---" +
                      service(name="web", ns=f"ns{i}", selector="app: web") for i in range(n))
    ctx = ctx_of(("a.yaml", text))
    backed = [wl.service_backed(d, ctx) for d in ctx.objects("Deployment")]
    assert all(len(b) == 1 for b in backed)
    assert calls <= 2 * n


# --- rules, through the scanner ----------------------------------------------------------------------
def codes(name, text, select=("K8S",)):
    return [(f.code, f.line) for f in scan_text(name, textwrap.dedent(text), select=list(select)).findings]


def test_prestop_exec_forms_and_grace_periods():
    text = deployment(containers="""
        - name: a
          image: a
          lifecycle: {preStop: {exec: {command: ["/bin/sh", "-c", "nginx -s quit; sleep 30"]}}}
        - name: b
          image: b
          lifecycle: {preStop: {exec: {command: ["sleep", "29"]}}}
        - name: c
          image: c
          lifecycle: {preStop: {sleep: {seconds: 30}}}
        - name: d
          image: d
          lifecycle: {preStop: {sleep: {seconds: 31}}}""")
    found = codes("d.yaml", text, select=("K8S002", "K8S011"))
    assert found == [("K8S002", 16), ("K8S002", 22), ("K8S011", 25)]


def test_k8s002_message_names_the_grace_period():
    text = deployment(containers="""
        - name: a
          image: a
          lifecycle: {preStop: {exec: {command: ["sleep", "40"]}}}""")
    (f,) = scan_text("d.yaml", text, select=["K8S002"]).findings
    assert "terminationGracePeriodSeconds 30 (the default)" in f.message and "sleep 40" in f.message


def test_k8s005_ratio_message_and_position():
    text = deployment(containers="""
        - name: a
          image: a
          resources:
            requests: {cpu: 100m, memory: 1Gi}
            limits: {cpu: 2000m, memory: 1Gi}""")
    (f,) = scan_text("d.yaml", text, select=["K8S005"]).findings
    assert f.line == 18 and "20x its request 100m" in f.message


def test_k8s006_limits_count_as_requests_and_names_what_is_missing():
    text = deployment(kind="DaemonSet", containers="""
        - name: a
          image: a
          resources:
            limits: {cpu: "1", memory: 1Gi}
        - name: b
          image: b
          resources:
            requests: {cpu: 100m}""")
    (f,) = scan_text("d.yaml", text, select=["K8S006"]).findings
    assert "'b'" in f.message and "requests.memory, limits.memory" in f.message


def test_k8s003_counts_autoscaler_minimum_and_skips_daemonsets():
    text = join(deployment(ns="shop"), KEDA)
    assert codes("d.yaml", text, select=("K8S003",)) == [("K8S003", 5)]  # metadata.name: no replicas key
    assert codes("d.yaml", deployment(kind="DaemonSet", extra_spec="\n  replicas: 3"), select=("K8S003",)) == []


def test_k8s009_null_selector_and_unknown_operator():
    text = deployment(extra_spec="\n  replicas: 2", containers="""
        - name: a
          image: a
      topologySpreadConstraints:
        - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: ScheduleAnyway}
        - maxSkew: 1
          topologyKey: topology.kubernetes.io/zone
          whenUnsatisfiable: ScheduleAnyway
          labelSelector: {matchExpressions: [{key: app, operator: Sideways, values: [api]}]}""")
    # the null selector spreads nothing (K8S009); the unknown operator cannot be evaluated (nothing, and
    # K8S003 does not guess either)
    assert codes("d.yaml", text, select=("K8S003", "K8S009")) == [("K8S009", 18)]


ODD = [
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: oops\n",
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {replicas: true, template: [1, 2]}\n",
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: x\nspec: {template: {metadata: {labels: [a]}, spec: "
    "{containers: [null, 3, {name: [x], lifecycle: 3, resources: {requests: [], limits: 7}}], affinity: 1,"
    " topologySpreadConstraints: {a: 1}, terminationGracePeriodSeconds: x}}}\n",
    "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: x}\nspec: {replicas: 3, template: {spec: {"
    "containers: [{name: a, ports: [{containerPort: x}, 5], lifecycle: {preStop: {sleep: {seconds: null}, "
    "exec: {command: 5}}}, resources: {limits: {cpu: '{{ .Values.cpu }}'}, requests: {cpu: 0}}}], "
    "topologySpreadConstraints: [null, {labelSelector: {matchLabels: 3}}], affinity: {podAntiAffinity: x}}}}\n"
    "---\napiVersion: v1\nkind: Service\nmetadata: {name: x}\n"
    "spec: {selector: {a: null}, ports: [3, {targetPort: true}]}\n"
    "---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: h}\nspec: {scaleTargetRef: "
    "{kind: [StatefulSet], name: x}, minReplicas: many}\n"
    "---\napiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: k}\nspec: {scaleTargetRef: x}\n"
    "---\napiVersion: v1\nkind: LimitRange\nmetadata: {name: l}\nspec: {limits: [{type: Container, default: 3}]}\n",
    "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\nspec: {jobTemplate: {spec: {template: {spec: "
    "{initContainers: [{name: s, restartPolicy: Always}], containers: [{name: c}]}}}}}\n",
]


@pytest.mark.parametrize("text", ODD)
def test_odd_input_never_crashes(text):
    scan_text("odd.yaml", text, select=["K8S001", "K8S002", "K8S003", "K8S004", "K8S005", "K8S006", "K8S007",
                                         "K8S008", "K8S009", "K8S011"])


def test_k8s001_sidecars_param_exempts_mesh_proxies_and_can_be_changed(catalog):
    from forewarn.catalog import load_catalog

    text = deployment(containers="""
        - name: istio-proxy
          image: proxyv2
          ports: [{name: http-envoy-prom, containerPort: 15090}]
        - name: app
          image: app
          ports: [{name: http, containerPort: 8080}]""")  # no Service in the scan: both declare ports
    found = scan_text("d.yaml", text, catalog, select=["K8S001"]).findings
    assert [f.message.split("'")[1] for f in found] == ["app"]
    custom = load_catalog(params={"K8S001": {"sidecars": ["app"]}})
    found = scan_text("d.yaml", text, custom, select=["K8S001"]).findings
    assert [f.message.split("'")[1] for f in found] == ["istio-proxy"]
