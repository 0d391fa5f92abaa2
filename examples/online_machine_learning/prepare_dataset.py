"""Write the tutorial's dataset: dataset/mnist_{train,evaluate,predict}.npz.

The docs' online machine learning tutorial downloads MNIST; nothing can be downloaded
here, so this uses scikit-learn's bundled handwritten digits (8x8 images, 1,797 samples)
in the same file layout and keys (x_train, y_train). The workflow file runs unchanged.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits


def main(target: Path) -> None:
    x, y = load_digits(return_X_y=True)
    x = x.reshape((-1, 8, 8)).astype(np.float32)
    rng = np.random.default_rng(0)
    order = rng.permutation(len(x))
    x, y = x[order], y[order]
    parts = {"train": slice(0, 1200), "evaluate": slice(1200, 1600), "predict": slice(1600, None)}
    target.mkdir(parents=True, exist_ok=True)
    for name, part in parts.items():
        np.savez_compressed(target / f"mnist_{name}.npz", x_train=x[part], y_train=y[part])
    print(f"wrote {', '.join(f'mnist_{n}.npz' for n in parts)} to {target}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "dataset")
