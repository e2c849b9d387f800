"""ARGO001-ARGO004 and the ArgoCD model: path normalisation, coverage, catalogue matching, path sources."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from conftest import scan_paths, scan_text
from forewarn.model import argocd as m

DAPR_APP = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: dapr
  namespace: argocd
spec:
  project: platform
  source:
    repoURL: {repo}
    chart: {chart}
    targetRevision: 1.14.2
{helm}  destination:
    server: https://kubernetes.default.svc
    namespace: dapr-system
{ignore}  syncPolicy:
{sync}
"""

SEED_ENTRY = """\
  ignoreDifferences:
    - group: apiextensions.k8s.io
      kind: CustomResourceDefinition
      name: subscriptions.dapr.io
      jqPathExpressions:
        - .spec.conversion.webhook.clientConfig.service.namespace
"""


def dapr_app(repo="https://dapr.github.io/helm-charts/", chart="dapr", helm="", ignore="",
             sync="    automated: {prune: true, selfHeal: true}"):
    return DAPR_APP.format(repo=repo, chart=chart, helm=helm, ignore=ignore, sync=sync)


def codes(result, code):
    return [f for f in result.findings if f.code == code]


# --- path normalisation ---------------------------------------------------------------------------------
def test_pointer_and_jq_normalise_to_the_same_segments():
    assert m.parse_pointer("/spec/conversion/webhook/clientConfig").segments == \
        m.parse_jq(".spec.conversion.webhook.clientConfig").segments
    assert m.parse_pointer("/metadata/labels/app.kubernetes.io~1name").segments == \
        ("metadata", "labels", "app.kubernetes.io/name")
    assert m.parse_pointer("/a~0b").segments == ("a~b",)
    assert m.parse_jq('.metadata.labels["app.kubernetes.io/name"]').segments == \
        ("metadata", "labels", "app.kubernetes.io/name")
    assert m.parse_jq('.data."ca.crt"').segments == ("data", "ca.crt")
    assert m.parse_jq(".webhooks[]?.clientConfig.caBundle").segments == ("webhooks", m.ANY, "clientConfig", "caBundle")
    assert m.parse_jq(".webhooks[0].failurePolicy").segments == ("webhooks", "0", "failurePolicy")
    narrowed = m.parse_jq('.spec.template.spec.containers[] | select(.name == "app") | .env')
    assert narrowed.segments == ("spec", "template", "spec", "containers", m.ANY, "env") and not narrowed.exact
    assert m.parse_jq("..|.caBundle?") is None  # recursive descent: not a plain path


@pytest.mark.parametrize("entry,patched,expected", [
    ("/webhooks/0/clientConfig/caBundle", ("webhooks", "0", "clientConfig", "caBundle"), m.YES),
    ("/webhooks/1/clientConfig/caBundle", ("webhooks", "0", "clientConfig", "caBundle"), m.NO),
    (".webhooks[]?.clientConfig.caBundle", ("webhooks", "3", "clientConfig", "caBundle"), m.YES),
    ("/webhooks", ("webhooks", m.ANY, "failurePolicy"), m.YES),
    ("/webhooks/0/failurePolicy", ("webhooks", m.ANY, "failurePolicy"), m.YES),  # catalogue `*`: any index
    (".spec.conversion.webhook.clientConfig.caBundle",
     ("spec", "conversion", "webhook", "clientConfig", "service", "namespace"), m.NO),
    ('.spec.x[] | select(.name == "a")', ("spec", "x", "0", "y"), m.MAYBE),
])
def test_path_covers(entry, patched, expected):
    path = m.parse_pointer(entry) if entry.startswith("/") else m.parse_jq(entry)
    assert m.path_covers(path, patched) == expected


def _patched(**kw):
    base = dict(group="apiextensions.k8s.io", kind="CustomResourceDefinition", name="subscriptions.dapr.io",
                namespace=None, segments=("spec", "conversion", "webhook", "clientConfig", "service", "namespace"),
                why="")
    base.update(kw)
    return m.Patched(**base)


