"""Targets vs context: a file named alone (pre-commit, editors) gets the verdict a full scan gives.

Each test builds a small git repository in tmp_path, written as teams write them, and compares
`forewarn FILE` (context: the work tree) with `forewarn .` (a full scan) and with `--no-context`.
The cache (`.forewarn_cache/`) must never change a verdict: stale entries, forged entries and renamed
content are covered here too.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import FIXTURES

HEADLESS_STATEFULSET = """\
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: kafka
  namespace: streaming
spec:
  serviceName: kafka-headless
  replicas: 1
  selector:
    matchLabels:
      app.kubernetes.io/name: kafka
  template:
    metadata:
      labels:
        app.kubernetes.io/name: kafka
    spec:
      containers:
        - name: kafka
          image: bitnami/kafka:3.7
          ports:
            - name: client
              containerPort: 9092
          readinessProbe:
            tcpSocket: {port: client}
          resources:
            requests: {cpu: 500m, memory: 2Gi}
            limits: {memory: 2Gi}
"""

HEADLESS_SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: kafka-headless
  namespace: streaming
spec:
  clusterIP: None
  selector:
    app.kubernetes.io/name: kafka
  ports:
    - name: client
      port: 9092
      targetPort: client
"""

CLUSTERIP_SERVICE = HEADLESS_SERVICE.replace("  clusterIP: None\n", "")

LOCALS_TF = """\
locals {
  ami_family   = "bottlerocket"
  architecture = "x86_64"
  ami_type     = "${upper(local.ami_family)}_${local.architecture}"
}
"""

NODES_TF = """\
resource "aws_eks_node_group" "workers" {
  cluster_name    = var.cluster_name
  node_group_name = "workers"
  node_role_arn   = var.node_role_arn
  subnet_ids      = var.subnet_ids
  ami_type        = local.ami_type

  launch_template {
    id      = aws_launch_template.workers.id
    version = aws_launch_template.workers.latest_version
  }

  scaling_config {
    desired_size = 3
    max_size     = 6
    min_size     = 3
  }
}

resource "aws_launch_template" "workers" {
  name_prefix = "workers-"

  block_device_mappings {
    device_name = "/dev/xvda"
    ebs {
      volume_size = 100
      volume_type = "gp3"
    }
  }
}
"""

TEMPLATE_CALLER_TF = """\
resource "aws_launch_template" "workers" {
  name_prefix = "workers-"
  user_data = base64encode(templatefile("${path.module}/../templates/settings.toml.tpl", {
    cluster_name = var.cluster_name
    admin        = true
  }))
}
"""

SETTINGS_TPL = """\
[settings.kubernetes]
cluster-name = "${cluster_name}"
pod-pids-limit = 4096

[settings.kubernetes.eviction-hard]
"memory.available" = "5%"
"nodefs.available" = "10%"
"nodefs.inodesFree" = "5%"
"imagefs.available" = "15%"

[settings.kubernetes.system-reserved]
cpu = "100m"
memory = "512Mi"

[settings.host-containers.admin]
enabled = ${admin}
"""


def forewarn(*args, cwd, stdin=None, env=None):
    full_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "NO_COLOR": "1",
                "HOME": os.environ.get("HOME", "/tmp"), **(env or {})}
    if "XDG_CACHE_HOME" in os.environ and "XDG_CACHE_HOME" not in full_env:
        full_env["XDG_CACHE_HOME"] = os.environ["XDG_CACHE_HOME"]
    return subprocess.run([sys.executable, "-m", "forewarn", *args], cwd=cwd, input=stdin, capture_output=True,
                          text=True, env=full_env)


