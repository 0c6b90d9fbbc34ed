"""Bare state_dicts (and untraceable modules) as graphs: layer entries read from names and shapes,
ordered and joined by what the key names mean (:mod:`.roles`), by a model family's block structure
when one is known (a Hugging Face ``config.json`` or ``arch=``), and by chaining shapes where
nothing else says how (:func:`graph_from_state_dict`).  Every layer records how its wiring was
found (:attr:`LayerGraph.wiring`), so a guess is visible per layer."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from ..errors import InputError, UsageError
from .matrices import LazyWeight, _check_dtype, _finite, _mats, _slice
from .model import NetworkGraph
from .roles import Family, block_of, family_of, is_embedding_name, is_head_name, role_of, sort_key
from .trace import _Builder, _known


# =============================================================================== chaining
@dataclass
class _Entry:
    name: str
    layer_type: str            # linear | conv | conv_transpose | embedding | rnn
    n_in: int            # units read (linear: in_features)
    n_out: int
    weight: torch.Tensor | LazyWeight | None = None
    groups: int | None = None  # None: infer from the chain
    rnn: dict | None = None    # mode, num_layers, bidirectional, hidden, get, cell
    role: str | None = None    # q k v o gate up down embed shortcut (see roles.role_of)
    param: str = ""            # state_dict key of the weight
    wiring: str = "shapes"
    linear_t: bool = False     # stored [in, out] (GPT-2 Conv1D)


def _module_entries(module: nn.Module, get) -> list[_Entry]:
    out = []
    for name, m in module.named_modules():
        if isinstance(m, nn.Linear):
            out.append(_Entry(name, "linear", m.in_features, m.out_features, get(f"{name}.weight")))
        elif isinstance(m, nn.modules.conv._ConvNd):
            tr = isinstance(m, nn.modules.conv._ConvTransposeNd)
            out.append(_Entry(name, "conv_transpose" if tr else "conv", m.in_channels, m.out_channels,
                              get(f"{name}.weight"), m.groups))
        elif isinstance(m, (nn.Embedding, nn.EmbeddingBag)):
            out.append(_Entry(name, "embedding", m.num_embeddings, m.embedding_dim, get(f"{name}.weight")))
        elif isinstance(m, nn.RNNBase):
            dirs = 2 if m.bidirectional else 1
            out.append(_Entry(name, "rnn", m.input_size, m.hidden_size * dirs,
                              rnn=dict(mode=m.mode, num_layers=m.num_layers, bidirectional=m.bidirectional,
                                       hidden=m.hidden_size, get=get)))
    return out


_RNN_KEY = re.compile(r"^(?:(.*)\.)?weight_ih_l(\d+)(_reverse)?$")
_CELL_KEY = re.compile(r"^(?:(.*)\.)?weight_ih$")
_MHA_KEY = re.compile(r"^(?:(.*)\.)?(in_proj_weight|q_proj_weight|k_proj_weight|v_proj_weight)$")
_TRANSPOSE_NAME = re.compile(r"(deconv|transpose|tconv|convt|upconv|up_conv)", re.I)
_GPT2_CONV1D = re.compile(r"(^|\.)(c_attn|c_fc|c_proj)$")
_BLOCK_NAME = re.compile(r"^(layer|block|res|stage|bottleneck|basicblock)\w*$", re.I)
_ATTN_ROLES = ("q", "k", "v", "o")
_MLP_ROLES = ("gate", "up", "down")


def _rnn_entries(sd, key, w, source, done):
    m = _RNN_KEY.match(key)
    cell = None
    if m is None:
        cell = _CELL_KEY.match(key)
        if cell is None:
            return None
    found = m if m is not None else cell
    assert found is not None  # one of the two matched (returned above otherwise)
    prefix = found.group(1) or ""
    if prefix in done:
        return []
    done.add(prefix)
    pre = f"{prefix}." if prefix else ""
    hh_key = f"{pre}weight_hh_l0" if m else f"{pre}weight_hh"
    hh = sd.get(hh_key)
    if hh is None:
        return []
    if (w.ndim != 2 or hh.ndim != 2 or 0 in tuple(w.shape) or 0 in tuple(hh.shape)
            or w.shape[0] % hh.shape[1] or hh.shape[0] != w.shape[0]):
        raise InputError(f"{source}: recurrent layer {prefix or 'rnn'}: {key} {tuple(w.shape)} and "
                         f"{hh_key} {tuple(hh.shape)} are not [gates*hidden, in] and "
                         f"[gates*hidden, hidden]; save the layer's complete, unmodified weights")
    hidden = int(hh.shape[1])
    gates = int(w.shape[0]) // hidden
    mode = {4: "LSTM", 3: "GRU", 1: "RNN_TANH"}.get(gates)
    if mode is None:
        return []
    if m:
        n_layers = 1 + max(int(mm.group(2)) for k in sd if (mm := _RNN_KEY.match(k)) and (mm.group(1) or "") == prefix)
        bidir = f"{pre}weight_ih_l0_reverse" in sd
    else:
        n_layers, bidir = 1, False

    def get(p, _sd=sd):
        return _sd.get(p)

    return [_Entry(prefix or "rnn", "rnn", int(w.shape[1]), hidden * (2 if bidir else 1), param=key,
                   rnn=dict(mode=mode, num_layers=n_layers, bidirectional=bidir, hidden=hidden, get=get,
                            cell=cell is not None))]


def _split3(name, w, param, *, rows: bool, linear_t: bool = False):
    """q, k, v entries of a packed projection (rows of ``[3E, E]``, or columns of a Conv1D ``[E, 3E]``)."""
    total = int(w.shape[0] if rows else w.shape[1])
    n_in = int(w.shape[1] if rows else w.shape[0])
    e = total // 3
    out = []
    for i, r in enumerate("qkv"):
        part = _slice(w, rows=(i * e, (i + 1) * e)) if rows else _slice(w, cols=(i * e, (i + 1) * e))
        out.append(_Entry(f"{name}.{r}", "linear", n_in, e, part, role=r, param=param, linear_t=linear_t))
    return out


def _state_dict_entries(sd: Mapping[str, Any], source: str = "state_dict", family: Family | None = None,
                        skipped: list[str] | None = None) -> list[_Entry]:
    """Layer entries of a state_dict in semantic order (:func:`roles.sort_key`), roles assigned.

    ``skipped`` collects ``"key (reason)"`` for every tensor of two or more dimensions that is
    not read as a layer."""
    out: list[_Entry] = []
    skipped = [] if skipped is None else skipped
    done_rnn: set[str] = set()
    for key, w in sd.items():
        if not isinstance(w, (torch.Tensor, LazyWeight)):
            continue
        if not w.is_floating_point():
            is_weight = (key.endswith(".weight") or key == "weight" or _RNN_KEY.match(key)) and w.ndim >= 2
            if is_weight:
                _check_dtype(w, key, source)
            if w.ndim >= 2:
                skipped.append(f"{key} ({str(w.dtype).replace('torch.', '')}, not a weight)")
            continue
        rnn = _rnn_entries(sd, key, w, source, done_rnn)
        if rnn is not None:
            out.extend(rnn)
            continue
        if "weight_hh" in key:
            continue
        mha = _MHA_KEY.match(key)
        if mha and w.ndim == 2:
            pre = f"{mha.group(1)}." if mha.group(1) else ""
            if mha.group(2) == "in_proj_weight" and w.shape[0] % 3 == 0:
                out.extend(_split3(f"{pre}in_proj", w, key, rows=True))
            elif mha.group(2) != "in_proj_weight":
                r = mha.group(2)[0]
                out.append(_Entry(f"{pre}{r}_proj", "linear", int(w.shape[1]), int(w.shape[0]), w,
                                  role=r, param=key))
            continue
        if not (key.endswith(".weight") or key == "weight") or w.ndim < 2:
            if w.ndim >= 2 and "weight_hh" not in key:
                skipped.append(f"{key} (not named *.weight, in_proj_weight or weight_ih/hh)")
            continue
        if 0 in tuple(w.shape):
            raise InputError(f"{source}: layer {key} has an empty weight of shape {tuple(w.shape)}; "
                             f"remove it or save the trained weights")
        name = key[: -len(".weight")] if key.endswith(".weight") else "weight"
        role = role_of(name)
        if w.ndim == 2 and (role == "embed" or is_embedding_name(name)):
            out.append(_Entry(name, "embedding", int(w.shape[0]), int(w.shape[1]), w, role="embed", param=key))
        elif w.ndim == 2:
            conv1d = (family is not None and family.conv1d and not is_head_name(name)) or (
                family is None and bool(_GPT2_CONV1D.search(name)))
            if role == "qkv":
                total = int(w.shape[1] if conv1d else w.shape[0])
                if total % 3 == 0 and (family is None or family.n_kv_heads in (None, family.n_heads)):
                    out.extend(_split3(name, w, key, rows=not conv1d, linear_t=conv1d))
                    continue
                role = None
            n_in, n_out = (int(w.shape[0]), int(w.shape[1])) if conv1d else (int(w.shape[1]), int(w.shape[0]))
            out.append(_Entry(name, "linear", n_in, n_out, w, role=role, param=key, linear_t=conv1d))
        else:
            layer_type = "conv_transpose" if _TRANSPOSE_NAME.search(name.split(".")[-1]) else "conv"
            n_in, n_out = (int(w.shape[0]), int(w.shape[1])) if layer_type == "conv_transpose" else (
                int(w.shape[1]), int(w.shape[0]))
            out.append(_Entry(name, layer_type, n_in, n_out, w, None, role=role if role == "shortcut" else None,
                              param=key))
    out.sort(key=lambda e: sort_key(e.name))
    # MLP roles only count inside a transformer (a block that also has attention): LeNet's fc1/fc2
    # are not an MLP block
    attn_blocks = {block_of(e.name) for e in out if e.role in _ATTN_ROLES}
    for e in out:
        if e.role in _MLP_ROLES and block_of(e.name) not in attn_blocks and not (
                family is not None or re.search(r"(^|\.)(mlp|ffn|feed_forward|intermediate|output)\.", e.name)):
            e.role = None
        if family is not None and (e.role is not None or is_head_name(e.name)):
            e.wiring = "config"
        elif e.role is not None:
            e.wiring = "names"
    return out


def _res_block(name: str) -> str | None:
    """The residual block of a conv-net layer (``layer1.0`` of ``layer1.0.downsample.0``)."""
    parts = name.split(".")[:-1]
    for i in range(len(parts) - 1, -1, -1):
        if parts[i].isdigit() or _BLOCK_NAME.match(parts[i]):
            return ".".join(parts[: i + 1])
    return None


class _Chain:
    """Join entries in order: roles first (transformer blocks, shortcuts), shapes where nothing else says."""

    def __init__(self, b: _Builder, family: Family | None):
        self.b, self.family = b, family
        self.cur: tuple[str, int, str] | None = None  # (space, units, layout)
        self.history: list[tuple[str, int]] = []
        self.stream: str | None = None                # residual stream (transformers)
        self.attn_in: str | None = None               # space q, k, v read (transformers)
        self.v_out: str | None = None
        self.mlp_in: str | None = None
        self.mlp_mid: str | None = None
        self.prev_role: str | None = None
        self.block: str | None = None                 # conv-net residual block
        self.block_in: str | None = None
        self.block_main: list[str] = []               # out spaces of the block's main path
        self.block_short = False

    def units(self, sid):
        return _known(self.b.sp.size[sid], sid)

    def read(self, e: _Entry, width: int, prefer: str | None = None) -> tuple[str, int, str]:
        """Space read by ``e`` with ``width`` inputs, the fold, and the wiring it implies."""
        b = self.b
        if prefer is not None and self.units(prefer) == width:
            return prefer, 1, e.wiring
        if self.cur is None:
            return b.sp.new("input", width), 1, e.wiring
        space, units, layout = self.cur
        if units == width:
            return space, 1, e.wiring
        if e.layer_type in ("linear", "rnn") and layout == "channel" and width % units == 0:
            b.notes.append(f"layer {e.name}: {width} inputs folded onto the {units} channels of "
                           f"{space!r} ({width // units} positions each; a channel-major flatten of a "
                           f"conv output assumed: pass the model for permuted layouts)")
            return space, width // units, "shapes"
        match = next((h for h in reversed(self.history) if h[1] == width), None)
        if match is not None:
            b.notes.append(f"layer {e.name}: its {width} inputs do not chain with the previous "
                           f"layer ({units} units); joined to the earlier space {match[0]!r} "
                           f"(a skip connection assumed)")
            return match[0], 1, "shapes"
        return b.fresh_input(e.name, width, f"its {width} inputs match no earlier layer"), 1, "shapes"

    # ------------------------------------------------------------------ conv-net residual blocks
    def close_block(self):
        if self.block is not None and not self.block_short and len(self.block_main) >= 2 and (
                self.block_in is not None and self.units(self.block_in) == self.units(self.block_main[-1])):
            self.b.skip(self.block_in, self.block_main[-1])
            self.b.notes.append(f"block {self.block}: identity shortcut assumed from its name and equal "
                                f"widths ({self.units(self.block_in)} units)")
        self.block, self.block_in, self.block_main, self.block_short = None, None, [], False

    def enter_block(self, e: _Entry):
        blk = _res_block(e.name) if e.role not in _ATTN_ROLES + _MLP_ROLES + ("embed",) else None
        if blk != self.block:
            self.close_block()
            self.block = blk
            self.block_in = self.cur[0] if (blk is not None and self.cur is not None) else None

    # ------------------------------------------------------------------ one entry
    def add(self, e: _Entry):
        b = self.b
        if isinstance(e.weight, torch.Tensor):
            _check_dtype(e.weight, e.name, b.source)
            _finite(e.weight, e.name, b.source)
        self.enter_block(e)
        role = e.role
        if role == "embed":
            self.embed(e)
        elif role in ("q", "k", "v"):
            if self.prev_role not in ("q", "k", "v") or self.attn_in is None:
                self.attn_in = self.stream if self.stream is not None else (self.cur[0] if self.cur else None)
            sid, fold, wiring = self.read(e, e.n_in, prefer=self.attn_in)
            out = b.sp.new(e.name, e.n_out)
            b.add(e.name, "linear", _mats(e.weight, "linear_t" if e.linear_t else "linear", source=b.source),
                  sid, out, e.param or f"{e.name}.weight", binary=True, wiring=wiring)
            if role == "v":
                self.v_out = out
            self.history.append((out, e.n_out))
        elif role == "o":
            self.attn_out(e)
        elif role in ("gate", "up"):
            if self.prev_role not in ("gate", "up") or self.mlp_in is None:
                self.mlp_in = self.stream if self.stream is not None else (self.cur[0] if self.cur else None)
                self.mlp_mid = None
            sid, fold, wiring = self.read(e, e.n_in, prefer=self.mlp_in)
            if self.mlp_mid is not None and self.units(self.mlp_mid) == e.n_out:
                out = self.mlp_mid  # gate * up: elementwise, the same units
            else:
                out = b.sp.new(e.name, e.n_out)
            b.add(e.name, "linear", _mats(e.weight, "linear_t" if e.linear_t else "linear", source=b.source),
                  sid, out, e.param or f"{e.name}.weight", binary=True, wiring=wiring)
            self.mlp_mid = out
            self.cur = (out, e.n_out, "feature")
        elif role == "down":
            sid, fold, wiring = self.read(e, e.n_in, prefer=self.mlp_mid)
            out = b.sp.new(e.name, e.n_out)
            b.add(e.name, "linear", _mats(e.weight, "linear_t" if e.linear_t else "linear", source=b.source),
                  sid, out, e.param or f"{e.name}.weight", binary=True, wiring=wiring)
            if self.mlp_in is not None:
                b.skip(self.mlp_in, out)
            self.stream = out
            self.cur = (out, e.n_out, "feature")
        elif role == "shortcut" and self.block_in is not None:
            self.shortcut(e)
        else:
            self.plain(e)
        if self.cur is not None:
            self.history.append((self.cur[0], self.cur[1]))
        self.prev_role = role

    def embed(self, e: _Entry):
        b = self.b
        tokens = b.sp.new("input" if not b.pending else f"{e.name}:tokens", e.n_in)
        if self.prev_role == "embed" and self.stream is not None and self.units(self.stream) == e.n_out:
            out = self.stream  # word + position + type embeddings are summed: one space
        else:
            out = b.sp.new(e.name, e.n_out)
        b.add(e.name, "embedding", _mats(e.weight, "embedding", source=b.source), tokens, out,
              e.param or f"{e.name}.weight", binary=True, wiring=e.wiring if e.wiring != "shapes" else "names")
        self.stream = out
        self.cur = (out, e.n_out, "feature")

    def attn_out(self, e: _Entry):
        b = self.b
        columns, wiring, sid = None, e.wiring, None
        if self.v_out is not None:
            v_units = self.units(self.v_out)
            if v_units == e.n_in:
                sid = self.v_out
            elif e.n_in % v_units == 0 and self.family is not None and self.family.head_dim:
                # grouped-query attention: query head h reads kv head h // (heads per kv head)
                hd = self.family.head_dim
                rep = e.n_in // v_units
                u = torch.arange(e.n_in)
                columns = (u // hd // rep) * hd + u % hd
                sid = self.v_out
        if sid is None:
            sid, _, wiring = self.read(e, e.n_in)
        out = b.sp.new(e.name, e.n_out)
        layer_type = "linear_t" if e.linear_t else "linear"
        b.add(e.name, "linear", _mats(e.weight, layer_type, source=b.source, columns=columns), sid, out,
              e.param or f"{e.name}.weight", binary=columns is None, wiring=wiring)
        if self.attn_in is not None:
            b.skip(self.attn_in, out)
        self.stream = out
        self.cur = (out, e.n_out, "feature")

    def shortcut(self, e: _Entry):
        """A projection shortcut reads the block's input and writes where its main path ends."""
        b = self.b
        width = e.n_in
        sid = self.block_in if self.units(self.block_in) == width else self.read(e, width)[0]
        main = self.block_main[-1] if self.block_main else None
        out = main if main is not None and self.units(main) == e.n_out else b.sp.new(e.name, e.n_out)
        layer_type = "conv" if e.layer_type == "conv" else e.layer_type
        b.add(e.name, layer_type, _mats(e.weight, "linear" if layer_type == "linear" else layer_type, source=b.source),
              sid, out, e.param or f"{e.name}.weight", binary=layer_type == "linear", wiring="names")
        self.block_short = True

    def plain(self, e: _Entry):
        b = self.b
        units = self.cur[1] if self.cur is not None else None
        groups, layer_type = e.groups, e.layer_type
        if e.role == "shortcut" and groups is None:  # named a shortcut: reads an earlier space, ungrouped
            groups = 1
        if layer_type == "conv" and groups is None:  # bare state_dict: n_in is per group
            groups = 1
            if units is not None and units != e.n_in:
                if units % e.n_in == 0 and e.n_out % (units // e.n_in) == 0:
                    groups = units // e.n_in
                    b.notes.append(f"layer {e.name}: groups={groups} inferred from the chain")
                elif e.weight is not None and int(e.weight.shape[0]) == units:  # only the transposed reading chains
                    layer_type = "conv_transpose"
                    e = _Entry(e.name, layer_type, int(e.weight.shape[0]), int(e.weight.shape[1]), e.weight, 1,
                               role=e.role, param=e.param, wiring="shapes")
                    b.notes.append(f"layer {e.name}: read as a ConvTranspose (its weight's first dimension "
                                   f"chains with the previous layer, its second does not)")
            width = e.n_in * groups
        elif layer_type == "conv_transpose" and groups is None:
            groups, width = 1, e.n_in
        else:
            width = e.n_in
        prefer = self.stream if (self.stream is not None and is_head_name(e.name)) else None
        sid, fold, wiring = self.read(e, width, prefer=prefer)
        if self.family is not None and prefer is not None and sid == prefer:
            wiring = "config"
        out = b.sp.new(e.name, e.n_out)
        if layer_type == "linear":
            b.add(e.name, "linear", _mats(e.weight, "linear_t" if e.linear_t else "linear", fold=fold,
                                          source=b.source),
                  sid, out, e.param or f"{e.name}.weight", binary=fold == 1, wiring=wiring)
            layout = "feature"
        elif layer_type in ("conv", "conv_transpose"):
            b.add(e.name, layer_type, _mats(e.weight, layer_type, groups=groups or 1, source=b.source), sid, out,
                  e.param or f"{e.name}.weight", wiring=wiring)
            layout = "channel"
        elif layer_type == "embedding":
            b.add(e.name, "embedding", _mats(e.weight, "embedding", source=b.source), sid, out,
                  e.param or f"{e.name}.weight", binary=True, wiring=wiring)
            layout = "feature"
        else:
            r = e.rnn
            if r is None:  # only recurrent entries reach here, and they carry their rnn record
                raise InputError(f"{b.source}: layer {e.name} of type {layer_type!r} has no recurrent record")
            if fold > 1:
                sid = b.fresh_input(e.name, e.n_in, "a recurrent layer cannot fold conv positions")
            out = b.add_rnn(e.name, r["mode"], r["get"], sid, num_layers=r["num_layers"],
                            bidirectional=r["bidirectional"], hidden=r["hidden"], cell=r.get("cell", False),
                            wiring=wiring)
            layout = "feature"
        if self.block is not None:
            self.block_main.append(out)
        self.history.append((sid, self.units(sid)))
        self.cur = (out, self.units(out), layout)

    def finish(self):
        self.close_block()


def _chain(entries: list[_Entry], b: _Builder, family: Family | None = None) -> None:
    """Join ``entries`` into ``b`` (then ``b.network()``, or ``b.plan()`` for a lazy builder)."""
    ch = _Chain(b, family)
    for e in entries:
        ch.add(e)
    ch.finish()


def _family(arch: Any) -> Family | None:
    """The family of ``arch``: a name must be known (else UsageError); a config dict whose
    ``model_type`` is not mapped gives ``None`` (the weights are then read from their names)."""
    if arch is None or isinstance(arch, Family):
        return arch
    fam = family_of(arch)
    if fam is None and not isinstance(arch, Mapping):
        raise UsageError(f"arch={arch!r}: not a known model family; use one of bert, gpt2, llama, mistral "
                         f"(or a config.json dict with model_type)")
    return fam


def _block_wiring(entries: list[_Entry]) -> str:
    """The per-block joins the roles of ``entries`` make, in words: the MLP part names a gate only
    where the checkpoint has one (Llama's gate/up -> down; BERT's and GPT-2's up -> down).

    Examples
    --------
    >>> _block_wiring([_Entry("l.0.attention.self.query", "linear", 4, 4, role="q"),
    ...                _Entry("l.0.intermediate.dense", "linear", 4, 8, role="up")])
    'per block q, k, v -> o and up -> down'
    """
    roles = {e.role for e in entries}
    parts = []
    if roles & {"q", "k", "v", "o"}:
        parts.append("q, k, v -> o")
    if roles & set(_MLP_ROLES):
        parts.append(("gate/up" if "gate" in roles else "up") + " -> down")
    return "per block " + (" and ".join(parts) if parts else "no attention or MLP projection found")


def _plan_state_dict(state_dict: Mapping[str, Any], b: _Builder, *, arch: Any = None) -> None:
    fam = _family(arch)
    if fam is None and isinstance(arch, Mapping):
        b.notes.append(f"config.json model_type {arch.get('model_type')!r} has no block map here; "
                       f"read like weights without a config")
    skipped: list[str] = []
    entries = _state_dict_entries(state_dict, b.source, fam, skipped)
    if fam is None:
        b.notes.append("no model to trace: layers ordered by key names (not file order) and joined by role "
                       "names and by chaining shapes; guessed layers are flagged (wiring 'names'/'shapes'); "
                       "pass model= / arch= or a config.json for an exact graph")
    else:
        b.notes.append(f"wiring from the {fam.name} block structure (config): {_block_wiring(entries)}, "
                       f"joined through the residual stream")
    if skipped:
        b.notes.append(f"skipped {len(skipped)} tensor(s) of 2+ dimensions: {'; '.join(skipped[:8])}"
                       + (" ..." if len(skipped) > 8 else ""))
    _chain(entries, b, fam)


def graph_from_state_dict(state_dict: Mapping[str, torch.Tensor], *, source: str = "state_dict",
                          arch: Any = None) -> NetworkGraph:
    """Build a :class:`NetworkGraph` from a bare state_dict, from what its key names mean.

    Layers are ordered by key semantics (:func:`~prunegraph.graph.roles.sort_key`), never by the
    file's key order, so ``.pt`` and ``.safetensors`` give the same graph.  Weights of two or
    more dimensions named ``*.weight`` become layers (2-d: Linear, or Embedding when the name
    says so; 3-5-d: Conv, groups inferred from the chain, ConvTranspose by name or when only
    that reading chains); ``weight_ih_l*``/``weight_hh_l*`` pairs (and cells' ``weight_ih`` /
    ``weight_hh``) become recurrent layers; ``in_proj_weight`` and GPT-2 ``c_attn`` are split
    into q, k, v.  Transformer blocks are joined by role: q, k, v read the residual stream,
    o reads v's units, gate and up write one space that down reads, and o and down write new
    versions of the stream (residual identities in :attr:`NetworkGraph.residuals`).  Other
    layers chain by shape: a layer reads the previous output when the widths match, folds a
    conv output into a Linear when ``in_features`` is a multiple of the channel count, and
    otherwise joins the most recent earlier space of its width.  Each layer's
    :attr:`~LayerGraph.wiring` says which rule placed it.

    Parameters
    ----------
    state_dict : mapping of str to tensor
    source : str
    arch : str, dict or Family, optional
        A model family (``"bert"``, ``"gpt2"``, ``"llama"``, ``"mistral"``) or a Hugging Face
        config dict: roles are then known, not guessed (GPT-2's Conv1D layout, grouped-query
        attention head size).

    Examples
    --------
    >>> import torch
    >>> sd = {"a.weight": torch.ones(4, 3), "b.weight": torch.ones(2, 4)}
    >>> net = graph_from_state_dict(sd)
    >>> net.spaces, net.notes[0][:26], net.layers[0].guessed
    ({'input': 3, 'a': 4, 'b': 2}, 'no model to trace: layers ', True)
    """
    b = _Builder(source)
    _plan_state_dict(state_dict, b, arch=arch)
    return b.network()