@pytest.mark.parametrize("entry,expected", [
    ({"group": "apiextensions.k8s.io", "kind": "CustomResourceDefinition", "name": "subscriptions.dapr.io",
      "jqPathExpressions": [".spec.conversion.webhook.clientConfig.service.namespace"]}, m.YES),  # the seed's fix
    ({"group": "apiextensions.k8s.io", "kind": "CustomResourceDefinition",
      "jqPathExpressions": [".spec.conversion.webhook.clientConfig"]}, m.YES),
    ({"group": "*", "kind": "*", "jsonPointers": ["/spec/conversion"]}, m.YES),
    ({"group": "apiextensions.k8s.io", "kind": "CustomResource*", "jsonPointers": ["/spec"]}, m.YES),
    ({"kind": "CustomResourceDefinition", "jsonPointers": ["/spec/conversion"]}, m.NO),  # omitted group = core
    ({"group": "apiextensions.k8s.io", "kind": "CustomResourceDefinition", "name": "components.dapr.io",
      "jsonPointers": ["/spec/conversion"]}, m.NO),
    ({"group": "apiextensions.k8s.io", "kind": "CustomResourceDefinition", "namespace": "dapr-system",
      "jsonPointers": ["/spec/conversion"]}, m.NO),  # cluster-scoped: a namespace never matches
    # managedFieldsManagers: the field manager that writes the path is not known for this row -> no cover
    ({"group": "apiextensions.k8s.io", "kind": "CustomResourceDefinition",
      "managedFieldsManagers": ["operator"]}, m.NO),
    ({"group": "apiextensions.k8s.io", "kind": "CustomResourceDefinition",
      "managedFieldsManagers": ["{{.manager}}"]}, m.MAYBE),
    ({"group": "{{.group}}", "kind": "CustomResourceDefinition", "jsonPointers": ["/spec"]}, m.MAYBE),
])
def test_entry_coverage(entry, expected):
    assert m.covers(m.entry_from_map(entry), _patched()) == expected


@pytest.mark.parametrize("entry,expected", [
    ({"group": "apiextensions.k8s.io", "kind": "CustomResourceDefinition", "managedFieldsManagers": ["operator"]}, m.YES),
    ({"group": "*", "kind": "*", "managedFieldsManagers": ["kube-controller-manager"]}, m.NO),  # replay 29
    ({"group": "*", "kind": "*", "managedFieldsManagers": ["kube-controller-manager"],
      "jsonPointers": ["/spec/replicas"]}, m.NO),
    ({"group": "apps", "kind": "Deployment", "managedFieldsManagers": ["operator"]}, m.NO),  # other kind
])
def test_managed_fields_managers_cover_only_their_own_fields(entry, expected):
    patched = _patched(managers=("operator",))  # the Dapr row: dapr-operator's manager name (seed 001)
    assert m.covers(m.entry_from_map(entry), patched) == expected


def test_managed_fields_managers_cover_hpa_replicas():
    replicas = _patched(group="apps", kind="Deployment", name="cart", namespace="shop", segments=("spec", "replicas"),
                        managers=("kube-controller-manager",))
    entry = {"group": "apps", "kind": "Deployment", "managedFieldsManagers": ["kube-controller-manager"]}
    assert m.covers(m.entry_from_map(entry), replicas) == m.YES
    assert m.covers(m.entry_from_map({**entry, "managedFieldsManagers": ["argocd-controller"]}), replicas) == m.NO
    no_controller = _patched(managers=())  # regenerated by each render: no manager owns it but Argo CD
    assert m.covers(m.entry_from_map({"group": "*", "kind": "*", "managedFieldsManagers": ["operator"]}),
                    no_controller) == m.NO


def test_catalogue_row_name_patterns_accept_entries_with_a_concrete_name():
    patched = _patched(group="admissionregistration.k8s.io", kind="ValidatingWebhookConfiguration",
                       name="istio-validator*", segments=("webhooks", m.ANY, "failurePolicy"))
    entry = m.entry_from_map({"group": "admissionregistration.k8s.io", "kind": "ValidatingWebhookConfiguration",
                              "name": "istio-validator-istio-system", "jsonPointers": ["/webhooks/0/failurePolicy"]})
    assert m.covers(entry, patched) == m.YES


