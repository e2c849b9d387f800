"""Generate a tree of realistic Terraform for timing forewarn's HCL path.

    python benchmarks/gen_terraform.py OUT_DIR [--files 200]

Writes directories of 4 .tf files each (locals/variables, launch templates + node groups, a
terraform-aws-eks module with node group maps, data sources) plus a Bottlerocket template that the launch
templates render with templatefile(). Roughly 60-180 lines per file, like real stacks.
"""
from __future__ import annotations

import argparse
from pathlib import Path

TEMPLATE = """[settings.kubernetes]
api-server = "${endpoint}"
cluster-certificate = "${cluster_auth_base64}"
cluster-name = "${cluster_name}"
pod-pids-limit = 4096
[settings.kubernetes.eviction-hard]
"memory.available" = "500Mi"
"nodefs.available" = "10%"
"nodefs.inodesFree" = "5%"
"imagefs.available" = "15%"
[settings.kubernetes.system-reserved]
cpu = "100m"
memory = "512Mi"
[settings.host-containers.admin]
enabled = ${enable_admin}
"""

LOCALS = """locals {{
  env                  = "{env}"
  aws_ami_name         = "bottlerocket"
  aws_ami_architecture = "{arch}"
  aws_ami_type         = "${{upper(local.aws_ami_name)}}_${{local.aws_ami_architecture == "arm64" ? "ARM_64" : "x86_64"}}"
  name                 = format("%s-%s", var.cluster_name, local.env)
  tags = merge(var.tags, {{
    Environment = local.env
    Stack       = "eks-{i}"
    ManagedBy   = "terraform"
  }})
  subnets = [for s in var.private_subnets : s if s != ""]
}}

variable "cluster_name" {{
  type    = string
  default = "platform-{i}"
}}

variable "private_subnets" {{
  type    = list(string)
  default = ["subnet-0a{i:04d}", "subnet-0b{i:04d}", "subnet-0c{i:04d}"]
}}

variable "tags" {{
  type    = map(string)
  default = {{}}
}}

variable "disk_size" {{
  description = "Data volume size in GiB"
  type        = number
  default     = {disk}
}}

variable "kms_key_arn" {{
  type = string
}}
"""

NODES = """data "aws_ssm_parameter" "image_version_{g}" {{
  name = "/aws/service/${{local.aws_ami_name}}/aws-k8s-${{aws_eks_cluster.this.version}}/${{local.aws_ami_architecture}}/latest/image_version"
}}

resource "aws_launch_template" "nodes_{g}" {{
  name_prefix            = "${{local.name}}-{g}-"
  update_default_version = true

  user_data = base64encode(templatefile("${{path.module}}/templates/bottlerocket.tpl", {{
    cluster_name        = aws_eks_cluster.this.name
    endpoint            = aws_eks_cluster.this.endpoint
    cluster_auth_base64 = aws_eks_cluster.this.certificate_authority[0].data
    enable_admin        = false
  }}))

  block_device_mappings {{
    device_name = "/dev/xvda"
    ebs {{
      volume_size = {os_size}
      volume_type = "gp3"
      encrypted   = true
      kms_key_id  = var.kms_key_arn
    }}
  }}
{data_volume}
  metadata_options {{
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 2
  }}

  tag_specifications {{
    resource_type = "instance"
    tags          = merge(local.tags, {{ Name = "${{local.name}}-{g}" }})
  }}
}}

resource "aws_eks_node_group" "{g}" {{
  cluster_name    = aws_eks_cluster.this.name
  node_group_name = "${{local.name}}-{g}"
  node_role_arn   = aws_iam_role.node.arn
  subnet_ids      = local.subnets
  ami_type        = local.aws_ami_type
  release_version = nonsensitive(data.aws_ssm_parameter.image_version_{g}.value)
  capacity_type   = "{capacity}"
  instance_types  = ["m6i.xlarge", "m6a.xlarge", "m5.xlarge"]

  launch_template {{
    id      = aws_launch_template.nodes_{g}.id
    version = aws_launch_template.nodes_{g}.latest_version
  }}

  scaling_config {{
    desired_size = 2
    max_size     = 10
    min_size     = 2
  }}

  update_config {{
    max_unavailable_percentage = 33
  }}

  labels = {{
    "node.kubernetes.io/pool" = "{g}"
  }}

  taint {{
    key    = "dedicated"
    value  = "{g}"
    effect = "NO_SCHEDULE"
  }}

  lifecycle {{
    create_before_destroy = true
    ignore_changes        = [scaling_config[0].desired_size{ignore}]
  }}

  tags = local.tags
}}
"""

