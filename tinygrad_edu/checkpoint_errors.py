"""What every load of a file refuses, and how much it may allocate: shared by the ``.npz``
checkpoints (serialization.py) and the safetensors files (safetensors_io.py).
"""

DEFAULT_MAX_BYTES = 2 ** 30  # what one tg.load may allocate (1 GiB) unless told otherwise


class CheckpointError(ValueError):
    """A checkpoint that is refused: not a checkpoint, damaged, unsafe, or over ``max_bytes``.

    ``tg.load`` raises it for files; an optimizer's ``load_state_dict`` raises it for state
    whose values no optimizer could have saved (a negative step count, a negative second
    moment, nan or inf), which would turn the parameters into nan at the next ``step()``.
    """
