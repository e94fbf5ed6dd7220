"""A program a tester's generator wrote (helpers with branches and lists, inlined in a loop nest four
deep): building its gradient took over 300 s (list.count in tape.py per carried name), now seconds."""
import math
import numpy as np


def helper0(a, b=0.7):
    xs1 = [b, math.log(1.0 + (b) ** 2)]
    if b >= 1.35:
        xs1.append(a + math.log(abs(a) + 1.0) * a)
        v2 = sum(xs1) / len(xs1)
    elif 0.44 < xs1[0] < 1.44:
        if b <= -1.14:
            xs1[-1] = math.tanh(b)
            b = -b
        g3 = lambda t: t * b + math.sin(t)
    elif a < 1.63:
        if (xs1[len(xs1) - 1] < 1.69 or math.tanh(a) < -1.97) and not a <= -1.67:
            a = abs(math.log(1.0 + (b) ** 2))
            a = math.log(1.0 + (b) ** 2)
        elif a > -0.98 and a >= 1.57:
            if b * a <= -0.19:
                if xs1[len(xs1) - 1] > 0.67:
                    t4 = b / (2.0 + math.sin(max(0.31, max(b, a, -0.83), 0.15)))
                elif -0.85 < a < -0.8:
                    t4 = (math.sqrt((a) ** 2 + 1.0)) ** 3 * 0.1
                else:
                    a += math.tanh(min(xs1[0], (b) ** 2)) ** 2
                    t4 = a
                a -= math.tanh(a) ** 2
            b -= math.sqrt((min(xs1)) ** 2 + 1.0)
        xs1[0] += math.fabs(sum(xs1) / len(xs1))
    return math.tanh(xs1[0]) ** 2


def helper1(a):
    v5 = helper0(a)
    if -0.91 < v5 < 1.98:
        if v5 - 0.11 >= 0.11 and a > 0.15:
            t6 = math.pow(abs(helper0((v5) ** 3 * 0.1)) + 0.5, 1.5)
        else:
            a *= (0.9 + 0.1 * math.tanh(v5))
            t6 = helper0(v5, b=a)
        if (-1.98 < v5 < 1.97 or v5 >= 0.15) and not -1.66 < t6 < -0.48:
            xs7 = [t6, v5]
            a *= (0.9 + 0.1 * math.tanh(helper0(t6)))
    elif (helper0(a) >= 1.64 or 0.7 < a < 1.09) and not (a) * 1.05 >= -1.17:
        v5 -= v5
    elif v5 < 1.94:
        if v5 < -0.59 and (v5 if math.sin(v5) * math.cos(a) <= -0.5 else 1.43) > 0.45:
            v5 = helper0(helper0(a, b=v5), v5) / (1.0 + helper0(a, v5) ** 2)
        else:
            a = helper0(v5)
        if v5 < -0.79:
            v8 = math.cos(a / (2.0 + math.sin(-1.71)))
            n9 = min(int(abs(v5) + 1), 3)
            xs10 = [n9 * v8, v8]
        elif a > -0.55:
            if v5 < 0.02:
                t11 = math.exp(-((((a) ** 3 * 0.1) - (0.9) // 1.0)) ** 2)
            else:
                for i12 in range(1, 4):
                    a *= (0.9 + 0.1 * math.tanh(math.tanh(((v5) - (v5) // 1.0)) ** 2 - helper0(0.97 + v5)))
                    xs13 = [helper0(v5), helper0(v5, v5)]
                    a = math.tanh(a)
                    a **= 2.0
                t11 = helper0(math.sqrt((a) ** 2 + 1.0), b=a)
        elif (a + 1.84) * 0.5 < -1.79:
            xs14 = [a]
            v15 = math.sin(a) * math.cos(math.cos(v5))
    else:
        v5 /= (2.0 + math.sin(a))
        n16 = int(abs(helper0(v5)) * 2) % 3 + 1
    if (-0.91 < v5 < 0.09 or a / (2.0 + math.sin(v5)) > -1.48) and not -1.67 < v5 < 0.92:
        return 0.69 * v5 + 0.91 * a
    return helper0(a, a)


def helper2(a, b):
    a -= a
    st17 = {"a": b, "b": b}
    return st17["a"], helper1(b)


def f(x, y, z):
    for i18 in range(int(abs(y)) % 3 + 1):
        y += 0.3 * math.tanh(math.pow(abs(helper2(y, 1.51)[1]) + 0.5, 1.5) * y)
        v19 = 0.6 * z + 0.4 * math.sin(math.sin((helper1(z)) * -1.92) * math.cos(y))
        acc21 = [v19]
        for i20 in range(1):
            x = helper0(y)
            v22 = (helper1(min((x + i20), x))) ** 3 * 0.1
            for i23 in range(2):
                y += 0.3 * math.tanh(math.fabs(z))
                v24 = helper1(x)
                acc26 = [v19]
                for i25 in range(1, 5):
                    x = pow(-1.85, 2)
                    if not (v19 > 0.84):
                        continue
                    v27, v28 = helper2((v22) * 1.02, helper2(float(i18), v22)[0])
                    acc26.append(math.sqrt((v19) ** 2 + 1.0))
            acc21.append(x)
            y = acc21[i20 - 1] * 0.5 + acc21[-1] * 0.5
    if -1.66 < y < 1.09:
        return 0.57 * z + 0.71 * y + 0.25 * x
    y += math.pow(abs(z) + 0.5, 1.5)
    v29 = -1.69
    for i30 in range(1, 4):
        st31 = {"acc": 0.63, "a": y}
    return 0.87 * x + 1.47 * y + 0.77 * v29
