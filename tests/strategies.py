"""Hypothesis strategies for the op table: small shapes, broadcast pairs and constrained values.

Shapes stay tiny (sides 1..3, at most 3 dimensions) because finite differences evaluate the
function twice per input element.  Values are float64 and come in flavours that keep the
finite differences away from the places where an op is not differentiable: positive (log,
sqrt, pow base), away from zero (relu, abs, step, division), and a grid whose points are
far apart (max/min reductions and maximum need no ties within the step ``eps``).
"""

from __future__ import annotations

from collections.abc import Sequence

import hypothesis.extra.numpy as hnp
import numpy as np
from hypothesis import settings
from hypothesis import strategies as st

MAX_SIDE = 3
MAX_DIMS = 3

def examples(n: int) -> int:
    """``n`` examples normally; the explore profile's (larger) number when it is loaded."""
    return max(n, settings.default.max_examples) if settings.default.max_examples > 100 else n


# -- element values ----------------------------------------------------------------------------
REAL = st.floats(-2.0, 2.0, allow_nan=False, allow_infinity=False, allow_subnormal=False)
WIDE = st.floats(-6.0, 6.0, allow_nan=False, allow_infinity=False, allow_subnormal=False)
POSITIVE = st.floats(0.25, 3.0, allow_nan=False, allow_infinity=False)
AWAY_FROM_ZERO = st.one_of(st.floats(0.1, 2.0), st.floats(-2.0, -0.1))
# Points k/8 + 1/16: never 0, never +-0.5, and two different points are >= 1/8 apart.
GRID = st.integers(-16, 15).map(lambda k: k / 8 + 1 / 16)
# Points k/8: never equal to a GRID point, so maximum(GRID, OFF_GRID) has no ties.
OFF_GRID = st.integers(-16, 16).map(lambda k: k / 8)


def shapes(min_dims: int = 0, max_dims: int = MAX_DIMS, min_side: int = 1,
           max_side: int = MAX_SIDE) -> st.SearchStrategy[tuple[int, ...]]:
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side)


def arrays(shape: tuple[int, ...], elements: st.SearchStrategy[float] = REAL,
           unique: bool = False) -> st.SearchStrategy[np.ndarray]:
    return hnp.arrays(np.float64, shape, elements=elements, unique=unique)


def one(elements: st.SearchStrategy[float] = REAL,
        shape: st.SearchStrategy[tuple[int, ...]] | None = None,
        unique: bool = False) -> st.SearchStrategy[tuple[np.ndarray]]:
    """A single float64 array (as a 1-tuple of inputs)."""
    shape_strategy = shapes() if shape is None else shape
    return shape_strategy.flatmap(lambda s: arrays(s, elements, unique)).map(lambda a: (a,))


def broadcast_pair(x_elements: st.SearchStrategy[float] = REAL,
                   y_elements: st.SearchStrategy[float] = REAL
                   ) -> st.SearchStrategy[tuple[np.ndarray, np.ndarray]]:
    """Two arrays whose shapes broadcast together (equal shapes included)."""
    pair = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=MAX_DIMS,
                                             max_side=MAX_SIDE)
    return pair.flatmap(lambda bs: st.tuples(arrays(bs.input_shapes[0], x_elements),
                                             arrays(bs.input_shapes[1], y_elements)))


def where_triple() -> st.SearchStrategy[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(condition, x, y), three mutually broadcastable arrays; the condition is boolean."""
    triple = hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=MAX_DIMS,
                                               max_side=MAX_SIDE)
    return triple.flatmap(lambda bs: st.tuples(hnp.arrays(np.bool_, bs.input_shapes[0]),
                                               arrays(bs.input_shapes[1]),
                                               arrays(bs.input_shapes[2])))


# -- matmul operand shapes ---------------------------------------------------------------------
_side = st.integers(1, MAX_SIDE)


@st.composite
def matmul_shapes(draw: st.DrawFn, kind: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Shapes of X and Y for ``X @ Y``: kinds 1d1d, 2d, batched, 1d2d, 2d1d, 1dNd, Nd1d."""
    m, n, p = draw(_side), draw(_side), draw(_side)
    batch = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2,
                                                   max_side=2)).input_shapes
    if kind == "1d1d":
        return (n,), (n,)
    if kind == "2d":
        return (m, n), (n, p)
    if kind == "batched":  # at least one operand has batch dimensions; they broadcast
        bx, by = batch if batch[0] or batch[1] else ((2,), ())
        return (*bx, m, n), (*by, n, p)
    if kind == "1d2d":
        return (n,), (n, p)
    if kind == "2d1d":
        return (m, n), (n,)
    if kind == "1dNd":
        return (n,), (draw(_side), n, p)
    if kind == "Nd1d":
        return (draw(_side), m, n), (n,)
    raise ValueError(kind)


def matmul_pair(kind: str) -> st.SearchStrategy[tuple[np.ndarray, np.ndarray]]:
    return matmul_shapes(kind).flatmap(lambda s: st.tuples(arrays(s[0]), arrays(s[1])))


# -- parameters that depend on the input shapes --------------------------------------------------
def reduce_params(shape: tuple[int, ...]) -> st.SearchStrategy[dict]:
    """axis (None, an int -- maybe negative -- or a tuple) and keepdims."""
    ndim = len(shape)
    axes: st.SearchStrategy = st.none()
    if ndim:
        axes = st.one_of(st.none(), st.integers(-ndim, ndim - 1),
                         hnp.valid_tuple_axes(ndim, min_size=1))
    return st.fixed_dictionaries({"axis": axes, "keepdims": st.booleans()})


