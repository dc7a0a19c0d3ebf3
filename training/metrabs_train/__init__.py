"""MeTRAbs trainer (PyTorch): data loading, augmentation, model, losses, training and export."""
import os

# NumPy only multiplies and inverts tiny matrices here (cameras, crops); with torch loaded, every
# such call woke OpenBLAS's thread pool, which then spun against torch's OpenMP threads: 3×3
# inverses took 0.1–4 ms instead of 5 µs and training lost CPU (docs/training.md, throughput).
# Must be set before NumPy loads; an explicit setting wins.
os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')
