"""Values read at build time from a module, a class, a global object or a global dict or list,
changed afterwards: a new grad(f) gives the derivative of the function as it now computes, not
the cached one (tester T18 found each of these served stale, silently wrong)."""
import math
import sys
import types

import numpy as np

from adcompile import grad, hessian, jvp, value_and_grad
from checks import assert_close, numeric_grad

cfg = types.ModuleType("stale_cfg")  # a module of the user's, as `import config` gives
sys.modules["stale_cfg"] = cfg


def check(f, x):
    """grad, value_and_grad and jvp at x against f itself and finite differences."""
    fd = numeric_grad(f, (x,), 0)
    assert_close(grad(f)(x), fd, rtol=1e-5, atol=1e-6, what="grad")
    value, g = value_and_grad(f)(x)
    assert_close(value, f(x), what="value_and_grad's value")
    assert_close(g, fd, rtol=1e-5, atol=1e-6, what="value_and_grad's gradient")
    out, tangent = jvp(f, (x,), (1.0,))
    assert_close(out, f(x), what="jvp's value")
    assert_close(tangent, fd, rtol=1e-5, atol=1e-6, what="jvp")


cfg.K = 2.0


def module_float(x):
    return cfg.K * x ** 3


def test_module_float_changed():
    check(module_float, 0.5)
    cfg.K = 4.0
    check(module_float, 0.5)
    assert_close(grad(module_float)(0.5), 3.0)


cfg.act = math.tanh


def module_function(x):
    return cfg.act(x)


def test_module_function_monkeypatched():
    check(module_function, 0.5)
    cfg.act = math.sin
    check(module_function, 0.5)
    assert_close(grad(module_function)(0.5), math.cos(0.5))


cfg.N = 2


def module_int_loop_bound(x):
    y = x
    for _ in range(cfg.N):
        y = y * x
    return y


def test_module_int_loop_bound_changed():
    check(module_int_loop_bound, 0.7)
    cfg.N = 4
    check(module_int_loop_bound, 0.7)
    assert_close(grad(module_int_loop_bound)(0.7), 5 * 0.7 ** 4)


cfg.FLAG = True


def module_bool_flag(x):
    if cfg.FLAG:
        return x ** 2
    return x ** 3


def test_module_bool_flag_changed():
    check(module_bool_flag, 0.5)
    cfg.FLAG = False
    check(module_bool_flag, 0.5)
    assert_close(grad(module_bool_flag)(0.5), 0.75)


cfg.SCALE = 1.5


def _scaled(x):
    return cfg.SCALE * np.sin(x)


def module_read_in_helper(x):
    return _scaled(x) + x


def test_module_attribute_read_in_helper():
    check(module_read_in_helper, 0.3)
    cfg.SCALE = -2.0
    check(module_read_in_helper, 0.3)


def test_module_attribute_added_after():
    """hasattr of a module: known at build time, so a new attribute gives a new derivative."""
    def has(x):
        if hasattr(cfg, "EXTRA"):
            return x ** 3
        return x ** 2
    check(has, 0.5)
    cfg.EXTRA = 1
    try:
        check(has, 0.5)
        assert_close(grad(has)(0.5), 0.75)
    finally:
        del cfg.EXTRA


class Cfg:
    k = 2.0


def class_attribute(x):
    return Cfg.k * x ** 3


def test_class_attribute_changed():
    check(class_attribute, 0.5)
    Cfg.k = 4.0
    check(class_attribute, 0.5)
    assert_close(grad(class_attribute)(0.5), 3.0)


class Base:
    k = 2.0


class Derived(Base):
    pass


def inherited_attribute(x):
    return Derived.k * x ** 3


def test_inherited_class_attribute_shadowed_and_changed():
    check(inherited_attribute, 0.5)
    Base.k = 3.0
    check(inherited_attribute, 0.5)
    Derived.k = 4.0  # now the subclass's own
    check(inherited_attribute, 0.5)
    assert_close(grad(inherited_attribute)(0.5), 3.0)


class Opts:
    k = 2.0


OPTS = Opts()


def instance_class_attribute(x):
    return OPTS.k * x ** 3


def test_global_instance_attribute_from_its_class():
    check(instance_class_attribute, 0.5)
    OPTS.k = 4.0  # now an instance attribute
    check(instance_class_attribute, 0.5)
    Opts.k = 8.0  # shadowed by the instance's: no change
    OPTS.k = 6.0
    check(instance_class_attribute, 0.5)
    assert_close(grad(instance_class_attribute)(0.5), 4.5)


