"""Adam's state between minigan and PyTorch: a run continues on the other side with its moments.

minigan's :class:`~minigan.nn.optim.Adam` and ``torch.optim.Adam`` compute the same update
(document 001 §2.8.3 with bias correction, ``ε`` after the square root), so their states map
one to one, parameter by parameter (matched by PyTorch's name, ``"0.weight"``):

=========================  ============================================================
minigan ``Adam``           ``torch.optim.Adam``
=========================  ============================================================
``V[i]`` (first moment)    ``state[p]["exp_avg"]``
``S[i]`` (second moment)   ``state[p]["exp_avg_sq"]``
``t`` (steps taken)        ``state[p]["step"]`` (one per parameter, all equal here)
``lr``, ``beta1``,         ``lr``, ``betas``, ``eps``, ``weight_decay`` (L2 added to the
``beta2``, ``eps``,        gradient, not AdamW's decoupled decay)
``weight_decay``
=========================  ============================================================

What does not map is refused with a ValueError naming it: minigan's ``clip_norm`` (PyTorch
clips outside the optimizer, ``torch.nn.utils.clip_grad_norm_``), and PyTorch's ``amsgrad``,
``maximize``, decoupled weight decay or several parameter groups. PyTorch is imported inside
the functions.
"""

from __future__ import annotations

from .. import backend
from ..nn.module import Module
from ..nn.optim import Adam
from ..nn.torch_names import as_array, param_renames

__all__ = ["adam_to_torch", "adam_from_torch"]


def _torch():
    try:
        import torch
    except ImportError as e:
        raise ImportError("minigan.interop needs PyTorch for this: pip install torch") from e
    return torch


def _torch_names(module: Module) -> dict:
    """id(Parameter) -> its PyTorch name in ``module`` (``"0.weight"``)."""
    out = {}
    for prefix, m in module.named_modules():
        table = param_renames(m)
        for k, p in m.params.items():
            out[id(p)] = prefix + table.get(k, k)
    return out


def _pairs(opt: Adam, module: Module, torch_module, who: str) -> list:
    """``[(torch name, torch parameter)]`` in the order of ``opt.params``."""
    names = _torch_names(module)
    tparams = dict(torch_module.named_parameters())
    pairs = []
    for i, p in enumerate(opt.params):
        name = names.get(id(p))
        if name is None:
            raise ValueError(f"{who}: parameter {i} of the optimizer is not a parameter of {type(module).__name__}")
        if name not in tparams:
            raise ValueError(f"{who}: the torch module has no parameter {name!r} (it has {sorted(tparams)[:8]} ...)")
        tp = tparams[name]
        if tuple(tp.shape) != p.shape:
            raise ValueError(f"{who}: {name} has shape {tuple(tp.shape)} in the torch module, {p.shape} in minigan")
        pairs.append((name, tp))
    return pairs


def adam_to_torch(opt: Adam, module: Module, torch_module):
    """A ``torch.optim.Adam`` over ``torch_module``'s parameters that continues minigan's ``opt``.

    Parameters
    ----------
    opt : minigan.nn.optim.Adam
        The optimizer of ``module`` (its parameters, any order).
    module : Module
        The minigan model ``opt`` steps.
    torch_module : torch.nn.Module
        Its PyTorch twin (``to_torch(module)``, possibly converted further, e.g. to SyncBatchNorm:
        parameters are matched by name).

    Returns
    -------
    torch.optim.Adam
        Its parameter list in ``opt.params``' order, ``lr``, ``betas=(beta1, beta2)``, ``eps``,
        ``weight_decay`` from ``opt``; after a step (``opt.t > 0``) each parameter's ``step``,
        ``exp_avg`` (``V``) and ``exp_avg_sq`` (``S``), cast to the parameter's dtype and device.
        One step of each then gives the same weights (``tests/test_interop.py``).
    """
    torch = _torch()
    who = "adam_to_torch"
    if not isinstance(opt, Adam):
        raise TypeError(f"{who}: opt must be a minigan Adam, got {type(opt).__name__}")
    if opt.clip_norm is not None:
        raise ValueError(
            f"{who}: torch.optim.Adam has no clip_norm (got {opt.clip_norm}); clip with "
            f"torch.nn.utils.clip_grad_norm_ before each step and pass an Adam without clip_norm"
        )
    pairs = _pairs(opt, module, torch_module, who)
    topt = torch.optim.Adam(
        [tp for _, tp in pairs],
        lr=opt.lr,
        betas=(opt.beta1, opt.beta2),
        eps=opt.eps,
        weight_decay=opt.weight_decay,
    )
    if opt.t == 0:
        return topt
    sd = topt.state_dict()
    state = {}
    for i, (_, tp) in enumerate(pairs):
        V, S = opt.state["V"].get(i), opt.state["S"].get(i)
        zeros = torch.zeros_like(tp)
        state[i] = {
            "step": torch.tensor(float(opt.t)),
            "exp_avg": zeros.clone() if V is None else torch.from_numpy(backend.as_numpy(V).copy()),
            "exp_avg_sq": zeros.clone() if S is None else torch.from_numpy(backend.as_numpy(S).copy()),
        }
    sd["state"] = state
    topt.load_state_dict(sd)  # casts the moments to each parameter's dtype and device
    return topt


