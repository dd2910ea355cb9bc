"""The ``CreateModelPackage`` request for selling a trained model of the algorithm.

SageMaker rules implemented here: a Marketplace model package is unversioned (it has a
``ModelPackageName``); ``SourceAlgorithmSpecification`` names exactly one algorithm and one
``model.tar.gz`` in the same region, so the inference image and content types come from the
algorithm resource; validation is one batch transform; ``CertifyForMarketplace`` only at creation.
"""

from __future__ import annotations

from typing import Any

from container.spec import AlgorithmSpec

Request = dict[str, Any]


def create_model_package_request(
    spec: AlgorithmSpec,
    name: str,
    algorithm: str,
    model_data_url: str,
    validation: Request,
) -> Request:
    return {
        "ModelPackageName": name,
        "ModelPackageDescription": f"A model trained with {algorithm}. {spec.description}",
        "SourceAlgorithmSpecification": {
            "SourceAlgorithms": [{"AlgorithmName": algorithm, "ModelDataUrl": model_data_url}]
        },
        "ValidationSpecification": validation,
        "CertifyForMarketplace": True,
    }
