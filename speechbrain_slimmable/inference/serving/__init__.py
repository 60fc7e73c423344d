"""Serving a supernet: the pretrained interface and its model folders.

``SlimmableKWSClassifier`` (``classifier``) loads a model folder
(``model_folder``, fetched by ``fetching``, its weights checked by
``checkpoint``), computes features (``fbank``) and picks a width for a
budget (``budget``); ``publishing`` and ``recipe_output`` write folders
from a recipe's run.

Authors
 * speechbrain-slimmable developers 2026
"""
