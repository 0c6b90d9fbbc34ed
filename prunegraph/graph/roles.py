"""What a state_dict key means: its place in the dataflow order and its role in a block.

A bare state_dict has no dataflow, and its key order depends on the file format (insertion
order in ``.pt``, alphabetical in ``.safetensors``).  This module reads the *names* instead, so
that the same weights give the same graph from any container:

* :func:`sort_key` orders module paths by what the names say — input stages (embeddings,
  stems) first, numbered blocks in numeric order, attention before MLP, q/k/v before the output
  projection, gate/up before down, heads (classifier, lm_head, pooler, fc, ...) last; names the
  lexicon does not know keep a natural (numeric-aware) order;
* :func:`role_of` names a layer's role in a transformer block (``q``, ``k``, ``v``, ``qkv``,
  ``o``, ``gate``, ``up``, ``down``), or ``embed`` / ``head`` / ``shortcut``;
* :func:`family_of` maps a Hugging Face ``config.json`` (``model_type``) or an ``--arch`` name
  to a block family (``bert``, ``gpt2``, ``llama``) whose roles are then known exactly, not
  guessed; :class:`Family` holds what the family fixes (Conv1D layout, head size for
  grouped-query attention).

No ``transformers`` import: the config is read as JSON.

Examples
--------
>>> keys = ["classifier", "conv2", "conv10", "conv1"]
>>> sorted(keys, key=sort_key)
['conv1', 'conv2', 'conv10', 'classifier']
>>> role_of("model.layers.0.self_attn.o_proj"), role_of("encoder.layer.3.output.dense")
('o', 'down')
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# ------------------------------------------------------------------ lexicon
_EMBED = re.compile(r"(^|_)(emb|embed|embeds|embedding|embeddings|wte|wpe|tok_embeddings|embed_tokens|"
                    r"word_embeddings|position_embeddings|token_type_embeddings|shared)$|emb")
_FRONT = re.compile(r"^(stem|stft\w*|patch_embed\w*|conv_stem|input\w*|frontend|preprocess\w*)$")
_HEAD = re.compile(r"^(classifier|head|heads|lm_head|score|logits|pooler|fc|fc_?\d*|linear\d*|dense\d*(_\d+)*|"
                   r"final\w*|out|output|proj_out|cls|decoder_head|prediction\w*)$")
_SHORTCUT = re.compile(r"^(shortcut|downsample|skip|residual|proj_shortcut|short_cut)$")

#: rank of a block-level component among its siblings (attention before MLP, q before o ...)
_BLOCK_RANK = [
    (re.compile(r"^(attention|attn|self_attn|self_attention|selfattention|mha|multihead_attn|"
                r"layer\.0|sa|mixer)$"), 10),
    (re.compile(r"^self$"), 11),
    (re.compile(r"^(q|query|q_proj|wq|q_lin|to_q|in_proj|c_attn|qkv|qkv_proj|query_key_value|wqkv|w_pack)$"), 12),
    (re.compile(r"^(k|key|k_proj|wk|k_lin|to_k)$"), 13),
    (re.compile(r"^(v|value|v_proj|wv|v_lin|to_v)$"), 14),
    (re.compile(r"^(o|o_proj|out_proj|wo|out_lin|to_out|dense)$"), 18),
    (re.compile(r"^(enc|encoder)$"), 40),
    (re.compile(r"^(dec|decoder)$"), 45),
    (re.compile(r"^(crossattention|cross_attn|encoder_attn|multihead_attn)$"), 20),
    (re.compile(r"^(mlp|ffn|feed_forward|feedforward|ff|intermediate|densereludense|fc_block)$"), 30),
    (re.compile(r"^(gate|gate_proj|w1|wi_0)$"), 31),
    (re.compile(r"^(up|up_proj|w3|c_fc|fc1|linear1|lin1|wi|wi_1|dense_h_to_4h|fc_in)$"), 32),
    (re.compile(r"^(down|down_proj|w2|fc2|linear2|lin2|dense_4h_to_h|fc_out|c_proj)$"), 38),
    (re.compile(r"^output$"), 39),
]
_CHUNK = re.compile(r"(\d+)")


def _natural(s: str) -> tuple:
    return tuple((0, int(t), "") if t.isdigit() else (1, 0, t) for t in _CHUNK.split(s) if t != "")


def _component_rank(comp: str, depth: int, top: bool) -> int:
    low = comp.lower()
    if _EMBED.search(low) or _FRONT.match(low):  # tokens, then positions, then segment types
        return 2 if "type" in low else 1 if ("pos" in low or low == "wpe") else 0
    if top and _HEAD.match(low):
        return 90
    if _SHORTCUT.match(low):
        return 60
    for pat, rank in _BLOCK_RANK:
        if pat.match(low):
            return rank
    return 50


def sort_key(path: str) -> tuple:
    """Semantic order key of a module path (``"encoder.layer.0.attention.self.query"``).

    Component by component: input stages (embeddings, stems) rank first, then the body in natural
    order (``layer2 < layer10``), with the block lexicon placing attention before MLP, q < k < v <
    out-projection, gate < up < down; a top-level head (``classifier``, ``lm_head``, ``fc``,
    ``pooler``, ``final_*``, ``output`` ...) ranks last.  Independent of the file's key order.

    Examples
    --------
    >>> sorted(["lstm", "linear"], key=sort_key)
    ['lstm', 'linear']
    >>> sorted(["h.0.mlp.c_proj", "h.0.mlp.c_fc", "h.0.attn.c_proj", "h.0.attn.c_attn"], key=sort_key)
    ['h.0.attn.c_attn', 'h.0.attn.c_proj', 'h.0.mlp.c_fc', 'h.0.mlp.c_proj']
    """
    parts = path.split(".")
    # "top" components: the first one, and the first under a single wrapper (bert., model., transformer.)
    key = []
    for i, comp in enumerate(parts):
        top = i == 0 or (i == 1 and parts[0].lower() in _WRAPPERS)
        key.append((_component_rank(comp, i, top), _natural(comp.lower())))
    return tuple(key)


_WRAPPERS = {"model", "bert", "roberta", "transformer", "encoder_model", "backbone", "base_model", "net",
             "network", "module", "gpt_neox", "distilbert", "electra", "deberta", "albert", "xlm_roberta"}

# ------------------------------------------------------------------ roles
_ROLE_LAST = [
    (re.compile(r"^(q|query|q_proj|wq|q_lin|to_q)$"), "q"),
    (re.compile(r"^(k|key|k_proj|wk|k_lin|to_k)$"), "k"),
    (re.compile(r"^(v|value|v_proj|wv|v_lin|to_v)$"), "v"),
    (re.compile(r"^(c_attn|qkv|qkv_proj|query_key_value|wqkv|w_pack|in_proj)$"), "qkv"),
    (re.compile(r"^(o_proj|out_proj|out_lin|to_out)$"), "o"),
    (re.compile(r"^(gate|gate_proj|w1|wi_0)$"), "gate"),
    (re.compile(r"^(up_proj|w3|c_fc|fc1|linear1|lin1|wi|wi_1|dense_h_to_4h|fc_in)$"), "up"),
    (re.compile(r"^(down_proj|w2|fc2|linear2|lin2|dense_4h_to_h|fc_out)$"), "down"),
]
_ATTN_PARENT = re.compile(r"^(attention|attn|self_attn|self_attention|selfattention|mha|sa|mixer)$")
_MLP_PARENT = re.compile(r"^(mlp|ffn|feed_forward|feedforward|ff|densereludense)$")


def role_of(path: str) -> str | None:
    """Role of a layer in a transformer block, from its module path; ``None`` when unknown.

    ``q``/``k``/``v`` (separate projections), ``qkv`` (one packed projection), ``o`` (attention
    output), ``gate``/``up``/``down`` (MLP), ``embed``, ``shortcut``.  Context decides the
    ambiguous names: GPT-2's ``c_proj`` is ``o`` under ``attn`` and ``down`` under ``mlp``;
    BERT's ``dense`` is ``o`` under ``attention.output``, ``up`` under ``intermediate`` and
    ``down`` under a block-level ``output``; ``wo`` is ``o`` under attention, else ``down``.

    Examples
    --------
    >>> [role_of(p) for p in ("h.1.attn.c_proj", "h.1.mlp.c_proj", "encoder.layer.0.intermediate.dense")]
    ['o', 'down', 'up']
    """
    parts = [p.lower() for p in path.split(".")]
    last = parts[-1]
    parent = parts[-2] if len(parts) > 1 else ""
    grand = parts[-3] if len(parts) > 2 else ""
    if _EMBED.search(last) and not _ROLE_LAST[0][0].match(last):
        return "embed"
    if _SHORTCUT.match(last) or _SHORTCUT.match(parent):
        return "shortcut"
    if last in ("c_proj", "proj", "wo", "o", "dense"):
        if _ATTN_PARENT.match(parent) or (parent == "output" and _ATTN_PARENT.match(grand)):
            return "o"
        if last == "dense" and parent == "intermediate":
            return "up"
        if last == "dense" and parent == "output":
            return "down"
        if _MLP_PARENT.match(parent) and last in ("c_proj", "wo", "proj"):
            return "down"
        return None
    if last == "to_out" or (last.isdigit() and parent == "to_out"):
        return "o"
    if last == "dense" and parent == "intermediate":
        return "up"
    for pat, role in _ROLE_LAST:
        if pat.match(last):
            return role
    return None


def is_embedding_name(path: str) -> bool:
    """A 2-d weight named like an embedding table (``word_embeddings``, ``wte``, ``embed_tokens`` ...)."""
    last = path.split(".")[-1].lower()
    return bool(_EMBED.search(last)) and last not in ("emb_proj", "embed_proj")


def is_head_name(path: str) -> bool:
    """A model-level output layer (``lm_head``, ``classifier``, ``pooler.dense`` ...)."""
    parts = [p.lower() for p in path.split(".")]
    return any(_HEAD.match(p) for p in parts[:2]) and not any(p.isdigit() for p in parts)


def block_of(path: str) -> str | None:
    """The numbered block a layer belongs to (``"encoder.layer.3"`` of ``"encoder.layer.3.output.dense"``)."""
    parts = path.split(".")
    for i in range(len(parts) - 1, 0, -1):
        if parts[i].isdigit() and i < len(parts) - 1:
            return ".".join(parts[: i + 1])
    return None


# ------------------------------------------------------------------ families (HF config.json)
@dataclass(frozen=True)
class Family:
    """What a model family fixes about its state_dict.

    Attributes
    ----------
    name : str
        ``"bert"``, ``"gpt2"``, ``"llama"``.
    conv1d : bool
        Linear weights are stored ``[in, out]`` (GPT-2 ``Conv1D``).
    head_dim : int or None
        Size of one attention head (``hidden / heads`` unless the config says ``head_dim``).
    n_heads, n_kv_heads : int or None
        Query heads and key/value heads (grouped-query attention when fewer).
    hidden : int or None
    """

    name: str
    conv1d: bool = False
    head_dim: int | None = None
    n_heads: int | None = None
    n_kv_heads: int | None = None
    hidden: int | None = None


_MODEL_TYPES = {
    "bert": "bert", "roberta": "bert", "xlm-roberta": "bert", "electra": "bert", "camembert": "bert",
    "gpt2": "gpt2",
    "llama": "llama", "mistral": "llama", "qwen2": "llama", "qwen3": "llama", "gemma": "llama",
    "gemma2": "llama", "olmo": "llama", "olmo2": "llama", "yi": "llama", "internlm2": "llama",
}
#: names accepted by ``--arch`` besides the zoo's
ARCH_NAMES = ("bert", "gpt2", "llama", "mistral")


def family_of(config: Mapping[str, Any] | str | None) -> Family | None:
    """The :class:`Family` of a Hugging Face config dict (or of an ``--arch`` name); ``None`` if unknown.

    Examples
    --------
    >>> f = family_of({"model_type": "llama", "hidden_size": 8, "num_attention_heads": 4,
    ...                "num_key_value_heads": 2})
    >>> f.name, f.head_dim, f.n_kv_heads
    ('llama', 2, 2)
    >>> family_of("gpt2").conv1d
    True
    """
    if config is None:
        return None
    if isinstance(config, str):
        config = {"model_type": config}
    mt = str(config.get("model_type", "")).lower()
    name = _MODEL_TYPES.get(mt)
    if name is None:
        return None
    hidden = config.get("hidden_size", config.get("n_embd"))
    heads = config.get("num_attention_heads", config.get("n_head"))
    kv = config.get("num_key_value_heads", heads)
    hd = config.get("head_dim") or (int(hidden) // int(heads) if hidden and heads else None)
    return Family(name, conv1d=name == "gpt2", head_dim=None if hd is None else int(hd),
                  n_heads=None if heads is None else int(heads), n_kv_heads=None if kv is None else int(kv),
                  hidden=None if hidden is None else int(hidden))


__all__ = ["sort_key", "role_of", "is_embedding_name", "is_head_name", "block_of", "Family", "family_of",
           "ARCH_NAMES"]
