"""Pytest settings for the whole repository, doctests included."""

import os

import torch

# The tests run tiny models: one thread each (subprocesses too) avoids the
# large slowdown of oversubscribed OpenMP threads on shared cores.
os.environ.setdefault("OMP_NUM_THREADS", "1")
torch.set_num_threads(1)
