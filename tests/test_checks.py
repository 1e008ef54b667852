"""minigan.checks: the one home of argument validation. Each helper accepts what it should,
returns it normalised, and refuses the rest with a message naming the owner and argument."""

import math

import numpy as np
import pytest

from minigan.checks import (
    check_bool,
    check_float,
    check_number,
    check_pair,
    check_positive_int,
    is_int,
    is_real,
    parse_padding,
)


def test_predicates_refuse_bools():
    assert is_int(3) and is_int(np.int64(3)) and not is_int(True) and not is_int(3.0)
    assert is_real(3) and is_real(2.5) and is_real(np.float32(1)) and not is_real(False)
    assert not is_real("1") and not is_real(None)


def test_check_bool():
    assert check_bool("RNN", "bias", True) is True and check_bool("RNN", "bias", np.bool_(False)) is False
    for bad in (1, 0, "yes", None):
        with pytest.raises(TypeError, match=r"RNN: bias must be True or False, got"):
            check_bool("RNN", "bias", bad)


def test_check_positive_int():
    assert check_positive_int("Dense", "in_features", np.int32(4)) == 4
    with pytest.raises(TypeError, match=r"Dense: in_features must be an int >= 1, got bool True"):
        check_positive_int("Dense", "in_features", True)
    with pytest.raises(ValueError, match=r"Dense: in_features must be an int >= 1, got 0"):
        check_positive_int("Dense", "in_features", 0)


def test_check_pair_and_parse_padding():
    assert check_pair("Conv2D", "stride", 2, 1) == (2, 2)
    assert check_pair("Conv2D", "stride", [1, 3], 1) == (1, 3)
    with pytest.raises(ValueError, match=r"Conv2D: stride must be an int or a pair of ints, got \(1, 2, 3\)"):
        check_pair("Conv2D", "stride", (1, 2, 3), 1)
    with pytest.raises(ValueError, match=r"Conv2D: stride must be an int >= 1, got 0"):
        check_pair("Conv2D", "stride", (1, 0), 1)
    assert parse_padding("Conv2D", "SAME") == "same" and parse_padding("Conv2D", 0) == (0, 0)
    assert parse_padding("Conv2D", (1, 2)) == (1, 2)
    with pytest.raises(ValueError, match=r"Conv2D: padding must be .*'valid' or 'same', got 'full'"):
        parse_padding("Conv2D", "full")
    with pytest.raises(TypeError, match=r"Conv2D: padding must be .*got bool True"):
        parse_padding("Conv2D", True)
    with pytest.raises(TypeError, match=r"got float 1.5"):
        parse_padding("Conv2D", 1.5)


def test_check_number():
    assert check_number("Adam", "lr", 1, 0.0) == 1.0
    assert check_number("Adam", "beta1", 0.0, 0.0, 1.0, low_inclusive=True) == 0.0
    with pytest.raises(TypeError, match=r"Adam: lr must be a real number, got str '1'"):
        check_number("Adam", "lr", "1", 0.0)
    with pytest.raises(TypeError, match=r"got bool True"):
        check_number("Adam", "lr", True, 0.0)
    for bad in (0.0, -1, math.inf, math.nan):
        with pytest.raises(ValueError, match=r"Adam: lr must be a finite number in \(0, ∞\), got"):
            check_number("Adam", "lr", bad, 0.0)
    with pytest.raises(ValueError, match=r"Adam: beta1 must be a finite number in \[0, 1\), got 1"):
        check_number("Adam", "beta1", 1, 0.0, 1.0, low_inclusive=True)


def test_check_float():
    assert check_float("Dropout", "p", 0, 0.0, 1.0) == 0.0
    assert check_float("BatchNorm", "momentum", 1, 0.0, 1.0, high_inclusive=True) == 1.0
    assert check_float("ELU", "alpha", 2, 0.0, low_inclusive=False) == 2.0
    for bad in (1.0, -0.1, math.nan, "0.5", True, None):
        with pytest.raises(ValueError, match=r"Dropout: p must be a float in \[0, 1\), got"):
            check_float("Dropout", "p", bad, 0.0, 1.0)
    for bad in (0, -1.0, math.nan, "1"):
        with pytest.raises(ValueError, match=r"ELU: alpha must be a float > 0, got"):
            check_float("ELU", "alpha", bad, 0.0, low_inclusive=False)


# ---------------------------------------------------------------------------- command-line values
def test_argtypes_refuse_what_would_fail_later_or_run_silently():
    """minigan.argtypes: the type= of every command line: inf, nan, negative seeds, zero sizes
    and non-numbers are refused when parsed, with the value in the message."""
    import argparse

    from minigan import argtypes

    ok = {
        argtypes.positive_int: [("1", 1), (" 32 ", 32)],
        argtypes.nonnegative_int: [("0", 0)],
        argtypes.seed: [("0", 0), (str(2**63 - 1), 2**63 - 1)],
        argtypes.positive_float: [("2e-4", 2e-4), ("1", 1.0)],
        argtypes.float_in(0, 1): [("0", 0.0), ("0.999", 0.999)],
        argtypes.finite_float: [("-3.5", -3.5)],
    }
    for fn, cases in ok.items():
        for text, want in cases:
            assert fn(text) == want
    bad = {
        argtypes.positive_int: ["0", "-3", "1.5", "1e3", "", "ten", str(10**13)],
        argtypes.nonnegative_int: ["-1"],
        argtypes.seed: ["-1", str(2**63), "0.5"],
        argtypes.positive_float: ["0", "-1", "inf", "nan", "-inf", "1e400", "x"],
        argtypes.float_in(0, 1): ["1", "-0.1", "nan"],
        argtypes.float_in(0, 0.5): ["0.5"],
        argtypes.finite_float: ["inf", "nan"],
    }
    for fn, texts in bad.items():
        for text in texts:
            with pytest.raises(argparse.ArgumentTypeError, match=r"got '") as e:
                fn(text)
            assert repr(text) in str(e.value) or "expected" in str(e.value)
    p = argparse.ArgumentParser(prog="prog")
    p.add_argument("--lr", type=argtypes.positive_float)
    with pytest.raises(SystemExit) as e:
        p.parse_args(["--lr", "inf"])
    assert e.value.code == 2
