"""Sequential: a chain of modules, forward in order and backward in reverse (docs/architecture.md §1).

There is no autograd graph: ``backward`` simply calls each layer's own ``backward`` from the
last layer to the first, handing each the gradient the next one returned (document 001 §2.9's
δˡ recursion, one layer at a time).
"""

from __future__ import annotations

from .module import Module

__all__ = ["Sequential"]


class Sequential(Module):
    """A chain of modules: ``forward`` runs them in order, ``backward`` in reverse.

    Iterable and indexable: ``for layer in seq``, ``seq[0]``, ``seq[1:3]`` (a Sequential),
    ``len(seq)``.
    """

    def __init__(self, *modules: Module):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], (list, tuple)):
            modules = tuple(modules[0])
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(f"Sequential: argument {i} must be a Module, got {type(m).__name__}")
        self.layers: list[Module] = list(modules)

    def children(self) -> list[Module]:
        return self.layers

    def append(self, module: Module) -> Sequential:
        if not isinstance(module, Module):
            raise TypeError(f"Sequential.append: expected a Module, got {type(module).__name__}")
        self.layers.append(module)
        return self

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)  # through __call__: each layer records its output shape
        return x

    def backward(self, dout):
        self._check_dout(dout)
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout

    def backward_params(self, dout) -> None:
        """:meth:`backward` without the input's gradient: the layers before the first one with
        parameters are skipped, and that one computes its parameter gradients only."""
        self._check_dout(dout)
        first = next((i for i, layer in enumerate(self.layers) if layer.parameters()), None)
        if first is None:
            return None
        for layer in reversed(self.layers[first + 1 :]):
            dout = layer.backward(dout)
        self.layers[first].backward_params(dout)
        return None

    def backward_input(self, dout):
        """:meth:`backward`'s input gradient, every layer leaving its parameter gradients as they were."""
        self._check_dout(dout)
        for layer in reversed(self.layers):
            dout = layer.backward_input(dout)
        return dout

    def __iter__(self):
        return iter(self.layers)

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return Sequential(*self.layers[idx])
        return self.layers[idx]

    def _label(self) -> str:
        return "Sequential"

    def __repr__(self) -> str:
        inner = "\n".join(f"  ({i}): {m!r}" for i, m in enumerate(self.layers))
        return f"Sequential(\n{inner}\n)" if self.layers else "Sequential()"

    def output_shape(self, input_shape: tuple) -> tuple:
        shape = tuple(input_shape)
        for layer in self.layers:
            shape = layer.output_shape(shape)
        return shape

    def _summary_rows(self, input_shape: tuple) -> list[tuple[str, tuple, int]]:
        rows: list[tuple[str, tuple, int]] = []
        shape = tuple(input_shape)
        for i, layer in enumerate(self.layers):
            sub = layer._summary_rows(shape)
            if isinstance(layer, Sequential):
                rows.extend((f"{i}.{name}", s, n) for name, s, n in sub)
            else:
                name, s, n = sub[0]
                rows.append((f"{i}: {name}", s, n))
            if sub:  # the last row's shape is the layer's output: no second forward pass
                shape = sub[-1][1]
        return rows