# --- ARGO003 helpers ------------------------------------------------------------------------------------
@pytest.mark.parametrize("expr,bad", [
    (".webhooks[]?.clientConfig.caBundle", False),
    ('.metadata.labels["app.kubernetes.io/name"]', False),
    ('.spec.template.spec.containers[] | select(.name == "a/b")', False),
    (".a / length", False),
    (".replicas - 1", False),
    ("del(.a)", False),
    (".", False),
    ("..", False),
    (".metadata.labels.app.kubernetes.io/name", True),
    (".data.tls-key", True),
    (".spec.versions[", True),
    ('.metadata.annotations["unterminated', True),
    ("/spec/replicas", True),
    (".spec.", True),
    ("", True),
    ("| .a", True),
    # JSONPath habits: jq and gojq reject them (replay 24)
    (".webhooks[*].clientConfig.caBundle", True),
    (".webhooks[ * ].clientConfig.caBundle", True),
    ("$.spec.replicas", True),
    ("$['spec']['replicas']", True),
    ('.webhooks[?(@.name=="x")].clientConfig', True),
    ("{.spec.replicas}", True),
    ("{$.spec.replicas}", True),
    (".metadata.annotations['argocd.argoproj.io/sync-wave']", True),
    (".spec.replicas |", True),
    (".a & .b", True),
    ("()", True),
    # valid jq (gojq accepts all of these)
    ('.spec.template.spec.containers[] | select(.name == "x") | .image', False),
    ('.metadata.annotations["a/b"]', False),
    (".a.b[]?.c", False),
    (".spec.rules[0].http.paths[-1]", False),
    (".a[1:2]", False),
    (".a[:2]", False),
    (".a.[0]", False),  # gojq and jq 1.7 accept `.a.[0]`
    ('.a."b-c"', False),
    ('."a/b".c', False),
    ("{spec}", False),
    ('{"a/b": .x, c: .d}', False),
    ("{(.a): 1}", False),
    (". as [$a] ?// $a | $a", False),
    ('"\\(.a | "x")"', False),
    ("if .a then .b else .c end", False),
    ("reduce .[] as $x (0; . + $x)", False),
    (".a // \"x\"", False),
    ("$ENV.HOME", False),
    ("@base64", False),
    (".a # a comment", False),
    ('.spec.template.spec.containers[] | select(.name == "app").env[] | select(.name | test("^X")) | .value', False),
    ("[.[] | select(.a != null)] | length", False),
])
def test_jq_checker_flags_only_certain_errors(expr, bad):
    assert (m.jq_syntax_problem(expr) is not None) == bad


@pytest.mark.parametrize("expr,said", [
    (".webhooks[*].clientConfig.caBundle", "`[*]`; jq iterates with `[]`"),
    ("$.spec.replicas", "`$`, the JSONPath root"),
    ('.webhooks[?(@.name=="x")].clientConfig', 'select(.name=="x") | .clientConfig'),
    ("{.spec.replicas}", "JSONPath template"),
    # replay D6: single quotes are an invalid character in jq, not an operator and a function
    (".metadata.annotations['argocd.argoproj.io/sync-wave']",
     'single quotes, which jq does not have (it rejects `\'` as an invalid character); write the key in double '
     'quotes: .metadata.annotations["argocd.argoproj.io/sync-wave"]'),
])
def test_jq_checker_messages(expr, said):
    assert said in m.jq_syntax_problem(expr)


def test_jq_checker_fixes_are_valid_jq():
    for expr in (".webhooks[*].clientConfig.caBundle", "$.spec.replicas", "{.spec.replicas}",
                 '.webhooks[?(@.name=="x")].clientConfig', ".metadata.annotations['a/b']"):
        fix = m.jq_syntax_problem(expr).rsplit(": ", 1)[1]
        assert m.jq_syntax_problem(fix) is None, (expr, fix)
        assert m.parse_jq(fix) is not None


@pytest.mark.parametrize("ptr,bad", [
    ("/spec/replicas", False),
    ("/metadata/labels/app.kubernetes.io~1name", False),
    ("/metadata/annotations", False),
    ("", False),
    ("spec/replicas", True),
    (".spec.replicas", True),
    ("/metadata/labels/app.kubernetes.io/name", True),
    ("/spec/selector/matchLabels/app.kubernetes.io/name", True),
    ("/data/a~2b", True),
    ("/spec/template/spec/nodeSelector/kubernetes.io/os", True),  # replay (minor): a label key
    ("/spec/template/spec/nodeSelector/kubernetes.io~1os", False),
    ("/spec/template/spec/nodeSelector", False),
])
def test_pointer_checker(ptr, bad):
    assert (m.pointer_problem(ptr) is not None) == bad


