"""Reward models: a curated dataset proves its worth through the model trained on it.

Plain Python and torch, no Dagster. ``data``: the default dataset version and its
leak-free splits. ``config``: run configuration (light to import). ``safety``,
``backbone``: validated loading, pair encoding, pooling. ``device``, ``batching``: CUDA or
CPU, precision, length buckets. ``features``: backbone features cached in the lake.
``reward_model``, ``training``: the model and its Bradley-Terry loop. ``metrics``,
``baselines``, ``evaluation``: what a model is judged by. ``tracking``: MLflow. ``runs``:
the training and evaluation runs the assets call. Training and scoring are functions
over batches, so another engine (Ray) can drive them unchanged.
"""
