"""Lists of dicts, the plain-Python way to write particle systems, layers or agents (T9). Each
case is checked against plain Python (on a copy: the functions change what they are given),
central finite differences and forward mode (jvp), and the gradient of a container argument has
its structure (check, from test_dict_args_found). Each test failed before its fix."""


from test_dict_args_found import check


# --- 1. a list of dicts rebuilt in a loop: the comprehension's `p` after the loop was taken
# for the loop's `p`, carried out of a loop run at run time, which a dict cannot be -----------

def particles(ps, dt, steps):
    for s in range(steps):
        new = []
        for p in ps:
            new.append({"x": p["x"] + dt * p["v"], "v": p["v"] - dt * p["x"]})
        ps = new
    return sum(p["x"] ** 2 for p in ps)


def particles_constant(ps, dt):
    for s in range(3):
        new = []
        for p in ps:
            new.append({"x": p["x"] + dt * p["v"], "v": p["v"] - dt * p["x"]})
        ps = new
    return sum(p["x"] ** 2 for p in ps)


def particles_built_here(x, dt, steps):
    ps = [{"x": x, "v": 0.0}, {"x": 2 * x, "v": dt}]
    for s in range(steps):
        new = []
        for p in ps:
            new.append({"x": p["x"] + dt * p["v"], "v": p["v"] - dt * p["x"]})
        ps = new
    return sum(p["x"] ** 2 for p in ps)


def particles_listcomp(ps, dt, steps):
    for s in range(steps):
        ps = [{"x": p["x"] + dt * p["v"], "v": p["v"] - dt * p["x"]} for p in ps]
    return sum([p["x"] * p["v"] for p in ps]) + max(p["x"] for p in ps)


PS = [{"x": 1.0, "v": 0.5}, {"x": -0.3, "v": 0.2}]


def test_list_of_dicts_rebuilt_in_a_loop_run_at_run_time():
    check(particles, (PS, 0.1, 3))
    check(particles, (PS, 0.1, 0))  # (no step: the argument as it came)
    check(particles, ([{"x": 1.0, "v": 0.0}], 0.1, 4))


def test_list_of_dicts_rebuilt_in_a_constant_loop():
    check(particles_constant, (PS, 0.1))


def test_list_of_dicts_built_inside():
    check(particles_built_here, (0.7, 0.1, 3), argnums=(0, 1))


def test_list_of_dicts_rebuilt_by_a_comprehension():
    check(particles_listcomp, (PS, 0.1, 3))


def comprehension_name_after_loop(xs):
    s = 0.0
    for x in xs:
        s = s + x
    return s * sum(x * x for x in xs) + x  # (the loop's x, read after it: still carried)


def test_loop_name_read_after_the_loop_beside_a_comprehension():
    check(comprehension_name_after_loop, ([1.0, 2.0, 0.5],), argnums=0)
