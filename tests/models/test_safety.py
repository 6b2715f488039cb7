from __future__ import annotations

import json

import pytest

from models.backbone import load_backbone
from models.config import DEFAULT_BACKBONE
from models.safety import UnsafeReference, validate_backbone_ref, validate_model_dir, validate_run_id


@pytest.mark.parametrize(
    "reference",
    ["sentence-transformers/all-MiniLM-L6-v2", "bert-base-uncased", "org_1/model.v2-small"],
)
def test_hub_ids_are_accepted_as_hub_references(reference):
    assert validate_backbone_ref(reference).is_local is False


@pytest.mark.parametrize(
    "reference",
    [
        "https://huggingface.co/bert-base-uncased",
        "hf://org/model",
        "s3://bucket/model",
        "file:///etc",
        "../models/bert",
        "org/../../etc",
        "org/model/extra",
        "/no/such/directory",
        "org--name/model",
        "-bad/name",
        "org/name.",
        "",
        "a" * 97,
    ],
)
def test_urls_traversal_and_malformed_ids_are_rejected(reference):
    with pytest.raises(UnsafeReference):
        validate_backbone_ref(reference)


def _model_dir(path, files):
    path.mkdir()
    for name, text in files.items():
        (path / name).write_text(text)
    return path


def test_a_local_directory_needs_safetensors_weights(tmp_path):
    pickled = _model_dir(tmp_path / "pickled", {"pytorch_model.bin": "x", "config.json": "{}"})
    with pytest.raises(UnsafeReference, match=r"found only \['pytorch_model.bin'\]"):
        validate_backbone_ref(str(pickled))
    safe = _model_dir(tmp_path / "safe", {"model.safetensors": "x", "pytorch_model.bin": "x", "config.json": "{}"})
    assert validate_backbone_ref(str(safe)).location == str(safe.resolve())


def test_a_config_that_maps_to_custom_code_is_rejected(tmp_path):
    remote = _model_dir(
        tmp_path / "remote", {"model.safetensors": "x", "config.json": json.dumps({"auto_map": {"AutoModel": "m.M"}})}
    )
    with pytest.raises(UnsafeReference, match="auto_map"):
        validate_model_dir(remote)


def test_allowed_roots_are_enforced_after_resolving_symlinks(tmp_path):
    allowed, outside = tmp_path / "allowed", tmp_path / "outside"
    allowed.mkdir()
    target = _model_dir(outside, {"model.safetensors": "x"})
    (allowed / "link").symlink_to(target)
    with pytest.raises(UnsafeReference, match="outside the allowed model roots"):
        validate_backbone_ref(str(allowed / "link"), allowed_roots=[allowed])
    inside = _model_dir(allowed / "model", {"model.safetensors": "x"})
    assert validate_backbone_ref(str(inside), allowed_roots=[allowed]).is_local


def test_loading_validates_before_reading_anything(tmp_path):
    pickled = _model_dir(tmp_path / "pickled", {"pytorch_model.bin": "x", "config.json": "{}"})
    with pytest.raises(UnsafeReference):
        load_backbone(str(pickled))


def test_a_local_backbone_loads_from_safetensors(tiny_backbone):
    backbone = load_backbone(str(tiny_backbone))
    assert backbone.hidden_size == 32 and len(backbone.fingerprint) == 64


def test_the_default_backbone_loads_offline_from_its_packaged_copy(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    backbone = load_backbone(DEFAULT_BACKBONE)
    assert backbone.reference == DEFAULT_BACKBONE and backbone.hidden_size == 384


def test_run_ids_must_look_like_mlflow_run_ids():
    assert validate_run_id("0123456789abcdef0123456789abcdef")
    for bad in ("../../etc", "0123456789ABCDEF0123456789ABCDEF", "abc"):
        with pytest.raises(UnsafeReference):
            validate_run_id(bad)
