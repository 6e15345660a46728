"""numba kernels: arrays and scalars in, arrays out; no model objects, no MPI, no zarr."""
