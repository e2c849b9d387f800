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


# --- Argo Rollouts workloadRef (K8S003 judged on the referenced template) ------------------------------
def rollout_ref(name="api", ns=None, replicas="\n  replicas: 4", ref="{apiVersion: apps/v1, kind: Deployment, name: api}"):
    ns_line = f", namespace: {ns}" if ns else ""
    return f"""
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {{name: {name}{ns_line}}}
spec:{replicas}
  selector: {{matchLabels: {{app: api}}}}
  workloadRef: {ref}
  strategy: {{canary: {{steps: [{{setWeight: 50}}]}}}}
"""


SPREADING_CONTAINERS = """
        - name: api
          image: ghcr.io/acme/api:1
      topologySpreadConstraints:
        - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: ScheduleAnyway,
           labelSelector: {matchLabels: {app: api}}}"""
POD_TEMPLATE = """
apiVersion: v1
kind: PodTemplate
metadata: {name: api}
template:
  metadata: {labels: {app: api}}
  spec:
    containers: [{name: api, image: api}]
"""


def test_rollout_workload_ref_is_judged_on_the_referenced_template():
    text = join(rollout_ref(), deployment(extra_spec="\n  replicas: 0"))
    assert codes("r.yaml", text, select=("K8S003",)) == [("K8S003", 6)]  # the Rollout's spec.replicas
    (f,) = scan_text("r.yaml", text, select=["K8S003"]).findings
    assert "Rollout api runs 4 replicas" in f.message and "Deployment api (spec.workloadRef)" in f.message
    # the referenced template spreads its own pods: clean
    spread = join(rollout_ref(), deployment(extra_spec="\n  replicas: 0", containers=SPREADING_CONTAINERS))
    assert codes("r.yaml", spread, select=("K8S003",)) == []


def test_rollout_workload_ref_counts_its_own_autoscaler():
    hpa = HPA.format(version="v2", ns="", kind="Rollout")
    text = join(rollout_ref(replicas=""), deployment(extra_spec="\n  replicas: 0"), hpa)
    assert codes("r.yaml", text, select=("K8S003", "K8S008")) == [("K8S003", 4)]  # metadata.name


@pytest.mark.parametrize("docs,resolved", [
    ((rollout_ref(), deployment(extra_spec="\n  replicas: 0")), "Deployment"),
    ((rollout_ref(ns="shop"), deployment(ns="shop")), "Deployment"),
    ((rollout_ref(ns="shop"), deployment()), "Deployment"),  # no namespace written: the same
    ((rollout_ref(ref="{apiVersion: apps/v1, kind: ReplicaSet, name: api}"), deployment(kind="ReplicaSet")),
     "ReplicaSet"),
    ((rollout_ref(ref="{apiVersion: v1, kind: PodTemplate, name: api}"), POD_TEMPLATE), "PodTemplate"),
    ((rollout_ref(ns="shop"), deployment(ns="web")), None),  # another namespace
    ((rollout_ref(), deployment(name="api-v2")), None),  # another name
    ((rollout_ref(ref="{apiVersion: v1, kind: Deployment, name: api}"), deployment()), None),  # not apps/Deployment
    ((rollout_ref(ref="{kind: Deployment, name: api}"), deployment()), None),  # Argo needs the apiVersion
    ((rollout_ref(), deployment(api="acme.io/v1")), None),  # a CRD called Deployment
    ((rollout_ref(ref="{apiVersion: apps/v1, kind: StatefulSet, name: api}"), deployment(kind="StatefulSet")), None),
    ((rollout_ref(ref="Deployment/api"), deployment()), None),
    ((rollout_ref(ref="{apiVersion: apps/v1, kind: Deployment, name: '{{ .Values.name }}'}"), deployment()), None),
    ((rollout_ref(), "\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec: {replicas: 0}\n"), None),
    ((rollout_ref(),), None),  # not in the scan
])
def test_referenced_template_resolution(docs, resolved):
    ctx = ctx_of(("a.yaml", join(*docs)))
    ref = wl.referenced_template(obj(ctx, "Rollout", "api"), ctx)
    assert (ref.holder.kind if ref else None) == resolved
    if ref:
        assert ref.labels == {"app": "api"} and ref.spec["containers"][0]["name"] == "api"


