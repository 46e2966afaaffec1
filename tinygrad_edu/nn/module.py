"""``Module``: the base class of layers and models, plus ``Parameter``, ``ModuleList``, ``Sequential``.

A module is a Python object whose attributes are its learnable tensors and its sub-modules.
Assigning one (``self.fc1 = Linear(2, 4)``) registers it, so ``parameters()`` can find every
weight without being told, and each parameter tensor carries its dotted name (``fc1.weight``)
for error messages and graph pictures.  Calling a module runs ``forward`` inside a module
scope (``Config.scope``), which labels the recorded ops so a picture can fold the call into
one box.  Nothing here computes a gradient: the engine does that for whatever ``forward`` builds.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple

import numpy as np

from ..autograd import HookHandle
from ..config import Config
from ..device import check_device, names_device
from ..richdisplay import module_html
from ..tensor import Tensor


class Parameter(Tensor):
    """A learnable tensor: a ``Tensor`` that requires grad by default.

    ``nn.Parameter(data)`` is what PyTorch users expect to write; any leaf tensor with
    ``requires_grad=True`` assigned to a module attribute is registered the same way.  The
    class only matters for ``Parameter(data, requires_grad=False)``: a frozen weight that
    should still be saved in ``state_dict`` and found by ``parameters()``.
    """

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True, dtype: Any = None,
                 name: str | None = None) -> None:
        super().__init__(data, requires_grad=requires_grad, dtype=dtype, name=name)


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(..., strict=False)`` did not match (both lists are sorted)."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class Module:
    """Base class for everything with parameters: layers, losses, whole models.

    Subclasses call ``super().__init__()`` first, assign parameters and sub-modules as
    attributes, and define ``forward``::

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc1 = nn.Linear(2, 4)     # registered as "fc1"; weight named "fc1.weight"
                self.fc2 = nn.Linear(4, 1)

            def forward(self, x):
                return self.fc2(self.fc1(x).relu())

    A tensor attribute is registered as a parameter when it is an ``nn.Parameter`` or a leaf
    tensor with ``requires_grad=True``; other tensors (constants, cached activations) stay
    plain attributes.
    """

    # Set in __init__ (through object.__setattr__); declared here for readers and type checkers.
    training: bool
    _parameters: OrderedDict[str, Tensor]
    _modules: OrderedDict[str, Module]
    _buffers: OrderedDict[str, Tensor]
    _call_name: str | None
    # Made on the first register_forward_hook; a class-level None keeps __call__'s check cheap.
    _forward_hooks: list[Callable[[Module, tuple, Any], Any]] | None = None

    def __init__(self) -> None:
        # object.__setattr__: our own __setattr__ needs these dictionaries to exist already.
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())  # state that is not trained (BatchNorm)
        object.__setattr__(self, "_call_name", None)  # attribute name inside the parent
        object.__setattr__(self, "training", True)

    # -- registration ------------------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        params: dict[str, Tensor] | None = self.__dict__.get("_parameters")
        modules: dict[str, Module] | None = self.__dict__.get("_modules")
        if params is None or modules is None:
            raise AttributeError(
                f"cannot assign {name!r} before Module.__init__() ran; call super().__init__() "
                f"at the start of {type(self).__name__}.__init__"
            )
        if isinstance(value, Module):
            params.pop(name, None)
            modules[name] = value
            _adopt(value, name)
            _NAMES.changed()
        elif isinstance(value, Tensor) and _is_parameter(value, was_parameter=name in params):
            if not value.is_leaf:
                raise TypeError(
                    f"cannot assign the computed tensor to parameter {name!r} of "
                    f"{type(self).__name__}: a parameter must be a leaf. To change its values, "
                    f"write {name}.data = new_values (or assign new_values.detach())"
                )
            modules.pop(name, None)
            params[name] = value
            value.name = name
            _NAMES.changed()
        elif name in self._buffers and isinstance(value, Tensor):
            self._buffers[name] = value  # a new running statistic replaces the old one
        elif name in params or name in modules:
            params.pop(name, None)
            modules.pop(name, None)
            _NAMES.changed()
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        _NAMES.changed()
        object.__delattr__(self, name)

    def register_parameter(self, name: str, tensor: Tensor) -> None:
        """Register ``tensor`` as parameter ``name`` even if it does not require grad (frozen)."""
        if not isinstance(tensor, Tensor):
            raise TypeError(f"register_parameter({name!r}, ...) needs a Tensor, got {type(tensor).__name__}")
        self._modules.pop(name, None)
        self._parameters[name] = tensor  # marks the name, so __setattr__ keeps it a parameter
        setattr(self, name, tensor)

    def register_buffer(self, name: str, tensor: Tensor) -> None:
        """Register ``tensor`` as buffer ``name``: module state that is saved in ``state_dict``
        but not trained (BatchNorm's ``running_mean``), as ``torch.nn.Module.register_buffer``."""
        if not isinstance(tensor, Tensor) or tensor.requires_grad:
            raise TypeError(f"register_buffer({name!r}, ...) needs a Tensor that does not require "
                            f"grad, got {tensor!r}; a trained tensor is a parameter")
        self._buffers[name] = tensor
        object.__setattr__(self, name, tensor)

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        """``(dotted_name, tensor)`` for every buffer, module by module as ``named_parameters``."""
        for module_name, module in self.named_modules(prefix):
            for name, b in module._buffers.items():
                yield _join(module_name, name), b

    def add_module(self, name: str, module: Module) -> None:
        """Register ``module`` under ``name`` (for names that are not Python identifiers)."""
        if not isinstance(module, Module):
            raise TypeError(f"add_module({name!r}, ...) needs a Module, got {type(module).__name__}")
        setattr(self, name, module)

    # -- walking the tree -----------------------------------------------------------------------
    def named_children(self) -> Iterator[tuple[str, Module]]:
        yield from self._modules.items()

    def children(self) -> Iterator[Module]:
        yield from self._modules.values()

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module (name ``prefix``) and every sub-module, depth first, each once."""
        seen: set[int] = set()
        stack: list[tuple[str, Module]] = [(prefix, self)]
        while stack:  # an explicit stack, in registration order
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            kids = [(_join(name, k), m) for k, m in module._modules.items()]
            stack.extend(reversed(kids))

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        """``(dotted_name, tensor)`` pairs: own parameters first, then each child's, in order.

        A tensor shared by two layers is listed once (its first name) unless
        ``remove_duplicate=False``.
        """
        seen: set[int] = set()
        owners = self.named_modules(prefix) if recurse else iter([(prefix, self)])
        for module_name, module in owners:
            for name, p in module._parameters.items():
                if remove_duplicate and id(p) in seen:
                    continue
                seen.add(id(p))
                yield _join(module_name, name), p

    def parameters(self, recurse: bool = True) -> Iterator[Tensor]:
        """Every parameter tensor (frozen ones included), each once; pass it to an optimizer."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def num_parameters(self, trainable_only: bool = False) -> int:
        """How many numbers the parameters hold (only those with requires_grad if asked)."""
        return sum(p.size for p in self.parameters() if p.requires_grad or not trainable_only)

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every sub-module and then on this one (e.g. custom initialisation)."""
        for module in list(self.modules())[::-1]:
            fn(module)
        return self

    # -- modes and gradients ----------------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Switch this module and all sub-modules to training mode (``training=True``)."""
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self) -> Module:
        """Evaluation mode: ``training=False`` everywhere, so e.g. Dropout does nothing."""
        return self.train(False)

    def zero_grad(self) -> None:
        """Forget accumulated gradients (``.grad = None``) before the next backward."""
        for p in self.parameters():
            p.grad = None

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Freeze (``False``) or unfreeze every parameter; frozen ones get no ``.grad``."""
        for p in self.parameters():
            p.requires_grad = requires_grad
        return self

    def astype(self, dtype: Any) -> Module:
        """Convert every parameter's data to ``dtype`` in place (gradients are dropped)."""
        dt = np.dtype(dtype)
        if dt.kind != "f":
            raise ValueError(f"parameters must stay floating point, got dtype {dt}")
        for p in self.parameters():
            p.data, p.grad = p.data.astype(dt), None
        for _, b in self.named_buffers():  # float statistics follow; a step counter stays integer
            if b.dtype.kind == "f":
                b.data = b.data.astype(dt)
        return self

    def to(self, *args: Any, dtype: Any = None, device: Any = None, non_blocking: bool = False) -> Module:
        """``model.to(device)``, ``model.to(dtype)`` or both: the device must be the CPU
        (tinygrad_edu computes with NumPy there); a float dtype converts every parameter."""
        for arg in args:
            if names_device(arg):
                device = arg
            else:
                dtype = arg
        check_device(device, f"{type(self).__name__}.to")
        return self if dtype is None else self.astype(dtype)

    def cpu(self) -> Module:
        """The module itself: its parameters are already on the CPU."""
        return self

    def cuda(self, device: Any = None) -> Module:
        """Always a RuntimeError: tinygrad_edu has no GPU back end."""
        check_device("cuda" if device is None else device, f"{type(self).__name__}.cuda")
        return self

    def double(self) -> Module:
        """float64 parameters (for gradient checks and careful experiments)."""
        return self.astype(np.float64)

    def float(self) -> Module:
        """float32 parameters (the default dtype)."""
        return self.astype(np.float32)

    # -- calling ------------------------------------------------------------------------------------
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            f"{type(self).__name__} has no forward(); define forward(self, x) in the subclass"
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run ``forward`` with the recorded ops labelled by this call (for graph pictures)."""
        outer = Config.scope
        if not outer and not _NAMES.current(self):  # the outermost call names everything
            self._refresh_names()
        # config.module_scope's work, written out: a module call is on every forward's path.
        Config.scope = outer + (self.scope_label(),)
        try:
            out = self.forward(*args, **kwargs)
        finally:
            Config.scope = outer
        if self._forward_hooks:
            for hook in list(self._forward_hooks):
                replaced = hook(self, args, out)
                out = out if replaced is None else replaced
        return out

    def register_forward_hook(self, hook: Callable[[Module, tuple, Any], Any]) -> HookHandle:
        """Call ``hook(module, inputs, output)`` after every ``forward`` of this module.

        As in PyTorch: ``inputs`` is the tuple of positional arguments, and a hook that
        returns something other than ``None`` replaces the output.  Hooks only read what a
        call produced (``viz.GradientMonitor`` keeps activation statistics this way); they
        run outside the module's scope, so ops they record are not drawn inside its box.
        ``handle.remove()`` unregisters the hook.
        """
        if not callable(hook):
            raise TypeError(f"register_forward_hook(hook): hook must be a function "
                            f"hook(module, inputs, output), got {type(hook).__name__}")
        if self._forward_hooks is None:
            object.__setattr__(self, "_forward_hooks", [])
        assert self._forward_hooks is not None
        self._forward_hooks.append(hook)
        return HookHandle(self._forward_hooks, hook)

    def _refresh_names(self) -> None:
        """Give every sub-module its attribute name and every parameter its dotted name."""
        for path, module in self.named_modules():
            if path:
                object.__setattr__(module, "_call_name", path.rsplit(".", 1)[-1])
            for name, p in module._parameters.items():
                p.name = _join(path, name)
        _NAMES.given_by(self)

    def scope_label(self) -> str:
        """``fc1: Linear(2→4)``: the attribute name in the parent (if any) and a short summary."""
        short = self.short_repr()
        return short if self._call_name is None else f"{self._call_name}: {short}"

    def short_repr(self) -> str:
        """A one-line description for graph clusters; layers override it (``Linear(2→4)``)."""
        return type(self).__name__

    # -- checkpoints ---------------------------------------------------------------------------------
    def state_dict(self) -> OrderedDict[str, np.ndarray]:
        """``{dotted_name: copy of the array}``: each module's parameters, then its buffers, in
        ``named_modules`` order (the order and names of ``torch.nn.Module.state_dict``)."""
        return OrderedDict((name, t.data.copy()) for name, t in self._state_tensors())

    def _state_tensors(self) -> Iterator[tuple[str, Tensor]]:
        for module_name, module in self.named_modules():
            for name, t in (*module._parameters.items(), *module._buffers.items()):
                yield _join(module_name, name), t

    def load_state_dict(self, state_dict: dict[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy arrays from ``state_dict`` into the parameters with the same names.

        Everything is checked before anything is written, so a bad checkpoint leaves the
        module unchanged.  Shapes must always match.  With ``strict=True`` (the default) the
        names must match exactly too; with ``strict=False`` missing and unexpected names are
        returned instead of raised.  Values are cast to each parameter's dtype.
        """
        if not hasattr(state_dict, "items"):
            raise TypeError(
                f"load_state_dict expects a dict of name -> array, got {type(state_dict).__name__}"
            )
        own = dict(self._state_tensors())
        missing = sorted(set(own) - set(state_dict))
        unexpected = sorted(set(state_dict) - set(own))
        problems: list[str] = []
        arrays: dict[str, np.ndarray] = {}
        for name in own:
            if name not in state_dict:
                continue
            value = state_dict[name]
            array = np.asarray(value.data if isinstance(value, Tensor) else value)
            if array.dtype.kind not in "biuf":
                problems.append(f"{name!r} holds non-numeric data of dtype {array.dtype}")
            elif array.shape != own[name].shape:
                problems.append(
                    f"shape mismatch for {name!r}: the checkpoint has {array.shape}, "
                    f"the module has {own[name].shape}"
                )
            else:
                arrays[name] = array
        if strict and missing:
            problems.append(f"missing keys (in the module, not in the checkpoint): {missing}")
        if strict and unexpected:
            problems.append(f"unexpected keys (in the checkpoint, not in the module): {unexpected}")
        if problems:
            raise ValueError(
                f"cannot load the state dict into {type(self).__name__}; nothing was loaded:\n  "
                + "\n  ".join(problems)
            )
        for name, array in arrays.items():
            own[name].data[...] = array  # in place, so optimizers holding the tensor see it
        return IncompatibleKeys(missing, unexpected)

    # -- printing ---------------------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The text between the parentheses of this module's line in ``repr``."""
        return ""

    def __repr__(self) -> str:
        lines = [f"({name}): " + _indent(repr(m)) for name, m in self._modules.items()]
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"

    def _repr_html_(self) -> str:
        return module_html(self)  # Jupyter: the tree with parameter shapes and counts