def softmax_params(shape: tuple[int, ...]) -> st.SearchStrategy[dict]:
    ndim = max(len(shape), 1)
    return st.fixed_dictionaries({"axis": st.integers(-ndim, ndim - 1)})


@st.composite
def reshape_target(draw: st.DrawFn, shape: tuple[int, ...]) -> tuple[int, ...]:
    """A shape with the same number of elements: the sides shuffled, 1s added, maybe a -1."""
    sides = list(shape) + [1] * draw(st.integers(0, 2))
    target = list(draw(st.permutations(sides)))
    if len(shape) == 2 and draw(st.booleans()):
        target = [int(np.prod(shape))]  # flattened
    if target and draw(st.booleans()):
        target[draw(st.integers(0, len(target) - 1))] = -1
    return tuple(target)


@st.composite
def broadcast_target(draw: st.DrawFn, shape: tuple[int, ...]) -> tuple[int, ...]:
    """A shape that ``shape`` broadcasts to: new leading sides, and size-1 sides grown."""
    lead = draw(st.lists(_side, max_size=1))
    grown = [draw(_side) if n == 1 else n for n in shape]
    return (*lead, *grown)


@st.composite
def concat_inputs(draw: st.DrawFn, stack: bool = False) -> tuple[np.ndarray, ...]:
    """1-3 arrays that agree on every side except (for concatenate) the joined axis."""
    base = list(draw(shapes(min_dims=1)))
    axis = draw(st.integers(0, len(base) - 1))
    count = draw(st.integers(1, 3))
    out = []
    for _ in range(count):
        s = list(base)
        if not stack:
            s[axis] = draw(_side)
        out.append(draw(arrays(tuple(s))))
    return tuple(out)


def integer_index(shape: tuple[int, ...]) -> st.SearchStrategy:
    """Integer-array indices (they may repeat, which must add up in backward)."""
    return hnp.integer_array_indices(
        shape, result_shape=hnp.array_shapes(min_dims=1, max_dims=2, max_side=4))


def mask_index(shape: tuple[int, ...]) -> st.SearchStrategy:
    """A boolean mask over the leading ``k`` axes of ``shape`` (k >= 1)."""
    return st.integers(1, len(shape)).flatmap(lambda k: hnp.arrays(np.bool_, shape[:k]))


def basic_index(shape: tuple[int, ...]) -> st.SearchStrategy:
    """Ints, slices (negative steps too), None and ...: NumPy basic indexing."""
    return hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True)


def shapes_of(arrays_: Sequence[np.ndarray]) -> tuple[tuple[int, ...], ...]:
    return tuple(a.shape for a in arrays_)


# -- images for the convolution and pooling rows (kept tiny: gradcheck is O(size²)) ------------------
@st.composite
def conv_inputs(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """An (N, C, H, W) image batch and an (O, C/groups, kh, kw) weight, groups 1 or 2."""
    groups = draw(st.sampled_from([1, 2]))
    n, in_per_group, out_per_group = draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(1, 2))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    h, w = draw(st.integers(kh, 5)), draw(st.integers(kw, 5))
    x = draw(arrays((n, in_per_group * groups, h, w)))
    weight = draw(arrays((out_per_group * groups, in_per_group, kh, kw)))
    return x, weight


def _fits(kernel: tuple[int, int], size: tuple[int, int], p: dict) -> bool:
    return all(p["dilation"] * (k - 1) + 1 <= n + 2 * p["padding"] for k, n in zip(kernel, size))


def conv_params(shapes_: tuple[tuple[int, ...], ...]) -> st.SearchStrategy[dict]:
    """stride, padding, dilation for which the kernel fits the padded input; groups from the shapes."""
    x, weight = shapes_
    return st.fixed_dictionaries({
        "stride": st.sampled_from([1, 2, (1, 2)]), "padding": st.integers(0, 2),
        "dilation": st.sampled_from([1, 2]),
    }).filter(lambda p: _fits(weight[2:], x[2:], p)).map(lambda p: {**p, "groups": x[1] // weight[1]})


def image(elements: st.SearchStrategy[float] = REAL, unique: bool = False
          ) -> st.SearchStrategy[tuple[np.ndarray]]:
    """One small (N, C, H, W) batch, H and W from 2 to 5."""
    sizes = st.tuples(st.integers(1, 2), st.integers(1, 2), st.integers(2, 5), st.integers(2, 5))
    return sizes.flatmap(lambda s: arrays(s, elements, unique)).map(lambda a: (a,))


def pool_params(shape: tuple[int, ...]) -> st.SearchStrategy[dict]:
    """kernel_size, stride, padding (at most half the kernel, as PyTorch allows) for an image."""
    side = min(shape[2:])
    return st.integers(1, min(3, side)).flatmap(lambda k: st.fixed_dictionaries({
        "kernel_size": st.just(k), "stride": st.sampled_from([None, 1, 2]),
        "padding": st.integers(0, k // 2)}))


def pad_params(shape: tuple[int, ...]) -> st.SearchStrategy[dict]:
    """PyTorch's pad order: (before, after) pairs from the last axis backwards."""
    return st.integers(1, len(shape)).flatmap(
        lambda k: st.fixed_dictionaries({
            "pad": st.lists(st.integers(0, 2), min_size=2 * k, max_size=2 * k).map(tuple),
            "value": st.sampled_from([0.0, -1.5])}))
