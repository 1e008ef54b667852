"""The reference answers of :mod:`minigan.exercises`, one module per lesson.

Each exercise is one function of ``lessonNN.py`` with the exercise's name (exercise
``"05.dense_backward"`` is :func:`lesson05.dense_backward`). Its signature and docstring
are the stub a student receives (:func:`minigan.exercises.stub_source` cuts the body
off); its body is the answer, written as a student would write it: NumPy only, float64,
the document's equation line by line. The module's top-level imports become the imports
of the student's file, so a module imports only what its stubs may use.

The stubs become the lessons' "Your turn" cells, whose code is at most 88 characters
wide (lessons/ruff.toml): these modules are wrapped at 88 too (the ruff.toml beside
them), the docstrings by hand, with the equations' continuation lines aligned.

These modules are graded like a student's file (``minigan-exercises new DIR
--solutions`` writes them out) and the graders check them against minigan's own layers;
they are not used by the engine.
"""
