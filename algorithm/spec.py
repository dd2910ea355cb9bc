"""What the bundled tabular learner declares to SageMaker and AWS Marketplace."""

from __future__ import annotations

from byoa import (
    AlgorithmSpec,
    Channel,
    Direction,
    InputMode,
    Metric,
    boolean,
    categorical,
    continuous,
    free_text,
    integer,
)

OBJECTIVES = ("binary", "multiclass", "regression")

HYPERPARAMETERS = (
    categorical("objective", "Learning task.", OBJECTIVES, "binary"),
    free_text(
        "label",
        "Name of the label column when the CSV has a header; empty means the first column "
        "(SageMaker's headerless convention).",
        "",
    ),
    free_text(
        "categorical_columns",
        "Comma-separated columns to treat as categorical; empty means detect (text columns).",
        "",
    ),
    free_text(
        "numeric_columns",
        "Comma-separated columns to treat as numeric even if detection says otherwise.",
        "",
    ),
    integer("epochs", "Passes over the training data; the one-cycle schedule spans them all.",
            8, 1, 1000, tunable=True),
    integer("batch_size", "Most rows per gradient step. A training set under 100 x "
            "batch_size rows takes steps of a hundredth of its rows (at least 256), so that "
            "an epoch is about 100 steps.", 1024, 16, 65536, tunable=True),
    continuous("learning_rate", "Peak learning rate of AdamW's one-cycle schedule.",
               1.2e-2, 1e-5, 1.0, tunable=True),
    continuous("weight_decay", "AdamW's decoupled weight decay.", 0.0, 0.0, 1.0, tunable=True),
    integer("hidden_units", "Width of each hidden layer.", 48, 8, 4096, tunable=True),
    integer("depth", "Number of hidden layers.", 2, 1, 8, tunable=True),
    continuous("dropout", "Dropout after each hidden layer (it costs about a fifth of a CPU "
               "training step).", 0.0, 0.0, 0.9, tunable=True),
    integer("embedding_dim", "Largest embedding size of a categorical column.", 8, 1, 64,
            tunable=True),
    integer("bins", "Most bins of each numeric column's piecewise-linear encoding.",
            32, 2, 256, tunable=True),
    categorical("binning", "Where each numeric column's bins come from: 'target' splits where "
                "the label changes (a one-column decision tree), 'quantile' at equal row counts.",
                ("target", "quantile"), "target"),
    integer("ensemble_size", "Networks whose predictions are averaged. Each has its own seed "
            "and, without a validation channel, holds out its own fold of train.", 4, 1, 16,
            tunable=True),
    integer("early_stopping_patience", "Epochs without validation improvement before a "
            "network stops (its best epoch is kept).", 4, 1, 1000),
    continuous("validation_fraction",
               "Without a validation channel: the share of train in each fold a network holds "
               "out for early stopping (train is cut into 1/validation_fraction folds).",
               0.1, 0.01, 0.5),
    continuous("threshold", "Probability at or above which a binary prediction is the "
               "positive class (the second in sorted order).", 0.5, 0.0, 1.0),
    boolean("balance_classes", "Weight classes inversely to their frequency (raises recall of "
            "rare classes; probabilities are then no longer calibrated).", False),
    boolean("mixed_precision", "bfloat16 autocast when training on a CUDA GPU.", True),
    integer("cpu_threads", "Threads for training on the CPU; 0 means torch's default (one per "
            "core). 1 is faster on a machine shared with other busy processes.", 0, 0, 1024),
    integer("seed", "Random seed; the same seed gives the same model on CPU.", 0, 0, 2**31 - 1),
    integer("checkpoint_interval", "Epochs between checkpoints in the checkpoint folder of a "
            "job with a CheckpointConfig (a stop always checkpoints; 0 means only then); a "
            "restarted job resumes from the newest.",
            1, 0, 1000),
)  # fmt: skip

METRICS = tuple(
    Metric(f"{split}:{name}", direction)
    for split in ("train", "validation")
    for name, direction in (
        ("logloss", Direction.MINIMIZE),
        ("auc", Direction.MAXIMIZE),
        ("accuracy", Direction.MAXIMIZE),
        ("rmse", Direction.MINIMIZE),
        ("mae", Direction.MINIMIZE),
    )
)

CSV = "text/csv"
JSON = "application/json"
JSON_LINES = "application/jsonlines"
NPY = "application/x-npy"

SPEC = AlgorithmSpec(
    name="byoa-tabular",
    description="PyTorch tabular learner: binary, multiclass and regression on CSV data with "
    "numeric and categorical columns.",
    hyperparameters=HYPERPARAMETERS,
    channels=(
        Channel("train", "Training data: CSV, label by name (header) or first column.",
                required=True, input_modes=(InputMode.FILE, InputMode.PIPE)),
        Channel("validation", "Data for early stopping and the evaluation report; same columns "
                "as train.", required=False, input_modes=(InputMode.FILE, InputMode.PIPE)),
    ),
    metrics=METRICS,
    request_content_types=(CSV, JSON, JSON_LINES, NPY),
    response_content_types=(CSV, JSON, JSON_LINES),
    training_instance_types=("ml.m5.large", "ml.m5.xlarge", "ml.m5.2xlarge", "ml.m5.4xlarge",
                             "ml.c5.xlarge", "ml.c5.2xlarge", "ml.c5.4xlarge"),
    realtime_instance_types=("ml.m5.large", "ml.m5.xlarge", "ml.c5.large", "ml.c5.xlarge"),
    transform_instance_types=("ml.m5.large", "ml.m5.xlarge", "ml.c5.xlarge", "ml.c5.2xlarge"),
    supports_distributed_training=True,
    # what the Marketplace validation profile trains with, on algorithm/sample/ (bank rows)
    validation_hyperparameters={"label": "y", "epochs": "3"},
)  # fmt: skip