# --- ARGO001 / ARGO002 on the catalogue --------------------------------------------------------------------
def test_dapr_chart_without_entry_fires_at_spec(catalog):
    result = scan_text("dapr.yaml", dapr_app(), catalog, select=["ARGO"])
    found = codes(result, "ARGO001")
    assert [f.line for f in found] == [6]
    assert ("group: apiextensions.k8s.io, kind: CustomResourceDefinition, name: subscriptions.dapr.io, "
            "jqPathExpressions: [.spec.conversion.webhook.clientConfig.service.namespace]") in found[0].message


@pytest.mark.parametrize("repo,chart", [
    ("oci://registry.acme.internal/helm-mirror", "dapr"),
    ("https://nexus.acme.internal/repository/helm-proxy/", "dapr"),
    ("registry-1.docker.io/daprio", "dapr"),
])
def test_dapr_chart_from_mirrors_matches_by_name(catalog, repo, chart):
    assert codes(scan_text("dapr.yaml", dapr_app(repo=repo, chart=chart), catalog, select=["ARGO"]), "ARGO001")


def test_seed_entry_covers_and_argo002_needs_the_sync_option(catalog):
    result = scan_text("dapr.yaml", dapr_app(ignore=SEED_ENTRY), catalog, select=["ARGO"])
    assert not codes(result, "ARGO001")
    assert [f.line for f in codes(result, "ARGO002")] == [6]
    fixed = dapr_app(ignore=SEED_ENTRY, sync="    automated: {}\n    syncOptions: [RespectIgnoreDifferences=true]")
    assert not scan_text("dapr.yaml", fixed, catalog, select=["ARGO"]).findings


@pytest.mark.parametrize("sync", [
    "    syncOptions: [CreateNamespace=true]",  # manual
    "    automated:\n      enabled: false\n      selfHeal: true",
    "    automated: '{{.autoSync}}'",  # unknown: never guess
])
def test_argo002_needs_automated_sync(catalog, sync):
    result = scan_text("dapr.yaml", dapr_app(ignore=SEED_ENTRY, sync=sync), catalog, select=["ARGO"])
    assert not codes(result, "ARGO002")


def test_skip_crds_silences_crd_rows(catalog):
    helm = "    helm:\n      skipCrds: true\n"
    assert not scan_text("dapr.yaml", dapr_app(helm=helm), catalog, select=["ARGO"]).findings


@pytest.mark.parametrize("generators, fires", [
    ("[{list: {elements: [{chart: ingress-nginx}, {chart: dapr}]}}]", True),  # the list names the chart
    ("[{matrix: {generators: [{clusters: {}}, {list: {elements: [{chart: dapr}]}}]}}]", True),
    ("[{clusters: {selector: {matchLabels: {addons: dapr}}}}]", False),  # parameters unknown: never guessed
    ("[{git: {repoURL: 'https://git.example/addons', revision: HEAD, files: [{path: 'addons/*.json'}]}}]", False),
    ("[{list: {elements: [{chart: ingress-nginx}]}}]", False),
])
def test_generated_charts_are_known_only_from_list_elements(catalog, generators, fires):
    text = textwrap.dedent("""\
        apiVersion: argoproj.io/v1alpha1
        kind: ApplicationSet
        metadata: {name: addons}
        spec:
          generators: GENERATORS
          template:
            metadata: {name: '{{chart}}'}
            spec:
              project: default
              source: {repoURL: 'https://dapr.github.io/helm-charts/', chart: '{{chart}}', targetRevision: 1.14.2}
              destination: {server: https://kubernetes.default.svc, namespace: dapr-system}
              syncPolicy: {automated: {}}
        """).replace("GENERATORS", generators)
    found = scan_text("appset.yaml", text, catalog, select=["ARGO"]).findings
    assert [f.line for f in found if f.code == "ARGO001"] == ([8] if fires else [])  # template.spec
    assert all("chart=dapr" in f.message for f in found)


def test_generic_chart_name_needs_the_repo(catalog):
    base = textwrap.dedent("""\
        apiVersion: argoproj.io/v1alpha1
        kind: Application
        metadata: {name: base}
        spec:
          project: default
          source: {repoURL: '%s', chart: base, targetRevision: 1.22.3}
          destination: {server: https://kubernetes.default.svc, namespace: istio-system}
        """)
    assert not scan_text("a.yaml", base % "https://charts.acme.internal/", catalog, select=["ARGO"]).findings
    assert codes(scan_text("a.yaml", base % "https://istio-release.storage.googleapis.com/charts", catalog,
                           select=["ARGO"]), "ARGO001")


