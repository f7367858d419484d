"""What the PyTorch references of the examples share: Strata's split sizes and the training loop.

  run_seeds(x, y, seeds, make_model, epochs, lr, prepare=None)

For each seed: a stratified 20 % test split, then 10 % of the rest for validation (the sizes of
Strata's split of a CSV table or built-in dataset, not the same rows), `prepare(train rows)` (a
vocabulary adapted on the training rows, say) giving the inputs, a model from `make_model()`,
Adam (epsilon 1e-7 as Keras) with batches of 32 shuffled each epoch and sparse categorical
cross-entropy on logits, then the test accuracy. Prints one JSON line per seed and the median.
"""
import json
import statistics

import numpy as np
import torch
from torch import nn


def stratified(labels, fraction, rng):
    """(kept rows, held-out rows): `fraction` of each class held out."""
    held = []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        rng.shuffle(idx)
        held.extend(idx[: int(round(len(idx) * fraction))])
    mask = np.zeros(len(labels), bool)
    mask[held] = True
    return np.flatnonzero(~mask), np.flatnonzero(mask)


def splits(y, seed):
    """(train rows, test rows) as Strata's split sizes them."""
    rng = np.random.default_rng(seed)
    rest, test = stratified(y, 0.2, rng)
    keep, _validation = stratified(y[rest], 0.1, rng)
    return rest[keep], test


def run_seeds(x, y, seeds, make_model, epochs, lr, prepare=None):
    torch.set_num_threads(1)
    accuracies = []
    for seed in seeds:
        train, test = splits(y, seed)
        inputs = prepare(train) if prepare else x
        torch.manual_seed(seed)
        model = make_model()
        opt = torch.optim.Adam(model.parameters(), lr=lr, eps=1e-7)
        xt, yt = torch.from_numpy(inputs[train]), torch.from_numpy(y[train])
        for _ in range(epochs):
            model.train()
            order = torch.randperm(len(train))
            for i in range(0, len(train), 32):
                b = order[i:i + 32]
                loss = nn.functional.cross_entropy(model(xt[b]), yt[b])
                opt.zero_grad()
                loss.backward()
                opt.step()
        model.eval()
        with torch.no_grad():
            predicted = model(torch.from_numpy(inputs[test])).argmax(1)
            accuracy = float((predicted == torch.from_numpy(y[test])).float().mean())
        accuracies.append(accuracy)
        print(json.dumps({"seed": seed, "train": len(train), "test": len(test), "test_accuracy": round(accuracy, 4)}))
    print(json.dumps({"median_test_accuracy": round(statistics.median(accuracies), 4), "seeds": len(accuracies)}))
