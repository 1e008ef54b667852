"""The graders of every lesson's exercises, one module per lesson (``lessonNN.py``).

Each module defines ``EXERCISES``, a list of :class:`minigan.exercises.model.Exercise`: the inputs
of several shapes, what minigan's own implementation returns for them (its layers, losses,
optimizers, im2col, frechet_distance, ...; the reference answer only where minigan has no
counterpart), the central-difference gradients of anything with a backward pass, and the
known-wrong variants with their hints. :mod:`minigan.exercises.catalogue` collects them.
"""
