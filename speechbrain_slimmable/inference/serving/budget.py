"""Choosing a width for a budget: parameters, MACs or measured latency.

Authors
 * speechbrain-slimmable developers 2026
"""

import statistics
import time

import torch

from speechbrain_slimmable.supernet.profile import profile_widths


class WidthBudgetMixin:
    """Profile the widths of a pretrained supernet and pick one that fits.

    Mixed into :class:`~speechbrain_slimmable.inference.SlimmableKWSClassifier`
    (as SpeechBrain's ``EncodeDecodePipelineMixin`` is into its
    interfaces): it reads ``widths``, ``hparams.clip_samples``, ``device``,
    ``mods`` and ``subnet`` of the classifier.
    """

    _profile = None  # counted once: weights do not change it

    def profile(self):
        """Parameters and MACs of the subnet at every width.

        MACs are those of the model on the features of one clip (the
        feature front end, the same at every width, is not counted).

        Returns
        -------
        list of dict
            ``{"width", "params", "macs"}``, widest first.
        """
        if self._profile is None:  # counted once: weights do not change it
            clip = torch.zeros(1, self.hparams.clip_samples, device=self.device)
            with torch.no_grad():
                features = self.front_end(clip)
            model = self.mods.model
            self._profile = profile_widths(model, self.widths, features)
        return [dict(row) for row in self._profile]

    def latency_ms(self, width, repeats=5):
        """Median time in ms to classify one clip at ``width`` here.

        Measured on this machine and device, waveform to logits (features
        included), after one warm-up run.

        Arguments
        ---------
        width : float
            One of :attr:`widths`.
        repeats : int
            Timed runs.

        Returns
        -------
        float
        """
        net = self.subnet(width, include_features=True)
        clip = torch.zeros(1, self.hparams.clip_samples, device=self.device)
        times = []
        with torch.no_grad():
            for _ in range(repeats + 1):
                start = time.perf_counter()
                net(clip)
                if clip.is_cuda:
                    torch.cuda.synchronize(clip.device)
                times.append((time.perf_counter() - start) * 1000)
        return statistics.median(times[1:])

    def select_width(self, max_params=None, max_macs=None, max_latency_ms=None):
        """The widest width that fits every given budget.

        Arguments
        ---------
        max_params : int, optional
            Most parameters of the subnet.
        max_macs : int, optional
            Most MACs for one clip (see :meth:`profile`).
        max_latency_ms : float, optional
            Most milliseconds per clip measured here (:meth:`latency_ms`).

        Returns
        -------
        float
            The width.

        Raises
        ------
        ValueError
            If no budget is given, or the narrowest width does not fit (the
            message gives its parameters, MACs and latency).
        """
        if max_params is None and max_macs is None and max_latency_ms is None:
            raise ValueError("give max_params, max_macs or max_latency_ms")
        rows = self.profile()
        for row in rows:
            fits = (max_params is None or row["params"] <= max_params) and (
                max_macs is None or row["macs"] <= max_macs
            )
            if fits and max_latency_ms is not None:
                row["latency_ms"] = self.latency_ms(row["width"])
                fits = row["latency_ms"] <= max_latency_ms
            if fits:
                return row["width"]
        narrowest = rows[-1]
        smallest = (
            f"the narrowest width {narrowest['width']} has "
            f"{narrowest['params']:,} parameters and {narrowest['macs']:,} MACs"
        )
        if max_latency_ms is not None:
            latency = narrowest.get("latency_ms")
            if latency is None:
                latency = self.latency_ms(narrowest["width"])
            smallest += f" and takes {latency:.2f} ms"
        budget = {"max_params": max_params, "max_macs": max_macs}
        budget["max_latency_ms"] = max_latency_ms
        given = ", ".join(
            f"{k}={v}" for k, v in budget.items() if v is not None
        )
        raise ValueError(f"no width fits {given}: {smallest}")