def git_repo(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def findings(proc) -> list[tuple[str, int, str]]:
    """(path, line, code) of concise output."""
    out = []
    for line in proc.stdout.splitlines():
        path, lineno, _col, rest = line.split(":", 3)
        out.append((path, int(lineno), rest.split()[1]))
    return sorted(out)


def of(items, path):
    return [i for i in items if i[0] == path]


# ------------------------------------------------------------------------------------ verdicts
def test_workload_named_alone_is_judged_with_its_service_in_the_next_file(tmp_path):
    repo = git_repo(tmp_path / "repo", {"streaming/kafka.yaml": HEADLESS_STATEFULSET,
                                        "streaming/kafka-svc.yaml": HEADLESS_SERVICE})
    full = forewarn(".", "--format", "concise", cwd=repo)
    hook = forewarn("streaming/kafka.yaml", "--format", "concise", cwd=repo)
    alone = forewarn("streaming/kafka.yaml", "--format", "concise", "--no-context", cwd=repo)
    # Only a headless Service selects it: not Service-backed, no K8S001 — in the full scan and the hook.
    assert of(findings(full), "streaming/kafka.yaml") == findings(hook) == []
    assert full.returncode == hook.returncode == 0
    # Judged alone, the scan holds no Service, so the containerPort makes it count as served: a false alarm.
    assert ("streaming/kafka.yaml", 18, "K8S001") in findings(alone)


def test_context_finding_is_the_same_and_only_for_the_named_file(tmp_path):
    repo = git_repo(tmp_path / "repo", {"streaming/kafka.yaml": HEADLESS_STATEFULSET,
                                        "streaming/kafka-svc.yaml": CLUSTERIP_SERVICE,
                                        "other/broken.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n"})
    full = findings(forewarn(".", "--format", "concise", cwd=repo))
    hook = findings(forewarn("streaming/kafka.yaml", "--format", "concise", cwd=repo))
    assert ("streaming/kafka.yaml", 18, "K8S001") in hook
    assert hook == of(full, "streaming/kafka.yaml")
    assert ("other/broken.yaml", 5, "E001") in full and not of(hook, "other/broken.yaml")


def test_terraform_module_files_and_templates_come_from_the_context(tmp_path):
    repo = git_repo(tmp_path / "repo", {
        "infra/nodes/locals.tf": LOCALS_TF, "infra/nodes/main.tf": NODES_TF,
        "infra/launch/main.tf": TEMPLATE_CALLER_TF, "infra/templates/settings.toml.tpl": SETTINGS_TPL,
    })
    full = findings(forewarn(".", "--format", "concise", cwd=repo))
    assert ("infra/nodes/main.tf", 24, "TF001") in full  # Bottlerocket only through locals.tf
    assert ("infra/templates/settings.toml.tpl", 16, "BR009") in full  # admin = true from the templatefile() call
    # pre-commit after editing main.tf alone: locals.tf is context, same verdict
    hook = findings(forewarn("infra/nodes/main.tf", "--format", "concise", cwd=repo))
    assert hook == of(full, "infra/nodes/main.tf")
    assert not findings(forewarn("infra/nodes/main.tf", "--no-context", "--format", "concise", cwd=repo))
    # pre-commit after editing the template alone: the calling module renders it with its arguments
    hook = findings(forewarn("infra/templates/settings.toml.tpl", "--format", "concise", cwd=repo))
    assert hook == of(full, "infra/templates/settings.toml.tpl")
    alone = findings(forewarn("infra/templates/settings.toml.tpl", "--no-context", "--format", "concise", cwd=repo))
    assert ("infra/templates/settings.toml.tpl", 16, "BR009") not in alone  # ${admin} unknown: never guessed
    # naming the module that renders the template also reports what the template now does wrong
    hook = findings(forewarn("infra/launch/main.tf", "--format", "concise", cwd=repo))
    assert ("infra/templates/settings.toml.tpl", 16, "BR009") in hook


POOL_VARIABLES_TF = """\
variable "pools" {
  default = {
    build = { disk = 300 }
  }
}
"""
POOL_NODES_TF = """\
resource "aws_launch_template" "pool" {
  for_each = var.pools
  name     = each.key
  image_id = "ami-0123"
  block_device_mappings {
    device_name = "/dev/xvda"
    ebs {
      volume_size = each.value.disk
    }
  }
}

resource "aws_eks_node_group" "pool" {
  for_each        = var.pools
  cluster_name    = "ci"
  node_group_name = each.key
  ami_type        = "BOTTLEROCKET_x86_64"
  launch_template {
    id      = aws_launch_template.pool[each.key].id
    version = "$Latest"
  }
}
"""
CHILD_TF = """\
variable "ami_type" {}
variable "disk" {}
resource "aws_launch_template" "this" {
  block_device_mappings {
    device_name = "/dev/xvda"
    ebs { volume_size = var.disk }
  }
}
resource "aws_eks_node_group" "this" {
  ami_type = var.ami_type
  launch_template { id = aws_launch_template.this.id }
}
"""
ROOT_TF = """\
module "web" {
  source   = "./modules/pool"
  ami_type = "BOTTLEROCKET_x86_64"
  disk     = 200
}
"""


def test_a_terraform_finding_is_reported_for_the_file_it_is_in_only(tmp_path):
    """The README's contract: a one-file run reports findings in that file. The module's other files (and
    the modules calling it) are context: a for_each size in variables.tf and a caller's arguments are
    known, and the finding lands where the offending mapping is written."""
    repo = git_repo(tmp_path / "repo", {"pools/variables.tf": POOL_VARIABLES_TF, "pools/nodes.tf": POOL_NODES_TF,
                                        "cluster/main.tf": ROOT_TF, "cluster/modules/pool/main.tf": CHILD_TF})
    full = findings(forewarn(".", "--format", "concise", cwd=repo))
    assert full == [("cluster/modules/pool/main.tf", 5, "TF001"), ("pools/nodes.tf", 6, "TF001")]
    assert findings(forewarn("pools/nodes.tf", "--format", "concise", cwd=repo)) == [full[1]]
    assert findings(forewarn("pools/variables.tf", "--format", "concise", cwd=repo)) == []
    assert findings(forewarn("cluster/modules/pool/main.tf", "--format", "concise", cwd=repo)) == [full[0]]
    assert findings(forewarn("cluster/main.tf", "--format", "concise", cwd=repo)) == []


def test_stdin_buffer_replaces_the_file_it_is_named_after(tmp_path):
    repo = git_repo(tmp_path / "repo", {"streaming/kafka.yaml": HEADLESS_STATEFULSET,
                                        "streaming/kafka-svc.yaml": CLUSTERIP_SERVICE})
    # the editor's unsaved buffer has the preStop the file on disk lacks
    fixed = HEADLESS_STATEFULSET.replace(
        "          readinessProbe:", "          lifecycle:\n            preStop:\n              sleep: {seconds: 5}\n"
        "          readinessProbe:")
    proc = forewarn("-", "--stdin-filename", "streaming/kafka.yaml", "--format", "concise", cwd=repo, stdin=fixed)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    on_disk = forewarn("-", "--stdin-filename", "streaming/kafka.yaml", "--format", "concise", cwd=repo,
                       stdin=HEADLESS_STATEFULSET)
    assert findings(on_disk) == [("streaming/kafka.yaml", 18, "K8S001")]


def test_directories_are_their_own_context_unless_configured(tmp_path):
    repo = git_repo(tmp_path / "repo", {"streaming/kafka.yaml": HEADLESS_STATEFULSET,
                                        "services/kafka-svc.yaml": HEADLESS_SERVICE})
    assert findings(forewarn("streaming", "--format", "concise", cwd=repo))  # no Service in streaming/
    assert not findings(forewarn("streaming", "--context", ".", "--format", "concise", cwd=repo))
    (repo / ".forewarn.toml").write_text('context = "."\n')
    assert not findings(forewarn("streaming", "--format", "concise", cwd=repo))


def test_config_exclude_applies_to_files_named_by_pre_commit(tmp_path):
    repo = git_repo(tmp_path / "repo", {"vendor/kafka.yaml": HEADLESS_STATEFULSET, ".forewarn.toml": 'exclude = ["vendor"]\n'})
    proc = forewarn("vendor/kafka.yaml", "--format", "concise", cwd=repo)
    assert proc.returncode == 0 and proc.stdout == ""


# ------------------------------------------------------------------------------------ cache
@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    home = tmp_path / "xdg"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    return home


def scan_in_process(repo: Path, target: str, **kw):
    from forewarn.scan import ScanOptions, run_scan

    cwd = os.getcwd()
    os.chdir(repo)
    try:
        options = ScanOptions(paths=[target], context=str(repo), cache_dir=str(repo / ".forewarn_cache"), **kw)
        return run_scan(options)
    finally:
        os.chdir(cwd)


def keyed(result):
    return sorted((f.path, f.line, f.code, f.message) for f in result.findings)


def test_second_run_reads_the_cache_and_gives_the_same_verdict(tmp_path, cache_home):
    repo = git_repo(tmp_path / "repo", {"streaming/kafka.yaml": HEADLESS_STATEFULSET,
                                        "streaming/kafka-svc.yaml": CLUSTERIP_SERVICE,
                                        "infra/nodes/locals.tf": LOCALS_TF, "infra/nodes/main.tf": NODES_TF})
    first = scan_in_process(repo, "streaming/kafka.yaml")
    assert first.cache_hits == 0 and first.cache_misses > 0
    second = scan_in_process(repo, "streaming/kafka.yaml")
    assert second.cache_misses == 0 and second.cache_hits == first.cache_misses
    assert keyed(first) == keyed(second) and keyed(first)
    cache = repo / ".forewarn_cache"
    assert (cache / ".gitignore").read_text().strip().endswith("*")
    assert (cache / "CACHEDIR.TAG").is_file()


def test_stale_context_is_reparsed(tmp_path, cache_home):
    repo = git_repo(tmp_path / "repo", {"streaming/kafka.yaml": HEADLESS_STATEFULSET,
                                        "streaming/kafka-svc.yaml": HEADLESS_SERVICE})
    assert keyed(scan_in_process(repo, "streaming/kafka.yaml")) == []
    # the Service loses clusterIP: None in another file: same size class of edit, new verdict
    svc = repo / "streaming" / "kafka-svc.yaml"
    svc.write_text(CLUSTERIP_SERVICE)
    result = scan_in_process(repo, "streaming/kafka.yaml")
    assert [(f.code, f.line) for f in result.findings] == [("K8S001", 18)]


def test_same_size_same_mtime_edit_is_caught(tmp_path, cache_home):
    """Racy case: content changes, size and mtime do not (coarse clocks, scripted edits)."""
    repo = git_repo(tmp_path / "repo", {"streaming/kafka.yaml": HEADLESS_STATEFULSET,
                                        "streaming/kafka-svc.yaml": HEADLESS_SERVICE})
    svc = repo / "streaming" / "kafka-svc.yaml"
    stat = svc.stat()
    assert keyed(scan_in_process(repo, "streaming/kafka.yaml")) == []
    svc.write_text(HEADLESS_SERVICE.replace("clusterIP: None", "clusterIP: 10.0.0.1"[:len("clusterIP: None")]))
    os.utime(svc, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert svc.stat().st_size == stat.st_size
    result = scan_in_process(repo, "streaming/kafka.yaml")
    assert [(f.code, f.line) for f in result.findings] == [("K8S001", 18)]


def test_context_file_edited_with_its_old_mtime_is_reparsed(tmp_path, cache_home):
    """`cp -p`, `rsync -a`, `tar x`, `touch -r`: a context file long in the cache gets new content with its
    old size and mtime. The entry is checked by SHA-256, so the Service's new selector is seen."""
    repo = git_repo(tmp_path / "repo", {"streaming/kafka.yaml": HEADLESS_STATEFULSET,
                                        "streaming/kafka-svc.yaml": HEADLESS_SERVICE,
                                        "streaming/zookeeper-svc.yaml": HEADLESS_SERVICE.replace("kafka", "zkeep")})
    old = time.time() - 3600  # written well before the cache entry: no racy-timestamp re-check applies
    for path in (repo / "streaming").iterdir():
        os.utime(path, (old, old))
    assert keyed(scan_in_process(repo, "streaming/kafka.yaml")) == []
    assert scan_in_process(repo, "streaming/kafka.yaml").cache_misses == 0  # the entry is warm
    svc = repo / "streaming" / "kafka-svc.yaml"
    stat = svc.stat()
    edited = HEADLESS_SERVICE.replace("clusterIP: None", "clusterIP: 10.0.0.1"[:len("clusterIP: None")])
    assert len(edited) == len(HEADLESS_SERVICE) and edited != HEADLESS_SERVICE
    svc.write_text(edited)
    os.utime(svc, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert (svc.stat().st_size, svc.stat().st_mtime_ns) == (stat.st_size, stat.st_mtime_ns)
    result = scan_in_process(repo, "streaming/kafka.yaml")
    assert [(f.code, f.line) for f in result.findings] == [("K8S001", 18)]
    assert result.cache_misses > 0


def test_template_edit_invalidates_the_module_that_reads_it(tmp_path, cache_home):
    repo = git_repo(tmp_path / "repo", {"infra/launch/main.tf": TEMPLATE_CALLER_TF,
                                        "infra/templates/settings.toml.tpl": SETTINGS_TPL})
    assert ("BR009", 16) in [(f.code, f.line) for f in scan_in_process(repo, "infra/launch/main.tf").findings]
    tpl = repo / "infra" / "templates" / "settings.toml.tpl"
    tpl.write_text(SETTINGS_TPL.replace("enabled = ${admin}", "enabled = false"))
    again = scan_in_process(repo, "infra/launch/main.tf")
    assert "BR009" not in [f.code for f in again.findings]


def test_touched_but_unchanged_files_still_hit(tmp_path, cache_home):
    """`git checkout` rewrites files with the same content: a hash, not a parse."""
    repo = git_repo(tmp_path / "repo", {"streaming/kafka.yaml": HEADLESS_STATEFULSET,
                                        "streaming/kafka-svc.yaml": CLUSTERIP_SERVICE})
    first = scan_in_process(repo, "streaming/kafka.yaml")
    later = time.time() + 60
    for path in repo.rglob("*.yaml"):
        os.utime(path, (later, later))
    second = scan_in_process(repo, "streaming/kafka.yaml")
    assert second.cache_misses == 0 and keyed(second) == keyed(first)


def test_forged_or_foreign_cache_entries_are_never_loaded(tmp_path, cache_home, monkeypatch):
    repo = git_repo(tmp_path / "repo", {"streaming/kafka.yaml": HEADLESS_STATEFULSET,
                                        "streaming/kafka-svc.yaml": CLUSTERIP_SERVICE})
    first = scan_in_process(repo, "streaming/kafka.yaml")
    entries = list((repo / ".forewarn_cache").rglob("*.bin"))
    assert entries
    # someone else's key (a cache committed to the repository, another user): the HMAC fails
    import forewarn.cache as cache

    monkeypatch.setattr(cache, "_KEY", None)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "other-user"))
    second = scan_in_process(repo, "streaming/kafka.yaml")
    assert second.cache_hits == 0 and keyed(second) == keyed(first)
    # a tampered entry with a valid-looking header: rejected too
    monkeypatch.setattr(cache, "_KEY", None)
    for entry in (repo / ".forewarn_cache").rglob("*.bin"):
        data = bytearray(entry.read_bytes())
        data[-5] ^= 0xFF
        entry.write_bytes(bytes(data))
    third = scan_in_process(repo, "streaming/kafka.yaml")
    assert third.cache_hits == 0 and keyed(third) == keyed(first)


def test_restricted_unpickler_refuses_code():
    import pickle

    from forewarn.cache import _restricted_loads

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    with pytest.raises(pickle.UnpicklingError):
        _restricted_loads(pickle.dumps(Evil()))
    from forewarn.findings import Position

    assert _restricted_loads(pickle.dumps([Position(3, 4), {1, 2}])) == [Position(3, 4), {1, 2}]


def test_no_cache_writes_nothing(tmp_path, cache_home):
    repo = git_repo(tmp_path / "repo", {"streaming/kafka.yaml": HEADLESS_STATEFULSET})
    proc = forewarn("streaming/kafka.yaml", "--no-cache", "--format", "concise", cwd=repo,
                    env={"XDG_CACHE_HOME": str(cache_home)})
    assert proc.returncode == 1
    assert not (repo / ".forewarn_cache").exists()
    forewarn("streaming/kafka.yaml", "--format", "concise", cwd=repo, env={"XDG_CACHE_HOME": str(cache_home)})
    assert (repo / ".forewarn_cache").is_dir()


# ------------------------------------------------------------------------------------ units = one load()
def test_loading_by_units_equals_one_load_over_everything(catalog):
    """Per-directory loading (what the cache stores) must give exactly what one load() of all files gives."""
    from forewarn.context import Context
    from forewarn.discover import discover
    from forewarn.engine import active_rules, evaluate
    from forewarn.findings import Finding
    from forewarn.load import load
    from forewarn.scan import ScanOptions, run_scan

    result = run_scan(ScanOptions(paths=[str(FIXTURES)]), catalog)
    loaded = load(discover([str(FIXTURES)]).files)
    reference = evaluate(Context.build(loaded.resources, catalog.knowledge), active_rules(catalog))
    e001 = catalog.get("E001")
    reference += [Finding("E001", e001.name, e001.severity, p.message, p.path, p.position.line, p.position.column)
                  for p in loaded.problems]
    got = {(f.code, f.path, f.line, f.column, f.message) for f in result.findings if f.code not in ("E002", "E003", "E004")}
    want = {(f.code, f.path, f.line, f.column, f.message) for f in reference}
    assert got == want
    assert sorted(result.partial_objects) == sorted(loaded.partial_objects)
    assert sorted(result.helm_sources) == sorted(loaded.helm_sources)


def test_kustomize_patch_listed_from_another_directory_is_partial(tmp_path, catalog):
    from forewarn.scan import ScanOptions, run_scan

    root = tmp_path / "overlay"
    (root / "patches").mkdir(parents=True)
    (root / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../base\n"
        "patches:\n  - path: patches/replicas.yaml\n")
    (root / "patches" / "replicas.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  replicas: 5\n")
    result = run_scan(ScanOptions(paths=[str(root)]), catalog)
    assert [p.endswith("patches/replicas.yaml") for p in result.partial_objects] == [True]
    assert not [f for f in result.findings if f.path.endswith("replicas.yaml")]


@pytest.mark.parametrize("name", ["kustomization.yaml", "kustomization.yml", "Kustomization"])
def test_every_file_name_kustomize_accepts_marks_its_patches(tmp_path, catalog, name):
    from forewarn.scan import ScanOptions, run_scan

    root = tmp_path / "overlay"
    root.mkdir()
    (root / name).write_text("resources:\n  - ../base\npatchesStrategicMerge:\n  - replicas.yaml\n")
    (root / "replicas.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  replicas: 5\n")
    result = run_scan(ScanOptions(paths=[str(root)]), catalog)
    assert [p.endswith("replicas.yaml") for p in result.partial_objects] == [True]
    assert not result.findings


def test_json_summary_names_the_context(tmp_path):
    repo = git_repo(tmp_path / "repo", {"streaming/kafka.yaml": HEADLESS_STATEFULSET,
                                        "streaming/kafka-svc.yaml": CLUSTERIP_SERVICE})
    data = json.loads(forewarn("streaming/kafka.yaml", "--format", "json", cwd=repo).stdout)
    assert data["summary"]["context"] == {"root": str(repo.resolve()), "files": 2}
    assert data["summary"]["files"] == 1


def test_a_chart_appearing_above_templates_invalidates_the_cache(tmp_path, cache_home):
    """`templates/` under a directory with Chart.yaml holds Helm sources, not manifests: found by stat()."""
    repo = git_repo(tmp_path / "repo", {"deploy/templates/kafka.yaml": HEADLESS_STATEFULSET})
    first = scan_in_process(repo, "deploy/templates/kafka.yaml")
    assert [f.code for f in first.findings] == ["K8S001"]
    (repo / "deploy" / "Chart.yaml").write_text("apiVersion: v2\nname: kafka\nversion: 1.0.0\n")
    from forewarn import discover

    if hasattr(discover, "_is_chart_dir"):  # a per-process memo; a new process (the CLI) starts empty
        discover._is_chart_dir.cache_clear()
    second = scan_in_process(repo, "deploy/templates/kafka.yaml")
    assert second.cache_hits == 0  # the templates/ unit was re-read, not served stale
    assert second.findings == [] and second.helm_sources == ["deploy/templates/kafka.yaml"]
