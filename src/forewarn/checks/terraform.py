"""Check templates for Terraform (AWS EKS nodes): Bottlerocket volume layout and node image pinning.

The facts come from `model.terraform` (one analysis per module, built once): which launch templates and
terraform-aws-eks node groups start Bottlerocket nodes, their block device mappings, user data, and the
node image versions taken from SSM. Unknown values are skipped, never guessed.
"""
from __future__ import annotations

from ..model.terraform import (
    Storage,
    TerraformModule,
    ebs_encryption_by_default,
    runs_ephemeral_storage,
)
from ..parse.hcldoc import MARK, UNKNOWN, as_bool, as_number, known_str, to_text
from . import template


def _bottlerocket_storages(resource):
    if not isinstance(resource, TerraformModule):
        return []
    return [s for s in resource.analysis.storages if s.bottlerocket]


def _split(storage: Storage, os_device: str, data_device: str):
    """(os mapping, data mapping) or None when a device name cannot be known (dynamic blocks...)."""
    if storage.devices is None:
        return None
    os_map = data_map = None
    for device in storage.devices:
        name = device.device
        if name is None:
            return None
        if name == os_device and os_map is None:
            os_map = device
        elif name == data_device and data_map is None:
            data_map = device
    return os_map, data_map


def _user_data_state(storage: Storage) -> str:
    """"ephemeral" when user data sets up ephemeral storage itself, "unknown" when it cannot be read."""
    for value in storage.user_data:
        if value is UNKNOWN or not isinstance(value, str):
            return "unknown"
        if runs_ephemeral_storage(value):
            return "ephemeral"
    return "known"


def _owner(storage: Storage) -> str:
    if storage.users:
        users = ", ".join(storage.users[:3]) + (" ..." if len(storage.users) > 3 else "")
        return f"{storage.address} (used by {users})"
    return storage.address


def _device_names(params) -> tuple[str, str]:
    def norm(v, default):
        s = str(v or default).strip()
        return s[5:] if s.startswith("/dev/") else s

    return norm(params.get("os_device"), "xvda"), norm(params.get("data_device"), "xvdb")


@template("bottlerocket-root-volume-only")
def root_volume_only(resource, ctx, rule):
    """TF001: xvda enlarged on a Bottlerocket node while xvdb (pods' ephemeral storage) is not mapped."""
    os_device, data_device = _device_names(rule.params)
    limit = as_number(rule.params.get("os_max_gib", 4))
    limit = 4 if limit is None else limit
    hits: dict = {}
    for storage in _bottlerocket_storages(resource):
        split = _split(storage, os_device, data_device)
        if split is None:
            continue
        os_map, data_map = split
        if os_map is None or data_map is not None:
            continue
        size = as_number(os_map.size)
        if size is None or size <= limit:
            continue
        if _user_data_state(storage) != "known":
            continue  # ephemeral storage set up by user data, or user data we cannot read
        hits.setdefault((os_map.file, os_map.pos), (os_map, size, []))[2].append(storage)
    for (file, pos), (os_map, size, storages) in hits.items():
        owners = ", ".join(s.address for s in storages[:3]) + (" ..." if len(storages) > 3 else "")
        why = storages[0].why()
        nvidia = any(s.nvidia for s in storages)
        keep = "4 GiB or a little more" if nvidia else "2-4 GiB"
        message = (
            f"{owners} sizes /dev/{os_device} at {_gib(size)} GiB but does not map /dev/{data_device}, and "
            f"starts Bottlerocket nodes ({why}). On Bottlerocket /dev/{os_device} is the OS volume: pods, "
            f"images and logs live on the data volume /dev/{data_device}, which keeps the AMI's 20 GiB, so "
            f"pods never see the extra size and nodes hit DiskPressure. Map /dev/{data_device} with the size "
            f"pods need and keep /dev/{os_device} at {keep}."
        )
        finding = rule.finding(resource, pos, message, path=file)
        finding.resource = storages[0].address
        finding.snippet = f"{storages[0].address}:{os_device}"
        yield finding


def _gib(size) -> str:
    return to_text(size) or str(size)


def _encryption(device) -> bool | None:
    """True when the mapping encrypts (encrypted = true or a KMS key), False when it provably does not,
    None when that cannot be known."""
    enc = None
    if device.encrypted is not None:
        enc = as_bool(device.encrypted)
        if enc is True:
            return True
        if enc is None:
            return None
    kms = device.kms_key_id
    if kms is not None and kms != "":
        return None if kms is UNKNOWN else True  # a (partially known) ARN or a reference to a key
    if device.snapshot_id not in (None, ""):
        return None  # encryption follows the snapshot
    return False


@template("bottlerocket-data-volume-unencrypted")
def data_volume_unencrypted(resource, ctx, rule):
    """TF002: the OS volume is encrypted, the data volume (the AMI's xvdb, or an unencrypted xvdb) is not."""
    storages = _bottlerocket_storages(resource)
    if not storages or ebs_encryption_by_default(ctx):
        return
    os_device, data_device = _device_names(rule.params)
    seen = set()
    for storage in storages:
        split = _split(storage, os_device, data_device)
        if split is None:
            continue
        os_map, data_map = split
        if os_map is None or _encryption(os_map) is not True:
            continue
        if data_map is None:
            file, pos = os_map.file, os_map.encrypted_pos or os_map.pos
            problem = (f"/dev/{data_device} is not mapped, so the data volume keeps the AMI's mapping, which is "
                       f"unencrypted")
        else:
            if _encryption(data_map) is not False:
                continue
            file, pos = data_map.file, data_map.pos
            problem = f"/dev/{data_device} is mapped without encrypted = true or a KMS key"
        if (file, pos) in seen:
            continue
        seen.add((file, pos))
        message = (
            f"{_owner(storage)} encrypts /dev/{os_device} (the Bottlerocket OS volume) but {problem}: container "
            f"images, pod ephemeral storage and logs live on /dev/{data_device}. Map /dev/{data_device} with "
            f"encrypted = true (and kms_key_id if you use one), or enable aws_ebs_encryption_by_default."
        )
        finding = rule.finding(resource, pos, message, path=file)
        finding.resource = storage.address
        finding.snippet = f"{storage.address}:{data_device}"
        yield finding


@template("release-version-follows-latest")
def release_version_follows_latest(resource, ctx, rule):
    """TF003: a node group's image version read from an SSM `latest` parameter without ignore_changes."""
    if not isinstance(resource, TerraformModule):
        return
    for pin in resource.analysis.pins:
        name = pin.parameter.name
        if not isinstance(name, str) or "/latest/" not in name:
            continue
        if pin.ignored:
            continue
        shown = name.replace(MARK, "…") if not known_str(name) else name
        if pin.ignored is None:
            fix = (f"pin {pin.attribute} to a version you bump deliberately (the module input cannot carry a "
                   f"lifecycle block)")
        else:
            fix = (f"add lifecycle {{ ignore_changes = [{pin.attribute}] }} and bump the version deliberately, "
                   f"or pin it")
        message = (
            f"{pin.address}.{pin.attribute} follows SSM parameter {shown} ({pin.parameter.address}): every "
            f"apply after a new image release rolls every node of the group. If that is not intended, {fix}."
        )
        finding = rule.finding(resource, pin.pos, message, path=pin.file)
        finding.resource = pin.address
        finding.snippet = f"{pin.address}.{pin.attribute}"
        yield finding