DATA_VOLUME = """
  block_device_mappings {
    device_name = "/dev/xvdb"
    ebs {
      volume_size = var.disk_size
      volume_type = "gp3"
      encrypted   = true
      kms_key_id  = var.kms_key_arn
    }
  }
"""

MODULE = """module "eks" {{
  source  = "terraform-aws-modules/eks/aws"
  version = "~> 20.24"

  cluster_name    = local.name
  cluster_version = "1.31"
  vpc_id          = "vpc-0{i:04d}"
  subnet_ids      = local.subnets

  cluster_addons = {{
    coredns    = {{ most_recent = true }}
    kube-proxy = {{ most_recent = true }}
    vpc-cni = {{
      most_recent = true
      configuration_values = jsonencode({{
        env = {{ ENABLE_PREFIX_DELEGATION = "true", WARM_PREFIX_TARGET = "1" }}
      }})
    }}
  }}

  eks_managed_node_group_defaults = {{
    instance_types = ["m6i.large", "m5.large"]
    ebs_optimized  = true
  }}

  eks_managed_node_groups = {{
    system = {{
      ami_type     = "AL2023_x86_64_STANDARD"
      min_size     = 2
      max_size     = 3
      desired_size = 2
      block_device_mappings = {{
        xvda = {{
          device_name = "/dev/xvda"
          ebs         = {{ volume_size = 100, volume_type = "gp3" }}
        }}
      }}
    }}
    bottlerocket = {{
      ami_type     = "BOTTLEROCKET_ARM_64"
      min_size     = 1
      max_size     = 20
      desired_size = 3
      block_device_mappings = {{
        xvda = {{
          device_name = "/dev/xvda"
          ebs         = {{ volume_size = {mod_os}, volume_type = "gp3" }}
        }}
      }}
      bootstrap_extra_args = <<-EOT
        [settings.kubernetes]
        pod-pids-limit = 4096
        [settings.kubernetes.eviction-hard]
        "memory.available" = "500Mi"
        "nodefs.available" = "10%"
        "nodefs.inodesFree" = "5%"
        "imagefs.available" = "15%"
        [settings.kubernetes.system-reserved]
        cpu = "100m"
        memory = "512Mi"
      EOT
    }}
  }}

  tags = local.tags
}}
"""

IAM = """resource "aws_iam_role" "node" {{
  name_prefix = "${{local.name}}-node-"
  assume_role_policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect    = "Allow"
      Principal = {{ Service = "ec2.amazonaws.com" }}
      Action    = "sts:AssumeRole"
    }}]
  }})
  tags = local.tags
}}

resource "aws_iam_role_policy_attachment" "node" {{
  for_each = toset([
    "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
    "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
  ])
  policy_arn = each.value
  role       = aws_iam_role.node.name
}}

resource "aws_eks_cluster" "this" {{
  name     = local.name
  role_arn = aws_iam_role.cluster.arn
  version  = "1.31"

  vpc_config {{
    subnet_ids              = local.subnets
    endpoint_private_access = true
    endpoint_public_access  = false
  }}

  enabled_cluster_log_types = ["api", "audit", "authenticator"]

  dynamic "encryption_config" {{
    for_each = var.kms_key_arn == "" ? [] : [1]
    content {{
      resources = ["secrets"]
      provider {{
        key_arn = var.kms_key_arn
      }}
    }}
  }}
}}
"""


def generate(out: Path, files: int) -> int:
    written = 0
    i = 0
    while written < files:
        d = out / f"stack-{i:03d}"
        (d / "templates").mkdir(parents=True, exist_ok=True)
        (d / "templates" / "bottlerocket.tpl").write_text(TEMPLATE, encoding="utf-8")
        (d / "main.tf").write_text(LOCALS.format(env=("prod", "stage")[i % 2], arch=("x86_64", "arm64")[i % 2],
                                                 i=i, disk=100 + i), encoding="utf-8")
        nodes = []
        for g in ("general", "batch"):
            bad = (i + len(g)) % 3 == 0  # a third of the launch templates repeat the incident
            nodes.append(NODES.format(g=g, os_size=200 if bad else 4, data_volume="" if bad else DATA_VOLUME,
                                      capacity=("ON_DEMAND", "SPOT")[i % 2],
                                      ignore="" if i % 2 else ", release_version"))
        (d / "nodes.tf").write_text("\n".join(nodes), encoding="utf-8")
        (d / "eks.tf").write_text(MODULE.format(i=i, mod_os=4 if i % 4 else 80), encoding="utf-8")
        (d / "iam.tf").write_text(IAM.format(), encoding="utf-8")
        written += 4
        i += 1
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--files", type=int, default=200)
    args = parser.parse_args()
    n = generate(args.out, args.files)
    print(f"wrote {n} .tf files under {args.out}")


if __name__ == "__main__":
    main()
