"""forewarn reads every file of the shared corpus of real public configs without a crash.

The corpus (../shared/corpus) holds GitOps repos, rendered charts, CRDs, webhooks, Karpenter classes,
Bottlerocket TOML, and also what must not be reported as broken: Helm chart sources, kustomize patches,
values files, CI workflows, YAML a naive safe loader refuses.
"""
from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import ROOT, SHARED, scan_paths

CORPUS = SHARED / "corpus" / "data"

# Every E001 the corpus gives, and why each file really is unreadable for the API server / Bottlerocket.
EXPECTED_E001 = {
    # a list item dedented out of its mapping: a real YAML syntax error
    "awslabs__data-on-eks/data-stacks/spark-on-eks/benchmarks/benchmark-testdata-generation/tpcds-benchmark-data-generation-1t.yaml",
    "awslabs__data-on-eks/data-stacks/spark-on-eks/benchmarks/benchmark-testdata-generation/tpcds-benchmark-data-generation-3t.yaml",
    "awslabs__data-on-eks/data-stacks/spark-on-eks/benchmarks/celeborn-benchmarks/tpcds-benchmark-data-generation-3t.yaml",
    # the same sparkConf key twice in one mapping
    "awslabs__data-on-eks/data-stacks/spark-on-eks/benchmarks/celeborn-benchmarks/tpcds-benchmark-3t-ebs-builtin-shuffler.yaml",
    "awslabs__data-on-eks/data-stacks/spark-on-eks/benchmarks/celeborn-benchmarks/tpcds-benchmark-3t-ebs-celeborn.yaml",
    "awslabs__data-on-eks/data-stacks/spark-on-eks/benchmarks/graviton-benchmarks/tpcds-benchmark-1t-ebs.yaml",
    "awslabs__data-on-eks/data-stacks/spark-on-eks/benchmarks/graviton-benchmarks/tpcds-benchmark-1t-ssd.yaml",
    # the Bottlerocket README shows a duplicate [settings.kubernetes] table on purpose
    "bottlerocket-os__bottlerocket/README.md.snippet03.L385.toml",
    # documentation placeholders `<rlimit>` in a table name: not TOML
    "bottlerocket-os__bottlerocket/README.md.snippet15.L935.toml",
    "bottlerocket-os__bottlerocket/README.md.snippet16.L941.toml",
    # archived examples with duplicate keys (`selector`, `type`, `storageClassName`)
    "kubernetes__examples/_archived/openshift-origin/etcd-controller.yaml",
    "kubernetes__examples/_archived/openshift-origin/etcd-discovery-controller.yaml",
    "kubernetes__examples/_archived/openshift-origin/openshift-controller.yaml",
    "kubernetes__examples/_archived/persistent-volume-provisioning/quobyte/quobyte-admin-secret.yaml",
    "kubernetes__examples/_archived/volumes/scaleio/sc-pvc.yaml",
}

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus not beside the checkout")


@pytest.fixture(scope="module")
def corpus_result(catalog):
    # every rule on, including the ones off by default: a crash anywhere is a defect
    return scan_paths([CORPUS], catalog, select=sorted(catalog.rules))


def test_corpus_reads_without_crash(corpus_result):
    on_disk = [p for p in CORPUS.rglob("*") if p.is_file() and p.suffix in (".yaml", ".yml", ".toml")]
    # read, or skipped up front as a Helm chart source (templates/ beside Chart.yaml)
    skipped_unread = [p for p in corpus_result.helm_sources if "/templates/" in p]
    assert corpus_result.files_read + len(skipped_unread) == len(on_disk)
    assert corpus_result.resources > 3000


def test_only_really_broken_files_are_e001(corpus_result):
    prefix = str(CORPUS) + "/"
    broken = {f.path.replace(prefix, "").split("data/", 1)[-1] for f in corpus_result.findings if f.code == "E001"}
    assert broken == EXPECTED_E001


def test_helm_sources_are_skipped_not_reported(corpus_result):
    assert len(corpus_result.helm_sources) > 100
    e001 = {f.path for f in corpus_result.findings if f.code == "E001"}
    assert not e001 & set(corpus_result.helm_sources)


def test_kustomize_patches_are_not_judged_as_whole_objects(corpus_result):
    """A patch file is never judged alone; a finding may point into it only about a value it brings to the
    base object it patches (the object as the overlay renders it)."""
    assert corpus_result.partial_objects, "the corpus has kustomize patches"
    in_patches = [f for f in corpus_result.findings if f.code != "E001" and f.path in set(corpus_result.partial_objects)]
    assert in_patches, "the corpus has overlays whose patches set judged values"
    assert all(any(n.startswith("as patched by") for n in f.notes) for f in in_patches)


def test_cli_on_corpus_never_exits_2():
    proc = subprocess.run([sys.executable, "-m", "forewarn", str(CORPUS), "--format", "concise"],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
