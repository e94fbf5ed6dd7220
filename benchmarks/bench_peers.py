"""adcompile's gradients against the other Python AD tools, on issue 11's workloads: a building's
thermal simulation and two scalar loops in plain floats, softmax cross-entropy and an RNN on small
arrays. Each tool runs the same computation written its own way (autograd.numpy, jax.numpy with
x64 on, torch tensors of float64); a tool that is not installed is left out of the table.

Run: python benchmarks/bench_peers.py   (about 40 s with all of them, and a minute more the first
time, while Numba compiles; one thread each: one BLAS thread, XLA's and PyTorch's intra-op
threads at one). Each cell is the best time of one gradient call in microseconds (the columns of
a row measured in interleaved rounds), and in brackets that time over adcompile's `grad`. JAX's
`jit` compiles the two scalar loops as `lax.fori_loop`, as a JAX user writes them (unrolled, the
logistic map's 1000 steps take 4 s to compile), the others as the Python loop; PyTorch
differentiates with `torch.autograd.grad` from leaves made once. JAX's `grad` (op by op, no
`jit`) is left out of the logistic map: seconds a call.
"""
import checkout  # noqa: F401  (first: this checkout's adcompile, one BLAS thread)
import math
import os
import sys
import time

import numpy as np

os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false "
                                   "intra_op_parallelism_threads=1")

from adcompile import grad  # noqa: E402
from bench_loops import rnn, rnn_by_hand  # noqa: E402
from bench_speed import BUILDING, building, logistic, logistic_by_hand, sine_sum, \
    softmax_by_hand, softmax_xent  # noqa: E402

N_BUILDING = len(BUILDING)


def timings(calls, budget=0.04, rounds=7):
    """Best seconds per call of each, the rounds of all of them interleaved (a slow moment of
    the machine hits every column of a row alike); each batch of calls fills about `budget`."""
    numbers = []
    for call in calls:
        call()  # (JAX's jit compiles at the first call, Numba at the first of a new type)
        start = time.perf_counter()
        call()
        numbers.append(max(1, int(budget / max(time.perf_counter() - start, 1e-7))))
    best = [math.inf] * len(calls)
    for _ in range(rounds):
        for k, (call, number) in enumerate(zip(calls, numbers)):
            start = time.perf_counter()
            for _ in range(number):
                call()
            best[k] = min(best[k], (time.perf_counter() - start) / number)
    return best


# --- the workloads, written for an array module `m` (autograd.numpy, jax.numpy, torch) ---------
def building_in(m):
    def f(m_slab, c_slab, m_air, c_air, m_tank, c_tank, flow, c_fluid, ua_tube, ua_slab,
          ua_wall, t_out, power, solar, t_slab, t_air, t_tank, target):
        for _ in range(20):
            q_tube = flow * c_fluid * (1.0 - m.exp(-ua_tube / (flow * c_fluid))) * (t_tank - t_slab)
            q_slab = ua_slab * (t_slab - t_air)
            q_wall = ua_wall * (t_air - t_out)
            t_slab = t_slab + 60.0 * (q_tube - q_slab) / (m_slab * c_slab)
            t_air = t_air + 60.0 * (q_slab - q_wall + solar) / (m_air * c_air)
            t_tank = t_tank + 60.0 * (power - q_tube) / (m_tank * c_tank)
        return abs(t_air - target)
    return f


def sine_sum_in(m):
    def f(x):
        s = 0.0
        for i in range(100):
            s = s + m.sin(x * i) * x
        return s
    return f


def softmax_in(m):
    def f(W, b, x, y):
        z = x @ W + b
        mx = m.max(z, axis=1, keepdims=True)
        lse = m.log(m.sum(m.exp(z - mx), axis=1, keepdims=True)) + mx
        return -m.mean(m.sum(y * (z - lse), axis=1))
    return f


def softmax_torch(torch):
    def f(W, b, x, y):
        z = x @ W + b
        mx = torch.amax(z, dim=1, keepdim=True)
        lse = torch.log(torch.sum(torch.exp(z - mx), dim=1, keepdim=True)) + mx
        return -torch.mean(torch.sum(y * (z - lse), dim=1))
    return f


def rnn_in(m):
    def f(W, h, xs):
        for t in range(xs.shape[0]):
            h = m.tanh(W @ h + xs[t])
        return m.sum(h)
    return f


def arguments():
    rng = np.random.default_rng(0)
    W, b = rng.normal(size=(100, 10)) * 0.1, np.zeros(10)
    x = rng.normal(size=(256, 100))
    y = np.eye(10)[rng.integers(0, 10, size=256)]
    Wr, h0, xs = rng.normal(size=(32, 32)) * 0.3, rng.normal(size=32) * 0.1, \
        rng.normal(size=(50, 32))
    return {"building": BUILDING, "logistic": (0.3,), "sine": (0.3,),
            "softmax": (W, b, x, y), "rnn": (Wr, h0, xs)}


CASES = [("building simulation, 20 steps, 18 parameters", "building"),
         ("logistic map, 1000 steps", "logistic"),
         ("s = s + sin(x * i) * x, 100 steps", "sine"),
         ("softmax cross-entropy, N=256 D=100 C=10", "softmax"),
         ("RNN h = tanh(W @ h + xs[t]), 50 steps", "rnn")]
