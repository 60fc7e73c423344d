"""How big and fast each width is: size, latency in PyTorch and onnxruntime.

Batch-1 latency of one clip (features included) per width, eager and in
onnxruntime, the supernet at width 1.0 against its extracted subnet, and
the front end alone.

Authors
 * speechbrain-slimmable developers 2026
"""

import statistics
import tempfile
import time
from functools import partial
from pathlib import Path

import torch


def medians_ms(functions, repeats):
    """Median wall times (ms) of ``functions``, after warm-up; several are
    timed in turn, call by call, so that a change in the machine's load
    touches them alike."""
    times = [[] for _ in functions]
    for _ in range(3):
        for function in functions:
            function()
    for _ in range(repeats):
        for function, spent in zip(functions, times):
            start = time.perf_counter()
            function()
            spent.append((time.perf_counter() - start) * 1000)
    return [statistics.median(spent) for spent in times]


def median_ms(function, repeats):
    """Median wall time of ``function()`` in milliseconds, after warm-up."""
    return medians_ms([function], repeats)[0]


# Stage 5's timings per width, in the order ``speed`` takes them.
SPEED_KEYS = ("eager_ms", "onnxruntime_ms", "onnxruntime_model_ms")


def speed(folder, args):
    """Stage 5 for one model folder."""
    from speechbrain_slimmable import set_width
    from speechbrain_slimmable.inference import SlimmableKWSClassifier
    from speechbrain_slimmable.inference.export import onnx_session, run_onnx

    torch.set_num_threads(1)
    classifier = SlimmableKWSClassifier.from_hparams(source=str(folder))
    clip = torch.randn(1, classifier.hparams.clip_samples) * 0.1
    features = classifier.front_end(clip)
    rows, calls = [], []
    with tempfile.TemporaryDirectory() as tmp, torch.no_grad():
        for profile in classifier.profile():
            width = profile["width"]
            path = Path(tmp) / f"{width}.onnx"
            classifier.export_onnx(path, width)
            model_only = Path(tmp) / f"{width}-features-in.onnx"
            classifier.export_onnx(model_only, width, include_features=False)
            subnet = classifier.subnet(width, include_features=True).eval()
            rows.append(
                dict(profile, onnx_kb=round(path.stat().st_size / 1024, 1))
            )
            calls += [
                partial(subnet, clip),
                partial(run_onnx, onnx_session(path, threads=1), clip),
                partial(
                    run_onnx, onnx_session(model_only, threads=1), features
                ),
            ]
        # Every call of every width in turn, so that a change of the
        # machine's load touches all of them alike.
        medians = iter(medians_ms(calls, args.repeats))
        for row in rows:
            for key in SPEED_KEYS:
                row[key] = next(medians)
        # The same front end for both (the one the subnet carries).
        front_end = classifier.front_end
        model = classifier.mods.model.eval()
        set_width(model, 1.0)
        subnet = classifier.subnet(1.0, include_features=True).eval()
        supernet_ms, subnet_ms = medians_ms(
            [lambda: model(front_end(clip)), partial(subnet, clip)],
            4 * args.repeats,
        )
        front_end_ms = front_end_speed(classifier, clip, Path(tmp), args)
    widest = rows[0]
    for row in rows:
        for key in SPEED_KEYS:
            row[key] = round(row[key], 3)
            row[key.replace("_ms", "_ratio")] = round(row[key] / widest[key], 3)
    overhead = {
        "supernet_eager_ms": round(supernet_ms, 3),
        "subnet_eager_ms": round(subnet_ms, 3),
        "ratio": round(supernet_ms / subnet_ms, 3),
    }
    return rows, overhead, front_end_ms


def front_end_speed(classifier, clip, folder, args):
    """The front end alone (waveform to the model's features, the same at
    every width), timed in turn: eager, and in onnxruntime with the power
    spectrum as ONNX's ``STFT`` or as the convolution ``export_onnx``
    writes."""
    from speechbrain_slimmable.inference.export import (
        export_onnx,
        onnx_session,
        run_onnx,
    )
    from speechbrain_slimmable.inference.serving.fbank import (
        inference_front_end,
    )

    calls = [partial(classifier.front_end, clip)]
    for for_onnx in (False, True):
        path = folder / f"front-end-{for_onnx}.onnx"
        front_end = inference_front_end(
            classifier.mods.compute_features, for_onnx=for_onnx
        )
        export_onnx(front_end.eval(), path, 1.0, clip, atol=1e-3)
        calls.append(partial(run_onnx, onnx_session(path, threads=1), clip))
    medians = medians_ms(calls, 4 * args.repeats)
    keys = ("eager_ms", "stft_ms", "convolution_ms")
    return {key: round(ms, 3) for key, ms in zip(keys, medians)}
