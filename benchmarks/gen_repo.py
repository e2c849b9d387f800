"""Generate an infrastructure repository of N files, shaped like a real one, as a git work tree.

The mix (of N): ~70% rendered Helm output for many services (a Deployment, its Service, HPA, PDB and
ConfigMap in separate files, `# Source:` comments included), ~10% ArgoCD Applications, ~12% Terraform
node-group modules (main.tf, variables.tf, outputs.tf, a Bottlerocket `templates/*.tpl` rendered with
templatefile()), ~8% Bottlerocket settings TOML. A few files carry findings, most are clean, like a repo
that already adopted forewarn.

    python benchmarks/gen_repo.py DIR [N=5000]      # writes DIR and runs `git init` + one commit

Used by benchmarks/bench_cache.py (first vs second pre-commit run with the cache).
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

DEPLOYMENT = """---
# Source: {app}/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {app}
  namespace: {ns}
  labels:
    helm.sh/chart: {app}-1.{i}.0
    app.kubernetes.io/name: {app}
    app.kubernetes.io/instance: {app}
    app.kubernetes.io/managed-by: Helm
spec:
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      app.kubernetes.io/name: {app}
      app.kubernetes.io/instance: {app}
  template:
    metadata:
      annotations:
        checksum/config: {checksum}
      labels:
        app.kubernetes.io/name: {app}
        app.kubernetes.io/instance: {app}
    spec:
      serviceAccountName: {app}
      terminationGracePeriodSeconds: 45
      topologySpreadConstraints:
        - maxSkew: 1
          topologyKey: kubernetes.io/hostname
          whenUnsatisfiable: ScheduleAnyway
          labelSelector:
            matchLabels:
              app.kubernetes.io/name: {app}
              app.kubernetes.io/instance: {app}
      containers:
        - name: {app}
          image: "registry.example.com/{team}/{app}:1.{i}.0"
          imagePullPolicy: IfNotPresent
          ports:
            - name: http
              containerPort: 8080
              protocol: TCP
          env:
            - name: LOG_LEVEL
              value: info
            - name: OTEL_EXPORTER_OTLP_ENDPOINT
              value: http://otel-collector.observability:4317
          lifecycle:
            preStop:
              exec:
                command: ["sh", "-c", "sleep 10"]
          readinessProbe:
            httpGet:
              path: /healthz/ready
              port: http
            periodSeconds: 5
          livenessProbe:
            httpGet:
              path: /healthz/live
              port: http
          resources:
            requests:
              cpu: 200m
              memory: 256Mi
            limits:
              cpu: 500m
              memory: 256Mi
"""

PRESTOP = """          lifecycle:
            preStop:
              exec:
                command: ["sh", "-c", "sleep 10"]
"""

SERVICE = """---
# Source: {app}/templates/service.yaml
apiVersion: v1
kind: Service
metadata:
  name: {app}
  namespace: {ns}
  labels:
    app.kubernetes.io/name: {app}
    app.kubernetes.io/instance: {app}
spec:
  type: ClusterIP
  selector:
    app.kubernetes.io/name: {app}
    app.kubernetes.io/instance: {app}
  ports:
    - name: http
      port: 80
      targetPort: http
      protocol: TCP
"""

HPA = """---
# Source: {app}/templates/hpa.yaml
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {app}
  namespace: {ns}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {app}
  minReplicas: 2
  maxReplicas: 10
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: 70
"""

PDB = """---
# Source: {app}/templates/pdb.yaml
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {app}
  namespace: {ns}
spec:
  maxUnavailable: 1
  selector:
    matchLabels:
      app.kubernetes.io/name: {app}
      app.kubernetes.io/instance: {app}
"""

CONFIGMAP = """---
# Source: {app}/templates/configmap.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: {app}-config
  namespace: {ns}
data:
  application.yaml: |
    server:
      port: 8080
      shutdown: graceful
    management:
      endpoints:
        web:
          exposure:
            include: health,prometheus
    features:
      checkout-v2: {flag}
      recommendations: true
"""

APPLICATION = """apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: {app}
  namespace: argocd
  finalizers:
    - resources-finalizer.argocd.argoproj.io
spec:
  project: {team}
  source:
    repoURL: https://github.com/acme/platform-infra.git
    targetRevision: main
    path: apps/{team}/{app}
  destination:
    server: https://kubernetes.default.svc
    namespace: {ns}
  syncPolicy:
    automated:
      prune: true
      selfHeal: true
    syncOptions:
      - CreateNamespace=true
"""

MAIN_TF = """locals {{
  cluster_name = "acme-{env}"
  node_group   = "{pool}"
}}

data "aws_ssm_parameter" "bottlerocket_ami" {{
  name = "/aws/service/bottlerocket/aws-k8s-1.30/x86_64/latest/image_id"
}}

resource "aws_launch_template" "{pool}" {{
  name_prefix = "${{local.cluster_name}}-${{local.node_group}}-"
  image_id    = data.aws_ssm_parameter.bottlerocket_ami.value

  block_device_mappings {{
    device_name = "/dev/xvda"
    ebs {{
      volume_size = 4
      volume_type = "gp3"
      encrypted   = true
    }}
  }}

  block_device_mappings {{
    device_name = "/dev/xvdb"
    ebs {{
      volume_size = {data_gib}
      volume_type = "gp3"
      encrypted   = true
    }}
  }}

  user_data = base64encode(templatefile("${{path.module}}/templates/bottlerocket.tpl", {{
    cluster_name     = local.cluster_name
    max_pods         = {max_pods}
    admin_container  = false
  }}))
}}

