"""Generate a scan of N Kubernetes objects (Deployments, their Services, HPAs, ConfigMaps) over many files.

Used by tests/test_scale.py (the cross-resource index must stay linear) and by hand:
`python benchmarks/gen_objects.py DIR 20000`.
"""
from __future__ import annotations

import sys
from pathlib import Path

TEMPLATE = """---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{i}
  namespace: ns-{ns}
spec:
  replicas: 2
  selector:
    matchLabels: {{app: app-{i}}}
  template:
    metadata:
      labels: {{app: app-{i}, tier: web}}
    spec:
      containers:
        - name: app
          image: registry.example.com/app:{i}
          ports: [{{containerPort: 8080, name: http}}]
          resources:
            requests: {{cpu: 100m, memory: 128Mi}}
            limits: {{cpu: 200m, memory: 256Mi}}
---
apiVersion: v1
kind: Service
metadata:
  name: app-{i}
  namespace: ns-{ns}
spec:
  selector: {{app: app-{i}}}
  ports: [{{port: 80, targetPort: http}}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: app-{i}
  namespace: ns-{ns}
spec:
  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: app-{i}}}
  minReplicas: 2
  maxReplicas: 5
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: app-{i}
  namespace: ns-{ns}
data:
  key: value-{i}
"""


def generate(root: Path, objects: int, per_file: int = 200) -> int:
    root.mkdir(parents=True, exist_ok=True)
    apps = objects // 4
    per_file_apps = max(1, per_file // 4)
    files = 0
    for start in range(0, apps, per_file_apps):
        text = "".join(TEMPLATE.format(i=i, ns=i % 100) for i in range(start, min(apps, start + per_file_apps)))
        (root / f"apps-{files:04d}.yaml").write_text(text)
        files += 1
    return files


if __name__ == "__main__":
    print(generate(Path(sys.argv[1]), int(sys.argv[2])), "files")
