"""Terraform model: module scope (locals, variables, data, references), templatefile(), embedded
Bottlerocket settings, node evidence, and the TF rules end to end on small trees."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from conftest import scan_paths, scan_text
from forewarn.discover import Candidate
from forewarn.findings import Position
from forewarn.model.terraform import EmbeddedSettings, TerraformModule, load_modules
from forewarn.parse.hcldoc import UNKNOWN, Doc, SsmParameter, parse_expression


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def load(root: Path):
    files = [(Candidate(p, str(p), "terraform"), p.read_text()) for p in sorted(root.rglob("*.tf"))]
    return load_modules(files)


def module_of(resources, name_part="") -> TerraformModule:
    return next(r for r in resources if isinstance(r, TerraformModule) and name_part in r.address)


def value(module: TerraformModule, expr: str):
    return module.evaluate(parse_expression(expr), module.files[0])


SEED = {
    "infra/eks/locals.tf": """
        locals {
          aws_ami_name         = "bottlerocket"
          aws_ami_architecture = "x86_64"
          aws_ami_type         = "${upper(local.aws_ami_name)}_${local.aws_ami_architecture}"
        }
    """,
    "infra/eks/nodes.tf": """
        data "aws_ssm_parameter" "eks_ami_image_version" {
          name = "/aws/service/${local.aws_ami_name}/aws-k8s-${aws_eks_cluster.eks.version}/${local.aws_ami_architecture}/latest/image_version"
        }

        resource "aws_eks_node_group" "blue-green-group" {
          ami_type        = local.aws_ami_type
          release_version = data.aws_ssm_parameter.eks_ami_image_version.value
          launch_template {
            id      = aws_launch_template.node-launch-template.id
            version = aws_launch_template.node-launch-template.latest_version
          }
        }

        resource "aws_launch_template" "node-launch-template" {
          user_data = base64encode(templatefile("${path.module}/../../templates/bottlerocket.tpl",
            {
              "cluster_name"           = aws_eks_cluster.eks.name
              "enable_admin_container" = false
            }
          ))
          block_device_mappings {
            device_name = "/dev/xvda"
            ebs {
              volume_size = 200
            }
          }
        }
    """,
    "templates/bottlerocket.tpl": """
        [settings.kubernetes]
        cluster-name = "${cluster_name}"
        [settings.host-containers.admin]
        enabled = ${enable_admin_container}
    """,
}


# ------------------------------------------------------------------------------------------ scope
def test_locals_across_files_and_the_seed_ami_type(tmp_path):
    resources, problems = load(write(tmp_path, SEED))
    assert not problems
    module = module_of(resources)
    assert value(module, "local.aws_ami_type") == "BOTTLEROCKET_x86_64"
    ssm = value(module, "data.aws_ssm_parameter.eks_ami_image_version.value")
    assert isinstance(ssm, SsmParameter)
    assert ssm.name.startswith("/aws/service/bottlerocket/aws-k8s-") and ssm.name.endswith("/x86_64/latest/image_version")
    assert value(module, "aws_launch_template.node-launch-template.latest_version").address == (
        "aws_launch_template.node-launch-template")


def test_seed_storage_evidence_and_template(tmp_path):
    resources, _ = load(write(tmp_path, SEED))
    module = module_of(resources)
    (lt,) = [s for s in module.analysis.storages if s.address == "aws_launch_template.node-launch-template"]
    assert lt.users == ["aws_eks_node_group.blue-green-group"]
    assert lt.bottlerocket and lt.nvidia is False
    assert [d.device for d in lt.devices] == ["xvda"] and lt.devices[0].size == 200
    (settings,) = [r for r in resources if isinstance(r, EmbeddedSettings)]
    assert settings.path.endswith("templates/bottlerocket.tpl")
    assert settings.template_file == str((tmp_path / "templates/bottlerocket.tpl").resolve())
    assert settings.data["settings"]["host-containers"]["admin"]["enabled"] is False
    assert settings.nvidia is False
    assert any("rendered by templatefile() at" in n and "nodes.tf:" in n for n in settings.notes)
    (pin,) = module.analysis.pins
    assert pin.address == "aws_eks_node_group.blue-green-group" and pin.ignored is False
    assert pin.pos.line == 7


def test_variable_defaults_tfvars_and_cycles(tmp_path):
    root = write(tmp_path, {
        "main.tf": """
            variable "size" { default = 100 }
            variable "nodefault" { type = number }
            variable "overridden" { default = "a" }
            locals {
              loop_a = local.loop_b
              loop_b = local.loop_a
              name   = "${var.overridden}-${var.size}"
            }
        """,
        "terraform.tfvars": 'overridden = "b"\n',
    })
    module = module_of(load(root)[0])
    assert value(module, "var.size") == 100
    assert value(module, "var.nodefault") is UNKNOWN
    assert value(module, "var.overridden") == "b"
    assert value(module, "local.loop_a") is UNKNOWN
    assert value(module, "local.name") == "b-100"


@pytest.mark.parametrize("expr", [
    'templatefile("${path.module}/tpl/s.toml.tpl", { name = "x" })',
    'templatefile("tpl/s.toml.tpl", { name = "x" })',
    'templatefile("${path.root}/tpl/s.toml.tpl", { name = "x" })',
    'templatefile(format("%s/tpl/%s", path.module, "s.toml.tpl"), { name = "x" })',
])
def test_templatefile_resolution(tmp_path, expr):
    root = write(tmp_path, {"m/main.tf": "locals {}\n", "m/tpl/s.toml.tpl": '[settings.kubernetes]\ncluster-name = "${name}"\n'})
    module = module_of(load(root)[0])
    doc = value(module, expr)
    assert isinstance(doc, Doc) and doc.template is not None
    assert doc == '[settings.kubernetes]\ncluster-name = "x"\n'
    assert doc.template.path == str((root / "m/tpl/s.toml.tpl").resolve())


def test_templatefile_of_a_missing_file_is_unknown(tmp_path):
    module = module_of(load(write(tmp_path, {"main.tf": "locals {}\n"}))[0])
    assert value(module, 'templatefile("${path.module}/nope.tpl", {})') is UNKNOWN
    assert value(module, "templatefile(var.path, {})") is UNKNOWN


# --------------------------------------------------------------------------------- embedded settings
def test_heredoc_settings_positions_land_in_the_tf_file(tmp_path):
    root = write(tmp_path, {"lt.tf": """
        resource "aws_launch_template" "x" {
          user_data = base64encode(<<-EOT
            [settings.kubernetes]
            max-pods = 58
          EOT
          )
        }
    """})
    resources, problems = load(root)
    (settings,) = [r for r in resources if isinstance(r, EmbeddedSettings)]
    assert settings.path.endswith("lt.tf")
    assert settings.locate(settings.at("kubernetes", "max-pods")) == Position(4, 5)


def test_broken_toml_in_a_heredoc_is_e001_at_the_host_line(tmp_path):
    root = write(tmp_path, {"lt.tf": """
        resource "aws_launch_template" "x" {
          user_data = <<EOT
        [settings.kubernetes]
        max-pods = = 58
        EOT
        }
    """})
    resources, problems = load(root)
    assert not [r for r in resources if isinstance(r, EmbeddedSettings)]
    ((path, pos, message),) = problems
    assert path.endswith("lt.tf") and pos.line == 4 and "TOML" in message


def test_shell_user_data_is_not_read_as_toml(tmp_path):
    root = write(tmp_path, {"lt.tf": """
        resource "aws_launch_template" "al2" {
          user_data = base64encode(<<-EOT
            #!/bin/bash
            echo "settings.foo = 1" > /tmp/x
            /etc/eks/bootstrap.sh prod
          EOT
          )
        }
    """})
    resources, problems = load(root)
    assert not problems and not [r for r in resources if isinstance(r, EmbeddedSettings)]
    module = module_of(resources)
    assert not module.analysis.storages[0].bottlerocket


def test_nvidia_from_ami_type_and_ssm(tmp_path):
    root = write(tmp_path, {"main.tf": """
        module "eks" {
          source = "terraform-aws-modules/eks/aws"
          eks_managed_node_groups = {
            gpu = {
              ami_type = "BOTTLEROCKET_x86_64_NVIDIA"
              bootstrap_extra_args = <<-EOT
                [settings.kernel]
                lockdown = "none"
              EOT
            }
          }
        }
        data "aws_ssm_parameter" "ami" {
          name = "/aws/service/bottlerocket/aws-k8s-1.31-nvidia/x86_64/latest/image_id"
        }
        resource "aws_launch_template" "self" {
          image_id  = data.aws_ssm_parameter.ami.value
          user_data = "[settings.kernel]\\nlockdown = \\"none\\""
        }
    """})
    resources, _ = load(root)
    docs = {r.notes[0]: r for r in resources if isinstance(r, EmbeddedSettings)}
    assert len(docs) == 2
    assert all(r.nvidia is True for r in docs.values())
    pinned = next(r for n, r in docs.items() if "aws_launch_template.self" in n)
    assert pinned.pin is not None and pinned.locate(Position(2, 1)) == pinned.pin


def test_odd_inputs_do_not_crash(tmp_path):
    root = write(tmp_path, {"main.tf": """
        module "eks" {
          source = "terraform-aws-modules/eks/aws"
          eks_managed_node_groups = "not a map"
          self_managed_node_groups = { a = "x", b = { block_device_mappings = "y", ami_type = 3 } }
        }
        module "eks2" {
          source = "terraform-aws-modules/eks/aws"
          eks_managed_node_groups = { for k, v in var.groups : k => v }
        }
        resource "aws_launch_template" "x" {
          block_device_mappings {}
          dynamic "block_device_mappings" {
            for_each = var.disks
            content {
              device_name = block_device_mappings.value.name
            }
          }
          user_data = 42
        }
        resource "aws_eks_node_group" "y" {
          launch_template { id = 5 }
          release_version = data.aws_ssm_parameter.missing.value
        }
    """})
    resources, problems = load(root)
    assert not problems
    module_of(resources).analysis  # noqa: B018 - must not raise


# ------------------------------------------------------------------------------------------ scans
def _codes(result):
    return sorted((f.path.split("/")[-1], f.code, f.line) for f in result.findings)


def test_scan_seed_tree(tmp_path, catalog):
    root = write(tmp_path, SEED)
    result = scan_paths([root], catalog, select=["TF", "E001"])
    assert _codes(result) == [("nodes.tf", "TF001", 22), ("nodes.tf", "TF003", 7)]


def test_rendered_template_is_not_also_judged_standalone(tmp_path, catalog):
    root = write(tmp_path, SEED)
    from forewarn.load import load as load_all
    from forewarn.discover import discover

    loaded = load_all(discover([str(root)]).files)
    templates = [r for r in loaded.resources if r.format == "bottlerocket"]
    assert len(templates) == 1 and isinstance(templates[0], EmbeddedSettings)


def test_broken_hcl_is_e001_and_the_scan_goes_on(tmp_path, catalog):
    root = write(tmp_path, {
        "broken.tf": 'resource "aws_launch_template" "x" {\n  name = "a"\n  volume_size = \n}\n',
        "ok/main.tf": """
            resource "aws_eks_node_group" "g" {
              release_version = data.aws_ssm_parameter.v.value
            }
            data "aws_ssm_parameter" "v" {
              name = "/aws/service/bottlerocket/aws-k8s-1.31/x86_64/latest/image_version"
            }
        """,
    })
    result = scan_paths([root], catalog, select=["TF", "E001"])
    assert ("broken.tf", "E001", 3) in _codes(result)
    assert ("main.tf", "TF003", 2) in _codes(result)


def test_stdin_snippet(catalog):
    text = textwrap.dedent("""
        resource "aws_eks_node_group" "g" {
          ami_type = "BOTTLEROCKET_ARM_64"
          launch_template {
            name = "br-nodes"
          }
        }
        resource "aws_launch_template" "lt" {
          name = "br-nodes"
          block_device_mappings {
            device_name = "/dev/xvda"
            ebs { volume_size = "100" }
          }
        }
    """)
    result = scan_text("main.tf", text, catalog, select=["TF"])
    assert [(f.code, f.line) for f in result.findings] == [("TF001", 11)]


# ---------------------------------------------------------------------- for expressions, module callers
def test_for_expressions_are_evaluated_over_known_collections(tmp_path):
    write(tmp_path, {"main.tf": """
        locals {
          azs    = ["a", "b"]
          groups = { web = { size = 1 }, batch = { size = 2 } }
        }
    """})
    module = module_of(load(tmp_path)[0])
    assert value(module, '{ for az in local.azs : "n-${az}" => { zone = az } }') == {
        "n-a": {"zone": "a"}, "n-b": {"zone": "b"}}
    assert value(module, "[for k, v in local.groups : v.size * 10 if k != \"web\"]") == [20]
    assert value(module, "{ for k, v in local.groups : v.size => k... }") == {"1": ["web"], "2": ["batch"]}
    # unknown collection, unknown condition, duplicate keys without `...`: unknown, never a guess
    assert value(module, "{ for k, v in var.missing : k => v }") is UNKNOWN
    assert value(module, "[for az in local.azs : az if var.missing]") is UNKNOWN
    assert value(module, "{ for az in local.azs : \"same\" => az }") is UNKNOWN


def test_child_module_variables_come_from_scanned_callers(tmp_path):
    write(tmp_path, {
        "live/a/main.tf": """
            module "nodes" {
              source = "../../modules/nodes"
              size   = 4
            }
        """,
        "live/b/main.tf": """
            module "nodes" {
              source = "../../modules/nodes"
              size   = 8
            }
        """,
        "modules/nodes/main.tf": """
            variable "size" {
              default = 200
            }
            variable "kind" {
              default = "gp3"
            }
        """,
    })
    module = module_of(load(tmp_path)[0], "modules/nodes")
    assert value(module, "var.size") is UNKNOWN  # two callers disagree
    assert value(module, "var.kind") == "gp3"  # nobody passes it: the default
    (tmp_path / "live/b/main.tf").unlink()
    module = module_of(load(tmp_path)[0], "modules/nodes")
    assert value(module, "var.size") == 4
