"""The original project's PHD08 conversion, the baseline of benchmarks/phd08_convert.py.

    python benchmarks/phd08_original.py DATA_DIR OUT [--pattern REGEX]

As described in the issue: parse every line with list(map(int, row)), blur and
resize each sample with PIL, append to Python lists, save float32 x.npy and
y.npy, and take the label from the file's position in os.walk order. Run as a
script, it is a whole process as the original was, start-up included.
"""
import argparse
import os
import re

import numpy as np


def original_convert(data_dir: str, out: str, pattern: str | None, size: int = 60) -> int:
    from PIL import Image, ImageFilter

    images, labels = [], []
    label = 0
    for root, _dirs, files in os.walk(data_dir):
        for name in files:
            with open(os.path.join(root, name), encoding="utf-8") as f:
                lines = [line.rstrip("\r\n") for line in f]
            i = 0
            while i < len(lines):
                if not lines[i].strip():
                    i += 1
                    continue
                sample = lines[i].strip()
                h, w = map(int, lines[i + 1].split())
                rows = [list(map(int, row)) for row in lines[i + 2:i + 2 + h]]
                i += 2 + h
                if pattern and not re.fullmatch(pattern, sample):
                    continue
                img = Image.fromarray((np.array(rows) * 255).astype(np.uint8))
                img = img.filter(ImageFilter.GaussianBlur(1)).resize((size, size))
                images.append(np.asarray(img, dtype=np.float32) / 255.0)
                labels.append(label)
            label += 1
    np.save(os.path.join(out, "x.npy"), np.array(images, dtype=np.float32))
    np.save(os.path.join(out, "y.npy"), np.array(labels))
    return len(images)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data_dir")
    ap.add_argument("out")
    ap.add_argument("--pattern")
    args = ap.parse_args()
    print(f"{original_convert(args.data_dir, args.out, args.pattern)} samples")
