"""Pruned networks as graphs: :class:`LayerGraph` per layer, :class:`NetworkGraph` for the net.

A node is one unit of an activation space (a neuron, a channel, a hidden unit); edge
``i -> j`` of a layer exists iff its unit-level weight ``W[j, i]`` is nonzero (DESIGN.md):

* Linear ``y = W x``: ``W[j, i] = |w_ji|``, multiplicity 1.
* Conv (1/2/3-d), grouped and depthwise: ``W[j, i] = sum_k |w_j,i',k|`` (L1 norm of the kernel,
  ``i'`` the index of ``i`` within its group), multiplicity = nonzero kernel entries.
* ConvTranspose: the same with the weight's ``[in, out/groups, k...]`` layout.
* RNN / LSTM / GRU: the gate rows of ``W_ih`` and ``W_hh`` fold onto their hidden unit
  (``W[j, i] = sum_g |w_(g*H+j), i|``); ``W_hh`` is a layer from the hidden space to itself.
* Embedding: token ``i`` -> embedding unit ``j`` with ``|E[i, j]|``.
* Flatten into Linear: the Linear inputs of one channel fold onto that channel's node
  (weight = L1 sum over the channel's positions, multiplicity = their nonzero count).

Layers are joined through shared activation spaces.  From an ``nn.Module`` the dataflow is
traced with :mod:`torch.fx` (plus shape propagation when an input shape is known): a residual
addition writes a new version of the stream (the skipped operand reaches it through an identity,
:attr:`NetworkGraph.residuals`, so the graph stays acyclic; parallel branches unify), a
concatenation's space is made of its inputs' units (a layer reading it has ``in_offset`` into the
joint space), flatten-into-Linear folds (after a ``permute`` too).  From a bare state_dict,
layers are ordered and joined by what their key names mean and by a model family's block
structure (:mod:`.roles`, a Hugging Face ``config.json``), else by chaining shapes; each layer's
:attr:`LayerGraph.wiring` says which, and :attr:`NetworkGraph.notes` records every guess.

Degrees are tensor reductions (:mod:`prunegraph.degrees`); networkx is imported only by the
export functions.

Modules: :mod:`.model` (the two records and their exports), :mod:`.matrices` (unit-level
matrices, :class:`LazyWeight`, block-by-block builders), :mod:`.trace` (activation-space
union-find and the :mod:`torch.fx` tracer), :mod:`.chain` (state_dict entries, role and shape
chaining), :mod:`.roles` (key-name semantics and model families), :mod:`.stream` (:class:`StreamPlan`).
"""

from .._compat import module_aliases
from .chain import graph_from_state_dict
from .matrices import CHUNK_BYTES, LazyWeight, conv_matrices, embedding_matrices, linear_matrices, rnn_matrices
from .model import LAYER_TYPES, LayerGraph, NetworkGraph
from .stream import StreamPlan, stream_plan
from .trace import graph_from_module

__all__ = ["LayerGraph", "NetworkGraph", "graph_from_module", "graph_from_state_dict",
           "LazyWeight", "StreamPlan", "stream_plan",
           "linear_matrices", "conv_matrices", "rnn_matrices", "embedding_matrices",
           "LAYER_TYPES", "CHUNK_BYTES"]

__getattr__ = module_aliases(__name__, {"LAYER_KINDS": ("LAYER_TYPES", LAYER_TYPES)})
