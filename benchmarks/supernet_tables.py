"""The tables and plot of the ``supernet`` benchmark, from its runs.

Accuracy per width and method (mean ± std over seeds), the ablation, the
training cost, the size and speed per width, what they say, and the
accuracy-against-parameters plot.

Authors
 * speechbrain-slimmable developers 2026
"""

import os
import platform
import statistics

import torch

from benchmarks.markdown import mean_spread
from benchmarks.supernet_runs import (
    ABLATION,
    ABLATION_BASE,
    FAMILY_METHODS,
    SANDWICH,
    SCRATCH,
    TAUGHT,
    WIDTHS,
    seeds_of,
)


def per_width(runs, family, method, seeds, key="accuracy"):
    """Per width: the values of ``key`` over seeds."""
    values = {width: [] for width in WIDTHS}
    for seed in seeds:
        if method == SCRATCH:
            for width in WIDTHS:
                run = runs[family, f"{SCRATCH}-{width:g}", seed]
                values[width].append(run["widths"][0][key])
        else:
            for row in runs[family, method, seed]["widths"]:
                values[row["width"]].append(row[key])
    return values


def method_names(family, args, runs):
    """The methods run for ``family``, in table order."""
    names = list(FAMILY_METHODS[family])
    names += [
        method
        for method in TAUGHT
        if any(key[:2] == (family, method) for key in runs)
    ]
    return names if family in args.light else names + [SCRATCH]


def mean_validation(runs, family, method, args):
    """Validation accuracy of a method, averaged over widths and seeds."""
    values = per_width(
        runs, family, method, seeds_of(family, args), "valid_accuracy"
    )
    return statistics.mean(statistics.mean(v) for v in values.values())


def best_on_validation(runs, family, args):
    """The supernet method with the best mean validation accuracy."""
    candidates = [m for m in method_names(family, args, runs) if m != SCRATCH]
    return max(candidates, key=lambda m: mean_validation(runs, family, m, args))


def accuracy_table(runs, args):
    """Stage 1 and 3 tables, and which method wins on validation."""
    lines = []
    for family in args.families:
        seeds = seeds_of(family, args)
        methods = method_names(family, args, runs)
        test = {m: per_width(runs, family, m, seeds) for m in methods}
        alone = SCRATCH in methods
        head = " | ".join(methods) + (" | best − scratch |" if alone else " |")
        lines += [
            f"**{family}** (test accuracy %, mean ± std over seeds "
            f"{', '.join(map(str, seeds))}"
            + ("" if alone else "; no models trained alone: time")
            + "):",
            "",
            f"| width | params | {head}",
            "| --- | --- | " + "--- | " * (len(methods) + alone),
        ]
        best = best_on_validation(runs, family, args)
        first = runs[family, SANDWICH, seeds[0]]["widths"]
        for row in first:
            width = row["width"]
            cells = " | ".join(mean_spread(test[m][width]) for m in methods)
            if alone:
                gain = statistics.mean(test[best][width]) - statistics.mean(
                    test[SCRATCH][width]
                )
                cells += f" | {gain:+.2f}"
            lines.append(f"| {width:g} | {row['params']:,} | {cells} |")
        valid = {
            m: mean_validation(runs, family, m, args)
            for m in methods
            if m != SCRATCH
        }
        summary = ", ".join(f"{m} {v:.2f}" for m, v in valid.items())
        lines += [
            "",
            f"Mean validation accuracy over widths and seeds: {summary}; "
            f"best: **{best}**.",
            "",
        ]
    return lines


def findings(runs, speeds, args):
    """Sentences computed from the tables, so they never contradict them."""
    lines = []
    for family in args.families:
        if family in args.light:
            continue
        seeds = seeds_of(family, args)
        scratch = per_width(runs, family, SCRATCH, seeds)
        for method in method_names(family, args, runs):
            if method == SCRATCH:
                continue
            ours = per_width(runs, family, method, seeds)
            gaps = {
                w: statistics.mean(ours[w]) - statistics.mean(scratch[w])
                for w in WIDTHS
            }
            behind = {w: g for w, g in gaps.items() if g < 0}
            text = ", ".join(f"{w:g} ({g:+.2f})" for w, g in behind.items())
            lines.append(
                f"- {family}, {method}: at or above the models trained alone"
                f" at {len(WIDTHS) - len(behind)} of {len(WIDTHS)} widths"
                + (f"; behind at {text} points." if behind else ".")
            )
    for family, (rows, overhead, _) in speeds.items():
        narrow = rows[-1]
        lines.append(
            f"- {family}: width {narrow['width']:g} runs in "
            f"{narrow['onnxruntime_ratio']:.2f}x the time of width 1.0 in "
            f"onnxruntime end to end ({narrow['eager_ratio']:.2f}x eager); "
            f"onnxruntime at width 1.0 takes "
            f"{rows[0]['onnxruntime_ms'] / rows[0]['eager_ms']:.2f}x eager; "
            f"the supernet at width 1.0 takes {overhead['ratio']:.2f}x its "
            "extracted subnet."
        )
    return lines + [""]


