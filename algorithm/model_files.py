"""The saved model: ``model.pt`` (weights, loaded without pickle) and ``model.json`` (the rest).

``model.json`` holds the fitted feature transform, the label encoding, the network shape and
the decision threshold, so inference applies exactly the training-time transform.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch

from algorithm.ensemble import FusedEnsemble
from algorithm.features import FeatureTransform
from algorithm.network import NetworkConfig, TabularNetwork
from algorithm.target import Target

WEIGHTS = "model.pt"
METADATA = "model.json"
FORMAT_VERSION = 3


@dataclass
class TrainedModel:
    transform: FeatureTransform
    target: Target
    config: NetworkConfig
    networks: list[TabularNetwork]
    threshold: float
    fused: FusedEnsemble | None = None  # the members folded for inference, built by load()

    def to_cpu(self) -> TrainedModel:
        for network in self.networks:
            network.cpu()
        return self

    def save(self, model_dir: Path) -> None:
        model_dir.mkdir(parents=True, exist_ok=True)
        torch.save({"members": [n.state_dict() for n in self.networks]}, model_dir / WEIGHTS)
        metadata = {
            "format_version": FORMAT_VERSION,
            "transform": self.transform.to_json(),
            "target": self.target.to_json(),
            "network": self.config.to_json(),
            "threshold": self.threshold,
        }
        (model_dir / METADATA).write_text(json.dumps(metadata))

    @classmethod
    def load(cls, model_dir: Path) -> TrainedModel:
        metadata = json.loads((model_dir / METADATA).read_text())
        version = metadata.get("format_version")
        if version != FORMAT_VERSION:
            raise ValueError(
                f"{model_dir / METADATA} is model format {version}; this version of the algorithm "
                f"reads format {FORMAT_VERSION}: train the model again with this image"
            )
        config = NetworkConfig.from_json(metadata["network"])
        weights = torch.load(model_dir / WEIGHTS, weights_only=True, map_location="cpu")
        networks = []
        for state in weights["members"]:
            network = TabularNetwork(config)
            network.load_state_dict(state)
            networks.append(network.eval())
        target = Target.from_json(metadata["target"])
        return cls(
            transform=FeatureTransform.from_json(metadata["transform"]),
            target=target,
            config=config,
            networks=networks,
            threshold=float(metadata["threshold"]),
            fused=FusedEnsemble(networks, target.objective),
        )
