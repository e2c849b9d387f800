"""Anything unreadable is finding E001 at a position, and the scan goes on: never a crash, never silence."""
from __future__ import annotations

from conftest import scan_paths

GOOD = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fine\n"


def _e001(result):
    return {(f.path.rsplit("/", 1)[-1], f.line, f.column): f.message for f in result.findings if f.code == "E001"}


def test_non_utf8_points_at_the_bad_byte(tmp_path, catalog):
    (tmp_path / "latin1.yaml").write_bytes(b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: caf\xe9\n")
    (tmp_path / "ok.yaml").write_text(GOOD)
    result = scan_paths([tmp_path], catalog)
    assert list(_e001(result)) == [("latin1.yaml", 4, 12)]
    assert result.resources == 1  # the other file was still read


def test_binary_content_in_a_claimed_extension(tmp_path, catalog):
    (tmp_path / "blob.tf").write_bytes(b"\x00\x01\x02terraform")
    assert list(_e001(scan_paths([tmp_path], catalog))) == [("blob.tf", 1, 1)]


def test_size_limit(tmp_path, catalog):
    (tmp_path / "big.yaml").write_text(GOOD + "data:\n" + "".join(f"  k{i}: v\n" for i in range(2000)))
    found = _e001(scan_paths([tmp_path], catalog, max_bytes=4096))
    assert list(found) == [("big.yaml", 1, 1)] and "limit" in found[("big.yaml", 1, 1)]


def test_billion_laughs_is_e001_not_a_hang(tmp_path, catalog):
    lines = ["apiVersion: v1", "kind: ConfigMap", "metadata: {name: lol}", 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    (tmp_path / "lol.yaml").write_text("\n".join(lines) + "\n")
    found = _e001(scan_paths([tmp_path], catalog))
    assert len(found) == 1 and "alias expansion" in next(iter(found.values()))


def test_hcl_syntax_error_keeps_scanning_the_module(tmp_path, catalog):
    (tmp_path / "broken.tf").write_text('resource "aws_launch_template" "x" {\n  name = "a"\n  = oops\n}\n')
    (tmp_path / "ok.yaml").write_text(GOOD)
    result = scan_paths([tmp_path], catalog)
    assert [k[:2] for k in _e001(result)] == [("broken.tf", 3)]
    assert result.resources >= 1


def test_a_named_pipe_called_yaml_is_skipped_not_read(tmp_path, catalog):
    """Reading a FIFO blocks forever (log-tailing scripts leave them in work trees)."""
    import os
    import threading

    (tmp_path / "k8s").mkdir()
    os.mkfifo(tmp_path / "k8s" / "tail.yaml")
    (tmp_path / "k8s" / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n")
    done = []
    worker = threading.Thread(target=lambda: done.append(scan_paths([tmp_path], catalog)), daemon=True)
    worker.start()
    worker.join(30)
    assert done and not done[0].findings


def test_an_unreadable_directory_is_e001_not_silence(tmp_path, catalog, monkeypatch):
    import os

    private = tmp_path / "private"
    private.mkdir()
    real_scandir = os.scandir

    def scandir(path="."):
        if os.fspath(path) == os.fspath(private):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    result = scan_paths([tmp_path], catalog)
    assert [(f.code, f.path.endswith("private"), "Permission denied" in f.message) for f in result.findings] == \
        [("E001", True, True)]


def test_a_file_name_that_is_not_utf8_works_in_every_format(tmp_path):
    import os
    import subprocess
    import sys

    from conftest import ROOT, SHOP_APP

    name = os.path.join(os.fsencode(tmp_path), b"caf\xe9.yaml")
    with open(name, "w") as fh:
        fh.write(SHOP_APP.format(name="cafe"))
    for fmt in ("json", "sarif", "concise", "junit", "github", "text"):
        proc = subprocess.run([sys.executable, "-m", "forewarn", str(tmp_path), "--format", fmt],
                              capture_output=True, cwd=ROOT)
        assert proc.returncode == 1 and proc.stdout and not proc.stderr, (fmt, proc.stderr)
