"""The ``train`` entrypoint: SageMaker's training contract around the algorithm's ``train``.

Reads ``/opt/ml/input/config``, validates hyperparameters and channels against the spec, runs
the algorithm with a typed job, and ends in one of three ways: exit 0 with a model in
``/opt/ml/model``; exit 1 with ``/opt/ml/output/failure`` saying what to fix; or, after SIGTERM,
exit 0 once the algorithm has saved what it had (the job then shows as stopped).
"""

from __future__ import annotations

import logging
import sys

from container import launcher
from container.channels import ChannelReader
from container.distributed import process_group, release_group_holders
from container.environment import TrainingEnvironment
from container.errors import ConfigError, TrainingError
from container.failure import write_failure
from container.hints import did_you_mean
from container.hyperparameters import parse_hyperparameters
from container.job import Cluster, TrainingJob, gpu_count
from container.logs import configure_logging
from container.metrics import MetricLogger
from container.plugin import load_algorithm
from container.sagemaker_variables import export_sagemaker_variables
from container.spec import AlgorithmSpec
from container.stopping import StopFlag

log = logging.getLogger("byoa.train")

EXIT_OK = 0
EXIT_FAILED = 1


def main() -> int:
    configure_logging()
    stop = StopFlag()
    stop.install_signal_handlers()
    environment = TrainingEnvironment.load()
    try:
        workers = worker_processes()
        if workers > 1:
            return launcher.run_workers(workers, stop)
        run(environment, stop)
    except BaseException as error:
        if isinstance(error, KeyboardInterrupt | SystemExit) and not stop.requested:
            raise
        text = write_failure(environment.failure_file, error)
        log.error("Training failed: %s", text.splitlines()[0])
        return EXIT_FAILED
    finally:
        release_group_holders()
    return EXIT_OK


def run(environment: TrainingEnvironment, stop: StopFlag) -> None:
    algorithm = load_algorithm()
    export_sagemaker_variables()
    job = build_job(environment, algorithm.spec, stop)
    for path in (job.model_dir, job.output_data_dir, job.checkpoint_dir):
        path.mkdir(parents=True, exist_ok=True)
    log.info("Training %s on %s", algorithm.spec.name, ", ".join(job.channels))
    with process_group(job.cluster):
        algorithm.train(job)
    if job.cluster.is_master and not any(job.model_dir.iterdir()):
        raise TrainingError(
            f"the algorithm finished without writing a model to {job.model_dir}",
            "train(job) must save its model under job.model_dir before it returns.",
        )
    if stop.requested:
        log.warning("Stopped early on request; the model saved so far is in %s", job.model_dir)
    elif not job.cluster.is_master:
        log.info("Training complete on rank %d; rank 0 writes the model", job.cluster.rank)
    else:
        log.info("Training complete; model in %s", job.model_dir)


def build_job(environment: TrainingEnvironment, spec: AlgorithmSpec, stop: StopFlag) -> TrainingJob:
    hyperparameters = parse_hyperparameters(spec, environment.hyperparameters)
    check_channels(environment, spec)
    cluster = build_cluster(environment, spec)
    channels = {
        name: ChannelReader(name, environment.channel_path(name), config)
        for name, config in environment.channels.items()
    }
    for reader in channels.values():
        if reader.config.input_mode == "File":
            reader.data_files()
    return TrainingJob(
        hyperparameters=hyperparameters,
        channels=channels,
        model_dir=environment.model_dir,
        checkpoint_dir=environment.checkpoint_dir,
        output_data_dir=environment.output_data_dir,
        metrics=MetricLogger(spec, enabled=cluster.is_master),
        stop=stop,
        cluster=cluster,
        checkpoints_kept=environment.checkpoints_kept,
    )


def build_cluster(environment: TrainingEnvironment, spec: AlgorithmSpec) -> Cluster:
    resources = environment.resources
    if len(resources.hosts) > 1 and not spec.supports_distributed_training:
        raise ConfigError(
            f"{spec.name} does not support distributed training but the job has "
            f"{len(resources.hosts)} hosts; use an instance count of 1"
        )
    num_gpus = gpu_count()
    return Cluster(
        hosts=resources.hosts,
        current_host=resources.current_host,
        network_interface_name=resources.network_interface_name,
        num_gpus=num_gpus,
        local_rank=launcher.local_rank(),
        local_world_size=launcher.local_world_size(),
        uses_gpu=num_gpus > 0 and cuda_available(),
    )


def worker_processes() -> int:
    """How many processes this host must start (one per GPU), or 1 when this is a worker."""
    if launcher.is_worker():
        return 1
    spec = load_algorithm().spec
    if not spec.supports_distributed_training:
        return 1
    return launcher.processes_per_host(gpu_count(), cuda_available())


def cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


def check_channels(environment: TrainingEnvironment, spec: AlgorithmSpec) -> None:
    declared = {channel.name: channel for channel in spec.channels}
    problems = []
    for name, config in environment.channels.items():
        if name not in declared:
            problems.append(
                f"unknown channel {name!r}{did_you_mean(name, list(declared))}; "
                f"this algorithm reads {', '.join(declared)}"
            )
            continue
        channel = declared[name]
        media_type = (config.content_type or "").split(";")[0].strip().lower()
        if media_type and media_type not in channel.content_types:
            problems.append(
                f"channel {name!r}: content type {config.content_type!r} is not supported; "
                f"use {' or '.join(channel.content_types)}"
            )
        if config.input_mode not in channel.input_modes:
            modes = ", ".join(mode.value for mode in channel.input_modes)
            problems.append(
                f"channel {name!r}: input mode {config.input_mode} is not supported; use {modes}"
            )
        if config.compression not in channel.compression_types:
            problems.append(f"channel {name!r}: compression {config.compression} is not supported")
    for name, channel in declared.items():
        if channel.required and name not in environment.channels:
            problems.append(f"required channel {name!r} is missing ({channel.description})")
    if problems:
        raise ConfigError("; ".join(problems))


if __name__ == "__main__":
    sys.exit(main())
