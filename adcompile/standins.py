"""Python stand-ins for library functions whose own source adcompile cannot differentiate
(statistics uses exact fractions, try/except and sets; itertools is written in C). Lowering
inlines the stand-in where the user calls the original (lower/calls.py, STAND_INS): the loop or
the sum it computes, differentiated like the user's own code. Values equal the original's up
to rounding; an iterator comes back as a list (read by a loop, sum, list, ...). Where the data
is a number or array, ARRAY_STAND_INS read a 1-D array's entries at once."""
import itertools
import math
import statistics
import sys

import numpy as np


def mean(data):
    xs = list(data)
    if len(xs) == 0:
        raise statistics.StatisticsError("mean requires at least one data point")
    return math.fsum(xs) / len(xs)


def fmean(data, weights=None):
    if weights is not None and sys.version_info < (3, 11):  # (as Python 3.10's fmean)
        raise TypeError("fmean() takes 1 positional argument but 2 were given")
    xs = list(data)
    if len(xs) == 0:
        raise statistics.StatisticsError("fmean requires at least one data point")
    if weights is None:
        return math.fsum(xs) / len(xs)
    ws = list(weights)
    return math.fsum([x * w for x, w in zip(xs, ws)]) / math.fsum(ws)


def pvariance(data, mu=None):
    xs = list(data)
    if len(xs) == 0:
        raise statistics.StatisticsError("pvariance requires at least one data point")
    m = math.fsum(xs) / len(xs) if mu is None else mu
    return math.fsum([(x - m) ** 2 for x in xs]) / len(xs)


def variance(data, xbar=None):
    xs = list(data)
    if len(xs) < 2:
        raise statistics.StatisticsError("variance requires at least two data points")
    m = math.fsum(xs) / len(xs) if xbar is None else xbar
    return math.fsum([(x - m) ** 2 for x in xs]) / (len(xs) - 1)


def pstdev(data, mu=None):  # (a stand-in calls no other: adcompile's own are not inlined)
    xs = list(data)
    if len(xs) == 0:
        raise statistics.StatisticsError("pstdev requires at least one data point")
    m = math.fsum(xs) / len(xs) if mu is None else mu
    return math.sqrt(math.fsum([(x - m) ** 2 for x in xs]) / len(xs))


def stdev(data, xbar=None):
    xs = list(data)
    if len(xs) < 2:
        raise statistics.StatisticsError("stdev requires at least two data points")
    m = math.fsum(xs) / len(xs) if xbar is None else xbar
    return math.sqrt(math.fsum([(x - m) ** 2 for x in xs]) / (len(xs) - 1))


def accumulate(iterable, func=None, *, initial=None):
    out = [] if initial is None else [initial]
    for x in list(iterable):
        if len(out) == 0:
            out.append(x)
        elif func is None:
            out.append(out[-1] + x)
        else:
            out.append(func(out[-1], x))
    return out


def pairwise(iterable):
    xs = list(iterable)
    return [(xs[k], xs[k + 1]) for k in range(len(xs) - 1)]


def chain(*iterables):
    return [x for it in iterables for x in list(it)]


def chain_from_iterable(iterables):
    return [x for it in list(iterables) for x in list(it)]


def islice(iterable, *args):
    if len(args) == 0 or len(args) > 3:
        raise TypeError(f"islice expected at most 4 arguments, got {len(args) + 1}")
    if len(args) == 1:
        start, stop, step = None, args[0], None
    elif len(args) == 2:
        start, stop, step = args[0], args[1], None
    else:
        start, stop, step = args[0], args[1], args[2]
    if stop is not None and (isinstance(stop, float) or stop == -1):  # (Python's words: -1 is
        raise ValueError("Stop argument for islice() must be None or an integer: 0 <= x <= "
                         "sys.maxsize.")
    if (start is not None and (isinstance(start, float) or start < 0)) or \
            (stop is not None and stop < 0):  # (its C code's mark of a stop it cannot take)
        raise ValueError("Indices for islice() must be None or an integer: 0 <= x <= "
                         "sys.maxsize.")
    if step is not None and (isinstance(step, float) or step < 1):
        raise ValueError("Step for islice() must be a positive integer or None.")
    return list(iterable)[start:stop:step]


def product(*iterables, repeat=1):
    pools = [list(p) for p in iterables] * repeat
    out = [()]
    for pool in pools:
        out = [r + (y,) for r in out for y in pool]
    return out


