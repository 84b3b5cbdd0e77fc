// Every GPU suite, imported for its registrations.
import './elementwise.gpu.ts';
import './golden.gpu.ts';
import './embedding.gpu.ts';
import './engine.gpu.ts';
import './preprocess.gpu.ts';
