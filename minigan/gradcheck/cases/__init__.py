"""Every layer's and loss's gradient-check cases, one module per topic.

Each topic module registers its cases with :func:`minigan.gradcheck.registry.register` when
it is imported; :func:`minigan.gradcheck.registered_cases` imports this package. A new topic
is one new module here plus one import line below (the order of the lines is the order of
``python -m minigan.gradcheck``'s table).
"""

from . import (
    activations,  # noqa: F401  ReLU, LeakyReLU, Sigmoid, Tanh, ELU, Softmax
    conditional,  # noqa: F401  Embedding, Concat, Conditional (the conditional GAN's joins)
    conv,  # noqa: F401  Conv2D, Conv2DTranspose
    layers,  # noqa: F401  Dense, Flatten, Reshape, Dropout, BatchNorm
    losses,  # noqa: F401  BCELoss, BCEWithLogitsLoss, MSELoss, CrossEntropyLoss
    pooling,  # noqa: F401  MaxPool2D, AvgPool2D
    recurrent,  # noqa: F401  RNN, LSTM
)
