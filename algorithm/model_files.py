"""The saved model: ``model.pt`` (weights, loaded without pickle) and ``model.json`` (the rest)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch

from algorithm.features import FeatureTransform
from algorithm.network import NetworkConfig, TabularNetwork
from algorithm.target import Target

WEIGHTS = "model.pt"
METADATA = "model.json"
FORMAT_VERSION = 1


@dataclass
class TrainedModel:
    transform: FeatureTransform
    target: Target
    config: NetworkConfig
    network: TabularNetwork
    threshold: float

    def save(self, model_dir: Path) -> None:
        model_dir.mkdir(parents=True, exist_ok=True)
        torch.save(self.network.state_dict(), model_dir / WEIGHTS)
        metadata = {
            "format_version": FORMAT_VERSION,
            "transform": self.transform.to_json(),
            "target": self.target.to_json(),
            "network": self.config.to_json(),
            "threshold": self.threshold,
        }
        (model_dir / METADATA).write_text(json.dumps(metadata, indent=1))

    @classmethod
    def load(cls, model_dir: Path) -> TrainedModel:
        metadata = json.loads((model_dir / METADATA).read_text())
        config = NetworkConfig.from_json(metadata["network"])
        network = TabularNetwork(config)
        network.load_state_dict(torch.load(model_dir / WEIGHTS, weights_only=True))
        network.eval()
        return cls(
            transform=FeatureTransform.from_json(metadata["transform"]),
            target=Target.from_json(metadata["target"]),
            config=config,
            network=network,
            threshold=float(metadata["threshold"]),
        )
