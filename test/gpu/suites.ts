// Every GPU suite, imported for its registrations.
import './elementwise.gpu.ts';
import './golden.gpu.ts';
