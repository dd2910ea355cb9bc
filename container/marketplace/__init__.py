"""The AWS Marketplace side: requests derived from the algorithm spec, checked against botocore.

Every request is built as plain data from ``container.spec.AlgorithmSpec`` and checked against
botocore's own service model (``service_model.check_request``) before anything is sent, so a
request that AWS would refuse for its shape, an enumeration, a length or a pattern is refused
here, with the path of each offending field.
"""