class ModuleList(Module):
    """A list of modules whose parameters are registered (named ``0``, ``1``, ...).

    Use it instead of a plain Python list, which ``Module`` cannot see into.  It has no
    ``forward``: loop over it in your own ``forward``.
    """

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        for m in modules or ():
            self.append(m)

    def append(self, module: Module) -> ModuleList:
        """Add ``module`` at the end, registered under the next free number."""
        if not isinstance(module, Module):
            raise TypeError(
                f"{type(self).__name__} holds Modules, got {type(module).__name__}; "
                "wrap functions in a Module subclass (activations exist as nn.ReLU() etc.)"
            )
        name = str(len(self._modules))
        if name in self._modules:  # only possible when a Sequential was built with names
            raise ValueError(
                f"{type(self).__name__}.append: the name {name!r} is already taken by a named "
                "entry; use add_module(name, module) with a new name instead"
            )
        setattr(self, name, module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        for m in modules:
            self.append(m)
        return self

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(list(self._modules.values()))

    def __getitem__(self, index: int | slice) -> Any:
        items = list(self._modules.values())
        if isinstance(index, slice):
            return type(self)(items[index])
        return items[_check_index(index, len(items), type(self).__name__)]


class Sequential(ModuleList):
    """Modules applied one after another: ``Sequential(Linear(2, 4), ReLU(), Linear(4, 1))``.

    Also accepts one list (``Sequential([a, b])``) or an ordered dict of names
    (``Sequential(OrderedDict(fc1=..., act=...))``, giving parameter names like
    ``fc1.weight``).  Index, slice, ``len``, iterate and ``append`` like a list.
    """

    def __init__(self, *modules: Any) -> None:
        Module.__init__(self)
        if len(modules) == 1 and isinstance(modules[0], dict):
            for name, m in modules[0].items():
                if not isinstance(m, Module):
                    raise TypeError(f"Sequential entry {name!r} is a {type(m).__name__}, not a Module")
                setattr(self, name, m)
            return
        if len(modules) == 1 and isinstance(modules[0], (list, tuple)):
            modules = tuple(modules[0])
        for m in modules:
            self.append(m)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):  # keep the entries' names (fc1, ...) in the slice
            return Sequential(OrderedDict(list(self._modules.items())[index]))
        return super().__getitem__(index)

    def forward(self, x: Any) -> Any:
        for module in self._modules.values():
            x = module(x)
        return x


