"""Python stand-ins for library functions whose own source adcompile cannot differentiate
(statistics uses exact fractions, try/except and sets; itertools is written in C). Lowering
inlines the stand-in where the user calls the original (lower/calls.py, STAND_INS): the loop or
the sum it computes, differentiated like the user's own code. Values equal the original's up
to rounding; an iterator comes back as a list (read by a loop, sum, list, ...)."""
import itertools
import math
import statistics
import sys


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


STAND_INS = {statistics.mean: mean, statistics.fmean: fmean, statistics.pvariance: pvariance,
             statistics.variance: variance, statistics.pstdev: pstdev,
             statistics.stdev: stdev, itertools.accumulate: accumulate,
             itertools.pairwise: pairwise}