def ablation_table(runs, args):
    """Stage 2 tables: per family, its base recipe, then one change a line."""
    seed = args.seeds[0]
    lines = []
    for family in args.families:
        changes = [c for c in args.ablations if ABLATION[c][0] == family]
        if not changes:
            continue
        base = ABLATION_BASE[family]
        reference = runs[family, base, seed]["widths"]
        lines += [
            f"{family.upper()} supernet, {base}, seed {seed}: test accuracy "
            "(%) and its change against the full recipe (first line).",
            "",
            "| recipe | 1.0 | 0.75 | 0.5 | 0.25 | mean change |",
            "| --- | --- | --- | --- | --- | --- |",
            "| full recipe | "
            + " | ".join(f"{r['accuracy']:.2f}" for r in reference)
            + " | |",
        ]
        for change in changes:
            rows = runs[family, change, seed]["widths"]
            delta = statistics.mean(
                r["accuracy"] - b["accuracy"] for r, b in zip(rows, reference)
            )
            lines.append(
                f"| {change} | "
                + " | ".join(f"{r['accuracy']:.2f}" for r in rows)
                + f" | {delta:+.2f} |"
            )
        lines.append("")
    return lines


def cost_table(runs, cost, args):
    """Stage 4 tables."""
    lines = [
        "| model | supernet | wall-clock (s) | 4 models alone (s) | ratio |",
        "| --- | --- | --- | --- | --- |",
    ]
    for family in args.families:
        if family in args.light:
            continue
        seed = seeds_of(family, args)[0]
        alone = sum(
            runs[family, f"{SCRATCH}-{w:g}", seed]["training"]["seconds"]
            for w in WIDTHS
        )
        for method in FAMILY_METHODS[family]:
            own = runs[family, method, seed]["training"]["seconds"]
            lines.append(
                f"| {family} | {method} | {own:.0f} | {alone:.0f} | "
                f"{own / alone:.2f} |"
            )
    lines += [
        "",
        "Per training step (CNN, batch 64, augmentation + features + "
        "forward + backward + step, one thread, median) against one step of "
        "each separate model. Each separate model computes the batch's "
        "augmentation and features once (`of it, features`: their sum); a "
        "supernet computes them once for all its widths. That is the saving "
        "of `all widths`; `model only` leaves them out of both sides, and "
        "the sandwich rule also runs 4 of the widths:",
        "",
        "| widths | separate (s) | of it, features (s) | all widths (s) | ratio"
        " | model only, ratio | sandwich, 4 sampled (s) | ratio |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in cost:
        lines.append(
            f"| {row['widths']} | {row['separate_steps_s']} | "
            f"{row['separate_prepare_s']} | {row['all_step_s']} | "
            f"{row['all_ratio']} | {row['all_model_ratio']} | "
            f"{row['sandwich_step_s']} | {row['sandwich_ratio']} |"
        )
    return lines + [""]


def speed_table(speeds):
    """Stage 5 tables."""
    lines = [
        "| model | width | params | MACs | ONNX (KiB) | eager (ms) | ratio |"
        " onnxruntime (ms) | ratio | onnxruntime, model only (ms) | ratio |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for family, (rows, _, _) in speeds.items():
        for r in rows:
            lines.append(
                f"| {family} | {r['width']:g} | {r['params']:,} | "
                f"{r['macs']:,} | {r['onnx_kb']} | {r['eager_ms']} | "
                f"{r['eager_ratio']} | {r['onnxruntime_ms']} | "
                f"{r['onnxruntime_ratio']} | {r['onnxruntime_model_ms']} | "
                f"{r['onnxruntime_model_ratio']} |"
            )
    lines += [
        "",
        "Supernet at width 1.0 against its extracted subnet (eager, features"
        " included, timed in turn call by call, median of 4x the repeats):",
        "",
        "| model | supernet (ms) | subnet (ms) | ratio |",
        "| --- | --- | --- | --- |",
    ]
    for family, (_, overhead, _) in speeds.items():
        lines.append(
            f"| {family} | {overhead['supernet_eager_ms']} | "
            f"{overhead['subnet_eager_ms']} | {overhead['ratio']} |"
        )
    lines += [
        "",
        "The front end alone (waveform to the model's features, the same at"
        " every width), timed in turn, median of 4x the repeats: eager, and"
        " in onnxruntime with the power spectrum as ONNX's `STFT` or as one"
        " convolution with the windowed DFT basis (what `export_onnx`"
        " writes):",
        "",
        "| model | eager (ms) | onnxruntime, STFT (ms) |"
        " onnxruntime, convolution (ms) |",
        "| --- | --- | --- | --- |",
    ]
    for family, (_, _, front_end) in speeds.items():
        lines.append(
            f"| {family} | {front_end['eager_ms']} | "
            f"{front_end['stft_ms']} | {front_end['convolution_ms']} |"
        )
    return lines + [""]


def report(runs, cost, speeds, published, args, commands):
    """The markdown results section; ``commands`` name the benchmark
    command that trained each family's runs (this one's under ``None``)."""
    lines = [f"Command: `{commands[None]}`"]
    lines += [
        f"The {family} runs "
        + ("are" if family in args.publish else "and published model are")
        + f" reused from the earlier command `{commands[family]}` (its "
        "speed is measured again)."
        for family in args.reuse
    ]
    lines += [
        f"Hardware: {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPU cores, torch {torch.__version__}; "
        f"{args.jobs} trainings at a time, one thread each; "
        f"{args.epochs} epochs"
        + "".join(f", {f} {n}" for f, n in args.family_epochs.items())
        + ".",
        "",
        "### 1. Test accuracy per width (speaker-disjoint test split)",
        "",
        *accuracy_table(runs, args),
    ]
    if any(ABLATION[c][0] in args.families for c in args.ablations):
        lines += ["### 2. What each change of the recipe buys", ""]
        lines += ablation_table(runs, args)
    lines += ["### 3. Training cost", ""] + cost_table(runs, cost, args)
    lines += ["### 4. Size and speed per width", ""]
    lines += [
        "Batch 1, one 1-s clip, features included, 1 thread; every call of "
        f"every width timed in turn, median of {args.repeats}; ratios to "
        "width 1.0.",
        "",
        *speed_table(speeds),
    ]
    lines += ["### 5. What the tables say", ""] + findings(runs, speeds, args)
    lines += ["### 6. Published models", ""]
    for family, (method, _, rows, data) in published.items():
        valid = ", ".join(
            f"{r['width']:g}: {r['valid_accuracy']:.2f}" for r in rows
        )
        kept = "" if family in args.publish else " (not published: kept)"
        if family in args.reuse and family not in args.publish:
            kept = " (reused, as written by the earlier command)"
        best = best_on_validation(runs, family, args)
        chosen = (
            "best on validation above"
            if method == best
            else f"its YAML's recipe; best on validation above: {best}"
        )
        lines.append(
            f"- `pretrained/gsc12-{family}`{kept}: {method} ({chosen}), "
            f"trained on the {data}; validation accuracy per width {valid}."
        )
    return "\n".join(lines) + "\n"


def plot(runs, args, path):
    """Accuracy vs parameters: one line per method and family."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4.5))
    markers = {"cnn": "o", "kwt": "s"}
    for family in args.families:
        seeds = seeds_of(family, args)
        params = [
            r["params"] / 1000
            for r in runs[family, SANDWICH, seeds[0]]["widths"]
        ]
        for method in method_names(family, args, runs):
            values = per_width(runs, family, method, seeds)
            axes.errorbar(
                params,
                [statistics.mean(values[w]) for w in WIDTHS],
                yerr=[
                    statistics.stdev(values[w]) if len(seeds) > 1 else 0
                    for w in WIDTHS
                ],
                marker=markers[family],
                linestyle="--" if method == SCRATCH else "-",
                capsize=3,
                label=f"{family} {method}",
            )
    axes.set_xscale("log")
    axes.set_xlabel("parameters (thousands, log scale)")
    axes.set_ylabel("test accuracy (%)")
    axes.set_title("gsc12_dev, speaker-disjoint test split")
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
