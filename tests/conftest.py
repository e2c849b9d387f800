from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
SHARED = ROOT.parent / "shared"
ANNOTATION = re.compile(r"#\s*(expect|ok)\s*:\s*([A-Z0-9, ]+)")


@pytest.fixture(scope="session")
def catalog():
    from forewarn.catalog import load_catalog

    return load_catalog()


def scan_paths(paths, catalog=None, **kw):
    from forewarn.scan import ScanOptions, run_scan

    return run_scan(ScanOptions(paths=[str(p) for p in paths], **kw), catalog)


def scan_text(name: str, text: str, catalog=None, **kw):
    from forewarn.scan import ScanOptions, run_scan

    return run_scan(ScanOptions(paths=["-"], stdin_text=text, stdin_filename=name, **kw), catalog)


def annotations(path: Path):
    """(expected, forbidden): sets of (code, line) from `# expect: CODE` / `# ok: CODE` on the line above."""
    expected, forbidden = set(), set()
    for number, line in enumerate(path.read_bytes().decode("utf-8", "replace").splitlines(), start=1):
        m = ANNOTATION.search(line)
        if not m:
            continue
        codes = [c for c in re.split(r"[,\s]+", m.group(2)) if c]  # `A, B` or `A B`
        target = expected if m.group(1) == "expect" else forbidden
        for code in codes:
            target.add((code, number + 1))
    return expected, forbidden


# A Service-backed Deployment without preStop (K8S001); `.format(name=...)` names it. Shared by the
# baseline and output tests.
SHOP_APP = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: shop
spec:
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
        - name: {name}
          image: registry.example.com/shop/{name}:1.0.0
          ports:
            - containerPort: 8080
          readinessProbe:
            httpGet: {{path: /ready, port: 8080}}
          resources:
            requests: {{cpu: 100m, memory: 128Mi}}
            limits: {{memory: 128Mi}}
---
apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: shop
spec:
  selector: {{app: {name}}}
  ports:
    - port: 80
      targetPort: 8080
"""
