"""``byoa check IMAGE``: what SageMaker and AWS Marketplace validation do with an image, replayed
locally with Docker, one rule at a time (:mod:`container.check.rules` lists them)."""
