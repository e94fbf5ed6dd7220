import adcompile.rules as r; r.VJP['unreduce'] = ('np.sum(g, axis=axis, keepdims=keepdims)', None, None, None)
