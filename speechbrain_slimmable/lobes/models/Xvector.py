"""Slimmable twins of SpeechBrain's X-vector embedding and classifier.

``speechbrain.lobes.models.Xvector.Xvector`` and ``Classifier`` are what
SpeechBrain's Google-speech-commands recipe trains. The classes here take the
same arguments (less the unused ``device``, plus ``widths`` and
``shared_affine``) and, at width 1.0, hold parameters of the same shapes
under the same names: a checkpoint of the SpeechBrain models loads into
them as their widest width (see
:class:`speechbrain_slimmable.nnet.normalization.SwitchableNorm`), so an
existing model can be slimmed by fine-tuning.

Authors
 * speechbrain-slimmable developers 2026
"""

import torch
from speechbrain.nnet.activations import Softmax
from speechbrain.nnet.containers import Sequential
from speechbrain.nnet.pooling import StatisticsPooling

from speechbrain_slimmable.nnet.CNN import SlimmableConv1d
from speechbrain_slimmable.nnet.linear import SlimmableLinear
from speechbrain_slimmable.nnet.normalization import SwitchableBatchNorm1d


class SlimmableXvector(torch.nn.Module):
    """Slimmable X-vector: TDNN blocks, statistics pooling, embedding.

    Arguments
    ---------
    activation : type
        Activation class.
    tdnn_blocks : int
        Number of TDNN blocks.
    tdnn_channels : list of int
        Output channels of each block at width 1.0.
    tdnn_kernel_sizes : list of int
        Kernel size of each block.
    tdnn_dilations : list of int
        Dilation of each block.
    lin_neurons : int
        Embedding size at width 1.0.
    in_channels : int
        Input features (never slim).
    widths : list of float
        The widths served by the norms.
    shared_affine : bool
        Share the norms' affine transform across widths.

    Example
    -------
    >>> from speechbrain_slimmable import set_width
    >>> xvector = SlimmableXvector(tdnn_channels=[64, 64, 64, 64, 128],
    ...                            lin_neurons=32, widths=[1.0, 0.5])
    >>> _ = set_width(xvector, 0.5)
    >>> xvector(torch.rand(2, 101, 40)).shape
    torch.Size([2, 1, 16])
    >>> lens = torch.tensor([1.0, 0.5])  # the second clip is half padding
    >>> xvector(torch.rand(2, 101, 40), lens).shape
    torch.Size([2, 1, 16])
    """

    def __init__(
        self,
        activation=torch.nn.LeakyReLU,
        tdnn_blocks=5,
        tdnn_channels=(512, 512, 512, 512, 1500),
        tdnn_kernel_sizes=(5, 3, 3, 1, 1),
        tdnn_dilations=(1, 2, 3, 1, 1),
        lin_neurons=512,
        in_channels=40,
        widths=(1.0, 0.75, 0.5, 0.25),
        shared_affine=False,
    ):
        super().__init__()
        self.blocks = torch.nn.ModuleList()
        for index in range(tdnn_blocks):
            out_channels = tdnn_channels[index]
            self.blocks.extend(
                [
                    SlimmableConv1d(
                        in_channels=in_channels,
                        out_channels=out_channels,
                        kernel_size=tdnn_kernel_sizes[index],
                        dilation=tdnn_dilations[index],
                        fixed_in=index == 0,
                    ),
                    activation(),
                    SwitchableBatchNorm1d(
                        input_size=out_channels,
                        widths=widths,
                        shared_affine=shared_affine,
                    ),
                ]
            )
            in_channels = out_channels
        self.blocks.append(StatisticsPooling())
        # Mean and standard deviation slim alike: two blocks of channels.
        self.blocks.append(
            SlimmableLinear(
                input_size=out_channels * 2,
                n_neurons=lin_neurons,
                in_splits=2,
            )
        )

    def forward(self, x, lens=None):
        """Return embeddings ``(batch, 1, lin_neurons)`` for features.

        ``lens`` (relative lengths in (0, 1], as SpeechBrain batches them)
        keeps padding out of the statistics pooling.
        """
        for layer in self.blocks:
            if isinstance(layer, StatisticsPooling):
                x = layer(x, lengths=lens)
            else:
                x = layer(x)
        return x


