"""``tg.func``: function transforms, as ``torch.func`` names them.

``jvp`` and ``jacfwd`` run forward mode (forward.py), ``vjp``, ``grad`` and ``jacrev``
reverse mode (autograd.py); ``hessian`` and ``hvp`` are forward over reverse.  They take a
function of Tensors and give Tensors (or a new function), and compose:
``jacfwd(jacrev(f))``, ``grad(grad(f))``, ``jvp(grad(f), ...)``.
"""

from .transforms import grad, grad_and_value, hessian, hvp, jacfwd, jacrev, jvp, vjp

__all__ = ["jvp", "vjp", "grad", "grad_and_value", "jacrev", "jacfwd", "hessian", "hvp"]
