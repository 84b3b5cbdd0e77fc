// Every GPU suite, imported for its registrations.
import './elementwise.gpu.ts';
import './golden.gpu.ts';
import './embedding.gpu.ts';
import './engine.gpu.ts';
import './preprocess.gpu.ts';
import './norm.gpu.ts';
import './activation.gpu.ts';
import './softmax.gpu.ts';
import './contrastive.gpu.ts';
import './cross-entropy.gpu.ts';
import './adamw.gpu.ts';
import './conv.gpu.ts';
import './pool.gpu.ts';
import './attention.gpu.ts';
import './matmul.gpu.ts';
import './phantom.gpu.ts';
import './drr.gpu.ts';
