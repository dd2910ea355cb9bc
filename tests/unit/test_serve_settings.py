"""The server settings: SageMaker's variables, defaults, and clear refusals."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from serve.settings import BatchStrategy, ServerSettings, SettingsError


def settings(**env: str) -> ServerSettings:
    return ServerSettings.from_environment(env)


def test_defaults_follow_sagemaker() -> None:
    result = settings()
    cores = os.cpu_count() or 1
    assert result.port == 8080
    assert result.workers == cores
    assert result.timeout == 60
    assert result.max_payload_mb == 6
    assert result.batch_strategy is BatchStrategy.MULTI_RECORD
    assert result.model_dir == Path("/opt/ml/model")
    assert result.workers * result.torch_threads <= max(cores, result.workers)


def test_variables_are_read() -> None:
    result = settings(
        SAGEMAKER_BIND_TO_PORT="9000", SAGEMAKER_MODEL_SERVER_WORKERS="3",
        SAGEMAKER_MODEL_SERVER_TIMEOUT="30", SAGEMAKER_BATCH="true",
        SAGEMAKER_MAX_PAYLOAD_IN_MB="20", SAGEMAKER_BATCH_STRATEGY="SingleRecord",
        SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT="application/json", SAGEMAKER_BASE_DIR="/tmp/ml",
    )  # fmt: skip
    assert (result.port, result.workers, result.timeout, result.batch) == (9000, 3, 30, True)
    assert result.execution_parameters() == {
        "MaxConcurrentTransforms": 5, "BatchStrategy": "SINGLE_RECORD", "MaxPayloadInMB": 20,
    }  # fmt: skip
    assert result.max_payload_bytes == 20 * 1024 * 1024
    assert result.default_accept == "application/json"
    assert result.model_dir == Path("/tmp/ml/model")


def test_concurrency_shrinks_to_fit_the_100_mb_budget() -> None:
    result = settings(SAGEMAKER_MODEL_SERVER_WORKERS="8", SAGEMAKER_MAX_PAYLOAD_IN_MB="50")
    assert result.max_concurrent_transforms == 2


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SAGEMAKER_BIND_TO_PORT": "http"}, "SAGEMAKER_BIND_TO_PORT='http' is not an integer"),
        ({"SAGEMAKER_BIND_TO_PORT": "70000"}, "allowed: 1..65535"),
        ({"SAGEMAKER_MODEL_SERVER_WORKERS": "0"}, "SAGEMAKER_MODEL_SERVER_WORKERS=0 is out of"),
        ({"SAGEMAKER_MAX_PAYLOAD_IN_MB": "101"}, "allowed: 1..100"),
        ({"SAGEMAKER_MAX_PAYLOAD_IN_MB": "0"}, "allowed: 1..100"),
        ({"SAGEMAKER_BATCH": "maybe"}, "SAGEMAKER_BATCH='maybe' is not a boolean"),
        ({"SAGEMAKER_BATCH_STRATEGY": "BULK"}, "allowed: MULTI_RECORD, SINGLE_RECORD"),
        ({"SAGEMAKER_MODEL_SERVER_TIMEOUT": "-1"}, "SAGEMAKER_MODEL_SERVER_TIMEOUT=-1"),
        (
            {"SAGEMAKER_MAX_CONCURRENT_TRANSFORMS": "5", "SAGEMAKER_MAX_PAYLOAD_IN_MB": "30"},
            "= 150 MB exceeds SageMaker's 100 MB",
        ),
    ],
)
def test_nonsense_is_refused_with_the_variable_and_allowed_values(
    env: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError, match=message.replace("(", r"\(").replace("+", r"\+")):
        settings(**env)


def test_a_timeout_above_the_invocation_limit_warns(caplog: pytest.LogCaptureFixture) -> None:
    settings(SAGEMAKER_MODEL_SERVER_TIMEOUT="120")
    assert "exceeds SageMaker's 60 s real-time invocation limit" in caplog.text


def test_inference_metering_is_on_unless_turned_off() -> None:
    assert settings().inference_metering is True
    assert settings(BYOA_INFERENCE_METERING="false").inference_metering is False
    assert settings(BYOA_INFERENCE_METERING="0").inference_metering is False
    assert settings(BYOA_INFERENCE_METERING="true").inference_metering is True
    with pytest.raises(SettingsError, match="BYOA_INFERENCE_METERING='off' is not a boolean"):
        settings(BYOA_INFERENCE_METERING="off")


def test_one_worker_serves_when_asked() -> None:
    """Serverless endpoints: SAGEMAKER_MODEL_SERVER_WORKERS=1 is one gunicorn worker."""
    result = settings(SAGEMAKER_MODEL_SERVER_WORKERS="1")
    assert result.workers == 1
    assert result.torch_threads == (os.cpu_count() or 1)