ARGNUMS = {"building": tuple(range(N_BUILDING)), "logistic": (0,), "sine": (0,),
           "softmax": (0, 1), "rnn": (0, 1, 2)}


def ours(args):
    from adcompile import jit
    plain = {"building": building, "logistic": logistic, "sine": sine_sum,
             "softmax": softmax_xent, "rnn": rnn}
    by_hand = {"logistic": logistic_by_hand, "softmax": softmax_by_hand, "rnn": rnn_by_hand}
    columns = {"adcompile grad": {}, "hand-written": {}}
    for key, f in plain.items():
        g = grad(f, argnums=ARGNUMS[key])
        columns["adcompile grad"][key] = lambda g=g, a=args[key]: g(*a)
        if key in by_hand:
            columns["hand-written"][key] = lambda h=by_hand[key], a=args[key]: h(*a)
    try:
        import numba  # noqa: F401
    except ImportError:
        return columns
    columns["adcompile jit(grad)"] = {}
    for key in plain:  # (compiled once, then cached on disk by Numba)
        g = jit(grad(plain[key], argnums=ARGNUMS[key]))
        columns["adcompile jit(grad)"][key] = lambda g=g, a=args[key]: g(*a)
    return columns


def autograd_columns(args):
    import autograd
    import autograd.numpy as anp
    funcs = {"building": building_in(anp), "logistic": logistic, "sine": sine_sum_in(anp),
             "softmax": softmax_in(anp), "rnn": rnn_in(anp)}
    column = {}
    for key, f in funcs.items():
        def packed(p, f=f, a=args[key], nums=ARGNUMS[key]):  # (those in argnums as a tuple)
            every = list(a)
            for k, v in zip(nums, p):
                every[k] = v
            return f(*every)
        g = autograd.grad(packed)
        column[key] = lambda g=g, p=tuple(args[key][k] for k in ARGNUMS[key]): g(p)
    return {"autograd": column}


def jax_columns(args):
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_platforms", "cpu")

    def logistic_loop(x):
        return jax.lax.fori_loop(0, 1000, lambda _, x: 4.0 * x * (1.0 - x), x)

    def sine_loop(x):
        return jax.lax.fori_loop(0, 100, lambda i, s: s + jnp.sin(x * i) * x, 0.0)

    eager = {"building": building_in(jnp), "logistic": logistic, "sine": sine_sum_in(jnp),
             "softmax": softmax_in(jnp), "rnn": rnn_in(jnp)}
    compiled = dict(eager, logistic=logistic_loop, sine=sine_loop)
    columns = {"JAX grad": {}, "JAX jit(grad)": {}}
    for key in eager:
        a = tuple(jnp.asarray(v) for v in args[key])
        g = jax.grad(eager[key], argnums=ARGNUMS[key])
        if key != "logistic":  # (3000 operations dispatched one at a time: seconds a call)
            columns["JAX grad"][key] = lambda g=g, a=a: jax.block_until_ready(g(*a))
        j = jax.jit(jax.grad(compiled[key], argnums=ARGNUMS[key]))
        columns["JAX jit(grad)"][key] = lambda j=j, a=a: jax.block_until_ready(j(*a))
    return columns


def torch_columns(args):
    import torch
    torch.set_num_threads(1)
    funcs = {"building": building_in(torch), "logistic": logistic, "sine": sine_sum_in(torch),
             "softmax": softmax_torch(torch), "rnn": rnn_in(torch)}
    column = {}
    for key, f in funcs.items():
        leaves = [torch.tensor(v, dtype=torch.float64, requires_grad=k in ARGNUMS[key])
                  for k, v in enumerate(args[key])]
        wrt = [leaves[k] for k in ARGNUMS[key]]
        column[key] = lambda f=f, leaves=leaves, wrt=wrt: torch.autograd.grad(f(*leaves), wrt)
    return {"PyTorch": column}


def _arrays(result):
    """A gradient as a list of NumPy arrays (one per argument; torch's tensors detached)."""
    items = result if isinstance(result, (tuple, list)) else (result,)
    return [np.asarray(x.detach().numpy() if hasattr(x, "detach") else x) for x in items]


def _ratio(r):
    return f"{r:.0f}x" if r >= 10 else f"{r:.2f}x"


def main():
    args = arguments()
    columns = ours(args)
    for make in (autograd_columns, jax_columns, torch_columns):
        try:
            columns.update(make(args))
        except ImportError as e:
            print(f"({make.__name__[:-8]} is not installed: {e.name})")
    names = list(columns)
    print("| case | " + " | ".join(names) + " |")
    print("|---" * (len(names) + 1) + "|")
    for title, key in CASES:
        present = [n for n in names if key in columns[n]]
        want = _arrays(columns["adcompile grad"][key]())
        for n in present:  # (every tool computes the same gradient)
            got = _arrays(columns[n][key]())
            assert all(np.allclose(a, b, rtol=1e-6, atol=1e-9) for a, b in zip(got, want)) \
                and len(got) == len(want), (title, n)
        times = dict(zip(present, timings([columns[n][key] for n in present])))
        base = times["adcompile grad"]
        cells = [f"{times[n] * 1e6:.1f} ({_ratio(times[n] / base)})" if n in times else ""
                 for n in names]
        print(f"| {title} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
