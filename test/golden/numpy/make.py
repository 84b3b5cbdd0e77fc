"""Writes the fixtures of this folder: the golden format of ../README.md, computed in float64 by
numpy from formulas written here, independently of PyTorch and of the engine. They hold shapes and
attributes the PyTorch set lacks (long and length-1 axes, head sizes 1–128, cross and causal
attention with Tq != Tk, masks stored as bool/int64/uint8, int64 labels, padded and overlapping
pools with ties, per-axis conv strides, layer norm without gamma and beta, float64 storage), so
that `biud golden test/golden/numpy` checks the runner on cases like the ones it will be given.

    python3 test/golden/numpy/make.py        # numpy only; rewrites every *.safetensors here

Each rule is PyTorch's: causal attention is aligned top-left (query i sees keys j <= i, as
torch.ones(Tq, Tk).tril()); max pooling sends a tied window's gradient to its first maximum in
(d, h, w) order and pads with -inf; average pooling counts padding (count_include_pad=True);
AdamW decays the weight before the moments (torch.optim.AdamW).
"""
import json, math, os, struct
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(7)
NP_DTYPE = {'F32': '<f4', 'F64': '<f8', 'I32': '<i4', 'I64': '<i8', 'U8': '|u1', 'BOOL': '|u1'}
written = []


def r(*shape, scale=1.0):
    """Normal values, rounded to float32 first so that the fixture's inputs are exactly what is stored."""
    return (rng.standard_normal(shape) * scale).astype(np.float32).astype(np.float64)


def save(name, op, attrs, inputs, y, gy=None, grads=None, dtypes=None, tol=1e-4):
    """One fixture: inputs in argument order, output y, upstream gradient gy, d_<input> for each of grads."""
    grads, dtypes = grads or {}, dtypes or {}
    tensors = dict(inputs, y=np.asarray(y))
    if gy is not None:
        tensors['gy'] = np.asarray(gy)
    tensors.update({'d_' + k: v for k, v in grads.items()})
    meta = {'op': op, 'attrs': json.dumps(attrs), 'inputs': ','.join(inputs), 'output': 'y',
            'grad_output': 'gy' if gy is not None else '', 'grads': ','.join('d_' + k for k in grads), 'tolerance': str(tol)}
    header, blobs, off = {'__metadata__': meta}, [], 0
    for k, v in tensors.items():
        dt = dtypes.get(k, 'I32' if np.asarray(v).dtype.kind in 'iu' else 'F32')
        b = np.asarray(v).astype(NP_DTYPE[dt]).tobytes()
        header[k] = {'dtype': dt, 'shape': list(np.shape(v)), 'data_offsets': [off, off + len(b)]}
        off += len(b)
        blobs.append(b)
    h = json.dumps(header).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(os.path.join(HERE, name + '.safetensors'), 'wb') as f:
        f.write(struct.pack('<Q', len(h)) + h + b''.join(blobs))
    written.append(name)


def T(a):
    return np.swapaxes(a, -1, -2)


# ---------------------------------------------------------------- matmul: y = a @ b
for name, sa, sb in [('matmul_1x1x1', (1, 1), (1, 1)), ('matmul_67x257x33', (67, 257), (257, 33)),
                     ('matmul_257x1x65', (257, 1), (1, 65)), ('matmul_3x4096x2', (3, 4096), (4096, 2)),
                     ('bmm_2x9x1000x3', (2, 9, 1000), (2, 1000, 3)), ('matmul_4d', (2, 3, 5, 7), (2, 3, 7, 4))]:
    a, b = r(*sa), r(*sb)
    y = a @ b
    gy = r(*y.shape)
    save(name, 'matmul', {}, {'a': a, 'b': b}, y, gy, {'a': gy @ T(b), 'b': T(a) @ gy})
# A batch against one matrix: b's gradient sums over the batch.
a, b = r(2, 5, 7), r(7, 3)
gy = r(2, 5, 3)
save('matmul_3d_2d', 'matmul', {}, {'a': a, 'b': b}, a @ b, gy, {'a': gy @ b.T, 'b': np.einsum('bik,bij->kj', a, gy)})


