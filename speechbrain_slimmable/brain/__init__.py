"""Training: ``SandwichBrain``, a ``speechbrain.Brain`` for supernets.

Example
-------
>>> from speechbrain_slimmable.brain import SandwichBrain
>>> SandwichBrain.__module__
'speechbrain_slimmable.brain.sandwich'
"""

from speechbrain_slimmable.brain.sandwich import SandwichBrain

__all__ = ["SandwichBrain"]