@pytest.mark.parametrize("helm,fires", [
    ("    helm:\n      valuesObject:\n        base:\n          validationCABundle: LS0tLS1CRUdJTg==\n", False),
    ("    helm:\n      parameters:\n        - {name: base.validationCABundle, value: LS0tLS1CRUdJTg==}\n", False),
    ("    helm:\n      values: |\n        defaultRevision: \"\"\n", False),
    ("    helm:\n      valueFiles: [values-prod.yaml]\n", False),  # could set the switch: never guess
    ("    helm:\n      valuesObject:\n        global:\n          hub: registry.acme.internal/istio\n", True),
])
def test_switch_off_values(catalog, helm, fires):
    text = dapr_app(repo="https://istio-release.storage.googleapis.com/charts", chart="base", helm=helm)
    assert bool(codes(scan_text("istio.yaml", text, catalog, select=["ARGO"]), "ARGO001")) == fires


def test_argocd_cm_customization_covers(catalog):
    cm = textwrap.dedent("""\
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: argocd-cm, namespace: argocd}
        data:
          resource.customizations: |
            apiextensions.k8s.io/CustomResourceDefinition:
              ignoreDifferences: |
                jsonPointers:
                - /spec/conversion/webhook/clientConfig/service/namespace
        """)
    assert not scan_text("all.yaml", dapr_app() + cm, catalog, select=["ARGO"]).findings


# --- path sources ----------------------------------------------------------------------------------------
CRD = Path(__file__).resolve().parent.parent / "fixtures/ARGO001/bad-path-source-dapr-crds/platform/dapr-crds/subscription.yaml"

PATH_APP = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: dapr-crds
  namespace: argocd
spec:
  project: platform
  source:
    repoURL: {repo}
    targetRevision: main
    path: {path}
{extra}  destination:
    server: https://kubernetes.default.svc
    namespace: dapr-system
  syncPolicy:
    automated: {{}}
"""


def _repo(tmp_path: Path, path="platform/dapr-crds", repo="https://github.com/acme/gitops.git", extra="",
          crd_at="platform/dapr-crds/subscription.yaml") -> Path:
    (tmp_path / "apps").mkdir()
    (tmp_path / "apps/dapr-crds.yaml").write_text(PATH_APP.format(repo=repo, path=path, extra=extra))
    target = tmp_path / crd_at
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(CRD.read_text())
    return tmp_path


@pytest.mark.parametrize("path", ["platform/dapr-crds", "./platform/dapr-crds", "platform/dapr-crds/", "/platform/dapr-crds"])
def test_path_source_links_crd_placeholders(catalog, tmp_path, path):
    result = scan_paths([_repo(tmp_path, path=path)], catalog, select=["ARGO"])
    found = codes(result, "ARGO001")
    assert len(found) == 1 and found[0].path.endswith("dapr-crds.yaml") and found[0].line == 6
    assert "subscription.yaml:19" in found[0].message


def test_plain_directory_does_not_recurse_by_default(catalog, tmp_path):
    repo = _repo(tmp_path, path="platform", crd_at="platform/dapr-crds/subscription.yaml")
    assert not codes(scan_paths([repo], catalog, select=["ARGO"]), "ARGO001")
    (repo / "apps/dapr-crds.yaml").write_text(PATH_APP.format(
        repo="https://github.com/acme/gitops.git", path="platform", extra="    directory:\n      recurse: true\n"))
    assert codes(scan_paths([repo], catalog, select=["ARGO"]), "ARGO001")


def test_kustomize_directory_follows_resources(catalog, tmp_path):
    repo = _repo(tmp_path, path="platform/overlays/prod", crd_at="platform/base/crds/subscription.yaml")
    (repo / "platform/overlays/prod").mkdir(parents=True)
    (repo / "platform/overlays/prod/kustomization.yaml").write_text("resources:\n  - ../../base\n")
    (repo / "platform/base/kustomization.yaml").write_text("resources:\n  - crds/subscription.yaml\n")
    assert codes(scan_paths([repo], catalog, select=["ARGO"]), "ARGO001")


def test_repository_root_and_templated_paths_are_not_linked(catalog, tmp_path):
    repo = _repo(tmp_path, path=".", extra="    directory:\n      recurse: true\n")
    assert not codes(scan_paths([repo], catalog, select=["ARGO"]), "ARGO001")
    (repo / "apps/dapr-crds.yaml").write_text(PATH_APP.format(
        repo="https://github.com/acme/gitops.git", path="'platform/{{.name}}'", extra=""))
    assert not codes(scan_paths([repo], catalog, select=["ARGO"]), "ARGO001")


def test_configured_repo_urls_decide_which_repository_a_path_is_in(catalog, tmp_path):
    repo = _repo(tmp_path, repo="https://github.com/other-team/platform.git")
    # by default any path that exists under the scan root is this repository's (a clone's origin says nothing)
    (repo / ".git").mkdir()
    (repo / ".git/config").write_text('[remote "origin"]\n\turl = /srv/mirror/gitops.git\n')
    assert codes(scan_paths([repo], catalog, select=["ARGO"]), "ARGO001")
    # naming this repository's URLs (config `argocd-repo-urls`) keeps other repositories' paths out
    urls = ["git@github.com:acme/gitops.git"]
    assert not codes(scan_paths([repo], catalog, select=["ARGO"], argocd_repo_urls=urls), "ARGO001")
    (repo / "apps/dapr-crds.yaml").write_text(PATH_APP.format(repo="https://github.com/acme/gitops", path="platform/dapr-crds", extra=""))
    assert codes(scan_paths([repo], catalog, select=["ARGO"], argocd_repo_urls=urls), "ARGO001")


# --- ARGO003 / ARGO004 -----------------------------------------------------------------------------------
ENTRY_APP = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {{name: x}}
spec:
  project: default
  source: {{repoURL: 'https://charts.acme.internal', chart: x, targetRevision: 1.0.0}}
  destination: {{server: https://kubernetes.default.svc, namespace: x}}
  ignoreDifferences:
    - {entry}
"""