class Slotted:
    __slots__ = ("k",)

    def __init__(self):
        self.k = 2.0


SLOTTED = Slotted()


def slotted_attribute(x):
    return SLOTTED.k * x ** 3


def test_global_instance_with_slots():
    check(slotted_attribute, 0.5)
    SLOTTED.k = 4.0
    check(slotted_attribute, 0.5)


class Scaled:
    def __init__(self):
        self.raw = 2.0

    @property
    def k(self):
        return self.raw * 1.0


SCALED = Scaled()


def property_attribute(x):
    return SCALED.k * x ** 3


def test_global_instance_property():
    check(property_attribute, 0.5)
    SCALED.raw = 4.0
    check(property_attribute, 0.5)
    first = grad(property_attribute)
    assert grad(property_attribute) is first  # an equal number again: the same derivative


ACTS = {"act": math.tanh}


def dict_of_functions(x):
    return ACTS["act"](x)


def test_global_dict_of_functions_changed():
    check(dict_of_functions, 0.5)
    ACTS["act"] = math.sin
    check(dict_of_functions, 0.5)
    assert_close(grad(dict_of_functions)(0.5), math.cos(0.5))


BASIS = [math.sin, math.cos]


def list_of_functions(x):
    return BASIS[0](x)


def test_global_list_of_functions_changed():
    check(list_of_functions, 0.5)
    BASIS[0] = math.exp
    check(list_of_functions, 0.5)
    BASIS.clear()  # the entry gone: refused as it would be built now, not served stale
    BASIS.extend([np.cos, np.sin])
    check(list_of_functions, 0.5)


cfg.TABLE = {"act": np.tanh}


def module_dict_of_functions(x):
    return cfg.TABLE["act"](x)


def test_dict_of_functions_in_a_module():
    check(module_dict_of_functions, 0.5)
    cfg.TABLE["act"] = np.sin
    check(module_dict_of_functions, 0.5)


cfg.C = 1.5


def module_hessian(x):
    return cfg.C * x ** 4


def test_hessian_after_a_change():
    assert_close(hessian(module_hessian)(0.5), 1.5 * 12 * 0.25)
    cfg.C = 3.0
    assert_close(hessian(module_hessian)(0.5), 3.0 * 12 * 0.25)


def test_unchanged_values_keep_the_derivative():
    """The check that finds a change finds none when nothing changed: the same function back."""
    first = grad(module_float)
    assert grad(module_float) is first
    first = grad(class_attribute)
    assert grad(class_attribute) is first
    first = grad(dict_of_functions)
    assert grad(dict_of_functions) is first


DISK_MODULE = '''
import math

import numpy as np

import stale_disk_cfg as cfg


def f(x):
    return cfg.K * x ** 3


def g(x):
    return np.float64(math.pi) * np.sin(x) * np.pi
'''