# ---------------------------------------------------------------- conv2d / conv3d
def conv(x, w, b, s, p):
    """Cross-correlation as PyTorch's conv: x [N, Ci, *X], w [Co, Ci, *K]; s, p per axis."""
    nd = x.ndim - 2
    xp = np.pad(x, [(0, 0), (0, 0)] + [(q, q) for q in p])
    k = w.shape[2:]
    osz = [(xp.shape[2 + i] - k[i]) // s[i] + 1 for i in range(nd)]
    y = np.zeros((x.shape[0], w.shape[0], *osz))
    for o in np.ndindex(*osz):
        win = xp[(slice(None), slice(None)) + tuple(slice(o[i] * s[i], o[i] * s[i] + k[i]) for i in range(nd))]
        y[(slice(None), slice(None)) + o] = np.tensordot(win, w, axes=(list(range(1, nd + 2)),) * 2)
    return y if b is None else y + b.reshape((1, -1) + (1,) * nd)


def conv_backward(x, w, s, p, gy):
    nd = x.ndim - 2
    xp = np.pad(x, [(0, 0), (0, 0)] + [(q, q) for q in p])
    gxp, gw, k = np.zeros_like(xp), np.zeros_like(w), w.shape[2:]
    for o in np.ndindex(*gy.shape[2:]):
        sl = (slice(None), slice(None)) + tuple(slice(o[i] * s[i], o[i] * s[i] + k[i]) for i in range(nd))
        g = gy[(slice(None), slice(None)) + o]  # [N, Co]
        gw += np.tensordot(g, xp[sl], axes=(0, 0))
        gxp[sl] += np.tensordot(g, w, axes=(1, 0))
    gx = gxp[(slice(None), slice(None)) + tuple(slice(p[i], p[i] + x.shape[2 + i]) for i in range(nd))]
    return gx, gw, gy.sum(axis=(0,) + tuple(range(2, nd + 2)))


for name, xs, ws, s, p, bias in [
        ('conv3d_k2_s2_p0', (2, 3, 6, 8, 4), (5, 3, 2, 2, 2), 2, 0, True),
        ('conv3d_k3_s3_p2', (1, 2, 7, 9, 8), (3, 2, 3, 3, 3), 3, 2, True),
        ('conv3d_k5_s1_p2_c16', (1, 1, 9, 7, 6), (16, 1, 5, 5, 5), 1, 2, True),
        ('conv3d_k1_nobias', (2, 6, 3, 4, 5), (7, 6, 1, 1, 1), 1, 0, False),
        ('conv3d_k8_s8_patch', (2, 1, 16, 16, 24), (6, 1, 8, 8, 8), 8, 0, True),
        ('conv3d_axes_s2x1x3_p0x1x1', (1, 2, 6, 8, 9), (3, 2, 2, 3, 3), [2, 1, 3], [0, 1, 1], True),
        ('conv2d_k7_s2_p3', (2, 3, 21, 19), (8, 3, 7, 7), 2, 3, True),
        ('conv2d_k16_s16', (1, 3, 32, 48), (8, 3, 16, 16), 16, 0, True),
        ('conv2d_k3_s1_p0_nobias', (3, 4, 5, 6), (2, 4, 3, 3), 1, 0, False)]:
    nd = len(xs) - 2
    sa, pa = (s if isinstance(s, list) else [s] * nd), (p if isinstance(p, list) else [p] * nd)
    x, w = r(*xs), r(*ws, scale=0.3)
    b = r(ws[0]) if bias else None
    y = conv(x, w, b, sa, pa)
    gy = r(*y.shape)
    gx, gw, gb = conv_backward(x, w, sa, pa, gy)
    inputs, grads = {'x': x, 'w': w}, {'x': gx, 'w': gw}
    if bias:
        inputs['b'], grads['b'] = b, gb
    save(name, f'conv{nd}d', {'stride': s, 'padding': p}, inputs, y, gy, grads)


# ---------------------------------------------------------------- attention
def attention(q, k, v, gy, causal=False, key_mask=None):
    """softmax(q k^T / sqrt(d) + mask) v and its gradients; causal top-left (j <= i)."""
    d, tq, tk = q.shape[-1], q.shape[-2], k.shape[-2]
    s = q @ T(k) / math.sqrt(d)
    if causal:
        s = s + np.where(np.tril(np.ones((tq, tk))) > 0, 0, -np.inf)
    if key_mask is not None:
        s = s + np.where(key_mask[:, None, None, :] > 0, 0, -np.inf)
    pr = np.exp(s - s.max(-1, keepdims=True))
    pr /= pr.sum(-1, keepdims=True)
    gp = gy @ T(v)
    gs = pr * (gp - (gp * pr).sum(-1, keepdims=True)) / math.sqrt(d)
    return pr @ v, {'q': gs @ k, 'k': T(gs) @ q, 'v': T(pr) @ gy}


for name, B, H, tq, tk, D, causal, masked in [
        ('attention_b1h2t33d64', 1, 2, 33, 33, 64, False, False),
        ('attention_b2h1t10d128', 2, 1, 10, 10, 128, False, False),
        ('attention_causal_keymask_b2h2t19d16', 2, 2, 19, 19, 16, True, True),
        ('attention_t1', 3, 2, 1, 1, 8, False, False),
        ('attention_causal_b1h1t129d16', 1, 1, 129, 129, 16, True, False),
        ('attention_d1', 1, 1, 7, 7, 1, False, False),
        ('attention_cross_q5_k9', 1, 2, 5, 9, 8, False, False),
        ('attention_causal_q4_k6', 1, 2, 4, 6, 8, True, False),
        ('attention_causal_q9_k4', 1, 2, 9, 4, 8, True, False)]:
    q, k, v = r(B, H, tq, D), r(B, H, tk, D), r(B, H, tk, D)
    km = None
    if masked:
        km = (rng.random((B, tk)) > 0.4).astype(np.int32)
        km[:, 0] = 1  # every query sees a key (PyTorch gives NaN for a row that sees none)
    gy = r(B, H, tq, D)
    y, g = attention(q, k, v, gy, causal, km)
    save(name, 'attention', {'causal': causal}, dict(q=q, k=k, v=v, **({'key_mask': km} if masked else {})), y, gy, g)
# The key mask stored as bool, int64 and uint8.
q, k, v, gy = r(1, 1, 6, 4), r(1, 1, 6, 4), r(1, 1, 6, 4), r(1, 1, 6, 4)
km = np.array([[1, 0, 1, 1, 0, 1]])
y, g = attention(q, k, v, gy, False, km)
for dt in ['BOOL', 'I64', 'U8']:
    save(f'attention_keymask_{dt.lower()}', 'attention', {'causal': False}, {'q': q, 'k': k, 'v': v, 'key_mask': km}, y, gy, g, {'key_mask': dt})


# ---------------------------------------------------------------- layernorm over the last axis
def layernorm(x, eps, gamma, beta, gy):
    mu, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    rs = 1 / np.sqrt(var + eps)
    xh = (x - mu) * rs
    gxh = gy * gamma
    gx = rs * (gxh - gxh.mean(-1, keepdims=True) - xh * (gxh * xh).mean(-1, keepdims=True))
    ax = tuple(range(x.ndim - 1))
    return xh * gamma + beta, gx, (gy * xh).sum(ax), gy.sum(ax)


for name, xs, eps in [('layernorm_3x1024', (3, 1024), 1e-5), ('layernorm_4x768_eps1e-12', (4, 768), 1e-12),
                      ('layernorm_2x3x1', (2, 3, 1), 1e-5), ('layernorm_1x4099', (1, 4099), 1e-5), ('layernorm_65x64', (65, 64), 1e-6)]:
    x, gamma, beta = r(*xs, scale=2.0) + 0.5, r(xs[-1]), r(xs[-1])
    gy = r(*xs)
    y, gx, gg, gb = layernorm(x, eps, gamma, beta, gy)
    save(name, 'layernorm', {'eps': eps}, {'x': x, 'gamma': gamma, 'beta': beta}, y, gy, {'x': gx, 'gamma': gg, 'beta': gb})
x, gy = r(3, 10), r(3, 10)
y, gx, _, _ = layernorm(x, 1e-5, 1.0, 0.0, gy)
save('layernorm_no_affine', 'layernorm', {'eps': 1e-5}, {'x': x}, y, gy, {'x': gx})

# ---------------------------------------------------------------- gelu, exact and tanh
erf = np.vectorize(math.erf)
for name, xs, scale in [('gelu_wide', (9, 101), 4.0), ('gelu_4d', (2, 3, 4, 5), 1.0)]:
    x, gy = r(*xs, scale=scale), r(*xs)
    cdf = 0.5 * (1 + erf(x / math.sqrt(2)))
    save(name, 'gelu', {'approximate': 'none'}, {'x': x}, x * cdf, gy, {'x': gy * (cdf + x * np.exp(-x * x / 2) / math.sqrt(2 * math.pi))})
x, gy = r(9, 101, scale=4.0), r(9, 101)
c = math.sqrt(2 / math.pi)
t = np.tanh(c * (x + 0.044715 * x ** 3))
save('gelu_tanh', 'gelu', {'approximate': 'tanh'}, {'x': x}, 0.5 * x * (1 + t), gy,
     {'x': gy * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x))})