@pytest.mark.parametrize("entry,bad", [
    ("{group: apps, kind: MutatingWebhookConfiguration, jsonPointers: [/webhooks]}", True),
    ("{kind: CustomResourceDefinition, jsonPointers: [/spec]}", True),
    ("{group: core, kind: ConfigMap, jsonPointers: [/data]}", True),
    ("{group: apps/v1, kind: Deployment, jsonPointers: [/spec/replicas]}", True),
    ("{kind: Rollout, jsonPointers: [/spec/replicas]}", True),
    ("{kind: deployment, group: apps, jsonPointers: [/spec/replicas]}", True),
    ("{group: apps, jsonPointers: [/spec/replicas]}", True),
    ("{group: admissionregistration.k8s.io, kind: ValidatingWebhookConfiguration, namespace: x, jsonPointers: [/webhooks]}", True),
    ("{group: serving.knative.dev, kind: Service, jsonPointers: [/spec/template]}", False),
    ("{group: '*', kind: '*', jsonPointers: [/status]}", False),
    ("{group: apps, kind: '*', jsonPointers: [/spec/replicas]}", False),
    ("{kind: ConfigMap, namespace: x, jsonPointers: [/data]}", False),
    ("{group: argoproj.io, kind: Rollout, jsonPointers: [/spec/replicas]}", False),
    ("{group: '{{.group}}', kind: Deployment, jsonPointers: [/spec/replicas]}", False),
    ("{group: extensions, kind: Ingress, jsonPointers: [/status]}", False),
    # replays: plural / misspelt built-in kinds never match (kinds compare exactly)
    ("{group: apiextensions.k8s.io, kind: CustomResourceDefinitions, jsonPointers: [/spec/conversion]}", True),
    ("{kind: ConfigMaps, jsonPointers: [/data]}", True),
    ("{group: apps, kind: Deployments, jsonPointers: [/spec/replicas]}", True),
    ("{kind: Endpoints, jsonPointers: [/subsets]}", False),
    ("{group: databases.spotahome.com, kind: RedisFailovers, jsonPointers: [/spec]}", False),
    ("{group: acme.io, kind: Deployments, jsonPointers: [/spec]}", False),
])
def test_argo003_entries(catalog, entry, bad):
    result = scan_text("app.yaml", ENTRY_APP.format(entry=entry), catalog, select=["ARGO003"])
    assert bool(result.findings) == bad, [f.message for f in result.findings]


