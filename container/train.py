"""The ``train`` entrypoint: SageMaker's training contract around the algorithm's ``train``.

Loads the job's settings (``/opt/ml/input/config`` and the variables, see
:mod:`container.training_settings`) inside the failure guard, validates hyperparameters and
channels against the spec, runs
the algorithm with a typed job, and ends in one of three ways: exit 0 with a model in
``/opt/ml/model``; exit 1 with ``/opt/ml/output/failure`` saying what to fix; or, after SIGTERM,
exit 0 once the algorithm has saved what it had (the job then shows as stopped).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from contextlib import AbstractContextManager, nullcontext

from container import launcher
from container.channels import ChannelReader
from container.environment import ChannelConfig, base_dir_from_environment, failure_file
from container.errors import ConfigError, TrainingError
from container.failure import write_failure
from container.hints import did_you_mean
from container.hyperparameters import parse_hyperparameters
from container.job import Cluster, TrainingJob, gpu_count, torch_installed
from container.logs import configure_logging
from container.metrics import MetricLogger
from container.pipe import PipeChannel
from container.plugin import load_algorithm
from container.sagemaker_variables import export_sagemaker_variables
from container.spec import AlgorithmSpec
from container.stopping import StopFlag
from container.training_settings import TrainingSettings

log = logging.getLogger("byoa.train")

EXIT_OK = 0
EXIT_FAILED = 1


def main() -> int:
    configure_logging()
    stop = StopFlag()
    stop.install_signal_handlers()
    failure = failure_file(base_dir_from_environment())
    try:
        settings = TrainingSettings.load()
        configure_logging(settings.log_level)
        workers = worker_processes(settings)
        if workers > 1:
            return launcher.run_workers(workers, stop)
        run(settings, stop)
    except BaseException as error:
        if isinstance(error, KeyboardInterrupt | SystemExit) and not stop.requested:
            raise
        text = write_failure(failure, error)
        log.error("Training failed: %s", text.splitlines()[0])
        return EXIT_FAILED
    finally:
        distributed = sys.modules.get("container.distributed")  # imported only with torch
        if distributed is not None:
            distributed.release_group_holders()
    return EXIT_OK


def run(settings: TrainingSettings, stop: StopFlag) -> None:
    algorithm = load_algorithm(settings.algorithm)
    export_sagemaker_variables()
    job = build_job(settings, algorithm.spec, stop)
    for path in (job.model_dir, job.output_data_dir, job.checkpoint_dir):
        path.mkdir(parents=True, exist_ok=True)
    log.info("Training %s on %s", algorithm.spec.name, ", ".join(job.channels))
    with process_group(job, settings):
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


def process_group(job: TrainingJob, settings: TrainingSettings) -> AbstractContextManager[None]:
    """torch.distributed's process group around ``train`` for a job of several processes when
    torch is installed; an algorithm without torch gets none (``job.cluster`` still says who its
    peers are)."""
    if job.cluster.world_size == 1 or not torch_installed():
        return nullcontext()
    from container import distributed

    return distributed.process_group(job.cluster, settings.distributed)


def build_job(settings: TrainingSettings, spec: AlgorithmSpec, stop: StopFlag) -> TrainingJob:
    environment = settings.files
    hyperparameters = parse_hyperparameters(spec, environment.hyperparameters)
    check_channels(environment.channels, spec)
    cluster = build_cluster(settings, spec)
    channels = {name: channel_reader(settings, name) for name in environment.channels}
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


def channel_reader(settings: TrainingSettings, name: str) -> ChannelReader:
    config, path = settings.files.channels[name], settings.files.channel_path(name)
    pipe = None
    if config.input_mode == "Pipe":
        pipe = PipeChannel(name, path.parent, config.compression, settings.pipe_wait_seconds)
    return ChannelReader(name, path, config, pipe)


def build_cluster(settings: TrainingSettings, spec: AlgorithmSpec) -> Cluster:
    resources = settings.files.resources
    if len(resources.hosts) > 1 and not spec.supports_distributed_training:
        raise ConfigError(
            f"{spec.name} does not support distributed training but the job has "
            f"{len(resources.hosts)} hosts; use an instance count of 1"
        )
    num_gpus = gpu_count(settings.num_gpus)
    processes = settings.processes
    return Cluster(
        hosts=resources.hosts,
        current_host=resources.current_host,
        network_interface_name=resources.network_interface_name,
        num_gpus=num_gpus,
        local_rank=processes.local_rank or 0,
        local_world_size=processes.local_world_size,
        uses_gpu=num_gpus > 0 and cuda_available(),
    )


def worker_processes(settings: TrainingSettings) -> int:
    """How many processes this host must start (one per GPU), or 1 when this is a worker."""
    if settings.processes.is_worker:
        return 1
    spec = load_algorithm(settings.algorithm).spec
    if not spec.supports_distributed_training:
        return 1
    return launcher.processes_per_host(
        gpu_count(settings.num_gpus), cuda_available(), settings.processes.per_host_override
    )


def cuda_available() -> bool:
    if not torch_installed():
        return False
    import torch

    return torch.cuda.is_available()


def check_channels(given: Mapping[str, ChannelConfig], spec: AlgorithmSpec) -> None:
    declared = {channel.name: channel for channel in spec.channels}
    problems = []
    for name, config in given.items():
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
        if channel.required and name not in given:
            problems.append(f"required channel {name!r} is missing ({channel.description})")
    if problems:
        raise ConfigError("; ".join(problems))


if __name__ == "__main__":
    sys.exit(main())