def test_referenced_template_takes_the_nearest_copy_and_never_guesses_a_tie():
    prod_dep = ("overlays/prod/deployment.yaml", deployment())
    dev_dep = ("overlays/dev/deployment.yaml", deployment(containers=SPREADING_CONTAINERS))
    ctx = ctx_of(("overlays/prod/rollout.yaml", rollout_ref()), prod_dep, dev_dep)
    assert wl.referenced_template(obj(ctx, "Rollout", "api"), ctx).holder.path == "overlays/prod/deployment.yaml"
    ctx = ctx_of(("apps/rollout.yaml", rollout_ref()), ("apps/a/deployment.yaml", deployment()),
                 ("apps/b/deployment.yaml", deployment()))
    assert wl.referenced_template(obj(ctx, "Rollout", "api"), ctx) is None


def test_referenced_deployment_scaled_to_zero_gets_nothing_extra():
    dep = deployment(extra_spec="\n  replicas: 0", containers="""
        - name: api
          image: ghcr.io/acme/api:1
          ports: [{name: http, containerPort: 8080}]
          lifecycle: {preStop: {sleep: {seconds: 10}}}
          readinessProbe: {httpGet: {path: /ready, port: http}}
          resources: {requests: {cpu: 100m, memory: 128Mi}, limits: {memory: 128Mi}}""")
    text = join(rollout_ref(replicas="\n  replicas: 1"), dep, service())
    assert codes("r.yaml", text) == []


# --- positions of missing keys (RULES.md "Positions") and of exec sleeps -------------------------------
def test_missing_key_points_at_the_deepest_written_mapping():
    text = deployment(containers="""
        - name: api
          image: api
          ports: [{name: http, containerPort: 8080}]
          readinessProbe: {httpGet: {path: /ready, port: http}}
          lifecycle:
            postStart: {exec: {command: [/warm-cache]}}
          resources: {}
        - name: worker
          image: worker
          resources:
            requests: {cpu: 100m, memory: 64Mi}
            limits:
              cpu: 200m
        - name: batch
          image: batch
          resources:
            limits: {cpu: "1"}
        - name: bare
          image: bare""")
    found = codes("d.yaml", text, select=("K8S001", "K8S006", "K8S007"))
    assert found == [
        ("K8S001", 18),  # `lifecycle:` (it holds only postStart)
        ("K8S006", 20), ("K8S007", 20),  # `resources: {}`
        ("K8S006", 25), ("K8S007", 25),  # `limits:` lacks memory / ephemeral-storage
        ("K8S006", 29),  # requests.memory and limits.memory missing: their common `resources:`
        ("K8S007", 30),  # `limits:` (flow) lacks ephemeral-storage
        ("K8S006", 31), ("K8S007", 31),  # no resources at all: the container
    ]


def test_exec_sleep_in_a_block_sequence_points_at_the_item():
    text = deployment(containers="""
        - name: worker
          image: worker
          lifecycle:
            preStop:
              exec:
                command:
                  - /bin/sh
                  - -c
                  - |
                    echo draining
                    sleep 45""")
    assert codes("d.yaml", text, select=("K8S002",)) == [("K8S002", 22)]  # the `- |` script
    text = deployment(containers="""
        - name: worker
          image: worker
          lifecycle:
            preStop:
              exec:
                command: "sleep infinity"
""")
    (f,) = scan_text("d.yaml", text, select=["K8S002"]).findings
    assert f.line == 19 and "sleep infinity" in f.message and "Sleep a fixed time" in f.message


def test_autoscaler_pairs_with_the_kustomize_rendering_of_its_overlay():
    """model/kustomize.py replaces a patched base object by one rendering per overlay: same path (the base),
    the patch files in `extra_origins`. An HPA that only the prod overlay deploys scales the prod rendering."""
    import dataclasses

    text = deployment(ns="shop", extra_spec="\n  replicas: 2")
    hpa = ("overlays/prod/hpa.yaml", HPA.format(version="v2", ns=", namespace: shop", kind="Deployment"))
    base_ctx = ctx_of(("base/deployment.yaml", text), hpa)
    base = obj(base_ctx, "Deployment", "api")
    prod = dataclasses.replace(base)
    prod.extra_origins = ("overlays/prod/kustomization.yaml",)
    staging = dataclasses.replace(base)
    staging.extra_origins = ("overlays/staging/replicas.yaml",)
    ctx = Context.build([prod, staging, obj(base_ctx, "HorizontalPodAutoscaler", "api-hpa")])
    assert wl.replicas_fight_autoscaler(prod, ctx) == Position(8, 3)
    assert wl.replicas_fight_autoscaler(staging, ctx) is None
