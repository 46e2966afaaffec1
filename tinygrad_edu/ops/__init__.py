"""The primitive operations, one small ``Function`` class each (forward beside backward).

elementwise -- add, mul, neg, pow, exp, log, maximum, where
activations -- relu, sigmoid, tanh, log_softmax, step (kept primitive; see that module)
reduce      -- sum, max
shape       -- reshape, transpose, broadcast_to, indexing, concatenate, cast
linalg      -- matmul
conv        -- im2col, col2im (its adjoint), constant pad: the patches of conv and pooling
"""
