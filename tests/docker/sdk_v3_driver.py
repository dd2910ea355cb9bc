"""Train, deploy and batch-transform the image with the real SageMaker Python SDK v3, locally.

Run by ``test_sdk_v3.py`` with the SDK's own interpreter (``.venv-sdk``, ``make setup-sdk``):
the SDK (through ``sagemaker-mlops`` and MLflow) requires gunicorn < 24, the server needs 27,
so the two cannot share one environment. Reads a JSON plan from argv[1], writes what it saw to
the plan's ``result`` path. Imports nothing from byoa.

    plan: image, workdir, channels {name: folder}, hyperparameters, request (a file of
    content_type, answered as accept),
          transform_input (folder), port (the local endpoint's host port), result (JSON file)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

REGION = "us-east-1"


def train(plan: dict[str, Any]) -> str:
    from sagemaker.train import ModelTrainer
    from sagemaker.train.configs import Compute, InputData
    from sagemaker.train.model_trainer import Mode

    root = Path(plan["workdir"]) / "train"
    root.mkdir(parents=True)
    trainer = ModelTrainer(
        training_image=plan["image"],
        training_mode=Mode.LOCAL_CONTAINER,
        local_container_root=str(root),
        compute=Compute(instance_type="local_cpu", instance_count=1),
        hyperparameters=plan["hyperparameters"],
        input_data_config=[
            InputData(channel_name=name, data_source=folder)
            for name, folder in plan["channels"].items()
        ],
    )
    trainer.train(wait=True, logs=True)
    archive = root / "compressed_artifacts" / "model.tar.gz"
    if not archive.is_file():
        raise RuntimeError(f"ModelTrainer left no {archive}")
    return str(archive)


def deploy_and_transform(plan: dict[str, Any], archive: str) -> dict[str, Any]:
    import boto3
    from sagemaker.core.local import LocalSession

    session = LocalSession(boto_session=boto3.Session(region_name=REGION))
    hosting = Path(plan["workdir"]) / "hosting"
    hosting.mkdir()
    local = {"local_code": True, "serving_port": plan["port"], "container_root": str(hosting)}
    session.config = {"local": local}
    client, runtime = session.sagemaker_client, session.sagemaker_runtime_client
    container = {"Image": plan["image"], "ModelDataUrl": f"file://{archive}", "Environment": {}}
    client.create_model(ModelName="byoa-sdk3", PrimaryContainer=container)
    client.create_endpoint_config(
        EndpointConfigName="byoa-sdk3",
        ProductionVariants=[{"VariantName": "AllTraffic", "ModelName": "byoa-sdk3",
                             "InitialInstanceCount": 1, "InstanceType": "local"}],
    )  # fmt: skip
    client.create_endpoint(EndpointName="byoa-sdk3", EndpointConfigName="byoa-sdk3")
    try:
        response = runtime.invoke_endpoint(
            Body=Path(plan["request"]).read_bytes(), EndpointName="byoa-sdk3",
            ContentType=plan["content_type"], Accept=plan["accept"],
        )  # fmt: skip
        endpoint = {
            "body": response["Body"].read().decode(),
            "content_type": response["ContentType"],
            "headers": {
                k.lower(): v for k, v in response["ResponseMetadata"]["HTTPHeaders"].items()
            },
        }
    finally:
        client.delete_endpoint(EndpointName="byoa-sdk3")
    output = Path(plan["workdir"]) / "transform-output"
    try:
        client.create_transform_job(
            TransformJobName="byoa-sdk3", ModelName="byoa-sdk3",
            TransformInput={
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix",
                                                "S3Uri": f"file://{plan['transform_input']}"}},
                "ContentType": plan["content_type"], "SplitType": "Line",
            },
            TransformOutput={"S3OutputPath": f"file://{output}", "Accept": plan["accept"],
                             "AssembleWith": "Line"},
            TransformResources={"InstanceType": "local", "InstanceCount": 1},
            # The API's spelling. The local runner takes /execution-parameters' BatchStrategy
            # only when none is given, and then refuses the documented "MULTI_RECORD".
            BatchStrategy="MultiRecord",
        )  # fmt: skip
    finally:
        stop_transform_container(client)
    status = client.describe_transform_job(TransformJobName="byoa-sdk3")["TransformJobStatus"]
    outputs = {p.name: p.read_text() for p in sorted(output.glob("*.out"))}
    return {"endpoint": endpoint, "transform": {"status": status, "outputs": outputs}}


def stop_transform_container(client: Any) -> None:
    """A failed local transform leaves its serving container (and a thread) running."""
    job = type(client)._transform_jobs.get("byoa-sdk3")
    container = getattr(job, "container", None)
    thread = getattr(container, "container", None)
    if container is not None and thread is not None and thread.is_alive():
        container.stop_serving()


def main() -> int:
    plan = json.loads(Path(sys.argv[1]).read_text())
    archive = train(plan)
    result = {"model_archive": archive, **deploy_and_transform(plan, archive)}
    Path(plan["result"]).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