def test_disk_cache_is_not_stale_for_a_module_attribute(tmp_path, monkeypatch):
    """The disk cache keys what it stores by each dependency's fingerprint: a module attribute
    changed gives no stale text in the next process (here: the in-memory cache forgotten), and
    NumPy's and math's attributes (their versions are in the key) still let an entry be made."""
    from adcompile import api
    monkeypatch.setenv("ADCOMPILE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "stale_disk_cfg.py").write_text("K = 2.0\n")
    (tmp_path / "stale_disk_mod.py").write_text(DISK_MODULE)
    for name in ("stale_disk_cfg", "stale_disk_mod"):
        sys.modules.pop(name, None)
    try:
        import stale_disk_mod as mod
        assert_close(grad(mod.f)(0.5), 1.5)
        assert_close(grad(mod.g)(0.5), math.pi ** 2 * math.cos(0.5))
        assert len(list((tmp_path / "cache").glob("*.json"))) == 1  # g's: f reads cfg
        sys.modules["stale_disk_cfg"].K = 4.0
        api.COMPILED.clear()
        assert_close(grad(mod.f)(0.5), 3.0)
        assert_close(grad(mod.g)(0.5), math.pi ** 2 * math.cos(0.5))
    finally:
        for name in ("stale_disk_cfg", "stale_disk_mod"):
            sys.modules.pop(name, None)


SCALE = 2.0


def scaled_square(x):
    return SCALE * x ** 2


def slope_times_x(x):
    return grad(scaled_square)(x) * x


def via_a_helper(x):
    return slope_times_x(x) + x


def test_grad_made_inside_reads_its_globals_again():
    """grad(inner) called inside a differentiated function: the inner derivative's code is
    inlined, and the globals it was built from (SCALE) were not the outer one's dependencies: a
    new grad(outer) after SCALE changed gave the old derivative (T21)."""
    global SCALE
    try:
        for f, slope in ((slope_times_x, 4.0), (via_a_helper, 4.0)):
            SCALE = 2.0
            check(f, 0.5)
            SCALE = 3.0
            check(f, 0.5)
            assert_close(grad(f)(1.0), slope * SCALE + (f is via_a_helper))
    finally:
        SCALE = 2.0


# Methods reached through an argument's class (T29): the method inlined is read from the class,
# so the class binding another function to that name (or a base's method patched, or a
# property, an operator or __init__ replaced) builds a new derivative.
class Duck:
    def __init__(self, k):
        self.k = k

    def quack(self, x):
        return self.k * x ** 2

    def __mul__(self, x):
        return self.k * x

    @property
    def twice(self):
        return 2.0 * self.k


class Duckling(Duck):
    pass


def through_a_method(x):
    return Duck(2.0).quack(x) + Duckling(1.0).quack(x) + x


def through_an_operator_and_a_property(x):
    d = Duckling(x)
    return (d * x) * d.twice


def test_a_method_of_the_class_patched():
    check(through_a_method, 0.7)
    quack = Duck.quack
    try:
        Duck.quack = lambda self, x: self.k * x ** 3  # (Duckling's too: its base's)
        check(through_a_method, 0.7)
        assert_close(grad(through_a_method)(0.7), 3.0 * 3.0 * 0.49 + 1.0)
    finally:
        Duck.quack = quack


def test_an_operator_a_property_and_init_patched():
    check(through_an_operator_and_a_property, 0.6)
    mul, twice, init = Duck.__mul__, Duck.twice, Duck.__init__
    try:
        Duck.__mul__ = lambda self, x: self.k + x
        Duck.twice = property(lambda self: 3.0 * self.k)
        check(through_an_operator_and_a_property, 0.6)  # (2x) * 3x
        assert_close(grad(through_an_operator_and_a_property)(0.6), 12.0 * 0.6)
        def squared(self, k):
            self.k = k * k
        Duck.__init__ = squared
        check(through_an_operator_and_a_property, 0.6)  # (x^2 + x) * 3x^2
    finally:
        Duck.__mul__, Duck.twice, Duck.__init__ = mul, twice, init


# --- a helper's closure and defaults (tester T52: a new grad(f) kept the old value) -----------
def test_a_helpers_closure_variable_changed_gives_a_new_derivative():
    """`loss` calls `penalty`, which reads `lam` from the enclosing function: `loss`'s own
    closure holds only `penalty`, so the cache compared nothing that changed."""
    def sweep(w):
        lam = 0.0

        def penalty(v):
            return lam * v ** 2

        def loss(v):
            return (v - 1.0) ** 2 + penalty(v)
        out = []
        for lam in (0.0, 1.0, 10.0):  # noqa: B007 (penalty reads it)
            check(loss, w)
            out.append(grad(loss)(w))
        return out
    assert_close(sweep(0.5), [-1.0, 0.0, 9.0])


def test_a_lambda_helpers_closure_array_changed_gives_a_new_derivative():
    def sweep(w):
        scale = np.ones(2)
        pen = lambda v: np.sum(scale * v * v)  # noqa: E731
        loss = lambda v: np.sum(v) + pen(v)  # noqa: E731
        first = grad(loss)(w)
        scale = np.full(2, 3.0)
        return first, grad(loss)(w)
    first, second = sweep(np.array([1.0, 2.0]))
    assert_close(first, [3.0, 5.0])
    assert_close(second, [7.0, 13.0])


def scaled_by_default(x, k=2.0):
    return k * x


def keyword_scaled(x, *, k=2.0):
    return k * x


def uses_defaults(x):
    return scaled_by_default(x) * x + keyword_scaled(x)


def test_a_helpers_defaults_replaced_give_a_new_derivative():
    check(uses_defaults, 1.5)
    assert_close(grad(uses_defaults)(1.5), 8.0)
    saved = scaled_by_default.__defaults__, keyword_scaled.__kwdefaults__
    try:
        scaled_by_default.__defaults__ = (100.0,)
        keyword_scaled.__kwdefaults__ = {"k": 10.0}
        assert_close(grad(uses_defaults)(1.5), 310.0)
        check(uses_defaults, 1.5)
    finally:
        scaled_by_default.__defaults__, keyword_scaled.__kwdefaults__ = saved
