"""Rebuild data/digits.npz from the copy of the UCI digits that scikit-learn ships.

Run once by a maintainer (scikit-learn is a test-only dependency); students and CI
read the committed file, verified by data/SHA256SUMS.
"""
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits

out = Path(__file__).with_name("digits.npz")
d = load_digits()
np.savez_compressed(out, images=d.images.astype(np.uint8), labels=d.target.astype(np.int64))
print(f"wrote {out} ({out.stat().st_size} bytes); update SHA256SUMS with: sha256sum digits.npz")