# ---------------------------------------------------------------- softmax
for name, xs, dim, scale in [('softmax_1x8000', (1, 8000), -1, 1.0), ('softmax_4x5x6_dim1', (4, 5, 6), 1, 1.0),
                             ('softmax_3x1', (3, 1), -1, 1.0), ('softmax_5x300_large', (5, 300), -1, 5.0),
                             ('softmax_7x3_dim0', (7, 3), 0, 1.0), ('softmax_1d', (9,), -1, 1.0),
                             ('softmax_4d_dim2', (2, 3, 4, 5), 2, 1.0), ('softmax_neg_inf', (3, 6), -1, 1.0)]:
    x, gy = r(*xs, scale=scale), r(*xs)
    if name == 'softmax_neg_inf':
        x[0, 2] = -np.inf
        x[2, :3] = -np.inf
    e = np.exp(x - x.max(dim, keepdims=True))
    pr = e / e.sum(dim, keepdims=True)
    save(name, 'softmax', {'dim': dim}, {'x': x}, pr, gy, {'x': pr * (gy - (gy * pr).sum(dim, keepdims=True))})
x = r(4, 6)
e = np.exp(x - x.max(-1, keepdims=True))
save('softmax_stored_f64', 'softmax', {'dim': -1}, {'x': x}, e / e.sum(-1, keepdims=True), dtypes={'x': 'F64', 'y': 'F64'})


