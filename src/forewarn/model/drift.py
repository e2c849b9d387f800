"""Fields a controller rewrites at run time, so that GitOps sees drift: the values as rendered, with positions.

Two shapes (KNOWLEDGE.md 4 and 5.2):
- a CRD conversion webhook rendered with a placeholder that an operator patches (Dapr renders
  `namespace: replaceme` and dapr-operator writes `dapr-system`; a `caBundle` of `""` or `Cg==` is patched
  by whoever owns the CA): rule CRD001;
- a literal `caBundle` on an object that cert-manager's cainjector fills from an annotation: cainjector
  overwrites the literal, and every sync writes it back.
The ArgoCD rules use both to know which rendered paths must be covered by `ignoreDifferences`. Pointers are
RFC 6901 JSON pointers into the object as rendered.
"""
from __future__ import annotations

from ..findings import Position
from ..parse.yamldoc import YMap
from .kubernetes import as_list, as_map

PLACEHOLDER_WORDS = {"replaceme", "replace_me", "changeme", "placeholder", "todo"}
PLACEHOLDER_CA_BUNDLES = {"", "Cg=="}  # "Cg==" is base64 of "\n": the kubebuilder "set me later" value
INJECT_ANNOTATIONS = ("cert-manager.io/inject-ca-from", "cert-manager.io/inject-ca-from-secret")
INJECT_APISERVER_CA = "cert-manager.io/inject-apiserver-ca"
WEBHOOK_KINDS = ("ValidatingWebhookConfiguration", "MutatingWebhookConfiguration")


def _kind(obj) -> str:
    """The object's kind: a K8sObject's `.kind`, or `kind` of a plain mapping."""
    kind = getattr(obj, "kind", None)
    if kind is None and isinstance(obj, dict):
        kind = obj.get("kind")
    return str(kind or "")


def _data(obj) -> dict:
    data = getattr(obj, "data", obj)
    return data if isinstance(data, dict) else {}


def _annotations(obj) -> dict:
    return as_map(as_map(_data(obj).get("metadata")).get("annotations"))


def _value_position(container, key) -> Position:
    if isinstance(container, YMap):
        return container.val_pos.get(key, container.at(key))
    return Position(1, 1)


def is_placeholder_name(value) -> bool:
    """A service namespace/name that is a stand-in: empty, or replaceme/REPLACE_ME/changeme/placeholder/TODO
    (case-insensitive)."""
    if value is None:
        return True
    if not isinstance(value, str):
        return False
    text = value.strip()
    return text == "" or text.lower() in PLACEHOLDER_WORDS


def is_crd_fragment(obj) -> bool:
    """A CRD without `spec.group` or `spec.names` is a patch (kubebuilder's `webhook_in_<kind>.yaml`,
    `cainjection_in_<kind>.yaml`), never an object the API would accept: it is not judged whole."""
    spec = _data(obj).get("spec")
    return not isinstance(spec, dict) or not spec.get("group") or not isinstance(spec.get("names"), dict)


def _conversion_client_config(data: dict) -> tuple[dict, str] | None:
    """The CRD conversion webhook clientConfig and its pointer (apiextensions v1, or v1beta1's
    `spec.conversion.webhookClientConfig`)."""
    conversion = as_map(as_map(data.get("spec")).get("conversion"))
    webhook = conversion.get("webhook")
    if isinstance(webhook, dict) and isinstance(webhook.get("clientConfig"), dict):
        return webhook["clientConfig"], "/spec/conversion/webhook/clientConfig"
    if isinstance(conversion.get("webhookClientConfig"), dict):
        return conversion["webhookClientConfig"], "/spec/conversion/webhookClientConfig"
    return None


def crd_placeholder_paths(obj) -> list[tuple[str, Position]]:
    """For a CustomResourceDefinition: the JSON pointers of conversion-webhook values rendered as
    placeholders that a controller patches at run time, with the positions of the values.

    - `.../clientConfig/service/namespace` and `.../service/name` when present and empty or one of
      `replaceme`, `REPLACE_ME`, `changeme`, `placeholder`, `TODO` (case-insensitive);
    - `.../clientConfig/caBundle` when present with the value `""` or `Cg==` (base64 of a newline).
    A CRD without a caBundle key is not reported for it (cainjector's `cert-manager.io/inject-ca-from` with no
    literal caBundle is the clean way). Anything that is not a CRD, and CRD fragments (patches without
    `spec.group`/`spec.names`), give [].
    """
    if _kind(obj) != "CustomResourceDefinition" or is_crd_fragment(obj):
        return []
    found = _conversion_client_config(_data(obj))
    if found is None:
        return []
    client, base = found
    out: list[tuple[str, Position]] = []
    service = client.get("service")
    if isinstance(service, dict):
        for key in ("namespace", "name"):
            if key in service and is_placeholder_name(service[key]):
                out.append((f"{base}/service/{key}", _value_position(service, key)))
    if "caBundle" in client and isinstance(client["caBundle"], str) and client["caBundle"].strip() in PLACEHOLDER_CA_BUNDLES:
        out.append((f"{base}/caBundle", _value_position(client, "caBundle")))
    return out


def has_injection_annotation(obj) -> bool:
    """cert-manager's cainjector manages this object's caBundle (inject-ca-from, inject-ca-from-secret, or
    inject-apiserver-ca: "true")."""
    annotations = _annotations(obj)
    if any(isinstance(annotations.get(a), str) and annotations[a].strip() for a in INJECT_ANNOTATIONS):
        return True
    value = annotations.get(INJECT_APISERVER_CA)
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def _literal_bundle(container) -> bool:
    value = container.get("caBundle") if isinstance(container, dict) else None
    return isinstance(value, str) and value.strip() != ""


def injected_cabundle_paths(obj) -> list[tuple[str, Position]]:
    """JSON pointers of literal, non-empty `caBundle` values that cert-manager's cainjector will overwrite,
    with the positions of the values.

    Only for objects carrying `cert-manager.io/inject-ca-from`, `cert-manager.io/inject-ca-from-secret` or
    `cert-manager.io/inject-apiserver-ca: "true"`:
    - Validating/MutatingWebhookConfiguration: `/webhooks/<i>/clientConfig/caBundle`;
    - CustomResourceDefinition: `/spec/conversion/webhook/clientConfig/caBundle`;
    - APIService: `/spec/caBundle`.
    An annotated object without a literal caBundle gives [] (nothing rendered, nothing to drift); so do
    CRD fragments (patches without `spec.group`/`spec.names`).
    """
    if not has_injection_annotation(obj):
        return []
    kind, data = _kind(obj), _data(obj)
    out: list[tuple[str, Position]] = []
    if kind in WEBHOOK_KINDS:
        for i, hook in enumerate(as_list(data.get("webhooks"))):
            client = hook.get("clientConfig") if isinstance(hook, dict) else None
            if _literal_bundle(client):
                out.append((f"/webhooks/{i}/clientConfig/caBundle", _value_position(client, "caBundle")))
    elif kind == "CustomResourceDefinition" and not is_crd_fragment(obj):
        found = _conversion_client_config(data)
        if found is not None and _literal_bundle(found[0]):
            out.append((f"{found[1]}/caBundle", _value_position(found[0], "caBundle")))
    elif kind == "APIService":
        spec = data.get("spec")
        if _literal_bundle(spec):
            out.append(("/spec/caBundle", _value_position(spec, "caBundle")))
    return out