# -- helpers ------------------------------------------------------------------------------------------
class _Naming:
    """Whether the parameter names are still the ones the last outermost call gave.

    Names are relative to the module called from outside (``fc1.weight`` inside ``model``,
    ``weight`` when ``model.fc1`` is called on its own), so they are given again when another
    module is called from outside or when any module registers or drops a parameter or a
    child -- not on every forward, where walking the whole tree cost about a tenth of a
    small model's step.  (A name you set by hand on a parameter stays until one of those.)
    """

    def __init__(self) -> None:
        self.generation = 0  # bumped by every change to any module's registry
        self.root: int | None = None  # id() of the module that gave the current names
        self.root_generation = -1

    def changed(self) -> None:
        self.generation += 1

    def given_by(self, module: Module) -> None:
        self.root, self.root_generation = id(module), self.generation

    def current(self, module: Module) -> bool:
        # id() may be reused by a new module, but building one changes the generation.
        return self.root == id(module) and self.root_generation == self.generation


_NAMES = _Naming()


def _is_parameter(value: Tensor, was_parameter: bool) -> bool:
    """Parameters: nn.Parameter, leaves that require grad, anything replacing a parameter."""
    return isinstance(value, Parameter) or was_parameter or (value.is_leaf and value.requires_grad)


def _adopt(child: Module, name: str) -> None:
    """Record the child's attribute name and prefix its parameters' names with it."""
    object.__setattr__(child, "_call_name", name)
    for sub_name, p in child.named_parameters(prefix=name):
        p.name = sub_name


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _indent(text: str) -> str:
    return text.replace("\n", "\n  ")


def _check_index(index: int, length: int, owner: str) -> int:
    if not isinstance(index, (int, np.integer)) or not -length <= index < length:
        raise IndexError(f"{owner} index {index!r} is out of range for {length} modules")
    return int(index) % length