# ---------------------------------------------------------------- contrastive (symmetric InfoNCE)
def log_softmax(z):
    z = z - z.max(1, keepdims=True)
    return z - np.log(np.exp(z).sum(1, keepdims=True))


def contrastive(img, txt, targets, tau):
    ni, nt = np.linalg.norm(img, axis=1, keepdims=True), np.linalg.norm(txt, axis=1, keepdims=True)
    a, b = img / ni, txt / nt
    logits = a @ b.T / tau
    n = len(img)

    def ce(z, t):  # mean over rows of -sum t log_softmax(z), and its gradient
        ls = log_softmax(z)
        return -(t * ls).sum() / n, (np.exp(ls) * t.sum(1, keepdims=True) - t) / n
    l1, g1 = ce(logits, targets)
    l2, g2 = ce(logits.T, targets.T)
    gl = (g1 + g2.T) / 2 / tau
    ga, gb = gl @ b, gl.T @ a
    return (l1 + l2) / 2, (ga - a * (ga * a).sum(1, keepdims=True)) / ni, (gb - b * (gb * b).sum(1, keepdims=True)) / nt


for name, n, d, tau, kind in [('contrastive_n1', 1, 8, 0.07, 'hard'), ('contrastive_n64d48_t1', 64, 48, 1.0, 'hard'),
                              ('contrastive_soft_n16d64_t0.02', 16, 64, 0.02, 'soft'), ('contrastive_soft_n5d3', 5, 3, 0.5, 'soft'),
                              ('contrastive_unnormalised_n6d10', 6, 10, 0.07, 'two ones'), ('contrastive_no_targets_n6d10', 6, 10, 0.1, 'none')]:
    img, txt = r(n, d), r(n, d)
    t = np.eye(n)
    if kind in ('soft', 'two ones'):
        t[0, 1] = t[1, 0] = 1
    if kind == 'soft':
        t[2, 3] = t[3, 2] = t[2, 4 % n] = t[4 % n, 2] = 1
        t /= t.sum(1, keepdims=True)
    loss, gi, gt = contrastive(img, txt, t, tau)
    gy = np.array(1.3)
    inputs = {'img': img, 'txt': txt} if kind == 'none' else {'img': img, 'txt': txt, 'targets': t}
    save(name, 'contrastive', {'temperature': tau}, inputs, loss, gy, {'img': gi * gy, 'txt': gt * gy})