def adam_from_torch(torch_opt, torch_module, module: Module, opt: Adam | None = None) -> Adam:
    """minigan's Adam that continues ``torch_opt``: the reverse of :func:`adam_to_torch`.

    Parameters
    ----------
    torch_opt : torch.optim.Adam
        One parameter group over ``torch_module``'s parameters.
    torch_module : torch.nn.Module
        Its model (names matched to ``module``'s PyTorch names).
    module : Module
        The minigan twin.
    opt : minigan Adam, optional
        Load into this optimizer of ``module`` (keeping its parameter order); default: a new
        ``Adam(module.parameters())``.

    Returns
    -------
    Adam
        With ``t``, ``V``, ``S`` and the hyperparameters of ``torch_opt`` (moments cast to each
        parameter's dtype and device by :meth:`Adam.load_state_dict`).
    """
    torch = _torch()
    who = "adam_from_torch"
    if not isinstance(torch_opt, torch.optim.Adam):
        raise TypeError(f"{who}: torch_opt must be a torch.optim.Adam, got {type(torch_opt).__name__}")
    if len(torch_opt.param_groups) != 1:
        raise ValueError(f"{who}: torch_opt must have one parameter group, got {len(torch_opt.param_groups)}")
    group = torch_opt.param_groups[0]
    for key, bad in (("amsgrad", True), ("maximize", True), ("decoupled_weight_decay", True)):
        if group.get(key, False) == bad:
            raise ValueError(f"{who}: minigan's Adam has no {key}; torch_opt has {key}={bad}")
    if opt is None:
        opt = Adam(module.parameters())
    elif not isinstance(opt, Adam):
        raise TypeError(f"{who}: opt must be a minigan Adam or None, got {type(opt).__name__}")
    pairs = _pairs(opt, module, torch_module, who)
    in_group = {id(p) for p in group["params"]}
    arrays, steps = {}, set()
    for i, (name, tp) in enumerate(pairs):
        if id(tp) not in in_group:
            raise ValueError(f"{who}: {name} is not among torch_opt's parameters")
        st = torch_opt.state.get(tp)
        if not st:
            steps.add(0)
            continue
        steps.add(int(float(st["step"])))
        arrays[f"V.{i}"] = as_array(st["exp_avg"])
        arrays[f"S.{i}"] = as_array(st["exp_avg_sq"])
    if len(steps) > 1:
        raise ValueError(
            f"{who}: torch_opt's parameters have taken different numbers of steps {sorted(steps)}; "
            f"minigan's Adam keeps one step count"
        )
    beta1, beta2 = (float(b) for b in group["betas"])
    hyper: dict = dict(lr=float(group["lr"]), beta1=beta1, beta2=beta2, eps=float(group["eps"]))
    hyper.update(weight_decay=float(group["weight_decay"]), clip_norm=None)
    opt.load_state_dict({"step": steps.pop() if steps else 0, "hyper": hyper, "arrays": arrays})
    return opt
