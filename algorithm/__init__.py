"""The bundled algorithm: a PyTorch tabular learner. The only folder a seller replaces.

The toolkit finds it by import path (``BYOA_ALGORITHM``, default ``algorithm``) and uses only
these names.
"""

from algorithm.inference import model_fn, predict_fn
from algorithm.spec import SPEC
from algorithm.training import train

__all__ = ["SPEC", "model_fn", "predict_fn", "train"]
