"""The logistic map at n = 8, as adcompile.swell.family_source('logistic', 8) writes it."""


def logistic_8(x):
    l1 = x
    l2 = 4 * l1 * (1 - l1)
    l3 = 4 * l2 * (1 - l2)
    l4 = 4 * l3 * (1 - l3)
    l5 = 4 * l4 * (1 - l4)
    l6 = 4 * l5 * (1 - l5)
    l7 = 4 * l6 * (1 - l6)
    l8 = 4 * l7 * (1 - l7)
    return l8