resource "aws_eks_node_group" "{pool}" {{
  cluster_name    = local.cluster_name
  node_group_name = local.node_group
  node_role_arn   = var.node_role_arn
  subnet_ids      = var.subnet_ids
  ami_type        = "CUSTOM"

  launch_template {{
    id      = aws_launch_template.{pool}.id
    version = aws_launch_template.{pool}.latest_version
  }}

  scaling_config {{
    desired_size = 3
    min_size     = 3
    max_size     = 12
  }}
}}
"""

VARIABLES_TF = """variable "node_role_arn" {
  type        = string
  description = "IAM role of the nodes"
}

variable "subnet_ids" {
  type        = list(string)
  description = "private subnets of the cluster"
}
"""

OUTPUTS_TF = """output "node_group_arn" {{
  value = aws_eks_node_group.{pool}.arn
}}
"""

TEMPLATE_TPL = """[settings.kubernetes]
cluster-name = "${{cluster_name}}"
max-pods = ${{max_pods}}
pod-pids-limit = 4096

[settings.kubernetes.eviction-hard]
"memory.available" = "5%"
"nodefs.available" = "10%"
"nodefs.inodesFree" = "5%"
"imagefs.available" = "15%"

[settings.kubernetes.system-reserved]
cpu = "100m"
memory = "512Mi"
ephemeral-storage = "1Gi"

[settings.host-containers.admin]
enabled = ${{admin_container}}
"""

SETTINGS_TOML = """# Bottlerocket user data for the {pool} pool ({env})
[settings.kubernetes]
cluster-name = "acme-{env}"
api-server = "https://ABCDEF{i:04d}.gr7.eu-west-1.eks.amazonaws.com"
pod-pids-limit = 4096
container-log-max-files = 5

[settings.kubernetes.eviction-hard]
"memory.available" = "5%"
"nodefs.available" = "10%"
"nodefs.inodesFree" = "5%"
"imagefs.available" = "15%"

[settings.kubernetes.system-reserved]
cpu = "100m"
memory = "512Mi"

[settings.kernel]
lockdown = "integrity"
"""

TEAMS = ["payments", "checkout", "search", "identity", "platform", "data", "growth", "catalog"]
ENVS = ["dev", "staging", "prod", "prod-eu", "prod-us"]


def generate(root: Path, total: int = 5000) -> int:
    """Write about `total` files under `root`; returns how many."""
    root.mkdir(parents=True, exist_ok=True)
    written = 0

    def write(rel: str, text: str) -> None:
        nonlocal written
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written += 1

    k8s_files = int(total * 0.70)
    argo_files = int(total * 0.10)
    tf_files = int(total * 0.12)
    toml_files = total - k8s_files - argo_files - tf_files
    apps = k8s_files // 5
    for i in range(apps):
        team = TEAMS[i % len(TEAMS)]
        app = f"{team}-svc-{i:04d}"
        ns = f"{team}-{i % 7}"
        values = dict(app=app, ns=ns, team=team, i=i, checksum=f"{i * 7919:064x}"[-64:],
                      flag="true" if i % 2 else "false")
        base = f"apps/{team}/{app}"
        deployment = DEPLOYMENT.format(**values)
        if i % 97 == 13:  # a few services still lack their preStop hook (K8S001)
            deployment = deployment.replace(PRESTOP, "")
        write(f"{base}/deployment.yaml", deployment)
        write(f"{base}/service.yaml", SERVICE.format(**values))
        write(f"{base}/hpa.yaml", HPA.format(**values))
        write(f"{base}/pdb.yaml", PDB.format(**values))
        write(f"{base}/configmap.yaml", CONFIGMAP.format(**values))
    for i in range(argo_files):
        team = TEAMS[i % len(TEAMS)]
        app = f"{team}-svc-{i % max(1, apps):04d}"
        write(f"argocd/apps/{team}/{app}-{i:04d}.yaml",
              APPLICATION.format(app=f"{app}-{i:04d}", team=team, ns=f"{team}-{i % 7}"))
    modules = max(1, tf_files // 4)
    for i in range(modules):
        env = ENVS[i % len(ENVS)]
        pool = f"pool_{i:03d}"
        base = f"terraform/{env}/node-groups/{pool}"
        values = dict(env=env, pool=pool, data_gib=100 + i % 5 * 50, max_pods=58 + i % 3 * 50)
        write(f"{base}/main.tf", MAIN_TF.format(**values))
        write(f"{base}/variables.tf", VARIABLES_TF)
        write(f"{base}/outputs.tf", OUTPUTS_TF.format(**values))
        write(f"{base}/templates/bottlerocket.tpl", TEMPLATE_TPL.format(**values))
    for i in range(toml_files):
        env = ENVS[i % len(ENVS)]
        write(f"bottlerocket/{env}/pool-{i:04d}.toml", SETTINGS_TOML.format(env=env, pool=f"pool-{i:04d}", i=i))
    return written


def git_init(root: Path) -> None:
    env = dict(os.environ, GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="bench@example.com",
               GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@example.com")
    for cmd in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-q", "-m", "generated"]):
        subprocess.run(cmd, cwd=root, check=True, env=env)


if __name__ == "__main__":
    target = Path(sys.argv[1])
    count = generate(target, int(sys.argv[2]) if len(sys.argv) > 2 else 5000)
    git_init(target)
    print(f"{count} files in {target}")
