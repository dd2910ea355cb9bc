"""The rules ``byoa check`` applies, what each found, and the report they add up to.

Every rule has an id, a one-line description and its source: an AWS documentation page, or
``OWN`` for byoa's own rules, stricter than anything AWS states (they still fail the check,
because each one names a way a listing breaks in a buyer's hands).
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field

OWN = "byoa's own, stricter"
INFERENCE_DOC = (
    "https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-inference-code.html"
)
TRAINING_DOC = (
    "https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-training-algo-dockerfile.html"
)
FAILURE_DOC = (
    "https://docs.aws.amazon.com/sagemaker/latest/dg/"
    "your-algorithms-training-signal-success-failure.html"
)
BATCH_DOC = "https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-batch-code.html"
METRICS_DOC = "https://docs.aws.amazon.com/sagemaker/latest/dg/training-metrics.html"
VALIDATION_DOC = (
    "https://docs.aws.amazon.com/sagemaker/latest/APIReference/"
    "API_AlgorithmValidationSpecification.html"
)
STOP_DOC = "https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_StopTrainingJob.html"
PIPELINE_DOC = "https://docs.aws.amazon.com/sagemaker/latest/dg/inference-pipeline-real-time.html"
PACKAGING_DOC = "https://docs.aws.amazon.com/marketplace/latest/userguide/ml-packaging-your-code-into-images.html"


class Status(enum.StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    WARN = "WARN"
    SKIP = "SKIP"


@dataclass(frozen=True)
class Rule:
    id: str
    description: str
    source: str

    @property
    def own(self) -> bool:
        return self.source == OWN


RULES = (
    Rule("image.platform", "the image is linux/amd64, the architecture of the declared "
         "instance types", PACKAGING_DOC),
    Rule("image.manifest", "a plain Docker v2 image, not an OCI index with attestations "
         "(where the local image store can tell)", OWN),
    Rule("image.entrypoint", "exec-form ENTRYPOINT, so `train` / `serve` reach the program and "
         "SIGTERM reaches PID 1", INFERENCE_DOC),
    Rule("image.labels", "the capability labels match the server (accept-bind-to-port: it "
         "listens on SAGEMAKER_BIND_TO_PORT)", PIPELINE_DOC),
    Rule("image.size", "the image is under 10 GB (pulled on every instance before start)", OWN),
    Rule("image.non-root", "train and serve also work as a non-root user (1000:1000)", OWN),
    Rule("image.read-only", "train and serve work with a read-only root file system, /opt/ml "
         "and a tmpfs /tmp mounted", OWN),
    Rule("profile.training", "the validation profile's TrainingJobDefinition: sample data, its "
         "hyperparameters, no network, the instance's CPUs and memory; a model is written",
         VALIDATION_DOC),
    Rule("profile.metrics", "the MetricDefinitions regexes match the training log", METRICS_DOC),
    Rule("profile.transform", "the TransformJobDefinition on that model: split type, batch "
         "strategy, payload limit, content type, Accept, output assembled as declared",
         BATCH_DOC),
    Rule("serve.startup", "/ping answers 200 within the 4-minute startup window",
         INFERENCE_DOC),
    Rule("serve.ready", "/ping says 200 only once the model answers /invocations", OWN),
    Rule("serve.ping-busy", "/ping answers 200 within 2 s while a long request runs",
         INFERENCE_DOC),
    Rule("serve.request-types", "every declared request content type is accepted (sample rows)",
         INFERENCE_DOC),
    Rule("serve.response-types", "every declared response MIME type is produced (sample rows)",
         INFERENCE_DOC),
    Rule("serve.malformed", "a malformed body gets a 4xx with a message, not a 5xx", OWN),
    Rule("serve.execution-parameters", "/execution-parameters is valid and a body of the job's "
         "MaxPayloadInMB is accepted", BATCH_DOC),
    Rule("stop.training", "SIGTERM during training ends the job within 120 s", STOP_DOC),
    Rule("stop.serving", "SIGTERM while serving ends the container within 30 s",
         INFERENCE_DOC),
    Rule("stop.failure-file", "a broken channel leaves /opt/ml/output/failure whose first line "
         "is a reason, within 1,024 characters", FAILURE_DOC),
    Rule("network.isolated", "nothing is fetched at run time: training and serving pass with "
         "--network none", PACKAGING_DOC),
)  # fmt: skip
RULES_BY_ID = {rule.id: rule for rule in RULES}


def markdown_table() -> str:
    """The README's table of rules (``python -m container.check.rules`` prints it)."""
    lines = ["| rule | what is checked | source |", "|---|---|---|"]
    for rule in RULES:
        source = f"**{OWN}**" if rule.own else f"[AWS]({rule.source})"
        lines.append(f"| `{rule.id}` | {rule.description} | {source} |")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Finding:
    rule: Rule
    status: Status
    evidence: str
    fix: str = ""

    def lines(self) -> list[str]:
        lines = [f"{self.status.value:<4}  {self.rule.id:<27} {self.evidence}"]
        if self.fix and self.status in (Status.FAIL, Status.WARN):
            lines.append(f"{'':<34}fix: {self.fix}")
        return lines

    def as_json(self) -> dict[str, object]:
        return {
            "rule": self.rule.id,
            "status": self.status.value,
            "description": self.rule.description,
            "source": self.rule.source,
            "evidence": self.evidence,
            "fix": self.fix,
        }


def finding(rule_id: str, status: Status, evidence: str, fix: str = "") -> Finding:
    return Finding(RULES_BY_ID[rule_id], status, evidence, fix)


def passed(rule_id: str, evidence: str) -> Finding:
    return finding(rule_id, Status.PASS, evidence)


def failed(rule_id: str, evidence: str, fix: str) -> Finding:
    return finding(rule_id, Status.FAIL, evidence, fix)


def skipped(rule_id: str, evidence: str) -> Finding:
    return finding(rule_id, Status.SKIP, evidence)


@dataclass
class Report:
    image: str
    findings: list[Finding] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, *findings: Finding) -> None:
        self.findings.extend(findings)

    def ids(self, status: Status) -> set[str]:
        return {f.rule.id for f in self.findings if f.status is status}

    @property
    def failed(self) -> bool:
        return any(f.status is Status.FAIL for f in self.findings)

    def counts(self) -> dict[str, int]:
        return {s.value: sum(f.status is s for f in self.findings) for s in Status}

    def summary(self) -> str:
        counts = ", ".join(f"{n} {s}" for s, n in self.counts().items() if n)
        verdict = "would FAIL validation" if self.failed else "ready for validation"
        return f"{self.image}: {verdict} ({counts}; {self.seconds:.0f} s)"

    def text(self) -> str:
        ordered = sorted(self.findings, key=lambda f: RULES.index(f.rule))
        lines = [line for f in ordered for line in f.lines()]
        return "\n".join([*lines, "", self.summary()]) + "\n"

    def as_json(self) -> str:
        ordered = sorted(self.findings, key=lambda f: RULES.index(f.rule))
        document = {
            "image": self.image,
            "passed": not self.failed,
            "seconds": round(self.seconds, 1),
            "counts": self.counts(),
            "findings": [f.as_json() for f in ordered],
        }
        return json.dumps(document, indent=2) + "\n"


if __name__ == "__main__":
    print(markdown_table(), end="")