def combinations(iterable, r):
    xs = list(iterable)
    picks = [()]  # the positions picked, in increasing order
    for _ in range(r):
        picks = [c + (k,) for c in picks for k in range(len(xs)) if len(c) == 0 or k > c[-1]]
    return [tuple(xs[k] for k in c) for c in picks]


def permutations(iterable, r=None):
    xs = list(iterable)
    picks = [()]  # the positions picked, each once
    for _ in range(len(xs) if r is None else r):
        picks = [c + (k,) for c in picks for k in range(len(xs)) if k not in c]
    return [tuple(xs[k] for k in c) for c in picks]


NOT_1D = "statistics reads the entries of a 1-D array, and this one has other dimensions"


def mean_of_array(data):
    xs = data  # (a 0-d or 2-D array: statistics' TypeError)
    if np.ndim(xs) != 1:
        raise TypeError(NOT_1D)
    if len(xs) == 0:
        raise statistics.StatisticsError("mean requires at least one data point")
    return math.fsum(xs) / len(xs)


def fmean_of_array(data, weights=None):
    if weights is not None and sys.version_info < (3, 11):
        raise TypeError("fmean() takes 1 positional argument but 2 were given")
    xs = data  # (a 0-d or 2-D array: statistics' TypeError)
    if np.ndim(xs) != 1:
        raise TypeError(NOT_1D)
    if len(xs) == 0:
        raise statistics.StatisticsError("fmean requires at least one data point")
    if weights is None:
        return math.fsum(xs) / len(xs)
    return math.fsum(xs * weights) / math.fsum(weights)


def pvariance_of_array(data, mu=None):
    xs = data  # (a 0-d or 2-D array: statistics' TypeError)
    if np.ndim(xs) != 1:
        raise TypeError(NOT_1D)
    if len(xs) == 0:
        raise statistics.StatisticsError("pvariance requires at least one data point")
    m = math.fsum(xs) / len(xs) if mu is None else mu
    return math.fsum((xs - m) ** 2) / len(xs)


def variance_of_array(data, xbar=None):
    xs = data  # (a 0-d or 2-D array: statistics' TypeError)
    if np.ndim(xs) != 1:
        raise TypeError(NOT_1D)
    if len(xs) < 2:
        raise statistics.StatisticsError("variance requires at least two data points")
    m = math.fsum(xs) / len(xs) if xbar is None else xbar
    return math.fsum((xs - m) ** 2) / (len(xs) - 1)


def pstdev_of_array(data, mu=None):
    xs = data  # (a 0-d or 2-D array: statistics' TypeError)
    if np.ndim(xs) != 1:
        raise TypeError(NOT_1D)
    if len(xs) == 0:
        raise statistics.StatisticsError("pstdev requires at least one data point")
    m = math.fsum(xs) / len(xs) if mu is None else mu
    return math.sqrt(math.fsum((xs - m) ** 2) / len(xs))


def stdev_of_array(data, xbar=None):
    xs = data  # (a 0-d or 2-D array: statistics' TypeError)
    if np.ndim(xs) != 1:
        raise TypeError(NOT_1D)
    if len(xs) < 2:
        raise statistics.StatisticsError("stdev requires at least two data points")
    m = math.fsum(xs) / len(xs) if xbar is None else xbar
    return math.sqrt(math.fsum((xs - m) ** 2) / (len(xs) - 1))


STAND_INS = {statistics.mean: mean, statistics.fmean: fmean, statistics.pvariance: pvariance,
             statistics.variance: variance, statistics.pstdev: pstdev,
             statistics.stdev: stdev, itertools.accumulate: accumulate,
             itertools.pairwise: pairwise, itertools.chain: chain,
             itertools.chain.from_iterable: chain_from_iterable, itertools.product: product,
             itertools.combinations: combinations, itertools.permutations: permutations,
             itertools.islice: islice}
# where the data is a number or an array (a 1-D array, read as its entries: vectorized)
ARRAY_STAND_INS = {statistics.mean: mean_of_array, statistics.fmean: fmean_of_array,
                   statistics.pvariance: pvariance_of_array,
                   statistics.variance: variance_of_array, statistics.pstdev: pstdev_of_array,
                   statistics.stdev: stdev_of_array}
