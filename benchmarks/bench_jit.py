"""adcompile.jit (Numba) against CPython on scalar loops: the logistic map and a building's thermal
simulation in plain floats (after PassiveLogic's differentiable-programming benchmark).

Targets (issue 11): jit(grad(f)) at least 20x faster than grad(f), and at most 3.5x jit(f).
Each case runs twice: `exact` (the default: the operations Python does, rounded as Python rounds
them) and `fastmath` (jit(..., fastmath=True): reassociated, reciprocals, fused multiply-adds).

Run: python benchmarks/bench_jit.py   (needs numba; ratios are measured in one run)
"""
import checkout  # noqa: F401  (first: this checkout's adcompile, one BLAS thread)
import sys
import time

import numpy as np

from adcompile import grad, jit
from bench_core import best


def logistic(r, x):
    for i in range(1000):
        x = r * x * (1.0 - x)
    return x


D_TIME = 0.1  # seconds per step
PI = 3.14159265359


def tube_resistance(area, spacing, diameter, thickness, resistivity):
    """Thermal resistance of the floor's heating tubes."""
    surface = area / spacing * PI * diameter
    return resistivity * thickness / surface * 10.0


def building(spacing, diameter, tube_thickness, resistivity,
             slab_temp, area, slab_cp, slab_density, slab_thickness,
             power, fluid_temp, flow, fluid_density, fluid_cp,
             tank_temp, tank_volume, tank_cp, tank_density):
    """A tank heats a fluid that heats a concrete slab through tubes; 20 steps; the loss is the
    distance of the slab's final temperature from a target."""
    slab_mass = area * slab_thickness * slab_density
    tank_mass = tank_volume * tank_density
    conductance = 1.0 / tube_resistance(area, spacing, diameter, tube_thickness, resistivity)
    for i in range(20):
        power = (tank_temp - fluid_temp) * flow * fluid_density * fluid_cp  # tank -> fluid
        tank_temp = tank_temp - power * D_TIME / tank_cp / tank_mass
        fluid_temp = fluid_temp + power * D_TIME / fluid_cp / (flow * D_TIME * fluid_density)
        power = (slab_temp - fluid_temp) * conductance  # fluid -> slab
        fluid_temp = fluid_temp + power * D_TIME / fluid_cp / (flow * D_TIME * fluid_density)
        slab_temp = slab_temp - power * D_TIME / slab_cp / slab_mass
    return abs(slab_temp - 27.344767)


BUILDING = (0.50292, 0.019, 0.001588, 2.43,             # tube: spacing, diameter, thickness, ...
            21.1111111, 100.0, 0.2, 2242.58, 0.101,     # slab: temperature, area, Cp, ...
            0.0, 60.0, 0.0006309, 1000.0, 4180.0,       # fluid: power, temperature, flow, ...
            70.0, 0.0757082, 4180.0, 1000.0)            # tank: temperature, volume, Cp, density

CASES = [("logistic map, 1000 steps", logistic, (3.7, 0.3)),
         ("building simulation, 20 steps, 18 parameters", building, BUILDING)]


def main():
    print(f"{'case':46} {'math':>8} {'f':>9} {'grad(f)':>9} {'jit(f)':>9} {'jit(grad)':>9} "
          f"{'speedup':>8} {'jit(grad)/jit(f)':>17} {'compile':>8}")
    for name, f, args in CASES:
        df = grad(f, argnums=tuple(range(len(args))))
        expected = df(*args)
        t_f, t_g = best(f, *args), best(df, *args)
        for fastmath in (False, True):
            start = time.perf_counter()
            jf, jdf = jit(f, fastmath=fastmath), jit(df, fastmath=fastmath)
            got = jdf(*args)
            jf(*args)
            compile_s = time.perf_counter() - start
            # exact: the same operations as Python; fastmath: reassociated, within rounding
            assert np.allclose(got, expected, rtol=1e-9 if fastmath else 1e-12, atol=0), \
                (got, expected)
            t_jf, t_jg = best(jf, *args), best(jdf, *args)
            print(f"{name:46} {'fastmath' if fastmath else 'exact':>8} {t_f * 1e6:7.1f}us "
                  f"{t_g * 1e6:7.1f}us {t_jf * 1e6:7.2f}us {t_jg * 1e6:7.2f}us "
                  f"{t_g / t_jg:7.0f}x {t_jg / t_jf:16.2f}x {compile_s:7.2f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