# ---------------------------------------------------------------- mlm_cross_entropy (ignore_index -100)
for name, n, V, p_ignored, dt in [('mlm_n1v30522', 1, 30522, 0.0, 'I32'), ('mlm_one_label', 12, 37, None, 'I32'),
                                  ('mlm_n300v7', 300, 7, 0.2, 'I32'), ('mlm_labels_int64', 6, 11, 0.3, 'I64')]:
    logits = r(n, V, scale=3.0)
    labels = rng.integers(0, V, n).astype(np.int64)
    ignored = rng.random(n) < p_ignored if p_ignored is not None else np.arange(n) != 5
    labels[ignored] = -100
    keep = labels != -100
    ls = log_softmax(logits)
    loss = -ls[keep, labels[keep]].sum() / keep.sum()
    gy = np.array(0.7)
    g = np.exp(ls)
    g[np.arange(n)[keep], labels[keep]] -= 1
    g[~keep] = 0
    save(name, 'mlm_cross_entropy', {'ignore_index': -100}, {'logits': logits, 'labels': labels}, loss, gy,
         {'logits': g / keep.sum() * gy}, {'labels': dt})


# ---------------------------------------------------------------- avg_pool3d / max_pool3d
def pool(x, k, s, p, kind):
    xp = np.pad(x, [(0, 0), (0, 0)] + [(p, p)] * 3, constant_values=(-np.inf if kind == 'max' else 0))
    osz = [(xp.shape[2 + i] - k) // s + 1 for i in range(3)]
    y = np.zeros(x.shape[:2] + tuple(osz))
    gy = r(*y.shape)
    gxp = np.zeros_like(xp)
    for o in np.ndindex(*osz):
        sl = (slice(None), slice(None)) + tuple(slice(o[i] * s, o[i] * s + k) for i in range(3))
        win, g = xp[sl], gy[(slice(None), slice(None)) + o]
        if kind == 'max':  # the first maximum in (d, h, w) order takes the gradient
            flat = win.reshape(win.shape[0], win.shape[1], -1)
            y[(slice(None), slice(None)) + o] = flat.max(-1)
            gw = np.zeros_like(flat)
            np.put_along_axis(gw, flat.argmax(-1)[..., None], g[..., None], -1)
            gxp[sl] += gw.reshape(win.shape)
        else:
            y[(slice(None), slice(None)) + o] = win.mean(axis=(2, 3, 4))
            gxp[sl] += g[..., None, None, None] / k ** 3
    return y, gy, gxp[(slice(None), slice(None)) + tuple(slice(p, p + x.shape[2 + i]) for i in range(3))]


for kind in ['max', 'avg']:
    for k, s, p, xs in [(3, 1, 0, (1, 2, 5, 6, 7)), (3, 2, 1, (2, 3, 7, 8, 9)), (4, 4, 0, (1, 1, 16, 16, 16)), (2, 1, 0, (1, 1, 3, 3, 3))]:
        x = r(*xs)
        y, gy, gx = pool(x, k, s, p, kind)
        save(f'{kind}pool3d_k{k}_s{s}_p{p}', f'{kind}_pool3d', {'kernel': k, 'stride': s, 'padding': p}, {'x': x}, y, gy, {'x': gx})
for name, x, k, s, p in [('maxpool3d_ties_integers', rng.integers(0, 3, (1, 2, 6, 6, 6)).astype(np.float64), 2, 2, 0),
                         ('maxpool3d_ties_relu_k3_s2_p1', np.maximum(r(1, 1, 7, 7, 7), 0), 3, 2, 1)]:
    y, gy, gx = pool(x, k, s, p, 'max')
    save(name, 'max_pool3d', {'kernel': k, 'stride': s, 'padding': p}, {'x': x}, y, gy, {'x': gx})

# ---------------------------------------------------------------- adamw (torch.optim.AdamW)
for name, shape, steps, lr, wd, b1, b2, eps in [('adamw_10steps_wd0', (7, 5), 10, 1e-3, 0.0, 0.9, 0.999, 1e-8),
                                                 ('adamw_1step', (300,), 1, 0.1, 0.1, 0.8, 0.99, 1e-6),
                                                 ('adamw_64x64_5steps', (64, 64), 5, 3e-4, 0.01, 0.9, 0.98, 1e-8)]:
    p0, grads = r(*shape), r(steps, *shape)
    p, m, v = p0.copy(), np.zeros(shape), np.zeros(shape)
    for t in range(1, steps + 1):
        g = grads[t - 1]
        p = p * (1 - lr * wd)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        p = p - lr / (1 - b1 ** t) * m / (np.sqrt(v) / math.sqrt(1 - b2 ** t) + eps)
    save(name, 'adamw', {'lr': lr, 'beta1': b1, 'beta2': b2, 'eps': eps, 'weight_decay': wd, 'steps': steps}, {'param': p0, 'grads': grads}, p)

print(f'{len(written)} fixtures in {HERE}')
