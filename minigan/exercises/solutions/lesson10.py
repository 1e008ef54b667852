"""Lesson 10: a CNN classifier (document 001 §3.4, document 003 ch. 1)."""


def conv_param_count(c_in, c_out, kh, kw, bias=True):
    """The number of learned parameters of a convolutional layer.

    Document 001 §3.4 (LeNet-5's table): each of the c_out filters has kh·kw·c_in
    weights and, with a bias, one bias:
        parameters = c_out · (kh · kw · c_in + 1)
        parameters = c_out · kh · kw · c_in                (without bias)

    Parameters
    ----------
    c_in, c_out, kh, kw : int;  bias : bool

    Returns
    -------
    int
    """
    return c_out * (kh * kw * c_in + (1 if bias else 0))