def test_argo004_positions_and_gotemplate(catalog):
    text = textwrap.dedent("""\
        apiVersion: argoproj.io/v1alpha1
        kind: ApplicationSet
        metadata: {name: x}
        spec:
          generators: []
          template: {metadata: {name: x}, spec: {project: default}}
          templatePatch: |
            spec: {}
        """)
    assert [f.line for f in scan_text("s.yaml", text, catalog, select=["ARGO004"]).findings] == [7]
    fixed = text.replace("spec:\n  generators", "spec:\n  goTemplate: true\n  generators")
    assert not scan_text("s.yaml", fixed, catalog, select=["ARGO004"]).findings


@pytest.mark.parametrize("text", [
    "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: x}\nspec: []\n",
    "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: x}\nspec:\n  source: 3\n  sources: [1, null]\n"
    "  ignoreDifferences: [1, {kind: 3, jsonPointers: [3]}, {jqPathExpressions: x}]\n  syncPolicy: 7\n",
    "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata: {name: x}\nspec:\n  template: x\n"
    "  templatePatch: 5\n  ignoreDifferences: 3\n",
    "apiVersion: app.k8s.io/v1beta1\nkind: Application\nmetadata: {name: x}\nspec:\n  source: {chart: dapr}\n",
])
def test_odd_input_does_not_crash(catalog, text):
    scan_text("odd.yaml", text, catalog, select=["ARGO"])


def test_path_readers_never_raise():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    alphabet = st.sampled_from(list('.[]?"|/~01ab-_ ()\\{}$\'@*:,;#=!'))

    @settings(max_examples=300, deadline=None)
    @given(st.lists(alphabet, max_size=30).map("".join))
    def check(text):
        m.parse_jq(text)
        m.jq_syntax_problem(text)
        m.parse_pointer(text)
        m.pointer_problem(text)

    check()


# --- ApplicationSet templatePatch: only what the patch may change becomes unknown (replay D4) -------------
DAPR_APPSET = """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: dapr, namespace: argocd}
spec:
  goTemplate: true
  generators: [{clusters: {}}]
  template:
    metadata: {name: 'dapr-{{ .name }}'}
    spec:
      project: platform
      source: {repoURL: https://dapr.github.io/helm-charts/, chart: dapr, targetRevision: 1.14.4}
      destination: {server: '{{ .server }}', namespace: dapr-system}
  templatePatch: |
PATCH"""


@pytest.mark.parametrize("patch,fires", [
    ("    spec:\n      syncPolicy:\n        automated: {prune: true}\n", True),
    ("    spec:\n      source:\n        targetRevision: '{{ .metadata.labels.dapr }}'\n", True),
    ("    spec:\n      ignoreDifferences: [{{ .values.ignores }}]\n", False),
    ("    spec:\n      source:\n        helm:\n          skipCrds: true\n", False),
    ("    spec:\n      source:\n        chart: '{{ .values.chart }}'\n", False),
])
def test_template_patch_silences_argo001_only_when_it_may_change_coverage(catalog, patch, fires):
    result = scan_text("appset.yaml", DAPR_APPSET.replace("PATCH", patch), catalog, select=["ARGO001"])
    assert bool(codes(result, "ARGO001")) == fires, [f.message for f in result.findings]


def test_managed_fields_entry_named_in_argo001_and_argo002_messages(catalog):
    ignore = ("  ignoreDifferences:\n    - {group: '*', kind: '*', managedFieldsManagers: [kube-controller-manager]}\n")
    found = codes(scan_text("dapr.yaml", dapr_app(ignore=ignore), catalog, select=["ARGO001"]), "ARGO001")
    assert len(found) == 1 and "only ignores fields owned by `kube-controller-manager`" in found[0].message
    assert "field manager `operator`" in found[0].message
    ignore = ("  ignoreDifferences:\n    - {group: apiextensions.k8s.io, kind: CustomResourceDefinition, "
              "managedFieldsManagers: [operator]}\n")
    result = scan_text("dapr.yaml", dapr_app(ignore=ignore), catalog, select=["ARGO"])
    assert [f.code for f in result.findings] == ["ARGO002"]
    assert "managedFieldsManagers operator" in result.findings[0].message
