"""Slimmable multi-head self-attention, feed-forward block and embedding.

Attention follows the paper: at width ``w`` every head keeps working and its
dimension shrinks to ``i = round(d_k * w)``; the scores are
``softmax(Q[:, :i] K[:, :i]^T / sqrt(i)) V[:, :i]``. Shrinking the per-head
dimension rather than dropping heads keeps every attention pattern the
widest model learnt (and still slims a single-head model such as KWT-1); the
output projection reads the first ``i`` channels of every head.

Authors
 * speechbrain-slimmable developers 2026
"""

import math

import torch
import torch.nn.functional as F
from speechbrain.nnet.attention import PositionalwiseFeedForward

from speechbrain_slimmable.nnet.channels import SlicedChannels, plain_layer
from speechbrain_slimmable.nnet.linear import SlicedLinear


class SlimmableMultiheadSelfAttention(torch.nn.Module):
    """Multi-head self-attention whose model and head dimensions slim.

    Built from :class:`SlicedLinear` projections only; the head dimension is
    read from the projected tensor, so the module keeps working after
    :func:`speechbrain_slimmable.extract_subnet` turns the projections into
    plain ``torch.nn.Linear`` layers.

    Arguments
    ---------
    d_model : int
        Model dimension at width 1.0 (input and output).
    nhead : int
        Number of heads (kept at every width).
    d_head : int, optional
        Per-head dimension at width 1.0; ``d_model // nhead`` by default.
    dropout : float
        Dropout on the attention weights.

    Example
    -------
    >>> from speechbrain_slimmable import set_width
    >>> attn = SlimmableMultiheadSelfAttention(d_model=64, nhead=2)
    >>> _ = set_width(attn, 0.5)
    >>> attn(torch.rand(3, 10, 32)).shape
    torch.Size([3, 10, 32])
    """

    def __init__(self, d_model, nhead, d_head=None, dropout=0.0):
        super().__init__()
        self.nhead = nhead
        d_head = d_head or d_model // nhead
        inner = nhead * d_head

        self.query = SlicedLinear(d_model, inner, out_splits=nhead)
        self.key = SlicedLinear(d_model, inner, out_splits=nhead)
        self.value = SlicedLinear(d_model, inner, out_splits=nhead)
        self.out = SlicedLinear(inner, d_model, in_splits=nhead)
        self.dropout = torch.nn.Dropout(dropout)

    def split_heads(self, x):
        """``(batch, time, nhead * i)`` -> ``(batch, nhead, time, i)``."""
        batch, time, channels = x.shape
        return x.view(
            batch, time, self.nhead, channels // self.nhead
        ).transpose(1, 2)

    def forward(self, x):
        """Attend over ``x`` of shape ``(batch, time, d_model)``."""
        q = self.split_heads(self.query(x))
        k = self.split_heads(self.key(x))
        v = self.split_heads(self.value(x))
        scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
        weights = self.dropout(F.softmax(scores, dim=-1))
        context = (weights @ v).transpose(1, 2)
        return self.out(context.reshape(x.shape[0], x.shape[1], -1))


class SlimmableFeedForward(PositionalwiseFeedForward):
    """SpeechBrain's position-wise feed-forward block with a slimmable
    model dimension and hidden layer.

    Arguments
    ---------
    d_ffn : int
        Hidden size at width 1.0.
    input_shape : tuple, optional
        Input shape at width 1.0.
    input_size : int, optional
        Model dimension at width 1.0.
    dropout : float
        Dropout after the activation.
    activation : type
        Activation class.

    Example
    -------
    >>> from speechbrain_slimmable import at_width
    >>> ffn = SlimmableFeedForward(128, input_size=64)
    >>> with at_width(ffn, 0.25):
    ...     ffn(torch.rand(3, 10, 16)).shape
    torch.Size([3, 10, 16])
    """

    def __init__(
        self,
        d_ffn,
        input_shape=None,
        input_size=None,
        dropout=0.0,
        activation=torch.nn.GELU,
    ):
        super().__init__(d_ffn, input_shape, input_size, dropout, activation)
        for index in (0, 3):
            linear = self.ffn[index]
            self.ffn[index] = SlicedLinear(
                linear.in_features, linear.out_features
            )


class SlicedEmbedding(SlicedChannels, torch.nn.Embedding):
    """A ``torch.nn.Embedding`` whose embedding dimension slims.

    Useful for learnt tokens and positions that are added to slimmable
    features (a Transformer's class token and positional embedding).

    Arguments
    ---------
    num_embeddings : int
        Number of entries (never slims).
    embedding_dim : int
        Dimension at width 1.0.

    Example
    -------
    >>> emb = SlicedEmbedding(5, 8)
    >>> emb.set_width(0.5)
    >>> emb(torch.tensor([0, 4])).shape
    torch.Size([2, 4])
    >>> emb.to_static()
    Embedding(5, 4)
    """

    def __init__(self, num_embeddings, embedding_dim):
        super().__init__(num_embeddings, embedding_dim)
        self.init_channels(num_embeddings, embedding_dim, fixed_in=True)

    def slices(self):
        """Every entry keeps its first active channels."""
        return {"weight": (None, (self.active_out(), 1))}

    def forward(self, indices):
        """Look up ``indices`` in the table at the current width."""
        return F.embedding(indices, self.active_tensors()["weight"])

    def to_static(self):
        """Return a plain ``torch.nn.Embedding`` at the current width."""
        state = self.cut_tensors()
        return plain_layer(
            torch.nn.Embedding,
            state,
            num_embeddings=self.num_embeddings,
            embedding_dim=state["weight"].shape[1],
        )
