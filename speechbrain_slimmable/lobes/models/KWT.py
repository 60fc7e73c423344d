"""A slimmable Keyword Transformer (KWT) for keyword spotting.

KWT (Berg et al., Interspeech 2021) embeds each feature frame, prepends a
class token, adds learnt positions and runs a Transformer encoder; the class
token's output is classified. Here every dense layer, the embedding
dimension, the per-head dimension and the feed-forward hidden layer slim;
each width has its own LayerNorms (the paper's switchable LayerNorm).

Authors
 * speechbrain-slimmable developers 2026
"""

import math

import torch

from speechbrain_slimmable.lobes.models.TCResNet import ConvNormAct
from speechbrain_slimmable.nnet.attention import (
    SlicedEmbedding,
    SlimmableFeedForward,
    SlimmableMultiheadSelfAttention,
)
from speechbrain_slimmable.nnet.layer_norm import SwitchableLayerNorm
from speechbrain_slimmable.nnet.linear import SlimmableLinear


class TransformerBlock(torch.nn.Module):
    """Pre-norm encoder block: attention and feed-forward, both residual.

    Arguments
    ---------
    d_model : int
        Model dimension at width 1.0.
    nhead : int
        Number of attention heads.
    d_ffn : int
        Feed-forward hidden size at width 1.0.
    widths : list of float
        Widths with their own LayerNorms.
    dropout : float
        Dropout in attention and feed-forward.
    shared_affine : bool
        Share one sliced LayerNorm across any width in (0, 1] instead.

    Example
    -------
    >>> block = TransformerBlock(64, 2, 128, [1.0, 0.5])
    >>> block(torch.rand(2, 10, 64)).shape
    torch.Size([2, 10, 64])
    """

    def __init__(
        self, d_model, nhead, d_ffn, widths, dropout=0.0, shared_affine=False
    ):
        super().__init__()
        norm = dict(widths=widths, shared_affine=shared_affine)
        self.norm1 = SwitchableLayerNorm(d_model, **norm)
        self.attention = SlimmableMultiheadSelfAttention(
            d_model, nhead, dropout=dropout
        )
        self.norm2 = SwitchableLayerNorm(d_model, **norm)
        self.ffn = SlimmableFeedForward(
            d_ffn, input_size=d_model, dropout=dropout
        )
        self.dropout = torch.nn.Dropout(dropout)

    def forward(self, x):
        """Apply the block to ``x`` of shape ``(batch, time, d_model)``."""
        x = x + self.dropout(self.attention(self.norm1(x)))
        return x + self.dropout(self.ffn(self.norm2(x)))


class SlimmableKWT(torch.nn.Module):
    """Slimmable KWT: features ``(batch, time, n_mels)`` to logits.

    Arguments
    ---------
    n_classes : int
        Number of output classes (never slims).
    n_mels : int
        Number of mel bins (never slims).
    max_frames : int
        Longest input in frames (101 for 1 s with a 10 ms hop).
    widths : list of float
        Widths with their own LayerNorms.
    d_model : int
        Embedding dimension at width 1.0.
    nhead : int
        Number of heads; their dimension slims, their number does not.
    d_ffn : int
        Feed-forward hidden size at width 1.0.
    num_layers : int
        Number of encoder blocks.
    dropout : float
        Dropout inside the blocks and before the classifier.
    shared_affine : bool
        Share one sliced LayerNorm per place across widths, so that any
        width in (0, 1] is served (a universal model).
    stem_strides : list of int
        Empty (KWT): each frame is one token, embedded by a linear layer.
        Otherwise a convolutional stem embeds the frames: one slimmable
        convolution per stride (the first full, the next depthwise-separable,
        each with a switchable BatchNorm and ReLU), so that ``max_frames``
        shrink to fewer tokens. Convolutions give the small-data inductive
        bias a Transformer lacks (Xiao et al., "Early convolutions help
        Transformers see better", 2021) and cut the attention's cost.
    stem_kernel_size : int
        Temporal kernel size of the stem's convolutions.

    Example
    -------
    >>> from speechbrain_slimmable import count_parameters, set_width
    >>> model = SlimmableKWT(n_classes=12, widths=[1.0, 0.25])
    >>> count_parameters(model) < 250_000
    True
    >>> _ = set_width(model, 0.25)
    >>> model(torch.rand(3, 101, 40)).shape
    torch.Size([3, 12])
    >>> hybrid = SlimmableKWT(n_classes=12, stem_strides=[2, 2])
    >>> hybrid.max_tokens
    26
    >>> hybrid(torch.rand(3, 101, 40)).shape
    torch.Size([3, 12])
    """

    def __init__(
        self,
        n_classes,
        n_mels=40,
        max_frames=101,
        widths=(1.0, 0.75, 0.5, 0.25),
        d_model=64,
        nhead=2,
        d_ffn=128,
        num_layers=3,
        dropout=0.1,
        shared_affine=False,
        stem_strides=(),
        stem_kernel_size=3,
    ):
        super().__init__()
        self.max_frames = max_frames
        self.max_tokens = max_frames
        if stem_strides:
            stem = []
            for index, stride in enumerate(stem_strides):
                stem.append(
                    ConvNormAct(
                        n_mels if index == 0 else d_model,
                        d_model,
                        stem_kernel_size,
                        widths,
                        stride=stride,
                        fixed_in=index == 0,
                        shared_affine=shared_affine,
                        separable=index > 0,
                    )
                )
                self.max_tokens = math.ceil(self.max_tokens / stride)
            self.embedding = torch.nn.Sequential(*stem)
        else:
            self.embedding = SlimmableLinear(
                d_model, input_size=n_mels, fixed_in=True
            )
        self.class_token = SlicedEmbedding(1, d_model)
        self.positions = SlicedEmbedding(self.max_tokens + 1, d_model)
        self.blocks = torch.nn.Sequential(
            *(
                TransformerBlock(
                    d_model, nhead, d_ffn, widths, dropout, shared_affine
                )
                for _ in range(num_layers)
            )
        )
        self.norm = SwitchableLayerNorm(
            d_model, widths=widths, shared_affine=shared_affine
        )
        self.dropout = torch.nn.Dropout(dropout)
        self.classifier = SlimmableLinear(
            n_classes, input_size=d_model, fixed_out=True
        )

    def forward(self, features):
        """Return logits ``(batch, n_classes)`` for ``(batch, time, n_mels)``."""
        batch, time = features.shape[0], features.shape[1]
        if time > self.max_frames:
            raise ValueError(
                f"SlimmableKWT takes at most {self.max_frames} frames, got "
                f"{time}; crop the input or build it with a larger max_frames"
            )
        x = self.embedding(features)
        token = self.class_token(features.new_zeros(batch, 1, dtype=torch.long))
        x = torch.cat([token, x], dim=1)
        steps = torch.arange(x.shape[1], device=features.device)
        x = self.blocks(x + self.positions(steps))
        return self.classifier(self.dropout(self.norm(x[:, 0])))
