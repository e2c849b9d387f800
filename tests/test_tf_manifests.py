"""Kubernetes objects declared in Terraform (kubectl_manifest, kubernetes_manifest) are judged like YAML files."""
from __future__ import annotations

from pathlib import Path

from forewarn.scan import ScanOptions, run_scan

NODE_CLASS_HEREDOC = """\
resource "kubectl_manifest" "node_class" {
  yaml_body = <<-YAML
    apiVersion: karpenter.k8s.aws/v1
    kind: EC2NodeClass
    metadata:
      name: default
    spec:
      amiSelectorTerms:
        - alias: bottlerocket@latest
      role: ${module.eks.cluster_name}-node
      blockDeviceMappings:
        - deviceName: /dev/xvda
          ebs:
            volumeSize: 100Gi
      userData: |
        [settings.host-containers.admin]
        enabled = true
  YAML
}
"""
WEBHOOK_MANIFEST = """\
resource "kubernetes_manifest" "opa" {
  manifest = {
    apiVersion = "admissionregistration.k8s.io/v1"
    kind       = "ValidatingWebhookConfiguration"
    metadata   = { name = "opa" }
    webhooks = [{
      name                    = "validating-webhook.openpolicyagent.org"
      admissionReviewVersions = ["v1"]
      sideEffects             = "None"
      failurePolicy           = "Fail"
      rules = [{
        operations  = ["CREATE", "UPDATE"]
        apiGroups   = [""]
        apiVersions = ["v1"]
        resources   = ["configmaps"]
      }]
      clientConfig = { service = { namespace = "opa", name = "opa" } }
    }]
  }
}
"""


def scan(root: Path):
    result = run_scan(ScanOptions(paths=[str(root)]))
    return sorted((Path(f.path).name, f.line, f.code) for f in result.findings)


def test_heredoc_manifest_lines_are_the_tf_file_lines(tmp_path):
    (tmp_path / "karpenter.tf").write_text(NODE_CLASS_HEREDOC)
    found = scan(tmp_path)
    assert ("karpenter.tf", 12, "KAR001") in found  # `- deviceName: /dev/xvda`
    assert ("karpenter.tf", 17, "BR009") in found  # `enabled = true` inside userData inside the heredoc


def test_hcl_object_manifest_points_where_each_key_is_written(tmp_path):
    (tmp_path / "opa.tf").write_text(WEBHOOK_MANIFEST)
    assert [f for f in scan(tmp_path) if f[2] == "WH001"] == [("opa.tf", 10, "WH001")]  # failurePolicy = "Fail"


def test_yamlencode_templatefile_for_each_and_file(tmp_path):
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "bottlerocket.yaml.tpl").write_text(
        "apiVersion: karpenter.k8s.aws/v1\nkind: EC2NodeClass\nmetadata:\n  name: br\nspec:\n"
        "  amiSelectorTerms:\n    - alias: bottlerocket@latest\n  role: ${role}\n"
        "  blockDeviceMappings:\n    - deviceName: /dev/xvda\n      ebs: {volumeSize: \"${size}\"}\n")
    (tmp_path / "nodepool.yaml").write_text("apiVersion: karpenter.sh/v1\nkind: NodePool\nmetadata:\n  name: x\n")
    (tmp_path / "main.tf").write_text(
        'resource "kubectl_manifest" "classes" {\n'
        '  for_each  = { small = "4Gi", big = "200Gi" }\n'
        '  yaml_body = templatefile("${path.module}/templates/bottlerocket.yaml.tpl", { role = "r", size = each.value })\n'
        "}\n"
        'resource "kubectl_manifest" "pool" {\n  yaml_body = file("${path.module}/nodepool.yaml")\n}\n'
        'resource "kubectl_manifest" "encoded" {\n  yaml_body = yamlencode({\n'
        '    apiVersion = "karpenter.k8s.aws/v1beta1"\n    kind = "EC2NodeClass"\n    metadata = { name = "enc" }\n'
        '    spec = {\n      amiFamily = "Bottlerocket"\n'
        '      blockDeviceMappings = [{ deviceName = "/dev/xvda", ebs = { volumeSize = "80Gi" } }]\n'
        "    }\n  })\n}\n")
    kar = sorted(set(f for f in scan(tmp_path) if f[2] == "KAR001"))
    # both instances of the template (its own line 10), the encoded object (where deviceName is written);
    # nodepool.yaml read by file() is judged as itself, not twice
    assert kar == [("bottlerocket.yaml.tpl", 10, "KAR001"), ("main.tf", 15, "KAR001")]
    messages = [f.message for f in run_scan(ScanOptions(paths=[str(tmp_path)])).findings if f.code == "KAR001"]
    assert len(messages) == 3 and sum("to 200Gi" in m for m in messages) == 1  # one per instance + encoded


TYPED = """\
resource "kubernetes_deployment_v1" "cart" {
  metadata {
    name      = "cart"
    namespace = kubernetes_namespace_v1.shop.metadata[0].name
  }
  spec {
    replicas = 3
    selector {
      match_labels = { app = "cart" }
    }
    template {
      metadata {
        labels = { app = "cart" }
      }
      spec {
        container {
          name  = "cart"
          image = "shop/cart:1.4.2"
          port {
            name           = "http"
            container_port = 8080
          }
          resources {
            requests = { cpu = "100m", memory = "128Mi" }
            limits   = { memory = "128Mi" }
          }
        }
      }
    }
  }
}

resource "kubernetes_namespace_v1" "shop" {
  metadata { name = "shop" }
}

resource "kubernetes_service_v1" "cart" {
  metadata {
    name      = "cart"
    namespace = kubernetes_namespace_v1.shop.metadata[0].name
  }
  spec {
    cluster_ip = CLUSTER_IP
    selector   = { app = "cart" }
    port {
      port        = 80
      target_port = "http"
    }
  }
}
"""


def test_typed_provider_resources_are_the_api_objects(tmp_path):
    (tmp_path / "shop.tf").write_text(TYPED.replace("CLUSTER_IP", '"10.100.0.10"'))
    found = scan(tmp_path)
    assert ("shop.tf", 16, "K8S001") in found and ("shop.tf", 16, "K8S004") in found  # the `container` block
    assert ("shop.tf", 7, "K8S003") in found  # replicas = 3, no spread
    (tmp_path / "shop.tf").write_text(TYPED.replace("CLUSTER_IP", '"None"'))  # headless: not Service-backed
    assert [f for f in scan(tmp_path) if f[2] in ("K8S001", "K8S004")] == []
