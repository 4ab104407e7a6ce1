"""Wrappers that give a transformers model the one-tensor output every backend and the output check expect.

Runtime layer (models).
"""

from __future__ import annotations

from torch import nn


class HiddenStates(nn.Module):
    """A transformers model whose forward returns its last hidden states (a tensor, as every backend expects)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
        extra = {"token_type_ids": token_type_ids} if token_type_ids is not None else {}
        return self.model(input_ids=input_ids, attention_mask=attention_mask, **extra).last_hidden_state


class TokenOutput(nn.Module):
    """A module fed token ids whose forward returns a tensor: the first of a tuple, a dict or a transformers
    ModelOutput (its last hidden states, or its logits), as every backend and the output check expect."""

    def __init__(self, model: nn.Module, names: tuple[str, ...]) -> None:
        super().__init__()
        self.model, self.names = model, names

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
        given = {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": token_type_ids}
        out = self.model(**{name: given[name] for name in self.names if given[name] is not None})
        if hasattr(out, "to_tuple"):
            out = out.to_tuple()
        if isinstance(out, dict):
            out = next(iter(out.values()))
        return out[0] if isinstance(out, (tuple, list)) else out