class SlimmableClassifier(Sequential):
    """Slimmable twin of SpeechBrain's X-vector ``Classifier``.

    Returns log-probabilities ``(batch, 1, out_neurons)`` like the original.

    Arguments
    ---------
    input_shape : tuple
        Shape of the embeddings at width 1.0.
    activation : type
        Activation class.
    lin_blocks : int
        Number of hidden linear blocks.
    lin_neurons : int
        Hidden size at width 1.0.
    out_neurons : int
        Number of classes (never slims).
    widths, shared_affine :
        As for :class:`SlimmableXvector`.

    Example
    -------
    >>> from speechbrain_slimmable import at_width
    >>> classify = SlimmableClassifier(input_shape=(None, None, 32),
    ...     lin_neurons=16, out_neurons=12, widths=[1.0, 0.5])
    >>> with at_width(classify, 0.5):
    ...     classify(torch.rand(2, 1, 16)).shape
    torch.Size([2, 1, 12])
    """

    def __init__(
        self,
        input_shape,
        activation=torch.nn.LeakyReLU,
        lin_blocks=1,
        lin_neurons=512,
        out_neurons=1211,
        widths=(1.0, 0.75, 0.5, 0.25),
        shared_affine=False,
    ):
        super().__init__(input_shape=input_shape)
        norm = dict(widths=widths, shared_affine=shared_affine)
        self.append(activation(), layer_name="act")
        self.append(SwitchableBatchNorm1d, layer_name="norm", **norm)
        if lin_blocks > 0:
            self.append(Sequential, layer_name="DNN")
        for index in range(lin_blocks):
            name = f"block_{index}"
            self.DNN.append(Sequential, layer_name=name)
            self.DNN[name].append(
                SlimmableLinear,
                n_neurons=lin_neurons,
                bias=True,
                layer_name="linear",
            )
            self.DNN[name].append(activation(), layer_name="act")
            self.DNN[name].append(
                SwitchableBatchNorm1d, layer_name="norm", **norm
            )
        self.append(
            SlimmableLinear,
            n_neurons=out_neurons,
            fixed_out=True,
            layer_name="out",
        )
        self.append(Softmax(apply_log=True), layer_name="softmax")


class XvectorKWS(torch.nn.Module):
    """Features ``(batch, time, n_mels)`` to logits ``(batch, n_classes)``
    through an X-vector and its classifier.

    The classifier's last layer, ``softmax`` (log-probabilities, as in
    SpeechBrain's ``Classifier``), is skipped: like every model here, this
    one returns logits.

    Arguments
    ---------
    embedding_model : torch.nn.Module
        A (slimmable) X-vector, output ``(batch, 1, emb_dim)``.
    classifier : speechbrain.nnet.containers.Sequential
        A (slimmable) classifier, output ``(batch, 1, n_classes)``, whose
        last layer is named ``softmax``.

    Example
    -------
    >>> kws = XvectorKWS(
    ...     SlimmableXvector(tdnn_channels=[8, 8, 8, 8, 16], lin_neurons=8),
    ...     SlimmableClassifier((None, None, 8), lin_neurons=8, out_neurons=3),
    ... )
    >>> kws(torch.rand(2, 101, 40)).shape
    torch.Size([2, 3])
    """

    def __init__(self, embedding_model, classifier):
        super().__init__()
        self.embedding_model = embedding_model
        self.classifier = classifier

    def forward(self, features):
        """Return logits; the time axis of one clip is squeezed."""
        x = self.embedding_model(features)
        for name, layer in self.classifier.items():
            if name != "softmax":
                x = layer(x)
        return x.squeeze(1)
